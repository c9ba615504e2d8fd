"""Robustness runs over the API: re-score a study under a perturbation (report section 6)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.actor import Actor
from instruments.models import InstrumentVersion
from instruments.selectors import instrument_version_get
from ratings.llm.perturbations import KINDS
from ratings.services.robustness import edits_from_rows, paraphrases_from_rows, robustness_job_start
from ratings.services.scoring import ScoringError
from ratings.tabular import ImportRejected, Row

from .common import ErrorListOutput, ErrorOutput, rejected_response
from .jobs import ScoringJobOutput, job_output
from .studies import study_for


class RobustnessRunInput(serializers.Serializer):
    instrument = serializers.CharField(max_length=200, help_text="`slug` (latest version) or `slug@version`")
    perturbation = serializers.ChoiceField(choices=list(KINDS))
    seed = serializers.IntegerField(min_value=0, default=0)
    edits = serializers.DictField(child=serializers.CharField(trim_whitespace=False), required=False,
                                  help_text="edit_content: target id -> edited text (only these are scored)")
    paraphrases = serializers.DictField(child=serializers.CharField(), required=False,
                                        help_text="paraphrase_items: item code -> wording (default: the "
                                                  "item's human wording)")


def _rows(mapping: dict, key: str) -> list[Row]:
    return [Row(line, {key: name, "text": text}) for line, (name, text) in enumerate(mapping.items(), start=1)]


class RobustnessRunApi(APIView):
    """Start a robustness run of the default LLM rater on the study: 202 and the job to follow."""

    large_uploads = True  # bodies up to ANCHOR_MAX_UPLOAD_BYTES (common/upload_limit.py)

    @extend_schema(request=RobustnessRunInput,
                   responses={202: ScoringJobOutput, 400: ErrorListOutput, 404: ErrorOutput})
    def post(self, request: Request, slug: str) -> Response:
        study = study_for(request, slug)
        data = RobustnessRunInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            version = instrument_version_get(reference=values["instrument"])
            edits = edits_from_rows(study=study, rows=_rows(values["edits"], "id")) if values.get("edits") else None
            paraphrases = (paraphrases_from_rows(version=version, rows=_rows(values["paraphrases"], "item"))
                           if values.get("paraphrases") else None)
            job = robustness_job_start(study=study, version=version, kind=values["perturbation"],
                                       seed=values["seed"], edits=edits, paraphrases=paraphrases,
                                       created_by=request.user, actor=Actor.from_request(request))
        except InstrumentVersion.DoesNotExist:
            message = f"no published instrument {values['instrument']!r}"
            return Response({"detail": message, "errors": [{"field": "instrument", "message": message}]},
                            status=status.HTTP_400_BAD_REQUEST)
        except ScoringError as exc:
            return Response({"detail": str(exc), "errors": [{"field": "perturbation", "message": str(exc)}]},
                            status=status.HTTP_400_BAD_REQUEST)
        except ImportRejected as exc:
            return rejected_response(exc)
        body = job_output(job)
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})
