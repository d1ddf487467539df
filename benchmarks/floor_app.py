"""The floor: the smallest Flask app, served under the same gunicorn settings as the workbench.

Every figure of the run is also given as a ratio to what this endpoint reaches.
"""
from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/ping")
def ping() -> str:
    return "ok"
