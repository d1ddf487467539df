"""Request and response shapes of the JSON API. Requests are validated with these models; the
OpenAPI document is generated from all of them, so the two cannot drift apart."""
from __future__ import annotations

from datetime import date
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..config import MAX_INT, MAX_URL_LENGTH
from ..models import STANCES, TAGS
from ..services.articles import (MAX_LANGUAGE_LENGTH, MAX_PUBLISHER_LENGTH, MAX_TITLE_LENGTH)
from ..services.assertions import (MAX_EVIDENCE_PER_REQUEST, MAX_EVIDENCE_TITLE_LENGTH,
                                   MAX_NOTE_LENGTH)
from ..services.users import MAX_USERNAME_LENGTH

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


REQUEST_MODELS = [ArticleIn, EvidenceIn, AssertionIn, AssertionPatch, AssignmentIn]
RESPONSE_MODELS = [ErrorOut, ConflictOut, EvidenceOut, AssertionOut, ArticleSummaryOut, ArticleOut,
                   AssignmentOut, ArticleList, AssertionList, AssignmentList, AuditEventOut,
                   AuditList, TokenOut, TokenList]
