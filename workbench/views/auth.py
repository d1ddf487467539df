"""Login and logout through the form at /login."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..db import db
from ..services import users as users_service

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only a local path, so the login form cannot redirect anyone elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") \
            and not urlsplit(target).netloc and "\\" not in target:
        return target
    return url_for("articles.article_list")


@bp.route("/login", methods=["GET", "POST"])  # rate-limited in web._limit_login_attempts
def login():  # type: ignore[no-untyped-def]
    if request.method == "GET" and current_user.is_authenticated:
        return redirect(url_for("articles.article_list"))
    errors: dict[str, str] = {}
    username = request.form.get("username", "").strip()
    if request.method == "POST":
        password = request.form.get("password", "")
        if not username:
            errors["username"] = "Enter your username."
        if not password:
            errors["password"] = "Enter your password."
        if not errors:
            user = users_service.authenticate(db.session, username, password)
            if user is not None:
                login_user(user)
                return redirect(_safe_next(request.args.get("next")))
            errors["password"] = "Wrong username or password."
    status = 200 if not errors else (401 if "password" in errors and username else 422)
    return render_template("auth/login.html", errors=errors, username=username), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():  # type: ignore[no-untyped-def]
    users_service.end_sessions(db.session, current_user._get_current_object())
    logout_user()
    return redirect(url_for("auth.login"))
