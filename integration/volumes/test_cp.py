"""``docker cp`` both ways (the docker 28 CLI) through volumes and binds; symlinks never reach the host."""

from __future__ import annotations

import io
import json
import os
import tarfile
import uuid
from pathlib import Path

import docker
import pytest

from .conftest import Volumed

pytestmark = pytest.mark.root


@pytest.fixture
def web(volumed: Volumed, rootfs: Path) -> Path:
    """Container ``web``: busybox, a named volume at /data, a read-only bind at /conf, a tmpfs at /run."""
    conf = volumed.base / "conf"
    conf.mkdir()
    (conf / "app.conf").write_text("key=value\n")
    os.symlink("/", rootfs / "escape")
    os.symlink("../../../../../../..", rootfs / "tmp" / "up")
    os.symlink("/etc/passwd", rootfs / "passwd-link")
    volumed.create_container(
        "web",
        rootfs,
        User="daemon",
        HostConfig={"Binds": ["webdata:/data", f"{conf}:/conf:ro"], "Tmpfs": {"/run": ""}},
    )
    return rootfs


def volume_path(volumed: Volumed, name: str) -> Path:
    return Path(json.loads(volumed.docker("volume", "inspect", name).stdout)[0]["Mountpoint"])


def test_copy_files_and_directories_out(volumed: Volumed, web: Path, tmp_path: Path) -> None:
    volumed.docker("cp", "web:/etc/passwd", str(tmp_path / "passwd"))
    assert (tmp_path / "passwd").read_bytes() == (web / "etc/passwd").read_bytes()
    volumed.docker("cp", "web:/etc", str(tmp_path))
    assert (tmp_path / "etc" / "group").read_bytes() == (web / "etc/group").read_bytes()
    (tmp_path / "contents").mkdir()
    volumed.docker("cp", "web:/etc/.", str(tmp_path / "contents"))
    assert sorted(os.listdir(tmp_path / "contents")) == sorted(os.listdir(web / "etc"))
    volumed.docker("cp", "web:/conf/app.conf", str(tmp_path / "app.conf"))
    assert (tmp_path / "app.conf").read_text() == "key=value\n"


def test_copy_symlinks_out_as_links_or_followed(volumed: Volumed, web: Path, tmp_path: Path) -> None:
    volumed.docker("cp", "web:/passwd-link", str(tmp_path / "link"))
    assert os.readlink(tmp_path / "link") == "/etc/passwd"
    volumed.docker("cp", "-L", "web:/passwd-link", str(tmp_path / "followed"))
    assert (tmp_path / "followed").read_bytes() == (web / "etc/passwd").read_bytes()


def test_copy_in_files_directories_and_through_a_volume(volumed: Volumed, web: Path, tmp_path: Path) -> None:
    (tmp_path / "one.txt").write_text("one")
    (tmp_path / "tree" / "sub").mkdir(parents=True)
    (tmp_path / "tree" / "sub" / "leaf").write_text("leaf")
    volumed.docker("cp", str(tmp_path / "one.txt"), "web:/tmp/")
    assert (web / "tmp/one.txt").read_text() == "one"
    volumed.docker("cp", str(tmp_path / "one.txt"), "web:/tmp/renamed.txt")
    assert (web / "tmp/renamed.txt").read_text() == "one"
    volumed.docker("cp", str(tmp_path / "tree"), "web:/data/")
    assert (volume_path(volumed, "webdata") / "tree/sub/leaf").read_text() == "leaf"
    volumed.docker("cp", str(tmp_path / "tree"), "web:/data/copy")
    assert (volume_path(volumed, "webdata") / "copy/sub/leaf").read_text() == "leaf"


def test_copy_uid_gid_gives_the_container_user(volumed: Volumed, web: Path, tmp_path: Path) -> None:
    (tmp_path / "owned").write_text("x")
    volumed.docker("cp", "-a", str(tmp_path / "owned"), "web:/tmp/")
    info = os.stat(web / "tmp/owned")
    assert (info.st_uid, info.st_gid) == (1, 1)  # "daemon" in the image's /etc/passwd


def test_symlinks_to_the_hosts_root_stay_inside(volumed: Volumed, web: Path, tmp_path: Path) -> None:
    volumed.docker("cp", "web:/escape/etc/passwd", str(tmp_path / "via-escape"))
    assert (tmp_path / "via-escape").read_bytes() == (web / "etc/passwd").read_bytes()
    assert (tmp_path / "via-escape").read_bytes() != Path("/etc/passwd").read_bytes()
    volumed.docker("cp", "web:/tmp/up/etc/group", str(tmp_path / "via-up"))
    assert (tmp_path / "via-up").read_bytes() == (web / "etc/group").read_bytes()
    marker = f"pymoby-cp-{uuid.uuid4().hex}"
    (tmp_path / marker).write_text("must not reach the host")
    volumed.docker("cp", str(tmp_path / marker), "web:/escape/")
    volumed.docker("cp", str(tmp_path / marker), "web:/tmp/up/tmp/")
    assert (web / marker).exists()
    assert (web / "tmp" / marker).exists()
    assert not Path("/", marker).exists()
    assert not Path("/tmp", marker).exists()
    os.symlink(str(volumed.base), web / "tmp" / "hostdir")  # a host path: inside it names /tmp/pmv-...
    result = volumed.docker("cp", str(tmp_path / marker), "web:/tmp/hostdir/", check=False)
    assert result.returncode != 0
    assert not (volumed.base / marker).exists()


def test_errors_in_dockers_words(volumed: Volumed, web: Path, tmp_path: Path) -> None:
    result = volumed.docker("cp", "web:/no/such/file", str(tmp_path / "x"), check=False)
    assert result.returncode == 1
    assert "Could not find the file /no/such/file in container web" in result.stderr
    (tmp_path / "f").write_text("f")
    result = volumed.docker("cp", str(tmp_path / "f"), "web:/conf/", check=False)
    assert "mounted volume is marked read-only" in result.stderr
    result = volumed.docker("cp", "nosuch:/etc/passwd", str(tmp_path / "g"), check=False)
    assert "No such container: nosuch" in result.stderr


def test_data_survives_container_removal_and_daemon_restart(volumed: Volumed, web: Path, tmp_path: Path) -> None:
    (tmp_path / "precious").write_text("keep me")
    volumed.docker("cp", str(tmp_path / "precious"), "web:/data/")
    volumed.control("DELETE", "/_test/containers/web?v=1")
    volumed.restart()
    volumed.create_container("reader", web, HostConfig={"Binds": ["webdata:/mnt"]})
    volumed.docker("cp", "reader:/mnt/precious", str(tmp_path / "back"))
    assert (tmp_path / "back").read_text() == "keep me"


def test_docker_py_put_and_get_archive(volumed: Volumed, web: Path) -> None:
    client = docker.APIClient(base_url=f"unix://{volumed.socket}", version="1.45")
    try:
        data = io.BytesIO()
        with tarfile.open(fileobj=data, mode="w") as tar:
            info = tarfile.TarInfo("from-py.txt")
            info.size = 7
            tar.addfile(info, io.BytesIO(b"pythons"))
        assert client.put_archive("web", "/data", data.getvalue())
        for compressed in (False, True):
            chunks, found = client.get_archive("web", "/data/from-py.txt", encode_stream=compressed)
            raw = b"".join(chunks)  # docker-py undoes the gzip it asked for
            with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
                member = tar.extractfile("from-py.txt")
                assert member is not None
                assert member.read() == b"pythons"
            assert found["name"] == "from-py.txt"
            assert found["size"] == 7
        with pytest.raises(docker.errors.NotFound):
            client.get_archive("web", "/nope")
    finally:
        client.close()
