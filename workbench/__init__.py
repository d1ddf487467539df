"""The fact-check annotation workbench: a Flask app factory and nothing else at import time."""
from __future__ import annotations

import os
import secrets
from typing import Any

from flask import Flask

from .config import (DEVELOPMENT_ENVIRONMENTS, INSTANCE_DIR, MAX_CONTENT_LENGTH, PROJECT_ROOT,
                     from_environment)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: settings from the environment, overridden by ``config`` (tests)."""
    app = Flask(__name__, static_folder=str(PROJECT_ROOT / "static"),
                template_folder=str(PROJECT_ROOT / "templates"),
                instance_path=str(INSTANCE_DIR))
    app.config.update(from_environment())
    app.config.update(
        MAX_CONTENT_LENGTH=MAX_CONTENT_LENGTH,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_HEADERS=["X-CSRFToken"],
        JSON_SORT_KEYS=False,
    )
    app.config.update(config or {})
    app.config["SECRET_KEY"] = _secret_key(app)
    app.config["REMEMBER_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"]

    from .web import init_web

    init_web(app)
    if app.config.get("TRUSTED_PROXIES"):
        # Behind nginx: the client's address (the login limit's key) and scheme come from it.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    return app


def _secret_key(app: Flask) -> str:
    """The given SECRET_KEY; development and tests may fall back to a key kept in instance/."""
    if app.config.get("SECRET_KEY"):
        return str(app.config["SECRET_KEY"])
    if app.config["ENV_NAME"] not in DEVELOPMENT_ENVIRONMENTS:
        raise RuntimeError(
            "SECRET_KEY is not set. Outside development and tests the workbench refuses to start "
            "without one: set SECRET_KEY to a long random value shared by every app server.")
    if app.config["ENV_NAME"] == "test":
        return secrets.token_hex(32)
    key_file = INSTANCE_DIR / "secret_key"
    if not key_file.exists():
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        os.chmod(key_file, 0o600)
    return key_file.read_text().strip()


__all__ = ["create_app"]
