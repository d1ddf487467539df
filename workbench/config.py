"""Configuration read from the environment; tests pass overrides to create_app."""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"

# Keys that only make sense on a developer's machine or in tests.
DEVELOPMENT_ENVIRONMENTS = {"development", "test"}


def default_database_url() -> str:
    return f"sqlite:///{INSTANCE_DIR / 'workbench.sqlite3'}"


def from_environment() -> dict[str, object]:
    """Settings taken from environment variables (12-factor, so every app server shares them)."""
    env = os.environ.get("WORKBENCH_ENV", "development")
    return {
        "ENV_NAME": env,
        "DATABASE_URL": os.environ.get("DATABASE_URL") or default_database_url(),
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        "REDIS_URL": os.environ.get("REDIS_URL"),
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "10 per minute"),
        # Keys of the login limit in the shared store (one per deployment sharing a Redis).
        "RATELIMIT_KEY_PREFIX": os.environ.get("RATELIMIT_KEY_PREFIX", "workbench"),
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "0") == "1",
        # Proxies in front of the app whose X-Forwarded-* headers are believed (nginx: 1).
        "TRUSTED_PROXIES": trusted_proxies(os.environ.get("TRUSTED_PROXIES", "0")),
    }


def trusted_proxies(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit()) or int(raw) > 8:
        raise RuntimeError(f"TRUSTED_PROXIES must be a number of proxies from 0 to 8, not {raw!r}")
    return int(raw)


# Size limits from the issue: an article body over 2 MB is refused with 413.
MAX_ARTICLE_BODY_BYTES = 2 * 1024 * 1024
# The whole request may carry a JSON-escaped body, which can be several times larger.
MAX_CONTENT_LENGTH = 16 * 1024 * 1024
MAX_URL_LENGTH = 2048
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 50
# Ids, offsets and versions are 32-bit INTEGER columns on PostgreSQL; anything larger is refused.
MAX_INT = 2**31 - 1
