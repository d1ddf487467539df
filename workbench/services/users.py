"""Accounts, passwords and API tokens."""
from __future__ import annotations

import hashlib
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ..models import ROLES, ApiToken, Role, User, new_session_nonce, utcnow
from ..values import ValueProblem, parse_int
from . import audit
from .errors import Conflict, NotFound, ValidationFailed
from .policy import project_access

# Starts with a letter, digit or underscore: never with "-" (or any character a spreadsheet
# reads as a formula), since usernames appear in CSV exports.
MAX_USERNAME_LENGTH = 64
USERNAME_PATTERN = re.compile(rf"[A-Za-z0-9_][A-Za-z0-9_.-]{{1,{MAX_USERNAME_LENGTH - 1}}}")
TOKEN_PREFIX = "wb_"

# Argon2id, memory-hard; tests swap in cheaper parameters with use_fast_password_hashing().
_hasher = PasswordHasher()
# Verified against when the username is unknown, so a wrong name costs as long as a wrong password.
_dummy_hash: str | None = None


def use_fast_password_hashing() -> None:
    """Cheap Argon2 parameters for test suites; never for real accounts."""
    global _hasher, _dummy_hash
    _hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    _dummy_hash = None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def user_snapshot(user: User) -> dict[str, object]:
    return {"id": user.id, "username": user.username, "role": user.role, "active": user.active}


def create_user(session: Session, username: str, role: str, password: str,
                actor: User | None = None) -> User:
    """Create an account; the username must be new and the role known."""
    if not isinstance(username, str) or not USERNAME_PATTERN.fullmatch(username):
        raise ValidationFailed(
            f"A username is 2 to {MAX_USERNAME_LENGTH} letters, digits, dots, dashes or "
            "underscores, and begins with a letter, a digit or an underscore.", "username")
    if role not in ROLES:
        raise ValidationFailed(f"Role must be one of: {', '.join(ROLES)}.", "role")
    if len(password) < 8:
        raise ValidationFailed("A password needs at least 8 characters.", "password")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"A user named {username!r} already exists.", field="username")
    user = User(username=username, role=role, password_hash=hash_password(password),
                session_nonce=new_session_nonce())
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.create", "user", user.id, after=user_snapshot(user))
    return user


def set_password(session: Session, user: User, password: str, actor: User | None = None) -> None:
    """Change a password and end every session of that user."""
    if len(password) < 8:
        raise ValidationFailed("A password needs at least 8 characters.", "password")
    user.password_hash = hash_password(password)
    user.session_nonce = new_session_nonce()
    session.flush()
    audit.record(session, actor, "user.password", "user", user.id, after=user_snapshot(user))


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password, or None (in constant-ish time)."""
    global _dummy_hash
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        if _dummy_hash is None:
            _dummy_hash = _hasher.hash("not a real password")
        try:
            _hasher.verify(_dummy_hash, password)
        except VerificationError:
            pass
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def end_sessions(session: Session, user: User) -> None:
    """Logout: a new nonce makes every login cookie of this user invalid."""
    user.session_nonce = new_session_nonce()
    session.flush()


def load_session_user(session: Session, cookie_id: str) -> User | None:
    """The user named by a login cookie's id (``<id>:<nonce>``), if that session is still valid."""
    raw_id, _, nonce = cookie_id.partition(":")
    try:
        user_id = parse_int(raw_id, "user", minimum=1)
    except ValueProblem:
        return None
    user = session.get(User, user_id)
    if user is None or not user.active or not secrets.compare_digest(user.session_nonce, nonce):
        return None
    return user


def get_user_by_name(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"No user named {username!r}.")
    return user


def token_digest(token: str) -> str:
    # Tokens are 256 random bits, so a fast hash is enough; passwords get Argon2.
    return hashlib.sha256(token.encode()).hexdigest()


def token_snapshot(token: ApiToken) -> dict[str, object]:
    return {"id": token.id, "user_id": token.user_id, "label": token.label, "prefix": token.prefix,
            "revoked": token.revoked_at is not None}


def create_token(session: Session, user: User, label: str = "",
                 actor: User | None = None) -> tuple[ApiToken, str]:
    """Create an API token; returns the row and the token itself, which is never stored."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, label=label[:100], token_hash=token_digest(secret),
                     prefix=secret[:10])
    session.add(token)
    session.flush()
    audit.record(session, actor or user, "token.create", "api_token", token.id,
                 after=token_snapshot(token))
    return token, secret


def revoke_token(session: Session, token: ApiToken, actor: User | None = None) -> None:
    """Revoke a token; revoking twice is refused so the trail shows one revocation."""
    if token.revoked_at is not None:
        raise Conflict("This token is already revoked.", current=token_snapshot(token),
                       code="revoked")
    before = token_snapshot(token)
    token.revoked_at = utcnow()
    session.flush()
    audit.record(session, actor, "token.revoke", "api_token", token.id,
                 before=before, after=token_snapshot(token))


_USER_FOR_TOKEN = (select(User).join(ApiToken, ApiToken.user_id == User.id)
                   .where(ApiToken.token_hash == bindparam("digest"),
                          ApiToken.revoked_at.is_(None), User.active.is_(True)))


def user_for_token(session: Session, secret: str) -> User | None:
    """The active user a bearer token belongs to, or None if unknown or revoked."""
    return session.execute(_USER_FOR_TOKEN,
                           {"digest": token_digest(secret)}).scalar_one_or_none()


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def set_active(session: Session, actor: User, user_id: int, active: bool) -> User:
    """Deactivate (ending every session and token use) or reactivate an account."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    if user.id == actor.id and not active:
        raise ValidationFailed("You cannot deactivate your own account.", "active")
    before = user_snapshot(user)
    user.active = active
    if not active:
        user.session_nonce = new_session_nonce()
    session.flush()
    audit.record(session, actor, "user.update", "user", user.id, before=before,
                 after=user_snapshot(user))
    return user


def tokens_visible_to(session: Session, viewer: User) -> list[ApiToken]:
    """A user's own tokens; an admin sees everyone's."""
    query = select(ApiToken).order_by(ApiToken.id.desc())
    if not project_access(viewer).can_manage_all_tokens:
        query = query.where(ApiToken.user_id == viewer.id)
    return list(session.scalars(query))


def get_token_for(session: Session, viewer: User, token_id: int) -> ApiToken:
    """A token the viewer may manage (their own, or any for an admin), else NotFound."""
    token = session.get(ApiToken, token_id)
    if token is None or (token.user_id != viewer.id
                         and not project_access(viewer).can_manage_all_tokens):
        raise NotFound("No such token.")
    return token


def token_dict(token: ApiToken) -> dict[str, object]:
    return {"id": token.id, "user": token.user.username, "label": token.label,
            "prefix": token.prefix, "created_at": token.created_at.isoformat(),
            "last_used_at": token.last_used_at.isoformat() if token.last_used_at else None,
            "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None}


def active_reviewer_names(session: Session) -> list[str]:
    """Usernames a supervisor may assign an article to, alphabetically."""
    return list(session.scalars(select(User.username).where(
        User.role == Role.reviewer.value, User.active.is_(True)).order_by(User.username)))
