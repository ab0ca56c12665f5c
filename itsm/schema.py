"""OpenAPI post-processing: the one error format on every operation; local times of day."""

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"type": "object", "additionalProperties": True},
            },
        }
    },
}

ERRORS = {
    "400": "Invalid input or a broken business rule",
    "401": "No or invalid credentials",
    "403": "Not allowed for this user",
    "404": "Not found",
    "409": "Not allowed in the current state, or conflicting data",
    "413": "Payload too large",
    "429": "Rate limit exceeded",
}


def add_error_responses(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for code, text in ERRORS.items():
                responses.setdefault(
                    code, {"description": text, "content": {"application/json": {"schema": ref}}}
                )
    return result


def local_times(result, generator, request, public):
    """Times of day are local ("09:00:00" in the rotation's zone), which OpenAPI's `time`
    (RFC 3339 full-time, with an offset) does not allow: call them RFC 3339 partial-time."""

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "string" and node.get("format") == "time":
                node["format"] = "partial-time"
                node.setdefault("pattern", r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(result)
    return result
