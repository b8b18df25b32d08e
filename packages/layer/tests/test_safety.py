"""Malicious layer tars are refused, and nothing is ever written outside the layer."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import pytest

from pymoby.layer import DeviceNotPermitted, InvalidTar, UnsafeTarEntry, WhiteoutFormat, apply_tar
from pymoby.layer.testing import TarItem, build_tar


@pytest.fixture
def jail(tmp_path: Path) -> Path:
    """A layer directory inside a parent that must stay untouched."""
    (tmp_path / "outside").write_text("precious")
    layer = tmp_path / "layer"
    layer.mkdir()
    return layer


def _apply(tar: bytes, dest: Path, privileged: bool = False) -> None:
    apply_tar(io.BytesIO(tar), dest, whiteouts=WhiteoutFormat.DELETE, privileged=privileged)


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([TarItem("../outside", data=b"pwned")], "outside of the layer"),
        ([TarItem("a/../../outside", data=b"pwned")], "outside of the layer"),
        ([TarItem("/etc/passwd", data=b"pwned")], "absolute paths"),
        ([TarItem("esc", b"2", linkname="../outside")], "invalid symlink"),
        ([TarItem("d", b"5"), TarItem("d/esc", b"2", linkname="../../../../etc")], "invalid symlink"),
        ([TarItem("hl", b"1", linkname="../outside")], "invalid hardlink"),
        ([TarItem("hl", b"1", linkname="/etc/passwd")], "invalid hardlink"),
        ([TarItem(".wh.x/../../outside")], "outside of the layer"),
    ],
    ids=[
        "dotdot",
        "nested-dotdot",
        "absolute",
        "symlink",
        "nested-symlink",
        "hardlink",
        "hardlink-absolute",
        "whiteout",
    ],
)
def test_escaping_entries_are_refused(jail: Path, items: list[TarItem], message: str) -> None:
    with pytest.raises(UnsafeTarEntry, match=message):
        _apply(build_tar(items), jail)
    assert (jail.parent / "outside").read_text() == "precious"


def test_writes_through_a_symlink_stay_inside_the_layer(jail: Path) -> None:
    tar = build_tar(
        [
            TarItem("root", b"2", linkname="/"),
            TarItem("d", b"5"),
            TarItem("d/up", b"2", linkname=".."),
            TarItem("d/up2", b"2", linkname="up/.."),
            TarItem("root/outside", data=b"inside-1"),
            TarItem("d/up2/outside2", data=b"inside-2"),
        ]
    )
    _apply(tar, jail)
    assert (jail.parent / "outside").read_text() == "precious"
    assert not (jail.parent / "outside2").exists()
    assert (jail / "outside").read_bytes() == b"inside-1"
    assert (jail / "outside2").read_bytes() == b"inside-2"


def test_a_hardlink_to_a_symlink_links_the_symlink_itself(jail: Path) -> None:
    tar = build_tar([TarItem("s", b"2", linkname="/etc/passwd"), TarItem("h", b"1", linkname="s")])
    _apply(tar, jail)
    assert os.readlink(jail / "h") == "/etc/passwd"
    assert os.stat(jail / "h", follow_symlinks=False).st_ino == os.stat(jail / "s", follow_symlinks=False).st_ino


def test_a_hardlink_to_a_missing_file_is_refused(jail: Path) -> None:
    with pytest.raises(InvalidTar, match="not in the layer"):
        _apply(build_tar([TarItem("h", b"1", linkname="missing")]), jail)


@pytest.mark.parametrize("kind", [b"3", b"4"])
def test_devices_are_refused_without_privilege(jail: Path, kind: bytes) -> None:
    with pytest.raises(DeviceNotPermitted, match="needs root"):
        _apply(build_tar([TarItem("sda", kind, devmajor=8, devminor=0)]), jail, privileged=False)
    assert not (jail / "sda").exists()


def test_fifos_need_no_privilege(jail: Path) -> None:
    _apply(build_tar([TarItem("pipe", b"6")]), jail, privileged=False)
    assert (jail / "pipe").is_fifo()


@pytest.mark.root
def test_devices_are_refused_to_a_non_root_process() -> None:
    tar = build_tar([TarItem("ok", data=b"x"), TarItem("sda", b"3", devmajor=8, devminor=0)])
    # pytest's tmp_path is private to root: use a directory an unprivileged user can reach.
    with tempfile.TemporaryDirectory(prefix="pymoby-layer-") as top:
        os.chmod(top, 0o755)
        jail = Path(top) / "layer"
        jail.mkdir()
        os.chown(jail, 65534, 65534)
        _apply_as_nobody(tar, jail)


def _apply_as_nobody(tar: bytes, jail: Path) -> None:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child drops root, then applies the tar with the default privilege check
        code = 1
        try:
            os.close(read)
            os.setgid(65534)
            os.setuid(65534)
            try:
                apply_tar(io.BytesIO(tar), jail)
            except DeviceNotPermitted as exc:
                os.write(write, str(exc).encode())
                code = 0
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        message = pipe.read().decode()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert "needs root" in message
    assert (jail / "ok").read_bytes() == b"x"
    assert not (jail / "sda").exists()


def test_a_file_replacing_a_directory_removes_the_directory(jail: Path) -> None:
    _apply(build_tar([TarItem("d", b"5"), TarItem("d/x", data=b"1"), TarItem("d", data=b"file now")]), jail)
    assert (jail / "d").read_bytes() == b"file now"


def test_garbage_is_not_a_tar(jail: Path) -> None:
    with pytest.raises(InvalidTar, match="invalid tar header"):
        _apply(b"this is not a tar archive at all" * 100, jail)
