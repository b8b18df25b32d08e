"""``docker cp``: pymoby's archive functions against GNU tar, and ``docker cp`` against dockerd, in one run.

The data: a directory of mixed file sizes, random bytes (nothing compresses):
one 200 MB file, 20 of 10 MB, 1,000 of 100 KB and 5,000 of 2 to 8 KB,
about 525 MB in 6,021 files (quick mode: a fiftieth of each, one sample).

1. Tar out: ``get_archive`` of the directory inside a container root,
   streamed to a pipe, against ``tar -cf - | cat`` of the same directory.
2. Extract in: ``put_archive`` of the directory's tar into an empty
   directory of the container, against ``tar -xf`` (as root: owners kept).
3. ``docker cp`` out of and into a container, the docker 28 CLI both
   times: against pymobyd (a created busybox container on overlay2) and
   against Debian's dockerd 20.10 (the same), the two of the side-by-side
   session.

Each sample starts from a fresh destination; deleting it is not timed.
Ours runs in this process (as in the daemon, the modules are loaded once).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from harness import Comparison, alternate, timed

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "integration"))

from sidebyside import Session, using  # noqa: E402
from support.images import make_busybox_rootfs  # noqa: E402

from pymoby.daemon.archive import get_archive, put_archive  # noqa: E402


def _make_data(target: Path, scale: int) -> int:
    """The mixed tree; its size in bytes."""
    total = 0
    target.mkdir(parents=True)
    plan = [("huge", 1, 200 << 20), ("big", 20 // scale, 10 << 20), ("medium", 1000 // scale, 100 << 10)]
    for kind, count, size in plan:
        size = size // scale if kind == "huge" else size
        directory = target / kind
        directory.mkdir()
        for i in range(count):
            (directory / f"{kind}-{i:05d}.bin").write_bytes(os.urandom(size))
            total += size
    small = target / "small"
    for i in range(5000 // scale):
        sub = small / f"d{i // 100:03d}"
        sub.mkdir(parents=True, exist_ok=True)
        size = 2048 + (i * 61) % 6144
        (sub / f"s{i:05d}.txt").write_bytes(os.urandom(size))
        total += size
    return total


def _ours_out(root: Path) -> None:
    """get_archive of /dataset written into a pipe that ``cat`` drains."""
    consumer = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    assert consumer.stdin is not None
    fd = consumer.stdin.fileno()
    _, chunks = get_archive(root, [], "/dataset")
    for chunk in chunks:
        view = memoryview(chunk)
        while view:
            view = view[os.write(fd, view) :]
    consumer.stdin.close()
    if consumer.wait() != 0:
        raise RuntimeError("cat failed")


def _theirs_out(root: Path) -> None:
    producer = subprocess.Popen(["tar", "-cf", "-", "-C", str(root), "dataset"], stdout=subprocess.PIPE)
    consumer = subprocess.Popen(["cat"], stdin=producer.stdout, stdout=subprocess.DEVNULL)
    assert producer.stdout is not None
    producer.stdout.close()
    if producer.wait() != 0 or consumer.wait() != 0:
        raise RuntimeError("tar | cat failed")


def _ours_in(target: Path, tar_file: Path) -> None:
    with tar_file.open("rb", buffering=0) as source:
        put_archive(target, [], "/", lambda: source.read(1 << 20))


class _Fresh:
    """Numbered destinations, removed (untimed) after each sample."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.count = 0

    def next(self, prefix: str) -> Path:
        self.count += 1
        path = self.work / f"{prefix}-{self.count}"
        path.mkdir(parents=True)
        return path


def _docker(host: Path, *args: str) -> None:
    env = dict(os.environ, DOCKER_HOST=f"unix://{host}")
    env.pop("DOCKER_CONTEXT", None)
    subprocess.run(["docker", *args], env=env, check=True, capture_output=True)


def run(quick: bool, session: Session | None = None) -> list[Comparison]:
    """Measure the three pairs; see the module docstring."""
    if os.geteuid() != 0:
        raise RuntimeError("bench_cp needs root (owners kept on extraction; dockerd)")
    scale = 50 if quick else 1
    runs = 1 if quick else 5
    base = Path(tempfile.mkdtemp(prefix="bcp-", dir="/tmp"))
    comparisons: list[Comparison] = []
    daemons = contextlib.ExitStack()
    s = None
    try:
        root = make_busybox_rootfs(base / "rootfs")
        size = _make_data(root / "dataset", scale)
        note = f"{size / 1e6:.0f} MB in {sum(len(f) for _, _, f in os.walk(root / 'dataset'))} files"
        tar_file = base / "dataset.tar"
        subprocess.run(["tar", "-cf", str(tar_file), "-C", str(root), "dataset"], check=True)
        fresh = _Fresh(base / "out")

        out = Comparison("tar out of a container dir", "s", "GNU tar -c | cat", note=note)
        alternate(out, lambda: timed(lambda: _ours_out(root)), lambda: timed(lambda: _theirs_out(root)), runs)
        comparisons.append(out)

        def ours_in() -> float:
            target = fresh.next("in")  # an empty container root; extract at its "/"
            elapsed = timed(lambda: _ours_in(target, tar_file))
            shutil.rmtree(target)
            return elapsed

        def theirs_in() -> float:
            target = fresh.next("tar")
            elapsed = timed(lambda: subprocess.run(["tar", "-xf", str(tar_file), "-C", str(target)], check=True))
            shutil.rmtree(target)
            return elapsed

        extract = Comparison("extract into a container dir", "s", "GNU tar -x", note=note)
        alternate(extract, ours_in, theirs_in, runs)
        comparisons.append(extract)

        s = daemons.enter_context(using(session, quick))
        dockerd = s.dockerd
        sock = s.pymobyd.socket
        s.pymobyd.docker("create", "--network", "none", "--name", "web", "busybox", "true")
        s.pymobyd.docker("cp", str(root / "dataset"), "web:/")
        dockerd.docker("create", "--network", "none", "--name", "web", "busybox", "true")
        dockerd.docker("cp", str(root / "dataset"), "web:/")

        def cp_out(host: Path) -> float:
            target = fresh.next("cp")
            elapsed = timed(lambda: _docker(host, "cp", "web:/dataset", str(target)))
            shutil.rmtree(target)
            return elapsed

        cp_from = Comparison("docker cp out of a container", "s", "dockerd 20.10", note=note)
        alternate(cp_from, lambda: cp_out(sock), lambda: cp_out(dockerd.socket), runs)
        comparisons.append(cp_from)

        def cp_in(host: Path, name: str) -> float:
            elapsed = timed(lambda: _docker(host, "cp", str(root / "dataset"), f"web:/{name}"))
            return elapsed

        counter = iter(range(1_000_000))

        def ours_cp_in() -> float:
            name = f"in-{next(counter)}"
            elapsed = cp_in(sock, name)
            # an empty container again (untimed)
            s.pymobyd.docker("rm", "-f", "web")
            s.pymobyd.docker("create", "--network", "none", "--name", "web", "busybox", "true")
            return elapsed

        def theirs_cp_in() -> float:
            name = f"in-{next(counter)}"
            elapsed = cp_in(dockerd.socket, name)
            # remove it inside dockerd's overlay upper directory (untimed), the container never runs
            for upper in (dockerd.base / "root" / "overlay2").glob(f"*/diff/{name}"):
                shutil.rmtree(upper)
            return elapsed

        cp_to = Comparison("docker cp into a container", "s", "dockerd 20.10", note=note)
        alternate(cp_to, ours_cp_in, theirs_cp_in, runs)
        comparisons.append(cp_to)
        return comparisons
    finally:
        if s is not None:
            for daemon in (s.pymobyd, s.dockerd):
                daemon.docker("rm", "-f", "web", check=False)
        daemons.close()
        subprocess.run(["umount", "-R", "-l", str(base)], capture_output=True, check=False)
        shutil.rmtree(base, ignore_errors=True)
