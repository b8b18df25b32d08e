"""The filters of ``GET /networks`` and ``POST /networks/prune`` (pure functions).

``name`` and ``id`` match exactly or as a regular expression found anywhere
(Docker's ``filters.Match``); ``driver`` and ``scope`` match exactly;
``label`` is ``key`` or ``key=value``; ``type`` is ``builtin`` or ``custom``;
``dangling`` is ``true``/``1`` (no container attached, not predefined) or
``false``/``0``. Prune takes ``until`` and ``label``/``label!``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime

from pymoby import api, errdefs

from ..events import parse_timestamp
from ._model import NetworkRecord

__all__ = ["LIST_FILTERS", "PRUNE_FILTERS", "created_ns", "list_matcher", "prune_matcher"]

LIST_FILTERS = ("dangling", "driver", "id", "label", "name", "scope", "type")
PRUNE_FILTERS = ("until", "label", "label!")


def _match(values: frozenset[str], source: str) -> bool:
    if not values or source in values:
        return True
    for pattern in values:
        try:
            if re.search(pattern, source):
                return True
        except re.error:
            continue
    return False


def created_ns(record: NetworkRecord) -> int:
    """When the network was created, in nanoseconds since the epoch."""
    text = record.created
    whole, _, rest = text.rstrip("Z").partition(".")
    try:
        seconds = int(datetime.fromisoformat(whole + "+00:00").timestamp())
    except ValueError:
        return 0
    digits = "".join(c for c in rest if c.isdigit())[:9]
    return seconds * 10**9 + int(digits.ljust(9, "0") or 0)


def list_matcher(filters: api.Filters, in_use: Callable[[NetworkRecord], bool]) -> Callable[[NetworkRecord], bool]:
    """A predicate for ``GET /networks?filters=``; raises ``InvalidParameter`` for a bad filter."""
    filters.validate(LIST_FILTERS)
    dangling: bool | None = None
    values = filters.get("dangling")
    if values:
        if len(values) > 1:
            raise errdefs.InvalidParameter('got more than one value for filter key "dangling"')
        (value,) = values
        if value in ("1", "true"):
            dangling = True
        elif value in ("0", "false"):
            dangling = False
        else:
            raise errdefs.InvalidParameter(
                'invalid value for filter \'dangling\', must be "true" (or "1"), or "false" (or "0")'
            )
    types = filters.get("type")
    for kind in types:
        if kind not in ("builtin", "custom"):
            raise errdefs.InvalidParameter(f"invalid filter: 'type'='{kind}'")

    def matches(record: NetworkRecord) -> bool:
        if not filters.matches("driver", record.driver):
            return False
        if not filters.matches("scope", "local"):
            return False
        if not _match(filters.get("name"), record.name) or not _match(filters.get("id"), record.id):
            return False
        if not filters.matches_labels("label", record.labels):
            return False
        if types and not (("builtin" in types and record.predefined) or ("custom" in types and not record.predefined)):
            return False
        if dangling is not None:
            used = record.predefined or in_use(record)
            if dangling == used:
                return False
        return True

    return matches


def prune_matcher(filters: api.Filters) -> Callable[[NetworkRecord], bool]:
    """A predicate for ``POST /networks/prune?filters=``; raises ``InvalidParameter`` for a bad filter."""
    filters.validate(PRUNE_FILTERS)
    until: int | None = None
    values = filters.get("until")
    if values:
        if len(values) > 1:
            raise errdefs.InvalidParameter("more than one until filter specified")
        (value,) = values
        until = parse_timestamp(value, time.time_ns())
    without = filters.get("label!")

    def matches(record: NetworkRecord) -> bool:
        if until is not None and created_ns(record) >= until:
            return False
        if not filters.matches_labels("label", record.labels):
            return False
        for wanted in without:
            key, sep, value = wanted.partition("=")
            if key in record.labels and (not sep or record.labels[key] == value):
                return False
        return True

    return matches
