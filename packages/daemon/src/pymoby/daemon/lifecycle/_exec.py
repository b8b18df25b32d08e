"""``docker exec``: create, start (attached or detached), inspect, resize (moby ``daemon/exec.go``).

An exec instance lives in the daemon's store until its container stops or
goes; its process is the container's task spec's process with the exec's
arguments, environment, working dir, user (resolved through the image's
passwd and group files), terminal and, when privileged, every capability.
Its output goes only to attached clients (no log driver), through the same
broadcaster and attach plumbing as a container's.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.abc

from pymoby import api, errdefs
from pymoby.libcontainerd import FifoSet, TaskExit

from ..container import Container
from ..logger import Copier
from ..oci import DEFAULT_PATH_ENV, KNOWN_CAPABILITIES, merge_env, resolve_user
from ..stream import AttachConfig, AttachEnd, StreamConfig, client_writers, parse_detach_keys
from ._attach import AttachMixin
from ._base import TaskStdin
from ._start import exit_code_for

__all__ = ["ExecMixin", "ExecProcess", "NoSuchExec"]

log = logging.getLogger("pymoby.daemon")

_DRAIN = 2.0


class NoSuchExec(errdefs.NotFound):
    """No exec instance with that ID."""


@dataclass(slots=True)
class ExecProcess:
    """One exec instance (Docker's ``ExecConfig``)."""

    id: str
    container: Container
    entrypoint: str
    args: list[str]
    env: list[str]
    user: str
    working_dir: str
    privileged: bool
    tty: bool
    open_stdin: bool
    open_stdout: bool
    open_stderr: bool
    detach_keys: bytes
    console_size: list[int] | None = None
    running: bool = False
    exit_code: int | None = None
    pid: int = 0
    can_remove: bool = False
    streams: StreamConfig = field(default_factory=StreamConfig)
    fifos: FifoSet | None = None
    copier: Copier | None = None
    started: anyio.Event = field(default_factory=anyio.Event)
    exited: anyio.Event = field(default_factory=anyio.Event)


class ExecMixin(AttachMixin):
    """Exec instances."""

    def _execs(self) -> dict[str, ExecProcess]:
        return self.exec_store

    def get_exec(self, exec_id: str) -> ExecProcess:
        """The exec instance; ``No such exec instance`` (404) otherwise."""
        found = self._execs().get(exec_id)
        if found is None:
            raise NoSuchExec(f"No such exec instance: {exec_id}")
        return found

    def exec_ids_of(self, container: Container) -> list[str]:
        """``ExecIDs`` of inspect."""
        return [e.id for e in self._execs().values() if e.container is container]

    async def forget_execs(self, container: Container) -> None:
        """The container's task ended: its exec instances go."""
        for exec_id in self.exec_ids_of(container):
            process = self._execs().pop(exec_id, None)
            if process is not None and process.running:
                await self._finish_exec(process, None)

    # -- create ----------------------------------------------------------------------------
    def create_exec(self, name: str, config: api.ExecConfig) -> api.IdResponse:
        """``POST /containers/{id}/exec``: ``Conflict`` when the container is not running, paused or restarting."""
        container = self.get(name)
        state = container.state
        if not state.running:
            raise errdefs.Conflict(f"container {container.id} is not running")
        if state.paused:
            raise errdefs.Conflict(f"Container {name} is paused, unpause the container before exec")
        if state.restarting:
            raise errdefs.Conflict(f"Container {name} is restarting, wait until the container is running")
        cmd = [config.cmd] if isinstance(config.cmd, str) else list(config.cmd or [])
        if not cmd:
            raise errdefs.InvalidParameter("No exec command specified")
        keys = parse_detach_keys(config.detach_keys) if config.detach_keys else b""
        base = [DEFAULT_PATH_ENV, f"HOSTNAME={container.config.hostname}"]
        if config.tty:
            base.append("TERM=xterm")
        env = merge_env(merge_env(base, container.config.env or ()), config.env or ())
        exec_id = secrets.token_hex(32)
        process = ExecProcess(
            id=exec_id,
            container=container,
            entrypoint=cmd[0],
            args=cmd[1:],
            env=env,
            user=config.user,
            working_dir=config.working_dir or container.config.working_dir,
            privileged=config.privileged,
            tty=config.tty,
            open_stdin=config.attach_stdin,
            open_stdout=config.attach_stdout,
            open_stderr=config.attach_stderr,
            detach_keys=keys,
            console_size=config.console_size,
        )
        self._execs()[exec_id] = process
        self.log_event(
            container,
            f"exec_create: {process.entrypoint} {' '.join(process.args)}",
            {"execID": exec_id},
        )
        return api.IdResponse(id=exec_id)

    # -- start -----------------------------------------------------------------------------
    def check_exec_start(self, exec_id: str) -> ExecProcess:
        """The exec to start; ``Conflict`` when it runs or ran already."""
        process = self.get_exec(exec_id)
        if process.exit_code is not None:
            raise errdefs.Conflict(f"Error: Exec command {exec_id} has already run")
        if process.running:
            raise errdefs.Conflict(f"Error: Exec command {exec_id} is already running")
        return process

    async def start_exec(self, process: ExecProcess, console_size: list[int] | None = None) -> None:
        """Start the exec's process (its output goes to whoever attached to ``process.streams``)."""
        if process.running or process.exit_code is not None:
            raise errdefs.Conflict(f"Error: Exec command {process.id} is already running")
        process.running = True
        container = process.container
        self.log_event(
            container,
            f"exec_start: {process.entrypoint} {' '.join(process.args)}",
            {"execID": process.id},
        )
        ok = False
        try:
            if not container.state.running or container.runtime is None:
                raise errdefs.Conflict(f"container {container.id} is not running")
            spec = await self._exec_process_spec(process, console_size)
            fifos = await anyio.to_thread.run_sync(
                lambda: FifoSet.create(
                    self.fifo_dir(container.id), process.id, stdin=process.open_stdin, terminal=process.tty
                )
            )
            process.fifos = fifos
            sources = {"stdout": fifos.stdout}
            if fifos.stderr is not None:
                sources["stderr"] = fifos.stderr
            process.copier = Copier(sources, None, tees=process.streams.tees())  # type: ignore[arg-type]
            if fifos.stdin is not None:
                process.streams.set_stdin(TaskStdin(fifos.stdin, self.containerd, container.id, process.id))
            try:
                await self.containerd.exec(container.id, process.id, spec, stdio=fifos.paths)
                self.spawn(process.copier.run, name=f"exec copier {process.id[:12]}")
                process.pid = await self.containerd.start_task(container.id, process.id)
            except errdefs.PymobyError as exc:
                message = getattr(exc, "details", "") or str(exc)
                _, user_error = exit_code_for(message)
                process.exit_code = 126  # Docker records 126 for any exec that failed to start
                raise (errdefs.InvalidParameter(message) if user_error else errdefs.System(message)) from exc
            ok = True
        finally:
            process.started.set()
            if not ok:
                process.running = False
                if process.exit_code is None:
                    process.exit_code = 126
                with anyio.CancelScope(shield=True):
                    await self._close_exec_io(process)

    async def _exec_process_spec(self, process: ExecProcess, console_size: list[int] | None) -> dict[str, Any]:
        container = process.container
        info = await self.containerd.get_container(container.id)
        spec: dict[str, Any] = dict(info.spec.get("process") or {})
        spec["args"] = [process.entrypoint, *process.args]
        spec["env"] = list(process.env)
        spec["cwd"] = process.working_dir or "/"
        spec["terminal"] = process.tty
        size = console_size or process.console_size
        spec.pop("consoleSize", None)
        if process.tty and size and len(size) == 2 and all(size):
            spec["consoleSize"] = {"height": size[0], "width": size[1]}
        if process.user:
            root = info.spec.get("root", {}).get("path", "")
            user = await anyio.to_thread.run_sync(
                resolve_user, _path(root), process.user, container.host_config.group_add
            )
            spec["user"] = user.to_spec()
        if process.privileged:
            _, settings = await self.host_facts()
            available = settings.available_capabilities
            caps = [c for c in KNOWN_CAPABILITIES if available is None or c in available]
            spec["capabilities"] = {"bounding": caps, "effective": caps, "permitted": caps}
        return spec

    async def run_exec_attached(
        self, process: ExecProcess, connection: anyio.abc.ByteStream, console_size: list[int] | None
    ) -> None:
        """Start the exec on a hijacked connection and copy until its output ends."""
        attachment = process.streams.attach(
            AttachConfig(
                use_stdin=process.open_stdin,
                use_stdout=process.open_stdout,
                use_stderr=process.open_stderr,
                tty=process.tty,
                detach_keys=process.detach_keys,
                close_stdin=True,
            )
        )
        out, err = client_writers(connection, multiplexed=not process.tty)
        try:
            try:
                await self.start_exec(process, console_size)
            except errdefs.PymobyError as exc:
                # As Docker: the error goes to the client's stdout (framed when there is no TTY).
                with contextlib.suppress(OSError, anyio.BrokenResourceError, anyio.ClosedResourceError):
                    await out.send(f"{exc}\r\n".encode())
                return
            end = await attachment.run(connection if process.open_stdin else None, out, err)
            if end is AttachEnd.DETACHED:
                self.log_event(process.container, "detach")
        finally:
            with anyio.CancelScope(shield=True):
                await attachment.aclose()
                with contextlib.suppress(OSError, anyio.BrokenResourceError, anyio.ClosedResourceError):
                    await connection.send_eof()

    # -- exit ------------------------------------------------------------------------------
    async def handle_exec_exit(self, container: Container, event: TaskExit) -> None:
        """An exec process ended: record its exit code, drain its output, ``exec_die``."""
        process = self._execs().get(event.process_id)
        if process is None:
            return
        await process.started.wait()
        await self._finish_exec(process, event.exit_status)
        with contextlib.suppress(errdefs.PymobyError):
            await self.containerd.delete_process(container.id, process.id)

    async def _finish_exec(self, process: ExecProcess, exit_code: int | None) -> None:
        if not process.running:
            return
        process.running = False
        process.exit_code = exit_code if exit_code is not None else 137
        if process.copier is not None:
            with anyio.move_on_after(_DRAIN):
                await process.copier.wait()
        await self._close_exec_io(process)
        process.exited.set()
        self.log_event(process.container, "exec_die", {"execID": process.id, "exitCode": str(process.exit_code)})

    async def _close_exec_io(self, process: ExecProcess) -> None:
        if process.copier is not None:
            process.copier.stop()
        await process.streams.close()
        if process.fifos is not None:
            await process.fifos.aclose()
            process.fifos = None

    # -- inspect, resize -------------------------------------------------------------------
    def inspect_exec(self, exec_id: str) -> api.ExecInspect:
        """``GET /exec/{id}/json``."""
        process = self.get_exec(exec_id)
        config = api.ExecProcessConfig(tty=process.tty, entrypoint=process.entrypoint, arguments=list(process.args))
        config.privileged = process.privileged
        if process.user:
            config.user = process.user
        return api.ExecInspect(
            id=process.id,
            running=process.running,
            exit_code=process.exit_code,
            process_config=config,
            open_stdin=process.open_stdin,
            open_stderr=process.open_stderr,
            open_stdout=process.open_stdout,
            can_remove=process.can_remove,
            container_id=process.container.id,
            detach_keys=_base64(process.detach_keys),
            pid=process.pid,
        )

    async def resize_exec(self, exec_id: str, height: int, width: int) -> None:
        """``POST /exec/{id}/resize``: waits (10 s at most) for the process to start."""
        process = self.get_exec(exec_id)
        with anyio.move_on_after(10):
            await process.started.wait()
        if not process.running:
            raise errdefs.Conflict(f"Exec {exec_id} is not running, so it can not be resized.")
        await self.containerd.resize_pty(process.container.id, width, height, exec_id=exec_id)


def _path(root: str) -> Any:
    from pathlib import Path

    return Path(root)


def _base64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode() if data else ""
