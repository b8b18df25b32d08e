"""Platforms and Docker's platform matching for manifest lists.

The wanted platform is normalised as containerd does (``aarch64`` is
``arm64``, ``arm64`` is ``arm64/v8``, ``arm`` is ``arm/v7``), and matches
what the machine can run, best first: ``arm64/v8`` then ``arm/v8`` down to
``arm/v5``; ``arm/v7`` then v6 and v5; ``amd64`` then ``386``. The first
candidate found in the index wins; the index order breaks ties.
"""

from __future__ import annotations

import platform as _host
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pymoby import errdefs

if TYPE_CHECKING:
    from ._manifest import Descriptor

__all__ = ["Platform", "default_platform", "select_manifest"]

_ARCH_ALIASES = {
    "x86_64": "amd64",
    "x86-64": "amd64",
    "aarch64": "arm64",
    "armhf": "arm",
    "armel": "arm",
    "i386": "386",
    "i686": "386",
}


@dataclass(frozen=True, slots=True)
class Platform:
    """An OCI platform: ``os``, ``architecture`` and ``variant`` (``os.version``, features ignored)."""

    os: str
    architecture: str
    variant: str = ""
    os_version: str = ""
    os_features: tuple[str, ...] = field(default=())

    @classmethod
    def parse(cls, text: str) -> Platform:
        """``os/arch[/variant]`` (or ``arch``) as ``docker --platform`` takes it.

        Raises ``errdefs.InvalidParameter`` for an empty or malformed string.
        """
        parts = [p.strip().lower() for p in text.split("/")]
        if not text or any(not p for p in parts) or len(parts) > 3:
            raise errdefs.InvalidParameter(f'"{text}": unknown operating system or architecture: invalid argument')
        if len(parts) == 1:
            return cls("linux", parts[0]).normalized()
        return cls(parts[0], parts[1], parts[2] if len(parts) == 3 else "").normalized()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Platform:
        """A platform from its OCI JSON object."""
        return cls(
            str(data.get("os") or ""),
            str(data.get("architecture") or ""),
            str(data.get("variant") or ""),
            str(data.get("os.version") or ""),
            tuple(str(f) for f in data.get("os.features") or ()),
        )

    def to_json(self) -> dict[str, Any]:
        """The OCI JSON object."""
        data: dict[str, Any] = {"architecture": self.architecture, "os": self.os}
        if self.variant:
            data["variant"] = self.variant
        if self.os_version:
            data["os.version"] = self.os_version
        if self.os_features:
            data["os.features"] = list(self.os_features)
        return data

    def normalized(self) -> Platform:
        """containerd's normalisation: aliases resolved, default variants filled in."""
        arch = _ARCH_ALIASES.get(self.architecture, self.architecture)
        variant = self.variant
        if self.architecture == "armhf":
            variant = variant or "v7"
        elif self.architecture == "armel":
            variant = variant or "v6"
        if arch == "arm64":
            variant = "v8" if variant in ("", "8", "v8") else variant
        elif arch == "arm":
            variant = {"": "v7", "5": "v5", "6": "v6", "7": "v7", "8": "v8"}.get(variant, variant)
        elif arch == "amd64":
            variant = "" if variant in ("v1",) else variant
        return Platform(self.os.lower() or "linux", arch, variant, self.os_version, self.os_features)

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)


def default_platform() -> Platform:
    """The platform of this machine (``linux/amd64``, ``linux/arm64/v8``...)."""
    os_name = "linux" if sys.platform.startswith("linux") else sys.platform
    return Platform(os_name, _host.machine().lower()).normalized()


def _candidates(wanted: Platform) -> list[Platform]:
    """What ``wanted`` can run, best first."""
    wanted = wanted.normalized()
    order = [wanted]
    if wanted.architecture == "arm64":
        order += [Platform(wanted.os, "arm", v) for v in ("v8", "v7", "v6", "v5")]
    elif wanted.architecture == "arm":
        levels = ["v8", "v7", "v6", "v5"]
        if wanted.variant in levels:
            order += [Platform(wanted.os, "arm", v) for v in levels[levels.index(wanted.variant) + 1 :]]
    elif wanted.architecture == "amd64":
        order.append(Platform(wanted.os, "386"))
    return order


def select_manifest(manifests: Sequence[Descriptor], wanted: Platform) -> Descriptor | None:
    """The entry of an index that best matches ``wanted``, or ``None``.

    Entries without a platform never match; ``os.version`` is ignored.
    """
    order = [(c.os, c.architecture, c.variant) for c in _candidates(wanted)]
    best: tuple[int, int] | None = None
    chosen: Descriptor | None = None
    for index, descriptor in enumerate(manifests):
        if descriptor.platform is None:
            continue
        p = descriptor.platform.normalized()
        key = (p.os, p.architecture, p.variant)
        if key not in order:
            continue
        rank = (order.index(key), index)
        if best is None or rank < best:
            best, chosen = rank, descriptor
    return chosen
