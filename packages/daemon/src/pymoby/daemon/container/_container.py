"""The container model and its files (Docker's ``container.Container``).

On disk, as Docker lays it out: ``DATA_ROOT/containers/<id>/config.v2.json``
(the container and its state) and ``hostconfig.json`` (its ``HostConfig``),
each written atomically (temporary file, fsync, rename, fsync of the
directory), so a crash leaves the old or the new version, never a torn one.
The in-memory object also holds what only lives while the daemon runs: the
attach streams, the log driver, the restart manager, the exec IDs.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

import anyio
import msgspec
from msgspec import field

from pymoby import api

from ..stream import StreamConfig
from ..volume import MountPoint
from ._state import HealthResult, HealthState, State
from ._timefmt import format_time, parse_time

__all__ = ["CONFIG_FILE", "HOSTCONFIG_FILE", "Container", "atomic_write"]

CONFIG_FILE = "config.v2.json"
HOSTCONFIG_FILE = "hostconfig.json"


class _HealthResultRecord(msgspec.Struct, rename="pascal"):
    start: str
    end: str
    exit_code: int
    output: str


class _HealthRecord(msgspec.Struct, rename="pascal"):
    status: str = ""
    failing_streak: int = 0
    log: list[_HealthResultRecord] | None = None


class _StateRecord(msgspec.Struct, rename="pascal"):
    running: bool = False
    paused: bool = False
    restarting: bool = False
    oom_killed: bool = field(default=False, name="OOMKilled")
    removal_in_progress: bool = False
    dead: bool = False
    pid: int = 0
    exit_code: int = 0
    error: str = ""
    started_at: str = "0001-01-01T00:00:00Z"
    finished_at: str = "0001-01-01T00:00:00Z"
    health: _HealthRecord | None = None


class _LogCacheMeta(msgspec.Struct, rename="pascal"):
    have_notify_enabled: bool = False


class _ContainerRecord(msgspec.Struct, rename="pascal"):
    """``config.v2.json``: Docker's keys, so the file reads like dockerd's."""

    id: str = field(name="ID")
    created: str
    path: str
    args: list[str]
    config: api.ContainerConfig
    image: str
    name: str
    stream_config: dict[str, Any] = field(default_factory=dict)
    state: _StateRecord = field(default_factory=_StateRecord)
    managed: bool = False
    network_settings: api.NetworkSettings = field(default_factory=api.NetworkSettings)
    log_path: str = ""
    driver: str = ""
    os: str = field(default="linux", name="OS")
    mount_label: str = ""
    process_label: str = ""
    restart_count: int = 0
    has_been_started_before: bool = False
    has_been_manually_stopped: bool = False
    mount_points: dict[str, MountPoint] = field(default_factory=dict)
    secret_references: list[Any] | None = None
    config_references: list[Any] | None = None
    app_armor_profile: str = ""
    hostname_path: str = ""
    hosts_path: str = ""
    shm_path: str = ""
    resolv_conf_path: str = ""
    seccomp_profile: str = ""
    no_new_privileges: bool = False
    local_log_cache_meta: _LogCacheMeta = field(default_factory=_LogCacheMeta)


_record_decoder = msgspec.json.Decoder(_ContainerRecord)
_hostconfig_decoder = msgspec.json.Decoder(api.HostConfig)


def atomic_write(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` so that a crash leaves the old file or the new one, whole."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    renamed = False
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(tmp, mode)
        os.rename(tmp, path)
        renamed = True
    finally:
        if not renamed:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class Container:
    """One container: its configuration, its state, and the daemon's live handles on it."""

    def __init__(
        self,
        container_id: str,
        name: str,
        *,
        root: Path,
        created: int,
        path: str,
        args: list[str],
        config: api.ContainerConfig,
        host_config: api.HostConfig,
        image_id: str,
        driver: str,
        network_settings: api.NetworkSettings | None = None,
    ) -> None:
        self.id = container_id
        self.name = name
        self.root = root
        self.created = created
        self.path = path
        self.args = args
        self.config = config
        self.host_config = host_config
        self.image_id = image_id
        self.driver = driver
        self.network_settings = network_settings or api.NetworkSettings()
        self.state = State()
        self.log_path = ""
        self.restart_count = 0
        self.has_been_started_before = False
        self.has_been_manually_stopped = False
        self.has_been_manually_restarted = False
        #: Binds, volumes and tmpfs mounts by destination (:mod:`pymoby.daemon.volume` manages them).
        self.mount_points: dict[str, MountPoint] = {}
        self.hostname_path = ""
        self.hosts_path = ""
        self.resolv_conf_path = ""
        self.shm_path = ""
        self.app_armor_profile = ""
        self.seccomp_profile = ""
        self.no_new_privileges = False
        # -- live only (not persisted) --
        #: Serialises start, stop, exit handling and removal of this container.
        self.lock = anyio.Lock()
        #: The attach broadcasters and stdin, shared by every attached client and the log copier.
        self.streams = StreamConfig()
        #: IDs of the exec instances that run or ran in the current task.
        self.exec_ids: list[str] = []
        #: Set when the next start attempt is over (attached clients wait for the process's stdin).
        self.start_attempted = anyio.Event()
        #: Runtime handles of the current task (set by the service while it runs).
        self.runtime: Any = None
        self.restart_manager: Any = None
        self.health_scope: anyio.CancelScope | None = None

    # -- names ----------------------------------------------------------------------
    @property
    def short_id(self) -> str:
        """The first 12 characters of the ID."""
        return self.id[:12]

    @property
    def config_path(self) -> Path:
        """``config.v2.json``."""
        return self.root / CONFIG_FILE

    @property
    def tty(self) -> bool:
        """Whether the container runs with a terminal."""
        return self.config.tty

    def command_line(self) -> str:
        """Path and arguments as ``docker ps`` shows them (``"sleep 100"``)."""
        return " ".join([self.path, *self.args]) if self.args else self.path

    # -- persistence ----------------------------------------------------------------
    def _record(self) -> _ContainerRecord:
        s = self.state
        health = None
        if s.health is not None:
            health = _HealthRecord(
                status=s.health.status,
                failing_streak=s.health.failing_streak,
                log=[
                    _HealthResultRecord(format_time(r.start), format_time(r.end), r.exit_code, r.output)
                    for r in s.health.log
                ],
            )
        return _ContainerRecord(
            id=self.id,
            created=format_time(self.created),
            path=self.path,
            args=self.args,
            config=self.config,
            image=self.image_id,
            name=self.name,
            state=_StateRecord(
                running=s.running,
                paused=s.paused,
                restarting=s.restarting,
                oom_killed=s.oom_killed,
                removal_in_progress=s.removal_in_progress,
                dead=s.dead,
                pid=s.pid,
                exit_code=s.exit_code,
                error=s.error,
                started_at=format_time(s.started_at),
                finished_at=format_time(s.finished_at),
                health=health,
            ),
            network_settings=self.network_settings,
            log_path=self.log_path,
            driver=self.driver,
            restart_count=self.restart_count,
            has_been_started_before=self.has_been_started_before,
            has_been_manually_stopped=self.has_been_manually_stopped,
            mount_points=self.mount_points,
            app_armor_profile=self.app_armor_profile,
            hostname_path=self.hostname_path,
            hosts_path=self.hosts_path,
            shm_path=self.shm_path,
            resolv_conf_path=self.resolv_conf_path,
            seccomp_profile=self.seccomp_profile,
            no_new_privileges=self.no_new_privileges,
        )

    def to_disk(self) -> tuple[bytes, bytes]:
        """The bytes of ``config.v2.json`` and ``hostconfig.json``."""
        return api.encode(self._record()), api.encode(self.host_config)

    def checkpoint(self) -> None:
        """Write both files atomically (blocking: call it from a worker thread or at start-up)."""
        config, host_config = self.to_disk()
        atomic_write(self.root / CONFIG_FILE, config)
        atomic_write(self.root / HOSTCONFIG_FILE, host_config)

    @classmethod
    def from_disk(cls, root: Path) -> Container:
        """Load the container kept in ``root``; ``OSError``/``msgspec.DecodeError`` when unreadable."""
        record = _record_decoder.decode((root / CONFIG_FILE).read_bytes())
        try:
            host_config = _hostconfig_decoder.decode((root / HOSTCONFIG_FILE).read_bytes())
        except FileNotFoundError:
            host_config = api.HostConfig()
        container = cls(
            record.id,
            record.name,
            root=root,
            created=parse_time(record.created),
            path=record.path,
            args=record.args,
            config=record.config,
            host_config=host_config,
            image_id=record.image,
            driver=record.driver,
            network_settings=record.network_settings,
        )
        rs = record.state
        s = container.state
        s.running, s.paused, s.restarting = rs.running, rs.paused, rs.restarting
        s.oom_killed, s.dead, s.pid = rs.oom_killed, rs.dead, rs.pid
        s.exit_code, s.error = rs.exit_code, rs.error
        s.started_at, s.finished_at = parse_time(rs.started_at), parse_time(rs.finished_at)
        if rs.health is not None:
            s.health = HealthState(
                status=rs.health.status,
                failing_streak=rs.health.failing_streak,
                log=[
                    HealthResult(parse_time(r.start), parse_time(r.end), r.exit_code, r.output)
                    for r in rs.health.log or []
                ],
            )
        container.log_path = record.log_path
        container.restart_count = record.restart_count
        container.has_been_started_before = record.has_been_started_before
        container.has_been_manually_stopped = record.has_been_manually_stopped
        container.mount_points = record.mount_points
        container.hostname_path = record.hostname_path
        container.hosts_path = record.hosts_path
        container.resolv_conf_path = record.resolv_conf_path
        container.shm_path = record.shm_path
        container.app_armor_profile = record.app_armor_profile
        container.seccomp_profile = record.seccomp_profile
        container.no_new_privileges = record.no_new_privileges
        return container
