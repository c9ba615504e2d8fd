"""A study's rating design over the API: on create, PATCH, in the output and the schema."""

from rest_framework.test import APIClient

from audit.models import AuditEvent
from ratings.models import Study
from ratings.services import study_get_or_create


def test_api_sets_the_design_on_create_and_patch(api, bob_api, alice, db):
    created = api.post("/api/v1/studies/", {"slug": "ow", "rating_design": "one-way"}, format="json")
    assert created.status_code == 201 and created.json()["rating_design"] == "one-way"
    plain = api.post("/api/v1/studies/", {"slug": "plain"}, format="json")
    assert plain.json()["rating_design"] == ""
    bad = api.post("/api/v1/studies/", {"slug": "bad", "rating_design": "nested"}, format="json")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "rating_design"

    patched = api.patch("/api/v1/studies/ow/", {"rating_design": "crossed"}, format="json")
    assert patched.status_code == 200 and patched.json()["rating_design"] == "crossed"
    assert Study.objects.get(slug="ow").rating_design == "crossed"
    assert api.patch("/api/v1/studies/ow/", {"title": "Renamed"}, format="json").json()["rating_design"] == "crossed"
    cleared = api.patch("/api/v1/studies/ow/", {"rating_design": ""}, format="json")
    assert cleared.json()["rating_design"] == "" and cleared.json()["title"] == "Renamed"
    assert api.patch("/api/v1/studies/ow/", {"rating_design": "x"}, format="json").status_code == 400
    # another user's study answers like a missing one
    assert bob_api.patch("/api/v1/studies/ow/", {"rating_design": "crossed"}, format="json").status_code == 404
    assert Study.objects.get(slug="ow").rating_design == ""
    event = AuditEvent.objects.filter(object_type="study", object_id="ow").order_by("id").last()
    assert event.detail == {"rating_design": "", "previous_rating_design": "crossed"} and event.via == "api"


def test_a_user_without_the_manager_role_cannot_patch(db, django_user_model):
    reader = django_user_model.objects.create_user(username="reader", is_staff=True)
    study_get_or_create(slug="s")
    client = APIClient()
    client.force_authenticate(reader)
    assert client.get("/api/v1/studies/s/").status_code == 200
    assert client.patch("/api/v1/studies/s/", {"rating_design": "crossed"}, format="json").status_code == 403


def test_schema_names_the_design(client, db):
    schema = client.get("/api/schema/?format=json").json()
    components = schema["components"]["schemas"]
    for name in ("StudyOutput", "StudyInputRequest", "PatchedStudyPatchInputRequest"):
        assert "rating_design" in components[name]["properties"], name
    assert "patch" in schema["paths"]["/api/v1/studies/{slug}/"]
    assert components["RatingDesignEnum"]["enum"] == ["crossed", "one-way"]  # and a BlankEnum: undeclared
