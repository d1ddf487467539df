"""JSON API views: load → authorize (in the service) → call the service → respond."""
from __future__ import annotations

from typing import Any, TypeVar

import orjson
from flask import Response, g, jsonify, request, url_for
from pydantic import BaseModel, ValidationError

from ..config import DEFAULT_PAGE_SIZE, MAX_INT, MAX_PAGE_SIZE
from ..db import db, read_phase
from ..models import TAGS, User
from ..services import articles as articles_service
from ..services import assertions as assertions_service
from ..services import assignments as assignments_service
from ..services import audit as audit_service
from ..services import consensus as consensus_service
from ..services import undo as undo_service
from ..services import verdicts as verdicts_service
from ..services import users as users_service
from ..services.errors import (NotFound, Unauthorized, UnsupportedMediaType, ValidationFailed,
                               WorkbenchError)
from ..services.policy import project_access, require
from ..values import MAX_LANGUAGE_LENGTH, ValueProblem, parse_int, parse_optional_int
from . import api
from .errors import from_pydantic
from .registry import PUBLIC_ENDPOINTS, api_route
from .schemas import (ArticleIn, ArticleList, ArticleOut, ArticlePatch, AssertionIn, AssertionList, AssertionOut,
                      AssertionPatch, AssignmentIn, AssignmentList, AssignmentOut, AuditList,
                      BulkAssignmentIn, ConflictOut, ConsensusOut, DecisionIn, DecisionOut,
                      ErrorOut, EvidenceIn, EvidenceOut,
                      ProgressOut, QueueOut, RatingIn, RatingOut, ReasonIn, TokenList,
                      VerdictIn, VerdictOut)

Model = TypeVar("Model", bound=BaseModel)

PAGING = [
    {"name": "limit", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE,
                "default": DEFAULT_PAGE_SIZE}},
    {"name": "cursor", "in": "query", "required": False,
     "schema": {"type": "string", "pattern": "^[0-9]{1,18}$"},
     "description": "The `next` value of the previous page."},
]
SEARCH = [{"name": "q", "in": "query", "required": False, "schema": {"type": "string"},
           "description": "Full-text search over titles and bodies."}]
STATUS = [{"name": "status", "in": "query", "required": False,
           "schema": {"type": "string", "enum": list(articles_service.LIST_STATUSES)},
           "description": "Reviewers: their own assignment (open, submitted). Supervisors: "
                          "unassigned, open (someone still at work), submitted (all done)."}]

# The article list's filters (``articles.parse_filters``), as the page offers them.
LIST_FILTERS = [
    {"name": "q", "in": "query", "required": False,
     "schema": {"type": "string", "maxLength": articles_service.MAX_SEARCH_LENGTH},
     "description": "Full-text search over titles and bodies."},
    {"name": "publisher", "in": "query", "required": False,
     "schema": {"type": "string", "maxLength": articles_service.MAX_PUBLISHER_LENGTH},
     "description": "Only this publisher's articles (exact)."},
    {"name": "language", "in": "query", "required": False,
     "schema": {"type": "string", "maxLength": MAX_LANGUAGE_LENGTH, "examples": ["en", "ar-MA"]},
     "description": "Only articles in this language (a language tag, exact)."},
    {"name": "published_from", "in": "query", "required": False,
     "schema": {"type": "string", "format": "date"},
     "description": "Published on or after this day (2026-11-30)."},
    {"name": "published_to", "in": "query", "required": False,
     "schema": {"type": "string", "format": "date"},
     "description": "Published on or before this day."},
    {"name": "tag", "in": "query", "required": False,
     "schema": {"type": "string", "enum": list(TAGS)},
     "description": "Has at least one assertion with this tag among those the list counts "
                    "for the caller (reviewers: their own)."},
]

E400 = ("Invalid JSON or UTF-8", ErrorOut)
E401 = ("Missing or invalid bearer token", ErrorOut)
E403 = ("Visible, but not yours to change", ErrorOut)
E404 = ("Unknown, or not visible to the caller", ErrorOut)
E409 = ("Conflict; `current` holds the stored record", ConflictOut)
E422 = ("Invalid input; nothing was written", ErrorOut)


# Routes that check the bearer token in their own first read (the save, the hot path);
# ``caller()`` still authenticates them on demand.
AUTHENTICATED_IN_VIEW = frozenset({"api.create_assertion"})


@api.before_request
def authenticate() -> Any:
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint in AUTHENTICATED_IN_VIEW:
        return None
    caller()
    return None


def bearer_token() -> str | None:
    """The request's bearer token, if it carries one."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def caller() -> User:
    """The token's user, looked up once per request; 401 without a valid token."""
    user = g.get("api_user")
    if user is None:
        token = bearer_token()
        if token is not None:
            with read_phase(db.session):
                user = users_service.user_for_token(db.session, token)
        if user is None:
            raise Unauthorized()
        g.api_user = user
    return user


def parse_body(model: type[Model]) -> Model:
    """The request's JSON validated against ``model``: 415 unless it is sent as JSON, 400 for bad
    UTF-8 or JSON, 422 otherwise."""
    if not request.is_json:
        raise UnsupportedMediaType("Send the body as JSON (Content-Type: application/json).")
    raw = request.get_data(cache=False)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise WorkbenchError("The request body is not valid UTF-8.", code="invalid_utf8")
    if not text.strip():
        raise ValidationFailed("A JSON object is required.", None, code="missing")
    try:
        return model.model_validate_json(text)
    except ValidationError as error:
        if error.errors()[0]["type"] == "json_invalid":
            raise WorkbenchError("The request body is not valid JSON.", code="invalid_json")
        raise from_pydantic(error)


def paging() -> tuple[int, int | None]:
    """``limit`` and ``cursor`` of a list route, parsed by the app's one integer parser."""
    try:
        limit = parse_int(request.args.get("limit", str(DEFAULT_PAGE_SIZE)), "limit",
                          minimum=1, maximum=MAX_PAGE_SIZE)
        cursor = parse_optional_int(request.args.get("cursor"), "cursor", minimum=0,
                                    maximum=MAX_INT)
    except ValueProblem as problem:
        raise ValidationFailed(problem.message, problem.field) from None
    return limit, cursor


def page(items: list[Any], next_cursor: int | None) -> dict[str, Any]:
    return {"items": items, "next": None if next_cursor is None else str(next_cursor)}


# -- Articles -----------------------------------------------------------------------------------

@api_route(api, "/articles", "POST", summary="Store an article (supervisor or admin)",
           request=ArticleIn,
           responses={201: ("The stored article, body canonical", ArticleOut), 400: E400,
                      401: E401, 403: E403, 409: E409,
                      413: ("The body is over 2 MB", ErrorOut), 422: E422})
def create_article():  # type: ignore[no-untyped-def]
    user = caller()
    require(project_access(user), "can_add_articles")
    data = parse_body(ArticleIn)
    article = articles_service.create_article(db.session, actor=user, **data.model_dump())
    response = jsonify(article_out(article))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_article", article_id=article.id)
    return response


@api_route(api, "/articles", "GET", summary="Articles the caller may see, newest first",
           query=PAGING + STATUS + LIST_FILTERS,
           responses={200: ("A page of articles", ArticleList), 401: E401, 422: E422})
def list_articles():  # type: ignore[no-untyped-def]
    limit, cursor = paging()
    filters, errors = articles_service.parse_filters(request.args)
    if errors:
        field, message = next(iter(errors.items()))
        raise ValidationFailed(message, field)
    result = articles_service.list_articles(db.session, caller(), filters=filters,
                                            before_id=cursor, limit=limit)
    items = [articles_service.summary_dict(a) for a in result.items]
    return jsonify(page(items, result.next_cursor))


@api_route(api, "/articles/<int:article_id>", "GET", summary="One article with its canonical body",
           responses={200: ("The article", ArticleOut), 401: E401, 404: E404})
def get_article(article_id: int):  # type: ignore[no-untyped-def]
    article, _ = articles_service.get_article_for(db.session, caller(), article_id)
    return jsonify(article_out(article))


@api_route(api, "/articles/<int:article_id>", "PATCH",
           summary="Change an article's metadata (supervisor or admin); name the version you "
                   "read. The body text is not editable.", request=ArticlePatch,
           responses={200: ("The article with its new metadata", ArticleOut), 400: E400,
                      401: E401, 403: E403, 404: E404, 409: E409, 422: E422})
def update_article(article_id: int):  # type: ignore[no-untyped-def]
    data = parse_body(ArticlePatch).model_dump(exclude_unset=True)
    version = data.pop("version")
    article = articles_service.update_metadata(db.session, caller(), article_id,
                                               version=version, **data)
    return jsonify(article_out(article))


def article_out(article: Any) -> dict[str, Any]:
    """``article_dict`` with the version of its metadata (what PATCH checks)."""
    return {**articles_service.article_dict(article),
            "version": articles_service.metadata_version(article)}


# -- Assertions ---------------------------------------------------------------------------------

@api_route(api, "/articles/<int:article_id>/assertions", "POST",
           summary="Tag a span of the article (its assigned reviewers)", request=AssertionIn,
           responses={201: ("The stored assertion", AssertionOut), 400: E400, 401: E401,
                      403: E403, 404: E404,
                      409: ("The reviewer already saved this span with this tag; `current` "
                            "holds its id", ConflictOut), 422: E422})
def create_assertion(article_id: int):  # type: ignore[no-untyped-def]
    # The hot path: the token is checked in the save's one read (``authenticate`` leaves it).
    try:
        data = parse_body(AssertionIn)
        record = assertions_service.create_assertion_for_token(
            db.session, bearer_token() or "", article_id, start=data.start, end=data.end,
            quote=data.quote, tag=data.tag, note=data.note,
            evidence=[assertions_service.EvidenceInput(**e.model_dump()) for e in data.evidence])
    except Unauthorized:
        raise
    except WorkbenchError:
        caller()  # without a valid token, 401 comes before any other refusal, as on every route
        raise
    # SQLite's write lock is not held while the answer is built.
    db.finish_writes()
    response = Response(orjson.dumps(record), status=201, mimetype="application/json")
    response.headers["Location"] = url_for("api.get_assertion", assertion_id=record["id"])
    return response


@api_route(api, "/articles/<int:article_id>/assertions", "GET",
           summary="The article's assertions the caller may see (blind review)", query=PAGING,
           responses={200: ("A page of assertions, by id", AssertionList), 401: E401, 404: E404,
                      422: E422})
def list_assertions(article_id: int):  # type: ignore[no-untyped-def]
    limit, cursor = paging()
    _, access = articles_service.get_article_for(db.session, caller(), article_id)
    items, next_cursor = assertions_service.page_of_visible_assertions(
        db.session, access, article_id, after_id=cursor, limit=limit)
    return jsonify(page([assertions_service.assertion_dict(a) for a in items], next_cursor))


@api_route(api, "/assertions/<int:assertion_id>", "GET", summary="One assertion",
           responses={200: ("The assertion", AssertionOut), 401: E401, 404: E404})
def get_assertion(assertion_id: int):  # type: ignore[no-untyped-def]
    assertion, _ = assertions_service.get_assertion_for(db.session, caller(), assertion_id)
    return jsonify(assertions_service.assertion_dict(assertion))


@api_route(api, "/assertions/<int:assertion_id>", "PATCH",
           summary="Change tag or note; name the version you read", request=AssertionPatch,
           responses={200: ("The updated assertion", AssertionOut), 400: E400, 401: E401,
                      403: E403, 404: E404, 409: E409, 422: E422})
def update_assertion(assertion_id: int):  # type: ignore[no-untyped-def]
    data = parse_body(AssertionPatch)
    assertion = assertions_service.update_assertion(
        db.session, caller(), assertion_id, version=data.version, tag=data.tag, note=data.note)
    return jsonify(assertions_service.assertion_dict(assertion))


@api_route(api, "/assertions/<int:assertion_id>", "DELETE",
           summary="Delete an assertion and its evidence",
           responses={204: ("Deleted", None), 401: E401, 403: E403, 404: E404})
def delete_assertion(assertion_id: int):  # type: ignore[no-untyped-def]
    assertions_service.delete_assertion(db.session, caller(), assertion_id)
    return "", 204


@api_route(api, "/assertions/<int:assertion_id>/evidence", "POST",
           summary="Attach an evidence link", request=EvidenceIn,
           responses={201: ("The stored evidence link", EvidenceOut), 400: E400, 401: E401,
                      403: E403, 404: E404, 422: E422})
def add_evidence(assertion_id: int):  # type: ignore[no-untyped-def]
    data = parse_body(EvidenceIn)
    record = assertions_service.add_evidence(
        db.session, caller(), assertion_id, assertions_service.EvidenceInput(**data.model_dump()))
    return jsonify(record), 201


@api_route(api, "/evidence/<int:evidence_id>", "DELETE", summary="Remove an evidence link",
           responses={204: ("Deleted", None), 401: E401, 403: E403, 404: E404})
def delete_evidence(evidence_id: int):  # type: ignore[no-untyped-def]
    assertions_service.delete_evidence(db.session, caller(), evidence_id)
    return "", 204


@api_route(api, "/assertions/<int:assertion_id>/restore", "POST",
           summary="Undo a delete: the same assertion (id, content, evidence) back, for two "
                   "minutes after it, while the review is open",
           responses={201: ("The restored assertion", AssertionOut), 401: E401, 403: E403,
                      404: E404, 409: E409})
def restore_assertion(assertion_id: int):  # type: ignore[no-untyped-def]
    return jsonify(undo_service.restore_assertion(db.session, caller(), assertion_id)), 201


@api_route(api, "/evidence/<int:evidence_id>/restore", "POST",
           summary="Undo a removal: the same evidence link back, for two minutes after it",
           responses={201: ("The restored evidence link", EvidenceOut), 401: E401, 403: E403,
                      404: E404, 409: E409})
def restore_evidence(evidence_id: int):  # type: ignore[no-untyped-def]
    _, record = undo_service.restore_evidence(db.session, caller(), evidence_id)
    return jsonify(record), 201


# -- Assignments --------------------------------------------------------------------------------

@api_route(api, "/articles/<int:article_id>/assignments", "POST",
           summary="Assign the article to a reviewer (supervisor)", request=AssignmentIn,
           responses={201: ("The assignment", AssignmentOut), 400: E400, 401: E401, 403: E403,
                      404: E404, 409: E409, 422: E422})
def create_assignment(article_id: int):  # type: ignore[no-untyped-def]
    user = caller()
    _, access = articles_service.get_article_for(db.session, user, article_id)
    require(access, "can_assign")
    data = parse_body(AssignmentIn)
    assignment = assignments_service.assign(db.session, user, article_id, data.reviewer)
    return jsonify(assignments_service.assignment_dict(assignment)), 201


@api_route(api, "/articles/<int:article_id>/assignments", "GET",
           summary="Who reviews the article (supervisor)",
           responses={200: ("Assignments", AssignmentList), 401: E401, 403: E403, 404: E404})
def list_assignments(article_id: int):  # type: ignore[no-untyped-def]
    _, access = articles_service.get_article_for(db.session, caller(), article_id)
    require(access, "can_assign", message="Only supervisors see every assignment.")
    rows = assignments_service.assignments_for_article(db.session, article_id)
    return jsonify(page([assignments_service.assignment_dict(a) for a in rows], None))


@api_route(api, "/articles/<int:article_id>/submit", "POST",
           summary="Mark your review of the article as done (its reviewer)",
           responses={200: ("The submitted assignment", AssignmentOut), 401: E401, 404: E404,
                      409: E409})
def submit_article(article_id: int):  # type: ignore[no-untyped-def]
    assignment = assignments_service.submit(db.session, caller(), article_id)
    return jsonify(assignments_service.assignment_dict(assignment))


@api_route(api, "/assignments", "POST",
           summary="Share articles among reviewers, each to per_article of them (supervisor)",
           request=BulkAssignmentIn,
           responses={201: ("The assignments made (none for reviewers already on an article)",
                            AssignmentList), 400: E400, 401: E401, 404: E404, 422: E422})
def bulk_assign():  # type: ignore[no-untyped-def]
    user = caller()
    require(project_access(user), "can_assign")
    data = parse_body(BulkAssignmentIn)
    made = assignments_service.assign_many(db.session, user, data.articles, data.reviewers,
                                           data.per_article)
    return jsonify(page([assignments_service.assignment_dict(a) for a in made], None)), 201


def change_assignment(article_id: int, reviewer: str, change: Any) -> Any:
    """Unassign or reopen: a supervisor of the article, with a reason in the body."""
    _, access = articles_service.get_article_for(db.session, caller(), article_id)
    require(access, "can_assign")
    data = parse_body(ReasonIn)
    return change(db.session, caller(), article_id, reviewer, data.reason)


@api_route(api, "/articles/<int:article_id>/assignments/<reviewer>/unassign", "POST",
           summary="Take the article back from a reviewer who has not submitted (supervisor)",
           request=ReasonIn,
           responses={204: ("Unassigned; their assertions stay", None), 400: E400, 401: E401,
                      403: E403, 404: E404, 409: E409, 422: E422})
def unassign_reviewer(article_id: int, reviewer: str):  # type: ignore[no-untyped-def]
    change_assignment(article_id, reviewer, assignments_service.unassign)
    return "", 204


@api_route(api, "/articles/<int:article_id>/assignments/<reviewer>/reopen", "POST",
           summary="Reopen a submitted review (supervisor)", request=ReasonIn,
           responses={200: ("The reopened assignment", AssignmentOut), 400: E400, 401: E401,
                      403: E403, 404: E404, 409: E409, 422: E422})
def reopen_review(article_id: int, reviewer: str):  # type: ignore[no-untyped-def]
    assignment = change_assignment(article_id, reviewer, assignments_service.reopen)
    return jsonify(assignments_service.assignment_dict(assignment))


@api_route(api, "/queue", "GET", summary="Your review queue: to do, in progress, submitted",
           responses={200: ("The caller's queue, oldest first", QueueOut), 401: E401})
def review_queue():  # type: ignore[no-untyped-def]
    items = assignments_service.queue(db.session, caller())
    body: dict[str, Any] = {kind: [assignments_service.queue_item_dict(i) for i in rows]
                            for kind, rows in items.items()}
    body["next"] = assignments_service.next_article(items)
    return jsonify(body)


@api_route(api, "/progress", "GET", summary="Per reviewer: to do, in progress, submitted "
                                            "(supervisor)",
           responses={200: ("Progress of every reviewer", ProgressOut), 401: E401, 404: E404})
def review_progress():  # type: ignore[no-untyped-def]
    require(project_access(caller()), "can_assign")
    rows = assignments_service.progress(db.session, caller())
    return jsonify({"reviewers": [{"reviewer": r.reviewer, "assigned": r.assigned,
                                   "to_do": r.to_do, "in_progress": r.in_progress,
                                   "submitted": r.submitted} for r in rows]})


# -- Adjudication ---------------------------------------------------------------------------------

@api_route(api, "/articles/<int:article_id>/consensus", "GET",
           summary="The article's consensus set and the decisions behind it (supervisor)",
           responses={200: ("The consensus set, its version and history", ConsensusOut),
                      401: E401, 403: E403, 404: E404})
def get_consensus(article_id: int):  # type: ignore[no-untyped-def]
    current = consensus_service.state(db.session, caller(), article_id)
    return jsonify(consensus_service.state_dict(current))


@api_route(api, "/articles/<int:article_id>/consensus", "POST",
           summary="Settle: accept, merge, reject, write new, edit or remove (supervisor)",
           request=DecisionIn,
           responses={201: ("The decision, with the consensus assertion it made or changed",
                            DecisionOut), 400: E400, 401: E401, 403: E403, 404: E404,
                      409: E409, 422: E422})
def decide(article_id: int):  # type: ignore[no-untyped-def]
    data = parse_body(DecisionIn)
    decision = consensus_service.apply(db.session, caller(), article_id, data.action,
                                       **data.model_dump(exclude={"action"}))
    return jsonify(consensus_service.decision_dict(decision)), 201


# -- Verdicts and ratings ----------------------------------------------------------------------------

def verdict_body(verdict: Any) -> dict[str, Any]:
    body = verdicts_service.verdict_dict(verdict)
    body["public_url"] = (url_for("reports.public_report", slug=verdict.slug, _external=True)
                          if verdict.state == "published" else None)
    return body


@api_route(api, "/articles/<int:article_id>/verdict", "PUT",
           summary="Write or change the article's verdict (supervisor)", request=VerdictIn,
           responses={200: ("The verdict", VerdictOut), 400: E400, 401: E401, 404: E404,
                      409: E409, 422: E422})
def put_verdict(article_id: int):  # type: ignore[no-untyped-def]
    articles_service.get_article_for(db.session, caller(), article_id)
    data = parse_body(VerdictIn)
    verdict = verdicts_service.put_verdict(db.session, caller(), article_id,
                                           **data.model_dump())
    return jsonify(verdict_body(verdict))


@api_route(api, "/articles/<int:article_id>/verdict", "GET",
           summary="The article's verdict (reviewers see it once published)",
           responses={200: ("The verdict", VerdictOut), 401: E401, 404: E404})
def get_verdict(article_id: int):  # type: ignore[no-untyped-def]
    verdict = verdicts_service.verdict_for(db.session, caller(), article_id)
    if verdict is None:
        raise NotFound("This article has no verdict yet.")
    return jsonify(verdict_body(verdict))


@api_route(api, "/assertions/<int:assertion_id>/rating", "PUT",
           summary="Rate an assertion (supervisor)", request=RatingIn,
           responses={200: ("The rating", RatingOut), 400: E400, 401: E401, 404: E404,
                      409: E409, 422: E422})
def put_rating(assertion_id: int):  # type: ignore[no-untyped-def]
    data = parse_body(RatingIn)
    rating = verdicts_service.put_rating(db.session, caller(), assertion_id, **data.model_dump())
    return jsonify(verdicts_service.rating_dict(rating))


@api_route(api, "/assertions/<int:assertion_id>/rating", "GET", summary="An assertion's rating",
           responses={200: ("The rating", RatingOut), 401: E401, 404: E404})
def get_rating(assertion_id: int):  # type: ignore[no-untyped-def]
    rating = verdicts_service.rating_for(db.session, caller(), assertion_id)
    if rating is None:
        raise NotFound("This assertion has no rating yet.")
    return jsonify(verdicts_service.rating_dict(rating))


# -- Audit trail and tokens --------------------------------------------------------------------

AUDIT_FILTERS = [
    {"name": "user", "in": "query", "required": False, "schema": {"type": "string"},
     "description": "Username of the actor."},
    {"name": "article", "in": "query", "required": False,
     "schema": {"type": "string", "pattern": "^[0-9]{1,18}$"}},
    {"name": "action", "in": "query", "required": False, "schema": {"type": "string"},
     "description": "An action (`assertion.update`) or a prefix (`assertion`)."},
    {"name": "since", "in": "query", "required": False,
     "schema": {"type": "string", "format": "date-time"},
     "description": "A date (2026-11-23) or an ISO timestamp."},
    {"name": "until", "in": "query", "required": False,
     "schema": {"type": "string", "format": "date-time"}},
]


@api_route(api, "/audit", "GET", summary="The audit trail, newest first (supervisor)",
           query=PAGING + AUDIT_FILTERS,
           responses={200: ("A page of audit events", AuditList), 401: E401, 404: E404,
                      422: E422})
def list_audit_events():  # type: ignore[no-untyped-def]
    require(project_access(caller()), "can_read_audit")
    limit, cursor = paging()
    filters = audit_service.parse_filter(request.args)
    events, next_cursor = audit_service.list_events(db.session, filters, before_id=cursor,
                                                    limit=limit)
    return jsonify(page([audit_service.event_dict(e) for e in events], next_cursor))


@api_route(api, "/tokens", "GET", summary="Your API tokens (an admin sees everyone's)",
           responses={200: ("Tokens, newest first; secrets are never shown again", TokenList),
                      401: E401})
def list_tokens():  # type: ignore[no-untyped-def]
    tokens = users_service.tokens_visible_to(db.session, caller())
    return jsonify(page([users_service.token_dict(t) for t in tokens], None))


@api_route(api, "/tokens/<int:token_id>", "DELETE", summary="Revoke a token",
           responses={204: ("Revoked", None), 401: E401, 404: E404, 409: E409})
def revoke_token(token_id: int):  # type: ignore[no-untyped-def]
    token = users_service.get_token_for(db.session, caller(), token_id)
    users_service.revoke_token(db.session, token, actor=caller())
    return "", 204


# -- The document itself ------------------------------------------------------------------------

@api_route(api, "/openapi.json", "GET", summary="This OpenAPI 3 document", public=True,
           responses={200: ("OpenAPI 3.1 document", None)})
def openapi_document():  # type: ignore[no-untyped-def]
    from .openapi import build_document

    return jsonify(build_document())


