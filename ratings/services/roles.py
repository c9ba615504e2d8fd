"""The four roles, as Django groups and flags.

- **rater**: an account linked to a human ``Rater``; sees only its own assignments (no permission).
- **study manager** (group ``study-managers``): ``ratings.add_study``; creates studies and sees and
  runs the studies it created or manages (``Study.managers``), in the web pages and the API.
- **API client** (group ``api-clients``): a token holder with the same study permission, for
  programs that upload material and submit batches.
- **administrator**: ``is_staff`` (sees every study) and superuser for the admin; reads the audit log.
"""

from django.contrib.auth.models import Group, Permission
from django.db import transaction

ROLE_PERMISSIONS = {
    "study-managers": ["ratings.add_study"],
    "api-clients": ["ratings.add_study"],
}


@transaction.atomic
def roles_ensure() -> dict[str, Group]:
    """Create (or bring up to date) the role groups; running it again changes nothing."""
    groups = {}
    for name, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = [Permission.objects.get(content_type__app_label=p.split(".")[0], codename=p.split(".")[1])
                  for p in perms]
        group.permissions.set(wanted)
        groups[name] = group
    return groups


@transaction.atomic
def user_grant_role(*, user, role: str) -> None:
    """Put ``user`` in the role's group (``study-managers`` or ``api-clients``)."""
    if role not in ROLE_PERMISSIONS:
        raise ValueError(f"unknown role {role!r}; one of {', '.join(ROLE_PERMISSIONS)}")
    user.groups.add(roles_ensure()[role])
