"""The article list and the article page with its annotation pane and review panel.

Every control is a plain form first; htmx requests get the page's own ``workspace`` block back.
"""
from __future__ import annotations

import json
from bisect import bisect_right
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl, urlsplit
from typing import Any

from flask import (Blueprint, Response, abort, current_app, make_response, redirect,
                   render_template, request, send_from_directory, url_for)
from flask_login import current_user, login_required
from jinja2_fragments.flask import render_block, render_blocks
from werkzeug.datastructures import MultiDict

from ..config import PROJECT_ROOT
from ..db import db
from ..extensions import htmx
from ..highlights import Span, render_highlighted
from ..models import STANCES, TAGS, User
from ..services import articles as articles_service
from ..services import assertions as assertions_service
from ..services import assignments as assignments_service
from ..services import undo as undo_service
from ..services import users as users_service
from ..services import verdicts as verdicts_service
from ..services.errors import Conflict, ValidationFailed
from ..services.policy import VERDICT_SCALE, project_access, require
from ..values import int_or_default, parse_int
from ..text import split_sentences

bp = Blueprint("articles", __name__)

# Browser libraries come from the npm lock file (node_modules), never from a CDN.
VENDOR_FILES = {
    "htmx.min.js": "htmx.org/dist/htmx.min.js",
    "axe.min.js": "axe-core/axe.min.js",
}
LIST_PAGE_SIZE = 50
CARD_PAGE_SIZE = 50
NO_SELECTION = ("Select a phrase in the article first, or tag a whole sentence from the list "
                "below.")


def me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def is_fragment_request() -> bool:
    return bool(htmx) and not htmx.boosted


@bp.route("/vendor/<name>")
def vendor(name: str) -> Response:
    if name not in VENDOR_FILES:
        abort(404)
    path = PROJECT_ROOT / "node_modules" / VENDOR_FILES[name]
    return send_from_directory(path.parent, path.name, max_age=3600)


# -- Article list -------------------------------------------------------------------------------

@bp.route("/")
@bp.route("/articles")
@login_required
def article_list():  # type: ignore[no-untyped-def]
    return render_list()


def render_list(status: int = 200, **extra: Any):  # type: ignore[no-untyped-def]
    """The list with the request's filters and order; a bad filter gets its message beside
    its field and no articles (articles filtered by less than asked would read as results)."""
    filters, errors = articles_service.parse_filters(request.args)
    order, order_errors = articles_service.parse_order(request.args)
    errors.update(order_errors)
    if errors:
        result = articles_service.ArticlePage([], None)
        status = 422 if status < 400 else status
    else:
        result = articles_service.list_articles(db.session, me(), filters=filters, order=order,
                                                limit=LIST_PAGE_SIZE)
    # The filters as given, to fill the form and carry into links (sort headers, pages).
    form = {name: request.args.get(name, "").strip()
            for name in (*articles_service.FILTER_PARAMETERS, "sort", "order")}
    query = {name: value for name, value in form.items()
             if value and name in articles_service.FILTER_PARAMETERS}
    sorted_query = dict(query)
    if (order.sort, order.direction) != articles_service.DEFAULT_LIST_SORT:
        sorted_query.update(sort=order.sort, order=order.direction)
    can_assign = project_access(me()).can_assign
    context = {"page": result, "form": form, "errors": errors, "query": query,
               "sorted_query": sorted_query, "order": order, "paged": order.after is not None,
               "tags": TAGS, "statuses": articles_service.LIST_STATUSES,
               "reviewers": (users_service.active_reviewer_names(db.session)
                             if can_assign else []),
               "bulk_errors": {}, "bulk_form": {}, "bulk_done": None, "fragment": False}
    context.update(extra)
    context["rows"] = list_rows(result.items, sees_all=project_access(me()).can_see_all_articles,
                                picked=set(context["bulk_form"].get("articles", [])))
    if is_fragment_request() and request.method == "GET":
        context["fragment"] = True
        return render_block("articles/list.html", "results", **context), status
    return render_template("articles/list.html", **context), status


@dataclass(frozen=True, slots=True)
class ListRow:
    """One row of the article list, its values drawn as the template shows them: the template
    only places them (a page of 50 rows otherwise spent most of its time in per-row expressions)."""
    id: int
    href: str
    title: str
    picked: bool
    source: str | None  # the publisher, else the source URL shortened; None: a dash
    published: str | None  # ISO date
    language: str | None
    added: str  # ISO timestamp (datetime attribute)
    added_day: str
    counts_label: str  # "2 sourced, 0 unsourced, 1 opinion"
    counts: list[tuple[str, int]]  # (tag, count) in TAGS order
    bar: list[tuple[str, int]]  # (tag, width in twentieths) of the tags present
    reviewed: str  # "annotated of assigned", for those who see all articles
    done: bool  # every assigned reviewer has annotated
    status: str  # the viewer's own assignment status, for those who do not


def list_rows(items: list[articles_service.ArticleSummary], *, sees_all: bool,
              picked: set[str]) -> list[ListRow]:
    # One url_for for the page: every row's link differs only by the id at its end.
    detail = url_for("articles.article_detail", article_id=0).removesuffix("0")
    truncate = current_app.jinja_env.filters["truncate"]
    rows = []
    for a in items:
        counts = [(tag, a.tag_counts[tag]) for tag in TAGS]
        total = sum(a.tag_counts.values())
        rows.append(ListRow(
            id=a.id, href=f"{detail}{a.id}", title=a.title, picked=str(a.id) in picked,
            source=a.publisher or (truncate(current_app.jinja_env, a.source_url, 40)
                                   if a.source_url else None),
            published=a.published_at.isoformat() if a.published_at else None,
            language=a.language or None, added=a.created_at.isoformat(),
            added_day=a.created_at.strftime("%Y-%m-%d"),
            counts_label=", ".join(f"{n} {tag}" for tag, n in counts),
            counts=counts,
            # Jinja's round is Python's (half to even): the widths the template drew before.
            bar=[(tag, int(round(n * 20 / total))) for tag, n in counts if n] if total else [],
            reviewed=f"{a.reviewers} of {a.assigned}" if sees_all else "",
            done=bool(a.assigned) and a.reviewers == a.assigned,
            status=(a.assignment_status or "") if not sees_all else ""))
    return rows


# -- Article page -------------------------------------------------------------------------------

def workspace_context(article_id: int, focus: str | None = None,
                      undo: tuple[str, int] | None = None, **extra: Any) -> dict[str, Any]:
    """Everything the article page shows to the current user; ``undo`` names a delete of
    theirs to offer Undo for (``("assertion", id)``), shown only while it can be undone."""
    user = me()
    article, access = articles_service.get_article_for(db.session, user, article_id)
    deleted = undo_service.undoable(db.session, user, *undo) if undo else None
    # The text, the counts and the filters need every visible assertion, but only a little of
    # each; quotes, notes and evidence are read for the page of cards shown (a thousand
    # assertions would otherwise be read in full for fifty cards).
    everyone = assertions_service.mark_views(db.session, access, article_id)
    view = card_view(everyone)
    assertions = view.marked(everyone)
    # With several reviewers' work in the text, each highlight starts with its reviewer's number.
    numbers = ({name: n for n, name in enumerate(view.reviewers, start=1)}
               if len(view.reviewers) > 1 and not view.marked_reviewer else {})
    spans = [Span(a.id, a.start, a.end, a.tag, f"{a.tag} · {a.reviewer}",
                  numbers.get(a.reviewer, 0)) for a in assertions]
    carded = view.carded(assertions)
    cards = card_page(carded, focus)
    shown = {a.id: a for a in assertions_service.assertion_views(
        db.session, access, article_id, ids=[a.id for a in cards.items])}
    # One deleted between the two reads is left out.
    cards = replace(cards, items=[shown[a.id] for a in cards.items if a.id in shown])
    sentences = split_sentences(article.body) if access.can_annotate else []
    context: dict[str, Any] = {
        "article": article,
        "access": access,
        "assertions": assertions,
        "cards": cards,
        "card_order": [a.id for a in carded],
        "view": view,
        "reviewer_numbers": numbers,
        "summary": tag_summary(assertions) if access.can_assign else [],
        "body_html": render_highlighted(article.body, spans),
        # htmx swaps keep the sentence list already on the page (hx-preserve): it never changes;
        # which sentences carry the viewer's own assertions does, so that is sent every time.
        "keep_sentences": is_fragment_request(),
        "sentences": sentences if not is_fragment_request() else [],
        "sentence_tags": sentence_tags(sentences, [a for a in everyone
                                                   if a.reviewer_id == user.id]),
        "tags": TAGS,
        "stances": STANCES,
        "assignments": (assignments_service.assignments_for_article(db.session, article_id)
                        if access.can_assign else []),
        "reviewers": (users_service.active_reviewer_names(db.session)
                      if access.can_assign else []),
        "new_errors": {},
        "card_errors": {},
        "card_forms": {},
        "conflicts": {},
        "duplicate_of": None,
        "confirm_submit": None,
        "undo": deleted if deleted and deleted.article_id == article_id else None,
        "undo_error": None,
        "focus": focus,
        "panel_errors": {},
        # The verdict beside the text: supervisors write it, reviewers read it once published.
        "verdict": verdicts_service.verdict_for(db.session, user, article_id),
        "verdict_scale": (verdicts_service.scale(db.session, VERDICT_SCALE)
                          if access.can_write_verdict else []),
        "verdict_errors": {},
        "verdict_form": {},
        "metadata_values": articles_service.metadata_dict(article),
        "metadata_version": articles_service.metadata_version(article),
        "metadata_errors": {},
        "metadata_form": None,
        "metadata_saved": False,
        "CARD_PAGE_SIZE": CARD_PAGE_SIZE,
        "EVIDENCE_FILTERS": EVIDENCE_FILTERS,
        "oob": False,  # the page's blocks rendered as out-of-band swaps (render_saved)
    }
    context.update(extra)
    return context


EVIDENCE_FILTERS = {"": "Any", "with": "With evidence", "without": "Without evidence"}


@dataclass(frozen=True, slots=True)
class CardView:
    """What the page shows: everyone's work or one reviewer's (marks and cards alike), and
    cards of one tag, with or without evidence. A bad value shows its message beside the field
    and no cards."""

    reviewer: str
    tag: str
    evidence: str
    reviewers: list[str]  # whose work the viewer sees here, for the choice
    errors: dict[str, str]

    @property
    def args(self) -> dict[str, str]:
        """The filters to carry in links (the cards' pager)."""
        return {k: v for k, v in (("reviewer", self.reviewer), ("tag", self.tag),
                                  ("evidence", self.evidence)) if v and k not in self.errors}

    @property
    def marked_reviewer(self) -> str:
        """The one reviewer whose work the text shows, or "" for everyone's."""
        return "" if "reviewer" in self.errors else self.reviewer

    def marked(self, assertions: list[assertions_service.MarkView]
               ) -> list[assertions_service.MarkView]:
        if not self.marked_reviewer:
            return assertions
        return [a for a in assertions if a.reviewer == self.marked_reviewer]

    def carded(self, assertions: list[assertions_service.MarkView]
               ) -> list[assertions_service.MarkView]:
        if self.errors:
            return []
        return [a for a in assertions if (not self.tag or a.tag == self.tag) and (
            not self.evidence or bool(a.evidence_count) == (self.evidence == "with"))]


def card_view(assertions: list[assertions_service.MarkView]) -> CardView:
    """The view filters of the page's own address; a save through htmx keeps those of the page
    it was made on (``HX-Current-URL``)."""
    args = request.args
    if is_fragment_request() and request.method != "GET":
        args = MultiDict(parse_qsl(urlsplit(request.headers.get("HX-Current-URL", "")).query))
    reviewer, tag, evidence = (args.get(k, "").strip() for k in ("reviewer", "tag", "evidence"))
    reviewers = sorted({a.reviewer for a in assertions})
    errors = {}
    if reviewer and reviewer not in reviewers:
        errors["reviewer"] = "No work of a reviewer by that name is shown here."
    if tag and tag not in TAGS:
        errors["tag"] = f"Choose one of: {', '.join(TAGS)}."
    if evidence not in EVIDENCE_FILTERS:
        errors["evidence"] = "Choose with or without evidence."
    return CardView(reviewer, tag, evidence, reviewers, errors)


def sentence_tags(sentences: list[Any], own: list[assertions_service.MarkView]
                  ) -> dict[int, list[str]]:
    """Sentence number (from 1) → the tags of the viewer's own assertions overlapping it.

    Sentences come in text order and do not overlap, so each assertion finds its first
    sentence by bisection: this runs on every htmx save, for reviews of hundreds of spans."""
    ends = [sentence.end for sentence in sentences]
    found: dict[int, set[str]] = {}
    for a in own:
        index = bisect_right(ends, a.start)  # the first sentence ending after the span starts
        while index < len(sentences) and sentences[index].start < a.end:
            found.setdefault(index + 1, set()).add(a.tag)
            index += 1
    return {number: [t for t in TAGS if t in found[number]] for number in sorted(found)}


@dataclass(frozen=True, slots=True)
class CardPage:
    """The slice of cards the pane shows: a long review is paged so the page stays light."""

    items: list[Any]  # MarkViews while paging, then the AssertionViews shown
    number: int
    pages: int
    first: int
    total: int  # cards in all pages


def card_pages(cards: int) -> int:
    """How many pages ``cards`` cards fill (one at least, empty)."""
    return max(1, -(-cards // CARD_PAGE_SIZE))


def card_page(assertions: list[assertions_service.MarkView], focus: str | None) -> CardPage:
    """The requested page of cards (``?cards=N``), or the one holding the focused assertion."""
    pages = card_pages(len(assertions))
    number = min(int_or_default(request.args.get("cards"), 1, minimum=1) or 1, pages)
    wanted = (int_or_default(focus.removeprefix("assertion-"), None, minimum=1)
              if focus and focus.startswith("assertion-") else None)
    if wanted is not None:
        index = next((i for i, a in enumerate(assertions) if a.id == wanted), None)
        if index is not None:
            number = index // CARD_PAGE_SIZE + 1
    first = (number - 1) * CARD_PAGE_SIZE
    return CardPage(assertions[first:first + CARD_PAGE_SIZE], number, pages, first,
                    len(assertions))


def tag_summary(assertions: list[assertions_service.MarkView]) -> list[dict[str, Any]]:
    """Per reviewer: how many assertions of each tag (the supervisor's at-a-glance chart)."""
    counts: dict[str, dict[str, int]] = {}
    for a in assertions:
        counts.setdefault(a.reviewer, dict.fromkeys(TAGS, 0))[a.tag] += 1
    widest = max((sum(c.values()) for c in counts.values()), default=1)
    return [{"reviewer": name, "counts": c, "total": sum(c.values()),
             "widths": {t: round(n * 20 / widest) for t, n in c.items()}}
            for name, c in sorted(counts.items())]


def render_workspace(article_id: int, status: int = 200, **extra: Any):  # type: ignore[no-untyped-def]
    return respond_workspace(workspace_context(article_id, **extra), status)


def respond_workspace(context: dict[str, Any], status: int = 200):  # type: ignore[no-untyped-def]
    if status == 200 and context["view"].errors:
        status = 422
    if is_fragment_request():
        return render_block("articles/detail.html", "workspace", **context), status
    return render_template("articles/detail.html", **context), status


def after_change(article_id: int, focus: str | None = None,  # type: ignore[no-untyped-def]
                 undo: tuple[str, int] | None = None):
    """htmx gets the refreshed workspace; a plain form post is redirected (post/redirect/get).
    After a delete (``undo``), the page offers its Undo and focus goes there."""
    if undo:
        focus = "undo"
    if is_fragment_request():
        # The change is complete: a failure while rendering no longer concerns it.
        db.finish_writes()
        return render_workspace(article_id, focus=focus, undo=undo)
    if undo:
        return redirect(url_for("articles.article_detail", article_id=article_id,
                                undo=f"{undo[0]}-{undo[1]}") + "#undo")
    if focus and focus.startswith("assertion-"):
        return redirect(url_for("articles.article_detail", article_id=article_id,
                                focus=focus.removeprefix("assertion-")) + f"#{focus}")
    anchor = f"#{focus}" if focus else ""
    return redirect(url_for("articles.article_detail", article_id=article_id) + anchor)


@bp.route("/articles/<int:article_id>")
@login_required
def article_detail(article_id: int):  # type: ignore[no-untyped-def]
    focus = int_or_default(request.args.get("focus"), None, minimum=1)
    kind, _, undo_id = request.args.get("undo", "").partition("-")
    undo_target = int_or_default(undo_id, None, minimum=1)
    undo = ((kind, undo_target) if kind in (undo_service.ASSERTION, undo_service.EVIDENCE)
            and undo_target is not None else None)
    return render_workspace(article_id, focus=None if focus is None else f"assertion-{focus}",
                            undo=undo)


def form_int(name: str, missing: str | None = None) -> int:
    """A whole-number form field; the message goes beside the field."""
    value = request.form.get(name, "")
    if not value.strip(" \t"):
        raise ValidationFailed(missing or f"{name} is required.", name)
    return parse_int(value, name)


@bp.route("/articles/<int:article_id>/assertions", methods=["POST"])
@login_required
def create_assertion(article_id: int):  # type: ignore[no-untyped-def]
    try:
        record = assertions_service.create_assertion(
            db.session, me(), article_id, start=form_int("start", NO_SELECTION),
            end=form_int("end", NO_SELECTION),
            quote=request.form.get("quote", ""), tag=request.form.get("tag", ""),
            note=request.form.get("note", ""))
    except ValidationFailed as error:
        return render_workspace(article_id, 422, new_errors={error.field or "form": error.message})
    except Conflict as error:  # the same span and tag saved before: point at that card
        twin = error.current["id"]
        return render_workspace(article_id, 409, focus=f"assertion-{twin}",
                                new_errors={"form": error.message}, duplicate_of=twin)
    if is_fragment_request():
        db.finish_writes()  # the change is complete: a failure while rendering no longer concerns it
        return render_saved(article_id, record["id"])
    return after_change(article_id, focus=f"assertion-{record['id']}")


SAVED_BLOCKS = ("article_body", "assertion_count", "cards_title")
SAVED_BLOCKS_OF_AN_ANNOTATOR = ("tagbar", "sentence_state")


def render_saved(article_id: int, assertion_id: int):  # type: ignore[no-untyped-def]
    """An htmx save answers with what it changed, as out-of-band swaps of the page's own blocks:
    the marks of the text, the counts, the tag bar emptied, which sentences carry the viewer's
    work, and the new card among the cards shown. When a save changes more than that (the
    viewer's first work shown, a card on another page or left out by the filters, a new page
    of cards), it answers with the whole workspace, as every other change does."""
    focus = f"assertion-{assertion_id}"
    context = workspace_context(article_id, focus=focus)
    place = _new_card_place(context, assertion_id)
    if place is None or context["view"].errors:
        return respond_workspace(context)
    where, pushed_off = place
    context["oob"] = True
    blocks = SAVED_BLOCKS + (SAVED_BLOCKS_OF_AN_ANNOTATOR if context["access"].can_annotate
                             else ())
    card = next(a for a in context["cards"].items if a.id == assertion_id)
    html = (render_blocks("articles/detail.html", list(blocks), **context)
            + f'<div hx-swap-oob="{where}">'
            + render_template("articles/_assertion_card.html", **{**context, "a": card})
            + "</div>")
    if pushed_off is not None:
        html += f'<div id="assertion-{pushed_off}" hx-swap-oob="delete"></div>'
    response = make_response(html)
    response.headers["HX-Reswap"] = "none"
    response.headers["HX-Trigger-After-Swap"] = json.dumps({"workbench:focus": focus})
    return response


def _new_card_place(context: dict[str, Any], assertion_id: int) -> tuple[str, int | None] | None:
    """Where the new card goes among the cards the page shows (an htmx swap position next to
    a neighbour) and the card it pushes off a full page; None when the page changes more."""
    cards, order = context["cards"], context["card_order"]
    ids = [a.id for a in cards.items]
    if assertion_id not in ids or len(ids) < 2 or context["summary"]:
        return None
    # The page of cards the viewer is on (?cards=N of the page's address) must be the new one's.
    shown_page = int_or_default(dict(parse_qsl(urlsplit(
        request.headers.get("HX-Current-URL", "")).query)).get("cards"), 1, minimum=1)
    before = len(order) - 1
    if cards.number != shown_page or card_pages(before) != cards.pages:
        return None
    new = next(a for a in cards.items if a.id == assertion_id)
    if not any(a.reviewer_id == new.reviewer_id and a.id != assertion_id
               for a in context["assertions"]):
        return None  # the viewer's first work here: the legends and filters change as well
    index = ids.index(assertion_id)
    where = (f"beforebegin:#assertion-{ids[index + 1]}" if index + 1 < len(ids)
             else f"afterend:#assertion-{ids[index - 1]}")
    end = cards.first + CARD_PAGE_SIZE
    pushed_off = order[end] if before >= end else None
    return where, pushed_off


def _edit_fields() -> dict[str, str]:
    return {"tag": request.form.get("tag", ""), "note": request.form.get("note", ""),
            "version": request.form.get("version", "")}


@bp.route("/assertions/<int:assertion_id>/edit", methods=["POST"])
@login_required
def update_assertion(assertion_id: int):  # type: ignore[no-untyped-def]
    assertion, _ = assertions_service.get_assertion_for(db.session, me(), assertion_id)
    article_id = assertion.article_id
    submitted = _edit_fields()
    try:
        assertions_service.update_assertion(
            db.session, me(), assertion_id, version=form_int("version"),
            tag=submitted["tag"], note=submitted["note"])
    except Conflict as error:
        return render_workspace(article_id, 409, focus=f"assertion-{assertion_id}",
                                conflicts={assertion_id: {"current": error.current,
                                                          "yours": submitted}})
    except ValidationFailed as error:
        return render_workspace(article_id, 422, focus=f"assertion-{assertion_id}",
                                card_errors={assertion_id: {error.field: error.message}})
    return after_change(article_id, focus=f"assertion-{assertion_id}")


@bp.route("/assertions/<int:assertion_id>/delete", methods=["POST"])
@login_required
def delete_assertion(assertion_id: int):  # type: ignore[no-untyped-def]
    article_id = assertions_service.delete_assertion(db.session, me(), assertion_id)
    return after_change(article_id, undo=(undo_service.ASSERTION, assertion_id))


def _refused_undo(error: Conflict):  # type: ignore[no-untyped-def]
    """An Undo that came too late, twice, or over a twin saved meanwhile: say so by the Undo."""
    current = error.current
    return render_workspace(current["article_id"], 409, focus="undo", undo_error={
        "message": error.message,
        "assertion": current["assertion_id"] if error.code in ("duplicate", "restored")
        else None})


@bp.route("/assertions/<int:assertion_id>/restore", methods=["POST"])
@login_required
def restore_assertion(assertion_id: int):  # type: ignore[no-untyped-def]
    try:
        record = undo_service.restore_assertion(db.session, me(), assertion_id)
    except Conflict as error:
        return _refused_undo(error)
    return after_change(record["article_id"], focus=f"assertion-{assertion_id}")


@bp.route("/assertions/<int:assertion_id>/evidence", methods=["POST"])
@login_required
def add_evidence(assertion_id: int):  # type: ignore[no-untyped-def]
    assertion, _ = assertions_service.get_assertion_for(db.session, me(), assertion_id)
    fields = {name: request.form.get(name, "") for name in ("url", "title", "note", "stance")}
    fields["stance"] = fields["stance"] or "context"
    try:
        assertions_service.add_evidence(db.session, me(), assertion_id,
                                        assertions_service.EvidenceInput(**fields))
    except ValidationFailed as error:
        return render_workspace(assertion.article_id, 422, focus=f"assertion-{assertion_id}",
                                card_errors={assertion_id: {f"evidence_{error.field}":
                                                            error.message}},
                                card_forms={assertion_id: fields})
    return after_change(assertion.article_id, focus=f"assertion-{assertion_id}")


@bp.route("/evidence/<int:evidence_id>/delete", methods=["POST"])
@login_required
def delete_evidence(evidence_id: int):  # type: ignore[no-untyped-def]
    assertion = assertions_service.delete_evidence(db.session, me(), evidence_id)
    return after_change(assertion.article_id, undo=(undo_service.EVIDENCE, evidence_id))


@bp.route("/evidence/<int:evidence_id>/restore", methods=["POST"])
@login_required
def restore_evidence(evidence_id: int):  # type: ignore[no-untyped-def]
    try:
        assertion, _ = undo_service.restore_evidence(db.session, me(), evidence_id)
    except Conflict as error:
        return _refused_undo(error)
    return after_change(assertion.article_id, focus=f"assertion-{assertion.id}")


@bp.route("/articles/<int:article_id>/metadata", methods=["POST"])
@login_required
def edit_metadata(article_id: int):  # type: ignore[no-untyped-def]
    """The details form: a message beside the field and nothing written when a value is bad;
    the current values when someone changed them meanwhile (the version is stale)."""
    fields = {name: request.form.get(name, "") for name in articles_service.METADATA_FIELDS}
    try:
        articles_service.update_metadata(db.session, me(), article_id,
                                         version=request.form.get("version", ""), **fields)
    except ValidationFailed as error:
        return render_workspace(article_id, 422, focus="article-details", metadata_form=fields,
                                metadata_errors={error.field or "form": error.message})
    except Conflict as error:
        return render_workspace(article_id, 409, focus="article-details",
                                metadata_errors={"form": error.message})
    if is_fragment_request():
        db.finish_writes()
        return render_workspace(article_id, focus="article-details", metadata_saved=True)
    return after_change(article_id, focus="article-details")


@bp.route("/articles/<int:article_id>/assignments", methods=["POST"])
@login_required
def assign_reviewer(article_id: int):  # type: ignore[no-untyped-def]
    _, access = articles_service.get_article_for(db.session, me(), article_id)
    require(access, "can_assign")
    try:
        assignments_service.assign(db.session, me(), article_id, request.form.get("reviewer", ""))
    except (ValidationFailed, Conflict) as error:
        return render_workspace(article_id, error.status, panel_errors={"reviewer": error.message})
    return after_change(article_id, focus="review-panel")


def _change_assignment(article_id: int, reviewer: str, change):  # type: ignore[no-untyped-def]
    """Unassign or reopen from the review panel; the reason's error goes beside its field."""
    _, access = articles_service.get_article_for(db.session, me(), article_id)
    require(access, "can_assign")
    try:
        change(db.session, me(), article_id, reviewer, request.form.get("reason", ""))
    except (ValidationFailed, Conflict) as error:
        return render_workspace(article_id, error.status,
                                panel_errors={f"reason-{reviewer}": error.message})
    return after_change(article_id, focus="review-panel")


@bp.route("/articles/<int:article_id>/assignments/<reviewer>/unassign", methods=["POST"])
@login_required
def unassign_reviewer(article_id: int, reviewer: str):  # type: ignore[no-untyped-def]
    return _change_assignment(article_id, reviewer, assignments_service.unassign)


@bp.route("/articles/<int:article_id>/assignments/<reviewer>/reopen", methods=["POST"])
@login_required
def reopen_review(article_id: int, reviewer: str):  # type: ignore[no-untyped-def]
    return _change_assignment(article_id, reviewer, assignments_service.reopen)


@bp.route("/articles/<int:article_id>/submit", methods=["POST"])
@login_required
def submit_article(article_id: int):  # type: ignore[no-untyped-def]
    """Submit in two steps: the first post asks, saying how many assertions will be frozen; the
    second (``confirm=yes`` and the count the reviewer saw) submits. If the count changed in
    between (another tab), the question is asked again with the new count."""
    _, access = articles_service.get_article_for(db.session, me(), article_id)
    mine = len(assertions_service.mark_views(db.session, access, article_id))
    seen = int_or_default(request.form.get("count"), None, minimum=0)
    if request.form.get("confirm") != "yes" or seen != mine:
        return render_workspace(article_id, 200, focus="submit-review",
                                confirm_submit={"count": mine, "changed": seen is not None
                                                and request.form.get("confirm") == "yes"})
    try:
        assignments_service.submit(db.session, me(), article_id)
    except Conflict as error:
        return render_workspace(article_id, 409, panel_errors={"submit": error.message})
    return after_change(article_id, focus="review-panel")
