"""The audit trail for supervisors: the filtered page and its CSV and JSONL exports."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, render_template, request

from ..csv_safe import csv_lines
from ..db import db
from ..services import audit as audit_service
from ..services import users as users_service
from ..services.errors import ValidationFailed
from ..streaming import streamed
from ..values import int_or_default
from .guards import requires
from .articles import is_fragment_request

bp = Blueprint("audit", __name__)

AUDIT_PAGE_SIZE = 50
CSV_COLUMNS = ["id", "at", "actor", "action", "entity_type", "entity_id", "article_id",
               "before", "after"]


@bp.route("/audit")
@requires("can_read_audit")
def audit_log():  # type: ignore[no-untyped-def]
    errors: dict[str, str] = {}
    events: list[Any] = []
    next_cursor = None
    try:
        filters = audit_service.parse_filter(request.args)
    except ValidationFailed as error:
        # The message beside the field and no events: unfiltered events would read as results.
        errors[error.field or "form"] = error.message
    else:
        events, next_cursor = audit_service.list_events(
            db.session, filters, before_id=int_or_default(request.args.get("before"), None,
                                                          minimum=1),
            limit=AUDIT_PAGE_SIZE)
    context = {"events": events, "next_cursor": next_cursor, "filters": request.args,
               "errors": errors, "describe": audit_service.describe, "actions": audit_service.action_names(db.session),
               "users": [u.username for u in users_service.list_users(db.session)],
               "query": {k: v for k, v in request.args.items() if k != "before" and v}}
    status = 422 if errors else 200
    if is_fragment_request():
        from jinja2_fragments.flask import render_block

        return render_block("admin/audit.html", "events", fragment=True, **context), status
    return render_template("admin/audit.html", **context), status


def _export_filters() -> audit_service.AuditFilter:
    return audit_service.parse_filter(request.args)


@bp.route("/audit/export.csv")
@requires("can_read_audit")
def audit_export_csv() -> Response:
    filters = _export_filters()

    def rows() -> Iterator[list[object]]:
        for event in audit_service.iter_events(db.session, filters):
            record = audit_service.event_dict(event)
            yield [json.dumps(record[c], ensure_ascii=False)
                   if c in ("before", "after") else record[c] for c in CSV_COLUMNS]

    return Response(streamed(csv_lines(CSV_COLUMNS, rows())), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=audit.csv"})


@bp.route("/audit/export.jsonl")
@requires("can_read_audit")
def audit_export_jsonl() -> Response:
    filters = _export_filters()

    def lines() -> Iterator[str]:
        for event in audit_service.iter_events(db.session, filters):
            yield json.dumps(audit_service.event_dict(event), ensure_ascii=False) + "\n"

    return Response(streamed(lines()), mimetype="application/jsonl",
                    headers={"Content-Disposition": "attachment; filename=audit.jsonl"})
