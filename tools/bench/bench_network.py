"""Container networking: pymoby's network controller against dockerd's libnetwork, in one run.

- setup + teardown of a container's network on the default bridge (network
  namespace, veth pair, address, routes, hosts/resolv.conf, iptables):
  ours is ``start_container`` + ``stop_container`` of the controller; dockerd's
  is ``docker run --rm --network bridge busybox true`` minus the median of the
  same run with ``--network none`` (the rest of a run is not networking);
- throughput into a published port from the host, on 127.0.0.1 (through the
  userland proxy: ours in-daemon with splice(2), dockerd's docker-proxy) and
  on the bridge's address (DNAT in the kernel), to a ``busybox nc`` sink in
  the container's namespace on both sides;
- ``docker run --rm busybox true`` on the default bridge, pymobyd against
  dockerd.

dockerd is the side-by-side session's: a bridge of its own (not docker0)
and its own iptables chains; FORWARD's policy, which it sets to DROP, is
put back afterwards. Our controller gets a bridge (``pmbnN``) and a pool
(10.(220+N).0.0/16) of the session's slot N, so two runs never meet.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
from anyio.from_thread import BlockingPortal, start_blocking_portal

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "integration"))

from harness import Comparison, alternate, timed  # noqa: E402
from sidebyside import Session, using  # noqa: E402
from support.dockerd import Dockerd  # noqa: E402

from pymoby import api  # noqa: E402
from pymoby.daemon.network import ContainerNetworkSpec, NetworkConfig, NetworkController  # noqa: E402

SINK_PORT = 5001


def _sh(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, check=False, timeout=120)


def _push(host: str, port: int, size: int) -> float:
    """Send ``size`` bytes to a sink that closes when done; MB/s (retries while the sink restarts)."""
    chunk = b"\0" * (1 << 20)
    for _ in range(50):
        try:
            start = time.perf_counter()
            with socket.create_connection((host, port), timeout=10) as conn:
                sent = 0
                while sent < size:
                    conn.sendall(chunk)
                    sent += len(chunk)
                conn.shutdown(socket.SHUT_WR)
                while conn.recv(65536):
                    pass
            return size / (time.perf_counter() - start) / 1e6
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"no sink answered on {host}:{port}")


class Ours:
    """A network controller on a bridge of its own, driven through a blocking portal."""

    def __init__(self, portal: BlockingPortal, controller: NetworkController, base: Path) -> None:
        self.portal, self.controller, self.base = portal, controller, base
        self.count = 0

    def cycle(self) -> float:
        """One container's network set up and torn down (start + stop, not create/remove): seconds."""
        self.count += 1
        cid = f"{self.count:064x}"
        spec = ContainerNetworkSpec(id=cid, name=f"c{self.count}", files_dir=self.base / "files" / cid)
        self.portal.call(self.controller.create_container, spec)

        async def once() -> None:
            await self.controller.start_container(cid)
            await self.controller.stop_container(cid)

        elapsed = timed(lambda: self.portal.call(once))
        self.portal.call(self.controller.remove_container, cid)
        return elapsed

    def sink(self) -> tuple[Any, subprocess.Popen[bytes], str]:
        """A started container with a published port and a looping ``nc`` sink in its namespace."""
        spec = ContainerNetworkSpec(
            id="5" * 64, name="sink", files_dir=self.base / "sink",
            port_bindings={f"{SINK_PORT}/tcp": [api.PortBinding()]},
        )  # fmt: skip
        self.portal.call(self.controller.create_container, spec)
        info = self.portal.call(self.controller.start_container, "5" * 64)
        loop = f"while true; do busybox nc -l -p {SINK_PORT} >/dev/null; done"
        server = subprocess.Popen(["nsenter", f"--net={info.netns_path}", "sh", "-c", loop], start_new_session=True)
        return info, server, info.settings.gateway


def _dockerd_cycle(dockerd: Dockerd, network: str) -> Callable[[], float]:
    def run() -> float:
        return timed(lambda: dockerd.docker("run", "--rm", "--network", network, "busybox", "true"))

    return run


def _median(samples: list[float]) -> float:
    return sorted(samples)[len(samples) // 2]


def run(quick: bool, session: Session | None = None) -> list[Comparison]:
    """Measure both sides, alternating."""
    runs = 2 if quick else 30
    size = (16 if quick else 512) << 20
    comparisons: list[Comparison] = []
    policy = "DROP" if "-P FORWARD DROP" in _sh("iptables", "-S", "FORWARD").stdout else "ACCEPT"
    with tempfile.TemporaryDirectory(prefix="pmbn-") as tmp, using(session, quick) as s:
        base = Path(tmp)
        config = NetworkConfig(
            data_root=base / "ours", exec_root=base / "ours-exec", bridge=f"pmbn{s.slot}",
            default_address_pools=((f"10.{220 + s.slot}.0.0/16", 24),),
        )  # fmt: skip
        dockerd = s.dockerd
        servers: list[subprocess.Popen[bytes]] = []
        try:
            with (
                start_blocking_portal(backend="asyncio") as portal,
                portal.wrap_async_context_manager(NetworkController.open(config)) as controller,
            ):
                portal.call(controller.restore_containers, ())
                ours = Ours(portal, controller, base)

                none = [_dockerd_cycle(dockerd, "none")() for _ in range(runs)]
                baseline = _median(none)
                bridge_run = _dockerd_cycle(dockerd, "bridge")
                setup = Comparison(
                    name="container network setup + teardown, default bridge",
                    unit="s",
                    baseline="dockerd",
                    note=f"{runs} runs; dockerd = run --network bridge minus median run --network none "
                    f"({baseline:.3f}s)",
                )
                alternate(setup, ours.cycle, lambda: max(bridge_run() - baseline, 1e-6), runs)
                comparisons.append(setup)

                info, server, gateway = ours.sink()
                servers.append(server)
                our_port = int((info.settings.ports or {})[f"{SINK_PORT}/tcp"][0]["HostPort"])  # type: ignore[index]
                loop = f"while true; do nc -l -p {SINK_PORT} >/dev/null; done"
                cid = dockerd.docker("run", "-d", "-p", str(SINK_PORT), "busybox", "sh", "-c", loop).stdout.strip()
                their_port = int(dockerd.docker("port", cid.decode(), str(SINK_PORT)).stdout.split(b":")[-1])
                their_gateway = s.dockerd_gateway.split("/")[0]
                for label, ours_host, theirs_host in (
                    ("127.0.0.1 (userland proxy)", "127.0.0.1", "127.0.0.1"),
                    ("the bridge address (DNAT)", gateway, their_gateway),
                ):
                    throughput = Comparison(
                        name=f"published port throughput via {label}",
                        unit="MB/s",
                        baseline="dockerd",
                        higher_is_better=True,
                        note=f"{size >> 20} MiB per connection into busybox nc, {runs} runs",
                    )
                    alternate(
                        throughput,
                        lambda h=ours_host: _push(h, our_port, size),  # type: ignore[misc]
                        lambda h=theirs_host: _push(h, their_port, size),  # type: ignore[misc]
                        runs,
                    )
                    comparisons.append(throughput)
                dockerd.docker("rm", "-f", cid.decode())
                portal.call(controller.stop_container, "5" * 64)
        finally:
            for server in servers:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(server.pid, signal.SIGKILL)  # the loop and its nc
                server.wait()
            _sh("iptables", "-P", "FORWARD", policy)
            anyio.run(NetworkController.purge, config)
        comparisons.append(_pymobyd_run(s, runs))
    return comparisons


def _pymobyd_run(s: Session, runs: int) -> Comparison:
    """``docker run --rm busybox true`` on the default bridge, pymobyd vs dockerd."""
    comparison = Comparison(
        name="docker run --rm busybox true (default bridge)", unit="s", baseline="dockerd",
        note=f"{runs} runs, each daemon with its own containerd",
    )  # fmt: skip
    return alternate(
        comparison,
        lambda: timed(lambda: s.pymobyd.docker("run", "--rm", "busybox", "true")),
        lambda: timed(lambda: s.dockerd.docker("run", "--rm", "busybox", "true")),
        runs,
    )
