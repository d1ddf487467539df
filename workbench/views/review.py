"""Work for many: the reviewer's queue, the supervisor's progress, and bulk assignment from
the article list."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import login_required

from ..db import db
from ..services import assignments as assignments_service
from ..services.errors import ValidationFailed
from ..services.policy import project_access
from ..values import parse_int
from .articles import me, render_list
from .guards import requires

bp = Blueprint("review", __name__)


@bp.route("/assignments", methods=["POST"])
@requires("can_assign")
def bulk_assign():  # type: ignore[no-untyped-def]
    """The list's bulk form: the ticked articles, each to k of the ticked reviewers."""
    form = {"articles": request.form.getlist("article"),
            "reviewers": request.form.getlist("reviewer"),
            "per_article": request.form.get("per_article", "1")}
    try:
        ids = [parse_int(raw, "articles", minimum=1) for raw in form["articles"]]
        made = assignments_service.assign_many(
            db.session, me(), ids, form["reviewers"],
            parse_int(form["per_article"], "per_article", minimum=1, maximum=1000))
    except ValidationFailed as error:
        return render_list(422, bulk_errors={error.field or "articles": error.message},
                           bulk_form=form)
    db.finish_writes()
    return render_list(bulk_done=len(made))


@bp.route("/queue")
@login_required
def review_queue():  # type: ignore[no-untyped-def]
    items = assignments_service.queue(db.session, me())
    project = project_access(me())
    return render_template(
        "review/queue.html", items=items, next_id=assignments_service.next_article(items),
        progress=(assignments_service.progress(db.session, me())
                  if project.can_assign else []))
