"""The ``filters`` query argument of list and event endpoints.

On the wire it is JSON: ``{"type": {"container": true}, "label": {"a=b": true}}``
(the form every client since API 1.22 sends), or the older
``{"type": ["container"]}``, which the daemon still accepts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

import msgspec

from pymoby import errdefs

__all__ = ["Filters", "InvalidFilter"]


class InvalidFilter(errdefs.InvalidParameter):
    """The filters argument is malformed, or names a filter the endpoint does not know."""


class Filters(Mapping[str, frozenset[str]]):
    """An immutable mapping of filter name -> the values asked for.

    Values of one name are alternatives (OR); different names must all match
    (AND), as in Docker.
    """

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Iterable[str]] | None = None) -> None:
        self._values: dict[str, frozenset[str]] = {
            name: frozenset(vals) for name, vals in (values or {}).items() if vals
        }

    @classmethod
    def from_query(cls, text: str | None) -> Filters:
        """Parse the JSON of a ``filters`` query argument; raises :class:`InvalidFilter`."""
        if not text:
            return cls()
        try:
            raw = msgspec.json.decode(text)
        except msgspec.DecodeError as exc:
            raise InvalidFilter(f"invalid filter: {exc}") from exc
        if not isinstance(raw, dict):
            raise InvalidFilter("invalid filter: expected a JSON object")
        values: dict[str, set[str]] = {}
        for name, given in raw.items():
            if isinstance(given, dict):
                if not all(isinstance(v, str) for v in given):
                    raise InvalidFilter(f"invalid filter '{name}'")
                values[name] = {v for v, on in given.items() if on}
            elif isinstance(given, list) and all(isinstance(v, str) for v in given):
                values[name] = set(given)
            else:
                raise InvalidFilter(f"invalid filter '{name}'")
        return cls(values)

    def to_query(self) -> str:
        """The JSON for a ``filters`` query argument (the ``{"name": {"value": true}}`` form)."""
        body = {name: dict.fromkeys(sorted(vals), True) for name, vals in sorted(self._values.items())}
        return msgspec.json.encode(body).decode()

    def validate(self, accepted: Iterable[str]) -> None:
        """Raise :class:`InvalidFilter` (``invalid filter 'name'``) for a name not in ``accepted``."""
        allowed = set(accepted)
        for name in sorted(self._values):
            if name not in allowed:
                raise InvalidFilter(f"invalid filter '{name}'")

    def get(self, name: str, default: object = None) -> frozenset[str]:
        """The values asked for ``name``; an empty set when it is absent."""
        return self._values.get(name, frozenset())

    def matches(self, name: str, *candidates: str) -> bool:
        """Whether ``name`` is not filtered on, or one of ``candidates`` is among its values."""
        wanted = self._values.get(name)
        if not wanted:
            return True
        return any(c in wanted for c in candidates if c)

    def matches_labels(self, name: str, labels: Mapping[str, str]) -> bool:
        """Whether every ``key`` or ``key=value`` of filter ``name`` is in ``labels``."""
        for wanted in self._values.get(name, ()):
            key, sep, value = wanted.partition("=")
            if key not in labels or (sep and labels[key] != value):
                return False
        return True

    def __getitem__(self, name: str) -> frozenset[str]:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Filters({ {k: sorted(v) for k, v in self._values.items()}!r})"
