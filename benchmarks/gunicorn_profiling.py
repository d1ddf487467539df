"""Gunicorn settings for the profiling run: save each worker's profile when it exits."""
from __future__ import annotations

from typing import Any


def worker_exit(server: Any, worker: Any) -> None:
    app = getattr(worker, "wsgi", None)
    if app is not None and hasattr(app, "save"):
        app.save()
