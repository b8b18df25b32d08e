"""gRPC status codes become pymoby.errdefs kinds."""

from __future__ import annotations

import pytest

from pymoby import errdefs
from pymoby.libcontainerd._errors import from_status


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("NOT_FOUND", errdefs.NotFound),
        ("ALREADY_EXISTS", errdefs.Conflict),
        ("FAILED_PRECONDITION", errdefs.Conflict),
        ("INVALID_ARGUMENT", errdefs.InvalidParameter),
        ("OUT_OF_RANGE", errdefs.InvalidParameter),
        ("UNAVAILABLE", errdefs.Unavailable),
        ("DEADLINE_EXCEEDED", errdefs.DeadlineExceeded),
        ("CANCELLED", errdefs.Cancelled),
        ("UNIMPLEMENTED", errdefs.NotImplemented),
        ("PERMISSION_DENIED", errdefs.Forbidden),
        ("UNAUTHENTICATED", errdefs.Unauthorized),
        ("DATA_LOSS", errdefs.DataLoss),
        ("UNKNOWN", errdefs.System),
        ("INTERNAL", errdefs.System),
    ],
)
def test_status_codes_map_to_one_kind(code: str, kind: type[errdefs.PymobyError]) -> None:
    error = from_status(code, "details")
    assert errdefs.kind_of(error) is kind
    assert error.code == code  # type: ignore[attr-defined]


def test_message_says_what_was_being_done() -> None:
    error = from_status("NOT_FOUND", 'container "web" in namespace "pymoby": not found', "get container web")
    assert str(error) == 'get container web: container "web" in namespace "pymoby": not found'
    assert error.details == 'container "web" in namespace "pymoby": not found'  # type: ignore[attr-defined]


def test_kind_survives_translation_at_a_boundary() -> None:
    with pytest.raises(RuntimeError) as caught:
        raise RuntimeError("start container") from from_status("NOT_FOUND", "nope")
    assert errdefs.is_not_found(caught.value)
