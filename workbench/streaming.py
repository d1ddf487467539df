"""Streamed responses (exports, CSV and XLSX downloads, the audit trail) that outlive the worker
timeout.

gunicorn's sync workers tell their master they are alive between requests; one busy longer than
``timeout`` (30 s by default) is killed, and a download longer than that stopped half-way (seen:
a project export cut at 115 MB). The worker's own heartbeat is handed to the app when it starts
(``attach_heartbeat``, from ``deploy/gunicorn.conf.py``), and ``streamed`` beats it before each
chunk, so a download lives as long as it makes progress, while a worker stuck elsewhere (or on a
client that stopped reading) is still killed. Without gunicorn (tests, ``flask run``) there is
nothing to beat.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from flask import Flask, current_app, stream_with_context

__all__ = ["attach_heartbeat", "streamed"]

T = TypeVar("T", str, bytes)

_HEARTBEAT = "workbench.heartbeat"


def attach_heartbeat(app: Any, heartbeat: Callable[[], None]) -> None:
    """Give ``app`` (what gunicorn loaded: the Flask app) the worker's heartbeat."""
    if isinstance(app, Flask):
        app.extensions[_HEARTBEAT] = heartbeat


def streamed(chunks: Iterable[T]) -> Iterator[T]:
    """``chunks`` as a response body in the request's context, beating the worker's heartbeat
    before each one."""
    beat = current_app.extensions.get(_HEARTBEAT)
    if beat is None:
        return stream_with_context(chunks)  # type: ignore[no-any-return]

    def beating() -> Iterator[T]:
        for chunk in chunks:
            beat()
            yield chunk

    return stream_with_context(beating())  # type: ignore[no-any-return]
