"""Export routes of the API: the project or one article, streamed (supervisors and admins)."""
from __future__ import annotations

from typing import Any

from flask import Response, request

from ..db import db
from ..exchange.doccano import UNITS
from ..services import exchange as exchange_service
from ..services.errors import NotFound, ValidationFailed
from ..services.policy import project_access, require
from ..streaming import streamed
from . import api
from .registry import api_route
from .routes import caller
from .schemas import ErrorOut

FORMAT_PARAMETER = {
    "name": "format", "in": "path", "required": True,
    "schema": {"type": "string", "enum": list(exchange_service.FORMATS)},
    "description": "jsonl (the project's own, to rebuild it), csv (one row per assertion), "
                   "w3c (Web Annotation collections), labelstudio (JSON tasks), doccano (JSONL)."}
EXPORT_QUERY = [
    FORMAT_PARAMETER,
    {"name": "unit", "in": "query", "required": False,
     "schema": {"type": "string", "enum": list(UNITS), "default": "utf16"},
     "description": "doccano only: offsets in UTF-16 units (doccano's default), code points, "
                    "or graphemes (a doccano project in grapheme mode)."},
]
EXPORT_RESPONSES: dict[int, tuple[str, Any]] = {
    200: ("The export, streamed: text/csv, application/json (labelstudio; w3c of one "
          "article as application/ld+json) or application/jsonl (one record per line)", None),
    401: ("Missing or invalid bearer token", ErrorOut),
    404: ("Unknown format or article, or not a supervisor", ErrorOut),
    422: ("Invalid unit", ErrorOut),
}


def _unit() -> str:
    unit = request.args.get("unit", "utf16")
    if unit not in UNITS:
        raise ValidationFailed(f"unit must be one of: {', '.join(UNITS)}.", "unit")
    return unit


def _export(fmt: str, article_id: int | None) -> Response:
    """Authorize, check the format and article, then stream the export as a download."""
    require(project_access(caller()), "can_export")
    if fmt not in exchange_service.FORMATS:
        raise NotFound(f"No export format named {fmt!r}.")
    chunks = exchange_service.export_lines(db.session, fmt, article_id=article_id, unit=_unit(),
                                           base_url=request.url_root.rstrip("/") + "/api/v1")
    described = exchange_service.export_file(fmt, article_id)
    response = Response(streamed(chunks), content_type=described.media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{described.filename}"'
    return response


@api_route(api, "/export/<format>", "GET", summary="Export the whole project (supervisor)",
           query=EXPORT_QUERY, responses=EXPORT_RESPONSES)
def export_project(format: str) -> Response:  # noqa: A002 - the path parameter's name
    return _export(format, None)


@api_route(api, "/articles/<int:article_id>/export/<format>", "GET",
           summary="Export one article with its assertions (supervisor)", query=EXPORT_QUERY,
           responses=EXPORT_RESPONSES)
def export_article(article_id: int, format: str) -> Response:  # noqa: A002
    return _export(format, article_id)
