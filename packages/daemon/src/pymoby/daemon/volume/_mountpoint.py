"""A container's mount point as Docker records it in ``config.v2.json`` (``MountPoints``).

The keys are Docker's (``Relabel`` holds the mode string, as in Docker's
file); ``CopyData`` is ours: Docker keeps it in memory only, we persist it
so that the first start after a restart still fills a new volume from the
image. :meth:`MountPoint.to_api` gives the ``Mounts`` entry of inspect.
"""

from __future__ import annotations

import msgspec
from msgspec import field

from pymoby import api

__all__ = ["MountPoint"]


class MountPoint(msgspec.Struct, rename="pascal"):
    """One mount of a container: a bind, a volume or a tmpfs (``--mount type=tmpfs``)."""

    #: Host path: the bind source, or the volume's data directory (``Mountpoint``); empty for tmpfs.
    source: str = ""
    destination: str = ""
    rw: bool = field(default=True, name="RW")
    #: The volume's name.
    name: str = ""
    #: The volume's driver.
    driver: str = ""
    type: str = ""
    #: The mode string the user gave (``ro,z``...), ``z`` for local named volumes.
    mode: str = field(default="", name="Relabel")
    propagation: str = ""
    #: The ID the volume was mounted with (plugins pair Mount and Unmount calls by it).
    id: str = field(default="", name="ID")
    #: The ``--mount`` (or the ``-v`` converted to one) that made this mount point.
    spec: api.Mount = field(default_factory=api.Mount)
    skip_mountpoint_creation: bool = False
    #: Fill the volume from the image's content at ``destination`` on the next start (if it is empty).
    copy_data: bool = False

    @property
    def is_volume(self) -> bool:
        """Whether a volume backs it."""
        return self.type == "volume"

    @property
    def anonymous(self) -> bool:
        """A volume made for this container alone (no name in its spec): ``rm -v`` removes it."""
        return self.is_volume and not self.spec.source

    def to_api(self) -> api.MountPoint:
        """The entry of inspect's (and list's) ``Mounts``."""
        point = api.MountPoint(
            source=self.source,
            destination=self.destination,
            mode=self.mode,
            rw=self.rw,
            propagation=self.propagation,
        )
        if self.type:
            point.type = self.type
        if self.name:
            point.name = self.name
        if self.driver:
            point.driver = self.driver
        return point
