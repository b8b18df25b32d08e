"""``familiar_match``: Go's ``path.Match`` on the familiar forms, as Docker's FamiliarMatch.

``*`` matches any run of characters but ``/``, ``?`` one character but
``/``, ``[...]`` a class (``^`` negates, ``lo-hi`` ranges, ``\\`` escapes).
Patterns are translated once to a regular expression and cached; a malformed
pattern raises :class:`BadPattern` whether or not it would have matched,
as Go (since 1.16) reports it.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ._errors import BadPattern
from ._normalize import familiar_name, familiar_string
from ._reference import Reference

__all__ = ["familiar_match", "path_match"]


def _escaped(pattern: str, i: int) -> tuple[str, int]:
    """One class member at ``pattern[i]``: the character and the next index (Go's getEsc)."""
    if i >= len(pattern) or pattern[i] in "-]":
        raise BadPattern()
    if pattern[i] == "\\":
        i += 1
        if i >= len(pattern):
            raise BadPattern()
    char = pattern[i]
    i += 1
    if i >= len(pattern):
        raise BadPattern()
    return char, i


def _class(pattern: str, i: int) -> tuple[str, int]:
    """Translate the class starting after ``[`` at ``i``; return regex and next index."""
    negated = i < len(pattern) and pattern[i] == "^"
    if negated:
        i += 1
    members: list[str] = []
    count = 0
    while True:
        if i < len(pattern) and pattern[i] == "]" and count > 0:
            i += 1
            break
        lo, i = _escaped(pattern, i)
        hi = lo
        if pattern[i] == "-":
            hi, i = _escaped(pattern, i + 1)
        if lo <= hi:  # Go's range test simply never matches an inverted range
            members.append(re.escape(lo) if lo == hi else f"{re.escape(lo)}-{re.escape(hi)}")
        count += 1
    if not members:
        return ("(?s:.)" if negated else "(?!)"), i
    return f"[{'^' if negated else ''}{''.join(members)}]", i


@lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str]:
    parts: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "*":
            parts.append("[^/]*")
            i += 1
        elif char == "?":
            parts.append("[^/]")
            i += 1
        elif char == "[":
            regex, i = _class(pattern, i + 1)
            parts.append(regex)
        elif char == "\\":
            if i + 1 >= len(pattern):
                raise BadPattern()
            parts.append(re.escape(pattern[i + 1]))
            i += 2
        else:
            parts.append(re.escape(char))
            i += 1
    return re.compile("".join(parts), re.DOTALL)


def path_match(pattern: str, name: str) -> bool:
    """Go's ``path.Match(pattern, name)``; raises :class:`BadPattern` for a malformed pattern."""
    return _compile(pattern).fullmatch(name) is not None


def familiar_match(pattern: str, ref: Reference) -> bool:
    """Whether ``pattern`` matches the familiar string of ``ref``, or else its familiar name.

    This is how ``docker images busybox*`` and reference filters match.
    Raises :class:`BadPattern` for a malformed pattern.
    """
    if path_match(pattern, familiar_string(ref)):
        return True
    return ref.is_named and path_match(pattern, familiar_name(ref))
