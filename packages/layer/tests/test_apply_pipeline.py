"""The threaded apply: ownership and modes where the writers skip calls, tar order across writers, errors."""

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


def test_entries_that_need_the_tree_as_it_stands_come_after_what_the_writers_had(tmp_path: Path) -> None:
    items = [TarItem(f"d{n}", b"5", mode=0o755) for n in range(8)]
    items += [TarItem(f"d{n}/f{i}", data=b"old") for i in range(50) for n in range(8)]
    items += [
        TarItem("d0/f3", data=b"new"),  # the same name again: the later one wins
        TarItem("d1", data=b"a file now"),  # replaces a directory that files were just written into
        TarItem("t", b"5", mode=0o755),
        TarItem("a", b"2", linkname="t"),  # a symlink still queued...
        TarItem("a/inside", data=b"via the link"),  # ...then a path through it
        TarItem("d2/hard", b"1", linkname="d3/f49"),  # a hardlink to a file just queued
        TarItem("q", data=b"queued"),
        TarItem("q", b"5", mode=0o700),  # a directory replacing a queued file
        TarItem("q/f", data=b"in q"),
    ]
    _apply(items, tmp_path)
    assert (tmp_path / "d0" / "f3").read_bytes() == b"new"
    assert (tmp_path / "d1").read_bytes() == b"a file now"
    assert (tmp_path / "t" / "inside").read_bytes() == b"via the link"
    assert os.readlink(tmp_path / "a") == "t"
    assert os.stat(tmp_path / "d2" / "hard").st_ino == os.stat(tmp_path / "d3" / "f49").st_ino
    assert (tmp_path / "q" / "f").read_bytes() == b"in q"
    assert sorted(os.listdir(tmp_path / "d7")) == sorted(f"f{i}" for i in range(50))


def test_a_directory_entry_after_its_children_changes_what_later_files_inherit(tmp_path: Path) -> None:
    _apply(
        [
            TarItem("s", b"5", mode=0o2775, gid=50),
            TarItem("s/early", data=b"1", gid=50),  # inherits group 50: no chown needed
            TarItem("s", b"5", mode=0o755, gid=0),  # no longer setgid
            TarItem("s/late", data=b"2", gid=50),  # created with our group: must be chowned to 50
        ],
        tmp_path,
    )
    assert stat.S_IMODE(os.stat(tmp_path / "s").st_mode) == 0o755
    assert os.stat(tmp_path / "s" / "early").st_gid == 50
    assert os.stat(tmp_path / "s" / "late").st_gid == 50


def test_more_directories_than_descriptors_kept_and_files_over_a_lower_tree(tmp_path: Path) -> None:
    lower = [TarItem(f"p{n:04d}/old", data=b"lower") for n in range(1500)] + [TarItem("x/y/z", data=b"z")]
    _apply(lower, tmp_path)
    upper = [TarItem(f"p{n:04d}/old", data=b"upper") for n in range(1500)] + [TarItem("x", data=b"now a file")]
    _apply(upper, tmp_path)
    assert all((tmp_path / f"p{n:04d}" / "old").read_bytes() == b"upper" for n in range(1500))
    assert (tmp_path / "x").read_bytes() == b"now a file"


def test_a_file_replacing_a_directory_still_being_written_into(tmp_path: Path) -> None:
    # The directory's files go to one writer and the root's entries to the other: the file that
    # replaces the directory must wait until the directory's writer is done with it.
    items = [TarItem("busy", b"5", mode=0o755), *(TarItem(f"busy/f{i:04d}", data=b"x") for i in range(3000))]
    _apply([*items, TarItem("busy", data=b"a file now")], tmp_path)
    assert (tmp_path / "busy").read_bytes() == b"a file now"
