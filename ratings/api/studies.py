"""Studies: list, create, retrieve, change (only those the user may see; others are a 404)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ratings.models import Study
from ratings.selectors import studies_for_user
from audit.actor import Actor
from ratings.services import StudyDesignError, study_get_or_create, study_update
from ratings.services.studies import SLUG_NOT_AVAILABLE, study_slug_available

from .common import CreatesStudies, ErrorListOutput, ErrorOutput


class StudyOutput(serializers.Serializer):
    slug = serializers.SlugField()
    title = serializers.CharField()
    description = serializers.CharField()
    rating_design = serializers.ChoiceField(
        choices=["crossed", "one-way", ""],
        help_text="crossed: the same raters rate the targets (gaps allowed); one-way: each target is rated "
                  "by its own interchangeable raters; empty: undeclared (the report infers it)")
    instruments = serializers.SerializerMethodField()
    targets = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_instruments(self, study) -> list[str]:
        return [str(v) for v in study.instrument_versions.select_related("instrument")]

    def get_targets(self, study) -> int:
        return study.targets.count()


DESIGN_HELP = ("crossed | one-way; empty or omitted: undeclared, and the report infers the design "
               "from the ratings")


class StrictCharField(serializers.CharField):
    """Text only: DRF's CharField turns a number into its digits; the schema says string."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictSlugField(StrictCharField, serializers.SlugField):
    pass


class StudyInput(serializers.Serializer):
    slug = StrictSlugField(max_length=64)
    title = StrictCharField(max_length=300, required=False, allow_blank=True)
    description = StrictCharField(required=False, allow_blank=True, default="")
    rating_design = serializers.ChoiceField(choices=["crossed", "one-way", ""], required=False, default="",
                                            allow_blank=True, help_text=DESIGN_HELP)



def study_for(request: Request, slug: str) -> Study:
    """The study ``slug`` if the user may see it, else 404 (never 403: ids are not revealed)."""
    return get_object_or_404(studies_for_user(user=request.user), slug=slug)


class StudyListCreateApi(ListAPIView):
    """The studies you created or manage (staff: all); POST creates one that you manage."""

    serializer_class = StudyOutput
    permission_classes = [CreatesStudies]

    def get_queryset(self):
        return studies_for_user(user=self.request.user).order_by("slug")

    @extend_schema(responses={200: StudyOutput(many=True), 404: ErrorOutput})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=StudyInput, responses={201: StudyOutput, 400: ErrorListOutput, 403: ErrorOutput,
                                                     409: ErrorListOutput})
    def post(self, request: Request) -> Response:
        data = StudyInput(data=request.data)
        data.is_valid(raise_exception=True)
        if not study_slug_available(slug=data.validated_data["slug"]):  # yours, another's, or reserved
            return Response({"detail": SLUG_NOT_AVAILABLE, "errors": [{"field": "slug", "message": SLUG_NOT_AVAILABLE}]},
                            status=status.HTTP_409_CONFLICT)
        study, _ = study_get_or_create(**data.validated_data, created_by=request.user)
        return Response(StudyOutput(study).data, status=status.HTTP_201_CREATED)


class StudyPatchInput(serializers.Serializer):
    title = serializers.CharField(max_length=300, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    rating_design = serializers.ChoiceField(choices=["crossed", "one-way", ""], required=False, allow_blank=True,
                                            help_text=DESIGN_HELP + "; send an empty string to clear it")


class StudyDetailApi(APIView):
    """A study; PATCH changes its title, description or declared rating design (managers)."""

    permission_classes = [CreatesStudies]

    @extend_schema(responses={200: StudyOutput, 404: ErrorOutput})
    def get(self, request: Request, slug: str) -> Response:
        return Response(StudyOutput(study_for(request, slug)).data)

    @extend_schema(request=StudyPatchInput, responses={200: StudyOutput, 400: ErrorListOutput,
                                                       403: ErrorOutput, 404: ErrorOutput})
    def patch(self, request: Request, slug: str) -> Response:
        study = study_for(request, slug)
        data = StudyPatchInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        try:
            study = study_update(study=study, **data.validated_data, actor=Actor.from_request(request))
        except StudyDesignError as exc:
            raise ValidationError({"rating_design": [str(exc)]}) from exc
        return Response(StudyOutput(study).data)
