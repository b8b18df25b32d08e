"""The system router and the Protocols of its backend."""

from ._backend import AuthBackend, DiskUsageBackend, EventsBackend, InfoBackend, SystemBackend, VersionBackend
from ._router import SystemRouter

__all__ = [
    "AuthBackend",
    "DiskUsageBackend",
    "EventsBackend",
    "InfoBackend",
    "SystemBackend",
    "SystemRouter",
    "VersionBackend",
]
