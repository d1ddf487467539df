"""Run a generator ahead of its reader in a thread of its own, a few items ahead.

A large export has two halves that can overlap on two cores: reading and serialising rows (on
SQLite the database builds each line in C, with the GIL released) and writing what was read (a
file, or a streamed HTTP response). ``prefetched`` lets the first run one step ahead of the
second: the generator runs in a worker thread and hands its items over through a bounded queue,
so memory holds at most ``depth`` items besides the one being written.

Whatever the generator touches (a database session, say) must not be used by the reader's
thread until the iteration ends: ``prefetched`` returns only once the worker has stopped,
whether the reader read to the end, stopped early (``close()``) or the generator raised, in
which case the reader gets the same exception.
"""
from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

__all__ = ["prefetched"]

T = TypeVar("T")

#: How long the worker waits for room in the queue before it looks whether the reader left.
_POLL_SECONDS = 0.1


class _Done:
    """The worker's last item: the end of the generator, or the exception it raised."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


def prefetched(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """``items``, produced in a worker thread at most ``depth`` items ahead of the reader."""
    if depth < 1:
        raise ValueError("depth must be at least 1")
    handed: queue.Queue[T | _Done] = queue.Queue(maxsize=depth)
    reader_left = threading.Event()

    def hand(item: T | _Done) -> bool:
        while not reader_left.is_set():
            try:
                handed.put(item, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in items:
                if not hand(item):
                    return
        except BaseException as error:  # noqa: BLE001 - handed to the reader, who re-raises it
            hand(_Done(error))
        else:
            hand(_Done())
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=work, name="prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = handed.get()
            if isinstance(item, _Done):
                if item.error is not None:
                    raise item.error
                return
            yield item
    finally:
        reader_left.set()
        worker.join()
