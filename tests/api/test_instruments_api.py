"""Instruments over the API: list, retrieve with items and scales, import a definition."""

import json

import pytest
import yaml

from instruments.models import InstrumentVersion

SMALL = """\
slug: tiny
title: Tiny scale
version: 1.0.0
kind: scale
description: Three items.
scales:
  agree3:
    level: ordinal
    points:
      - {value: 1, label: "no"}
      - {value: 2, label: Somewhat}
      - {value: 3, label: "yes"}
default_scale: agree3
items:
  - {code: warm, text: The therapist was warm.}
  - {code: cold, text: The therapist was cold., reverse: true}
"""


@pytest.fixture(autouse=True)
def alice_publishes(alice):
    from django.contrib.auth.models import Permission

    alice.user_permissions.add(Permission.objects.get(codename="add_instrumentversion"))


def test_publishing_needs_the_permission(bob_api, builtin_text):
    from instruments.models import InstrumentVersion

    response = bob_api.post("/api/v1/instruments/", builtin_text("therapy-engagement"), content_type="application/yaml")
    assert response.status_code == 403 and "permission" in response.json()["detail"]
    assert not InstrumentVersion.objects.exists()


def test_list_and_retrieve_with_items_and_scale(api, engagement):
    listed = api.get("/api/v1/instruments/").json()
    assert listed["count"] == 1 and listed["results"][0]["reference"] == str(engagement)
    detail = api.get("/api/v1/instruments/therapy-engagement/").json()
    assert detail["version"] == engagement.version and detail["content_hash"] == engagement.content_hash
    assert len(detail["items"]) == 10
    first = detail["items"][0]
    assert first["scale"]["min"] == 1 and first["scale"]["max"] == 5
    assert [p["value"] for p in first["scale"]["points"]] == [1, 2, 3, 4, 5]
    assert api.get(f"/api/v1/instruments/therapy-engagement@{engagement.version}/").status_code == 200
    assert api.get("/api/v1/instruments/therapy-engagement@9.9.9/").status_code == 404
    assert api.get("/api/v1/instruments/ghost/").status_code == 404


def test_import_yaml_then_the_same_again_changes_nothing(api, db):
    created = api.generic("POST", "/api/v1/instruments/", SMALL, content_type="application/yaml")
    assert created.status_code == 201, created.content
    assert created.json()["reference"] == "tiny@1.0.0" and [i["code"] for i in created.json()["items"]] == ["warm", "cold"]
    again = api.generic("POST", "/api/v1/instruments/", SMALL, content_type="application/yaml")
    assert again.status_code == 200 and InstrumentVersion.objects.count() == 1


def test_import_json(api, db):
    document = yaml.safe_load(SMALL)
    response = api.generic("POST", "/api/v1/instruments/", json.dumps(document), content_type="application/json")
    assert response.status_code == 201 and response.json()["items"][1]["reverse"] is True


def test_a_bad_definition_is_400_listing_every_problem_and_stores_nothing(api, db):
    bad = SMALL.replace("default_scale: agree3", "default_scale: agree7").replace("version: 1.0.0", "version: 2")
    response = api.generic("POST", "/api/v1/instruments/", bad, content_type="application/yaml")
    assert response.status_code == 400
    body = response.json()
    assert body["errors"] and all(set(p) == {"path", "message"} for p in body["errors"])
    assert any(p["path"] == "default_scale" for p in body["errors"]), body
    assert not InstrumentVersion.objects.exists()
    garbage = api.generic("POST", "/api/v1/instruments/", "{not: [yaml", content_type="application/yaml")
    assert garbage.status_code == 400 and garbage.json()["errors"]


def test_changed_content_under_a_published_version_is_refused(api, db):
    api.generic("POST", "/api/v1/instruments/", SMALL, content_type="application/yaml")
    changed = api.generic("POST", "/api/v1/instruments/", SMALL.replace("Tiny scale", "Tiny"),
                          content_type="application/yaml")
    assert changed.status_code == 400 and changed.json()["errors"][0]["path"] == "version"
