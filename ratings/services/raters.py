"""Inviting human raters: an account to sign in with and the rater it rates as."""

import secrets

from django.contrib.auth import get_user_model
from django.db import transaction

from ratings.models import Rater


class RaterInviteError(ValueError):
    pass


@transaction.atomic
def rater_invite(*, username: str) -> tuple[Rater, str]:
    """Create a sign-in account and its human rater; returns the rater and a one-time password
    for the manager to pass on (only its hash is stored)."""
    users = get_user_model().objects
    if users.filter(username=username).exists() or Rater.objects.filter(name=username, study=None).exists():
        raise RaterInviteError(f"{username!r} is taken; choose another name")
    password = secrets.token_urlsafe(12)
    user = users.create_user(username=username, password=password)
    return Rater.objects.create(name=username, kind=Rater.Kind.HUMAN, user=user), password
