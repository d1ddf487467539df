"""Flask extensions, created here and bound to the app in create_app."""
from __future__ import annotations

from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from .db import db

login_manager = LoginManager()
csrf = CSRFProtect()
htmx = HTMX()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

__all__ = ["csrf", "db", "htmx", "limiter", "login_manager"]
