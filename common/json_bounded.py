"""Reading a JSON body incrementally, with bounds: no recursion, no more than a given depth, no
array longer than a given length, and never the whole body in memory as text.

``ijson`` turns the byte stream into parse events as it is read (its pure-Python backend: the C
backend over yajl refuses integers past 64 bits and turns a lone surrogate into ``?``, which
``json.loads`` keeps; measured here ~11 MB/s, against ~160 MB/s, which a 200 MB upload can afford);
:func:`load_bounded` builds the value from those events with an explicit stack, and stops at
the first container deeper than ``max_depth`` or the first array element past ``max_length`` —
so ``[{},{},...]`` of 100 MB costs the first 100,001 elements, not 33 million dictionaries, and
``[[[[...`` costs ``max_depth`` lists. Numbers are floats or ints (``use_float``), as
``json.loads`` gives them.
"""

import ijson
import ijson.backends.python as ijson_python

MAX_DEPTH = 64


class JsonBoundsError(ValueError):
    """The body is not JSON or breaks a bound. ``element`` is the 1-based index of the top-level
    array's element where it happened (0 when there is no such element), which the upload
    endpoints report as the element's line, the way JSON Lines number them."""

    def __init__(self, message: str, element: int = 0):
        super().__init__(message)
        self.element = element


def load_bounded(stream, *, max_depth: int = MAX_DEPTH, max_length: int | None = None):
    """The JSON value read from the binary ``stream`` (a file-like ``read(n)``)."""
    stack: list = []  # open containers, outermost first
    keys: list = []   # for each open object: the key waiting for its value
    element = 0       # elements of the top-level array seen so far (when it is one)
    top = None
    events = ijson_python.basic_parse(stream, use_float=True)
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
                continue
            if event == "start_map":
                value = {}
            elif event == "start_array":
                value = []
            if stack:
                parent = stack[-1]
                if isinstance(parent, list):
                    if len(stack) == 1:
                        element += 1
                    if max_length is not None and len(parent) >= max_length:
                        where = "the array" if len(stack) == 1 else "an array"
                        raise JsonBoundsError(f"{where} has more than {max_length} elements; one request "
                                              f"takes at most {max_length}", element if len(stack) == 1 else 0)
                    parent.append(value)
                else:
                    parent[keys[-1]] = value
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
