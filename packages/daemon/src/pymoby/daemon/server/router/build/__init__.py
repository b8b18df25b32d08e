"""The build router (``POST /build``, ``POST /build/prune``) and the Protocols of its backend."""

from ._backend import BuildBackend, BuildCacheBackend, ImageBuildBackend
from ._router import BuildRouter, build_options

__all__ = ["BuildBackend", "BuildCacheBackend", "BuildRouter", "ImageBuildBackend", "build_options"]
