"""containerd round trip: pymoby-libcontainerd against ``ctr run --rm``, on one containerd.

One containerd (started by pymoby's Supervisor, in a temporary directory)
serves both sides. Each sample is the wall time of one task that runs
``/bin/true`` in a busybox root file system, from nothing to nothing:

- ours: create container, FIFOs, create task, start, wait, delete task,
  delete container, over the client's one reused gRPC channel;
- ctr: ``ctr --address SOCK -n NS run --rm --rootfs DIR ID /bin/true``
  (a fresh ctr process each time, as a user or script would run it).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from anyio.from_thread import start_blocking_portal

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "integration"))

from harness import Comparison, alternate, private_cgroup_parent, remove_cgroup_parent, timed  # noqa: E402
from libcontainerd.ocispec import kill_shims, runtime_spec, unmount_under  # noqa: E402
from support.images import make_busybox_rootfs  # noqa: E402

from pymoby.libcontainerd import Client, FifoSet, Supervisor, SupervisorConfig  # noqa: E402

CGROUP_PARENT = private_cgroup_parent("pymoby-bench")
#: ctr puts its containers' cgroups under /NAMESPACE: the same parent as ours.
NAMESPACE = CGROUP_PARENT.lstrip("/")


async def round_trip(client: Client, cid: str, spec: dict[str, Any], fifo_dir: Path) -> None:
    """Create the container ``cid`` with ``spec`` (a ``/bin/true``), run its task to the end, delete both."""
    await client.create_container(cid, spec)
    async with FifoSet.create(fifo_dir, cid) as fifos:
        await client.create_task(cid, stdio=fifos.paths)
        await client.start_task(cid)
        status = await client.wait(cid)
        await client.delete_task(cid)
    await client.delete_container(cid)
    if status.code != 0:
        raise RuntimeError(f"/bin/true exited {status.code}")


async def _round_trip(client: Client, rootfs: Path, fifo_dir: Path) -> None:
    cid = "b-" + uuid.uuid4().hex[:12]
    await round_trip(
        client, cid, runtime_spec(cid, ["/bin/true"], root=str(rootfs), cgroup_parent=CGROUP_PARENT), fifo_dir
    )


def run(quick: bool) -> list[Comparison]:
    """Measure the round trip both ways, alternating, on one containerd."""
    runs = 3 if quick else 100
    with tempfile.TemporaryDirectory(prefix="pmb-") as tmp:
        base = Path(tmp)
        rootfs = make_busybox_rootfs(base / "rootfs")
        config = SupervisorConfig(root=base / "root", state=base / "run")
        try:
            with (
                start_blocking_portal(backend="asyncio") as portal,
                portal.wrap_async_context_manager(Supervisor(config)) as supervisor,
            ):
                client: Any = portal.call(Client.connect, supervisor.address, NAMESPACE)
                try:

                    def ours() -> float:
                        return timed(lambda: portal.call(_round_trip, client, rootfs, base / "fifo"))

                    def theirs() -> float:
                        return timed(_ctr_run(supervisor.address, rootfs))

                    comparison = Comparison(
                        name="task round trip /bin/true (create, start, wait, delete)",
                        unit="s",
                        baseline="ctr",
                        note=f"{runs} runs each, one containerd 1.6, runc v2 shim",
                    )
                    alternate(comparison, ours, theirs, runs)
                finally:
                    portal.call(client.aclose)
        finally:
            kill_shims(str(config.address))
            unmount_under(config.root, config.state)
            remove_cgroup_parent(CGROUP_PARENT)  # ours and ctr's
    return [comparison]


def _ctr_run(address: str, rootfs: Path) -> Callable[[], None]:
    def action() -> None:
        cid = "c-" + uuid.uuid4().hex[:12]
        subprocess.run(
            ["ctr", "--address", address, "-n", NAMESPACE, "run", "--rm", "--rootfs", str(rootfs), cid, "/bin/true"],
            check=True,
            capture_output=True,
        )

    return action
