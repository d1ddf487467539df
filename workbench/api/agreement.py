"""Agreement figures in the JSON API, for supervisors and admins (404 for everyone else)."""
from __future__ import annotations

from flask import jsonify, request

from ..db import db
from ..services import supervision
from ..services.policy import project_access, require
from ..services.supervision import RANKED_DEFAULT, RANKED_MAX
from . import api
from .agreement_schemas import ArticleAgreementOut, ProjectAgreementOut
from .registry import api_route
from .routes import E401, E404, E422, SEARCH, caller

INCLUDE_UNSUBMITTED = {
    "name": "include_unsubmitted", "in": "query", "required": False,
    "schema": {"type": "string", "enum": ["0", "1", "true", "false"], "default": "0"},
    "description": "1: also compare the work of reviewers who have not submitted yet."}
RANKED_LIMIT = {
    "name": "limit", "in": "query", "required": False,
    "schema": {"type": "integer", "minimum": 1, "maximum": RANKED_MAX, "default": RANKED_DEFAULT},
    "description": "How many articles `ranked` lists (most disagreement first)."}


@api_route(api, "/articles/<int:article_id>/agreement", "GET",
           summary="How well the article's reviewers agree (supervisor or admin)",
           query=[INCLUDE_UNSUBMITTED],
           responses={200: ("Agreement figures", ArticleAgreementOut), 401: E401, 404: E404,
                        422: E422})
def article_agreement(article_id: int):  # type: ignore[no-untyped-def]
    require(project_access(caller()), "can_adjudicate")
    filters = supervision.parse_filters(request.args)
    return jsonify(supervision.article_agreement(
        db.session, article_id, include_unsubmitted=filters.include_unsubmitted))


@api_route(api, "/agreement", "GET",
           summary="Agreement pooled over the articles the search picks (supervisor or admin)",
           query=SEARCH + [INCLUDE_UNSUBMITTED, RANKED_LIMIT],
           responses={200: ("Pooled agreement figures", ProjectAgreementOut), 401: E401,
                      404: E404, 422: E422})
def project_agreement():  # type: ignore[no-untyped-def]
    require(project_access(caller()), "can_adjudicate")
    filters = supervision.parse_filters(request.args)
    return jsonify(supervision.project_agreement(
        db.session, search=filters.search, include_unsubmitted=filters.include_unsubmitted,
        ranked_limit=filters.ranked_limit))
