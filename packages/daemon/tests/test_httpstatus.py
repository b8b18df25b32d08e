"""The one mapping from errdefs kinds to HTTP status codes."""

from __future__ import annotations

import msgspec
import pytest

from pymoby import errdefs
from pymoby.daemon import httpstatus


class NoSuchContainer(errdefs.NotFound):
    pass


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (errdefs.NotFound("x"), 404),
        (NoSuchContainer("No such container: web"), 404),
        (errdefs.InvalidParameter("x"), 400),
        (errdefs.Conflict("x"), 409),
        (errdefs.Unauthorized("x"), 401),
        (errdefs.Forbidden("x"), 403),
        (errdefs.Unavailable("x"), 503),
        (errdefs.NotModified("x"), 304),
        (errdefs.NotImplemented("x"), 501),
        (errdefs.System("x"), 500),
        (RuntimeError("unexpected"), 500),
    ],
)
def test_each_kind_has_its_status(error: Exception, status: int) -> None:
    assert httpstatus.status_of(error) == status


def test_a_wrapped_kind_keeps_its_status() -> None:
    outer = RuntimeError("create failed")
    outer.__cause__ = errdefs.Conflict("name in use")
    assert httpstatus.status_of(outer) == 409


def test_error_body_is_dockers_message_object() -> None:
    body = httpstatus.error_body(NoSuchContainer("No such container: web"))
    assert msgspec.json.decode(body) == {"message": "No such container: web"}


def test_a_single_error_group_reports_its_member_message() -> None:
    group = ExceptionGroup("unhandled errors", [errdefs.NotFound("No such image: x")])
    assert httpstatus.status_of(group) == 404
    assert msgspec.json.decode(httpstatus.error_body(group)) == {"message": "No such image: x"}
