"""Model fields for material at rest: encrypted text and the content hash that stands in for it."""

import hashlib

from django.db import models

from .encryption import decrypt, encrypt


class EncryptedTextField(models.TextField):
    """Text stored encrypted (see ``ratings.encryption``); Python code sees plain text.

    The stored value changes on every save (Fernet uses a random IV), so the database cannot
    filter or compare on it: compare the content hash instead."""

    def from_db_value(self, value, expression, connection):
        return value if value is None else decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return value if value is None else encrypt(value)


def content_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ContentHashField(models.CharField):
    """SHA-256 of another field's plain text, set on every save: lets an import tell whether
    known material changed without decrypting it."""

    def __init__(self, *args, source: str = "text", **kwargs):
        self.source = source
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        text = getattr(model_instance, self.source)
        value = content_sha256(text) if text else ""
        setattr(model_instance, self.attname, value)
        return value
