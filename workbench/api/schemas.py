"""Request and response shapes of the JSON API. Requests are validated with these models; the
OpenAPI document is generated from all of them, so the two cannot drift apart."""
from __future__ import annotations

from datetime import date
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..config import MAX_INT, MAX_URL_LENGTH
from ..values import MAX_REASON_LENGTH
from ..models import DECISIONS, STANCES, TAGS, VERDICT_STATES
from ..services.articles import (MAX_LANGUAGE_LENGTH, MAX_PUBLISHER_LENGTH, MAX_TITLE_LENGTH)
from ..services.assertions import (MAX_EVIDENCE_PER_REQUEST, MAX_EVIDENCE_TITLE_LENGTH,
                                   MAX_NOTE_LENGTH)
from ..services.assignments import MAX_BULK_ARTICLES
from ..services.users import MAX_USERNAME_LENGTH
from ..services.verdicts import MAX_EXPLANATION_LENGTH, MAX_SUMMARY_LENGTH

# Names and limits come from the models and services, which check them for every entry point
# (API, pages, CLI, imports); the schema repeats them only so the OpenAPI document shows them.
TagName = Literal[TAGS]  # type: ignore[valid-type]
StanceName = Literal[STANCES]  # type: ignore[valid-type]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value):  # type: ignore[no-untyped-def]
        # PostgreSQL cannot store NUL in text, and SQLite's length() stops at it.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("NUL characters are not allowed")
        return value


class ArticleIn(Strict):
    title: str = Field(min_length=1, max_length=MAX_TITLE_LENGTH)
    body: str = Field(min_length=1, description="Plain text; stored as NFC with \\n line ends.")
    source_url: Optional[str] = Field(default=None, max_length=MAX_URL_LENGTH)
    publisher: Optional[str] = Field(default=None, max_length=MAX_PUBLISHER_LENGTH)
    published_at: Optional[date] = None
    language: Optional[str] = Field(default=None, max_length=MAX_LANGUAGE_LENGTH,
                                    examples=["en", "ar"])


class ArticlePatch(Strict):
    version: str = Field(min_length=1, max_length=64,
                         description="The article's `version` as you read it; a stale one "
                                     "gets 409 with the current values.")
    title: Optional[str] = Field(default=None, min_length=1, max_length=MAX_TITLE_LENGTH)
    source_url: Optional[str] = Field(default=None, max_length=MAX_URL_LENGTH)
    publisher: Optional[str] = Field(default=None, max_length=MAX_PUBLISHER_LENGTH)
    published_at: Optional[date] = None
    language: Optional[str] = Field(default=None, max_length=MAX_LANGUAGE_LENGTH,
                                    examples=["en", "ar"])


class EvidenceIn(Strict):
    url: str = Field(description=f"http or https, at most {MAX_URL_LENGTH} characters; "
                                 "never fetched.")
    title: str = Field(default="", max_length=MAX_EVIDENCE_TITLE_LENGTH)
    note: str = Field(default="", max_length=MAX_NOTE_LENGTH)
    stance: StanceName = "context"


class AssertionIn(Strict):
    start: int = Field(ge=0, le=MAX_INT,
                       description="Code points into the canonical body.")
    end: int = Field(ge=1, le=MAX_INT,
                     description="Code points into the canonical body; exclusive.")
    quote: str = Field(min_length=1, description="Exactly the body between start and end.")
    tag: TagName
    note: str = Field(default="", max_length=MAX_NOTE_LENGTH)
    evidence: list[EvidenceIn] = Field(default_factory=list, max_length=MAX_EVIDENCE_PER_REQUEST)


class AssertionPatch(Strict):
    tag: Optional[TagName] = None
    note: Optional[str] = Field(default=None, max_length=MAX_NOTE_LENGTH)
    version: int = Field(ge=1, le=MAX_INT,
                         description="The version you read; a stale one gets 409.")


class AssignmentIn(Strict):
    reviewer: str = Field(min_length=1, max_length=MAX_USERNAME_LENGTH,
                          description="The reviewer's username.")


class BulkAssignmentIn(Strict):
    articles: list[int] = Field(min_length=1, max_length=MAX_BULK_ARTICLES,
                                description="Article ids (from the list, its search and filters).")
    reviewers: list[str] = Field(min_length=1, max_length=1000,
                                 description="Usernames of the reviewers to share them among.")
    per_article: int = Field(default=1, ge=1, le=1000,
                             description="How many of the reviewers review each article; the "
                                         "least loaded are chosen first.")

    @field_validator("articles")
    @classmethod
    def _ids_in_range(cls, ids: list[int]) -> list[int]:
        if any(not 1 <= i <= MAX_INT for i in ids):
            raise ValueError(f"article ids run from 1 to {MAX_INT}")
        return ids


class ReasonIn(Strict):
    reason: str = Field(min_length=1, max_length=MAX_REASON_LENGTH,
                        description="Why; kept in the audit trail.")


class DecisionIn(Strict):
    """One adjudication decision; which fields count depends on ``action``."""

    action: Literal[DECISIONS]  # type: ignore[valid-type]
    reason: str = Field(min_length=1, max_length=MAX_REASON_LENGTH,
                        description="Why; kept with the decision and in the audit trail.")
    assertions: list[int] = Field(default_factory=list, max_length=100,
                                  description="accept, reject: one reviewer assertion; merge: "
                                              "two or more; edit, remove: one consensus "
                                              "assertion.")
    start: Optional[int] = Field(default=None, ge=0, le=MAX_INT, description="new only")
    end: Optional[int] = Field(default=None, ge=1, le=MAX_INT, description="new only")
    quote: Optional[str] = Field(default=None, description="new only")
    tag: Optional[TagName] = Field(default=None, description="new, merge (required); accept, "
                                                             "edit (to change it)")
    note: Optional[str] = Field(default=None, max_length=MAX_NOTE_LENGTH)
    version: Optional[int] = Field(default=None, ge=1, le=MAX_INT,
                                   description="edit: the version of the consensus assertion read")


class VerdictIn(Strict):
    rating: str = Field(description="One of the project's verdict scale (see the settings).")
    summary: str = Field(default="", max_length=MAX_SUMMARY_LENGTH)
    state: Optional[Literal[VERDICT_STATES]] = None  # type: ignore[valid-type]
    version: Optional[int] = Field(default=None, ge=1, le=MAX_INT,
                                   description="The version you read; required to change a "
                                               "verdict, a stale one gets 409.")


class RatingIn(Strict):
    rating: str = Field(description="One of the project's assertion rating scale.")
    explanation: str = Field(default="", max_length=MAX_EXPLANATION_LENGTH)
    version: Optional[int] = Field(default=None, ge=1, le=MAX_INT)


# Responses (documentation and test-time validation only).
class ErrorDetail(BaseModel):
    code: str
    message: str
    field: Optional[str]


class ErrorOut(BaseModel):
    error: ErrorDetail


class EvidenceOut(BaseModel):
    id: int
    assertion_id: int
    url: str
    title: str
    note: str
    stance: StanceName
    added_by: Optional[str]
    created_at: str


class AssertionOut(BaseModel):
    id: int
    article_id: int
    reviewer: str
    start: int
    end: int
    quote: str
    prefix: str
    suffix: str
    tag: TagName
    note: str
    version: int
    evidence: list[EvidenceOut]
    created_at: str
    updated_at: str


class ConflictOut(BaseModel):
    error: ErrorDetail
    current: Optional[dict[str, object]] = None


class ArticleSummaryOut(BaseModel):
    id: int
    title: str
    publisher: Optional[str]
    source_url: Optional[str]
    language: Optional[str]
    published_at: Optional[str]
    created_at: str
    tag_counts: dict[str, int]
    reviewers: int


class ArticleOut(BaseModel):
    id: int
    title: str
    body: str
    source_url: Optional[str]
    publisher: Optional[str]
    published_at: Optional[str]
    language: Optional[str]
    content_hash: str
    created_at: str
    version: str = Field(description="Of the metadata (title to language); send it back to "
                                     "PATCH them.")


class AssignmentOut(BaseModel):
    id: int
    article_id: int
    reviewer: str
    status: Literal["assigned", "submitted"]
    assigned_at: str
    submitted_at: Optional[str]


class AuditEventOut(BaseModel):
    id: int
    at: str
    actor: str
    action: str
    entity_type: str
    entity_id: Optional[int]
    article_id: Optional[int]
    before: Optional[dict[str, object]]
    after: Optional[dict[str, object]]


class TokenOut(BaseModel):
    id: int
    user: str
    label: str
    prefix: str
    created_at: str
    last_used_at: Optional[str]
    revoked_at: Optional[str]


class AuditList(BaseModel):
    items: list[AuditEventOut]
    next: Optional[str]


class TokenList(BaseModel):
    items: list[TokenOut]
    next: Optional[str]


class ArticleList(BaseModel):
    items: list[ArticleSummaryOut]
    next: Optional[str]


class AssertionList(BaseModel):
    items: list[AssertionOut]
    next: Optional[str]


class AssignmentList(BaseModel):
    items: list[AssignmentOut]
    next: Optional[str]


class DecisionOut(BaseModel):
    version: int
    action: Literal[DECISIONS]  # type: ignore[valid-type]
    reason: str
    actor: str
    at: str
    source_ids: list[int]
    result_id: Optional[int]
    result: Optional[AssertionOut]


class ConsensusOut(BaseModel):
    article_id: int
    version: int
    items: list[AssertionOut]
    decisions: list[DecisionOut]


class VerdictOut(BaseModel):
    article_id: int
    rating: str
    summary: str
    state: Literal[VERDICT_STATES]  # type: ignore[valid-type]
    version: int
    author: Optional[str]
    created_at: str
    updated_at: str
    published_at: Optional[str]
    public_url: Optional[str] = Field(default=None,
                                      description="The public report, while published.")


class RatingOut(BaseModel):
    assertion_id: int
    rating: str
    explanation: str
    version: int
    rated_by: Optional[str]
    updated_at: str


class QueueItemOut(BaseModel):
    article_id: int
    title: str
    status: Literal["to_do", "in_progress", "submitted"]
    assertions: int
    assigned_at: str


class QueueOut(BaseModel):
    to_do: list[QueueItemOut]
    in_progress: list[QueueItemOut]
    submitted: list[QueueItemOut]
    next: Optional[int] = Field(description="The article to open next, if any.")


class ReviewerProgressOut(BaseModel):
    reviewer: str
    assigned: int
    to_do: int
    in_progress: int
    submitted: int


class ProgressOut(BaseModel):
    reviewers: list[ReviewerProgressOut]


REQUEST_MODELS = [ArticleIn, ArticlePatch, EvidenceIn, AssertionIn, AssertionPatch, AssignmentIn,
                  BulkAssignmentIn, ReasonIn, DecisionIn, VerdictIn, RatingIn]
RESPONSE_MODELS = [ErrorOut, ConflictOut, EvidenceOut, AssertionOut, ArticleSummaryOut, ArticleOut,
                   AssignmentOut, ArticleList, AssertionList, AssignmentList, AuditEventOut,
                   AuditList, TokenOut, TokenList, QueueItemOut, QueueOut, ReviewerProgressOut,
                   ProgressOut, DecisionOut, ConsensusOut, VerdictOut, RatingOut]
