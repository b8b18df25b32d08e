"""The archive functions' errors, each one errdefs kind, in Docker's words.

::

    NotFound          ContainerFileNotFound ("Could not find the file /x in container web")
    InvalidParameter  NotADirectoryTarget ("extraction point is not a directory"),
                      ReadOnlyTarget ("mounted volume is marked read-only", "container rootfs is marked read-only"),
                      UnsupportedArchive (a compression we cannot read)
    System            ExtractError (the archive would overwrite a directory, or holds an entry escaping its
                      destination: Docker answers 500 for these)
"""

from __future__ import annotations

from pymoby import errdefs

__all__ = [
    "ContainerFileNotFound",
    "ExtractError",
    "NotADirectoryTarget",
    "ReadOnlyTarget",
    "UnsupportedArchive",
]


class ContainerFileNotFound(errdefs.NotFound):
    """The path does not exist in the container."""

    def __init__(self, path: str, container: str) -> None:
        super().__init__(f"Could not find the file {path} in container {container}")
        self.path = path
        self.container = container


class NotADirectoryTarget(errdefs.InvalidParameter):
    """``PUT /containers/{id}/archive`` to a path that is not a directory."""

    def __init__(self) -> None:
        super().__init__("extraction point is not a directory")


class ReadOnlyTarget(errdefs.InvalidParameter):
    """The extraction would write to a read-only mount or a read-only root file system."""


class UnsupportedArchive(errdefs.InvalidParameter):
    """The uploaded archive is compressed in a format we cannot read, or is not a tar."""


class ExtractError(errdefs.System):
    """Extracting an entry was refused or failed (Docker's plain errors: HTTP 500)."""
