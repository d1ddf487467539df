"""Demo annotations for ``workbench seed --demo``: both demo reviewers tag the sample articles,
agreeing mostly and disagreeing in every way the agreement pages show, then submit.

Deterministic (from the article's text and sentence positions, never its id, which differs from
one database to the next), written through the same span check and
insert as any assertion, and idempotent: a reviewer who already has work on an article is left
alone."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import TAGS, Article, Assertion, Assignment, AssignmentStatus, User
from ..text import Sentence, content_hash, split_sentences
from .assertions import create_assertion
from .assignments import submit

SENTENCES_PER_ARTICLE = 14


def _other_tag(tag: str) -> str:
    return TAGS[(TAGS.index(tag) + 1) % len(TAGS)]


def _trimmed(sentence: Sentence) -> tuple[int, int]:
    """The sentence without its first word (a boundary disagreement), or whole if one word."""
    space = sentence.text.find(" ")
    return (sentence.start + space + 1, sentence.end) if space > 0 else (sentence.start,
                                                                         sentence.end)


def planned_spans(body: str, second: bool) -> list[tuple[int, int, str]]:
    """``(start, end, tag)`` for the first or the second demo reviewer."""
    variety = int(content_hash(body)[:8], 16)  # the same for an article in any database
    spans = []
    for i, sentence in enumerate(split_sentences(body)[:SENTENCES_PER_ARTICLE]):
        tag = TAGS[(i * 7 + variety) % len(TAGS)]
        first_skips = i % 4 == 3
        if not second:
            if not first_skips:
                spans.append((sentence.start, sentence.end, tag))
            continue
        if first_skips:
            if i % 8 == 7:  # the second reviewer alone sees an assertion here
                spans.append((sentence.start, sentence.end, tag))
            continue
        variant = (i + variety) % 8
        if variant == 3:
            spans.append((sentence.start, sentence.end, _other_tag(tag)))
        elif variant == 4:
            spans.append((*_trimmed(sentence), tag))
        elif variant != 5:  # 5: the second reviewer misses it
            spans.append((sentence.start, sentence.end, tag))
    return spans


def annotate_demo(session: Session, usernames: tuple[str, str] = ("reviewer", "reviewer2")) -> int:
    """Annotate and submit every open demo assignment without work; returns how many."""
    done = 0
    for position, name in enumerate(usernames):
        reviewer = session.scalar(select(User).where(User.username == name))
        if reviewer is None:
            continue
        open_articles = session.scalars(select(Assignment.article_id).where(
            Assignment.reviewer_id == reviewer.id,
            Assignment.status == AssignmentStatus.assigned.value).order_by(Assignment.article_id))
        for article_id in list(open_articles):
            has_work = session.scalar(select(func.count()).select_from(Assertion).where(
                Assertion.article_id == article_id, Assertion.reviewer_id == reviewer.id))
            if has_work:
                continue
            body = session.scalar(select(Article.body).where(Article.id == article_id)) or ""
            for start, end, tag in planned_spans(body, second=position == 1):
                create_assertion(session, reviewer, article_id, start=start, end=end,
                                 quote=body[start:end], tag=tag)
            submit(session, reviewer, article_id)
            done += 1
    return done
