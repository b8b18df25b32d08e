"""The container, exec and first image methods of the synchronous :class:`Client`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from ._blocking import BlockingClient, run_to_completion
from ._containers import ContainerMethods

if TYPE_CHECKING:
    from anyio.from_thread import BlockingPortal

    from pymoby import api

    from ._client import AsyncClient, FiltersArg, Query
    from ._hosts import RawResponse
    from ._sync import SyncHijackedConnection
    from ._transport import HijackedConnection

__all__ = ["BlockingCalls", "SyncContainerMethods"]

T = TypeVar("T")


class SyncContainerMethods:
    """Blocking twins of :class:`ContainerMethods` (mixed into :class:`Client`)."""

    if TYPE_CHECKING:

        @property
        def _portal(self) -> BlockingPortal: ...
        @property
        def _client(self) -> AsyncClient: ...

        _calls: BlockingCalls

        def _iterate(self, agen: AsyncIterator[Any]) -> Iterator[Any]: ...

    def _hijacked(self, connection: HijackedConnection) -> SyncHijackedConnection:
        from ._sync import SyncHijackedConnection

        return SyncHijackedConnection(self._portal, connection)

    def containers(
        self,
        *,
        all: bool = False,  # noqa: A002 - the query parameter's name
        limit: int = 0,
        size: bool = False,
        filters: FiltersArg = None,
    ) -> list[api.ContainerSummary]:
        """``GET /containers/json``."""
        return run_to_completion(self._calls.containers(all=all, limit=limit, size=size, filters=filters))

    def create_container(
        self, config: api.ContainerCreateRequest, *, name: str = "", platform: str = ""
    ) -> api.ContainerCreateResponse:
        """``POST /containers/create``."""
        return run_to_completion(self._calls.create_container(config, name=name, platform=platform))

    def inspect_container(self, container: str, *, size: bool = False) -> api.ContainerInspect:
        """``GET /containers/{id}/json``."""
        return run_to_completion(self._calls.inspect_container(container, size=size))

    def start(self, container: str) -> None:
        """``POST /containers/{id}/start``."""
        run_to_completion(self._calls.start(container))

    def stop(self, container: str, *, timeout: int | None = None, signal: str = "") -> None:
        """``POST /containers/{id}/stop``."""
        run_to_completion(self._calls.stop(container, timeout=timeout, signal=signal))

    def restart(self, container: str, *, timeout: int | None = None, signal: str = "") -> None:
        """``POST /containers/{id}/restart``."""
        run_to_completion(self._calls.restart(container, timeout=timeout, signal=signal))

    def kill(self, container: str, signal: str | int = "") -> None:
        """``POST /containers/{id}/kill``."""
        run_to_completion(self._calls.kill(container, signal))

    def pause(self, container: str) -> None:
        """``POST /containers/{id}/pause``."""
        run_to_completion(self._calls.pause(container))

    def unpause(self, container: str) -> None:
        """``POST /containers/{id}/unpause``."""
        run_to_completion(self._calls.unpause(container))

    def remove_container(self, container: str, *, force: bool = False, volumes: bool = False) -> None:
        """``DELETE /containers/{id}``."""
        run_to_completion(self._calls.remove_container(container, force=force, volumes=volumes))

    def rename(self, container: str, name: str) -> None:
        """``POST /containers/{id}/rename``."""
        run_to_completion(self._calls.rename(container, name))

    def update_container(self, container: str, update: api.ContainerUpdateRequest) -> api.ContainerUpdateResponse:
        """``POST /containers/{id}/update``."""
        return run_to_completion(self._calls.update_container(container, update))

    def wait(self, container: str, condition: str = "not-running") -> api.ContainerWaitResponse:
        """``POST /containers/{id}/wait``."""
        return self._portal.call(self._client.wait, container, condition)

    def top(self, container: str, ps_args: str = "") -> api.ContainerTopResponse:
        """``GET /containers/{id}/top``."""
        return run_to_completion(self._calls.top(container, ps_args))

    def changes(self, container: str) -> list[api.FilesystemChange]:
        """``GET /containers/{id}/changes``."""
        return run_to_completion(self._calls.changes(container))

    def export(self, container: str) -> Iterator[bytes]:
        """``GET /containers/{id}/export`` in chunks."""
        return self._iterate(self._client.export(container))

    def stats(self, container: str, *, stream: bool = True, one_shot: bool = False) -> Iterator[api.StatsResponse]:
        """``GET /containers/{id}/stats``."""
        return self._iterate(self._client.stats(container, stream=stream, one_shot=one_shot))

    def resize(self, container: str, height: int, width: int) -> None:
        """``POST /containers/{id}/resize``."""
        run_to_completion(self._calls.resize(container, height, width))

    def prune_containers(self, filters: FiltersArg = None) -> api.ContainerPruneResponse:
        """``POST /containers/prune``."""
        return run_to_completion(self._calls.prune_containers(filters))

    def logs(self, container: str, **options: Any) -> Iterator[tuple[api.StdStream, bytes]]:
        """``GET /containers/{id}/logs`` as ``(stream, bytes)`` frames (see :meth:`AsyncClient.logs`)."""
        return self._iterate(self._client.logs(container, **options))

    def attach(self, container: str, **options: Any) -> SyncHijackedConnection:
        """``POST /containers/{id}/attach``: the raw connection."""
        return self._hijacked(self._portal.call(lambda: self._client.attach(container, **options)))

    def exec_create(self, container: str, config: api.ExecConfig) -> str:
        """``POST /containers/{id}/exec``; the exec ID."""
        return run_to_completion(self._calls.exec_create(container, config))

    def exec_start_detached(self, exec_id: str) -> None:
        """``POST /exec/{id}/start`` detached."""
        run_to_completion(self._calls.exec_start_detached(exec_id))

    def exec_start(self, exec_id: str, *, tty: bool = False) -> SyncHijackedConnection:
        """``POST /exec/{id}/start`` attached."""
        return self._hijacked(self._portal.call(lambda: self._client.exec_start(exec_id, tty=tty)))

    def exec_inspect(self, exec_id: str) -> api.ExecInspect:
        """``GET /exec/{id}/json``."""
        return run_to_completion(self._calls.exec_inspect(exec_id))

    def exec_resize(self, exec_id: str, height: int, width: int) -> None:
        """``POST /exec/{id}/resize``."""
        run_to_completion(self._calls.exec_resize(exec_id, height, width))

    def exec_run(
        self,
        container: str,
        cmd: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        user: str = "",
        workdir: str = "",
    ) -> tuple[int, bytes, bytes]:
        """Run a command in the container to its end: (exit code, stdout, stderr)."""
        return self._portal.call(lambda: self._client.exec_run(container, cmd, env=env, user=user, workdir=workdir))

    def load_image(self, archive: bytes, *, quiet: bool = True) -> list[api.JSONMessage]:
        """``POST /images/load``."""
        return self._portal.call(lambda: self._client.load_image(archive, quiet=quiet))

    def images(self, *, all: bool = False, filters: FiltersArg = None) -> list[api.ImageSummary]:  # noqa: A002
        """``GET /images/json``."""
        return run_to_completion(self._calls.images(all=all, filters=filters))

    def inspect_image(self, name: str) -> api.ImageInspect:
        """``GET /images/{name}/json``."""
        return run_to_completion(self._calls.inspect_image(name))


class BlockingCalls(ContainerMethods):
    """:class:`ContainerMethods` whose requests are blocking calls: its coroutines never suspend."""

    def __init__(self, client: BlockingClient) -> None:
        self._blocking = client

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: Query | None = None,
        body: object = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[RawResponse, bytes]:
        """The blocking client's :meth:`~pymoby.client.BlockingClient.request`."""
        return self._blocking.request(method, path, query=query, body=body, headers=headers)

    async def request_json(self, method: str, path: str, type: type[T], **kwargs: Any) -> T:  # noqa: A002
        """The blocking client's :meth:`~pymoby.client.BlockingClient.request_json`."""
        return self._blocking.request_json(method, path, type, **kwargs)
