"""One self-overwriting status line on the terminal (a plain line per update when not a TTY)."""
from __future__ import annotations

import sys
import time


class ProgressLine:
    """``update()`` rewrites the same terminal line at most every ``interval`` seconds."""

    def __init__(self, label: str, interval: float = 0.25) -> None:
        self.label = label
        self.interval = interval
        self._last = 0.0
        self._tty = sys.stdout.isatty()
        # Without a terminal (CI logs), print far fewer lines.
        if not self._tty:
            self.interval = max(interval, 5.0)

    def update(self, text: str, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        line = f"  {self.label}: {text}"
        if self._tty:
            sys.stdout.write("\r\033[K" + line)
        else:
            sys.stdout.write(line + "\n")
        sys.stdout.flush()

    def done(self, text: str) -> None:
        line = f"  {self.label}: {text}"
        sys.stdout.write(("\r\033[K" if self._tty else "") + line + "\n")
        sys.stdout.flush()


def bar(fraction: float, width: int = 24) -> str:
    """A text progress bar such as ``[#########---------------]``."""
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return "[" + "#" * filled + "-" * (width - filled) + "]"
