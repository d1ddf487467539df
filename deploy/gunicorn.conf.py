"""gunicorn settings for the workbench (``gunicorn -c deploy/gunicorn.conf.py 'workbench:create_app()'``).

The login limit must count one client's attempts across every worker and server, so with more
than one worker it needs the shared store (Redis, ``REDIS_URL``). In development (``make run``)
a Redis on 127.0.0.1:6379 is used when one answers; otherwise, and in production without
``REDIS_URL``, the master says so loudly before the workers start.
"""
from __future__ import annotations

import os
import socket
import sys

LOCAL_REDIS = ("127.0.0.1", 6379)


def _local_redis_answers() -> bool:
    try:
        with socket.create_connection(LOCAL_REDIS, timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def on_starting(server) -> None:  # type: ignore[no-untyped-def]
    if os.environ.get("REDIS_URL") or server.cfg.workers < 2:
        return
    if os.environ.get("WORKBENCH_ENV", "development") == "development" and _local_redis_answers():
        os.environ["REDIS_URL"] = "redis://%s:%d/0" % LOCAL_REDIS  # the workers inherit it
        return
    bar = "!" * 78
    print(f"{bar}\n!! The login rate limit is counted per process: {server.cfg.workers} workers "
          f"let a client try {server.cfg.workers} times\n!! as many passwords. Set REDIS_URL "
          f"(e.g. redis://127.0.0.1:6379/0) so that every worker and\n!! server shares one "
          f"count.\n{bar}", file=sys.stderr, flush=True)


def post_worker_init(worker) -> None:  # type: ignore[no-untyped-def]
    # Long downloads beat the worker's heartbeat as they stream, so the timeout does not cut
    # them half-way (workbench/streaming.py).
    from workbench.streaming import attach_heartbeat

    attach_heartbeat(worker.wsgi, worker.notify)
