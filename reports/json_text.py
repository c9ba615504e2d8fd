"""``json.dumps(value, indent=2, allow_nan=False)``, the same text, faster on long lists.

The standard library only uses its C encoder without ``indent``; with it every value goes
through the Python encoder, about a microsecond each, and a report at 100,000 targets holds
millions of numbers (score distributions, points). Here containers are walked in Python but a
list of plain numbers or of strings is encoded in one C call and its separators then indented.
A long list of floats with few distinct values (every human's scale score: means of a few
answers) has each distinct value's text made once.
"""

import json
from json.encoder import encode_basestring_ascii

import numpy as np

_compact_numbers = json.JSONEncoder(allow_nan=False, separators=(",", ":")).encode
_LONG = 4096  # a list this long is worth a look for repeated values


def dumps_indented(value, *, indent: int = 2) -> str:
    """The text of ``json.dumps(value, indent=indent, allow_nan=False)``: keys in insertion
    order, ASCII only; ``ValueError`` on NaN or infinity and ``TypeError`` on other types, as
    there."""
    chunks: list[str] = []
    _encode(value, chunks, "\n", " " * indent)
    return "".join(chunks)


def _encode(value, chunks: list[str], newline: str, step: str) -> None:
    if type(value) is str:
        chunks.append(encode_basestring_ascii(value))
    elif isinstance(value, dict):
        _encode_dict(value, chunks, newline, step)
    elif isinstance(value, (list, tuple)):
        _encode_list(value, chunks, newline, step)
    else:  # numbers, booleans, None, and anything json itself accepts or rejects
        chunks.append(json.dumps(value, allow_nan=False))


def _encode_dict(value: dict, chunks: list[str], newline: str, step: str) -> None:
    if not value:
        chunks.append("{}")
        return
    inner = newline + step
    chunks.append("{")
    first = True
    for key, item in value.items():
        chunks.append(inner if first else "," + inner)
        first = False
        chunks.append(encode_basestring_ascii(key if isinstance(key, str) else _key_text(key)))
        chunks.append(": ")
        _encode(item, chunks, inner, step)
    chunks.append(newline + "}")


def _encode_list(value, chunks: list[str], newline: str, step: str) -> None:
    if not value:
        chunks.append("[]")
        return
    inner = newline + step
    kinds = set(map(type, value))
    if kinds == {float} and len(value) >= _LONG and (text := _repeated_floats(value, "," + inner)) is not None:
        chunks.append("[" + inner + text + newline + "]")
    elif kinds <= {float, int}:
        # repr of a number holds no comma: the compact text's commas are the separators
        chunks.append("[" + inner + _compact_numbers(list(value))[1:-1].replace(",", "," + inner) + newline + "]")
    elif kinds == {str}:
        chunks.append("[" + inner + ("," + inner).join(map(encode_basestring_ascii, value)) + newline + "]")
    else:
        chunks.append("[")
        first = True
        for item in value:
            chunks.append(inner if first else "," + inner)
            first = False
            _encode(item, chunks, inner, step)
        chunks.append(newline + "]")


def _repeated_floats(value, separator: str) -> str | None:
    """The floats' texts joined by ``separator``, each distinct value (by its bits: 0.0 and -0.0
    differ) written once as ``json`` writes it (``float.__repr__``); None when they are not
    finite (``json`` raises on those) or mostly distinct."""
    numbers = np.array(value, dtype=float)
    if not np.isfinite(numbers).all():
        return None
    distinct, where = np.unique(numbers.view(np.uint64), return_inverse=True)
    if len(distinct) > len(numbers) // 8:
        return None
    texts = list(map(float.__repr__, distinct.view(np.float64).tolist()))
    return separator.join(map(texts.__getitem__, where.reshape(-1).tolist()))


def _key_text(key) -> str:
    """A dict key that is not a string as ``json`` writes it: a number's text, true, false, null."""
    if key is True or key is False or key is None or isinstance(key, (int, float)):
        return json.dumps(key, allow_nan=False)
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")
