"""The manager's scale-development page: pick a pool and a rule, see the item analysis and the
selection with apparent, cross-validated and corrected figures, publish the short scale."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render

from instruments.definition import DefinitionError
from ratings.manage_views import manager_required
from ratings.selectors import studies_for_manager

from .analysis import pool_version_for_study, scale_development_compute
from .inputs import PublishInput
from .render import cfa_line, figure_rows, item_rows
from .services import short_scale_publish


@manager_required
def scale_development_page(request, slug):
    study = studies_for_manager(user=request.user).filter(slug=slug).first()
    if study is None:
        raise Http404("No such study.")
    pools = [v for v in study.instrument_versions.all() if v.spec.pool]
    params = request.POST if request.method == "POST" else request.GET
    context = {"study": study, "pools": pools, "params": params, "errors": [], "development": None}
    if "pool" in params:
        data = PublishInput(data=params)
        if not data.is_valid():
            context["errors"] = [f"{field}: {' '.join(map(str, errs))}" for field, errs in data.errors.items()]
        else:
            try:
                development = scale_development_compute(study=study, pool_version=pool_version_for_study(
                    study, data.validated_data["pool"]), rule=data.rule(), **data.compute_options())
                if request.method == "POST":
                    return _publish(request, study, development, data.validated_data)
                header, rows = item_rows(development)
                context.update(development=development, figures=figure_rows(development), item_header=header,
                               item_rows=rows, cfa=cfa_line(development))
            except ValueError as error:
                context["errors"] = [str(error)]
    return render(request, "scaledev/develop.html", context)


def _publish(request, study, development, options):
    if not request.user.has_perm("instruments.add_instrumentversion"):
        raise PermissionDenied("publishing instruments needs the instruments.add_instrumentversion permission")
    try:
        published = short_scale_publish(development=development, slug=options.get("slug") or None,
                                        version=options["version"], title=options.get("title") or None)
    except DefinitionError as error:
        messages.error(request, f"Nothing published: {'; '.join(str(p) for p in error.problems)}")
    else:
        state = "Published" if published.created else "Already published (same content):"
        messages.success(request, f"{state} {published.version}.")
    return redirect("scaledev:develop", slug=study.slug)
