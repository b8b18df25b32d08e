"""What the system router needs from the daemon: small Protocols, one per concern."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from pymoby import api

__all__ = ["AuthBackend", "DiskUsageBackend", "EventsBackend", "InfoBackend", "SystemBackend", "VersionBackend"]


class VersionBackend(Protocol):
    """Serves ``GET /version``."""

    async def system_version(self) -> api.SystemVersion:
        """The engine's version and its components'."""
        ...


class InfoBackend(Protocol):
    """Serves ``GET /info``."""

    async def system_info(self) -> api.SystemInfo:
        """System-wide information."""
        ...


class DiskUsageBackend(Protocol):
    """Serves ``GET /system/df``."""

    async def system_disk_usage(self, kinds: frozenset[str]) -> api.DiskUsage:
        """Disk usage of the object kinds asked for (all when empty): container, image, volume, build-cache."""
        ...


class EventsBackend(Protocol):
    """Serves ``GET /events``."""

    def subscribe_events(
        self, since: int | None, until: int | None, filters: api.Filters
    ) -> AbstractAsyncContextManager[AsyncIterator[api.EventMessage]]:
        """The events of a time window (nanoseconds), past then live."""
        ...


class AuthBackend(Protocol):
    """Serves ``POST /auth``."""

    async def auth(self, config: api.AuthConfig) -> api.AuthResponse:
        """Check the credentials against the registry; ``Unauthorized`` when refused."""
        ...


class SystemBackend(VersionBackend, InfoBackend, DiskUsageBackend, EventsBackend, AuthBackend, Protocol):
    """Everything the system router uses."""
