"""Capability names: normalising ``CapAdd``/``CapDrop`` and computing a container's set.

Docker's rules (moby ``oci/caps``): names are case-insensitive, ``CAP_`` is
optional, ``ALL`` adds or drops everything. "Everything" is what the daemon
itself holds: a capability the kernel knows but the daemon's process lacks
(root in a restricted container, as on this project's CI) is refused with
Docker's "not available" message instead of failing in runc at start.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pymoby import errdefs

from ._defaults import DEFAULT_CAPABILITIES, KNOWN_CAPABILITIES

__all__ = ["ALL_CAPABILITIES", "InvalidCapability", "normalize_capabilities", "tweak_capabilities"]

ALL_CAPABILITIES = "ALL"


class InvalidCapability(errdefs.InvalidParameter):
    """A ``CapAdd``/``CapDrop`` entry names no capability, or one this host cannot give."""


def normalize_capabilities(names: Iterable[str], available: Iterable[str] | None = None) -> list[str]:
    """Upper-case ``names`` and add the ``CAP_`` prefix; ``ALL`` passes through.

    ``available`` is what the daemon can hand out (default: every known
    capability). Raises :class:`InvalidCapability` with Docker's messages:
    ``unknown capability: "CAP_FOO"`` or ``capability not supported by your
    kernel or not available in the current environment: "CAP_X"``.
    """
    usable = frozenset(KNOWN_CAPABILITIES if available is None else available)
    normalized = []
    for raw in names:
        name = raw.upper()
        if name == ALL_CAPABILITIES:
            normalized.append(name)
            continue
        if not name.startswith("CAP_"):
            name = "CAP_" + name
        if name not in KNOWN_CAPABILITIES:
            raise InvalidCapability(f'unknown capability: "{name}"')
        if name not in usable:
            raise InvalidCapability(
                f'capability not supported by your kernel or not available in the current environment: "{name}"'
            )
        normalized.append(name)
    return normalized


def tweak_capabilities(
    cap_add: Sequence[str] | None,
    cap_drop: Sequence[str] | None,
    *,
    privileged: bool = False,
    available: Sequence[str] | None = None,
) -> list[str]:
    """The container's capability set: Docker's defaults with ``cap_add``/``cap_drop`` applied.

    Privileged containers and ``CapAdd: ["ALL"]`` get every capability in
    ``available`` (default: every known one), in capability-number order.
    ``CapDrop: ["ALL"]`` keeps only what ``cap_add`` names. Raises
    :class:`InvalidCapability` for unknown names.
    """
    everything = [c for c in KNOWN_CAPABILITIES if available is None or c in available]
    if privileged:
        return everything
    if not cap_add and not cap_drop:
        return list(DEFAULT_CAPABILITIES)
    drops = normalize_capabilities(cap_drop or (), available)
    adds = normalize_capabilities(cap_add or (), available)
    if ALL_CAPABILITIES in adds:
        return [c for c in everything if c not in drops]
    if ALL_CAPABILITIES in drops:
        result = []
        for c in adds:
            if c not in result:
                result.append(c)
        return result
    result = [c for c in DEFAULT_CAPABILITIES if c not in drops]
    for c in adds:
        if c not in result:
            result.append(c)
    return result
