"""What the site header links for the signed-in user (a template context processor)."""


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_manager": False, "nav_audit": False}
    from audit.selectors import audit_log_readable_by

    return {"nav_manager": user.has_perm("ratings.add_study"), "nav_audit": audit_log_readable_by(user)}
