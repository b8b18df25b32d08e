"""``docker cp`` both ways (the docker 28 CLI) and docker-py's archive calls against real containers,
through volumes and binds; symlinks never reach the host."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
import uuid
from pathlib import Path

import docker as docker_py
import pytest
from support.pymobyd import Pymobyd, StartDaemon

from .conftest import docker, volume_mounts, volume_path

pytestmark = pytest.mark.root


def in_web(d: Pymobyd, *command: str) -> str:
    return docker(d, "exec", "-u", "root", "web", *command).stdout


@pytest.fixture
def web(d: Pymobyd) -> Path:
    """Container ``web`` (running, user ``daemon``): a named volume at /data, a read-only bind at /conf,
    a bind at /rw, a tmpfs at /run, and symlinks pointing out of it; the host side of /rw."""
    conf = d.base / "conf"
    conf.mkdir(exist_ok=True)
    (conf / "app.conf").write_text("key=value\n")
    rw = d.base / f"rw-{uuid.uuid4().hex[:8]}"
    rw.mkdir()
    docker(d, "run", "-d", "--name", "web", "--user", "daemon", "-v", "webdata:/data", "-v", f"{conf}:/conf:ro",
           "-v", f"{rw}:/rw", "--tmpfs", "/run", "busybox", "sleep", "300")  # fmt: skip
    in_web(d, "sh", "-c", "ln -s / /escape; ln -s ../../../../../../.. /tmp/up; ln -s /etc/passwd /passwd-link")
    return rw


def test_copy_files_and_directories_out(d: Pymobyd, web: Path, tmp_path: Path) -> None:
    passwd = in_web(d, "cat", "/etc/passwd")
    docker(d, "cp", "web:/etc/passwd", str(tmp_path / "passwd"))
    assert (tmp_path / "passwd").read_text() == passwd
    docker(d, "cp", "web:/etc", str(tmp_path))
    assert (tmp_path / "etc" / "group").read_text() == in_web(d, "cat", "/etc/group")
    (tmp_path / "contents").mkdir()
    docker(d, "cp", "web:/etc/.", str(tmp_path / "contents"))
    assert sorted(os.listdir(tmp_path / "contents")) == sorted(in_web(d, "ls", "-A", "/etc").split())
    docker(d, "cp", "web:/conf/app.conf", str(tmp_path / "app.conf"))
    assert (tmp_path / "app.conf").read_text() == "key=value\n"
    in_web(d, "sh", "-c", "mkdir -p /srv/d; echo in-srv > /srv/d/t1")
    docker(d, "cp", "web:/srv/d/", str(tmp_path / "srvdir"))  # a trailing slash names the directory
    assert (tmp_path / "srvdir" / "t1").read_text() == "in-srv\n"


def test_stat_of_a_directory_with_a_trailing_slash(d: Pymobyd, web: Path) -> None:
    client = docker_py.APIClient(base_url=d.host, version="1.45")
    try:
        for path in ("/tmp/", "/tmp", "/data/"):
            response = client.head(client._url("/containers/{0}/archive", "web"), params={"path": path})
            assert response.status_code == 200, path
            assert "X-Docker-Container-Path-Stat" in response.headers
        chunks, found = client.get_archive("web", "/tmp/")
        assert found["name"] == "tmp"
        assert found["mode"] & 0o20000000000  # a directory (Go's os.ModeDir)
        b"".join(chunks)
    finally:
        client.close()


def test_copy_symlinks_out_as_links_or_followed(d: Pymobyd, web: Path, tmp_path: Path) -> None:
    docker(d, "cp", "web:/passwd-link", str(tmp_path / "link"))
    assert os.readlink(tmp_path / "link") == "/etc/passwd"
    docker(d, "cp", "-L", "web:/passwd-link", str(tmp_path / "followed"))
    assert (tmp_path / "followed").read_text() == in_web(d, "cat", "/etc/passwd")


def test_copy_in_files_and_directories_through_a_volume_and_a_bind(d: Pymobyd, web: Path, tmp_path: Path) -> None:
    (tmp_path / "one.txt").write_text("one")
    (tmp_path / "tree" / "sub").mkdir(parents=True)
    (tmp_path / "tree" / "sub" / "leaf").write_text("leaf")
    docker(d, "cp", str(tmp_path / "one.txt"), "web:/tmp/")
    assert in_web(d, "cat", "/tmp/one.txt") == "one"
    docker(d, "cp", str(tmp_path / "one.txt"), "web:/tmp/renamed.txt")
    assert in_web(d, "cat", "/tmp/renamed.txt") == "one"
    docker(d, "cp", str(tmp_path / "tree"), "web:/data/")
    assert (volume_path(d, "webdata") / "tree/sub/leaf").read_text() == "leaf"
    docker(d, "cp", str(tmp_path / "tree"), "web:/data/copy")
    assert in_web(d, "cat", "/data/copy/sub/leaf") == "leaf"
    docker(d, "cp", str(tmp_path / "tree"), "web:/rw/")
    assert (web / "tree" / "sub" / "leaf").read_text() == "leaf"
    data = io.BytesIO()  # a tar on stdin, as `tar c | docker cp - web:/dir` sends it
    with tarfile.open(fileobj=data, mode="w") as tar:
        tar.add(tmp_path / "tree", arcname="piped")
    piped = subprocess.run(["docker", "cp", "-", "web:/data/"], input=data.getvalue(), env=d.env(),
                           capture_output=True, check=False, timeout=60)  # fmt: skip
    assert piped.returncode == 0, piped.stderr
    assert in_web(d, "cat", "/data/piped/sub/leaf") == "leaf"


def test_copy_to_and_from_a_stopped_container(d: Pymobyd, tmp_path: Path) -> None:
    docker(d, "create", "--name", "idle", "-v", "idledata:/data", "busybox")
    (tmp_path / "f").write_text("stopped")
    docker(d, "cp", str(tmp_path / "f"), "idle:/data/")
    docker(d, "cp", str(tmp_path / "f"), "idle:/root/")
    docker(d, "cp", "idle:/root/f", str(tmp_path / "back"))
    assert (tmp_path / "back").read_text() == "stopped"
    assert (volume_path(d, "idledata") / "f").read_text() == "stopped"
    assert volume_mounts(d) == []
    out = docker(d, "start", "-a", "idle", check=False)  # busybox's default command: sh, no tty
    assert out.returncode == 0
    assert docker(d, "run", "--rm", "--volumes-from", "idle", "busybox", "cat", "/data/f").stdout == "stopped"


def test_a_tmpfs_mount_is_out_of_reach_as_with_dockerd(d: Pymobyd, web: Path, tmp_path: Path) -> None:
    # dockerd copies into the directory under the tmpfs and does not see what is in it; so does pymobyd.
    (tmp_path / "f").write_text("f")
    docker(d, "cp", str(tmp_path / "f"), "web:/run/")
    assert in_web(d, "ls", "/run") == ""
    in_web(d, "sh", "-c", "echo r > /run/r")
    result = docker(d, "cp", "web:/run/r", str(tmp_path / "r"), check=False)
    assert result.returncode == 1
    assert "Could not find the file /run/r in container web" in result.stderr


def test_copy_uid_gid_gives_the_container_user(d: Pymobyd, web: Path, tmp_path: Path) -> None:
    (tmp_path / "owned").write_text("x")
    docker(d, "cp", "-a", str(tmp_path / "owned"), "web:/tmp/")
    assert in_web(d, "stat", "-c", "%u %g", "/tmp/owned") == "1 1\n"  # "daemon" in the image's /etc/passwd


def test_symlinks_to_the_hosts_root_stay_inside(d: Pymobyd, web: Path, tmp_path: Path) -> None:
    passwd = in_web(d, "cat", "/etc/passwd")
    docker(d, "cp", "web:/escape/etc/passwd", str(tmp_path / "via-escape"))
    assert (tmp_path / "via-escape").read_text() == passwd
    assert (tmp_path / "via-escape").read_text() != Path("/etc/passwd").read_text()
    docker(d, "cp", "web:/tmp/up/etc/group", str(tmp_path / "via-up"))
    assert (tmp_path / "via-up").read_text() == in_web(d, "cat", "/etc/group")
    marker = f"pymoby-cp-{uuid.uuid4().hex}"
    (tmp_path / marker).write_text("must not reach the host")
    docker(d, "cp", str(tmp_path / marker), "web:/escape/")
    docker(d, "cp", str(tmp_path / marker), "web:/tmp/up/tmp/")
    assert in_web(d, "cat", f"/{marker}") == "must not reach the host"
    assert in_web(d, "cat", f"/tmp/{marker}") == "must not reach the host"
    assert not Path("/", marker).exists()
    assert not Path("/tmp", marker).exists()
    in_web(d, "ln", "-s", str(d.base), "/tmp/hostdir")  # a host path: inside the container it names nothing
    result = docker(d, "cp", str(tmp_path / marker), "web:/tmp/hostdir/", check=False)
    assert result.returncode != 0
    assert not (d.base / marker).exists()


def test_errors_in_dockers_words(d: Pymobyd, web: Path, tmp_path: Path) -> None:
    result = docker(d, "cp", "web:/no/such/file", str(tmp_path / "x"), check=False)
    assert result.returncode == 1
    assert "Could not find the file /no/such/file in container web" in result.stderr
    (tmp_path / "f").write_text("f")
    result = docker(d, "cp", str(tmp_path / "f"), "web:/conf/", check=False)
    assert "mounted volume is marked read-only" in result.stderr
    result = docker(d, "cp", "nosuch:/etc/passwd", str(tmp_path / "g"), check=False)
    assert "No such container: nosuch" in result.stderr


def test_data_survives_container_removal_and_daemon_restart(start_daemon: StartDaemon, tmp_path: Path) -> None:
    first = start_daemon()
    docker(first, "run", "-d", "--name", "web", "-v", "webdata:/data", "busybox", "sleep", "300")
    (tmp_path / "precious").write_text("keep me")
    docker(first, "cp", str(tmp_path / "precious"), "web:/data/")
    docker(first, "rm", "-fv", "web")
    assert first.stop() == 0
    second = start_daemon(base=first.base, load=False)
    docker(second, "create", "--name", "reader", "-v", "webdata:/mnt", "busybox")
    docker(second, "cp", "reader:/mnt/precious", str(tmp_path / "back"))
    assert (tmp_path / "back").read_text() == "keep me"
    docker(second, "rm", "reader")
    docker(second, "volume", "rm", "webdata")


def _tar(name: str, data: bytes, *, end_blocks: bool = True) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    raw = out.getvalue()
    if not end_blocks:  # the stream ends right after the last file's data: no padding, no end blocks
        raw = raw[: 512 + len(data)]
    return raw


def test_docker_py_put_and_get_archive(d: Pymobyd, web: Path) -> None:
    client = docker_py.APIClient(base_url=d.host, version="1.45")
    try:
        assert client.put_archive("web", "/data", _tar("from-py.txt", b"pythons"))
        assert client.put_archive("web", "/data", _tar("no-trailer.txt", b"cut short", end_blocks=False))
        assert in_web(d, "cat", "/data/no-trailer.txt") == "cut short"
        for compressed in (False, True):
            chunks, found = client.get_archive("web", "/data/from-py.txt", encode_stream=compressed)
            raw = b"".join(chunks)  # docker-py undoes the gzip it asked for
            with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
                member = tar.extractfile("from-py.txt")
                assert member is not None
                assert member.read() == b"pythons"
            assert found["name"] == "from-py.txt"
            assert found["size"] == 7
        with pytest.raises(docker_py.errors.NotFound):
            client.get_archive("web", "/nope")
        with pytest.raises(docker_py.errors.NotFound):
            client.put_archive("web", "/no/such/dir", _tar("x", b"x"))
    finally:
        client.close()
