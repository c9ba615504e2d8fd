"""Inviting human raters: an account to sign in with and the rater it rates as.

Sign-in names are global, rater pools are per manager: the manager names the rater, and the
account gets that name with a random suffix (``ann-3f9a``), so an invitation never tells one
manager which names another manager's raters (or any other account) already use.
"""

import secrets

from django.contrib.auth import get_user_model
from django.db import transaction

from audit.services import audit_record
from ratings.models import Rater

SUFFIX_TRIES = 20


class RaterInviteError(ValueError):
    pass


@transaction.atomic
def rater_invite(*, name: str, invited_by=None, actor=None, study=None) -> tuple[Rater, str]:
    """Create a sign-in account and its human rater in ``invited_by``'s pool; returns the rater
    (its ``name`` is the sign-in name) and a one-time password for the manager to pass on. Only
    the password's hash is stored, and the rater must choose a new password at first sign-in."""
    users = get_user_model().objects
    name = name.strip().lower()
    if not name or len(name) > 90:
        raise RaterInviteError("a rater's name has 1 to 90 letters, digits, - or _")
    for _ in range(SUFFIX_TRIES):
        username = f"{name}-{secrets.token_hex(2)}"
        if not users.filter(username__iexact=username).exists() and not Rater.objects.filter(name=username, study=None).exists():
            break
    else:  # 65,536 suffixes all taken for this name: ask for another, without naming anyone
        raise RaterInviteError("choose another name")
    password = secrets.token_urlsafe(12)
    user = users.create_user(username=username, password=password)
    rater = Rater.objects.create(name=username, kind=Rater.Kind.HUMAN, user=user, invited_by=invited_by,
                                 password_change_required=True)
    if actor is not None:  # audited in the same transaction (never the password)
        audit_record(actor=actor, action="create", object_type="rater", object_id=rater.pk, study=study,
                     detail={"rater": rater.name})
    return rater, password


@transaction.atomic
def rater_password_changed(*, user) -> None:
    """The rater chose their own password: the one-time password is gone, stop asking."""
    Rater.objects.filter(user=user, password_change_required=True).update(password_change_required=False)
