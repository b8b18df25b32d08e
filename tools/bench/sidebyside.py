"""dockerd and pymobyd side by side, started once for a whole benchmark run.

:func:`open_session` starts, each on its own paths so that nothing is
shared but the kernel and the binaries:

- a registry (Debian ``docker-registry``) on 127.0.0.1, that both daemons
  treat as insecure;
- dockerd (Debian ``docker.io``): its own containerd, data root, exec root,
  unix socket and loopback TCP port (for wrk), on a bridge of its own made
  for it (``pmbdN``, 10.(248+N).0.1/16, in the style of docker0's
  172.17.0.1/16) with its iptables rules;
- pymobyd: its own containerd (started by the daemon), data root, exec root,
  socket and TCP port, its default bridge ``pmbpN`` on the pool
  10.(240+N).0.0/16 in /24s;

then loads the same busybox image (built from busybox-static) into both and
takes their idle memory. N is a slot held with a lock file for the session,
so two sessions on one machine never share a name or a subnet.

A benchmark module takes the session as ``run(quick, session=None)`` and,
called alone, opens its own with :func:`using`. Benchmarks that need a
free name of their own (a bridge, a pool) derive it from :attr:`Session.slot`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "integration"))

from harness import Comparison, alternate  # noqa: E402
from support.dockerd import Dockerd, start_dockerd  # noqa: E402
from support.images import busybox_image_archive  # noqa: E402
from support.pymobyd import Pymobyd, free_port, start_pymobyd  # noqa: E402
from support.registry import RegistryServer, start_registry  # noqa: E402

__all__ = ["Daemon", "Session", "open_session", "process_tree_rss_mb", "shim_rss_mb", "using"]

Daemon = Pymobyd | Dockerd
SLOTS = 8
LOCK_DIR = Path("/run/pymoby-bench")
FLEET_LABEL = "pymoby.bench.fleet"


def process_tree_rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and all its descendants, in MB.

    A daemon's descendants are its containerd (and dockerd's docker-proxy
    processes); runc shims detach from containerd and are not counted.
    """
    total = 0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            # a child may have been started from any thread of the process
            for task in Path(f"/proc/{current}/task").iterdir():
                pids.extend(int(c) for c in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total / 1024


def shim_rss_mb(containerd_socket: Path) -> tuple[int, float]:
    """(number, total resident MB) of the runc v2 shims serving the containerd at ``containerd_socket``."""
    count, total = 0, 0
    address = str(containerd_socket).encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            if not (argv and argv[0].endswith(b"containerd-shim-runc-v2") and address in argv):
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
                    count += 1
        except OSError:
            continue
    return count, total / 1024


def _sh(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, check=False, timeout=120)


@dataclass
class Session:
    """The two daemons and what the benchmarks share; see the module docstring."""

    base: Path
    slot: int
    quick: bool
    registry: RegistryServer
    dockerd: Dockerd
    pymobyd: Pymobyd
    dockerd_tcp_url: str
    dockerd_bridge: str
    dockerd_gateway: str
    pymobyd_bridge: str
    pymobyd_pool: str
    busybox_archive: Path
    #: Each daemon with its containerd, right after start-up and the busybox load.
    idle_memory: Comparison = field(default_factory=lambda: Comparison("", "MB", "dockerd"))
    versions: dict[str, str] = field(default_factory=dict)
    _fleet: int = 0

    @property
    def pymobyd_tcp_url(self) -> str:
        """pymobyd's loopback TCP listener, ``http://127.0.0.1:PORT``."""
        return self.pymobyd.tcp_url

    def daemons(self) -> dict[str, Daemon]:
        """Both daemons by name."""
        return {"pymobyd": self.pymobyd, "dockerd": self.dockerd}

    def fleet(self, count: int) -> None:
        """Make sure ``count`` busybox containers (``sleep``, no network) run on each daemon.

        They stay until the session closes, so the benchmarks that need them
        share one fleet. Raises RuntimeError when a start fails.
        """
        for daemon in (self.pymobyd, self.dockerd):
            _start_many(daemon, count - self._fleet)
        self._fleet = max(self._fleet, count)

    def fleet_size(self) -> int:
        """How many fleet containers each daemon runs."""
        return self._fleet

    def close(self) -> None:
        """Stop everything the session started and remove its files, bridge and iptables rules."""
        for daemon in (self.pymobyd, self.dockerd):
            with contextlib.suppress(Exception):
                ids = daemon.docker("ps", "-aq", "--filter", f"label={FLEET_LABEL}", check=False).stdout.split()
                if ids:
                    daemon.docker("rm", "-f", *(i.decode() for i in ids), check=False, timeout=300)
        self.pymobyd.stop()
        self.pymobyd.remove()
        self.dockerd.stop()
        self.registry.stop()
        _remove_bridge(self.dockerd_bridge, self.dockerd_gateway)
        _remove_bridge(self.pymobyd_bridge, self.pymobyd_pool)
        shutil.rmtree(self.base, ignore_errors=True)


def _start_many(daemon: Daemon, count: int, parallel: int = 8) -> None:
    """``docker run -d`` ``count`` fleet containers, ``parallel`` at a time."""
    remaining = count
    while remaining > 0:
        batch = [
            subprocess.Popen(
                [
                    "docker",
                    "run",
                    "-d",
                    "--network",
                    "none",
                    "--label",
                    f"{FLEET_LABEL}=1",
                    "busybox",
                    "sleep",
                    "86400",
                ],
                env=daemon.env(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            for _ in range(min(parallel, remaining))
        ]
        for process in batch:
            _, err = process.communicate()
            if process.returncode != 0:
                raise RuntimeError(f"docker run -d failed on {type(daemon).__name__}: {err.decode()[-500:]}")
        remaining -= len(batch)


def _remove_bridge(name: str, subnet: str) -> None:
    """Delete the bridge and every iptables rule that names it or its subnet."""
    _sh("ip", "link", "del", name)
    network = subnet.split("/")[0].rsplit(".", 2)[0] + "."  # "10.230." of 10.230.0.1/16
    for table in ("filter", "nat"):
        for rule in _sh("iptables", "-t", table, "-S").stdout.splitlines():
            if rule.startswith("-A ") and (f" {name} " in f"{rule} " or f" {network}" in rule):
                _sh("iptables", "-t", table, *shlex.split(rule.replace("-A ", "-D ", 1)))


def _take_slot() -> tuple[int, IO[bytes]]:
    """A free slot number, held by an flock on its file until that file is closed."""
    LOCK_DIR.mkdir(parents=True, exist_ok=True)
    for slot in range(SLOTS):
        handle = (LOCK_DIR / f"slot-{slot}.lock").open("ab")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        return slot, handle
    raise RuntimeError(f"all {SLOTS} benchmark session slots are taken (locks in {LOCK_DIR})")


def _version(daemon: Daemon) -> str:
    result = daemon.docker("version", "--format", "{{json .Server}}", check=False)
    try:
        server = json.loads(result.stdout)
        return f"{server.get('Version', '?')} (API {server.get('ApiVersion', '?')})"
    except ValueError:
        return "?"


def _idle_memory(pymobyd: Pymobyd, dockerd: Dockerd, samples: int) -> Comparison:
    time.sleep(2)  # let start-up work (image load, first GC) settle
    memory = Comparison(
        "idle memory (RSS), daemon + its containerd",
        "MB",
        "dockerd",
        note="right after start-up and loading one busybox image",
    )

    def sample(daemon: Daemon) -> float:
        time.sleep(0.2)
        return process_tree_rss_mb(daemon.process.pid)

    return alternate(memory, lambda: sample(pymobyd), lambda: sample(dockerd), samples, warmup=0)


@contextlib.contextmanager
def open_session(quick: bool = False) -> Iterator[Session]:
    """Start the registry and both daemons, load busybox, measure idle memory; stop it all on exit.

    Raises RuntimeError (with the daemon's log) when a daemon does not come up.
    """
    if os.geteuid() != 0:
        raise RuntimeError("the side-by-side session needs root (daemons, bridges, iptables)")
    slot, lock = _take_slot()
    base = Path(tempfile.mkdtemp(prefix=f"pmbs{slot}-", dir="/tmp"))
    policy = "DROP" if "-P FORWARD DROP" in _sh("iptables", "-S", "FORWARD").stdout else "ACCEPT"
    dockerd_bridge, dockerd_gateway = f"pmbd{slot}", f"10.{248 + slot}.0.1/16"
    pymobyd_bridge, pymobyd_pool = f"pmbp{slot}", f"10.{240 + slot}.0.0/16"
    started: list[object] = []
    ready = False
    try:
        registry = start_registry(base / "r")
        started.append(registry)
        archive = base / "busybox.tar"
        busybox_image_archive(archive, base / "img")
        shutil.rmtree(base / "img", ignore_errors=True)
        for name, subnet in ((dockerd_bridge, dockerd_gateway), (pymobyd_bridge, pymobyd_pool)):
            _remove_bridge(name, subnet)  # left by a session that was killed
        _sh("ip", "link", "add", dockerd_bridge, "type", "bridge")
        _sh("ip", "addr", "add", dockerd_gateway, "dev", dockerd_bridge)
        _sh("ip", "link", "set", dockerd_bridge, "up")
        port = free_port()
        dockerd = start_dockerd(
            base / "d", "-H", f"tcp://127.0.0.1:{port}", "-b", dockerd_bridge, "--iptables=true",
            f"--insecure-registry={registry.host}",
        )  # fmt: skip
        started.append(dockerd)
        config: dict[str, object] = {
            "insecure-registries": [registry.host],
            "bridge": pymobyd_bridge,
            "default-address-pools": [{"base": pymobyd_pool, "size": 24}],
        }
        pymobyd = start_pymobyd(base / "p", tcp=True, config=config)
        started.append(pymobyd)
        for daemon in (pymobyd, dockerd):
            daemon.docker("load", "-i", str(archive))
        session = Session(
            base=base, slot=slot, quick=quick, registry=registry, dockerd=dockerd, pymobyd=pymobyd,
            dockerd_tcp_url=f"http://127.0.0.1:{port}", dockerd_bridge=dockerd_bridge,
            dockerd_gateway=dockerd_gateway, pymobyd_bridge=pymobyd_bridge, pymobyd_pool=pymobyd_pool,
            busybox_archive=archive,
        )  # fmt: skip
        session.versions = {"dockerd": _version(dockerd), "pymobyd": _version(pymobyd)}
        session.idle_memory = _idle_memory(pymobyd, dockerd, 3 if quick else 7)
        ready = True
    finally:
        if not ready:  # start-up failed (or was interrupted): undo what was done; the error propagates
            for thing in reversed(started):
                with contextlib.suppress(Exception):
                    thing.stop()  # type: ignore[attr-defined]
            if started and isinstance(started[-1], Pymobyd):
                started[-1].remove()
            for name, subnet in ((dockerd_bridge, dockerd_gateway), (pymobyd_bridge, pymobyd_pool)):
                _remove_bridge(name, subnet)
            _sh("iptables", "-P", "FORWARD", policy)
            shutil.rmtree(base, ignore_errors=True)
            lock.close()
    try:
        yield session
    finally:
        try:
            session.close()
        finally:
            _sh("iptables", "-P", "FORWARD", policy)  # dockerd sets DROP
            lock.close()


@contextlib.contextmanager
def using(session: Session | None, quick: bool = False) -> Iterator[Session]:
    """The given session, or (for a module run alone) a new one for the duration of the block."""
    if session is not None:
        yield session
        return
    with open_session(quick) as own:
        yield own
