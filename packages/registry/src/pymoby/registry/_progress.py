"""Progress bars for the command line: one line per blob on stderr, only on a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["ProgressView", "human_size"]


def human_size(size: float) -> str:
    """``1.5MB`` style sizes, as the docker CLI prints them (decimal units)."""
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(size) < 1000 or unit == "TB":
            return f"{size:.0f}{unit}" if unit == "B" else f"{size:.1f}{unit}"
        size /= 1000
    return f"{size:.1f}TB"


class ProgressView:
    """Draws ``digest [=====>    ] done/total`` lines, redrawn at most ten times a second.

    Does nothing when ``stream`` is not a terminal (or ``enabled`` is false).
    """

    def __init__(self, stream: TextIO | None = None, *, enabled: bool = True, width: int = 30) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled and self.stream.isatty()
        self.width = width
        self._rows: dict[str, tuple[int, int | None, str]] = {}
        self._drawn = 0
        self._last = 0.0

    def update(self, digest: str, done: int, total: int | None) -> None:
        """Record the progress of one blob (the ``Progress`` callback signature)."""
        if not self.enabled:
            return
        self._rows[digest] = (done, total, "")
        now = time.monotonic()
        if now - self._last >= 0.1:
            self._last = now
            self._draw()

    def status(self, digest: str, text: str) -> None:
        """Show a final word for a blob: ``Pushed``, ``Mounted``, ``Already exists``..."""
        if not self.enabled:
            return
        done, total, _ = self._rows.get(digest, (0, None, ""))
        self._rows[digest] = (done, total, text)
        self._draw()

    def _line(self, digest: str, done: int, total: int | None, text: str) -> str:
        short = digest.removeprefix("sha256:")[:12]
        if text:
            return f"{short}: {text}"
        if total and total > 0:
            filled = min(self.width, int(self.width * done / total))
            bar = "=" * max(0, filled - 1) + (">" if filled else "") + " " * (self.width - filled)
            return f"{short}: [{bar}] {human_size(done)}/{human_size(total)}"
        return f"{short}: {human_size(done)}"

    def _draw(self) -> None:
        out = []
        if self._drawn:
            out.append(f"\x1b[{self._drawn}A")
        for digest, (done, total, text) in self._rows.items():
            out.append("\x1b[2K" + self._line(digest, done, total, text) + "\n")
        self._drawn = len(self._rows)
        self.stream.write("".join(out))
        self.stream.flush()

    def close(self) -> None:
        """Draw the final state."""
        if self.enabled and self._rows:
            self._draw()
