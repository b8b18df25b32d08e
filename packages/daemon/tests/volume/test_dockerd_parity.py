"""Our OCI mounts and inspect ``Mounts`` against what Debian's dockerd 20.10 produced for the same flags.

dockerd_mounts.json is recorded by integration/volumes/record_dockerd_mounts.py.
dockerd 20.10 predates recursive read-only binds, so we compare without
``rro``; each ``docker run`` flag is given as the docker CLI sends it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pymoby import api
from pymoby.daemon.volume import ContainerMounts, VolumeService

pytestmark = pytest.mark.anyio

RECORDED: dict[str, Any] = json.loads((Path(__file__).parent / "dockerd_mounts.json").read_text())


def request_for(flags: list[str], host: str) -> tuple[api.HostConfig, list[str]]:
    """HostConfig and Config.Volumes the docker CLI makes of ``flags``."""
    host_config = api.HostConfig()
    volumes: list[str] = []
    mounts: list[api.Mount] = []
    option, value = flags[0], flags[1].replace("<host>", host)
    if option == "-v":
        if ":" in value:
            host_config.binds = [value]
        else:
            volumes.append(value)
    elif option == "--tmpfs":
        target, _, data = value.partition(":")
        host_config.tmpfs = {target: data}
    else:
        fields = dict(item.partition("=")[::2] for item in value.split(","))
        mount = api.Mount(type=fields["type"], source=fields.get("source", ""), target=fields["target"])
        mount.read_only = "readonly" in fields
        if "bind-propagation" in fields:
            mount.bind_options = api.BindOptions(propagation=fields["bind-propagation"])
        if "volume-nocopy" in fields:
            mount.volume_options = api.VolumeOptions(no_copy=True)
        if "tmpfs-size" in fields:
            mode = int(fields.get("tmpfs-mode", "0"), 8)
            mount.tmpfs_options = api.TmpfsOptions(size_bytes=int(fields["tmpfs-size"]), mode=mode)
        mounts.append(mount)
    if mounts:
        host_config.mounts = mounts
    return host_config, volumes


@pytest.mark.parametrize("case", sorted(RECORDED))
async def test_same_mounts_as_dockerd(case: str, service: VolumeService, tmp_path: Path) -> None:
    host = tmp_path / "hostdir"
    host.mkdir()
    rootfs = tmp_path / "rootfs"
    rootfs.mkdir()
    base = str(tmp_path)  # the data root is tmp_path/root, dockerd's was <base>/root
    mounts = ContainerMounts(service, daemon_root=tmp_path / "root", scratch_dir=tmp_path / "scratch", rro=False)
    host_config, volumes = request_for(RECORDED[case]["flags"], str(host))
    points = await mounts.create("c", host_config, config_volumes=volumes)
    started = await mounts.start("c", points, host_config, rootfs=rootfs)

    def normalise(value: Any, anonymous: dict[str, str]) -> Any:
        text = json.dumps(value).replace(str(host), "<host>").replace(base, "<base>")
        for ours, theirs in anonymous.items():
            text = text.replace(ours, theirs)
        return json.loads(text)

    theirs = RECORDED[case]
    anonymous = {p.name: m["Name"] for p, m in zip(points.values(), theirs["inspect"], strict=False) if p.anonymous}
    assert normalise(started.mounts, anonymous) == theirs["mounts"]
    inspect = [json.loads(api.encode(p.to_api())) for p in points.values()]
    assert normalise(inspect, anonymous) == theirs["inspect"]
