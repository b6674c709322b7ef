"""The refusals every API operation can answer, documented once.

Views document the answers that are theirs (201, 409 ``no_task_left``, ...). The refusals
that come from the shared machinery — validation, authentication, permissions, throttles,
body limits, an unreachable database — can reach almost every operation, so this
drf-spectacular postprocessing hook adds them to each operation the machinery applies to,
all with the one error body (``Error``: ``{code, detail}``). The schemathesis tests
(tests/test_api_schema.py) hold the schema to what the API really answers.
"""

from __future__ import annotations

from typing import Any

ERROR = {"$ref": "#/components/schemas/Error"}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer"},
    }
}

# status: (description, extra response headers)
REFUSALS: dict[str, tuple[str, dict[str, Any]]] = {
    "400": ("The request is not valid; `code` says why, `errors` names the fields.", {}),
    "401": ("Not signed in: send `Authorization: Token <token>`.", {}),
    "403": (
        "Not allowed: not your object's role, a suspended account, your own case, a "
        "moderator without two-step sign-in (`mfa_required`), or a session request without "
        "its CSRF token.",
        {},
    ),
    "404": ("No such object for you, or no such page of results.", {}),
    "413": ("The request body is larger than the limit (`payload_too_large`).", {}),
    "415": ("The request body's content type is not one this operation reads.", {}),
    "429": ("Too many requests (`throttled`, `too_many_attempts`): wait and retry.", RETRY_AFTER),
    "503": ("Kaaj cannot serve this right now (`unavailable`): wait and retry.", RETRY_AFTER),
}


def _applicable(operation: dict[str, Any]) -> list[str]:
    parameters = operation.get("parameters", [])
    has_body = "requestBody" in operation
    has_query = any(parameter["in"] == "query" for parameter in parameters)
    has_path = any(parameter["in"] == "path" for parameter in parameters)
    paginated = any(parameter["name"] == "page" for parameter in parameters)
    security = operation.get("security")
    anonymous_allowed = not security or {} in security
    codes = ["429", "503"]
    if has_body or has_query:
        codes.append("400")
    if not anonymous_allowed:
        codes += ["401", "403"]
    if has_path or paginated:
        codes.append("404")
    if has_body:
        codes += ["413", "415"]
    return codes


def add_refusals(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: every operation lists the refusals it can get."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for code in _applicable(operation):
                description, headers = REFUSALS[code]
                response = responses.setdefault(
                    code,
                    {"content": {"application/json": {"schema": ERROR}}, "description": ""},
                )
                response["description"] = response.get("description") or description
                if headers:
                    response.setdefault("headers", {}).update(headers)
            operation["responses"] = dict(sorted(responses.items()))
    return result
