"""System checks: a deployment must set its own encryption key for material at rest."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def encryption_key_configured(app_configs, **kwargs):
    if any(k.strip() for k in getattr(settings, "ANCHOR_ENCRYPTION_KEYS", [])):
        return []
    return [Error("ANCHOR_ENCRYPTION_KEYS is not set: target texts are encrypted with a key derived from "
                  "SECRET_KEY", hint="set ANCHOR_ENCRYPTION_KEYS to a Fernet key (README, Security)",
                  id="anchor.E001")]
