"""The access policy: who may see and do what, computed in one place.

Two records carry named rights: ``ProjectAccess`` (what a user may do across the project, from
their role) and ``ArticleAccess`` (what they may do on one article, from role, assignment,
submission and settings). Views, API routes and services ask them through ``require``, which
applies the one rule for refusals:

- 404 (``NotFound``) for what the caller may not know exists: an article they are not assigned,
  the consensus, verdicts and exports of an article they review,
  another reviewer's work under blind review, a supervisor's page to a reviewer;
- 403 (``Forbidden``, with a ``code``) for what they see but may not change: their own submitted
  review (``submitted``), an article they see but may not assign (``forbidden``).

Nothing else in the app tests a role string.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from ..models import Assertion, Assignment, AssignmentStatus, Role, Setting, User
from .errors import Forbidden, NotFound

REVEAL_AFTER_SUBMIT = "reveal_after_submit"
VERDICT_SCALE = "verdict_scale"
RATING_SCALE = "rating_scale"
PUBLISHER_NAME = "publisher_name"
PUBLISHER_URL = "publisher_url"
SHOW_REVIEWER_NAMES = "show_reviewer_names"
DEFAULT_SETTINGS: dict[str, object] = {
    REVEAL_AFTER_SUBMIT: False,
    # The ratings an article's verdict and an assertion may take, best first.
    VERDICT_SCALE: ["well sourced", "partly sourced", "poorly sourced", "opinion piece"],
    RATING_SCALE: ["accurate", "misleading", "false", "unverifiable"],
    # Who publishes the reports (the ClaimReview author), and whether public reports name the
    # reviewers.
    PUBLISHER_NAME: "Fact-check desk",
    PUBLISHER_URL: "https://factcheck.example.org/",
    SHOW_REVIEWER_NAMES: False,
}


def get_setting(session: Session, key: str) -> object:
    value = session.scalar(select(Setting.value).where(Setting.key == key))
    return DEFAULT_SETTINGS.get(key) if value is None else value


# -- The project ---------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ProjectAccess:
    """What one user may do across the project (see ``require`` for how refusals answer)."""

    can_see_all_articles: bool
    can_review: bool
    can_add_articles: bool
    can_edit_metadata: bool
    can_assign: bool
    can_adjudicate: bool
    can_write_verdict: bool
    can_export: bool
    can_read_audit: bool
    can_manage_users: bool
    can_manage_settings: bool
    can_manage_all_tokens: bool


def project_access(user: User | None) -> ProjectAccess:
    """The project-wide rights of ``user`` (anonymous: none)."""
    role = getattr(user, "role", None)
    supervises = role in (Role.supervisor.value, Role.admin.value)
    administers = role == Role.admin.value
    return ProjectAccess(
        can_see_all_articles=supervises, can_review=role == Role.reviewer.value,
        can_add_articles=supervises, can_edit_metadata=supervises, can_assign=supervises,
        can_adjudicate=supervises, can_write_verdict=supervises, can_export=supervises,
        can_read_audit=supervises, can_manage_users=administers,
        can_manage_settings=administers, can_manage_all_tokens=administers)


def listed_assertions(user: User) -> ColumnElement[bool]:
    """Which assertions the article list counts and filters on for ``user`` (SQL over
    ``Assertion``): every reviewer's work for those who see all articles, else the user's own
    alone. Never more than ``article_access`` reveals (blind review): the list does not show
    what "reveal after submit" shows on the article page, so its counts and its tag filter
    never disagree."""
    mine_only = not project_access(user).can_see_all_articles
    # The table's own columns: a Core query (the list's counts) stays Core, an ORM one is unchanged.
    columns = Assertion.__table__.c
    reviewers_work = columns.consensus.is_(False)
    return and_(reviewers_work, columns.reviewer_id == user.id) if mine_only else reviewers_work


# -- One article ---------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ArticleAccess:
    """What one user may do on one article."""

    can_see: bool
    can_annotate: bool
    can_assign: bool
    can_edit_metadata: bool
    can_adjudicate: bool
    can_write_verdict: bool
    can_export: bool
    # None means every reviewer's assertions; otherwise the reviewer ids whose work is visible.
    visible_reviewers: frozenset[int] | None
    assignment_status: str | None

    def can_see_reviewer(self, reviewer: User | int) -> bool:
        """Whether this reviewer's work on the article is visible (blind review)."""
        reviewer_id = reviewer if isinstance(reviewer, int) else reviewer.id
        return self.can_see and (self.visible_reviewers is None
                                 or reviewer_id in self.visible_reviewers)


NO_ACCESS = ArticleAccess(can_see=False, can_annotate=False, can_assign=False,
                          can_edit_metadata=False,
                          can_adjudicate=False, can_write_verdict=False, can_export=False,
                          visible_reviewers=frozenset(), assignment_status=None)


def article_access(session: Session, user: User, article_id: int,
                   assignment_status: str | None = None, *, known: bool = False) -> ArticleAccess:
    """The caller's rights on an article; pass ``known=True`` with a status already loaded
    (the save path reads it in the same query as the span)."""
    project = project_access(user)
    if project.can_see_all_articles:
        return ArticleAccess(can_see=True, can_annotate=False, can_assign=project.can_assign,
                             can_edit_metadata=project.can_edit_metadata,
                             can_adjudicate=project.can_adjudicate,
                             can_write_verdict=project.can_write_verdict,
                             can_export=project.can_export, visible_reviewers=None,
                             assignment_status=None)
    if not known:
        assignment_status = session.scalar(
            select(Assignment.status).where(Assignment.article_id == article_id,
                                            Assignment.reviewer_id == user.id))
    if assignment_status is None:
        return NO_ACCESS
    visible = frozenset({user.id})
    submitted = assignment_status == AssignmentStatus.submitted.value
    if submitted and get_setting(session, REVEAL_AFTER_SUBMIT):
        # Reveal after submit shows other reviewers' work once they have submitted it too,
        # never their work in progress.
        visible |= frozenset(session.scalars(select(Assignment.reviewer_id).where(
            Assignment.article_id == article_id,
            Assignment.status == AssignmentStatus.submitted.value)))
    return ArticleAccess(can_see=True, can_annotate=not submitted, can_assign=False,
                         can_edit_metadata=False,
                         can_adjudicate=False, can_write_verdict=False, can_export=False,
                         visible_reviewers=visible, assignment_status=assignment_status)


# -- Refusals --------------------------------------------------------------------------------------

# Why a right is refused, said once: (message, code) of the 403 for an article the caller sees.
_REFUSALS: dict[str, tuple[str, str]] = {
    "can_annotate": ("Only the reviewers assigned to an article annotate it.", "not_assigned"),
    "can_assign": ("Only supervisors assign articles.", "forbidden"),
    "can_edit_metadata": ("Only supervisors edit an article's details.", "forbidden"),
    "can_adjudicate": ("Only supervisors settle the consensus.", "forbidden"),
    "can_write_verdict": ("Only supervisors write verdicts.", "forbidden"),
    "can_export": ("Only supervisors export.", "forbidden"),
}
# Project rights whose refusal is a 403: the caller sees the collection (the article list) but
# may not add to it. Every other project right belongs to a page or route the caller is not
# shown at all, so its refusal is a 404.
VISIBLE_PROJECT_RIGHTS: dict[str, tuple[str, str]] = {
    "can_add_articles": ("Only supervisors and admins add articles.", "forbidden"),
}
SUBMITTED = ("You submitted this article; your assertions can no longer change.", "submitted")
# Article rights whose use a reviewer is not shown at all (the consensus, verdicts, exports of
# an article they review): refused with 404, as if those pages did not exist.
_HIDDEN_ARTICLE_RIGHTS = frozenset({"can_adjudicate", "can_write_verdict", "can_export"})


def require(access: ArticleAccess | ProjectAccess, right: str, *,
            not_found: str = "No such article.", message: str | None = None) -> None:
    """Raise unless ``access`` grants ``right`` (an attribute name such as ``can_annotate``).

    On an article: NotFound when the caller may not see it, else Forbidden with a code (and
    ``message`` if given). Across the project: NotFound, as if the page did not exist, except
    for the rights in ``VISIBLE_PROJECT_RIGHTS``."""
    if isinstance(access, ProjectAccess):
        if getattr(access, right):
            return
        if right in VISIBLE_PROJECT_RIGHTS:
            default, code = VISIBLE_PROJECT_RIGHTS[right]
            raise Forbidden(message or default, code=code)
        raise NotFound()
    if not access.can_see:
        raise NotFound(not_found)
    if right == "can_see" or getattr(access, right):
        return
    if right in _HIDDEN_ARTICLE_RIGHTS:
        raise NotFound(not_found)
    if right == "can_annotate" and access.assignment_status == AssignmentStatus.submitted.value:
        raise Forbidden(SUBMITTED[0], code=SUBMITTED[1])
    default, code = _REFUSALS.get(right, ("You may not do this here.", "forbidden"))
    raise Forbidden(message or default, code=code)
