"""The image router (``/images/...``, ``/commit``) and the Protocols of its backend."""

from ._backend import (
    CommitBackend,
    ImageArchiveBackend,
    ImageBackend,
    ImageDeleteBackend,
    ImageInspectBackend,
    ImageListBackend,
    ImageSearchBackend,
    ImageTagBackend,
    ImageTransferBackend,
)
from ._router import ImageRouter, registry_credentials, repo_tag_reference

__all__ = [
    "CommitBackend",
    "ImageArchiveBackend",
    "ImageBackend",
    "ImageDeleteBackend",
    "ImageInspectBackend",
    "ImageListBackend",
    "ImageRouter",
    "ImageSearchBackend",
    "ImageTagBackend",
    "ImageTransferBackend",
    "registry_credentials",
    "repo_tag_reference",
]
