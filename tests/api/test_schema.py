"""The OpenAPI schema and docs, and a schemathesis run against the live schema (in-process WSGI).

The fuzzing is bounded (a few examples per operation) so it stays part of the fast suite; it
checks that no request makes a server error and every response matches the schema.
"""

import pytest
import schemathesis
import yaml
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance, response_schema_conformance, status_code_conformance,
)

from ratings.services import study_get_or_create, targets_import
from ratings.services.roles import user_grant_role
from ratings.tabular import read_rows

ENDPOINTS = [
    "/api/v1/instruments/", "/api/v1/instruments/{reference}/", "/api/v1/studies/", "/api/v1/studies/{slug}/",
    "/api/v1/studies/{slug}/targets/", "/api/v1/studies/{slug}/ratings/", "/api/v1/batches/",
    "/api/v1/jobs/{job_id}/", "/api/v1/jobs/{job_id}/results/", "/api/v1/jobs/{job_id}/cancel/",
]


def test_the_schema_lists_every_endpoint_with_its_errors(client, db):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    assert set(ENDPOINTS) <= set(schema["paths"])
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])
    assert schema["paths"]["/api/v1/batches/"]["post"]["responses"]["400"]["content"]["application/json"]["schema"] \
        == {"$ref": "#/components/schemas/ErrorList"}
    assert "404" in schema["paths"]["/api/v1/studies/{slug}/"]["get"]["responses"]
    params = schema["paths"]["/api/v1/batches/"]["post"]["parameters"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in params)


def test_the_docs_page(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200 and b"swagger" in response.content.lower()


@pytest.fixture
def token(django_user_model, engagement):
    user = django_user_model.objects.create_user(username="fuzzer", password="pw")
    user_grant_role(user=user, role="api-clients")
    study, _ = study_get_or_create(slug="fuzz", created_by=user)
    targets_import(study=study, rows=read_rows("id,text\nT1,hello\n", "csv"), fmt="csv")
    return Token.objects.create(user=user).key


# A JSON Lines body is text, sent as schemathesis sends text/csv.
schemathesis.serializer.alias("application/jsonl", "text/plain")

# Loading the schema reads no database: it is generated from the views.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=8, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_responses_match_the_schema(case, token):
    # Batches enqueue LLM work on commit; inside the test transaction nothing commits.
    case.call_and_validate(headers={"Authorization": f"Token {token}"},
                           checks=[not_a_server_error, response_schema_conformance, status_code_conformance,
                                   content_type_conformance])


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=8, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_every_check_passes(case, token):
    """schemathesis' full set of checks (conformance, negative data, auth, methods): 0 findings."""
    case.call_and_validate(headers={"Authorization": f"Token {token}"})
