"""The graph driver interface, the registry of drivers and the choice of one by probing.

A graph driver keeps the file trees of layers: ``create`` a layer on a
parent, ``apply_diff`` a tar into it, ``mount`` it to get its root file
system, and compute ``changes``/``diff`` against its parent. Drivers are
found by name: the built-in ``overlay2`` and ``vfs``, and any that a package
registers under the ``pymoby.layer.drivers`` entry point group (a callable
taking ``(home, options)`` and returning a :class:`Driver`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import IO, Protocol

from ._apply import ApplyResult
from ._changes import Change
from ._errors import UnknownDriver, UnknownLayer

__all__ = ["DRIVERS", "PRIORITY", "Driver", "DriverFactory", "Mount", "check_id", "open_driver"]

_ID = re.compile(r"[a-f0-9]{64}(-init)?|[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")


def check_id(layer_id: str) -> str:
    """``layer_id`` if it is a safe directory name for a driver. Raises UnknownLayer otherwise."""
    if not _ID.fullmatch(layer_id) or layer_id in (".", ".."):
        raise UnknownLayer(f"invalid layer ID {layer_id!r}")
    return layer_id


@dataclass(frozen=True, slots=True)
class Mount:
    """A mount as containerd takes it for a task's root file system (``type``, ``source``, ``options``)."""

    type: str
    source: str
    options: tuple[str, ...]


class Driver(Protocol):
    """What the layer store needs from a graph driver. Every method may raise DriverFailure."""

    name: str
    home: Path

    def create(self, layer_id: str, parent: str | None) -> None:
        """Make an empty layer on ``parent`` (a layer ID of this driver, or None)."""

    def remove(self, layer_id: str) -> None:
        """Remove a layer (unmounting it first if needed). A missing layer is not an error."""

    def exists(self, layer_id: str) -> bool:
        """Whether the layer exists."""

    def ids(self) -> list[str]:
        """Every layer ID present on disk."""

    def apply_diff(self, layer_id: str, stream: IO[bytes], split: Path | None) -> ApplyResult:
        """Apply a layer tar onto the freshly created ``layer_id``, recording its tar-split into ``split``."""

    def content_dir(self, layer_id: str) -> Path:
        """The directory whose files hold the contents this layer's tar put there (for tar-split reassembly)."""

    def mount(self, layer_id: str) -> Path:
        """Mount the layer (reference counted) and return its root file system path."""

    def unmount(self, layer_id: str) -> None:
        """Drop one mount reference; unmount when it was the last."""

    def is_mounted(self, layer_id: str) -> bool:
        """Whether the layer is mounted by this driver."""

    def mounts(self, layer_id: str) -> list[Mount]:
        """The mounts that give the layer's root file system, for containerd (nothing is mounted here)."""

    def changes(self, layer_id: str, parent: str | None) -> list[Change]:
        """What the layer changed against ``parent``."""

    def diff(self, layer_id: str, parent: str | None) -> Iterator[bytes]:
        """A reproducible layer tar of what the layer changed against ``parent``."""

    def diff_size(self, layer_id: str, parent: str | None) -> int:
        """Bytes held by the files the layer changed against ``parent``."""

    def status(self) -> list[tuple[str, str]]:
        """Key/value pairs for ``docker info``'s driver status."""

    def cleanup(self) -> None:
        """Unmount everything this driver mounted."""


DriverFactory = Callable[[Path, Mapping[str, str]], Driver]

#: Built-in drivers, by name; filled in by the driver modules.
DRIVERS: dict[str, DriverFactory] = {}
#: The order in which drivers are tried when none is configured.
PRIORITY = ("overlay2", "vfs")


def _plugins() -> dict[str, DriverFactory]:
    found: dict[str, DriverFactory] = {}
    for point in entry_points(group="pymoby.layer.drivers"):
        found[point.name] = point.load()
    return found


def open_driver(data_root: Path, name: str | None = None, options: Mapping[str, str] | None = None) -> Driver:
    """The graph driver ``name`` with its home under ``data_root``, or the first that works here.

    Raises UnknownDriver if the named driver does not exist or cannot run on
    this system (Docker's "driver not supported"), or if none can.
    """
    factories = _plugins() | DRIVERS
    opts = dict(options or {})
    if name:
        factory = factories.get(name)
        if factory is None:
            raise UnknownDriver(f"error initializing graphdriver: unknown driver {name!r}")
        return factory(data_root / name, opts)
    errors = []
    for candidate in PRIORITY:
        try:
            return factories[candidate](data_root / candidate, opts)
        except UnknownDriver as exc:
            errors.append(str(exc))
    raise UnknownDriver("no graph driver can run here: " + "; ".join(errors))
