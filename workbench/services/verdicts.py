"""Verdicts on articles and ratings of assertions, from the project's scales (settings).

Both are versioned like assertions (a change names the version it read; a stale one is a 409
with the stored record) and audited. A published verdict makes the article's report public at
an unguessable slug; unpublishing takes it down at once.
"""
from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Assertion, AssertionRating, Verdict, VerdictState, User, utcnow
from ..values import parse_line
from . import audit
from .errors import Conflict, NotFound, ValidationFailed
from .policy import RATING_SCALE, VERDICT_SCALE, article_access, get_setting, require

MAX_SUMMARY_LENGTH = 5000
MAX_EXPLANATION_LENGTH = 1000


def scale(session: Session, key: str) -> list[str]:
    return list(get_setting(session, key))  # type: ignore[call-overload]


def _rating(session: Session, key: str, value: object) -> str:
    allowed = scale(session, key)
    if value not in allowed:
        raise ValidationFailed("rating must be one of: " + ", ".join(allowed) + ".", "rating")
    return value  # type: ignore[return-value]


def verdict_dict(verdict: Verdict) -> dict[str, Any]:
    return {"article_id": verdict.article_id, "rating": verdict.rating,
            "summary": verdict.summary, "state": verdict.state, "version": verdict.version,
            "author": verdict.author.username if verdict.author else None,
            "created_at": verdict.created_at.isoformat(),
            "updated_at": verdict.updated_at.isoformat(),
            "published_at": verdict.published_at.isoformat() if verdict.published_at else None}


def rating_dict(rating: AssertionRating) -> dict[str, Any]:
    return {"assertion_id": rating.assertion_id, "rating": rating.rating,
            "explanation": rating.explanation, "version": rating.version,
            "rated_by": rating.rated_by.username if rating.rated_by else None,
            "updated_at": rating.updated_at.isoformat()}


def verdict_for(session: Session, user: User, article_id: int) -> Verdict | None:
    """The verdict as ``user`` may see it: supervisors always, a reviewer of the article once
    it is published; NotFound for an article they may not see."""
    access = article_access(session, user, article_id)
    require(access, "can_see")
    verdict = session.scalar(select(Verdict).where(Verdict.article_id == article_id))
    if verdict is None or (not access.can_write_verdict
                           and verdict.state != VerdictState.published.value):
        return None
    return verdict


def put_verdict(session: Session, actor: User, article_id: int, *, rating: object,
                summary: object = "", state: object = None,
                version: int | None = None) -> Verdict:
    """Write or change the verdict; a change must name the version it read."""
    require(article_access(session, actor, article_id), "can_write_verdict")
    rating = _rating(session, VERDICT_SCALE, rating)
    if not isinstance(summary, str) and summary is not None:
        raise ValidationFailed("summary must be text.", "summary")
    summary = (summary or "").strip()
    if len(summary) > MAX_SUMMARY_LENGTH:
        raise ValidationFailed(f"A summary may have at most {MAX_SUMMARY_LENGTH} characters.",
                               "summary")
    if state is not None and state not in (s.value for s in VerdictState):
        raise ValidationFailed("state must be draft or published.", "state")
    verdict = session.scalar(select(Verdict).where(Verdict.article_id == article_id)
                             .with_for_update())
    now = utcnow()
    if verdict is None:
        verdict = Verdict(article_id=article_id, rating=rating, summary=summary,
                          state=state or VerdictState.draft.value,
                          slug=secrets.token_urlsafe(24), author_id=actor.id,
                          created_at=now, updated_at=now,
                          published_at=now if state == VerdictState.published.value else None)
        session.add(verdict)
        session.flush()
        audit.record(session, actor, "verdict.create", "verdict", verdict.id,
                     article_id=article_id, after=verdict_dict(verdict))
        return verdict
    if version != verdict.version:
        raise Conflict("The verdict changed since you loaded it (or name the version you "
                       "read); nothing was saved.", current=verdict_dict(verdict),
                       field="version", code="stale")
    before = verdict_dict(verdict)
    verdict.rating, verdict.summary, verdict.author_id = rating, summary, actor.id
    if state is not None and state != verdict.state:
        verdict.state = state  # type: ignore[assignment]
        verdict.published_at = now if state == VerdictState.published.value else None
    verdict.updated_at = now
    session.flush()
    session.refresh(verdict, ["author"])
    audit.record(session, actor, "verdict.update", "verdict", verdict.id, article_id=article_id,
                 before=before, after=verdict_dict(verdict))
    return verdict


def published_verdict(session: Session, slug: str) -> Verdict:
    """The verdict behind a public report link; NotFound unless it is published."""
    verdict = session.scalar(select(Verdict).where(Verdict.slug == slug))
    if verdict is None or verdict.state != VerdictState.published.value:
        raise NotFound("No such report.")
    return verdict


def _assertion_for_rating(session: Session, user: User, assertion_id: int) -> Assertion:
    assertion = session.get(Assertion, assertion_id)
    if assertion is None:
        raise NotFound("No such assertion.")
    access = article_access(session, user, assertion.article_id)
    if not access.can_see_reviewer(assertion.reviewer_id) and not access.can_write_verdict:
        raise NotFound("No such assertion.")
    return assertion


def rating_for(session: Session, user: User, assertion_id: int) -> AssertionRating | None:
    assertion = _assertion_for_rating(session, user, assertion_id)
    return session.scalar(select(AssertionRating).where(
        AssertionRating.assertion_id == assertion.id))


def put_rating(session: Session, actor: User, assertion_id: int, *, rating: object,
               explanation: object = "", version: int | None = None) -> AssertionRating:
    assertion = _assertion_for_rating(session, actor, assertion_id)
    require(article_access(session, actor, assertion.article_id), "can_write_verdict",
            not_found="No such assertion.")
    rating = _rating(session, RATING_SCALE, rating)
    explanation = parse_line(explanation or "", "explanation", maximum=MAX_EXPLANATION_LENGTH,
                             required=False, what="An explanation")
    row = session.scalar(select(AssertionRating).where(
        AssertionRating.assertion_id == assertion_id).with_for_update())
    now = utcnow()
    if row is None:
        row = AssertionRating(assertion_id=assertion_id, rating=rating, explanation=explanation,
                              rated_by_id=actor.id, updated_at=now)
        session.add(row)
        session.flush()
        session.refresh(row, ["rated_by"])
        audit.record(session, actor, "rating.create", "assertion", assertion_id,
                     article_id=assertion.article_id, after=rating_dict(row))
        return row
    if version != row.version:
        raise Conflict("The rating changed since you loaded it (or name the version you read); "
                       "nothing was saved.", current=rating_dict(row), field="version",
                       code="stale")
    before = rating_dict(row)
    row.rating, row.explanation, row.rated_by_id, row.updated_at = (rating, explanation,
                                                                    actor.id, now)
    session.flush()
    session.refresh(row, ["rated_by"])
    audit.record(session, actor, "rating.update", "assertion", assertion_id,
                 article_id=assertion.article_id, before=before, after=rating_dict(row))
    return row


def article_of(session: Session, user: User, assertion_id: int) -> int:
    """The article of an assertion ``user`` may rate (for redirects after a rating)."""
    return _assertion_for_rating(session, user, assertion_id).article_id
