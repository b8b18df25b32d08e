"""Test images built from Debian's busybox-static (there is no Docker Hub here)."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import tarfile
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


IMAGE_CREATED = "2024-01-01T00:00:00Z"
IMAGE_ENV = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]


def _reproducible(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.mtime = 1704067200  # IMAGE_CREATED
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def rootfs_layer_tar(root: Path) -> bytes:
    """An uncompressed, reproducible tar of ``root`` (sorted, fixed times and owners)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(root.rglob("*")):
            tar.add(path, arcname=str(path.relative_to(root)), recursive=False, filter=_reproducible)
    return buffer.getvalue()


def image_config(diff_ids: list[str], cmd: list[str] | None = None, **config: object) -> dict[str, object]:
    """An image config (Docker/OCI) for a linux/amd64 image with these layers."""
    return {
        "architecture": "amd64",
        "os": "linux",
        "created": IMAGE_CREATED,
        "config": {"Env": IMAGE_ENV, "Cmd": cmd or ["sh"], **config},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": IMAGE_CREATED, "created_by": f"layer {i}"} for i in range(len(diff_ids))],
    }


def write_docker_archive(
    out: Path, layers: list[bytes], tags: list[str], config: dict[str, object] | None = None
) -> str:
    """Write a ``docker save`` archive of one image and return its image ID.

    ``layers`` are uncompressed layer tars, bottom first; ``tags`` are the
    RepoTags (``name:tag``). The format is what ``docker load`` reads:
    manifest.json, the config as ``<hex>.json``, ``<hex>/layer.tar`` and the
    legacy ``repositories`` file.
    """
    diff_ids = ["sha256:" + hashlib.sha256(layer).hexdigest() for layer in layers]
    config_bytes = json.dumps(config or image_config(diff_ids), separators=(",", ":")).encode()
    image_hex = hashlib.sha256(config_bytes).hexdigest()
    members: dict[str, bytes] = {f"{image_hex}.json": config_bytes}
    layer_paths = []
    for diff_id, layer in zip(diff_ids, layers, strict=True):
        directory = diff_id.removeprefix("sha256:")
        members[f"{directory}/VERSION"] = b"1.0"
        members[f"{directory}/layer.tar"] = layer
        layer_paths.append(f"{directory}/layer.tar")
    manifest = [{"Config": f"{image_hex}.json", "RepoTags": tags, "Layers": layer_paths}]
    members["manifest.json"] = json.dumps(manifest).encode()
    repositories: dict[str, dict[str, str]] = {}
    for tag in tags:
        name, _, version = tag.rpartition(":")
        repositories.setdefault(name, {})[version] = layer_paths[-1].split("/")[0]
    members["repositories"] = json.dumps(repositories).encode()
    with tarfile.open(out, "w") as tar:
        for name, data in members.items():
            info = _reproducible(tarfile.TarInfo(name))
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return "sha256:" + image_hex


def busybox_image_archive(out: Path, work: Path, tags: list[str] | None = None) -> str:
    """Write a one-layer busybox image as a ``docker save`` archive; return its ID."""
    layer = rootfs_layer_tar(make_busybox_rootfs(work / "busybox-rootfs"))
    return write_docker_archive(out, [layer], tags or ["busybox:latest"])
