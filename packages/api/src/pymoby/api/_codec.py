"""JSON encoding and validating decoding of the wire types.

Decoding checks types as it goes: a wrong type or a missing required field
is an :class:`errdefs.InvalidParameter` whose message names the field
(``Expected `int`, got `str` - at `$.Memory```), and bytes that are not JSON
are one too, so the daemon answers 400 for both.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

from pymoby import errdefs

__all__ = ["InvalidJSON", "decode", "decode_lenient", "encode"]

T = TypeVar("T")

_encoder = msgspec.json.Encoder()
_decoders: dict[Any, msgspec.json.Decoder[Any]] = {}


class InvalidJSON(errdefs.InvalidParameter):
    """A request or response body is not valid JSON for the expected type."""


def encode(value: object) -> bytes:
    """Encode a wire type (or plain data) as compact JSON bytes."""
    return _encoder.encode(value)


def decode(data: bytes | str, type: type[T]) -> T:  # noqa: A002 - msgspec's own name for it
    """Decode JSON ``data`` as ``type``, validating it.

    Raises :class:`InvalidJSON` (an ``InvalidParameter``) when ``data`` is
    not JSON or does not fit ``type``; the message says which field.
    """
    decoder = _decoders.get(type)
    if decoder is None:
        decoder = _decoders[type] = msgspec.json.Decoder(type)
    try:
        result: T = decoder.decode(data)
    except msgspec.ValidationError as exc:
        raise InvalidJSON(f"invalid JSON: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise InvalidJSON(f"invalid JSON: {exc}") from exc
    return result


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def decode_lenient(data: bytes | str, type: type[T]) -> T:  # noqa: A002 - msgspec's own name for it
    """Decode JSON ``data`` as ``type`` the way Go's decoder reads a request body.

    A ``null`` member leaves the field at its default (Go keeps the zero
    value), so clients that send ``"User": null`` (docker-py does) are
    accepted. Raises :class:`InvalidJSON` like :func:`decode`.
    """
    try:
        raw = msgspec.json.decode(data)
    except msgspec.DecodeError as exc:
        raise InvalidJSON(f"invalid JSON: {exc}") from exc
    try:
        return msgspec.convert(_drop_nulls(raw), type)
    except msgspec.ValidationError as exc:
        raise InvalidJSON(f"invalid JSON: {exc}") from exc
