"""What the container and exec routers need from the daemon: small Protocols, one per concern."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Protocol

import anyio.abc

from pymoby import api

from ....container import WaitCondition, WaitResult
from ....lifecycle import AttachOptions, ExecProcess, PreparedAttach
from ....logger import LogsOptions

__all__ = [
    "AttachBackend",
    "ContainerBackend",
    "CreateBackend",
    "ExecBackend",
    "InspectBackend",
    "LifecycleBackend",
    "LogsBackend",
    "StatsBackend",
]


class CreateBackend(Protocol):
    """``POST /containers/create``."""

    async def create(
        self, name: str, request: api.ContainerCreateRequest, *, platform: str = ""
    ) -> api.ContainerCreateResponse: ...


class InspectBackend(Protocol):
    """Reading containers."""

    async def inspect(self, name: str, *, size: bool = False) -> api.ContainerInspect: ...

    async def list_containers(
        self,
        filters: api.Filters,
        *,
        all: bool = False,  # noqa: A002 - the query parameter's name
        limit: int = 0,
        size: bool = False,
    ) -> list[api.ContainerSummary]: ...

    async def top(self, name: str, ps_args: str = "") -> api.ContainerTopResponse: ...

    async def changes(self, name: str) -> list[api.FilesystemChange]: ...

    async def export(self, name: str) -> AsyncIterator[bytes]: ...


class LifecycleBackend(Protocol):
    """Start, stop, signals, removal, renaming, updating."""

    async def start(self, name: str) -> None: ...

    async def stop(self, name: str, *, signal: str = "", timeout: int | None = None) -> None: ...  # noqa: ASYNC109 - the stop grace period, not an I/O bound

    async def restart(self, name: str, *, signal: str = "", timeout: int | None = None) -> None: ...  # noqa: ASYNC109 - the stop grace period, not an I/O bound

    async def kill(self, name: str, signal: str = "") -> None: ...

    async def pause(self, name: str) -> None: ...

    async def unpause(self, name: str) -> None: ...

    async def remove(self, name: str, *, force: bool = False, volumes: bool = False, link: bool = False) -> None: ...

    async def prune(self, filters: api.Filters) -> api.ContainerPruneResponse: ...

    async def rename(self, old: str, new: str) -> None: ...

    async def update(self, name: str, request: api.ContainerUpdateRequest) -> api.ContainerUpdateResponse: ...

    def wait(self, name: str, condition: WaitCondition) -> Callable[[], Awaitable[WaitResult]]: ...

    async def resize(self, name: str, height: int, width: int) -> None: ...


class AttachBackend(Protocol):
    """``POST /containers/{id}/attach``."""

    def prepare_attach(self, name: str, options: AttachOptions) -> PreparedAttach: ...

    async def run_attach(self, prepared: PreparedAttach, connection: anyio.abc.ByteStream) -> None: ...


class LogsBackend(Protocol):
    """``GET /containers/{id}/logs``."""

    def logs(self, name: str, options: LogsOptions) -> tuple[AsyncIterator[bytes], bool]: ...


class StatsBackend(Protocol):
    """``GET /containers/{id}/stats``."""

    def stats(self, name: str, *, stream: bool, one_shot: bool) -> AsyncIterator[api.StatsResponse]: ...


class ExecBackend(Protocol):
    """The exec endpoints."""

    def create_exec(self, name: str, config: api.ExecConfig) -> api.IdResponse: ...

    def check_exec_start(self, exec_id: str) -> ExecProcess: ...

    async def start_exec(self, process: ExecProcess, console_size: list[int] | None = None) -> None: ...

    async def run_exec_attached(
        self, process: ExecProcess, connection: anyio.abc.ByteStream, console_size: list[int] | None
    ) -> None: ...

    def inspect_exec(self, exec_id: str) -> api.ExecInspect: ...

    async def resize_exec(self, exec_id: str, height: int, width: int) -> None: ...


class ContainerBackend(
    CreateBackend, InspectBackend, LifecycleBackend, AttachBackend, LogsBackend, StatsBackend, Protocol
):
    """Everything the container router uses."""
