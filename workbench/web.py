"""Wiring of the Flask app: extensions, the per-request transaction, security headers, blueprints."""
from __future__ import annotations

import logging
import sys

from flask import Flask, Request, Response, abort, current_app, jsonify, render_template, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from sqlalchemy import exc as sql_errors
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from .config import DEVELOPMENT_ENVIRONMENTS, MAX_INT
from .db import database_fault, db, read_phase, write_intent
from .extensions import csrf, htmx, login_manager
from .services import users as users_service
from .services.errors import NotFound, WorkbenchError
from .services.policy import project_access

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


class AsciiIntConverter(IntegerConverter):
    """``<int:…>`` in URLs: ASCII digits only (Werkzeug's also takes "１２" and "١٢" as 12, so
    one row would have many addresses)."""

    regex = r"[0-9]+"


class _SessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions for pages; none for the bearer-token API, whose requests never
    read or write a login cookie (no signing serializer built, no cookie decoded)."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith(API_PREFIX):
            return self.make_null_session(app)
        return super().open_session(app, request)


API_PREFIX = "/api/"


def init_web(app: Flask) -> None:
    app.session_interface = _SessionInterface()
    app.url_map.converters["int"] = AsciiIntConverter
    app.url_value_preprocessor(_ids_in_range)
    db.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.session_protection = "basic"
    csrf.init_app(app)
    htmx.init_app(app)

    @login_manager.user_loader
    def load_user(cookie_id: str):  # type: ignore[no-untyped-def]
        with read_phase(db.session):
            return users_service.load_session_user(db.session, cookie_id)

    @app.context_processor
    def project_rights() -> dict[str, object]:
        # Templates ask the policy what to show (``project.can_read_audit``), never a role.
        from flask_login import current_user

        user = current_user if current_user.is_authenticated else None
        return {"project": project_access(user)}

    app.before_request(_refuse_nul_characters)
    app.before_request(_begin_unit_of_work)
    # After-request functions run last registered first: the unit of work ends before the
    # headers are set, so a commit that fails still answers with them.
    app.after_request(_security_headers)
    app.after_request(_finish_unit_of_work)

    from .api import api
    from .views.account import bp as account_bp
    from .views.admin import bp as admin_bp
    from .views.audit import bp as audit_bp
    from .views.consensus import bp as consensus_bp
    from .views.reports import bp as reports_bp
    from .views.imports import bp as imports_bp
    from .views.new_article import bp as new_article_bp
    from .views.review import bp as review_bp
    from .views.auth import bp as auth_bp
    from .views.articles import bp as articles_bp
    from .views.supervision import bp as supervision_bp

    csrf.exempt(api)  # bearer tokens, not cookies, authenticate the API
    app.register_blueprint(auth_bp)
    app.register_blueprint(new_article_bp)
    app.register_blueprint(imports_bp)
    app.register_blueprint(articles_bp)
    app.register_blueprint(review_bp)
    app.register_blueprint(consensus_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(supervision_bp)
    app.register_blueprint(api)

    _register_error_handlers(app)
    _limit_login_attempts(app)

    from .cli import register_commands

    register_commands(app)


# Redis answers within milliseconds: a second's silence means it is gone (count per process).
REDIS_TIMEOUT_S = 1


def _limit_login_attempts(app: Flask) -> None:
    """Rate-limit login posts: in memory, or in Redis (REDIS_URL) so app servers share the count;
    while Redis cannot be reached, each process counts on its own (said loudly, never a 500).

    One Limiter per app, so apps built side by side (tests) never share storage by accident."""
    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address

    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    if (app.config["RATELIMIT_STORAGE_URI"] == "memory://"
            and app.config["ENV_NAME"] not in DEVELOPMENT_ENVIRONMENTS):
        # Loud, once per process: each worker and server would count attempts on its own.
        print("!! workbench: the login rate limit is kept in this process's memory; with "
              "several workers or servers set REDIS_URL so that they share one count.",
              file=sys.stderr, flush=True)
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # Redis unreachable: count in this process's memory until it answers again (flask-limiter
    # checks it now and then), and never fail a login because of it.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    if app.config["RATELIMIT_STORAGE_URI"].startswith("redis"):
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {
            "socket_connect_timeout": REDIS_TIMEOUT_S, "socket_timeout": REDIS_TIMEOUT_S})
    limiter = Limiter(key_func=get_remote_address, app=app, default_limits=[])
    _say_loudly_when_the_limit_falls_back(limiter.logger)
    app.extensions["workbench_limiter"] = limiter
    app.view_functions["auth.login"] = limiter.limit(
        lambda: app.config["LOGIN_RATE_LIMIT"], methods=["POST"])(app.view_functions["auth.login"])
    # Only the login form is limited, and its decorator checks the limit itself: with no default
    # limits, the limiter's per-request check would find nothing to limit on any other request,
    # so it is not run (it cost every API save about as much as a statement).
    app.before_request_funcs[None].remove(limiter._check_request_limit)


class _LoudLimiterLog(logging.Handler):
    """flask-limiter's own warnings, on stderr and loud: it says once (per process and outage)
    that the shared store is unreachable, and again when it recovers."""

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING:
            print(f"!! workbench: login rate limit: {record.getMessage()}. Until the shared "
                  "store (REDIS_URL) answers again, this process counts login attempts on its "
                  "own.", file=sys.stderr, flush=True)
        elif "recovered" in record.getMessage():  # not each refused attempt (also INFO)
            print(f"workbench: login rate limit: {record.getMessage()}: counted in the shared "
                  "store again.", file=sys.stderr, flush=True)


def _say_loudly_when_the_limit_falls_back(logger: logging.Logger) -> None:
    # One logger for every Limiter in the process (tests build many apps): one handler on it.
    if not any(isinstance(handler, _LoudLimiterLog) for handler in logger.handlers):
        logger.addHandler(_LoudLimiterLog(logging.INFO))
        logger.setLevel(logging.INFO)


def _ids_in_range(_endpoint: str | None, values: dict[str, object] | None) -> None:
    """An id no row can have is simply not found (PostgreSQL would fail past 32 bits)."""
    if values and any(isinstance(v, int) and v > MAX_INT for v in values.values()):
        abort(404)


FORM_MIMETYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def _refuse_nul_characters() -> Response | None:
    """NUL cannot be stored in PostgreSQL text and cuts SQLite's length(): refuse it up front."""
    fields = list(request.args.items(multi=True))
    if request.mimetype in FORM_MIMETYPES:  # a JSON body is checked by its schema instead
        fields += request.form.items(multi=True)
    bad = next((key for key, value in fields if "\x00" in key or "\x00" in value), None)
    if bad is None:
        return None
    message = "NUL characters are not allowed."
    if request.path.startswith(API_PREFIX):
        from .api.errors import error_body

        response = jsonify(error_body("invalid", message, bad.replace("\x00", "")))
        response.status_code = 422
        return response
    return Response(render_template("error.html", status=422, message=message), 422)


def _begin_unit_of_work() -> None:
    # SQLite takes its write lock at BEGIN for requests that may write (see db.write_intent).
    write_intent.set(request.method not in SAFE_METHODS)


def _finish_unit_of_work(response: Response) -> Response:
    """Commit once for a successful request; a refused or failed one writes nothing. A commit
    the database could not take answers as the error handlers do (the request was not done)."""
    try:
        db.end_request(response.status_code < 400)
    except DATABASE_ERRORS as error:
        return _database_error(error)
    return response


SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


def _security_headers(response: Response) -> Response:
    headers = response.headers
    present = {name.lower() for name in headers.keys()}
    for name, value in SECURITY_HEADERS:
        if name.lower() not in present:  # a view's own value stands
            headers.add(name, value)
    if request.method == "GET" and response.mimetype == "text/html":
        response.vary.add("HX-Request")
        headers.setdefault("Cache-Control", "no-store")
    return response


def _register_error_handlers(app: Flask) -> None:
    """The app's one place for errors: a service's refusal (WorkbenchError), an HTTP error or
    the database's outage (``_database_error``) becomes JSON under /api/ and the error page
    elsewhere; the unit of work has rolled back."""
    app.register_error_handler(WorkbenchError, _service_error)
    app.register_error_handler(HTTPException, _http_error)
    for kind in DATABASE_ERRORS:
        app.register_error_handler(kind, _database_error)


def _wants_json() -> bool:
    return request.blueprint == "api" or request.path.startswith(API_PREFIX)


def _service_error(error: WorkbenchError):  # type: ignore[no-untyped-def]
    if _wants_json():
        from .api.errors import json_error

        return json_error(error)
    message = error.message
    if isinstance(error, NotFound) and message == NotFound.default_message:
        message = PAGE_MESSAGES[404]
    return render_template("error.html", status=error.status, message=message), error.status


def _http_error(error: HTTPException):  # type: ignore[no-untyped-def]
    if _wants_json():
        from .api.errors import json_http_error

        return json_http_error(error)
    status = error.code or 500
    message = error.description
    if message == type(error).description:  # Werkzeug's stock text ("check your spelling")
        message = PAGE_MESSAGES.get(status, message)
    if status >= 500:  # the failure may be the database's: draw the page without it
        return _page_without_database(status, message)
    return render_template("error.html", status=status, message=message), status


# Errors that may mean the database itself is unreachable or full (``db.database_fault``).
DATABASE_ERRORS = (sql_errors.OperationalError, sql_errors.InterfaceError,
                   sql_errors.DisconnectionError)
RETRY_AFTER_SECONDS = 5
DATABASE_FAULTS = {
    # 503: try again soon, the app reconnects by itself once the database answers.
    "unavailable": (503, "The database cannot be reached just now, so nothing was saved. "
                         "Try again in a few seconds."),
    # 507 Insufficient Storage: retrying does not help until someone frees space.
    "disk_full": (507, "The server's disk is full, so nothing was saved. Ask an administrator "
                       "to free space, then try again."),
}


def _database_error(error: Exception):  # type: ignore[no-untyped-def]
    """The database is down or its disk is full: 503 with Retry-After (507 for a full disk), as
    JSON under /api/ and the error page elsewhere, drawn without the database. Any other
    database error is not an outage and fails as before."""
    kind = database_fault(error)
    if kind is None:
        raise error
    current_app.logger.error("database %s: %s %s: %s", kind, request.method, request.path,
                             str(error).splitlines()[0])
    status, message = DATABASE_FAULTS[kind]
    if _wants_json():
        from .api.errors import error_body

        response = jsonify(error_body(kind, message))
        response.status_code = status
    else:
        response = _page_without_database(status, message)
    if status == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _page_without_database(status: int, message: str) -> Response:
    """The error page as anyone would see it: loading the signed-in user needs the database."""
    login_manager._update_request_context_with_user()  # flask-login's anonymous user
    return Response(render_template("error.html", status=status, message=message), status)


# The error page's words where Werkzeug's stock description would show.
PAGE_MESSAGES = {
    400: "The form or link was not complete (it may have expired): go back, reload the page "
         "and try again.",
    403: "Your account may not do this.",
    404: "There is nothing to see at this address: it may have been removed, the link may be "
         "mistyped, or it belongs to work your account cannot see.",
    405: "This address cannot be used that way.",
    413: "What was sent is too large.",
}
