"""A register killed half way leaves no visible layer and no files once the store reopens."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pymoby.layer import LayerStore
from pymoby.layer.testing import TarItem, build_tar

_SLOW_REGISTER = """
import sys, time
from pymoby.layer import LayerStore

class Slow:
    def __init__(self, path):
        self.file = open(path, "rb")
    def read(self, n=-1):
        data = self.file.read(min(n, 4096) if n > 0 else 4096)
        if self.file.tell() > 40000:
            print("half", flush=True)
            time.sleep(60)
        return data

store = LayerStore(sys.argv[1], sys.argv[2])
store.register(Slow(sys.argv[3]))
"""


@pytest.mark.root
@pytest.mark.parametrize("driver", ["overlay2", "vfs"])
def test_a_killed_register_leaves_no_layer(tmp_path: Path, driver: str) -> None:
    tar = tmp_path / "layer.tar"
    tar.write_bytes(build_tar([TarItem(f"f{i}", data=b"x" * 1000) for i in range(100)]))
    root = tmp_path / "root"
    child = subprocess.Popen(
        [sys.executable, "-c", _SLOW_REGISTER, str(root), driver, str(tar)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        deadline = time.monotonic() + 30
        while child.stdout.readline().strip() != "half":
            assert time.monotonic() < deadline
            assert child.poll() is None
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        if child.stdout is not None:
            child.stdout.close()
    half_written = [p for p in (root / driver).rglob("f*") if p.is_file()]
    assert half_written, "the child should have been killed mid-apply"
    with LayerStore(root, driver) as store:
        assert store.layers() == []
        assert store.driver.ids() == []
        assert os.listdir(store.root / "tmp") == []
