"""Two users with tokens, a staff member, and API clients for each."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from ratings.services import study_get_or_create, targets_import
from ratings.services.roles import user_grant_role
from ratings.tabular import read_rows


def _client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


@pytest.fixture
def alice(django_user_model):
    user = django_user_model.objects.create_user(username="alice", password="pw")
    user_grant_role(user=user, role="api-clients")
    return user


@pytest.fixture
def bob(django_user_model):
    user = django_user_model.objects.create_user(username="bob", password="pw")
    user_grant_role(user=user, role="api-clients")
    return user


@pytest.fixture
def api(alice):
    """Alice's token client."""
    return _client(alice)


@pytest.fixture
def bob_api(bob):
    return _client(bob)


@pytest.fixture
def staff_api(django_user_model):
    return _client(django_user_model.objects.create_user(username="staff", is_staff=True))


@pytest.fixture
def study(alice, engagement):
    """Alice's study with three targets."""
    study, _ = study_get_or_create(slug="alices", title="Alice's study", created_by=alice)
    rows = read_rows("id,text,criterion:change\nT1,Client: I did my homework.,2\nT2,Client: No.,\n"
                     "T3,Client: Maybe later.,1\n", "csv")
    targets_import(study=study, rows=rows, fmt="csv")
    return study
