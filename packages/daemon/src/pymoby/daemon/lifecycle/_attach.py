"""Streams of a container: attach, logs, wait, resize (moby ``attach.go``, ``logs.go``, ``wait.go``, ``resize.go``).

Attach is two steps so that errors can still be HTTP answers:
:meth:`prepare_attach` checks the container and subscribes to its output
(nothing written from then on is missed); :meth:`run_attach` then runs on
the hijacked connection: the logs first when asked, then the live copy,
until the output ends, the client leaves or types the detach keys.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import anyio
import anyio.abc

from pymoby import api, errdefs

from ..container import Container, WaitCondition, WaitResult
from ..logger import (
    Logger,
    LogInfo,
    LogsOptions,
    Message,
    ReadLogsNotSupported,
    default_log_path,
    encode_logs,
    new_logger,
    open_log_reader,
)
from ..stream import AttachConfig, AttachEnd, Attachment, client_writers, parse_detach_keys
from ._inspect import InspectMixin

__all__ = ["AttachMixin", "AttachOptions", "PreparedAttach"]

log = logging.getLogger("pymoby.daemon")


@dataclass(frozen=True, slots=True)
class AttachOptions:
    """The query of ``POST /containers/{id}/attach``."""

    stdin: bool = False
    stdout: bool = False
    stderr: bool = False
    logs: bool = False
    stream: bool = False
    detach_keys: str = ""


@dataclass(slots=True)
class PreparedAttach:
    """A checked, subscribed attach waiting for its connection."""

    container: Container
    attachment: Attachment
    options: AttachOptions
    multiplexed: bool


class AttachMixin(InspectMixin):
    """attach, logs, wait, resize."""

    # -- attach ----------------------------------------------------------------------------
    def prepare_attach(self, name: str, options: AttachOptions) -> PreparedAttach:
        """Check the container and subscribe to its output; ``Conflict`` when paused or restarting."""
        keys = parse_detach_keys(options.detach_keys or self.config_detach_keys())
        container = self.get(name)
        if container.state.paused:
            raise errdefs.Conflict(f"container {name} is paused, unpause the container before attach")
        if container.state.restarting:
            raise errdefs.Conflict(f"container {name} is restarting, wait until the container is running")
        config = container.config
        use_stdin = options.stdin and config.open_stdin
        attach_config = AttachConfig(
            use_stdin=use_stdin,
            use_stdout=options.stdout and options.stream,
            use_stderr=options.stderr and options.stream,
            tty=config.tty,
            detach_keys=keys,
            close_stdin=config.stdin_once,
        )
        attachment = container.streams.attach(attach_config)
        return PreparedAttach(container, attachment, options, multiplexed=not config.tty)

    def config_detach_keys(self) -> str:
        """The daemon's default detach keys (Docker's CLI sends its own)."""
        return ""

    async def run_attach(self, prepared: PreparedAttach, connection: anyio.abc.ByteStream) -> None:
        """Copy between the hijacked connection and the container until the attach ends."""
        container, options = prepared.container, prepared.options
        out, err = client_writers(connection, multiplexed=prepared.multiplexed)
        try:
            if options.logs:
                try:
                    await self._replay_logs(container, options, out, err)
                except errdefs.PymobyError as exc:
                    await out.send(f"Error attaching: {exc}\n".encode())
                    return
            self.log_event(container, "attach")
            if not options.stream:
                return
            stdin = connection if prepared.attachment.config.use_stdin else None
            if stdin is not None and not container.streams.has_stdin and not container.state.running:
                await container.start_attempted.wait()  # docker run / start -ai attach before the start
            wait_stop = None
            if container.config.stdin_once and not container.config.tty:
                wait_stop, _ = container.state.waiter(WaitCondition.NOT_RUNNING)
            end = await prepared.attachment.run(stdin, out, err)
            if end is AttachEnd.DETACHED:
                self.log_event(container, "detach")
            elif wait_stop is not None and end is not AttachEnd.CLIENT_GONE:
                await wait_stop.wait()
            if wait_stop is not None:
                container.state.forget_waiter(wait_stop)
        finally:
            with anyio.CancelScope(shield=True):
                await prepared.attachment.aclose()
                with contextlib.suppress(OSError, anyio.BrokenResourceError, anyio.ClosedResourceError):
                    await connection.send_eof()

    async def _replay_logs(
        self,
        container: Container,
        options: AttachOptions,
        out: anyio.abc.ByteSendStream,
        err: anyio.abc.ByteSendStream,
    ) -> None:
        logs = LogsOptions(stdout=options.stdout, stderr=options.stderr)
        async with self._log_batches(container, logs, follow=False) as batches:
            async for batch in batches:
                for message in batch:
                    target = out if message.source == "stdout" else err
                    if (message.source == "stdout" and options.stdout) or (
                        message.source == "stderr" and options.stderr
                    ):
                        await target.send(message.line)

    # -- logs ------------------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def _log_batches(
        self, container: Container, options: LogsOptions, *, follow: bool
    ) -> AsyncIterator[AsyncIterator[list[Message]]]:
        """Messages of the container's log driver: the live one, or a reader opened for a stopped container."""
        runtime = container.runtime
        driver: Logger | None = runtime.logger if runtime is not None else None
        opened: Logger | None = None
        if driver is None:
            log_config = container.host_config.log_config
            kind = log_config.type or self.config.log_driver
            info = LogInfo(
                config=dict(log_config.config or {}),
                container_id=container.id,
                container_name=container.name,
                log_path=container.log_path or default_log_path(kind, container.root, container.id),
            )
            opened = driver = await anyio.to_thread.run_sync(new_logger, kind, info)
        try:
            reader = open_log_reader(driver)
            config = options.read_config(running=follow and opened is None)
            async with reader.read_logs(config) as batches:
                yield batches
        finally:
            if opened is not None:
                with anyio.CancelScope(shield=True), contextlib.suppress(OSError, errdefs.PymobyError):
                    await opened.close()

    def logs(self, name: str, options: LogsOptions) -> tuple[AsyncIterator[bytes], bool]:
        """``GET /containers/{id}/logs``: the answer's chunks, and whether the container has a TTY."""
        container = self.get(name)
        if container.state.removal_in_progress or container.state.dead:
            raise errdefs.Conflict("can not get logs from container which is dead or marked for removal")
        if (container.host_config.log_config.type or self.config.log_driver) == "none":
            raise ReadLogsNotSupported
        tty = container.config.tty

        async def chunks() -> AsyncIterator[bytes]:
            async with self._log_batches(container, options, follow=options.follow) as batches:
                async for chunk in encode_logs(batches, options, multiplexed=not tty):
                    yield chunk

        return chunks(), tty

    # -- wait ------------------------------------------------------------------------------
    def wait(self, name: str, condition: WaitCondition) -> Callable[[], Awaitable[WaitResult]]:
        """``POST /containers/{id}/wait``: registered now; the returned function waits for the condition."""
        container = self.get(name)
        event, box = container.state.waiter(condition)

        async def result() -> WaitResult:
            try:
                await event.wait()
            finally:
                container.state.forget_waiter(event)
            return box[0]

        return result

    # -- resize ----------------------------------------------------------------------------
    async def resize(self, name: str, height: int, width: int) -> None:
        """``POST /containers/{id}/resize``: the TTY's size (``Conflict`` when not running)."""
        container = self.get(name)
        if not container.state.running or container.runtime is None:
            raise errdefs.Conflict(f"container {container.id} is not running")
        await self.containerd.resize_pty(container.id, width, height)
        self.log_event(container, "resize", {"height": str(height), "width": str(width)})


def wait_response(result: WaitResult) -> api.ContainerWaitResponse:
    """The JSON answer of a wait."""
    response = api.ContainerWaitResponse(status_code=result.exit_code)
    if result.error:
        response.error = api.WaitExitError(message=result.error)
    return response
