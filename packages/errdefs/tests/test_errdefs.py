"""Classification of errors by kind, through causes and groups."""

from __future__ import annotations

import asyncio

import pytest

from pymoby import errdefs


class NoSuchThing(errdefs.NotFound):
    pass


PREDICATES = {
    errdefs.NotFound: errdefs.is_not_found,
    errdefs.InvalidParameter: errdefs.is_invalid_parameter,
    errdefs.Conflict: errdefs.is_conflict,
    errdefs.Unauthorized: errdefs.is_unauthorized,
    errdefs.Forbidden: errdefs.is_forbidden,
    errdefs.Unavailable: errdefs.is_unavailable,
    errdefs.NotModified: errdefs.is_not_modified,
    errdefs.NotImplemented: errdefs.is_not_implemented,
    errdefs.System: errdefs.is_system,
    errdefs.Cancelled: errdefs.is_cancelled,
    errdefs.DeadlineExceeded: errdefs.is_deadline_exceeded,
    errdefs.DataLoss: errdefs.is_data_loss,
}


def test_every_kind_has_a_predicate_and_is_listed() -> None:
    assert set(PREDICATES) == set(errdefs.KINDS)
    for kind in errdefs.KINDS:
        assert issubclass(kind, errdefs.PymobyError)


@pytest.mark.parametrize("kind", errdefs.KINDS, ids=lambda k: k.__name__)
def test_each_predicate_recognises_only_its_own_kind(kind: type[errdefs.PymobyError]) -> None:
    exc = kind("boom")
    assert errdefs.kind_of(exc) is kind
    for other, predicate in PREDICATES.items():
        assert predicate(exc) is (other is kind)


def test_a_domain_subclass_has_its_parents_kind() -> None:
    assert errdefs.kind_of(NoSuchThing("No such thing: x")) is errdefs.NotFound


def test_a_plain_exception_has_no_kind() -> None:
    assert errdefs.kind_of(ValueError("x")) is None
    assert not errdefs.is_not_found(ValueError("x"))


def _raise_wrapped() -> None:
    try:
        try:
            raise NoSuchThing("missing")
        except NoSuchThing as inner:
            raise OSError("outer") from inner
    except OSError as outer:
        raise RuntimeError("outermost") from outer


def test_kind_is_found_through_the_cause_chain() -> None:
    with pytest.raises(RuntimeError) as info:
        _raise_wrapped()
    assert errdefs.is_not_found(info.value)


def test_the_error_itself_wins_over_its_cause() -> None:
    exc = errdefs.Conflict("in use")
    exc.__cause__ = errdefs.NotFound("gone")
    assert errdefs.kind_of(exc) is errdefs.Conflict


def _raise_while_handling() -> None:
    try:
        raise errdefs.NotFound("x")
    except errdefs.NotFound:
        raise ValueError("unrelated")  # noqa: B904 - the point of the test


def test_implicit_context_is_not_a_cause() -> None:
    # An error raised while handling another is not classified by it.
    with pytest.raises(ValueError, match="unrelated") as info:
        _raise_while_handling()
    assert info.value.__context__ is not None
    assert errdefs.kind_of(info.value) is None


def test_kind_is_found_inside_exception_groups() -> None:
    group = ExceptionGroup("many", [ValueError("a"), ExceptionGroup("inner", [errdefs.Unavailable("b")])])
    assert errdefs.is_unavailable(group)


def test_first_kind_in_a_group_wins() -> None:
    group = ExceptionGroup("many", [errdefs.Forbidden("a"), errdefs.NotFound("b")])
    assert errdefs.kind_of(group) is errdefs.Forbidden


def test_cause_cycles_terminate() -> None:
    a = ValueError("a")
    b = ValueError("b")
    a.__cause__ = b
    b.__cause__ = a
    assert errdefs.kind_of(a) is None


def test_timeouts_and_cancellation_map_to_their_kinds() -> None:
    assert errdefs.is_deadline_exceeded(TimeoutError())
    assert errdefs.is_cancelled(asyncio.CancelledError())
