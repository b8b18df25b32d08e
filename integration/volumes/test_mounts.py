"""Container mounts on the real kernel: runc runs busybox with the mounts ``ContainerMounts.start`` gives;
sub-paths, propagation checks, and nothing left mounted after a daemon that died."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from .conftest import ControlError, Volumed

pytestmark = pytest.mark.root


def runc_run(bundle: Path, rootfs: Path, mounts: list[dict[str, Any]], script: str, propagation: str = "") -> str:
    """Run ``sh -c script`` in busybox with ``mounts`` under runc; its output."""
    bundle.mkdir(parents=True, exist_ok=True)
    subprocess.run(["runc", "spec"], cwd=bundle, check=True)
    config = json.loads((bundle / "config.json").read_text())
    config["root"] = {"path": str(rootfs), "readonly": False}
    config["process"]["terminal"] = False
    config["process"]["args"] = ["/bin/sh", "-c", script]
    config["mounts"] += mounts
    if propagation:
        config["linux"]["rootfsPropagation"] = propagation
    (bundle / "config.json").write_text(json.dumps(config))
    name = f"pmv-{uuid.uuid4().hex[:12]}"
    try:
        result = subprocess.run(
            ["runc", "--root", str(bundle / "state"), "run", "-b", str(bundle), name],
            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    finally:
        subprocess.run(
            ["runc", "--root", str(bundle / "state"), "delete", "-f", name], capture_output=True, check=False
        )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_container_sees_its_volumes_binds_and_tmpfs(volumed: Volumed, rootfs: Path) -> None:
    (rootfs / "srv" / "www").mkdir(parents=True)
    (rootfs / "srv" / "www" / "index.html").write_text("from the image\n")
    host = volumed.base / "host"
    host.mkdir()
    (host / "ro.txt").write_text("read only\n")
    volumed.create_container(
        "web",
        rootfs,
        HostConfig={
            "Binds": ["site:/srv/www", f"{host}:/host:ro", "/scratch-anon"],
            "Mounts": [{"Type": "tmpfs", "Target": "/t", "TmpfsOptions": {"SizeBytes": 1048576, "Mode": 448}}],
            "Tmpfs": {"/run": "size=64k"},
        },
    )
    started = volumed.control("POST", "/_test/containers/web/start")
    script = (
        "cat /srv/www/index.html; echo new > /srv/www/written; "
        "cat /host/ro.txt; (echo x > /host/nope) 2>/dev/null || echo host-is-read-only; "
        "stat -c %a /t; grep ' /t ' /proc/mounts | grep -o 'size=[0-9a-z]*'; grep -c ' /run tmpfs' /proc/mounts"
    )
    out = runc_run(volumed.base / "bundle", rootfs, started["mounts"], script)
    assert out.split("\n")[:6] == ["from the image", "read only", "host-is-read-only", "700", "size=1024k", "1"]
    (site,) = json.loads(volumed.docker("volume", "inspect", "site").stdout)
    assert Path(site["Mountpoint"], "written").read_text() == "new\n"
    volumed.control("POST", "/_test/containers/web/stop")


def test_volume_subpath_is_mounted_safely(volumed: Volumed, rootfs: Path) -> None:
    volumed.docker("volume", "create", "shared")
    (data,) = json.loads(volumed.docker("volume", "inspect", "shared").stdout)
    Path(data["Mountpoint"], "app1").mkdir()
    Path(data["Mountpoint"], "app1", "cfg").write_text("app1 config\n")
    os.symlink("/", Path(data["Mountpoint"], "evil"))
    volumed.create_container("good", rootfs, HostConfig={"Mounts": [
        {"Type": "volume", "Source": "shared", "Target": "/cfg", "VolumeOptions": {"Subpath": "app1"}},
    ]})  # fmt: skip
    started = volumed.control("POST", "/_test/containers/good/start")
    (mount,) = [m for m in started["mounts"] if m["destination"] == "/cfg"]
    assert mount["source"].startswith(str(volumed.base / "exec" / "volume-mounts"))
    assert not volumed.mounted_under(volumed.base / "exec" / "volume-mounts")  # released once the task holds it
    volumed.create_container("bad", rootfs, HostConfig={"Mounts": [
        {"Type": "volume", "Source": "shared", "Target": "/cfg", "VolumeOptions": {"Subpath": "evil/etc"}},
    ]})  # fmt: skip
    with pytest.raises(ControlError) as caught:
        volumed.control("POST", "/_test/containers/bad/start")
    assert caught.value.status == 404
    assert (
        caught.value.message == f"cannot access path {data['Mountpoint']}/evil/etc: Too many levels of symbolic links"
    )
    volumed.control("POST", "/_test/containers/good/stop")


def test_image_content_fills_a_new_volume(volumed: Volumed, rootfs: Path) -> None:
    volumed.create_container("web", rootfs, Volumes=["/etc"])
    volumed.control("POST", "/_test/containers/web/start")
    (name,) = volumed.docker("volume", "ls", "-q").stdout.split()
    (info,) = json.loads(volumed.docker("volume", "inspect", name).stdout)
    assert Path(info["Mountpoint"], "passwd").read_bytes() == (rootfs / "etc" / "passwd").read_bytes()
    volumed.control("POST", "/_test/containers/web/stop")


def test_shared_propagation_needs_a_shared_source(volumed: Volumed, rootfs: Path) -> None:
    private = volumed.base / "private-mount"
    private.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(private)], check=True)
    try:
        subprocess.run(["mount", "--make-private", str(private)], check=True)
        volumed.create_container("web", rootfs, HostConfig={"Binds": [f"{private}:/p:rshared"]})
        with pytest.raises(ControlError) as caught:
            volumed.control("POST", "/_test/containers/web/start")
        assert caught.value.message == f"path {private} is mounted on {private} but it is not a shared mount"
        subprocess.run(["mount", "--make-shared", str(private)], check=True)
        started = volumed.control("POST", "/_test/containers/web/start")
        assert started["rootfsPropagation"] == "shared"
        (mount,) = [m for m in started["mounts"] if m["destination"] == "/p"]
        assert mount["options"] == ["rbind", "rshared"]
    finally:
        subprocess.run(["umount", str(private)], check=True)


def test_mounts_left_by_a_dead_daemon_are_cleaned_at_start(volumed: Volumed) -> None:
    volumed.docker("volume", "create", "-o", "type=tmpfs", "-o", "device=tmpfs", "-o", "o=size=1m", "tmpvol")
    (info,) = json.loads(volumed.docker("volume", "inspect", "tmpvol").stdout)
    leftover = volumed.base / "exec" / "volume-mounts" / "safe-mount-left"
    leftover.mkdir(parents=True)
    volumed.stop(9)  # as if it crashed while a container used them
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", info["Mountpoint"]], check=True)
    subprocess.run(["mount", "--bind", str(volumed.base), str(leftover)], check=True)
    volumed.start()
    assert volumed.mounted_under(Path(info["Mountpoint"])) == []
    assert volumed.mounted_under(volumed.base / "exec") == []
    assert not leftover.exists()
