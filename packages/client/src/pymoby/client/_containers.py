"""The container, exec and first image methods of :class:`AsyncClient`."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast

from pymoby import api

if TYPE_CHECKING:
    from ._client import FiltersArg, Query
    from ._hosts import RawResponse
    from ._transport import HijackedConnection

__all__ = ["ContainerMethods"]

T = TypeVar("T")
#: The answer of ``/changes``: Docker sends ``null`` when nothing changed.
_CHANGES: Any = list[api.FilesystemChange] | None


def _filters(filters: FiltersArg) -> str | None:
    if not filters:
        return None
    if not isinstance(filters, api.Filters):
        filters = api.Filters(filters)
    return filters.to_query()


class ContainerMethods:
    """``/containers``, ``/exec`` and ``/images/{load,json}`` calls (mixed into :class:`AsyncClient`)."""

    if TYPE_CHECKING:  # provided by AsyncClient

        async def request(
            self,
            method: str,
            path: str,
            *,
            query: Query | None = None,
            body: object = None,
            headers: Mapping[str, str] | None = None,
        ) -> tuple[RawResponse, bytes]: ...

        async def request_json(self, method: str, path: str, type: type[T], **kwargs: Any) -> T: ...  # noqa: A002

        def stream(
            self, method: str, path: str, *, query: Query | None = None, body: object = None
        ) -> AsyncGenerator[bytes, None]: ...

        def stream_json(
            self,
            method: str,
            path: str,
            type: type[T],  # noqa: A002
            *,
            query: Query | None = None,
            body: object = None,
        ) -> AsyncIterator[T]: ...

        async def hijack(
            self, method: str, path: str, *, query: Query | None = None, body: object = None
        ) -> HijackedConnection: ...

    # -- containers ----------------------------------------------------------------------
    async def containers(
        self,
        *,
        all: bool = False,  # noqa: A002 - the query parameter's name
        limit: int = 0,
        size: bool = False,
        filters: FiltersArg = None,
    ) -> list[api.ContainerSummary]:
        """``GET /containers/json``."""
        query: Query = {"all": all, "size": size, "limit": limit or None, "filters": _filters(filters)}
        return await self.request_json("GET", "/containers/json", list[api.ContainerSummary], query=query)

    async def create_container(
        self, config: api.ContainerCreateRequest, *, name: str = "", platform: str = ""
    ) -> api.ContainerCreateResponse:
        """``POST /containers/create`` (``Conflict`` for a taken name, ``NotFound`` for an unknown image)."""
        query: Query = {"name": name or None, "platform": platform or None}
        return await self.request_json(
            "POST", "/containers/create", api.ContainerCreateResponse, query=query, body=config
        )

    async def inspect_container(self, container: str, *, size: bool = False) -> api.ContainerInspect:
        """``GET /containers/{id}/json``."""
        return await self.request_json(
            "GET", f"/containers/{container}/json", api.ContainerInspect, query={"size": size or None}
        )

    async def start(self, container: str) -> None:
        """``POST /containers/{id}/start`` (a container already running is not an error here)."""
        await self.request("POST", f"/containers/{container}/start")

    async def stop(self, container: str, *, timeout: int | None = None, signal: str = "") -> None:  # noqa: ASYNC109 - the stop grace period, not an I/O bound
        """``POST /containers/{id}/stop``: the stop signal, then SIGKILL after ``timeout`` seconds."""
        await self.request("POST", f"/containers/{container}/stop", query={"t": timeout, "signal": signal or None})

    async def restart(self, container: str, *, timeout: int | None = None, signal: str = "") -> None:  # noqa: ASYNC109 - the stop grace period, not an I/O bound
        """``POST /containers/{id}/restart``."""
        await self.request("POST", f"/containers/{container}/restart", query={"t": timeout, "signal": signal or None})

    async def kill(self, container: str, signal: str | int = "") -> None:
        """``POST /containers/{id}/kill`` (SIGKILL by default)."""
        await self.request("POST", f"/containers/{container}/kill", query={"signal": str(signal) if signal else None})

    async def pause(self, container: str) -> None:
        """``POST /containers/{id}/pause``."""
        await self.request("POST", f"/containers/{container}/pause")

    async def unpause(self, container: str) -> None:
        """``POST /containers/{id}/unpause``."""
        await self.request("POST", f"/containers/{container}/unpause")

    async def remove_container(self, container: str, *, force: bool = False, volumes: bool = False) -> None:
        """``DELETE /containers/{id}``."""
        await self.request("DELETE", f"/containers/{container}", query={"force": force, "v": volumes})

    async def rename(self, container: str, name: str) -> None:
        """``POST /containers/{id}/rename``."""
        await self.request("POST", f"/containers/{container}/rename", query={"name": name})

    async def update_container(self, container: str, update: api.ContainerUpdateRequest) -> api.ContainerUpdateResponse:
        """``POST /containers/{id}/update``: resources and the restart policy."""
        return await self.request_json(
            "POST", f"/containers/{container}/update", api.ContainerUpdateResponse, body=update
        )

    async def wait(self, container: str, condition: str = "not-running") -> api.ContainerWaitResponse:
        """``POST /containers/{id}/wait`` (``not-running``, ``next-exit`` or ``removed``); no time limit."""
        async for answer in self.stream_json(
            "POST", f"/containers/{container}/wait", api.ContainerWaitResponse, query={"condition": condition}
        ):
            return answer
        raise api.InvalidJSON("the daemon sent no wait result")

    async def top(self, container: str, ps_args: str = "") -> api.ContainerTopResponse:
        """``GET /containers/{id}/top``."""
        return await self.request_json(
            "GET", f"/containers/{container}/top", api.ContainerTopResponse, query={"ps_args": ps_args or None}
        )

    async def changes(self, container: str) -> list[api.FilesystemChange]:
        """``GET /containers/{id}/changes``."""
        _, content = await self.request("GET", f"/containers/{container}/changes")
        found = cast("list[api.FilesystemChange] | None", api.decode(content, _CHANGES))
        return found or []

    def export(self, container: str) -> AsyncIterator[bytes]:
        """``GET /containers/{id}/export``: the tar of its file system, in chunks."""
        return self.stream("GET", f"/containers/{container}/export")

    def stats(self, container: str, *, stream: bool = True, one_shot: bool = False) -> AsyncIterator[api.StatsResponse]:
        """``GET /containers/{id}/stats``: samples (one when not ``stream``)."""
        query: Query = {"stream": stream, "one-shot": one_shot or None}
        return self.stream_json("GET", f"/containers/{container}/stats", api.StatsResponse, query=query)

    async def resize(self, container: str, height: int, width: int) -> None:
        """``POST /containers/{id}/resize`` (containers with a TTY)."""
        await self.request("POST", f"/containers/{container}/resize", query={"h": height, "w": width})

    async def prune_containers(self, filters: FiltersArg = None) -> api.ContainerPruneResponse:
        """``POST /containers/prune``."""
        return await self.request_json(
            "POST", "/containers/prune", api.ContainerPruneResponse, query={"filters": _filters(filters)}
        )

    async def logs(
        self,
        container: str,
        *,
        stdout: bool = True,
        stderr: bool = True,
        follow: bool = False,
        timestamps: bool = False,
        tail: int | str = "all",
        since: str | int | float | None = None,
        until: str | int | float | None = None,
        tty: bool = False,
    ) -> AsyncIterator[tuple[api.StdStream, bytes]]:
        """``GET /containers/{id}/logs`` as ``(stream, bytes)`` frames (``tty``: the raw stream, all stdout)."""
        query: Query = {
            "stdout": stdout,
            "stderr": stderr,
            "follow": follow,
            "timestamps": timestamps,
            "tail": str(tail),
            "since": None if since is None else str(since),
            "until": None if until is None else str(until),
        }
        chunks = self.stream("GET", f"/containers/{container}/logs", query=query)
        if tty:
            async for chunk in chunks:
                yield api.StdStream.STDOUT, chunk
            return
        decoder = api.FrameDecoder()
        async for chunk in chunks:
            for frame in decoder.feed(chunk):
                yield frame

    async def attach(
        self,
        container: str,
        *,
        stdin: bool = False,
        stdout: bool = True,
        stderr: bool = True,
        logs: bool = False,
        stream: bool = True,
        detach_keys: str = "",
    ) -> HijackedConnection:
        """``POST /containers/{id}/attach``: the raw connection (frames without a TTY; see :func:`demux`)."""
        query: Query = {
            "stdin": stdin,
            "stdout": stdout,
            "stderr": stderr,
            "logs": logs,
            "stream": stream,
            "detachKeys": detach_keys or None,
        }
        return await self.hijack("POST", f"/containers/{container}/attach", query=query)

    # -- exec ------------------------------------------------------------------------------
    async def exec_create(self, container: str, config: api.ExecConfig) -> str:
        """``POST /containers/{id}/exec``; the exec ID."""
        created = await self.request_json("POST", f"/containers/{container}/exec", api.IdResponse, body=config)
        return str(created.id)

    async def exec_start_detached(self, exec_id: str) -> None:
        """``POST /exec/{id}/start`` with ``Detach``."""
        await self.request("POST", f"/exec/{exec_id}/start", body=api.ExecStartConfig(detach=True))

    async def exec_start(self, exec_id: str, *, tty: bool = False) -> HijackedConnection:
        """``POST /exec/{id}/start`` attached: the raw connection (frames without a TTY)."""
        return await self.hijack("POST", f"/exec/{exec_id}/start", body=api.ExecStartConfig(tty=tty))

    async def exec_inspect(self, exec_id: str) -> api.ExecInspect:
        """``GET /exec/{id}/json``."""
        return await self.request_json("GET", f"/exec/{exec_id}/json", api.ExecInspect)

    async def exec_resize(self, exec_id: str, height: int, width: int) -> None:
        """``POST /exec/{id}/resize``."""
        await self.request("POST", f"/exec/{exec_id}/resize", query={"h": height, "w": width})

    async def exec_run(
        self,
        container: str,
        cmd: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        user: str = "",
        workdir: str = "",
    ) -> tuple[int, bytes, bytes]:
        """Run a command in a running container to its end: (exit code, stdout, stderr)."""
        config = api.ExecConfig(
            cmd=list(cmd),
            attach_stdout=True,
            attach_stderr=True,
            env=[f"{k}={v}" for k, v in (env or {}).items()] or None,
            user=user,
            working_dir=workdir,
        )
        import anyio  # streams run on an event loop; the blocking calls do not load it

        from ._frames import demux

        exec_id = await self.exec_create(container, config)
        connection = await self.exec_start(exec_id)
        out, err = bytearray(), bytearray()
        try:
            async for kind, data in demux(connection):
                (out if kind == api.StdStream.STDOUT else err).extend(data)
        finally:
            await connection.aclose()
        inspect = await self.exec_inspect(exec_id)
        while inspect.running:
            await anyio.sleep(0.01)
            inspect = await self.exec_inspect(exec_id)
        return (inspect.exit_code if inspect.exit_code is not None else -1), bytes(out), bytes(err)

    # -- images (the first ones) -------------------------------------------------------------
    async def load_image(self, archive: bytes, *, quiet: bool = True) -> list[api.JSONMessage]:
        """``POST /images/load`` of a ``docker save`` archive; the progress messages."""
        messages = []
        async for message in self.stream_json(
            "POST", "/images/load", api.JSONMessage, query={"quiet": quiet}, body=archive
        ):
            messages.append(message)
        return messages

    async def images(self, *, all: bool = False, filters: FiltersArg = None) -> list[api.ImageSummary]:  # noqa: A002
        """``GET /images/json``."""
        return await self.request_json(
            "GET", "/images/json", list[api.ImageSummary], query={"all": all, "filters": _filters(filters)}
        )

    async def inspect_image(self, name: str) -> api.ImageInspect:
        """``GET /images/{name}/json``."""
        return await self.request_json("GET", f"/images/{name}/json", api.ImageInspect)
