"""The two-thread apply: ownership and modes where the writer skips calls, ordering, errors, large files."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest

from pymoby.layer import InvalidTar, UnsafeTarEntry, WhiteoutFormat, apply_tar
from pymoby.layer.testing import TarItem, build_tar

pytestmark = pytest.mark.root


def _apply(items: list[TarItem], dest: Path) -> None:
    apply_tar(io.BytesIO(build_tar(items)), dest, whiteouts=WhiteoutFormat.DELETE, privileged=True)


def test_owners_and_modes_are_exact_whichever_calls_are_skipped(tmp_path: Path) -> None:
    _apply(
        [
            TarItem("plain", data=b"a", mode=0o644),
            TarItem("open", data=b"b", mode=0o666),  # the umask would clear bits: fchmod
            TarItem("suid", data=b"c", mode=0o4755),
            TarItem("user", data=b"d", mode=0o600, uid=1000, gid=1001),
            TarItem("shared", b"5", mode=0o2775, gid=50),
            TarItem("shared/inherits", data=b"e", mode=0o644),  # created in a setgid directory of group 50
        ],
        tmp_path,
    )
    expected = {
        "plain": (0o644, 0, 0),
        "open": (0o666, 0, 0),
        "suid": (0o4755, 0, 0),
        "user": (0o600, 1000, 1001),
        "shared/inherits": (0o644, 0, 0),
    }
    for name, (mode, uid, gid) in expected.items():
        st = os.lstat(tmp_path / name)
        assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == (mode, uid, gid), name


def test_many_files_large_files_and_whiteouts_keep_tar_order(tmp_path: Path) -> None:
    items = [TarItem(f"d/f{i:04d}", data=b"x" * (i % 300)) for i in range(1000)]
    items += [TarItem("d/big", data=os.urandom(3 << 20))]  # streamed, after the queued small files
    items += [TarItem("d/.wh.f0001"), TarItem("d/f0002", data=b"replaced")]
    _apply([TarItem("d", b"5", mode=0o755), *items], tmp_path)
    assert not (tmp_path / "d" / "f0001").exists()
    assert (tmp_path / "d" / "f0002").read_bytes() == b"replaced"
    assert (tmp_path / "d" / "f0999").read_bytes() == b"x" * (999 % 300)
    assert (tmp_path / "d" / "big").stat().st_size == 3 << 20
    assert len(os.listdir(tmp_path / "d")) == 1000  # f0000..f0999 but f0001, plus big


def test_an_error_after_queued_files_leaves_them_written_and_raises(tmp_path: Path) -> None:
    with pytest.raises(UnsafeTarEntry):
        _apply([TarItem("first", data=b"1"), TarItem("../escape", data=b"x")], tmp_path)
    assert (tmp_path / "first").read_bytes() == b"1"
    cut = tmp_path / "cut"
    cut.mkdir()
    with pytest.raises(InvalidTar):
        apply_tar(io.BytesIO(build_tar([TarItem("a", data=b"a" * 10)])[:700]), cut)
