"""REST endpoints for instruments (under /api/v1/instruments/): list, retrieve, import."""

from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api_errors import ErrorListOutput, ErrorOutput

from .definition import DefinitionError
from .models import InstrumentVersion
from .selectors import instrument_version_get, instrument_versions_all
from .services import instrument_load


class _DefinitionText(BaseParser):
    """The body as text: a definition is parsed (and its every problem reported) by the service."""

    fmt = "yaml"

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        try:
            return {"text": raw.decode("utf-8"), "fmt": self.fmt}
        except UnicodeDecodeError:
            return {"text": None, "fmt": self.fmt}


class JsonDefinitionParser(_DefinitionText):
    media_type = "application/json"
    fmt = "json"


class YamlDefinitionParser(_DefinitionText):
    media_type = "application/yaml"


class XYamlDefinitionParser(_DefinitionText):
    media_type = "application/x-yaml"


class TextYamlDefinitionParser(_DefinitionText):
    media_type = "text/yaml"


class PlainDefinitionParser(_DefinitionText):
    media_type = "text/plain"


class ScalePointOutput(serializers.Serializer):
    value = serializers.IntegerField()
    label = serializers.CharField()


class ScaleOutput(serializers.Serializer):
    level = serializers.CharField()
    min = serializers.IntegerField()
    max = serializers.IntegerField()
    points = ScalePointOutput(many=True)
    anchors = ScalePointOutput(many=True)


class ItemOutput(serializers.Serializer):
    code = serializers.CharField()
    position = serializers.IntegerField()
    text = serializers.CharField()
    subscale = serializers.CharField(allow_null=True)
    reverse = serializers.BooleanField()
    required = serializers.BooleanField()
    scale = ScaleOutput()


class InstrumentVersionOutput(serializers.Serializer):
    slug = serializers.CharField(source="instrument.slug")
    version = serializers.CharField()
    reference = serializers.CharField(source="__str__")
    title = serializers.CharField()
    kind = serializers.CharField()
    content_hash = serializers.CharField()
    published_at = serializers.DateTimeField()


class InstrumentDetailOutput(InstrumentVersionOutput):
    description = serializers.SerializerMethodField()
    items = serializers.SerializerMethodField()

    def get_description(self, version) -> str:
        return version.definition.get("description", "") or ""

    @extend_schema_field(ItemOutput(many=True))
    def get_items(self, version) -> list:
        return ItemOutput(version.spec.items, many=True).data




class InstrumentListImportApi(ListAPIView):
    """GET lists every published instrument version; POST publishes a definition (YAML or JSON
    body): 201 when new, 200 when identical content is already published, 400 listing each problem."""

    serializer_class = InstrumentVersionOutput
    parser_classes = [JsonDefinitionParser, YamlDefinitionParser, XYamlDefinitionParser,
                      TextYamlDefinitionParser, PlainDefinitionParser]

    def get_queryset(self):
        return instrument_versions_all().order_by("instrument__slug", "-published_at", "-pk")

    @extend_schema(responses={200: InstrumentVersionOutput(many=True), 404: ErrorOutput})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request={"application/yaml": str, "application/json": {"type": "object"}},
                   responses={201: InstrumentDetailOutput, 200: InstrumentDetailOutput, 400: ErrorListOutput,
                              403: ErrorOutput})
    def post(self, request: Request) -> Response:
        # Instruments are shared by every study, so publishing one is an administrator's act.
        if not request.user.has_perm("instruments.add_instrumentversion"):
            return Response({"detail": "publishing instruments needs the instruments.add_instrumentversion "
                                       "permission"}, status=status.HTTP_403_FORBIDDEN)
        body = request.data if isinstance(request.data, dict) and "text" in request.data else {"text": ""}
        if body["text"] is None:
            return Response({"detail": "the body is not UTF-8 text", "errors": []},
                            status=status.HTTP_400_BAD_REQUEST)
        try:
            result = instrument_load(text=body["text"], fmt=body.get("fmt", "yaml"))
        except DefinitionError as exc:
            return Response({"detail": f"nothing stored; the definition has {len(exc.problems)} problem(s)",
                             "errors": [{"path": p.path, "message": p.message} for p in exc.problems]},
                            status=status.HTTP_400_BAD_REQUEST)
        return Response(InstrumentDetailOutput(result.version).data,
                        status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class InstrumentDetailApi(APIView):
    """An instrument version with its items and their scales: `slug` (the latest) or `slug@version`."""

    @extend_schema(responses={200: InstrumentDetailOutput, 404: ErrorOutput})
    def get(self, request: Request, reference: str) -> Response:
        try:
            version = instrument_version_get(reference=reference)
        except InstrumentVersion.DoesNotExist:
            raise Http404(f"no published instrument {reference!r}") from None
        return Response(InstrumentDetailOutput(version).data)
