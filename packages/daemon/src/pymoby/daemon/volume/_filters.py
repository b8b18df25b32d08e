"""The ``filters`` of ``GET /volumes`` and ``POST /volumes/prune``, as plain decisions (no I/O).

List: ``dangling`` (bool), ``driver`` (exact), ``label`` (``key`` or
``key=value``, all must hold), ``name`` (equal, or a regular expression
found in the name, as Docker's ``Args.Match``). Prune: ``label``,
``label!`` and ``all``; without ``all=true`` only anonymous volumes go.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from pymoby import api, errdefs

__all__ = [
    "ANONYMOUS_LABEL",
    "LIST_FILTERS",
    "PRUNE_FILTERS",
    "dangling_filter",
    "matches_list",
    "matches_prune",
    "prune_all",
]

#: The label Docker sets on volumes created without a name (prune removes only those by default).
ANONYMOUS_LABEL = "com.docker.volume.anonymous"
LIST_FILTERS = frozenset({"dangling", "driver", "label", "name"})
PRUNE_FILTERS = frozenset({"label", "label!", "all"})
_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})


def _shown(values: frozenset[str]) -> str:
    return "[" + " ".join(sorted(values)) + "]"


def dangling_filter(filters: api.Filters) -> bool | None:
    """The ``dangling`` filter as a bool (``None`` when absent); InvalidFilter for any other value."""
    values = filters.get("dangling")
    if not values:
        return None
    is_true = bool(values & {"1", "true"})
    is_false = bool(values & {"0", "false"})
    if is_true == is_false:
        raise api.InvalidFilter(f"invalid filter 'dangling={_shown(values)}'")
    return is_true


def _name_matches(wanted: frozenset[str], name: str) -> bool:
    if not wanted or name in wanted:
        return True
    for pattern in wanted:
        try:
            if re.search(pattern, name):
                return True
        except re.error:
            continue
    return False


def _labels_match(filters: api.Filters, key: str, labels: Mapping[str, str] | None) -> bool:
    wanted = filters.get(key)
    if not wanted:
        return True
    if not labels:
        return False
    for item in wanted:
        name, sep, value = item.partition("=")
        if name not in labels or (sep and labels[name] != value):
            return False
    return True


def matches_list(
    filters: api.Filters, *, name: str, driver: str, labels: Mapping[str, str] | None, in_use: bool
) -> bool:
    """Whether a volume passes the list filters (validated beforehand)."""
    drivers = filters.get("driver")
    if drivers and driver not in drivers:
        return False
    if not _name_matches(filters.get("name"), name):
        return False
    if not _labels_match(filters, "label", labels):
        return False
    dangling = dangling_filter(filters)
    return dangling is None or dangling != in_use


def prune_all(filters: api.Filters) -> bool:
    """The ``all`` prune filter; InvalidParameter when it is not one boolean."""
    values = filters.get("all")
    if not values:
        return False
    if len(values) > 1:
        raise errdefs.InvalidParameter(f"invalid filter 'all={_shown(values)}': only one value is expected")
    (value,) = values
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise errdefs.InvalidParameter(f"invalid filter 'all': strconv.ParseBool: parsing \"{value}\": invalid syntax")


def matches_prune(filters: api.Filters, *, labels: Mapping[str, str] | None, everything: bool) -> bool:
    """Whether an unused local volume is pruned: anonymous (unless ``everything``), ``label`` yes, ``label!`` no."""
    if not everything and ANONYMOUS_LABEL not in (labels or {}):
        return False
    if not _labels_match(filters, "label", labels):
        return False
    return not (filters.get("label!") and _labels_match(filters, "label!", labels))
