"""Container output to json-file: pymoby's copier + driver against dockerd's, in one run.

A busybox container ``cat``s a prepared file (bind-mounted read-only) to
stdout; the time counted runs from creating the task (``docker start``
for dockerd) until the last line is in the log file (copier finished and
driver closed; ``docker wait`` returns only once dockerd's copier has
drained). Both sides run through containerd, its shim and runc, so the
path is the same up to the daemon's FIFO reads. Reported as MB/s of
container output (higher is better):

- 256 MB of 100-byte lines; 256 MB of 1 MiB lines (each logged as 16 KiB
  partials, as Docker splits them);
- our copier + json-file alone, fed by ``cat`` through a FIFO in-process
  (no containerd), against dockerd's end-to-end figure of the same data.

Each measured log file is checked: it must hold every line.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

import anyio

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "integration"))

from harness import Comparison, alternate, private_cgroup_parent, remove_cgroup_parent  # noqa: E402
from libcontainerd.ocispec import kill_shims, runtime_spec, unmount_under  # noqa: E402
from sidebyside import Session, using  # noqa: E402
from support.images import make_busybox_rootfs  # noqa: E402

from pymoby.daemon.logger import Copier, LogInfo, new_logger  # noqa: E402
from pymoby.daemon.stream import StreamConfig  # noqa: E402
from pymoby.libcontainerd import Client, FifoReader, FifoSet, Supervisor, SupervisorConfig  # noqa: E402

CGROUP_PARENT = private_cgroup_parent("pymoby-bench-logs")


def make_data(directory: Path, size: int) -> dict[str, tuple[Path, int]]:
    """The two inputs: name -> (file, number of log entries json-file will write for it)."""
    directory.mkdir(parents=True, exist_ok=True)
    small = directory / "lines100"
    line = b"x" * 99 + b"\n"
    with small.open("wb") as f:
        block = line * 10_000
        for _ in range(size // len(block)):
            f.write(block)
    big = directory / "lines1m"
    big_line = b"y" * ((1 << 20) - 1) + b"\n"
    with big.open("wb") as f:
        for _ in range(size // len(big_line)):
            f.write(big_line)
    small_lines = small.stat().st_size // 100
    big_lines = big.stat().st_size // (1 << 20)
    # 1 MiB - 1 bytes and a newline: 63 partials of 16 KiB and a last one of 16383 bytes
    return {"100-byte lines": (small, small_lines), "1 MiB lines": (big, big_lines * 64)}


def count_entries(path: Path) -> int:
    with path.open("rb") as f:
        return sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 22), b""))


class Ours:
    """Containers through our own containerd; copier + json-file in this process."""

    def __init__(self, base: Path, rootfs: Path) -> None:
        self.base = base
        self.rootfs = rootfs

    async def run_container(self, client: Client, data: Path, expected: int) -> float:
        cid = "bench-" + uuid.uuid4().hex[:12]
        spec = runtime_spec(cid, ["cat", f"/data/{data.name}"], root=str(self.rootfs), cgroup_parent=CGROUP_PARENT)
        spec["mounts"].append(
            {"destination": "/data", "type": "bind", "source": str(data.parent), "options": ["rbind", "ro"]}
        )
        log_path = self.base / f"{cid}-json.log"
        await client.create_container(cid, spec)
        try:
            async with FifoSet.create(self.base / "fifo", cid) as fifos:
                if fifos.stdout is None or fifos.stderr is None:
                    raise RuntimeError("the FIFO set has no stdout or stderr")
                driver = new_logger("json-file", LogInfo(container_id=cid, log_path=str(log_path)))
                streams = StreamConfig()
                copier = Copier({"stdout": fifos.stdout, "stderr": fifos.stderr}, driver, tees=streams.tees())
                start = time.perf_counter()
                async with anyio.create_task_group() as tg:
                    tg.start_soon(copier.run)
                    await client.create_task(cid, stdio=fifos.paths)
                    await client.start_task(cid)
                    await client.wait(cid)
                await driver.close()
                elapsed = time.perf_counter() - start
                await client.delete_task(cid)
        finally:
            await client.delete_container(cid)
        got = count_entries(log_path)
        log_path.unlink()
        if got != expected:
            raise RuntimeError(f"our log has {got} entries, expected {expected}")
        return elapsed

    async def in_process(self, data: Path, expected: int) -> float:
        fifo = self.base / "inproc.fifo"
        os.mkfifo(fifo)
        log_path = self.base / "inproc-json.log"
        try:
            reader = FifoReader(fifo)
            driver = new_logger("json-file", LogInfo(container_id="inproc", log_path=str(log_path)))
            start = time.perf_counter()
            async with await anyio.open_process(["sh", "-c", f"cat {data} > {fifo}"]) as writer:
                await Copier({"stdout": reader}, driver, tees=StreamConfig().tees()).run()
                await driver.close()
                elapsed = time.perf_counter() - start
                await writer.wait()
            await reader.aclose()
        finally:
            fifo.unlink()
        got = count_entries(log_path)
        log_path.unlink()
        if got != expected:
            raise RuntimeError(f"in-process log has {got} entries, expected {expected}")
        return elapsed


def theirs_run(dockerd: object, data: Path, expected: int) -> float:
    docker = dockerd.docker  # type: ignore[attr-defined]
    cid = (
        docker(
            "create",
            "--log-driver",
            "json-file",
            "-v",
            f"{data.parent}:/data:ro",
            "busybox",
            "cat",
            f"/data/{data.name}",
        )
        .stdout.decode()
        .strip()
    )
    try:
        start = time.perf_counter()
        docker("start", cid)
        docker("wait", cid)
        elapsed = time.perf_counter() - start
        log_path = Path(docker("inspect", "--format", "{{.LogPath}}", cid).stdout.decode().strip())
        got = count_entries(log_path)
        if got != expected:
            raise RuntimeError(f"dockerd's log has {got} entries, expected {expected}")
    finally:
        docker("rm", "-f", cid, check=False)
    return elapsed


def run(quick: bool, session: Session | None = None) -> list[Comparison]:
    """Measure ours and dockerd alternately; see the module docstring."""
    size = (8 if quick else 256) << 20
    runs = 1 if quick else 3
    work = Path(tempfile.mkdtemp(prefix="pmbl-", dir="/tmp"))
    comparisons: list[Comparison] = []
    inputs = make_data(work / "data", size)
    rootfs = make_busybox_rootfs(work / "rootfs")
    ours = Ours(work, rootfs)
    config = SupervisorConfig(root=work / "ctd-root", state=work / "ctd-run", log_level="warn")
    try:
        with using(session, quick) as s:
            dockerd = s.dockerd

            async def main() -> None:
                async with (
                    Supervisor(config) as supervisor,
                    await Client.connect(supervisor.address, namespace="pymoby-bench") as client,
                ):
                    for name, (data, expected) in inputs.items():
                        mb = data.stat().st_size / 1e6
                        e2e = Comparison(
                            f"{mb:.0f} MB of {name}: container -> json-file", "MB/s", "dockerd", higher_is_better=True
                        )
                        inproc = Comparison(
                            f"{mb:.0f} MB of {name}: copier + json-file in-process (FIFO from cat)",
                            "MB/s",
                            "dockerd end to end",
                            higher_is_better=True,
                            note="ours without containerd; theirs is the end-to-end figure",
                        )

                        def ours_sample(data: Path = data, expected: int = expected, mb: float = mb) -> float:
                            return mb / anyio.from_thread.run(ours.run_container, client, data, expected)

                        def theirs_sample(data: Path = data, expected: int = expected, mb: float = mb) -> float:
                            return mb / theirs_run(dockerd, data, expected)

                        def inproc_sample(data: Path = data, expected: int = expected, mb: float = mb) -> float:
                            return mb / anyio.from_thread.run(ours.in_process, data, expected)

                        await anyio.to_thread.run_sync(alternate, e2e, ours_sample, theirs_sample, runs)
                        for _ in range(runs):
                            inproc.ours.append(await anyio.to_thread.run_sync(inproc_sample))
                        inproc.theirs = list(e2e.theirs)
                        comparisons.extend([e2e, inproc])

            anyio.run(main)
    finally:
        kill_shims(str(config.address))
        unmount_under(work)
        remove_cgroup_parent(CGROUP_PARENT)
        shutil.rmtree(work, ignore_errors=True)
    return comparisons
