"""Content digests (``algorithm:hex``) as go-digest validates them.

Docker accepts the sha256, sha384 and sha512 algorithms; each has a fixed
length of lower-case hex. Other well-formed algorithms are "unsupported".
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import _grammar
from ._errors import InvalidDigestFormat, UnsupportedDigest

if TYPE_CHECKING:
    from hashlib import _Hash

__all__ = ["ALGORITHMS", "Digest", "validate_digest"]

#: Supported algorithms and the length of their hex encoding.
ALGORITHMS: dict[str, int] = {"sha256": 64, "sha384": 96, "sha512": 128}

_LOWER_HEX = frozenset("0123456789abcdef")


def validate_digest(value: str) -> str:
    """Check ``value`` is a supported digest and return it unchanged.

    Raises :class:`InvalidDigestFormat` for a malformed digest (wrong
    shape, wrong length for its algorithm, upper-case hex) and
    :class:`UnsupportedDigest` for a well-formed digest of another algorithm.
    """
    if len(value) == 71 and value.startswith("sha256:") and _LOWER_HEX.issuperset(value[7:]):
        return value  # the common case, checked in one pass
    algorithm, sep, encoded = value.partition(":")
    if not sep or not algorithm or not encoded:
        raise InvalidDigestFormat("invalid checksum digest format")
    length = ALGORITHMS.get(algorithm)
    if length is None:
        if _grammar.ANCHORED_DIGEST.fullmatch(value) is None:
            raise InvalidDigestFormat("invalid checksum digest format")
        raise UnsupportedDigest()
    if len(encoded) != length:
        raise InvalidDigestFormat("invalid checksum digest length")
    if not _LOWER_HEX.issuperset(encoded):
        raise InvalidDigestFormat("invalid checksum digest format")
    return value


@dataclass(frozen=True, slots=True)
class Digest:
    """A validated content digest: ``Digest.parse("sha256:...")``."""

    algorithm: str
    hex: str

    @classmethod
    def parse(cls, value: str) -> Digest:
        """Parse and validate ``algorithm:hex``; raises as :func:`validate_digest`."""
        validate_digest(value)
        algorithm, _, encoded = value.partition(":")
        return cls(algorithm, encoded)

    @classmethod
    def from_bytes(cls, data: bytes, algorithm: str = "sha256") -> Digest:
        """The digest of ``data``; raises :class:`UnsupportedDigest` for an unknown algorithm."""
        if algorithm not in ALGORITHMS:
            raise UnsupportedDigest()
        return cls(algorithm, hashlib.new(algorithm, data).hexdigest())

    def hasher(self) -> _Hash:
        """A fresh hashlib object of this digest's algorithm, to verify content as it streams."""
        return hashlib.new(self.algorithm)

    def matches(self, hasher: _Hash) -> bool:
        """Whether the content fed to ``hasher`` has this digest."""
        return hasher.hexdigest() == self.hex

    @property
    def encoded(self) -> str:
        """The hex part (go-digest's ``Encoded``)."""
        return self.hex

    def __str__(self) -> str:
        return f"{self.algorithm}:{self.hex}"
