"""``POST /api/v1/studies/SLUG/scale-development/``: item analysis and short-scale selection on the
study's ratings of a pool; with ``publish`` the selection is published as an instrument version."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api_errors import ErrorListOutput, ErrorOutput
from instruments.definition import DefinitionError
from reports.selectors import report_study_for_user

from .analysis import pool_version_for_study, scale_development_compute
from .inputs import PublishInput
from .services import short_scale_publish


class ScaleDevelopmentApi(APIView):
    """Runs synchronously (seconds to a minute for a 120-item pool); another user's study is a 404."""

    @extend_schema(request=PublishInput, responses={200: {"type": "object"}, 400: ErrorListOutput,
                                                    403: ErrorOutput, 404: ErrorOutput})
    def post(self, request: Request, slug: str) -> Response:
        study = report_study_for_user(user=request.user, slug=slug)
        data = PublishInput(data=request.data)
        data.is_valid(raise_exception=True)
        options = data.validated_data
        if options["publish"] and not request.user.has_perm("instruments.add_instrumentversion"):
            return Response({"detail": "publishing instruments needs the instruments.add_instrumentversion "
                                       "permission"}, status=status.HTTP_403_FORBIDDEN)
        try:
            development = scale_development_compute(study=study, pool_version=pool_version_for_study(
                study, options["pool"]), rule=data.rule(), **data.compute_options())
            out = development.to_dict()
            if options["publish"]:
                published = short_scale_publish(development=development, slug=options.get("slug") or None,
                                                version=options["version"], title=options.get("title") or None)
                out["published"] = {"instrument": str(published.version), "created": published.created,
                                    "content_hash": published.version.content_hash}
        except DefinitionError as exc:
            return Response({"detail": "nothing published; the short scale's definition was refused",
                             "errors": [{"path": p.path, "message": p.message} for p in exc.problems]},
                            status=status.HTTP_400_BAD_REQUEST)
        except ValueError as exc:
            return Response({"detail": str(exc), "errors": []}, status=status.HTTP_400_BAD_REQUEST)
        return Response(out)
