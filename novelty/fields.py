"""A JSON field stored encrypted, for stage artefacts that quote the material (claims quote the
paper, the judgement's material holds its abstract): the same Fernet keys as target texts."""

import json

from django.db import models

from ratings.encryption import decrypt, encrypt


class EncryptedJSONField(models.TextField):
    """JSON stored as encrypted text (``ratings.encryption``); Python code sees the value.

    The database cannot look inside it (no JSON lookups, no filtering): read, then filter."""

    def from_db_value(self, value, expression, connection):
        return value if value is None else json.loads(decrypt(value))

    def to_python(self, value):
        if isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                return value
        return value

    def get_prep_value(self, value):
        return value if value is None else encrypt(json.dumps(value, ensure_ascii=False))

    def value_to_string(self, obj):
        return json.dumps(self.value_from_object(obj), ensure_ascii=False)
