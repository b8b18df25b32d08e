"""The containerd supervisor: start (or reuse) containerd, watch it, restart it.

As dockerd does when it is given no ``--containerd`` address: containerd runs
from a generated configuration (root under the data root, state and socket
under the exec root), in its own session so that it can outlive the daemon
(live-restore). Its pid is recorded; a later supervisor on the same state
reuses a healthy containerd that is still running. A watcher task notices
when containerd exits or stops answering and restarts it with back-off.

The process is spawned with ``posix_spawn`` and watched through a pidfd, not
through asyncio's subprocess transport, which would kill it on close.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import shutil
import signal
from pathlib import Path
from types import TracebackType
from typing import Any

import anyio
import anyio.abc

from ._config import SupervisorConfig, render_containerd_toml
from ._errors import ContainerdStartError, DeadlineError, UnavailableError
from ._proto import version_pb2
from ._rpc import Unary, open_channel
from ._types import Version
from ._wire import empty

__all__ = ["Supervisor"]

log = logging.getLogger("pymoby.libcontainerd")

VERSION_METHOD = "/containerd.services.version.v1.Version/Version"
#: A containerd that ran this long is healthy: the next restart starts the back-off anew.
_HEALTHY_RUN = 10.0
_STOP_TIMEOUT = 10.0


def _atomic_write(path: Path, data: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)
    fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _log_tail(path: Path, size: int = 2000) -> str:
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - size))
            return f.read().decode(errors="replace").strip()
    except OSError:
        return ""


class Supervisor:
    """Runs containerd for the daemon. Use as ``async with Supervisor(config) as s``.

    Entering starts containerd (or reuses a healthy one left running by an
    earlier supervisor on the same state directory) and waits until it
    answers, raising :class:`ContainerdStartError` (an ``Unavailable``) if it
    does not within ``config.start_timeout``. While inside, containerd is
    watched and restarted with back-off when it dies or stops answering.
    Leaving stops it (SIGTERM, then SIGKILL) unless ``config.keep_running``.
    """

    def __init__(self, config: SupervisorConfig) -> None:
        self.config = config
        self._pid: int | None = None
        self._pidfd: int | None = None
        self._exit_code: int | None = None
        self._channel: Any = None
        self._version: Unary[Any, Any] | None = None
        self._task_group: anyio.abc.TaskGroup | None = None
        self._restarts = 0

    @property
    def address(self) -> str:
        """The path of containerd's gRPC socket."""
        return str(self.config.address)

    @property
    def pid(self) -> int | None:
        """The pid of the containerd being supervised, if it is running."""
        return self._pid

    @property
    def restarts(self) -> int:
        """How many times containerd was restarted after dying or hanging."""
        return self._restarts

    async def __aenter__(self) -> Supervisor:
        config = self.config
        config.root.mkdir(parents=True, exist_ok=True, mode=0o711)
        config.state.mkdir(parents=True, exist_ok=True, mode=0o711)
        self._channel = open_channel(self.address, max_reconnect_backoff=0.5)
        self._version = Unary(self._channel, VERSION_METHOD, version_pb2.VersionResponse.FromString)
        started = False
        try:
            if not await self._adopt():
                await self._start()
            started = True
        finally:
            if not started:
                with anyio.CancelScope(shield=True):
                    await self._shutdown(stop=True)
        self._task_group = anyio.create_task_group()
        await self._task_group.__aenter__()
        self._task_group.start_soon(self._watch)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        try:
            if self._task_group is not None:
                self._task_group.cancel_scope.cancel()
                await self._task_group.__aexit__(None, None, None)
        finally:
            self._task_group = None
            with anyio.CancelScope(shield=True):
                await self._shutdown(stop=not self.config.keep_running)
        return None

    async def version(self, deadline: float = 5.0) -> Version:
        """Ask containerd for its version (also a health check).

        Raises :class:`UnavailableError` when containerd does not answer.
        """
        assert self._version is not None, "the supervisor is not running"
        response = await self._version(empty(), deadline=deadline, wait_for_ready=True, action="containerd version")
        return Version(version=response.version, revision=response.revision)

    # -- process management -------------------------------------------------

    def _cmdline(self, pid: int) -> list[str]:
        try:
            raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return []
        return raw.decode(errors="replace").split("\0")

    async def _adopt(self) -> bool:
        """Reuse the containerd recorded in the pid file if it is ours and healthy."""
        try:
            pid = int(self.config.pid_file.read_text().strip())
        except (OSError, ValueError):
            return False
        if str(self.config.config_file) not in self._cmdline(pid):
            return False
        try:
            self._pidfd = os.pidfd_open(pid)
        except ProcessLookupError:
            return False
        self._pid, self._exit_code = pid, None
        try:
            await self.version(deadline=5.0)
        except (UnavailableError, DeadlineError):
            log.warning("containerd (pid %d) left running does not answer: killing it", pid)
            await self._kill_and_reap(signal.SIGKILL, _STOP_TIMEOUT)
            return False
        log.info("reusing containerd (pid %d) at %s", pid, self.address)
        return True

    def _spawn(self) -> None:
        config = self.config
        binary = shutil.which(config.binary)
        if binary is None:
            raise ContainerdStartError(f"containerd binary {config.binary!r} not found in PATH")
        _atomic_write(config.config_file, render_containerd_toml(config))
        actions = [
            (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, str(config.log_file), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600),
            (os.POSIX_SPAWN_DUP2, 1, 2),
        ]
        argv = [binary, "--config", str(config.config_file)]
        pid = os.posix_spawn(binary, argv, os.environ, file_actions=actions, setsid=True)
        self._pid, self._exit_code = pid, None
        self._pidfd = os.pidfd_open(pid)
        _atomic_write(config.pid_file, f"{pid}\n")

    def _reap(self) -> bool:
        """Whether the process has exited (reaping it when it is our child)."""
        if self._pidfd is None or self._exit_code is not None:
            return True
        try:
            pid, status = os.waitpid(self._pid or -1, os.WNOHANG)
        except ChildProcessError:
            # Not our child (left by an earlier daemon): its pidfd turns readable when it exits.
            return bool(select.select([self._pidfd], [], [], 0)[0])
        if pid == 0:
            return False
        self._exit_code = os.waitstatus_to_exitcode(status)
        return True

    async def _wait_exit(self) -> None:
        while not self._reap():
            assert self._pidfd is not None
            await anyio.wait_readable(self._pidfd)

    def _forget_process(self) -> None:
        if self._pidfd is not None:
            os.close(self._pidfd)
        self._pid = self._pidfd = None

    async def _kill_and_reap(self, sig: signal.Signals, grace: float) -> None:
        if self._pid is not None and not self._reap():
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self._pidfd or -1, sig)
            with anyio.move_on_after(grace):
                await self._wait_exit()
            if not self._reap():
                with contextlib.suppress(ProcessLookupError):
                    signal.pidfd_send_signal(self._pidfd or -1, signal.SIGKILL)
                await self._wait_exit()
        self._forget_process()

    async def _start(self) -> None:
        """Spawn containerd and wait until it answers."""
        self._spawn()
        timeout = self.config.start_timeout
        with anyio.move_on_after(timeout):
            while True:
                if self._reap():
                    code = self._exit_code
                    self._forget_process()
                    raise ContainerdStartError(
                        f"containerd exited during start-up (status {code}): {_log_tail(self.config.log_file)}"
                    )
                try:
                    version = await self.version(deadline=1.0)
                except (UnavailableError, DeadlineError):
                    await anyio.sleep(0.02)
                    continue
                log.info("containerd %s (pid %s) serving at %s", version.version, self._pid, self.address)
                return
        await self._kill_and_reap(signal.SIGKILL, _STOP_TIMEOUT)
        raise ContainerdStartError(
            f"containerd did not answer on {self.address} within {timeout:g}s: {_log_tail(self.config.log_file)}"
        )

    async def _shutdown(self, *, stop: bool) -> None:
        if stop:
            await self._kill_and_reap(signal.SIGTERM, _STOP_TIMEOUT)
            with contextlib.suppress(FileNotFoundError):
                self.config.pid_file.unlink()
        else:
            self._forget_process()
        if self._channel is not None:
            await self._channel.close()
            self._channel = None

    # -- watching -----------------------------------------------------------

    async def _wait_for_trouble(self) -> str:
        """Return, with a reason, when containerd exits or fails its health checks."""
        reason = ""
        async with anyio.create_task_group() as tg:

            async def exited() -> None:
                nonlocal reason
                await self._wait_exit()
                reason = "exited" if self._exit_code is None else f"exited (status {self._exit_code})"
                tg.cancel_scope.cancel()

            async def unhealthy() -> None:
                nonlocal reason
                failures = 0
                while failures < self.config.health_failures:
                    await anyio.sleep(self.config.health_interval)
                    try:
                        await self.version(deadline=max(1.0, self.config.health_interval * 2))
                        failures = 0
                    except (UnavailableError, DeadlineError):
                        failures += 1
                reason = f"did not answer {failures} health checks"
                tg.cancel_scope.cancel()

            tg.start_soon(exited)
            tg.start_soon(unhealthy)
        return reason

    async def _watch(self) -> None:
        delay = self.config.restart_delay
        while True:
            running_since = anyio.current_time()
            reason = await self._wait_for_trouble()
            log.warning("containerd (pid %s) %s: restarting it", self._pid, reason)
            await self._kill_and_reap(signal.SIGKILL, _STOP_TIMEOUT)
            if anyio.current_time() - running_since >= _HEALTHY_RUN:
                delay = self.config.restart_delay
            while True:
                await anyio.sleep(delay)
                delay = min(delay * 2, self.config.max_restart_delay)
                try:
                    await self._start()
                    break
                except ContainerdStartError as exc:
                    log.error("restarting containerd failed: %s", exc)
            self._restarts += 1
