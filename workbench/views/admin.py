"""Administration pages: users and project settings (admins only)."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from ..db import db
from ..models import ROLES, User
from ..services import settings as settings_service
from ..services import users as users_service
from ..services.errors import Conflict, ValidationFailed
from ..services.policy import (PUBLISHER_NAME, PUBLISHER_URL, RATING_SCALE, REVEAL_AFTER_SUBMIT,
                               SHOW_REVIEWER_NAMES, VERDICT_SCALE)
from .guards import requires

bp = Blueprint("admin", __name__)


def me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


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


# -- Settings (admin) ---------------------------------------------------------------------------

@bp.route("/admin/settings", methods=["GET", "POST"])
@requires("can_manage_settings")
def settings():  # type: ignore[no-untyped-def]
    saved = False
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        form = request.form
        # Checkboxes say "off" by their absence; a text field left out changes nothing.
        changes: dict[str, object] = {
            REVEAL_AFTER_SUBMIT: form.get(REVEAL_AFTER_SUBMIT) == "on",
            SHOW_REVIEWER_NAMES: form.get(SHOW_REVIEWER_NAMES) == "on"}
        for key in (PUBLISHER_NAME, PUBLISHER_URL):
            if key in form:
                changes[key] = form[key]
        for key in (VERDICT_SCALE, RATING_SCALE):  # one rating per line, best first
            if key in form:
                changes[key] = [line for line in form[key].splitlines() if line.strip()]
        with db.session.begin_nested() as savepoint:  # all the settings, or none of them
            for key, value in changes.items():
                try:
                    settings_service.set_setting(db.session, me(), key, value)
                except ValidationFailed as error:
                    errors[key] = error.message
            if errors:
                savepoint.rollback()
        saved = not errors
        status = 422 if errors else 200
    return render_template("admin/settings.html", errors=errors,
                           settings=settings_service.all_settings(db.session),
                           form=request.form if errors else None, saved=saved), status
