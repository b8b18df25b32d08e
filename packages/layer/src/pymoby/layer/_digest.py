"""Diff IDs and chain IDs, as the OCI image spec defines them.

A diff ID is the sha256 digest of a layer's uncompressed tar stream. The chain
ID of a layer names the whole stack below it::

    chain(L0)   = diff_id(L0)
    chain(L0|n) = sha256(chain(L0|n-1) + " " + diff_id(Ln))

See https://github.com/opencontainers/image-spec/blob/main/config.md#layer-chainid
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from pymoby import errdefs

__all__ = ["chain_id", "chain_ids", "validate_digest"]

_DIGEST = re.compile(r"sha256:[a-f0-9]{64}")


def validate_digest(value: str) -> str:
    """Return ``value`` if it is a ``sha256:<64 hex>`` digest.

    Raises errdefs.InvalidParameter otherwise.
    """
    if not _DIGEST.fullmatch(value):
        raise errdefs.InvalidParameter(f"invalid digest {value!r}: expected sha256:<64 hex digits>")
    return value


def chain_id(parent: str | None, diff_id: str) -> str:
    """The chain ID of a layer with ``diff_id`` on top of the chain ``parent`` (None for a base layer).

    Raises errdefs.InvalidParameter if either is not a sha256 digest.
    """
    validate_digest(diff_id)
    if parent is None:
        return diff_id
    validate_digest(parent)
    return "sha256:" + hashlib.sha256(f"{parent} {diff_id}".encode()).hexdigest()


def chain_ids(diff_ids: Iterable[str]) -> list[str]:
    """The chain ID of every layer in a stack given bottom-up by its diff IDs.

    Raises errdefs.InvalidParameter if a diff ID is not a sha256 digest.
    """
    result: list[str] = []
    parent: str | None = None
    for diff_id in diff_ids:
        parent = chain_id(parent, diff_id)
        result.append(parent)
    return result
