"""The benchmark's people: a supervisor and reviewers, made through the app's own services,
with one API token each. Logging them in over HTTP (for the htmx form) lives in sessions.py."""
from __future__ import annotations

from dataclasses import dataclass

from workbench import create_app
from workbench.db import db
from workbench.services import users as users_service

PASSWORD = "bench-password-123"
SUPERVISOR = "bench-supervisor"


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    username: str
    role: str
    token: str


@dataclass(frozen=True, slots=True)
class Accounts:
    supervisor: Account
    reviewers: list[Account]

    @property
    def reviewer_ids(self) -> list[int]:
        return [r.id for r in self.reviewers]


def reviewer_name(index: int) -> str:
    return f"bench-reviewer-{index:02d}"


def create_accounts(database_url: str, reviewer_count: int) -> Accounts:
    """Create the supervisor and ``reviewer_count`` reviewers, each with an API token."""
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "benchmark-setup",
                      "ENV_NAME": "production"})
    made: list[Account] = []
    with app.app_context(), db.transaction() as session:
        wanted = [(SUPERVISOR, "supervisor")] + [
            (reviewer_name(i), "reviewer") for i in range(1, reviewer_count + 1)]
        for username, role in wanted:
            user = users_service.create_user(session, username, role, PASSWORD)
            _, secret = users_service.create_token(session, user, "benchmark")
            made.append(Account(user.id, username, role, secret))
    with app.app_context():
        db.engine.dispose()  # type: ignore[union-attr]
    return Accounts(supervisor=made[0], reviewers=made[1:])
