"""Path resolution inside a container: symlinks stay inside, mounts are crossed, loops end."""

from __future__ import annotations

import errno
import os

import pytest

from pymoby.daemon.archive import ContainerFS, FSMount

from .conftest import Tree


@pytest.mark.parametrize(
    ("path", "follow", "resolved"),
    [
        ("/docs/readme", False, "/usr/share/doc/readme"),
        ("docs/../etc/passwd", False, "/etc/passwd"),  # lexical, as Docker cleans the path first
        ("/rootlink/etc/passwd", False, "/etc/passwd"),
        ("/tmp/up/etc/passwd", False, "/etc/passwd"),
        ("/tmp/rel-link", True, "/usr/share/doc/readme"),
        ("/tmp/rel-link", False, "/tmp/rel-link"),
        ("/rootlink", True, "/"),
        ("/data/sub/deep.txt", False, "/data/sub/deep.txt"),
        ("/rootlink/data/../data/in-volume.txt", False, "/data/in-volume.txt"),
    ],
)
def test_resolution_stays_in_the_container(tree: Tree, path: str, follow: bool, resolved: str) -> None:
    with ContainerFS(tree.root, tree.mounts()) as fs, fs.resolve(path, follow_last=follow) as node:
        assert node.path == resolved
        assert node.lstat()  # and it is there


def test_absolute_symlink_to_slash_reads_the_containers_file_not_the_hosts(tree: Tree) -> None:
    os.symlink(str(tree.host_secret), tree.root / "tmp/host-link")  # a host path: inside, it means /tmp/...
    with ContainerFS(tree.root) as fs:
        with pytest.raises(FileNotFoundError):
            fs.resolve("/tmp/host-link", follow_last=True)
        with fs.resolve("/rootlink/etc/passwd", follow_last=True) as node:
            fd = os.open(node.name, os.O_RDONLY, dir_fd=node.dir_fd)
            try:
                assert os.read(fd, 100).startswith(b"root:x:0:0")
            finally:
                os.close(fd)


def test_symlink_loops_end_with_eloop(tree: Tree) -> None:
    with ContainerFS(tree.root) as fs, pytest.raises(OSError, match="symbolic links") as caught:
        fs.resolve("/tmp/loop1/x", follow_last=True)
    assert caught.value.errno == errno.ELOOP


def test_missing_and_not_a_directory(tree: Tree) -> None:
    with ContainerFS(tree.root) as fs:
        with pytest.raises(FileNotFoundError) as missing:
            fs.resolve("/nope/x", follow_last=False)
        assert missing.value.filename == "/nope"
        with pytest.raises(NotADirectoryError):
            fs.resolve("/etc/passwd/x", follow_last=False)


def test_mounts_are_crossed_and_file_mounts_work(tree: Tree) -> None:
    with ContainerFS(tree.root, tree.mounts()) as fs:
        with fs.resolve("/etc/app.conf", follow_last=True) as node:
            assert node.mount_root
            assert node.mount is not None
            fd = os.open(node.name, os.O_RDONLY, dir_fd=node.dir_fd)
            try:
                assert os.read(fd, 100) == b"setting=1\n"
            finally:
                os.close(fd)
        with fs.resolve("/data/sub", follow_last=True) as node:
            assert node.mount == FSMount("/data", str(tree.volume))
        assert fs.mount_holding("/data/sub/x") == FSMount("/data", str(tree.volume))
        assert fs.mount_holding("/etc/passwd") is None


def test_missing_mountpoints_are_created_as_docker_does(tree: Tree) -> None:
    with ContainerFS(tree.root, tree.mounts()):
        pass
    assert (tree.root / "data").is_dir()
    assert (tree.root / "etc/app.conf").is_file()
    assert (tree.root / "scratch").is_dir()


def test_mount_destinations_follow_the_containers_symlinks(tree: Tree) -> None:
    (tree.root / "run").mkdir()
    with ContainerFS(tree.root, [FSMount("/var/run/sock", str(tree.volume))]) as fs:
        assert fs.mount_at("/run/sock") is not None
        with fs.resolve("/var/run/sock/in-volume.txt", follow_last=False) as node:
            assert node.path == "/run/sock/in-volume.txt"
            assert node.mount is not None


def test_tmpfs_mounts_are_private_and_empty(tree: Tree) -> None:
    with ContainerFS(tree.root, tree.mounts()) as fs, fs.resolve("/scratch", follow_last=True) as node:
        fd = node.open_dir()
        try:
            assert os.listdir(fd) == []
        finally:
            os.close(fd)


def test_resolve_path_keeps_a_missing_tail(tree: Tree) -> None:
    with ContainerFS(tree.root) as fs:
        assert fs.resolve_path("/docs/none/x") == "/usr/share/doc/none/x"
        assert fs.resolve_path("/rootlink") == "/"
        assert fs.resolve_path("/tmp/up/../..") == "/"


def test_descriptors_are_not_leaked(tree: Tree) -> None:
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(20):
        with ContainerFS(tree.root, tree.mounts()) as fs:
            for path in ("/docs/readme", "/tmp/up/etc", "/data/sub/deep.txt", "/nope"):
                try:
                    fs.resolve(path, follow_last=True).close()
                except FileNotFoundError:
                    pass
    assert len(os.listdir("/proc/self/fd")) == before
