"""The adjudication page: the reviewers' assertions beside the article's consensus set."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..db import db
from ..models import TAGS, User
from ..services import consensus as consensus_service
from ..services.errors import Conflict, ValidationFailed
from ..values import parse_int, parse_optional_int

bp = Blueprint("consensus", __name__)


def me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def render_page(article_id: int, status: int = 200, **extra: Any):  # type: ignore[no-untyped-def]
    current = consensus_service.state(db.session, me(), article_id)
    context = {"state": current, "tags": TAGS, "errors": {}, "form": {}, "done": None}
    context.update(extra)
    return render_template("consensus/article.html", **context), status


@bp.route("/articles/<int:article_id>/consensus")
@login_required
def consensus_page(article_id: int):  # type: ignore[no-untyped-def]
    return render_page(article_id)


@bp.route("/articles/<int:article_id>/consensus", methods=["POST"])
@login_required
def decide(article_id: int):  # type: ignore[no-untyped-def]
    """Every decision form posts here; ``form_id`` says which form, for the error beside it."""
    consensus_service.article_for_adjudication(db.session, me(), article_id)  # 404 first
    form = request.form
    form_id = form.get("form_id", "decision")
    try:
        decision = consensus_service.apply(
            db.session, me(), article_id, form.get("action", ""), reason=form.get("reason", ""),
            assertions=[parse_int(v, "assertions", minimum=1)
                        for v in form.getlist("assertion")],
            start=parse_optional_int(form.get("start"), "start"),
            end=parse_optional_int(form.get("end"), "end"),
            quote=form.get("quote") if "quote" in form else None,
            tag=form.get("tag") or None, note=form.get("note") if "note" in form else None,
            version=parse_optional_int(form.get("version"), "version", minimum=1))
    except (ValidationFailed, Conflict) as error:
        return render_page(article_id, error.status, errors={form_id: error.message},
                           form={form_id: dict(form)})
    db.finish_writes()
    return redirect(url_for("consensus.consensus_page", article_id=article_id,
                            done=decision.version) + "#history")
