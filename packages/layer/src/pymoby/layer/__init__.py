"""pymoby.layer: content-addressed layer store (overlay2 and vfs graph drivers) and streaming tar diffs.

The main object is :class:`LayerStore`; :func:`apply_tar`, :func:`tar_tree`
and :class:`TarReader` are the streaming tar engine under it, usable alone.
"""

from ._apply import ApplyResult, WhiteoutFormat, apply_tar, can_make_devices
from ._archive import tar_tree
from ._changes import Change, ChangeKind
from ._digest import chain_id, chain_ids, validate_digest
from ._driver import DRIVERS, Driver, Mount, open_driver
from ._errors import (
    DeviceNotPermitted,
    DiffIDMismatch,
    DriverFailure,
    InvalidTar,
    LayerInUse,
    LayerNotRetained,
    MountActive,
    MountNameInUse,
    StoreLocked,
    TarSplitMismatch,
    UnknownDriver,
    UnknownLayer,
    UnknownMount,
    UnsafeTarEntry,
    UnsupportedTarEntry,
)
from ._initlayer import INIT_LAYER_PATHS, setup_init_layer
from ._overlay import OverlayDriver
from ._rwlayer import RWLayer
from ._source import Compression, detect_compression
from ._store import Layer, LayerStore
from ._tarformat import TarEntry, encode_header
from ._tarreader import TarReader
from ._vfs import VfsDriver

__all__ = [
    "DRIVERS",
    "INIT_LAYER_PATHS",
    "ApplyResult",
    "Change",
    "ChangeKind",
    "Compression",
    "DeviceNotPermitted",
    "DiffIDMismatch",
    "Driver",
    "DriverFailure",
    "InvalidTar",
    "Layer",
    "LayerInUse",
    "LayerNotRetained",
    "LayerStore",
    "Mount",
    "MountActive",
    "MountNameInUse",
    "OverlayDriver",
    "RWLayer",
    "StoreLocked",
    "TarEntry",
    "TarReader",
    "TarSplitMismatch",
    "UnknownDriver",
    "UnknownLayer",
    "UnknownMount",
    "UnsafeTarEntry",
    "UnsupportedTarEntry",
    "VfsDriver",
    "WhiteoutFormat",
    "apply_tar",
    "can_make_devices",
    "chain_id",
    "chain_ids",
    "detect_compression",
    "encode_header",
    "open_driver",
    "setup_init_layer",
    "tar_tree",
    "validate_digest",
]
