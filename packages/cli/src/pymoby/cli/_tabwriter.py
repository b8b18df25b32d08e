"""Go's ``text/tabwriter`` as Docker's CLI configures it for tables.

Text is split into cells at tabs; a column's width is the widest cell of a
block of consecutive lines that have that column, plus the padding, at least
``minwidth``. The last cell of a line (not ended by a tab) is not aligned.
A line without any tab ends a block. Widths count terminal columns (East
Asian wide characters count two), as Docker's fork of the package does.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

__all__ = ["TabWriter", "display_width", "tabulate"]


def display_width(text: str) -> int:
    """How many terminal columns ``text`` takes."""
    if text.isascii():
        return len(text)
    width = 0
    for ch in text:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


@dataclass(slots=True)
class _Cell:
    text: str
    width: int
    htab: bool


class TabWriter:
    """Collects text, then :meth:`flush` returns it aligned (Go's ``tabwriter.Writer``)."""

    def __init__(self, minwidth: int = 10, tabwidth: int = 1, padding: int = 3, padchar: str = " ") -> None:
        self.minwidth = minwidth
        self.tabwidth = tabwidth
        self.padding = padding
        self.padchar = padchar
        self._pending = ""
        self._lines: list[list[_Cell]] = [[]]
        self._out: list[str] = []
        self._widths: list[int] = []

    def write(self, text: str) -> None:
        """Add text; complete lines without tabs flush what was collected, as Go's writer does."""
        data = self._pending + text
        self._pending = ""
        start = 0
        for i, ch in enumerate(data):
            if ch in "\t\v\n\f":
                cell_text = data[start:i]
                line = self._lines[-1]
                line.append(_Cell(cell_text, display_width(cell_text), ch == "\t"))
                start = i + 1
                if ch in "\n\f":
                    ncells = len(line)
                    self._lines.append([])
                    if ch == "\f" or ncells == 1:
                        self._flush_lines()
        self._pending = data[start:]

    def flush(self) -> str:
        """Align and return everything written so far."""
        if self._pending:
            self._lines[-1].append(_Cell(self._pending, display_width(self._pending), False))
            self._pending = ""
        self._flush_lines()
        out, self._out = "".join(self._out), []
        return out

    def _flush_lines(self) -> None:
        self._format(0, len(self._lines))
        self._lines = [[]]
        self._widths = []

    def _write_lines(self, line0: int, line1: int) -> None:
        for i in range(line0, line1):
            line = self._lines[i]
            for j, cell in enumerate(line):
                self._out.append(cell.text)
                if j < len(self._widths):
                    self._out.append(self.padchar * (self._widths[j] - cell.width))
            if i + 1 < len(self._lines):
                self._out.append("\n")

    def _format(self, line0: int, line1: int) -> None:
        column = len(self._widths)
        this = line0
        while this < line1:
            line = self._lines[this]
            if column >= len(line) - 1:
                this += 1
                continue
            # A block of lines that have a cell in this column: write what precedes it.
            self._write_lines(line0, this)
            line0 = this
            width = self.minwidth
            while this < line1:
                line = self._lines[this]
                if column >= len(line) - 1:
                    break
                width = max(width, line[column].width + self.padding)
                this += 1
            self._widths.append(width)
            self._format(line0, this)
            self._widths.pop()
            line0 = this
        self._write_lines(line0, line1)


def tabulate(text: str, minwidth: int = 10, tabwidth: int = 1, padding: int = 3) -> str:
    """Align tab-separated ``text`` as Docker prints tables."""
    writer = TabWriter(minwidth, tabwidth, padding)
    writer.write(text)
    return writer.flush()
