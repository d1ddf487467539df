"""Adding an article from the browser: paste title and text, or upload a text, Markdown or
saved HTML file; preview the canonical text, then save."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from markupsafe import Markup

from ..db import db
from ..exchange.documents import Draft, UnreadableDocument, draft_from_upload
from ..services import articles as articles_service
from ..services.errors import Conflict, PayloadTooLarge, ValidationFailed
from ..text import canonicalize
from ..values import parse_date
from .articles import me
from .guards import requires

bp = Blueprint("new_article", __name__)
FIELDS = ("title", "body", "source_url", "publisher", "published_at", "language")


def _form_draft() -> dict[str, str]:
    return {name: request.form.get(name, "") for name in FIELDS}


def _from_upload(form: dict[str, str]) -> tuple[dict[str, str], str | None]:
    """The form filled from an uploaded file (fields the supervisor typed win)."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return form, None
    draft: Draft = draft_from_upload(upload.filename, upload.read())
    extracted = {"title": draft.title, "body": draft.body, "source_url": draft.source_url or "",
                 "publisher": draft.publisher or "",
                 "published_at": draft.published_at.isoformat() if draft.published_at else "",
                 "language": draft.language or ""}
    merged = {k: (form[k] if form[k].strip() and k != "body" else extracted[k]) for k in FIELDS}
    return merged, draft.author


@bp.route("/articles/new", methods=["GET", "POST"])
@requires("can_add_articles")
def new_article():  # type: ignore[no-untyped-def]
    form = _form_draft()
    errors: dict[str, Any] = {}
    author = None
    if request.method == "POST":
        try:
            form, author = _from_upload(form)
        except UnreadableDocument as error:
            errors["file"] = str(error)
        if not errors and request.form.get("action") == "save":
            try:
                article = articles_service.create_article(
                    db.session, actor=me(), title=form["title"], body=form["body"],
                    source_url=form["source_url"] or None, publisher=form["publisher"] or None,
                    published_at=parse_date(form["published_at"], "published_at"),
                    language=form["language"] or None)
            except Conflict as error:
                existing = url_for("articles.article_detail", article_id=error.current["id"])
                errors["body"] = Markup('This text is already stored: <a href="{}">open the '
                                        'article</a>.').format(existing)
            except (ValidationFailed, PayloadTooLarge) as error:
                errors[error.field or "body"] = error.message
            else:
                db.finish_writes()
                return redirect(url_for("articles.article_detail", article_id=article.id))
    preview = canonicalize(form["body"]) if form["body"].strip() else ""
    status = 422 if errors else 200
    if errors.get("body") and isinstance(errors["body"], Markup):
        status = 409
    return render_template("articles/new.html", form=form, errors=errors, preview=preview,
                           author=author), status
