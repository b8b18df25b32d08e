"""A real pymobyd on its own data root, exec root, socket and containerd.

Plain code for the integration tests and the benchmarks: :func:`start_pymobyd`
starts ``python -m pymoby.cmd`` with everything under one short base
directory, waits until ``/_ping`` answers, and returns a :class:`Pymobyd`
that stops it with SIGTERM (SIGKILL to its process group if it hangs),
unmounts what it left, removes from the kernel what its networks made
(bridges, veths, namespaces, iptables chains) and removes the directory. A
daemon that fails to come up is stopped and reported with the end of its log.

Networks: unless its config names a ``bridge``, each daemon gets a network
slot N, held with a lock file in :data:`NET_LOCK_DIR` from start to
:meth:`Pymobyd.remove` (so parallel workers, and parallel test sessions on
one machine, never share one): its default bridge is ``pmdN`` and its
``default-address-pools`` 10.(64 + N/16).(16 * (N%16)).0/20 in /24s. The
daemon inherits the lock too, so a daemon that outlives its launcher (a
killed test run) keeps its slot until it exits. A daemon restarted on the
same base keeps its slot.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from support.processes import kill_shims

__all__ = ["NET_LOCK_DIR", "Pymobyd", "free_port", "load_busybox", "network_slot", "ping", "start_pymobyd"]

#: Where the network slots' lock files live (machine-wide: every test session shares the kernel).
NET_LOCK_DIR = Path("/run/pymoby-test-nets")
NET_SLOTS = 512
#: The slots this process holds, by daemon base directory (a restarted daemon keeps its own).
_held: dict[Path, tuple[int, IO[bytes]]] = {}
_held_lock = threading.Lock()


def _try_slot(slot: int) -> IO[bytes] | None:
    handle = (NET_LOCK_DIR / f"slot-{slot}.lock").open("ab")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


def network_slot(base: Path) -> int:
    """The network slot of the daemon on ``base``: the one it had, or a free one (held until :func:`release_slot`)."""
    base = base.resolve()
    with _held_lock:
        if base in _held:
            return _held[base][0]
        NET_LOCK_DIR.mkdir(parents=True, exist_ok=True)
        remembered = base / "netslot"
        order = list(range(NET_SLOTS))
        if remembered.exists():
            previous = int(remembered.read_text())
            order.remove(previous)
            order.insert(0, previous)
        for slot in order:
            handle = _try_slot(slot)
            if handle is not None:
                _held[base] = (slot, handle)
                remembered.write_text(str(slot))
                return slot
    raise RuntimeError(f"all {NET_SLOTS} network slots are taken (locks in {NET_LOCK_DIR})")


def _slot_fd(base: Path) -> int | None:
    """The descriptor of the lock of ``base``'s slot (for the daemon to inherit), ``None`` when none is held."""
    with _held_lock:
        held = _held.get(base.resolve())
    return held[1].fileno() if held is not None else None


def release_slot(base: Path) -> None:
    """Let another daemon have the network slot of ``base``."""
    with _held_lock:
        held = _held.pop(base.resolve(), None)
    if held is not None:
        held[1].close()


def slot_network(slot: int) -> tuple[str, str]:
    """The default bridge's name and the address pool of a network slot."""
    return f"pmd{slot}", f"10.{64 + slot // 16}.{16 * (slot % 16)}.0/20"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ping(socket_path: Path, timeout: float = 2.0) -> bool:
    """Whether ``GET /_ping`` on the unix socket answers ``200 OK``."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(str(socket_path))
            s.sendall(b"GET /_ping HTTP/1.1\r\nHost: pymobyd\r\nConnection: close\r\n\r\n")
            data = b""
            while chunk := s.recv(4096):
                data += chunk
        return data.startswith(b"HTTP/1.1 200") and data.endswith(b"OK")
    except OSError:
        return False


@dataclass
class Pymobyd:
    """A running pymobyd. Use as a context manager, or call :meth:`stop`."""

    base: Path
    process: subprocess.Popen[bytes]
    tcp_port: int | None = None
    extra_args: list[str] = field(default_factory=list)
    returncode: int | None = None
    #: Its default bridge's device name.
    bridge: str = ""
    #: Its default address pool (``default-address-pools``), as ``base/len``.
    pool: str = ""

    @property
    def socket(self) -> Path:
        return self.base / "d.sock"

    @property
    def host(self) -> str:
        """The value for ``DOCKER_HOST`` / ``-H``."""
        return f"unix://{self.socket}"

    @property
    def tcp_url(self) -> str:
        """``http://127.0.0.1:PORT`` when started with a TCP listener."""
        if self.tcp_port is None:
            raise RuntimeError("this pymobyd has no TCP listener (start it with tcp=True)")
        return f"http://127.0.0.1:{self.tcp_port}"

    @property
    def data_root(self) -> Path:
        return self.base / "root"

    @property
    def exec_root(self) -> Path:
        return self.base / "exec"

    @property
    def log_path(self) -> Path:
        return self.base / "pymobyd.log"

    @property
    def config_path(self) -> Path:
        return self.base / "daemon.json"

    def log(self) -> str:
        """The daemon's log so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def containerd_pid(self) -> int | None:
        """The pid of the containerd the daemon supervises (``None`` when not running)."""
        try:
            return int((self.exec_root / "containerd" / "containerd.pid").read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    def env(self) -> dict[str, str]:
        """An environment for the ``docker`` CLI (and docker-py's ``from_env``) against this daemon."""
        env = dict(os.environ)
        env["DOCKER_HOST"] = self.host
        env.pop("DOCKER_CONTEXT", None)
        env.pop("DOCKER_TLS_VERIFY", None)
        env["DOCKER_CONFIG"] = str(self.base / "client-config")
        return env

    def docker(self, *args: str, check: bool = True, **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
        """Run the ``docker`` CLI against this daemon."""
        return subprocess.run(["docker", *args], env=self.env(), check=check, capture_output=True, **kwargs)  # type: ignore[no-any-return]

    def signal(self, signum: int) -> None:
        """Send ``signum`` to the daemon (SIGHUP reloads its configuration)."""
        self.process.send_signal(signum)

    def write_config(self, config: dict[str, Any]) -> None:
        """Rewrite its daemon.json (then :meth:`signal` SIGHUP to reload it); its network keys are kept."""
        config = dict(config)
        config.setdefault("bridge", self.bridge)
        if self.pool:
            config.setdefault("default-address-pools", [{"base": self.pool, "size": 24}])
        tmp = self.config_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(config))
        tmp.replace(self.config_path)

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM, wait (SIGKILL its process group after ``timeout``), clean up; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.returncode = self.process.returncode
        pid = self.containerd_pid()
        if pid is not None:
            try:
                os.kill(pid, signal.SIGKILL)  # left running by live-restore, or by a daemon that failed
            except ProcessLookupError:
                pass
        kill_shims(str(self.exec_root / "containerd" / "containerd.sock"))
        self.purge_network()
        for mounted in (self.data_root, self.exec_root):
            subprocess.run(["umount", "-R", "-l", str(mounted)], capture_output=True, check=False)
        return self.returncode

    def network_config(self) -> Any:
        """Its networks' settings (a ``pymoby.daemon.network.NetworkConfig``)."""
        from pymoby.daemon.network import NetworkConfig

        return NetworkConfig(
            data_root=self.data_root,
            exec_root=self.exec_root,
            bridge=self.bridge,
            default_address_pools=((self.pool, 24),) if self.pool else (),
        )

    def purge_network(self) -> None:
        """Remove what its networks made in the kernel (after it stopped; the records on disk stay).

        As Docker's, its bridges, rules and namespaces outlive it; a test
        daemon's must not outlive the test.
        """
        if not self.bridge or self.process.poll() is None:
            return
        import anyio

        from pymoby.daemon.network import NetworkController

        config = self.network_config()

        def purge() -> None:
            with contextlib.suppress(Exception):  # best effort: what is left is reported by the tests
                anyio.run(NetworkController.purge, config)

        worker = threading.Thread(target=purge)  # anyio.run needs a thread without a running event loop
        worker.start()
        worker.join()

    def kernel_leftovers(self) -> list[str]:
        """What it left on the host after :meth:`stop`: devices of its networks and containers, network
        namespaces, mounts under its base, iptables rules of its chains (empty when clean)."""
        from pymoby.daemon.network._store import RecordStore

        left: list[str] = []
        config = self.network_config()
        devices = {self.bridge} if self.bridge else set()
        try:
            store = RecordStore(config.state_dir)
            devices |= {n.device for n in store.load_networks() if n.device}
            devices |= {e.veth for c in store.load_containers() for e in c.endpoints if e.veth}
        except OSError:
            pass
        links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=False).stdout
        present = {line.split(":")[1].strip().split("@")[0] for line in links.splitlines() if ":" in line}
        left += [f"device {d}" for d in sorted(devices & present)]
        if config.netns_dir.is_dir():
            left += [f"netns {p}" for p in config.netns_dir.iterdir()]
        with open("/proc/self/mountinfo") as info:
            points = [line.split()[4] for line in info]
        left += [f"mount {p}" for p in points if p == str(self.base) or p.startswith(f"{self.base}/")]
        if self.bridge:
            chain = f"PYMOBY{config.chain_suffix}"
            for table in ("filter", "nat"):
                rules = subprocess.run(["iptables-save", "-t", table], capture_output=True, text=True, check=False)
                left += [
                    f"{table}: {line}"
                    for line in rules.stdout.splitlines()
                    if f"{chain} " in f"{line} " or f"{chain}-" in line
                ]
        return left

    def finish(self, *, remove: bool = True) -> str | None:
        """Stop it, check it exited cleanly (or was killed on purpose) and left nothing on the host,
        remove it (unless ``remove`` is false); what went wrong, ``None`` when all is well."""
        killed = self.process.poll() == -signal.SIGKILL  # a test killed it on purpose
        code = self.stop()
        problems = []
        if code != 0 and not killed:
            problems.append(f"pymobyd exited with {code}")
        left = self.kernel_leftovers()
        if left:
            problems.append(f"pymobyd left on the host: {left}")
        tail = self.log()[-4000:]
        keep = os.environ.get("PYMOBY_TEST_LOGS")  # a directory to keep every daemon's log in, for post-mortems
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(OSError):
                shutil.copyfile(self.log_path, Path(keep) / f"{self.base.name}.log")
        if remove:
            self.remove()
        return "\n".join([*problems, tail]) if problems else None

    def remove(self) -> None:
        """Delete the base directory (after :meth:`stop`) and give its network slot back."""
        shutil.rmtree(self.base, ignore_errors=True)
        release_slot(self.base)

    def __enter__(self) -> Pymobyd:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self.remove()


#: The ``start_daemon`` fixture's type (integration/conftest.py):
#: ``start_daemon(*flags, base=None, load=True, **start_pymobyd_kwargs)``.
StartDaemon = Callable[..., Pymobyd]


def load_busybox(daemon: Pymobyd, archive: Path) -> None:
    """``docker load`` a busybox archive (``support.images.busybox_image_archive``) into ``daemon``."""
    result = daemon.docker("load", "-i", str(archive))
    if b"Loaded image: busybox:latest" not in result.stdout:
        raise RuntimeError(f"docker load did not load busybox: {result.stdout!r} {result.stderr!r}")


def start_pymobyd(
    base: Path,
    *extra_args: str,
    tcp: bool = False,
    config: dict[str, Any] | None = None,
    timeout: float = 60,
    python: str = sys.executable,
) -> Pymobyd:
    """Start pymobyd with everything under ``base`` (keep it short: socket paths are limited).

    ``tcp=True`` adds a loopback TCP listener on a free port; ``config`` is
    written as its daemon.json. Raises RuntimeError with the end of its log
    if it does not answer ``/_ping`` within ``timeout`` seconds.
    """
    base.mkdir(parents=True, exist_ok=True)
    config = dict(config or {})
    if "bridge" not in config:
        bridge, pool = slot_network(network_slot(base))
        config["bridge"] = bridge
        config.setdefault("default-address-pools", [{"base": pool, "size": 24}])
    pools = config.get("default-address-pools") or [{}]
    (base / "daemon.json").write_text(json.dumps(config))
    port = free_port() if tcp else None
    args = [
        python, "-m", "pymoby.cmd",
        "--data-root", str(base / "root"),
        "--exec-root", str(base / "exec"),
        "--pidfile", str(base / "d.pid"),
        "--config-file", str(base / "daemon.json"),
        "-H", f"unix://{base / 'd.sock'}",
    ]  # fmt: skip
    if port is not None:
        args += ["-H", f"tcp://127.0.0.1:{port}"]
    args.extend(extra_args)
    lock_fd = _slot_fd(base)
    with (base / "pymobyd.log").open("wb") as log:
        process = subprocess.Popen(
            args,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            pass_fds=(lock_fd,) if lock_fd is not None else (),
        )
    daemon = Pymobyd(base, process, port, list(extra_args), bridge=config["bridge"], pool=pools[0].get("base", ""))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        if daemon.socket.exists() and ping(daemon.socket):
            return daemon
        time.sleep(0.1)
    tail = daemon.log()[-4000:]
    daemon.stop()
    daemon.remove()
    raise RuntimeError(f"pymobyd did not come up in {timeout}s (exit code {process.returncode}):\n{tail}")
