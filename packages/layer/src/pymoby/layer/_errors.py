"""The errors of pymoby.layer, each a subclass of exactly one errdefs kind::

InvalidTar(InvalidParameter)        the stream is not a tar archive we can read
UnsafeTarEntry(InvalidParameter)    an entry would land outside the layer
DeviceNotPermitted(Forbidden)       a device node, without the privilege to create it
UnsupportedTarEntry(NotImplemented) sparse files and other rare GNU extensions
UnknownLayer(NotFound)              no layer with that chain ID
UnknownMount(NotFound)              no read-write layer with that name
LayerInUse(Conflict)                the layer still has holders (children, mounts)
MountActive(Conflict)               the read-write layer is still mounted
MountNameInUse(Conflict)            a read-write layer with that name exists
UnknownDriver(InvalidParameter)     no graph driver by that name, or it cannot run here
DriverFailure(System)               the kernel or file system refused an operation
TarSplitMismatch(DataLoss)          a stored layer no longer reproduces its diff ID
DiffIDMismatch(InvalidParameter)    the tar's diff ID is not the one expected
LayerNotRetained(InvalidParameter)  a release of a layer the caller does not hold
StoreLocked(Conflict)               another process has the store open
"""

from __future__ import annotations

from pymoby import errdefs

__all__ = [
    "DeviceNotPermitted",
    "DiffIDMismatch",
    "LayerNotRetained",
    "StoreLocked",
    "DriverFailure",
    "InvalidTar",
    "LayerInUse",
    "MountActive",
    "MountNameInUse",
    "TarSplitMismatch",
    "UnknownDriver",
    "UnknownLayer",
    "UnknownMount",
    "UnsafeTarEntry",
    "UnsupportedTarEntry",
]


class InvalidTar(errdefs.InvalidParameter):
    """The stream is not a tar archive that can be read (bad header, truncated, unknown compression)."""


class UnsafeTarEntry(errdefs.InvalidParameter):
    """An entry's path, symlink or hardlink target would land outside the layer."""


class DeviceNotPermitted(errdefs.Forbidden):
    """The tar holds a character or block device and the store may not create device nodes."""


class UnsupportedTarEntry(errdefs.NotImplemented):
    """The tar uses a feature this reader does not implement (GNU sparse files, multi-volume)."""


class UnknownLayer(errdefs.NotFound):
    """No layer with that chain ID is in the store."""


class UnknownMount(errdefs.NotFound):
    """No read-write layer with that name is in the store."""


class LayerInUse(errdefs.Conflict):
    """The layer cannot be removed: something still holds it."""


class MountActive(errdefs.Conflict):
    """The read-write layer is still mounted."""


class MountNameInUse(errdefs.Conflict):
    """A read-write layer with that name already exists."""


class UnknownDriver(errdefs.InvalidParameter):
    """No graph driver by that name, or the driver cannot run on this system."""


class DriverFailure(errdefs.System):
    """The kernel or the file system refused a graph driver operation."""


class TarSplitMismatch(errdefs.DataLoss):
    """The files of a stored layer no longer reproduce the tar it was registered from."""


class DiffIDMismatch(errdefs.InvalidParameter):
    """The registered tar does not have the diff ID the caller expected (image config or manifest)."""


class LayerNotRetained(errdefs.InvalidParameter):
    """A release of a layer that the caller does not hold."""


class StoreLocked(errdefs.Conflict):
    """Another process has the layer store open."""
