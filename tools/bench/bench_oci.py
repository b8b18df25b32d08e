"""Containers with Docker's full runtime spec: pymoby's spec builder against ``ctr run --seccomp``.

One containerd (started by pymoby's Supervisor, in a temporary directory)
serves both sides. Each sample is the wall time of one container that runs
``/bin/true`` in a busybox root file system, from nothing to nothing:

- ours: validate the HostConfig, apply Docker's create defaults, resolve the
  user through the image's /etc/passwd, build the spec (Docker's default
  capabilities, seccomp profile converted for them, masked and read-only
  paths, device cgroup, /dev/shm, sysctls), then create container and task,
  start, wait, delete, over the client's one reused gRPC channel;
- ctr: ``ctr run --rm --seccomp --rootfs DIR ID /bin/true`` (containerd's
  own default spec with its default seccomp profile; a fresh ctr process each
  time, as a user or script would run it).

A second comparison isolates the spec: building it (Python) against
containerd's Go ``oci.GenerateSpec`` as ``ctr oci spec`` runs it (that
includes starting the ctr process, so it favours us; it is here to show the
builder's cost is small next to a container start, not to claim a speed-up).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from anyio.from_thread import start_blocking_portal

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "integration"))

from bench_containerd import round_trip  # noqa: E402
from harness import Comparison, alternate, private_cgroup_parent, remove_cgroup_parent, timed  # noqa: E402
from libcontainerd.ocispec import kill_shims, unmount_under  # noqa: E402
from support.images import make_busybox_rootfs  # noqa: E402

from pymoby.api import HostConfig  # noqa: E402
from pymoby.daemon.oci import (  # noqa: E402
    ProcessSettings,
    SpecSettings,
    SysInfo,
    apply_host_config_defaults,
    build_spec,
    detect_spec_settings,
    read_sysinfo,
    resolve_devices,
    resolve_user,
    validate_host_config,
)
from pymoby.libcontainerd import Client, Supervisor, SupervisorConfig  # noqa: E402

CGROUP_PARENT = private_cgroup_parent("pymoby-bench-oci")
#: ctr puts its containers' cgroups under /NAMESPACE: the same parent as ours.
NAMESPACE = CGROUP_PARENT.lstrip("/")


def _spec(settings: SpecSettings, sysinfo: SysInfo, rootfs: Path, cid: str) -> dict[str, Any]:
    hc = HostConfig(network_mode="none")
    validate_host_config(hc, sysinfo, available_capabilities=settings.available_capabilities)
    hc = apply_host_config_defaults(hc, cgroup_version=sysinfo.cgroup_version)
    return build_spec(
        cid,
        process=ProcessSettings(["/bin/true"]),
        host_config=hc,
        settings=settings,
        user=resolve_user(rootfs, ""),
        hostname=cid[:12],
        root_path=str(rootfs),
        devices=resolve_devices(hc),
    )


async def _round_trip(client: Client, settings: SpecSettings, sysinfo: SysInfo, rootfs: Path, fifo_dir: Path) -> None:
    cid = "o-" + uuid.uuid4().hex[:12]
    await round_trip(client, cid, _spec(settings, sysinfo, rootfs, cid), fifo_dir)


def run(quick: bool) -> list[Comparison]:
    """Measure the container round trip and the spec build, alternating with ctr."""
    runs = 3 if quick else 60
    with tempfile.TemporaryDirectory(prefix="pmbo-") as tmp:
        base = Path(tmp)
        rootfs = make_busybox_rootfs(base / "rootfs")
        settings = detect_spec_settings(cgroup_parent=CGROUP_PARENT)
        sysinfo = read_sysinfo()
        config = SupervisorConfig(root=base / "root", state=base / "run")
        try:
            with (
                start_blocking_portal(backend="asyncio") as portal,
                portal.wrap_async_context_manager(Supervisor(config)) as supervisor,
            ):
                client: Any = portal.call(Client.connect, supervisor.address, NAMESPACE)
                address = supervisor.address
                ctr = ["ctr", "--address", address, "-n", NAMESPACE]
                try:
                    round_trip = Comparison(
                        name="container /bin/true with Docker's default spec (create..delete)",
                        unit="s",
                        baseline="ctr run --seccomp",
                        note=f"{runs} runs each, one containerd 1.6, runc 1.1 v2 shim",
                    )
                    alternate(
                        round_trip,
                        lambda: timed(
                            lambda: portal.call(_round_trip, client, settings, sysinfo, rootfs, base / "fifo")
                        ),
                        lambda: timed(
                            lambda: subprocess.run(
                                [
                                    *ctr,
                                    "run",
                                    "--rm",
                                    "--seccomp",
                                    "--rootfs",
                                    str(rootfs),
                                    "c-" + uuid.uuid4().hex[:12],
                                    "/bin/true",
                                ],
                                check=True,
                                capture_output=True,
                            )
                        ),
                        runs,
                    )
                    build = Comparison(
                        name="generate a default runtime spec",
                        unit="s",
                        baseline="ctr oci spec (process start included)",
                        note="ours: validate + defaults + user + devices + build_spec, in process",
                    )
                    alternate(
                        build,
                        lambda: timed(lambda: _spec(settings, sysinfo, rootfs, "s-" + uuid.uuid4().hex[:12])),
                        lambda: timed(lambda: subprocess.run([*ctr, "oci", "spec"], check=True, capture_output=True)),
                        runs * 3,
                    )
                finally:
                    portal.call(client.aclose)
        finally:
            kill_shims(str(config.address))
            unmount_under(config.root, config.state)
            remove_cgroup_parent(CGROUP_PARENT)  # ours and ctr's (which puts its containers under /NAMESPACE)
    return [round_trip, build]
