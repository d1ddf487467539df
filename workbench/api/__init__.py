"""The JSON API under /api/v1, authenticated by bearer tokens."""
from __future__ import annotations

from flask import Blueprint

api = Blueprint("api", __name__, url_prefix="/api/v1")

from . import routes  # noqa: E402,F401  (registers the routes on the blueprint)
from . import exchange  # noqa: E402,F401  (the export routes)
from . import agreement  # noqa: E402,F401  (the supervisors' agreement figures)
