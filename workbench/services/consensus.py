"""Adjudication: a supervisor settles the reviewers' work into an article's consensus set.

The consensus set is made of assertions (``Assertion.consensus``) written through the one
writer, ``assertions.insert_assertions`` with the ``ADJUDICATION`` guard, so a consensus span
passes exactly the checks of any other span. Every decision (accept, merge, reject, new, edit,
remove) is a numbered ``Adjudication`` of the article, with its reason, and an audit event: the
latest number is the consensus set's version, the decisions before it its history. Verdict
reports read the consensus set.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from ..models import Adjudication, Article, Assertion, Assignment, Decision, User, utcnow
from . import audit
from .assertions import (MAX_EVIDENCE_PER_REQUEST, EvidenceInput, Guard, NewAssertion,
                         assertion_dict, insert_assertions, validate_note, validate_tag)
from ..values import parse_reason
from .errors import Conflict, NotFound, ValidationFailed
from .policy import article_access, require



@dataclass(frozen=True, slots=True)
class ConsensusState:
    """What the adjudication page and API show of one article."""

    article: Article
    version: int
    consensus: list[Assertion]
    reviewed: list[Assertion]  # the reviewers' assertions, in text order
    submitted: frozenset[int]  # reviewer ids who have submitted
    decided: dict[int, str]  # reviewer assertion id → the last decision about it
    decisions: list[Adjudication]


def article_for_adjudication(session: Session, actor: User, article_id: int) -> Article:
    """The article, if ``actor`` may settle its consensus (else NotFound, as the policy says)."""
    article = session.get(Article, article_id)
    if article is None:
        raise NotFound("No such article.")
    require(article_access(session, actor, article_id), "can_adjudicate")
    return article


def state(session: Session, actor: User, article_id: int) -> ConsensusState:
    article = article_for_adjudication(session, actor, article_id)
    rows = list(session.scalars(
        select(Assertion).where(Assertion.article_id == article_id)
        .options(selectinload(Assertion.reviewer), selectinload(Assertion.evidence))
        .order_by(Assertion.start, Assertion.end.desc(), Assertion.id)))
    decisions = list(session.scalars(select(Adjudication).where(
        Adjudication.article_id == article_id).order_by(Adjudication.version)))
    decided: dict[int, str] = {}
    for decision in decisions:
        for source in decision.source_ids:
            decided[source] = decision.action
    submitted = frozenset(session.scalars(select(Assignment.reviewer_id).where(
        Assignment.article_id == article_id, Assignment.status == "submitted")))
    return ConsensusState(article, decisions[-1].version if decisions else 0,
                          [a for a in rows if a.consensus], [a for a in rows if not a.consensus],
                          submitted, decided, decisions)


def decision_dict(decision: Adjudication) -> dict[str, Any]:
    return {"version": decision.version, "action": decision.action, "reason": decision.reason,
            "actor": decision.actor, "at": decision.at.isoformat(),
            "source_ids": list(decision.source_ids), "result_id": decision.result_id,
            "result": decision.result}


def state_dict(current: ConsensusState) -> dict[str, Any]:
    return {"article_id": current.article.id, "version": current.version,
            "items": [assertion_dict(a) for a in current.consensus],
            "decisions": [decision_dict(d) for d in current.decisions]}


def _record(session: Session, actor: User, article_id: int, action: Decision, reason: str,
            sources: Sequence[int], result: dict[str, Any] | None) -> Adjudication:
    version = (session.scalar(select(func.max(Adjudication.version)).where(
        Adjudication.article_id == article_id)) or 0) + 1
    decision = Adjudication(article_id=article_id, version=version, action=action.value,
                            reason=reason, actor_id=actor.id, actor=actor.username, at=utcnow(),
                            source_ids=list(sources),
                            result_id=result["id"] if result else None, result=result)
    session.add(decision)
    session.flush()
    audit.record(session, actor, f"consensus.{action.value}", "adjudication", decision.id,
                 article_id=article_id, after=decision_dict(decision))
    return decision


def _reviewed(session: Session, article_id: int, ids: Sequence[int]) -> list[Assertion]:
    if not ids:
        raise ValidationFailed("Choose the reviewers' assertions this decision is about.",
                               "assertions")
    found = {a.id: a for a in session.scalars(select(Assertion).where(
        Assertion.id.in_(list(ids)), Assertion.article_id == article_id,
        Assertion.consensus.is_(False)))}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationFailed("Not reviewers' assertions on this article: "
                               + ", ".join(map(str, missing)) + ".", "assertions")
    return [found[i] for i in ids]


def _evidence_of(sources: Sequence[Assertion]) -> list[EvidenceInput]:
    """The sources' evidence links, once per URL and stance, carried into the consensus."""
    seen: dict[tuple[str, str], EvidenceInput] = {}
    for source in sources:
        for e in source.evidence:
            seen.setdefault((e.url, e.stance), EvidenceInput(url=e.url, title=e.title,
                                                             note=e.note, stance=e.stance))
    return list(seen.values())[:MAX_EVIDENCE_PER_REQUEST]


def _write(session: Session, actor: User, article_id: int, item: NewAssertion) -> dict[str, Any]:
    (record,) = insert_assertions(session, article_id, [item], owner=actor, actor=actor,
                                  guard=Guard.ADJUDICATION)
    return record


def accept(session: Session, actor: User, article_id: int, assertion_id: int, reason: object,
           *, tag: str | None = None, note: str | None = None) -> Adjudication:
    """A reviewer's assertion into the consensus, with its tag and note or others given."""
    why = parse_reason(reason)
    article_for_adjudication(session, actor, article_id)
    (source,) = _reviewed(session, article_id, [assertion_id])
    record = _write(session, actor, article_id, NewAssertion(
        source.start, source.end, source.quote, source.tag if tag is None else tag,
        source.note if note is None else note, _evidence_of([source])))
    return _record(session, actor, article_id, Decision.accept, why, [source.id], record)


def merge(session: Session, actor: User, article_id: int, assertion_ids: Sequence[int],
          reason: object, *, tag: str, note: str = "") -> Adjudication:
    """Several reviewers' assertions into one consensus assertion over all of their text."""
    why = parse_reason(reason)
    article = article_for_adjudication(session, actor, article_id)
    sources = _reviewed(session, article_id, list(dict.fromkeys(assertion_ids)))
    if len(sources) < 2:
        raise ValidationFailed("A merge takes two assertions or more.", "assertions")
    start, end = min(a.start for a in sources), max(a.end for a in sources)
    record = _write(session, actor, article_id,
                    NewAssertion(start, end, article.body[start:end], tag, note,
                                 _evidence_of(sources)))
    return _record(session, actor, article_id, Decision.merge, why, [a.id for a in sources],
                   record)


def reject(session: Session, actor: User, article_id: int, assertion_id: int,
           reason: object) -> Adjudication:
    """A reviewer's assertion stays out of the consensus; the reason says why."""
    why = parse_reason(reason)
    article_for_adjudication(session, actor, article_id)
    (source,) = _reviewed(session, article_id, [assertion_id])
    return _record(session, actor, article_id, Decision.reject, why, [source.id], None)


def write_new(session: Session, actor: User, article_id: int, *, start: Any, end: Any,
              quote: Any, tag: Any, note: Any = "", reason: object) -> Adjudication:
    """An assertion no reviewer made, written straight into the consensus."""
    why = parse_reason(reason)
    article_for_adjudication(session, actor, article_id)
    record = _write(session, actor, article_id, NewAssertion(start, end, quote, tag, note))
    return _record(session, actor, article_id, Decision.new, why, [], record)


def _consensus_assertion(session: Session, article_id: int, assertion_id: int) -> Assertion:
    assertion = session.get(Assertion, assertion_id)
    if assertion is None or assertion.article_id != article_id or not assertion.consensus:
        raise NotFound("No such consensus assertion.")
    return assertion


def edit(session: Session, actor: User, article_id: int, assertion_id: int, reason: object, *,
         version: int, tag: str | None = None, note: str | None = None) -> Adjudication:
    """Change a consensus assertion's tag or note (naming the version read, as any edit)."""
    why = parse_reason(reason)
    article_for_adjudication(session, actor, article_id)
    assertion = _consensus_assertion(session, article_id, assertion_id)
    if version != assertion.version:
        raise Conflict("This consensus assertion changed since you loaded it; nothing was saved.",
                       current=assertion_dict(assertion), field="version", code="stale")
    if tag is not None:
        assertion.tag = validate_tag(tag)
    if note is not None:
        assertion.note = validate_note(note)
    assertion.updated_at = utcnow()
    session.flush()
    return _record(session, actor, article_id, Decision.edit, why, [],
                   assertion_dict(assertion))


def remove(session: Session, actor: User, article_id: int, assertion_id: int,
           reason: object) -> Adjudication:
    """Take an assertion out of the consensus set (the decision keeps what it was)."""
    why = parse_reason(reason)
    article_for_adjudication(session, actor, article_id)
    assertion = _consensus_assertion(session, article_id, assertion_id)
    before = assertion_dict(assertion)
    session.delete(assertion)
    session.flush()
    return _record(session, actor, article_id, Decision.remove, why, [], before)


def _one(ids: Sequence[int]) -> int:
    if len(ids) != 1:
        raise ValidationFailed("Choose exactly one assertion for this decision.", "assertions")
    return ids[0]


def _required(value: Any, name: str) -> Any:
    if value is None:
        raise ValidationFailed(f"{name} is required for this decision.", name)
    return value


def apply(session: Session, actor: User, article_id: int, action: str, *, reason: object,
          assertions: Sequence[int] = (), start: Any = None, end: Any = None, quote: Any = None,
          tag: str | None = None, note: str | None = None,
          version: int | None = None) -> Adjudication:
    """One decision by name, as the API and the page forms send it."""
    if action == Decision.accept.value:
        return accept(session, actor, article_id, _one(assertions), reason, tag=tag, note=note)
    if action == Decision.merge.value:
        return merge(session, actor, article_id, assertions, reason,
                     tag=_required(tag, "tag"), note=note or "")
    if action == Decision.reject.value:
        return reject(session, actor, article_id, _one(assertions), reason)
    if action == Decision.new.value:
        return write_new(session, actor, article_id, start=_required(start, "start"),
                         end=_required(end, "end"), quote=_required(quote, "quote"),
                         tag=_required(tag, "tag"), note=note or "", reason=reason)
    if action == Decision.edit.value:
        return edit(session, actor, article_id, _one(assertions), reason,
                    version=_required(version, "version"), tag=tag, note=note)
    if action == Decision.remove.value:
        return remove(session, actor, article_id, _one(assertions), reason)
    raise ValidationFailed("Unknown decision.", "action")
