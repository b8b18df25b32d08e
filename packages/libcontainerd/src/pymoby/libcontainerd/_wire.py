"""Protobuf well-known types: ``Any`` packing, timestamps, field masks, ``Empty``.

containerd marks JSON-encoded OCI types and its own messages in ``Any`` with
bare type URLs (``containerd.runc.v1.Options``, not
``type.googleapis.com/...``), so packing is done here by hand.
"""

# mypy: disable-error-code="import-untyped"
# protobuf ships no type information; types-protobuf types it where it is installed.

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, cast

from google.protobuf import any_pb2, empty_pb2, field_mask_pb2

__all__ = [
    "SPEC_TYPE_URL",
    "PROCESS_TYPE_URL",
    "RESOURCES_TYPE_URL",
    "empty",
    "empty_any",
    "field_mask",
    "ignore_response",
    "pack_json",
    "pack_message",
    "type_name",
    "unpack_json",
    "to_datetime",
]

_OCI = "types.containerd.io/opencontainers/runtime-spec/1/"
#: The type URLs containerd registers for the OCI runtime-spec types (JSON in an Any).
SPEC_TYPE_URL = _OCI + "Spec"
PROCESS_TYPE_URL = _OCI + "Process"
RESOURCES_TYPE_URL = _OCI + "LinuxResources"

_EMPTY = empty_pb2.Empty()


def empty() -> Any:
    """The ``google.protobuf.Empty`` request."""
    return _EMPTY


def pack_json(type_url: str, value: Mapping[str, Any]) -> Any:
    """An ``Any`` holding ``value`` as compact JSON, as containerd's typeurl does for OCI types."""
    data = json.dumps(value, separators=(",", ":")).encode()
    return any_pb2.Any(type_url=type_url, value=data)


def empty_any() -> Any:
    """An ``Any`` holding ``google.protobuf.Empty``."""
    return pack_message(_EMPTY)


def pack_message(message: Any) -> Any:
    """An ``Any`` holding a protobuf message under its bare full name."""
    return any_pb2.Any(type_url=message.DESCRIPTOR.full_name, value=message.SerializeToString())


def type_name(packed: Any) -> str:
    """The full message name in an ``Any``'s type URL, with any host prefix removed."""
    return cast(str, packed.type_url).rsplit("/", 1)[-1]


def unpack_json(packed: Any) -> dict[str, Any]:
    """The JSON object in an ``Any`` (an empty dict when the Any is empty)."""
    if not packed.value:
        return {}
    return cast(dict[str, Any], json.loads(packed.value))


def to_datetime(timestamp: Any) -> datetime | None:
    """A timezone-aware datetime for a ``Timestamp``; ``None`` for the zero time."""
    seconds, nanos = int(timestamp.seconds), int(timestamp.nanos)
    # Go's zero time.Time (year 1) and an unset Timestamp both mean "never".
    if seconds <= 0 and nanos == 0:
        return None
    if seconds < -62135596800 + 1:
        return None
    return datetime.fromtimestamp(seconds + nanos / 1e9, UTC)


def field_mask(paths: Iterable[str]) -> Any:
    """A ``FieldMask`` naming ``paths``."""
    return field_mask_pb2.FieldMask(paths=list(paths))


def ignore_response(data: bytes) -> None:
    """Deserializer for methods that answer ``google.protobuf.Empty``."""
    return None
