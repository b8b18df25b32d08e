"""Applying layers: pymoby's layer store against GNU ``tar -x`` of the same tar, in the same run.

Two layers: 20,000 small files in 200 directories, and one 512 MB file of
random bytes (quick mode: 500 files and 16 MB). Ours is a full
``LayerStore.register`` on the vfs driver (decompression check, streaming
apply, diff ID hash, tar-split, metadata); theirs is ``tar -xf`` as root
(owners, modes and times kept, as ours does). Both write into fresh
directories of one fresh ext4 file system (a loop device made for the run, so
that what other work on the machine deleted lately cannot slow down inode
allocation for one side: ext4 skips recently freed inodes), alternating,
each after a ``sync`` so that no sample pays for the previous one's
writeback; nothing is dropped from the page cache. Output trees are deleted
only at the end. Peak RSS of our side is measured in a child process and
reported in the note.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from harness import Comparison, alternate, timed

_OURS = """
import sys, time
from pathlib import Path
from pymoby.layer import LayerStore
store = LayerStore(Path(sys.argv[1]), "vfs")
start = time.perf_counter()
with open(sys.argv[2], "rb") as stream:
    layer = store.register(stream)
elapsed = time.perf_counter() - start
store.close()
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the (large) benchmark process that spawned us.
peak = next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(elapsed, peak, layer.diff_id)
"""


def _make_small(tar: Path, work: Path, files: int) -> None:
    src = work / "small-src"
    per_dir = 100
    for d in range(files // per_dir):
        directory = src / f"dir{d:04d}"
        directory.mkdir(parents=True)
        for f in range(per_dir):
            (directory / f"file{f:03d}.txt").write_bytes(os.urandom(100 + (d * 37 + f * 11) % 1900))
    subprocess.run(["tar", "-cf", str(tar), "-C", str(src), "."], check=True)
    shutil.rmtree(src)


def _make_large(tar: Path, work: Path, megabytes: int) -> None:
    src = work / "large-src"
    src.mkdir()
    with (src / "blob.bin").open("wb") as out:
        for _ in range(megabytes):
            out.write(os.urandom(1 << 20))
    subprocess.run(["tar", "-cf", str(tar), "-C", str(src), "."], check=True)
    shutil.rmtree(src)


class _Side:
    def __init__(self, work: Path, tar: Path) -> None:
        self.work = work
        self.tar = tar
        self.count = 0
        self.peak_kb = 0

    def ours(self) -> float:
        os.sync()
        self.count += 1
        root = self.work / f"ours-{self.count}"
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
        result = subprocess.run(
            [sys.executable, "-c", _OURS, str(root), str(self.tar)], check=True, capture_output=True, text=True, env=env
        )
        elapsed, peak, _ = result.stdout.split()
        self.peak_kb = max(self.peak_kb, int(peak))
        return float(elapsed)

    def theirs(self) -> float:
        self.count += 1
        dest = self.work / f"tar-{self.count}"
        dest.mkdir()
        os.sync()
        return timed(lambda: subprocess.run(["tar", "-xf", str(self.tar), "-C", str(dest)], check=True))


def _fresh_file_system(base: Path) -> tuple[Path, str]:
    """A new ext4 file system on a loop device, mounted under ``base``; or ``base`` itself if that fails."""
    image = base / "ext4.img"
    mountpoint = base / "fs"
    mountpoint.mkdir()
    with image.open("wb") as sparse:
        sparse.truncate(16 << 30)
    made = subprocess.run(
        ["mkfs.ext4", "-q", "-F", "-N", "600000", "-E", "lazy_itable_init=0,lazy_journal_init=0", str(image)],
        capture_output=True,
    )
    if made.returncode == 0 and subprocess.run(["mount", "-o", "loop", str(image), str(mountpoint)]).returncode == 0:
        return mountpoint, "on a fresh ext4 file system"
    return base, "in the temporary directory (no loop device for a fresh file system)"


def run(quick: bool) -> list[Comparison]:
    """Measure both layers; see the module docstring."""
    if os.geteuid() != 0:
        raise RuntimeError("bench_layer_apply needs root (ownership and device nodes, as in real use)")
    files = 500 if quick else 20_000
    megabytes = 16 if quick else 512
    runs = 1 if quick else 5
    # Both sides write under one temporary directory, so on the same file system.
    base = Path(tempfile.mkdtemp(prefix="bench-layer-"))
    comparisons = []
    target = base
    try:
        small_tar = base / "small.tar"
        _make_small(small_tar, base, files)
        large_tar = base / "large.tar"
        _make_large(large_tar, base, megabytes)
        target, where = _fresh_file_system(base)
        for label, tar in ((f"apply {files} small files", small_tar), (f"apply one {megabytes} MB file", large_tar)):
            side = _Side(target / label.replace(" ", "-"), tar)
            side.work.mkdir()
            comparison = Comparison(label, "s", "GNU tar -x")
            alternate(comparison, side.ours, side.theirs, runs)
            comparison.note = f"{where}; pymoby peak RSS {side.peak_kb / 1024:.0f} MB (register in a child process)"
            comparisons.append(comparison)
        return comparisons
    finally:
        if target != base:
            subprocess.run(["umount", str(target)], check=False)
        shutil.rmtree(base, ignore_errors=True)
