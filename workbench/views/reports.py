"""Verdict reports: the supervisor's report page, the public page of a published verdict, and
the verdict form beside the article."""
from __future__ import annotations

import json

from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from .. import charts
from ..db import db
from ..highlights import Span, render_highlighted
from ..models import TAGS, Article, User
from ..pdf import html_to_pdf
from ..services import articles as articles_service
from ..services import reports as reports_service
from ..services import supervision as supervision_service
from ..services import verdicts as verdicts_service
from ..services.errors import Conflict, ValidationFailed
from ..services.policy import RATING_SCALE, VERDICT_SCALE, require
from ..csv_safe import csv_lines
from ..streaming import streamed
from ..values import parse_optional_int
from ..xlsx import xlsx_chunks
from .articles import render_workspace
from .guards import requires

bp = Blueprint("reports", __name__)


def me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _render(report: reports_service.Report, *, public: bool, status: int = 200, **extra):  # type: ignore[no-untyped-def]
    spans = [Span(a.id, a.start, a.end, a.tag, a.tag) for a in report.assertions]
    context = {"report": report, "public": public, "tags": TAGS, "pdf": False,
               "tag_chart": charts.bar_chart([(t, len(report.by_tag[t])) for t in TAGS]),
               "agreement": _agreement(report),
               "body_html": render_highlighted(report.article.body, spans),
               "claim_reviews": Markup(""), "verdict_scale": [], "errors": {}, "form": {}}
    verdict = report.verdict
    if public and verdict is not None and verdict.published_at is not None:
        url = url_for("reports.public_report", slug=verdict.slug, _external=True)
        reviews = reports_service.claim_reviews_of(db.session, report, url)
        # JSON inside <script>: "</" must not close the element.
        context["claim_reviews"] = Markup("".join(
            '<script type="application/ld+json">'
            + json.dumps(r, ensure_ascii=False).replace("</", "<\\/") + "</script>\n"
            for r in reviews))
        context["public_url"] = url
    if not public:
        context["verdict_scale"] = verdicts_service.scale(db.session, VERDICT_SCALE)
        context["report_scale"] = verdicts_service.scale(db.session, RATING_SCALE)
    context.update(extra)
    return render_template("reports/article.html", **context), status


def _agreement(report: reports_service.Report) -> dict[str, Any] | None:
    """How the article's reviewers agreed (their submitted work), when two or more did: the
    dashboard's own figures, from the agreement cache while the submitted work is unchanged."""
    figures = supervision_service.article_agreement(db.session, report.article.id)
    if len(figures["reviewers"]) < 2:
        return None
    measures = figures["measures"]
    return {"reviewers": len(figures["reviewers"]),
            "rows": [("Where they marked assertions (unitizing alpha)",
                      measures["alpha_unitizing"]["overall"]),
                     ("Overlapping assertions matched (F1)", measures["span_f1"]["overlap"]["f1"]),
                     ("Sentence tags (Krippendorff's alpha)",
                      measures["sentence"]["krippendorff_alpha"])]}


def _report_for(article_id: int) -> reports_service.Report:
    article, access = articles_service.get_article_for(db.session, me(), article_id)
    require(access, "can_write_verdict")
    return reports_service.article_report(db.session, article, public=False)


@bp.route("/articles/<int:article_id>/report")
@login_required
def article_report(article_id: int):  # type: ignore[no-untyped-def]
    return _render(_report_for(article_id), public=False)


def _pdf_response(html: str, name: str) -> Response:
    pdf = html_to_pdf(html, request.url_root)
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'})


@bp.route("/articles/<int:article_id>/report.pdf")
@login_required
def article_report_pdf(article_id: int):  # type: ignore[no-untyped-def]
    html, _ = _render(_report_for(article_id), public=False, pdf=True)
    return _pdf_response(html, f"report-{article_id}")


@bp.route("/r/<slug>.pdf")
def public_report_pdf(slug: str):  # type: ignore[no-untyped-def]
    verdict = verdicts_service.published_verdict(db.session, slug)
    article = db.session.get(Article, verdict.article_id)
    html, _ = _render(reports_service.article_report(db.session, article, public=True),
                      public=True, pdf=True)
    return _pdf_response(html, f"report-{verdict.article_id}")


@bp.route("/articles/<int:article_id>/verdict", methods=["POST"])
@login_required
def save_verdict(article_id: int):  # type: ignore[no-untyped-def]
    """The verdict form, on the report page or beside the article (``back=article``): rating,
    summary, and publish or keep as a draft; a refusal comes back beside its field."""
    form = request.form
    beside_text = form.get("back") == "article"
    report = None if beside_text else _report_for(article_id)  # as it was before the change
    try:
        verdicts_service.put_verdict(
            db.session, me(), article_id, rating=form.get("rating", ""),
            summary=form.get("summary", ""), state=form.get("state") or None,
            version=parse_optional_int(form.get("version"), "version", minimum=1))
    except (ValidationFailed, Conflict) as error:
        errors = {error.field or "rating": error.message}
        if report is None:
            return render_workspace(article_id, error.status, focus="verdict",
                                    verdict_errors=errors, verdict_form=dict(form))
        return _render(report, public=False, status=error.status, errors=errors,
                       form=dict(form))
    db.finish_writes()
    if beside_text:
        return redirect(url_for("articles.article_detail", article_id=article_id) + "#verdict")
    return redirect(url_for("reports.article_report", article_id=article_id) + "#verdict")


@bp.route("/assertions/<int:assertion_id>/rating", methods=["POST"])
@login_required
def save_rating(assertion_id: int):  # type: ignore[no-untyped-def]
    form = request.form
    try:
        rating = verdicts_service.put_rating(
            db.session, me(), assertion_id, rating=form.get("rating", ""),
            explanation=form.get("explanation", ""),
            version=parse_optional_int(form.get("version"), "version", minimum=1))
    except (ValidationFailed, Conflict) as error:
        assertion_article = verdicts_service.article_of(db.session, me(), assertion_id)
        return _render(_report_for(assertion_article), public=False, status=error.status,
                       errors={f"rating-{assertion_id}": error.message})
    db.finish_writes()
    article_id = verdicts_service.article_of(db.session, me(), rating.assertion_id)
    return redirect(url_for("reports.article_report", article_id=article_id)
                    + f"#assertion-{assertion_id}")


@bp.route("/r/<slug>")
def public_report(slug: str):  # type: ignore[no-untyped-def]
    """A published report, readable without logging in; gone as soon as it is unpublished."""
    verdict = verdicts_service.published_verdict(db.session, slug)
    article = db.session.get(Article, verdict.article_id)
    return _render(reports_service.article_report(db.session, article, public=True),
                   public=True)


# -- The project report ------------------------------------------------------------------------

PROJECT_PAGE_SIZE = 50


def _project_filters() -> dict[str, Any]:
    status = request.args.get("status", "")
    return {"search": request.args.get("q", "").strip() or None,
            "status": status if status in articles_service.LIST_STATUSES else None}


def _project_order() -> reports_service.ProjectOrder:
    return reports_service.project_order(request.args.get("sort"), request.args.get("order"),
                                         request.args.get("after"))


def _project_context() -> dict[str, Any]:
    """The project report as the page and its PDF show it: one page of rows in the asked
    order, and the chart of the share unsourced over the same search and filters."""
    filters = _project_filters()
    order = _project_order()
    rows, next_cursor = reports_service.project_page(db.session, me(), order=order,
                                                     limit=PROJECT_PAGE_SIZE, **filters)
    over_time = reports_service.unsourced_by_publisher(db.session, me(), **filters)
    query = {k: v for k, v in (("q", filters["search"]), ("status", filters["status"])) if v}
    sorted_query = dict(query)
    if (order.sort, order.direction) != reports_service.DEFAULT_SORT:
        sorted_query.update(sort=order.sort, order=order.direction)
    paged = order.after is not None
    return {"rows": rows, "next_cursor": next_cursor, "paged": paged,
            "query": query, "sorted_query": sorted_query, "order": order,
            "pdf_query": {**sorted_query, **({"after": request.args["after"]} if paged else {})},
            "statuses": articles_service.LIST_STATUSES, "tags": TAGS, "over_time": over_time,
            "share_chart": charts.share_chart(over_time.months, over_time.series),
            "pdf": False}


@bp.route("/reports")
@requires("can_export")
def project_report():  # type: ignore[no-untyped-def]
    return render_template("reports/project.html", **_project_context())


@bp.route("/reports/report.pdf")
@requires("can_export")
def project_report_pdf() -> Response:
    """The chart and the page of rows the same query shows, as a PDF."""
    html = render_template("reports/project.html", **{**_project_context(), "pdf": True})
    return _pdf_response(html, "reports")


@bp.route("/reports/export.csv")
@requires("can_export")
def project_report_csv() -> Response:
    rows = reports_service.project_rows(db.session, me(), order=_project_order(),
                                        **_project_filters())
    return Response(streamed(csv_lines(reports_service.PROJECT_COLUMNS,
                                                  (r.cells() for r in rows))),
                    mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="report.csv"'})


@bp.route("/reports/export.xlsx")
@requires("can_export")
def project_report_xlsx() -> Response:
    rows = reports_service.project_rows(db.session, me(), order=_project_order(),
                                        **_project_filters())
    return Response(streamed(xlsx_chunks(reports_service.PROJECT_COLUMNS,
                                                    (r.cells() for r in rows))),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": 'attachment; filename="report.xlsx"'})
