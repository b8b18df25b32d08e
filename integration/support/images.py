"""Test images built from Debian's busybox-static (there is no Docker Hub here)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

BUSYBOX = "/bin/busybox"

PASSWD = (
    "root:x:0:0:root:/root:/bin/sh\n"
    "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
)
GROUP = "root:x:0:\ndaemon:x:1:\nnogroup:x:65534:\n"


def make_busybox_rootfs(root: Path) -> Path:
    """Write a minimal busybox root file system into ``root`` and return it.

    Debian's ``busybox-static`` is statically linked, so ``/bin/busybox`` and
    one symlink per applet make a complete user land.
    """
    if not Path(BUSYBOX).exists():
        raise FileNotFoundError("busybox-static is not installed: run tools/install-system-deps")
    for directory in ("bin", "etc", "dev", "proc", "sys", "tmp", "root", "var", "usr/bin", "usr/sbin", "sbin"):
        (root / directory).mkdir(parents=True, exist_ok=True)
    shutil.copy2(BUSYBOX, root / "bin" / "busybox")
    applets = subprocess.run([BUSYBOX, "--list-full"], check=True, capture_output=True, text=True).stdout.split()
    for applet in applets:
        link = root / applet
        if applet == "bin/busybox" or link.is_symlink() or link.exists():
            continue
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to("/bin/busybox")
    (root / "etc" / "passwd").write_text(PASSWD)
    (root / "etc" / "group").write_text(GROUP)
    (root / "tmp").chmod(0o1777)
    return root
