"""Container mounts on a real pymobyd: ``docker run -v``, ``--mount``, ``--tmpfs``, ``--volumes-from``,
sub-paths, propagation checks, image content copied into new volumes, Docker's messages for bad specs,
and nothing left mounted after containers exit or the daemon dies."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest
from support.pymobyd import Pymobyd, StartDaemon

from .conftest import docker, mounted_under, volume_mounts, volume_path

pytestmark = pytest.mark.root

SITE_IMAGE = "pmv-site:latest"


def build_site_image(d: Pymobyd, context: Path) -> None:
    """An image with content in /srv/www and a ``VOLUME /srv/www``."""
    context.mkdir(exist_ok=True)
    (context / "index.html").write_text("from the image\n")
    (context / "Dockerfile").write_text(
        "FROM busybox\nCOPY index.html /srv/www/index.html\nRUN chown -R 1:1 /srv/www\nVOLUME /srv/www\n"
    )
    docker(d, "build", "-q", "-t", SITE_IMAGE, str(context))


def test_a_container_sees_its_volumes_binds_and_tmpfs(d: Pymobyd) -> None:
    host = d.base / "host"
    host.mkdir(exist_ok=True)
    (host / "ro.txt").write_text("read only\n")
    script = (
        "echo new > /srv/www/written; cat /host/ro.txt; (echo x > /host/nope) 2>/dev/null || echo host-is-read-only; "
        "stat -c %a /t; grep ' /t ' /proc/mounts | grep -o 'size=[0-9a-z]*'; grep -c ' /run tmpfs' /proc/mounts; "
        "echo scratch > /scratch-anon/f; grep ' /run ' /proc/mounts | grep -o 'size=[0-9a-z]*'"
    )
    out = docker(d, "run", "--name", "web", "-v", "site:/srv/www", "-v", f"{host}:/host:ro", "-v", "/scratch-anon",
                 "--mount", "type=tmpfs,target=/t,tmpfs-size=1048576,tmpfs-mode=0700", "--tmpfs", "/run:size=64k",
                 "busybox", "sh", "-c", script).stdout  # fmt: skip
    assert out.split("\n")[:6] == ["read only", "host-is-read-only", "700", "size=1024k", "1", "size=64k"]
    assert (volume_path(d, "site") / "written").read_text() == "new\n"
    assert not (host / "nope").exists()
    assert volume_mounts(d) == []


def test_volumes_from_shares_a_containers_volumes(d: Pymobyd) -> None:
    docker(d, "run", "--name", "source", "-v", "/shared", "-v", "named:/named", "busybox",
           "sh", "-c", "echo a > /shared/a; echo n > /named/n")  # fmt: skip
    out = docker(d, "run", "--rm", "--volumes-from", "source", "busybox", "sh", "-c", "cat /shared/a /named/n").stdout
    assert out == "a\nn\n"
    result = docker(d, "run", "--rm", "--volumes-from", "source:ro", "busybox", "sh", "-c",
                    "cat /named/n; echo x > /named/x 2>/dev/null || echo read-only", check=False)  # fmt: skip
    assert result.stdout == "n\nread-only\n"
    result = docker(d, "run", "--rm", "--volumes-from", "nosuch", "busybox", "true", check=False)
    assert result.returncode != 0
    assert "No such container: nosuch" in result.stderr


def test_volume_subpath_is_mounted_safely(d: Pymobyd) -> None:
    docker(d, "volume", "create", "shared")
    data = volume_path(d, "shared")
    (data / "app1").mkdir()
    (data / "app1" / "cfg").write_text("app1 config\n")
    os.symlink("/", data / "evil")
    out = docker(d, "run", "--rm", "--mount", "type=volume,src=shared,dst=/cfg,volume-subpath=app1",
                 "busybox", "cat", "/cfg/cfg").stdout  # fmt: skip
    assert out == "app1 config\n"
    result = docker(d, "run", "--name", "bad", "--mount", "type=volume,src=shared,dst=/cfg,volume-subpath=evil/etc",
                    "busybox", "ls", "/cfg", check=False)  # fmt: skip
    assert result.returncode != 0
    assert f"cannot access path {data}/evil/etc: Too many levels of symbolic links" in result.stderr
    assert volume_mounts(d) == []


def test_image_content_fills_a_new_volume(d: Pymobyd, tmp_path: Path) -> None:
    build_site_image(d, tmp_path / "ctx")
    docker(d, "run", "--name", "web", SITE_IMAGE, "true")
    (name,) = [n for n in docker(d, "volume", "ls", "-q", "--filter", "driver=local").stdout.split()]
    seeded = volume_path(d, name)
    assert (seeded / "index.html").read_text() == "from the image\n"
    assert (seeded.stat().st_uid, seeded.stat().st_gid) == (1, 1)
    # A new named volume mounted over image content gets it; an empty one made before, too; nocopy does not.
    out = docker(d, "run", "--rm", "-v", "etcvol:/etc", "busybox", "cat", "/etc/passwd").stdout
    assert out.startswith("root:")
    assert (volume_path(d, "etcvol") / "group").exists()
    result = docker(d, "run", "--rm", "-v", "bare:/etc:nocopy", "busybox", "ls", "/etc")
    assert "passwd" not in result.stdout.split()  # only the daemon's hostname, hosts and resolv.conf
    assert not (volume_path(d, "bare") / "passwd").exists()  # runc leaves empty mount points for those three
    docker(d, "rm", "-v", "web")


def test_invalid_mount_specs_get_dockers_messages(d: Pymobyd) -> None:
    # The messages are dockerd's (checked against Debian's docker.io 20.10 with the same CLI).
    cases = [
        (["-v", "/srv:/c:bogus"], "invalid mode: bogus"),
        (["-v", "vol:relative"], "invalid volume specification: 'vol:relative': invalid mount config for type"
         " \"volume\": invalid mount path: 'relative' mount path must be absolute"),
        (["--mount", "type=bind,source=/pymoby/no/such/dir,target=/x"],
         "invalid mount config for type \"bind\": bind source path does not exist: /pymoby/no/such/dir"),
        (["--mount", "type=tmpfs,source=/tmp,target=/x"],
         "invalid mount config for type \"tmpfs\": field Source must not be specified"),
        (["-v", "/a:/dup", "-v", "/b:/dup"], "Duplicate mount point: /dup"),
    ]  # fmt: skip
    for flags, message in cases:
        result = docker(d, "run", "--rm", *flags, "busybox", "true", check=False)
        assert result.returncode != 0, flags
        assert message in result.stderr, (flags, result.stderr)
    assert docker(d, "ps", "-aq").stdout == ""


def test_shared_propagation_needs_a_shared_source(d: Pymobyd) -> None:
    private = d.base / "private-mount"
    private.mkdir(exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(private)], check=True)
    try:
        subprocess.run(["mount", "--make-private", str(private)], check=True)
        result = docker(d, "run", "--rm", "-v", f"{private}:/p:rshared", "busybox", "true", check=False)
        assert result.returncode != 0
        assert f"path {private} is mounted on {private} but it is not a shared mount" in result.stderr
        subprocess.run(["mount", "--make-shared", str(private)], check=True)
        docker(d, "run", "-d", "--name", "web", "-v", f"{private}:/p:rshared", "busybox", "sleep", "300")
        docker(d, "exec", "web", "mkdir", "/p/sub")
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(private / "sub")], check=True)
        try:
            out = docker(d, "exec", "web", "grep", "-c", " /p/sub ", "/proc/mounts").stdout
            assert out == "1\n"  # the host's mount propagated into the container
        finally:
            subprocess.run(["umount", str(private / "sub")], check=True)
        docker(d, "rm", "-f", "web")
    finally:
        subprocess.run(["umount", "-R", str(private)], check=True)


def test_nothing_stays_mounted_after_a_dead_daemon_restarts(start_daemon: StartDaemon) -> None:
    first = start_daemon()
    docker(first, "volume", "create", "-o", "type=tmpfs", "-o", "device=tmpfs", "-o", "o=size=1m", "tmpvol")
    docker(first, "volume", "create", "shared")
    (volume_path(first, "shared") / "sub").mkdir()
    docker(first, "run", "-d", "--name", "victim", "-v", "tmpvol:/t",
           "--mount", "type=volume,src=shared,dst=/s,volume-subpath=sub", "busybox", "sleep", "300")  # fmt: skip
    docker(first, "exec", "victim", "sh", "-c", "echo kept > /s/f")
    tmpvol = volume_path(first, "tmpvol")
    assert mounted_under(tmpvol) == [str(tmpvol)]
    first.process.send_signal(signal.SIGKILL)
    first.process.wait()
    first.stop()  # containerd and the container go too, as in a crash of the whole machine's engine
    second = start_daemon(base=first.base, load=False)
    assert volume_mounts(second) == []
    state = docker(second, "ps", "-a", "--format", "{{.Names}} {{.State}}").stdout.split()
    assert state == ["victim", "exited"]
    docker(second, "start", "victim")
    assert docker(second, "exec", "victim", "cat", "/s/f").stdout == "kept\n"
    docker(second, "rm", "-fv", "victim")
    assert volume_mounts(second) == []
