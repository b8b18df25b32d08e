"""A container's read-write layer: mount it, list and export its changes, measure it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ._archive import tar_tree
from ._changes import Change
from ._driver import Driver, Mount

__all__ = ["RWLayer"]


class RWLayer:
    """A read-write layer on an image's chain (with the init layer between them).

    Handles are cheap views on the store's record: take one with
    ``LayerStore.get_rw_layer(name)`` whenever needed. Every method may raise
    DriverFailure.
    """

    def __init__(self, driver: Driver, name: str, mount_id: str, init_id: str | None, parent: str | None) -> None:
        self._driver = driver
        #: The name it was created with (the container ID).
        self.name = name
        #: The graph driver's ID of the container's own layer.
        self.mount_id = mount_id
        #: The graph driver's ID of the init layer below it.
        self.init_id = init_id
        #: Chain ID of the image layer it sits on (None for an empty image).
        self.parent = parent

    def __repr__(self) -> str:
        return f"RWLayer(name={self.name!r}, parent={self.parent!r})"

    def mount(self) -> Path:
        """Mount the layer (counted: each call needs an :meth:`unmount`) and return its root file system."""
        return self._driver.mount(self.mount_id)

    def unmount(self) -> None:
        """Drop one mount; the last unmounts."""
        self._driver.unmount(self.mount_id)

    @property
    def is_mounted(self) -> bool:
        """Whether this process holds a mount of the layer."""
        return self._driver.is_mounted(self.mount_id)

    def mounts(self) -> list[Mount]:
        """The mounts that make its root file system, to give containerd as the task's rootfs.

        For overlay2: ``Mount("overlay", "overlay", ("index=off", "lowerdir=...", "upperdir=...",
        "workdir=..."))``; for vfs a bind mount of the layer's directory.
        """
        return self._driver.mounts(self.mount_id)

    def changes(self) -> list[Change]:
        """What the container changed (``docker diff``), against the image plus its init layer."""
        return self._driver.changes(self.mount_id, self.init_id)

    def tar_changes(self) -> Iterator[bytes]:
        """A reproducible layer tar of the changes (``docker commit``): register it on :attr:`parent`."""
        return self._driver.diff(self.mount_id, self.init_id)

    def export(self) -> Iterator[bytes]:
        """A tar of the whole root file system (``docker export``); mounts for the time it runs."""
        root = self.mount()
        try:
            yield from tar_tree(root)
        finally:
            self.unmount()

    def size(self) -> int:
        """Bytes held by the files the container changed (``SizeRw``)."""
        return self._driver.diff_size(self.mount_id, self.init_id)
