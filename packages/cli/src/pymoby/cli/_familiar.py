"""A fast path for the commonest image references: official images named without a domain.

``busybox`` and ``busybox:1.36`` are already in their familiar form
(``docker.io/library/`` left out), so listings need not load
:mod:`pymoby.reference`'s full grammar for them; anything else is parsed by
it.
"""

from __future__ import annotations

import re

__all__ = ["official_name_tag"]

# One path component of Docker's grammar, then an optional tag; no domain, no digest.
_OFFICIAL = re.compile(r"([a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)(?::(\w[\w.-]{0,127}))?")


def official_name_tag(text: str) -> tuple[str, str | None] | None:
    """``(name, tag)`` when ``text`` is a domain-less one-component reference (``busybox:1``), else ``None``."""
    if len(text) > 255:
        return None
    match = _OFFICIAL.fullmatch(text)
    if match is None:
        return None
    return match.group(1), match.group(2)
