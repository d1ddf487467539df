"""Tables. The schema itself comes only from the Alembic migrations in ``migrations/``."""
from .agreement_cache import AgreementCache
from .article import Article
from .assertion import STANCES, TAGS, Assertion, Evidence, Stance, Tag
from .audit import AuditEvent
from .base import Base, utcnow
from .consensus import DECISIONS, Adjudication, Decision
from .review import Assignment, AssignmentStatus
from .setting import Setting
from .user import ROLES, ApiToken, Role, User, new_session_nonce
from .verdict import VERDICT_STATES, AssertionRating, Verdict, VerdictState

__all__ = [
    "Adjudication", "AgreementCache", "AssertionRating", "DECISIONS", "Decision", "VERDICT_STATES", "Verdict",
    "VerdictState", "ApiToken", "Article", "Assertion", "Assignment", "AssignmentStatus", "AuditEvent", "Base",
    "Evidence", "ROLES", "Role", "STANCES", "Setting", "Stance", "TAGS", "Tag", "User", "new_session_nonce", "utcnow",
]
