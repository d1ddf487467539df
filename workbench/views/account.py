"""A user's own account: their API tokens (an admin sees and revokes everyone's)."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..db import db
from ..models import User
from ..services import users as users_service

bp = Blueprint("account", __name__)


def me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


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
    return redirect(url_for("account.tokens"))
