"""``.dockerignore``: reading the file and matching paths, with Docker's patternmatcher semantics.

Reading (``ignorefile.ReadAll``): a byte-order mark is dropped, lines
starting with ``#`` are comments, blanks around a pattern are trimmed, the
pattern is cleaned (``a/../b`` is ``b``) and a leading ``/`` is dropped;
``!`` before a pattern makes it an exception.

Matching (``patternmatcher``): patterns apply in order, the last one that
matches decides; a path also matches when one of its parent directories
does (``build`` excludes ``build/x/y``); ``*`` and ``?`` do not cross
``/``; ``**`` matches any number of directories (``**/*.go``, ``a/**/b``,
``dir/**``); ``[a-z]`` classes and ``\\`` escapes work as in Go's
``filepath.Match``.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from pymoby import errdefs

__all__ = ["InvalidPattern", "PatternMatcher", "read_ignore_file"]

_ESCAPED = frozenset(".+()|{}$")


class InvalidPattern(errdefs.InvalidParameter):
    """A pattern of ``.dockerignore`` is malformed (``syntax error in pattern``)."""


def _clean(path: str) -> str:
    """Go's ``filepath.Clean`` (POSIX)."""
    if not path:
        return "."
    cleaned = posixpath.normpath(path)
    if cleaned.startswith("//"):
        cleaned = "/" + cleaned.lstrip("/")
    return cleaned


def read_ignore_file(data: bytes) -> list[str]:
    """The patterns of a ``.dockerignore`` file, normalised as Docker reads them."""
    text = data.decode("utf-8", "replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    patterns = []
    for raw in text.split("\n"):
        line = raw[:-1] if raw.endswith("\r") else raw
        if line.startswith("#"):
            continue
        pattern = line.strip()
        if not pattern:
            continue
        invert = pattern.startswith("!")
        if invert:
            pattern = pattern[1:].strip()
        if pattern:
            pattern = _clean(pattern)
            if len(pattern) > 1 and pattern.startswith("/"):
                pattern = pattern[1:]
        patterns.append("!" + pattern if invert else pattern)
    return patterns


def _check_syntax(pattern: str) -> None:
    """Reject what Go's ``filepath.Match`` calls ``syntax error in pattern``: open classes, a trailing escape."""
    index = 0
    n = len(pattern)
    while index < n:
        ch = pattern[index]
        if ch == "\\":
            if index + 1 >= n:
                raise InvalidPattern("syntax error in pattern")
            index += 2
            continue
        if ch == "[":
            index += 1
            if index < n and pattern[index] == "^":
                index += 1
            first = True
            while True:
                if index >= n:
                    raise InvalidPattern("syntax error in pattern")
                ch = pattern[index]
                if ch == "]":
                    if first:
                        raise InvalidPattern("syntax error in pattern")
                    break
                if ch == "\\":
                    index += 1
                    if index >= n:
                        raise InvalidPattern("syntax error in pattern")
                elif ch == "-" and first:
                    raise InvalidPattern("syntax error in pattern")
                first = False
                index += 1
        index += 1


@dataclass(slots=True)
class _Pattern:
    text: str
    exclusion: bool
    kind: str = ""
    regex: re.Pattern[str] | None = None

    def compile(self) -> None:
        out = "^"
        kind = "exact"
        pattern = self.text
        i = 0
        n = len(pattern)
        step = 0
        while i < n:
            ch = pattern[i]
            i += 1
            if ch == "*":
                if i < n and pattern[i] == "*":
                    i += 1
                    if i < n and pattern[i] == "/":
                        i += 1
                    if i >= n:
                        if kind == "exact":
                            kind = "prefix"
                        else:
                            out += ".*"
                            kind = "regexp"
                    else:
                        out += "(.*/)?"
                        kind = "regexp"
                    if step == 0:
                        kind = "suffix"
                else:
                    out += "[^/]*"
                    kind = "regexp"
            elif ch == "?":
                out += "[^/]"
                kind = "regexp"
            elif ch in _ESCAPED:
                out += "\\" + ch
            elif ch == "\\":
                if i < n:
                    out += "\\" + pattern[i]
                    i += 1
                    kind = "regexp"
                else:
                    out += "\\\\"
            elif ch in "[]":
                out += ch
                kind = "regexp"
            else:
                out += ch
            step += 1
        if kind == "regexp":
            try:
                self.regex = re.compile(out + "$", re.DOTALL)
            except re.error as exc:
                raise InvalidPattern(f"syntax error in pattern: {self.text}") from exc
        self.kind = kind

    def match(self, path: str) -> bool:
        if not self.kind:
            self.compile()
        if self.kind == "exact":
            return path == self.text
        if self.kind == "prefix":
            return path.startswith(self.text[:-2])
        if self.kind == "suffix":
            suffix = self.text[2:]
            if path.endswith(suffix):
                return True
            return suffix.startswith("/") and path == suffix[1:]
        assert self.regex is not None
        return self.regex.match(path) is not None


class PatternMatcher:
    """Decides whether a context path is excluded by a list of ``.dockerignore`` patterns.

    Raises :class:`InvalidPattern` for a malformed pattern or a lone ``!``.
    """

    def __init__(self, patterns: list[str]) -> None:
        self.patterns: list[_Pattern] = []
        for raw in patterns:
            text = raw.strip()
            if not text:
                continue
            text = _clean(text)
            exclusion = text.startswith("!")
            if exclusion:
                if len(text) == 1:
                    raise InvalidPattern('illegal exclusion pattern: "!"')
                text = text[1:]
            _check_syntax(text)
            pattern = _Pattern(text, exclusion)
            pattern.compile()
            self.patterns.append(pattern)

    @property
    def exclusions(self) -> bool:
        """Whether some pattern is an exception (``!``)."""
        return any(p.exclusion for p in self.patterns)

    def matches(self, path: str) -> bool:
        """Whether ``path`` (slash-separated, relative to the context) is excluded.

        It is when the last pattern that matches it, or one of its parent
        directories, is not an exception. The context root itself never is.
        """
        path = _clean(path).lstrip("/")
        if path in ("", "."):
            return False
        parent = posixpath.dirname(path)
        parents = parent.split("/") if parent else []
        matched = False
        for pattern in self.patterns:
            if pattern.exclusion != matched:
                continue
            hit = pattern.match(path)
            if not hit:
                for i in range(len(parents)):
                    if pattern.match("/".join(parents[: i + 1])):
                        hit = True
                        break
            if hit:
                matched = not pattern.exclusion
        return matched
