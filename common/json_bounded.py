"""Reading a JSON body incrementally, with bounds: no recursion, no more than a given depth, no
array longer than a given length, and never the whole body in memory as text.

``ijson`` turns the byte stream into parse events as it is read (its pure-Python backend: the C
backend over yajl refuses integers past 64 bits and turns a lone surrogate into ``?``, which
``json.loads`` keeps; measured here ~11 MB/s, against ~160 MB/s, which a 200 MB upload can afford);
:func:`load_bounded` builds the value from those events with an explicit stack (:func:`iter_array`
hands over a top-level array's elements one at a time instead, for uploads), and stops at
the first container deeper than ``max_depth`` or the first array element past ``max_length`` —
so ``[{},{},...]`` of 100 MB costs the first 100,001 elements, not 33 million dictionaries, and
``[[[[...`` costs ``max_depth`` lists. Numbers are floats or ints (``use_float``), as
``json.loads`` gives them.
"""

import ijson
import ijson.backends.python as ijson_python
from ijson import common as ijson_common
from ijson import utils as ijson_utils

MAX_DEPTH = 64
_READ_SIZE = 64 * 1024


class JsonBoundsError(ValueError):
    """The body is not JSON or breaks a bound. ``element`` is the 1-based index of the top-level
    array's element where it happened (0 when there is no such element), which the upload
    endpoints report as the element's line, the way JSON Lines number them."""

    def __init__(self, message: str, element: int = 0):
        super().__init__(message)
        self.element = element


class NotAnArray(JsonBoundsError):
    """The document is valid so far but is not an array (``iter_array`` wants one)."""


def load_bounded(stream, *, max_depth: int = MAX_DEPTH, max_length: int | None = None):
    """The JSON value read from the binary ``stream`` (a file-like ``read(n)``)."""
    values = _build(stream, max_depth=max_depth, max_length=max_length, stream_elements=False)
    while True:
        try:
            next(values)
        except StopIteration as done:
            return done.value


def iter_array(stream, *, max_depth: int = MAX_DEPTH, max_length: int | None = None):
    """The elements of the top-level JSON array in ``stream``, each yielded as ``(number, value)``
    (1-based) once it is complete and then forgotten: a 100 MB array is never held whole.
    ``NotAnArray`` if the document is anything else."""
    yield from _build(stream, max_depth=max_depth, max_length=max_length, stream_elements=True)


def _build(stream, *, max_depth: int, max_length: int | None, stream_elements: bool):
    """Values from parse events, with an explicit stack; with ``stream_elements`` the top-level
    array's elements are yielded instead of kept. Returns the whole value otherwise."""
    stack: list = []  # open containers, outermost first
    keys: list = []   # for each open object: the key waiting for its value
    element = 0       # elements of the top-level array seen so far (when it is one)
    top = None
    events = _basic_parse(stream)
    try:
        for event, value in events:
            if event == "map_key":
                keys[-1] = value
                continue
            if event in ("end_map", "end_array"):
                done = stack.pop()
                if event == "end_map":
                    keys.pop()
                if not stack:
                    top = done
                elif stream_elements and len(stack) == 1:
                    yield element, done
                continue
            if event == "start_map":
                value = {}
            elif event == "start_array":
                value = []
            if stack:
                parent = stack[-1]
                if isinstance(parent, list):
                    outer = len(stack) == 1
                    if outer:
                        element += 1
                    if max_length is not None and (element > max_length if outer else len(parent) >= max_length):
                        where = "the array" if outer else "an array"
                        raise JsonBoundsError(f"{where} has more than {max_length} elements; one request "
                                              f"takes at most {max_length}", element if outer else 0)
                    if not (stream_elements and outer):
                        parent.append(value)
                    elif event not in ("start_map", "start_array"):
                        yield element, value  # a scalar element
                else:
                    parent[keys[-1]] = value
            elif stream_elements and event != "start_array":
                raise NotAnArray("not a JSON array")
            elif event not in ("start_map", "start_array"):
                top = value  # a scalar document
            if event in ("start_map", "start_array"):
                if len(stack) >= max_depth:
                    raise JsonBoundsError(f"nested too deeply (more than {max_depth} levels)", element)
                stack.append(value)
                if event == "start_map":
                    keys.append(None)
    except ijson.common.IncompleteJSONError as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else "the body ends too early"
        raise JsonBoundsError(f"not valid JSON: {message}", element) from None
    except ijson.common.JSONError as exc:
        raise JsonBoundsError(f"not valid JSON: {exc}", element) from None
    except UnicodeDecodeError as exc:
        raise JsonBoundsError(f"not UTF-8 text (byte {exc.start})", element) from None
    return top


# --- ijson's pure-Python backend with a lexer that forgets what it has read -------------------
# ijson's own Lexer (3.6) drops its buffer only when a read ends between two tokens; in an array
# of long strings a read nearly always ends inside one, so it keeps appending to one buffer: the
# whole body as text (https://github.com/isagalaev/ijson/issues/60). This lexer yields the same
# (position, lexeme) pairs to ijson's parser and keeps only the token being read and what follows.

def _basic_parse(stream):
    """ijson basic-parse events (``use_float``) from a binary stream, read ``_READ_SIZE`` at a time."""
    pipeline = (_basic_parse_basecoro, (), {})
    return ijson_utils.coros2gen(ijson_common.file_source(stream, _READ_SIZE), pipeline)


def _basic_parse_basecoro(target):
    return ijson_python.utf8_encoder(_lexer(ijson_python.parse_value(target, False, True)))


@ijson_utils.coroutine
def _lexer(target):
    send = target.send
    try:
        data = yield
    except GeneratorExit:
        data = ""
    buf, pos, discarded = data, 0, 0  # discarded: characters dropped from the front of buf
    while True:
        match = ijson_python.LEXEME_RE.search(buf, pos)
        if not match:
            if data:  # not asked again once the source is exhausted
                try:
                    data = yield
                except GeneratorExit:
                    data = ""
            if not data:
                try:
                    target.send(ijson_python.EOF)
                except StopIteration:
                    pass
                break
            discarded, buf, pos = discarded + len(buf), data, 0
            continue
        if match.group() == '"':
            # keep the string from its opening quote; search for its end only in what is new
            discarded, buf, pos = discarded + match.start(), buf[match.start():], 0
            start = 1
            while True:
                end = buf.find('"', start)
                if end < 0:
                    start = len(buf)
                    try:
                        data = yield
                    except GeneratorExit:
                        data = ""
                    if not data:
                        raise ijson_common.IncompleteJSONError("Incomplete string lexeme")
                    buf += data
                    continue
                backslashes = end - 1
                while buf[backslashes] == "\\":
                    backslashes -= 1
                if (end - backslashes) % 2 == 0:  # an escaped quote
                    start = end + 1
                else:
                    break
            send((discarded, buf[:end + 1]))
            pos = end + 1
            continue
        lexeme = match.group()
        if lexeme not in ijson_python.UNARY_LEXEMES and match.end() == len(buf):
            # a number or literal that may go on in the next read
            discarded, buf, pos = discarded + match.start(), buf[match.start():], 0
            while True:
                try:
                    data = yield
                except GeneratorExit:
                    data = ""
                if not data:
                    break
                buf += data
                match = ijson_python.LEXEME_RE.search(buf, 0)
                if match.end() != len(buf):
                    break
            lexeme = match.group()
        send((discarded + match.start(), lexeme))
        pos = match.end()
