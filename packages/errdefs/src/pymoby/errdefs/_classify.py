"""Classify an exception by kind, walking causes and exception groups.

The walk follows what the code that raised the error said about it:
``raise Kind(...) from exc`` makes ``exc`` the cause, and an exception group
holds several errors at once. The first kind found in a depth-first walk
(the exception itself, then its cause, then the members of a group) wins.
Python's own ``TimeoutError`` and cancellation count as ``DeadlineExceeded``
and ``Cancelled``, as Go's context errors do for Docker.
"""

from __future__ import annotations

import sys

from ._kinds import (
    Cancelled,
    Conflict,
    DataLoss,
    DeadlineExceeded,
    Forbidden,
    InvalidParameter,
    NotFound,
    NotImplemented,
    NotModified,
    PymobyError,
    System,
    Unauthorized,
    Unavailable,
)

__all__ = [
    "KINDS",
    "is_cancelled",
    "is_conflict",
    "is_data_loss",
    "is_deadline_exceeded",
    "is_forbidden",
    "is_invalid_parameter",
    "is_not_found",
    "is_not_implemented",
    "is_not_modified",
    "is_system",
    "is_unauthorized",
    "is_unavailable",
    "kind_of",
]

#: Every kind, in the order :func:`kind_of` prefers them when an error is
#: (unusually) an instance of more than one.
KINDS: tuple[type[PymobyError], ...] = (
    NotFound,
    InvalidParameter,
    Conflict,
    Unauthorized,
    Forbidden,
    Unavailable,
    NotModified,
    NotImplemented,
    System,
    Cancelled,
    DeadlineExceeded,
    DataLoss,
)


def _own_kind(exc: BaseException) -> type[PymobyError] | None:
    for kind in KINDS:
        if isinstance(exc, kind):
            return kind
    if isinstance(exc, TimeoutError):
        return DeadlineExceeded
    # asyncio is not imported for this: a program that never imported it has no asyncio.CancelledError
    # to classify, and importing it costs every short-lived command ~40 ms.
    asyncio = sys.modules.get("asyncio")
    if asyncio is not None and isinstance(exc, asyncio.CancelledError):
        return Cancelled
    return None


def kind_of(exc: BaseException) -> type[PymobyError] | None:
    """Return the kind of ``exc``, or ``None`` when it has none.

    Looks at ``exc`` itself, then its ``__cause__`` chain, then the members
    of an exception group, depth first. Cycles in the chain are tolerated.
    """
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        kind = _own_kind(current)
        if kind is not None:
            return kind
        # Push in reverse so the walk visits the cause before group members,
        # and group members in order.
        members: list[BaseException] = []
        if isinstance(current, BaseExceptionGroup):
            members.extend(current.exceptions)
        if current.__cause__ is not None:
            members.insert(0, current.__cause__)
        stack.extend(reversed(members))
    return None


def _is(kind: type[PymobyError], exc: BaseException) -> bool:
    return kind_of(exc) is kind


def is_not_found(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is a :class:`NotFound`."""
    return _is(NotFound, exc)


def is_invalid_parameter(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is an :class:`InvalidParameter`."""
    return _is(InvalidParameter, exc)


def is_conflict(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is a :class:`Conflict`."""
    return _is(Conflict, exc)


def is_unauthorized(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is an :class:`Unauthorized`."""
    return _is(Unauthorized, exc)


def is_forbidden(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is a :class:`Forbidden`."""
    return _is(Forbidden, exc)


def is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is an :class:`Unavailable`."""
    return _is(Unavailable, exc)


def is_not_modified(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is a :class:`NotModified`."""
    return _is(NotModified, exc)


def is_not_implemented(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is a :class:`NotImplemented`."""
    return _is(NotImplemented, exc)


def is_system(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is a :class:`System` error."""
    return _is(System, exc)


def is_cancelled(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is a cancellation."""
    return _is(Cancelled, exc)


def is_deadline_exceeded(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is a :class:`DeadlineExceeded`."""
    return _is(DeadlineExceeded, exc)


def is_data_loss(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is a :class:`DataLoss`."""
    return _is(DataLoss, exc)
