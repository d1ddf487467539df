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


def render_tokens(**extra: object) -> str:
    context: dict[str, object] = {"tokens": users_service.tokens_visible_to(db.session, me()),
                                  "created_secret": None, "confirm_revoke": None}
    context.update(extra)
    return render_template("admin/tokens.html", **context)


@bp.route("/tokens", methods=["GET", "POST"])
@login_required
def tokens():  # type: ignore[no-untyped-def]
    created_secret = None
    if request.method == "POST":
        _, created_secret = users_service.create_token(
            db.session, me(), request.form.get("label", "").strip(), actor=me())
    return render_tokens(created_secret=created_secret)


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):  # type: ignore[no-untyped-def]
    """Revoke in two steps, as submitting a review does: the first post asks (naming the
    token, since a script using it stops working at once and it cannot be undone); the second
    (``confirm=yes``) revokes."""
    token = users_service.get_token_for(db.session, me(), token_id)
    if request.form.get("confirm") != "yes":
        return render_tokens(confirm_revoke=token.id)
    users_service.revoke_token(db.session, token, actor=me())
    return redirect(url_for("account.tokens"))
