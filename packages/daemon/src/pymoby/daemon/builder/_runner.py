"""Running a RUN step's container, as dockerd's ``containerManager``: attach, start, copy its output, wait.

The output is attached before the start, so nothing the command writes is
lost; it goes to the build's stream as it comes (standard error in red).
The exit code comes from the container's wait. The builder keeps the IDs
of the containers it made and removes them after each step (``rm``), or
also after a failed one (``forcerm``); on cancellation they are removed
whatever was asked, as dockerd does.
"""

from __future__ import annotations

import logging
from typing import Any

import anyio
import anyio.abc

from pymoby import api, errdefs

from ..container import WaitCondition
from ..lifecycle import AttachOptions
from ._backend import BuildContainers
from ._output import BuildOutput

__all__ = ["ContainerManager"]

log = logging.getLogger("pymoby.daemon.builder")


class _OutputSink(anyio.abc.ByteStream):
    """The attach's "connection": stdcopy frames in, build output messages out."""

    def __init__(self, output: BuildOutput) -> None:
        self._output = output
        self._decoder = api.FrameDecoder()

    async def send(self, item: bytes) -> None:
        for stream, payload in self._decoder.feed(item):
            if stream == api.StdStream.STDERR:
                await self._output.stderr(payload)
            else:
                await self._output.stdout(payload)

    async def receive(self, max_bytes: int = 65536) -> bytes:
        raise anyio.EndOfStream  # nothing is sent to a RUN's standard input

    async def send_eof(self) -> None:
        await self._output.stdout(b"", final=True)
        await self._output.stderr(b"", final=True)

    async def aclose(self) -> None:
        return None

    @property
    def extra_attributes(self) -> Any:
        return {}


class ContainerManager:
    """The containers one build made."""

    def __init__(self, containers: BuildContainers | None) -> None:
        self._containers = containers
        self.made: list[str] = []

    @property
    def backend(self) -> BuildContainers:
        """The container service; ``NotImplemented`` when the daemon has none."""
        if self._containers is None:
            raise errdefs.NotImplemented("RUN is not available: this daemon has no container service")
        return self._containers

    async def create(self, request: api.ContainerCreateRequest) -> api.ContainerCreateResponse:
        """Create a step's container and remember it."""
        created = await self.backend.create("", request)
        self.made.append(created.id)
        return created

    async def run(self, container_id: str, output: BuildOutput) -> tuple[int, str]:
        """Start the container, copy its output until it ends; its ``(exit code, error)``."""
        backend = self.backend
        prepared = backend.prepare_attach(container_id, AttachOptions(stdout=True, stderr=True, stream=True))
        sink = _OutputSink(output)
        start_error: Exception | None = None
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(backend.run_attach, prepared, sink)
                try:
                    await backend.start(container_id)
                except Exception as exc:  # raised below, not wrapped in the task group's ExceptionGroup
                    start_error = exc
                    tg.cancel_scope.cancel()
        except ExceptionGroup as group:
            raise group.exceptions[0] if len(group.exceptions) == 1 else group from None
        if start_error is not None:
            raise start_error
        result = await backend.wait(container_id, WaitCondition.NOT_RUNNING)()
        return result.exit_code, result.error

    async def remove_all(self, output: BuildOutput | None) -> None:
        """Remove the containers made so far, saying so in ``output``."""
        for container_id in list(self.made):
            try:
                await self.backend.remove(container_id, force=True, volumes=True)
            except errdefs.NotFound:
                pass
            except errdefs.PymobyError as exc:
                log.warning("could not remove intermediate container %s: %s", container_id, exc)
                if output is not None:
                    await output.stream(f"Error removing intermediate container {container_id[:12]}: {exc}\n")
                continue
            self.made.remove(container_id)
            if output is not None:
                await output.stream(f"Removing intermediate container {container_id[:12]}\n")
