"""The workbench with every request profiled by pyinstrument (used by profiling.py only).

Gunicorn loads ``benchmarks.profiled_app:app``; the profiler runs only while the app handles a
request, so gunicorn's own socket work is outside the profile. ``gunicorn_profiling.py`` saves
the combined session when the worker exits.
"""
from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pyinstrument import Profiler

from workbench import create_app

PROFILE_INTERVAL_S = 0.0005


class ProfiledApp:
    """A WSGI wrapper that profiles each call of the wrapped app, body included."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]], output_prefix: Path) -> None:
        self.wsgi_app = wsgi_app
        self.output_prefix = output_prefix
        self.profiler = Profiler(interval=PROFILE_INTERVAL_S)
        self.requests = 0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        self.profiler.start()
        try:
            result = self.wsgi_app(environ, start_response)
            try:
                body = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        finally:
            self.profiler.stop()
        self.requests += 1
        return [body]

    def save(self) -> None:
        """Write the session (pyinstrument JSON), a text rendering and the request count."""
        if self.requests == 0 or self.profiler.last_session is None:
            return
        prefix = f"{self.output_prefix}-{os.getpid()}"
        self.profiler.last_session.save(prefix + ".pyisession")
        Path(prefix + ".txt").write_text(self.profiler.output_text(unicode=True, color=False,
                                                                   show_all=False))
        Path(prefix + ".html").write_text(self.profiler.output_html())
        Path(prefix + ".json").write_text(json.dumps({"requests": self.requests}))


app = ProfiledApp(create_app().wsgi_app, Path(os.environ["BENCH_PROFILE_PREFIX"]))
