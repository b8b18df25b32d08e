"""``docker volume create/ls/inspect/rm/prune`` (the docker 28 CLI) and docker-py against the volume endpoints."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import docker
import pytest

from .conftest import Volumed

pytestmark = pytest.mark.root


def ls(volumed: Volumed, *args: str) -> list[str]:
    return volumed.docker("volume", "ls", "-q", *args).stdout.split()


def test_create_inspect_ls_rm(volumed: Volumed) -> None:
    assert volumed.docker("volume", "create", "--label", "team=web", "webdata").stdout.strip() == "webdata"
    (info,) = json.loads(volumed.docker("volume", "inspect", "webdata").stdout)
    assert info["Driver"] == "local"
    assert info["Scope"] == "local"
    assert info["Labels"] == {"team": "web"}
    assert info["Mountpoint"] == str(volumed.data_root / "volumes" / "webdata" / "_data")
    assert Path(info["Mountpoint"]).is_dir()
    anonymous = volumed.docker("volume", "create").stdout.strip()
    assert len(anonymous) == 64
    assert sorted(ls(volumed)) == sorted(["webdata", anonymous])
    assert ls(volumed, "--filter", "label=team=web") == ["webdata"]
    assert ls(volumed, "--filter", "name=web") == ["webdata"]
    assert ls(volumed, "--filter", "dangling=true", "--filter", "driver=local") == sorted(["webdata", anonymous])
    fmt = volumed.docker("volume", "ls", "--format", "{{.Driver}} {{.Name}}").stdout.split("\n")
    assert "local webdata" in fmt
    volumed.docker("volume", "rm", "webdata", anonymous)
    assert ls(volumed) == []
    assert not Path(info["Mountpoint"]).exists()


def test_errors_in_dockers_words(volumed: Volumed, rootfs: Path) -> None:
    result = volumed.docker("volume", "inspect", "ghost", check=False)
    assert result.returncode == 1
    assert "get ghost: no such volume" in result.stderr
    result = volumed.docker("volume", "rm", "ghost", check=False)
    assert result.returncode == 1
    assert "no such volume" in result.stderr
    result = volumed.docker("volume", "create", "bad/name", check=False)
    assert "includes invalid characters for a local volume name" in result.stderr
    result = volumed.docker("volume", "create", "-d", "nosuchdriver", "x1", check=False)
    assert 'error looking up volume plugin nosuchdriver: plugin "nosuchdriver" not found' in result.stderr
    result = volumed.docker("volume", "create", "-o", "bogus=1", "x2", check=False)
    assert 'invalid option: "bogus"' in result.stderr
    volumed.create_container("web", rootfs, HostConfig={"Binds": ["busy:/data"]})
    result = volumed.docker("volume", "rm", "busy", check=False)
    assert result.returncode == 1
    assert "remove busy: volume is in use - [web]" in result.stderr
    result = volumed.docker("volume", "rm", "-f", "busy", check=False)
    assert "volume is in use" in result.stderr
    volumed.control("DELETE", "/_test/containers/web")
    volumed.docker("volume", "rm", "busy")


def test_prune_removes_unused_anonymous_volumes(volumed: Volumed, rootfs: Path) -> None:
    volumed.docker("volume", "create", "named")
    unused = volumed.docker("volume", "create").stdout.strip()
    volumed.create_container("web", rootfs, Volumes=["/cache"])
    used = [n for n in ls(volumed) if n not in ("named", unused)]
    assert len(used) == 1
    out = volumed.docker("volume", "prune", "-f").stdout
    assert unused in out
    assert "Total reclaimed space" in out
    assert sorted(ls(volumed)) == sorted(["named", used[0]])
    volumed.docker("volume", "prune", "-f", "--all")
    assert ls(volumed) == used


def test_rm_v_removes_anonymous_volumes_only(volumed: Volumed, rootfs: Path) -> None:
    volumed.create_container("web", rootfs, HostConfig={"Binds": ["keep:/keep", "/anon-bind"]}, Volumes=["/image-vol"])
    assert len(ls(volumed)) == 3
    volumed.control("DELETE", "/_test/containers/web?v=1")
    assert ls(volumed) == ["keep"]


def test_local_driver_bind_and_tmpfs_volumes(volumed: Volumed, rootfs: Path, tmp_path: Path) -> None:
    host_dir = volumed.base / "host-dir"
    host_dir.mkdir()
    volumed.docker("volume", "create", "-o", "type=none", "-o", "o=bind", "-o", f"device={host_dir}", "bindvol")
    volumed.docker("volume", "create", "--driver", "local", "--opt", "type=tmpfs", "--opt", "device=tmpfs",
                   "--opt", "o=size=8m,uid=1000", "tmpvol")  # fmt: skip
    (bindvol,) = json.loads(volumed.docker("volume", "inspect", "bindvol").stdout)
    assert bindvol["Options"] == {"type": "none", "o": "bind", "device": str(host_dir)}
    volumed.create_container("web", rootfs, HostConfig={"Binds": ["bindvol:/b", "tmpvol:/t"]})
    started = volumed.control("POST", "/_test/containers/web/start")
    data = {m["destination"]: m["source"] for m in started["mounts"]}
    assert volumed.mounted_under(Path(data["/b"])) == [data["/b"]]
    (Path(data["/b"]) / "through-bind").write_text("x")
    assert (host_dir / "through-bind").read_text() == "x"
    with open("/proc/self/mountinfo") as info:
        line = next(line for line in info if line.split()[4] == data["/t"])
    assert " - tmpfs tmpfs " in line
    assert "size=8192k" in line
    assert "uid=1000" in line
    volumed.control("POST", "/_test/containers/web/stop")
    assert volumed.mounted_under(volumed.data_root / "volumes") == []
    prune = volumed.docker("volume", "prune", "-f", "--all").stdout
    assert "bindvol" not in prune
    assert "tmpvol" not in prune


def test_docker_py_volume_calls(volumed: Volumed) -> None:
    client = docker.DockerClient(base_url=f"unix://{volumed.socket}", version="1.45")
    try:
        volume = client.volumes.create(name="pyvol", driver="local", labels={"from": "docker-py"})
        assert volume.name == "pyvol"
        assert volume.attrs["Labels"] == {"from": "docker-py"}
        assert client.volumes.get("pyvol").attrs["Mountpoint"].endswith("/pyvol/_data")
        assert [v.name for v in client.volumes.list(filters={"label": "from=docker-py"})] == ["pyvol"]
        anonymous = client.api.create_volume()
        assert client.api.inspect_volume(anonymous["Name"])["Labels"] == {"com.docker.volume.anonymous": ""}
        report = client.volumes.prune()
        assert report["VolumesDeleted"] == [anonymous["Name"]]
        with pytest.raises(docker.errors.NotFound):
            client.volumes.get("nope")
        volume.remove()
        assert client.volumes.list() == []
    finally:
        client.close()


def test_volumes_survive_a_daemon_restart(volumed: Volumed) -> None:
    volumed.docker("volume", "create", "--label", "keep=1", "durable")
    (info,) = json.loads(volumed.docker("volume", "inspect", "durable").stdout)
    Path(info["Mountpoint"], "file").write_text("still here")
    volumed.restart()
    (again,) = json.loads(volumed.docker("volume", "inspect", "durable").stdout)
    assert again["Labels"] == {"keep": "1"}
    assert Path(again["Mountpoint"], "file").read_text() == "still here"


def test_events_of_volumes(volumed: Volumed) -> None:
    since = str(int(time.time()) - 5)
    volumed.docker("volume", "create", "evvol")
    volumed.docker("volume", "rm", "evvol")
    time.sleep(1.1)  # the CLI sends --until in whole seconds
    out = subprocess.run(
        ["docker", "events", "--since", since, "--until", "0s", "--filter", "type=volume",
         "--format", "{{.Action}} {{.Actor.ID}}"],
        env=volumed.env(), capture_output=True, text=True, check=True, timeout=30,
    ).stdout.split("\n")  # fmt: skip
    assert "create evvol" in out
    assert "destroy evvol" in out
