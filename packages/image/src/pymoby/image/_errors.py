"""The errors of pymoby.image, each a subclass of exactly one errdefs kind::

UnknownImage(NotFound)                   no image with that ID or prefix
AmbiguousImageID(InvalidParameter)       a short ID prefix matches several images
ImageInUse(Conflict)                     the image has children or a user (a container)
InvalidImageConfig(InvalidParameter)     config bytes that are not an image config
InvalidArchive(InvalidParameter)         a docker-archive / OCI layout that cannot be loaded
UnsupportedArchive(NotImplemented)       the pre-1.10 docker save format
"""

from __future__ import annotations

from pymoby import errdefs

__all__ = [
    "AmbiguousImageID",
    "ImageInUse",
    "InvalidArchive",
    "InvalidImageConfig",
    "UnknownImage",
    "UnsupportedArchive",
]


class UnknownImage(errdefs.NotFound):
    """No image with that ID (or ID prefix)."""


class AmbiguousImageID(errdefs.InvalidParameter):
    """A short ID prefix matches more than one image."""


class ImageInUse(errdefs.Conflict):
    """The image cannot be deleted: child images or containers use it."""


class InvalidImageConfig(errdefs.InvalidParameter):
    """The bytes are not a valid image config."""


class InvalidArchive(errdefs.InvalidParameter):
    """An image archive that cannot be loaded (missing files, mismatched layers, bad JSON)."""


class UnsupportedArchive(errdefs.NotImplemented):
    """An archive in a format that is not supported (the legacy pre-1.10 layout)."""
