"""JSON errors of the API: ``{"error": {"code", "message", "field"}}``."""
from __future__ import annotations

from typing import Any

from flask import jsonify
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from ..services.errors import Conflict, ValidationFailed, WorkbenchError

HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 409: "conflict", 413: "too_large",
              415: "unsupported_media_type", 422: "invalid", 429: "rate_limited",
              503: "unavailable", 507: "disk_full"}


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "field": field}}


def json_error(error: WorkbenchError):  # type: ignore[no-untyped-def]
    body = error.as_dict()
    if isinstance(error, Conflict) and error.current is not None:
        body["current"] = error.current
    response = jsonify(body)
    response.status_code = error.status
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="workbench"'
    return response


def json_http_error(error: HTTPException):  # type: ignore[no-untyped-def]
    code = error.code or 500
    response = jsonify(error_body(HTTP_CODES.get(code, "error"), error.description or error.name))
    response.status_code = code
    if code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="workbench"'
    return response


def field_path(loc: tuple[Any, ...]) -> str:
    """Pydantic's location tuple as ``evidence[0].url``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def from_pydantic(error: ValidationError) -> ValidationFailed:
    first = error.errors(include_url=False)[0]
    field = field_path(first["loc"]) or None
    kind = first["type"]
    if kind == "missing":
        return ValidationFailed(f"{field} is required.", field, code="missing")
    if kind == "extra_forbidden":
        return ValidationFailed(
            f"Unknown field {field!r}. Ownership (reviewer, article) comes from the token and "
            "the URL, never from the body.", field, code="unknown_field")
    message = first["msg"]
    return ValidationFailed(f"{field}: {message}" if field else message, field)
