"""A small container root file system, a volume, a bind source, and a host file that must stay untouched."""

from __future__ import annotations

import io
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from pymoby.daemon.archive import FSMount

PASSWD = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001:app:/home/app:/bin/sh\n"
GROUP = "root:x:0:\napp:x:1001:\nstaff:x:50:\n"


@dataclass
class Tree:
    """The paths of one test: ``root`` is the container's ``/``."""

    base: Path
    root: Path
    volume: Path
    bind: Path
    host_secret: Path

    def mounts(self, *, volume_ro: bool = False) -> list[FSMount]:
        return [
            FSMount("/data", str(self.volume), read_only=volume_ro),
            FSMount("/etc/app.conf", str(self.bind / "app.conf")),
            FSMount("/scratch", tmpfs=True),
        ]


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    root = tmp_path / "rootfs"
    for d in ("bin", "etc", "tmp", "var", "home/app", "usr/share/doc"):
        (root / d).mkdir(parents=True)
    (root / "etc/passwd").write_text(PASSWD)
    (root / "etc/group").write_text(GROUP)
    (root / "bin/tool").write_bytes(b"#!/bin/sh\necho tool\n")
    (root / "bin/tool").chmod(0o755)
    (root / "usr/share/doc/readme").write_text("read me\n")
    os.link(root / "usr/share/doc/readme", root / "usr/share/doc/hardlink")
    os.symlink("/usr/share/doc", root / "docs")  # absolute, inside the container
    os.symlink("../usr/share/doc/readme", root / "tmp/rel-link")
    os.symlink("/", root / "rootlink")  # "/" of the container, never of the host
    os.symlink("../../../../../../../..", root / "tmp/up")  # climbs past the root: stops at it
    os.symlink("/run", root / "var/run")
    os.symlink("loop2", root / "tmp/loop1")
    os.symlink("loop1", root / "tmp/loop2")
    volume = tmp_path / "volume"
    (volume / "sub").mkdir(parents=True)
    (volume / "in-volume.txt").write_text("volume data\n")
    (volume / "sub/deep.txt").write_text("deep\n")
    bind = tmp_path / "bind"
    bind.mkdir()
    (bind / "app.conf").write_text("setting=1\n")
    secret = tmp_path / "host-secret"
    secret.write_text("host only\n")
    return Tree(tmp_path, root, volume, bind, secret)


def make_tar(*members: tuple[str, bytes | str | None], fmt: int = tarfile.PAX_FORMAT, **kind: str) -> bytes:
    """A tar of ``(name, content)``: bytes make a file, a str starting with ``->`` a symlink, ``None`` a directory."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
        for name, content in members:
            info = tarfile.TarInfo(name)
            info.mtime = 1_700_000_000
            if content is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o750
                tar.addfile(info)
            elif isinstance(content, str) and content.startswith("->"):
                info.type = tarfile.SYMTYPE
                info.linkname = content[2:]
                tar.addfile(info)
            elif isinstance(content, str) and content.startswith("=>"):
                info.type = tarfile.LNKTYPE
                info.linkname = content[2:]
                info.mode = 0o640  # a hardlink header carries its file's mode and owner
                info.uid, info.gid = 123, 456
                tar.addfile(info)
            else:
                data = content.encode() if isinstance(content, str) else content
                info.size = len(data)
                info.mode = 0o640
                info.uid, info.gid = 123, 456
                tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def feeder(data: bytes, chunk: int = 7000) -> object:
    """A ``receive()`` handing ``data`` out in chunks, then ``b""``."""
    pieces = [data[i : i + chunk] for i in range(0, len(data), chunk)]
    pieces.reverse()
    return lambda: pieces.pop() if pieces else b""
