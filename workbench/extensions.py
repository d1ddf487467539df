"""Flask extensions, created here and bound to the app in create_app."""
from __future__ import annotations

from flask_htmx import HTMX
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from .db import db

login_manager = LoginManager()
csrf = CSRFProtect()
htmx = HTMX()

__all__ = ["csrf", "db", "htmx", "login_manager"]
