"""Supervision and administration pages: the audit trail, users, API tokens and settings."""
from __future__ import annotations

import json
from collections.abc import Iterator

from flask import Blueprint, Response, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user, login_required

from ..csv_safe import csv_lines
from ..db import db
from ..models import ROLES, User
from ..services import audit as audit_service
from ..services import settings as settings_service
from ..services import users as users_service
from ..services.policy import REVEAL_AFTER_SUBMIT
from ..services.errors import Conflict, ValidationFailed
from ..values import int_or_default
from .guards import requires
from .pages import is_fragment_request

bp = Blueprint("admin", __name__)

AUDIT_PAGE_SIZE = 50
CSV_COLUMNS = ["id", "at", "actor", "action", "entity_type", "entity_id", "article_id",
               "before", "after"]


def me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


# -- Audit trail --------------------------------------------------------------------------------

@bp.route("/audit")
@requires("can_read_audit")
def audit_log():  # type: ignore[no-untyped-def]
    errors: dict[str, str] = {}
    try:
        filters = audit_service.parse_filter(request.args)
    except ValidationFailed as error:
        errors[error.field or "form"] = error.message
        filters = audit_service.AuditFilter()
    events, next_cursor = audit_service.list_events(
        db.session, filters, before_id=int_or_default(request.args.get("before"), None,
                                                      minimum=1),
        limit=AUDIT_PAGE_SIZE)
    context = {"events": events, "next_cursor": next_cursor, "filters": request.args,
               "errors": errors, "actions": audit_service.action_names(db.session),
               "users": [u.username for u in users_service.list_users(db.session)],
               "query": {k: v for k, v in request.args.items() if k != "before" and v}}
    status = 422 if errors else 200
    if is_fragment_request():
        from jinja2_fragments.flask import render_block

        return render_block("admin/audit.html", "events", **context), status
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

    return Response(stream_with_context(csv_lines(CSV_COLUMNS, rows())), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=audit.csv"})


@bp.route("/audit/export.jsonl")
@requires("can_read_audit")
def audit_export_jsonl() -> Response:
    filters = _export_filters()

    def lines() -> Iterator[str]:
        for event in audit_service.iter_events(db.session, filters):
            yield json.dumps(audit_service.event_dict(event), ensure_ascii=False) + "\n"

    return Response(stream_with_context(lines()), mimetype="application/jsonl",
                    headers={"Content-Disposition": "attachment; filename=audit.jsonl"})


# -- Users (admin) ------------------------------------------------------------------------------

@bp.route("/admin/users", methods=["GET", "POST"])
@requires("can_manage_users")
def users():  # type: ignore[no-untyped-def]
    errors: dict[str, str] = {}
    created: tuple[str, str] | None = None
    form = {"username": "", "role": "reviewer"}
    status = 200
    if request.method == "POST":
        form = {"username": request.form.get("username", "").strip(),
                "role": request.form.get("role", "")}
        password = users_service.generate_password()
        try:
            users_service.create_user(db.session, form["username"], form["role"], password,
                                      actor=me())
            created = (form["username"], password)
            form = {"username": "", "role": "reviewer"}
        except (ValidationFailed, Conflict) as error:
            errors[error.field or "username"] = error.message
            status = error.status
    return render_template("admin/users.html", users=users_service.list_users(db.session),
                           roles=ROLES, errors=errors, form=form, created=created), status


@bp.route("/admin/users/<int:user_id>/active", methods=["POST"])
@requires("can_manage_users")
def set_user_active(user_id: int):  # type: ignore[no-untyped-def]
    users_service.set_active(db.session, me(), user_id, request.form.get("active") == "1")
    return redirect(url_for("admin.users"))


# -- API tokens (own; an admin sees all) --------------------------------------------------------

@bp.route("/tokens", methods=["GET", "POST"])
@login_required
def tokens():  # type: ignore[no-untyped-def]
    created_secret = None
    if request.method == "POST":
        _, created_secret = users_service.create_token(
            db.session, me(), request.form.get("label", "").strip(), actor=me())
    return render_template("admin/tokens.html",
                           tokens=users_service.tokens_visible_to(db.session, me()),
                           created_secret=created_secret)


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):  # type: ignore[no-untyped-def]
    token = users_service.get_token_for(db.session, me(), token_id)
    users_service.revoke_token(db.session, token, actor=me())
    return redirect(url_for("admin.tokens"))


# -- Settings (admin) ---------------------------------------------------------------------------

@bp.route("/admin/settings", methods=["GET", "POST"])
@requires("can_manage_settings")
def settings():  # type: ignore[no-untyped-def]
    saved = False
    if request.method == "POST":
        settings_service.set_setting(db.session, me(), REVEAL_AFTER_SUBMIT,
                                     request.form.get(REVEAL_AFTER_SUBMIT) == "on")
        saved = True
    return render_template("admin/settings.html",
                           settings=settings_service.all_settings(db.session), saved=saved)
