"""Errors a service raises; views turn them into 4xx responses, with nothing written."""
from __future__ import annotations

from typing import Any


class WorkbenchError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code

    def as_dict(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "field": self.field}}


class ValidationFailed(WorkbenchError):
    status = 422
    code = "invalid"


class Unauthorized(WorkbenchError):
    """No valid bearer token: unknown, revoked, or its user deactivated (the API's save checks
    the token in the same read as the span)."""

    status = 401
    code = "unauthorized"

    def __init__(self, message: str = "A valid bearer token is required.") -> None:
        super().__init__(message)


class NotFound(WorkbenchError):
    """Also raised for rows the caller may not see: they must not learn that the row exists."""

    status = 404
    code = "not_found"
    default_message = "Not found."

    def __init__(self, message: str = default_message) -> None:
        super().__init__(message)


class Forbidden(WorkbenchError):
    """For rows the caller may see but not change (a reviewer's own submitted work, say)."""

    status = 403
    code = "forbidden"


class Conflict(WorkbenchError):
    status = 409
    code = "conflict"

    def __init__(self, message: str, current: Any = None, field: str | None = None,
                 code: str | None = None) -> None:
        super().__init__(message, field=field, code=code)
        self.current = current


class PayloadTooLarge(WorkbenchError):
    status = 413
    code = "too_large"


class UnsupportedMediaType(WorkbenchError):
    """A request body in a format the route does not read (the API reads only JSON)."""

    status = 415
    code = "unsupported_media_type"
