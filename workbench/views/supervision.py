"""The supervisor's agreement pages: the dashboard and an article's side-by-side view.

Load → authorize (``can_adjudicate``; 404 for everyone else) → call the supervision service → render.
The figures come from the same service functions as the API, so page and API agree. Charts are
plain SVG drawn by the templates from the coordinates computed here, with the numbers in tables
beside them.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required
from markupsafe import Markup, escape

from ..db import db
from ..models import TAGS, Article
from ..services import supervision
from ..services.errors import NotFound, ValidationFailed
from ..services.policy import project_access, require

bp = Blueprint("supervision", __name__)

KIND_NAMES = {"agree": "agrees", "label": "same extent, other tag",
              "boundary": "same tag, other extent", "boundary_and_label": "other extent and tag",
              "missing": "nothing there in the other's work"}


def _require_supervisor() -> None:
    require(project_access(current_user), "can_adjudicate")


# -- Charts ----------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class IntervalRow:
    """One row of the interval chart: a label, the figure, and its x positions in the SVG."""

    label: str
    figure: dict[str, Any]
    y: float
    x: float | None
    low: float | None
    high: float | None
    clipped: bool


CHART_LEFT, CHART_WIDTH, ROW_HEIGHT = 120.0, 360.0, 34.0


def _x(value: float) -> float:
    return CHART_LEFT + (max(-1.0, min(1.0, value)) + 1.0) / 2.0 * CHART_WIDTH


def interval_rows(figures: list[tuple[str, dict[str, Any]]]) -> list[IntervalRow]:
    """Positions on a −1…1 scale; values beyond it are drawn at the edge and flagged."""
    rows = []
    for i, (label, fig) in enumerate(figures):
        value, ci = fig["value"], fig["ci95"]
        clipped = any(v is not None and not -1.0 <= v <= 1.0
                      for v in [value, *(ci or [])])
        rows.append(IntervalRow(label, fig, 30.0 + i * ROW_HEIGHT,
                                None if value is None else _x(value),
                                None if ci is None else _x(ci[0]),
                                None if ci is None else _x(ci[1]), clipped))
    return rows


def heat_class(value: float | None) -> str:
    """A shade for an agreement value (six steps), or the n/a shade."""
    if value is None:
        return "heat-na"
    for step, bound in enumerate((0.0, 0.2, 0.4, 0.6, 0.8)):
        if value < bound:
            return f"heat-{step}"
    return "heat-5"


def heatmap(result: dict[str, Any]) -> dict[str, Any]:
    """Reviewer × reviewer cells of sentence kappa (and overlap F1, for the table)."""
    names = result["reviewers"]
    pairs = {tuple(p["reviewers"]): p for p in result["by_pair"]}
    cells = []
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            pair = pairs.get((a, b)) or pairs.get((b, a))
            value = pair["cohen_kappa"]["value"] if pair and i != j else None
            cells.append({"row": a, "column": b, "x": 110 + j * 70, "y": 40 + i * 44,
                          "diagonal": i == j, "pair": pair, "value": value,
                          "shade": "heat-self" if i == j else heat_class(value)})
    return {"names": names, "cells": cells, "width": 120 + 70 * len(names),
            "height": 50 + 44 * len(names)}


def confusion_rows(table: list[list[int]], labels: list[str]) -> list[dict[str, Any]]:
    """Rows of a confusion table with a shade per cell, relative to the largest count."""
    top = max((n for row in table for n in row), default=0) or 1
    return [{"label": label, "cells": [{"count": n, "shade": f"cm-{round(4 * n / top)}"}
                                        for n in row]}
            for label, row in zip(labels, table)]


# -- The dashboard ---------------------------------------------------------------------------------

@bp.route("/agreement")
@login_required
def dashboard():  # type: ignore[no-untyped-def]
    _require_supervisor()
    errors: dict[str, str] = {}
    try:
        filters = supervision.parse_filters(request.args)
    except ValidationFailed as error:
        errors[error.field or "form"] = error.message
        filters = supervision.AgreementFilters(search=(request.args.get("q") or "").strip()
                                               or None)
    result = supervision.project_agreement(
        db.session, search=filters.search, include_unsubmitted=filters.include_unsubmitted,
        ranked_limit=filters.ranked_limit)
    alpha = result["measures"]["alpha_unitizing"]
    context = {
        "result": result, "filters": filters, "errors": errors,
        "alpha_rows": interval_rows([("All tags", alpha["overall"])]
                                    + [(tag.capitalize(), alpha["by_tag"][tag]) for tag in TAGS]),
        "heat": heatmap(result),
        "span_confusion": confusion_rows(result["confusion"]["spans"],
                                         result["confusion"]["labels"]),
        "sentence_confusion": confusion_rows(result["confusion"]["sentences"],
                                             result["confusion"]["labels"]),
        "chart": {"left": CHART_LEFT, "width": CHART_WIDTH, "x": _x},
        "tags": TAGS,
    }
    return render_template("supervision/dashboard.html", **context), 422 if errors else 200


# -- One article, side by side -------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Piece:
    """A mark for the side-by-side text: one assertion with its worst outcome."""

    id: int
    start: int
    end: int
    tag: str
    kind: str
    title: str


def render_pieces(body: str, pieces: list[Piece]) -> Markup:
    """The body as HTML with nested ``<mark>`` elements (overlaps cut into pieces, the longest
    outermost), each classed by tag and by kind of outcome."""
    ordered = sorted(pieces, key=lambda p: (p.start, -p.end, p.id))
    cuts = sorted({0, len(body), *(p.start for p in ordered), *(p.end for p in ordered)})
    out: list[str] = []
    active: list[Piece] = []
    next_piece = 0
    for left, right in zip(cuts, cuts[1:]):
        active = [p for p in active if p.end > left]
        while next_piece < len(ordered) and ordered[next_piece].start == left:
            active.append(ordered[next_piece])
            next_piece += 1
        text = html.escape(body[left:right], quote=False)
        opening = "".join(
            f'<mark class="hl hl-{escape(p.tag)} kind kind-{escape(p.kind)}" '
            f'data-assertion-id="{p.id}" data-kind="{escape(p.kind)}" title="{escape(p.title)}">'
            for p in active)
        out.append(opening + text + "</mark>" * len(active))
    return Markup("".join(out))


def _pieces(work: supervision.ArticleWork, reviewer: str,
            kinds: dict[int, list[tuple[str, str]]]) -> list[Piece]:
    pieces = []
    for mark in work.marks_of(reviewer):
        outcomes = kinds.get(mark.id, [])
        kind = supervision.worst_kind(outcomes)
        detail = "; ".join(f"{KIND_NAMES[k]} ({other})" for other, k in outcomes)
        pieces.append(Piece(mark.id, mark.start, mark.end, mark.tag, kind,
                            f"{mark.tag} · {detail or 'no one to compare with'}"))
    return pieces


def _outcome_rows(work: supervision.ArticleWork, body: str) -> list[dict[str, Any]]:
    """Every disagreement, in text: the pair, the kind, and each side's quote and tag."""
    rows = []
    for comparison in supervision.pair_comparisons(work):
        for link in comparison.links:
            if link.kind == supervision.AGREE:
                continue
            sides = [None if m is None else {"tag": m.tag, "quote": body[m.start:m.end],
                                             "start": m.start}
                     for m in (link.first, link.second)]
            rows.append({"first": comparison.first, "second": comparison.second,
                         "kind": link.kind, "kind_name": KIND_NAMES[link.kind], "sides": sides,
                         "at": min(m.start for m in (link.first, link.second) if m)})
    rows.sort(key=lambda r: (r["at"], r["first"], r["second"]))
    return rows


@bp.route("/articles/<int:article_id>/agreement")
@login_required
def article_view(article_id: int):  # type: ignore[no-untyped-def]
    _require_supervisor()
    article = db.session.get(Article, article_id)
    if article is None:
        raise NotFound("No such article.")
    try:
        include = supervision.parse_flag(request.args.get("include_unsubmitted"),
                                         "include_unsubmitted")
    except ValidationFailed as error:
        return render_template("error.html", status=422, message=error.message), 422
    work = supervision.load_article(db.session, article_id, include_unsubmitted=include)
    result = supervision.measure_article(work)
    kinds = supervision.span_kinds(work)
    columns = [{"reviewer": name, "count": len(work.marks_of(name)),
                "html": render_pieces(article.body, _pieces(work, name, kinds))}
               for name in work.reviewers]
    return render_template("supervision/article.html", article=article, result=result,
                           columns=columns, outcomes=_outcome_rows(work, article.body),
                           include_unsubmitted=include, kind_names=KIND_NAMES, tags=TAGS)
