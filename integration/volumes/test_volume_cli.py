"""``docker volume create/ls/inspect/rm/prune`` (the docker 28 CLI) and docker-py against a real pymobyd,
with real containers holding the volumes."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import docker as docker_py
import pytest
from support.pymobyd import Pymobyd, StartDaemon

from .conftest import docker, inspect_volume, mounted_under, volume_mounts, volume_path

pytestmark = pytest.mark.root


def ls(d: Pymobyd, *args: str) -> list[str]:
    """The local volumes' names (plugins of other test sessions are machine-wide)."""
    return sorted(docker(d, "volume", "ls", "-q", "--filter", "driver=local", *args).stdout.split())


def container_id(d: Pymobyd, name: str) -> str:
    return docker(d, "inspect", "-f", "{{.Id}}", name).stdout.strip()


def test_create_inspect_ls_rm(d: Pymobyd) -> None:
    assert docker(d, "volume", "create", "--label", "team=web", "webdata").stdout.strip() == "webdata"
    info = inspect_volume(d, "webdata")
    assert info["Driver"] == "local"
    assert info["Scope"] == "local"
    assert info["Labels"] == {"team": "web"}
    assert info["Mountpoint"] == str(d.data_root / "volumes" / "webdata" / "_data")
    assert Path(info["Mountpoint"]).is_dir()
    anonymous = docker(d, "volume", "create").stdout.strip()
    assert len(anonymous) == 64
    assert ls(d) == sorted(["webdata", anonymous])
    assert ls(d, "--filter", "label=team=web") == ["webdata"]
    assert ls(d, "--filter", "name=web") == ["webdata"]
    assert ls(d, "--filter", "dangling=true") == sorted(["webdata", anonymous])
    docker(d, "create", "--name", "holder", "-v", "webdata:/data", "busybox")
    assert ls(d, "--filter", "dangling=true") == [anonymous]
    assert ls(d, "--filter", "dangling=false") == ["webdata"]
    docker(d, "rm", "holder")
    fmt = docker(d, "volume", "ls", "--format", "{{.Driver}} {{.Name}}").stdout.split("\n")
    assert "local webdata" in fmt
    docker(d, "volume", "rm", "webdata", anonymous)
    assert ls(d) == []
    assert not Path(info["Mountpoint"]).exists()


def test_errors_in_dockers_words(d: Pymobyd) -> None:
    result = docker(d, "volume", "inspect", "ghost", check=False)
    assert result.returncode == 1
    assert "get ghost: no such volume" in result.stderr
    result = docker(d, "volume", "rm", "ghost", check=False)
    assert result.returncode == 1
    assert "no such volume" in result.stderr
    result = docker(d, "volume", "create", "bad/name", check=False)
    assert "includes invalid characters for a local volume name" in result.stderr
    result = docker(d, "volume", "create", "-d", "nosuchdriver", "x1", check=False)
    assert 'error looking up volume plugin nosuchdriver: plugin "nosuchdriver" not found' in result.stderr
    result = docker(d, "volume", "create", "-o", "bogus=1", "x2", check=False)
    assert 'invalid option: "bogus"' in result.stderr
    docker(d, "run", "-d", "--name", "web", "-v", "busy:/data", "busybox", "sleep", "300")
    web = container_id(d, "web")
    result = docker(d, "volume", "rm", "busy", check=False)
    assert result.returncode == 1
    assert f"remove busy: volume is in use - [{web}]" in result.stderr
    result = docker(d, "volume", "rm", "-f", "busy", check=False)
    assert "volume is in use" in result.stderr
    docker(d, "rm", "-f", "web")
    docker(d, "volume", "rm", "busy")
    assert ls(d) == []


def test_volume_in_use_is_409_through_docker_py(d: Pymobyd) -> None:
    docker(d, "create", "--name", "web", "-v", "held:/data", "busybox")
    client = docker_py.APIClient(base_url=d.host, version="1.45")
    try:
        with pytest.raises(docker_py.errors.APIError) as caught:
            client.remove_volume("held")
        assert caught.value.status_code == 409
        with pytest.raises(docker_py.errors.NotFound):
            client.remove_volume("never-made")
    finally:
        client.close()


def test_prune_removes_unused_anonymous_volumes(d: Pymobyd) -> None:
    docker(d, "volume", "create", "named")
    unused = docker(d, "volume", "create").stdout.strip()
    docker(d, "create", "--name", "web", "-v", "/cache", "busybox")
    used = [n for n in ls(d) if n not in ("named", unused)]
    assert len(used) == 1
    out = docker(d, "volume", "prune", "-f").stdout
    assert unused in out
    assert "Total reclaimed space" in out
    assert ls(d) == sorted(["named", used[0]])
    docker(d, "volume", "prune", "-f", "--all")
    assert ls(d) == used


def test_rm_v_removes_anonymous_volumes_only(d: Pymobyd) -> None:
    docker(d, "run", "--name", "web", "-v", "keep:/keep", "-v", "/anon", "--mount", "type=volume,target=/anon2",
           "busybox", "sh", "-c", "echo k > /keep/f; echo a > /anon/f")  # fmt: skip
    assert len(ls(d)) == 3
    docker(d, "rm", "-v", "web")
    assert ls(d) == ["keep"]
    assert (volume_path(d, "keep") / "f").read_text() == "k\n"


def test_run_rm_removes_anonymous_volumes(d: Pymobyd) -> None:
    out = docker(d, "run", "--rm", "-v", "named:/n", "-v", "/anon", "busybox", "sh", "-c", "echo x > /anon/f; echo ok")
    assert out.stdout == "ok\n"
    assert ls(d) == ["named"]


def test_local_driver_bind_and_tmpfs_volumes(d: Pymobyd) -> None:
    host_dir = d.base / "host-dir"
    host_dir.mkdir()
    docker(d, "volume", "create", "-o", "type=none", "-o", "o=bind", "-o", f"device={host_dir}", "bindvol")
    docker(d, "volume", "create", "--driver", "local", "--opt", "type=tmpfs", "--opt", "device=tmpfs",
           "--opt", "o=size=8m,uid=1000", "tmpvol")  # fmt: skip
    bindvol = inspect_volume(d, "bindvol")
    assert bindvol["Options"] == {"type": "none", "o": "bind", "device": str(host_dir)}
    docker(d, "run", "-d", "--name", "web", "-v", "bindvol:/b", "-v", "tmpvol:/t", "busybox", "sleep", "300")
    out = docker(d, "exec", "web", "sh", "-c", "echo x > /b/through-bind; grep ' /t ' /proc/mounts").stdout
    assert (host_dir / "through-bind").read_text() == "x\n"
    assert out.startswith("tmpfs /t tmpfs ")
    assert "size=8192k" in out
    assert "uid=1000" in out
    assert mounted_under(Path(bindvol["Mountpoint"])) == [bindvol["Mountpoint"]]
    docker(d, "stop", "-t", "1", "web")
    assert volume_mounts(d) == []
    prune = docker(d, "volume", "prune", "-f", "--all").stdout
    assert "bindvol" not in prune
    assert "tmpvol" not in prune
    docker(d, "rm", "web")


def test_docker_py_volume_calls(d: Pymobyd) -> None:
    client = docker_py.DockerClient(base_url=d.host, version="1.45")
    try:
        volume = client.volumes.create(name="pyvol", driver="local", labels={"from": "docker-py"})
        assert volume.name == "pyvol"
        assert volume.attrs["Labels"] == {"from": "docker-py"}
        assert client.volumes.get("pyvol").attrs["Mountpoint"].endswith("/pyvol/_data")
        assert [v.name for v in client.volumes.list(filters={"label": "from=docker-py"})] == ["pyvol"]
        out = client.containers.run(
            "busybox", ["sh", "-c", "echo from-py > /v/f; cat /v/f"], volumes={"pyvol": {"bind": "/v", "mode": "rw"}},
            remove=True,
        )  # fmt: skip
        assert out == b"from-py\n"
        anonymous = client.api.create_volume()
        assert client.api.inspect_volume(anonymous["Name"])["Labels"] == {"com.docker.volume.anonymous": ""}
        report = client.volumes.prune()
        assert report["VolumesDeleted"] == [anonymous["Name"]]
        with pytest.raises(docker_py.errors.NotFound):
            client.volumes.get("nope")
        volume.remove()
        assert [v.name for v in client.volumes.list(filters={"driver": "local"})] == []
    finally:
        client.close()


def test_volumes_and_their_data_survive_a_daemon_restart(start_daemon: StartDaemon) -> None:
    first = start_daemon()
    docker(first, "volume", "create", "--label", "keep=1", "durable")
    docker(first, "run", "--name", "writer", "-v", "durable:/data", "-v", "/anon", "busybox",
           "sh", "-c", "echo still here > /data/file")  # fmt: skip
    docker(first, "run", "-d", "--name", "runner", "-v", "durable:/data", "busybox", "sleep", "300")
    assert first.stop() == 0
    assert mounted_under(first.base) == []
    second = start_daemon(base=first.base, load=False)
    again = inspect_volume(second, "durable")
    assert again["Labels"] == {"keep": "1"}
    assert Path(again["Mountpoint"], "file").read_text() == "still here\n"
    result = docker(second, "volume", "rm", "durable", check=False)
    assert "volume is in use" in result.stderr  # the containers still reference it
    docker(second, "rm", "-v", "writer", "runner")
    out = docker(second, "run", "--rm", "-v", "durable:/data", "busybox", "cat", "/data/file").stdout
    assert out == "still here\n"
    assert ls(second) == ["durable"]
    docker(second, "volume", "rm", "durable")


def test_events_of_volumes(d: Pymobyd) -> None:
    since = str(int(time.time()) - 5)
    docker(d, "volume", "create", "evvol")
    docker(d, "run", "--rm", "-v", "evvol:/e", "busybox", "true")
    docker(d, "volume", "rm", "evvol")
    time.sleep(1.1)  # the CLI sends --until in whole seconds
    out = subprocess.run(
        ["docker", "events", "--since", since, "--until", "0s", "--filter", "type=volume",
         "--format", "{{.Action}} {{.Actor.ID}}"],
        env=d.env(), capture_output=True, text=True, check=True, timeout=30,
    ).stdout.split("\n")  # fmt: skip
    assert "create evvol" in out
    assert "mount evvol" in out
    assert "unmount evvol" in out
    assert "destroy evvol" in out
