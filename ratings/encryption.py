"""Encryption of material at rest (Fernet: AES-128-CBC with HMAC-SHA256, from ``cryptography``).

Keys come from ``ANCHOR_ENCRYPTION_KEYS``: a comma-separated list of Fernet keys (make one with
``python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"``).
The first key encrypts; every key decrypts, so a new key goes first, ``manage.py
rotate_encryption_key`` re-encrypts every row with it, and then the old key can be removed.

With no key set (a laptop, the demo) the key is derived from ``SECRET_KEY`` with HKDF-SHA256,
so the embedded default runs with nothing to configure; changing ``SECRET_KEY`` then makes the
stored material unreadable. ``manage.py check --deploy`` refuses a deployment without an
explicit key.
"""

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

PREFIX = "fernet:"  # marks a stored value as encrypted (rows written before encryption have none)


class DecryptionError(ValueError):
    pass


@functools.lru_cache(maxsize=8)  # HKDF on every encrypt was a quarter of a 100,000-row import
def derived_key(secret: str) -> bytes:
    """A Fernet key derived from ``secret`` (RFC 5869 HKDF-SHA256, fixed info string)."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"anchor target text encryption")
    return base64.urlsafe_b64encode(hkdf.derive(secret.encode("utf-8")))


def configured_keys() -> tuple[str, ...]:
    keys = tuple(k.strip() for k in getattr(settings, "ANCHOR_ENCRYPTION_KEYS", []) if k.strip())
    return keys or (derived_key(settings.SECRET_KEY).decode("ascii"),)


@functools.lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode("ascii")) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(configured_keys())


def encrypt(text: str) -> str:
    return PREFIX + fernet().encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(stored: str) -> str:
    """The plain text of a stored value; a value without the prefix was stored before encryption."""
    if not stored.startswith(PREFIX):
        return stored
    try:
        return fernet().decrypt(stored[len(PREFIX):].encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise DecryptionError("stored material cannot be decrypted with any configured key "
                              "(ANCHOR_ENCRYPTION_KEYS, or SECRET_KEY when none is set)") from None


def encrypted_with_primary(stored: str) -> bool:
    """Whether ``stored`` is already encrypted with the first key (rotation skips those rows)."""
    if not stored.startswith(PREFIX):
        return False
    try:
        Fernet(configured_keys()[0].encode("ascii")).decrypt(stored[len(PREFIX):].encode("ascii"))
    except InvalidToken:
        return False
    return True


def perturbation_encrypted(config: dict) -> dict:
    """A robustness rater's configuration as stored: a content edit's texts (``edits``, target
    id -> edited material) encrypted like target texts; everything else as given."""
    if not config.get("edits"):
        return config
    return {**config, "edits": {key: encrypt(text) if text and not text.startswith(PREFIX) else text
                                for key, text in config["edits"].items()}}


def perturbation_decrypted(config: dict) -> dict:
    """The configuration as ``ratings.llm.perturbations`` reads it (edits in plain text)."""
    if not config.get("edits"):
        return config
    return {**config, "edits": {key: decrypt(text) for key, text in config["edits"].items()}}
