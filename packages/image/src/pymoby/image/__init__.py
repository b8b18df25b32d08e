"""pymoby.image: the image config model, the content-addressed image store, and save/load/import."""

from ._config import (
    ContainerConfig,
    HealthConfig,
    History,
    ImageConfig,
    RootFS,
    config_digest,
    encode_config,
    format_time,
    parse_config,
    parse_time,
)
from ._errors import (
    AmbiguousImageID,
    ImageInUse,
    InvalidArchive,
    InvalidImageConfig,
    UnknownImage,
    UnsupportedArchive,
)
from ._import import host_architecture, import_rootfs
from ._load import LoadedImage, load
from ._save import SaveItem, save
from ._store import Image, ImageStore

__all__ = [
    "AmbiguousImageID",
    "ContainerConfig",
    "HealthConfig",
    "History",
    "Image",
    "ImageConfig",
    "ImageInUse",
    "ImageStore",
    "InvalidArchive",
    "InvalidImageConfig",
    "LoadedImage",
    "RootFS",
    "SaveItem",
    "UnknownImage",
    "UnsupportedArchive",
    "config_digest",
    "encode_config",
    "format_time",
    "host_architecture",
    "import_rootfs",
    "load",
    "parse_config",
    "parse_time",
    "save",
]
