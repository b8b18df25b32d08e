"""The network router and the Protocols of its backend."""

from ._backend import (
    NetworkBackend,
    NetworkConnectBackend,
    NetworkCreateBackend,
    NetworkInspectBackend,
    NetworkListBackend,
    NetworkPruneBackend,
    NetworkRemoveBackend,
)
from ._router import NetworkRouter

__all__ = [
    "NetworkBackend",
    "NetworkConnectBackend",
    "NetworkCreateBackend",
    "NetworkInspectBackend",
    "NetworkListBackend",
    "NetworkPruneBackend",
    "NetworkRemoveBackend",
    "NetworkRouter",
]
