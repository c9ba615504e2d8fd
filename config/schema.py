"""What drf-spectacular cannot see from the views, added to the OpenAPI schema (a
postprocessing hook): the answers the middleware, the authentication and the parsers give on
every operation, and list lengths that serializers enforce (``min_length``/``max_length``)."""

ERROR = {"$ref": "#/components/schemas/Error"}
ERROR_LIST = {"$ref": "#/components/schemas/ErrorList"}

COMMON = {
    "400": ("The request is invalid (a field, a query parameter or the body); `errors` lists each problem.",
            ERROR_LIST),
    "401": ("No valid credentials: send `Authorization: Token KEY` (or a session cookie).", ERROR),
    "405": ("The method is not allowed on this path (see the `Allow` header).", ERROR),
}
WITH_BODY = {
    "413": ("The body is larger than this endpoint takes (ANCHOR_MAX_UPLOAD_BYTES on uploads, "
            "ANCHOR_MAX_REQUEST_BYTES elsewhere).", ERROR_LIST),
    "415": ("The body's Content-Type is not one this endpoint reads.", ERROR),
}
# (component, property) -> constraints that the serializer enforces and spectacular omits
ARRAY_LIMITS = {("BatchInputRequest", "items"): {"minItems": 1, "maxItems": 100_000}}


def _json(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def add_error_responses(result, generator, request, public):
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            extra = dict(COMMON)
            if "requestBody" in operation:
                extra |= WITH_BODY
            for code, (description, schema) in extra.items():
                responses.setdefault(code, _json(description, schema))
    schemas = result.get("components", {}).get("schemas", {})
    for (component, field), limits in ARRAY_LIMITS.items():
        if field in schemas.get(component, {}).get("properties", {}):
            schemas[component]["properties"][field].update(limits)
    return result
