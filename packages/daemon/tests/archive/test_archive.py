"""stat, tar out and extract in, as ``docker cp`` sees them, through volumes and binds, never onto the host."""

from __future__ import annotations

import base64
import gzip
import io
import json
import os
import stat as st_mod
import tarfile
from pathlib import Path

import pytest

from pymoby import api, errdefs
from pymoby.daemon.archive import (
    ContainerFileNotFound,
    ExtractError,
    FSMount,
    NotADirectoryTarget,
    ReadOnlyTarget,
    encode_stat_header,
    get_archive,
    go_file_mode,
    put_archive,
    requested_path,
    stat,
)

from .conftest import Tree, feeder, make_tar

MODE_DIR, MODE_SYMLINK = 1 << 31, 1 << 27


def members(chunks: object) -> list[tarfile.TarInfo]:
    data = b"".join(chunks)  # type: ignore[arg-type]
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return tar.getmembers()


def names(chunks: object) -> list[str]:
    return [m.name for m in members(chunks)]


@pytest.mark.parametrize(
    ("raw", "path", "follow"),
    [
        ("/etc", "/etc", False),
        ("etc", "/etc", False),
        ("/etc/", "/etc/", True),
        ("/etc/.", "/etc/.", True),
        (".", "/.", True),
        ("/", "/", True),
        ("/a/../b//c", "/b/c", False),
    ],
)
def test_requested_path_keeps_dockers_trailing_forms(raw: str, path: str, follow: bool) -> None:
    assert requested_path(raw) == (path, follow)


def test_go_file_modes() -> None:
    assert go_file_mode(st_mod.S_IFDIR | 0o755) == MODE_DIR | 0o755
    assert go_file_mode(st_mod.S_IFLNK | 0o777) == MODE_SYMLINK | 0o777
    assert go_file_mode(st_mod.S_IFREG | 0o4755) == (1 << 23) | 0o755
    assert go_file_mode(st_mod.S_IFCHR | 0o666) == (1 << 26) | (1 << 21) | 0o666
    assert go_file_mode(st_mod.S_IFDIR | 0o1777) == MODE_DIR | (1 << 20) | 0o777


def test_stat_of_a_file_a_directory_and_a_symlink(tree: Tree) -> None:
    passwd = stat(tree.root, [], "/etc/passwd", container="web")
    assert (passwd.name, passwd.size, passwd.mode, passwd.link_target) == (
        "passwd",
        len((tree.root / "etc/passwd").read_bytes()),
        0o644 & ~0 & (tree.root / "etc/passwd").stat().st_mode & 0o777,
        "",
    )
    etc = stat(tree.root, [], "/etc/", container="web")
    assert etc.name == "etc"
    assert etc.mode & MODE_DIR
    link = stat(tree.root, [], "/docs", container="web")
    assert link.mode & MODE_SYMLINK
    assert link.link_target == "/usr/share/doc"
    up = stat(tree.root, [], "/tmp/up", container="web")
    assert up.link_target == "/"
    dotted = stat(tree.root, [], "/etc/.", container="web")
    assert dotted.name == "."
    assert dotted.mode & MODE_DIR


def test_stat_header_is_base64_json_with_dockers_keys(tree: Tree) -> None:
    found = stat(tree.root, [], "/docs", container="web")
    decoded = json.loads(base64.b64decode(encode_stat_header(found)))
    assert set(decoded) == {"name", "size", "mode", "mtime", "linkTarget"}
    assert decoded["linkTarget"] == "/usr/share/doc"
    assert decoded["mtime"].endswith(("Z", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9"))
    assert "T" in decoded["mtime"]


def test_stat_of_a_missing_path(tree: Tree) -> None:
    with pytest.raises(ContainerFileNotFound) as caught:
        stat(tree.root, [], "/no/such", container="web")
    assert str(caught.value) == "Could not find the file /no/such in container web"
    assert errdefs.is_not_found(caught.value)


def test_get_a_directory_renames_it_to_the_asked_base(tree: Tree) -> None:
    found, chunks = get_archive(tree.root, [], "/usr/share/doc", container="web")
    assert found.name == "doc"
    listed = members(chunks)
    assert [m.name for m in listed] == ["doc", "doc/hardlink", "doc/readme"]
    assert listed[0].isdir()
    assert listed[1].isfile()
    assert listed[2].islnk()
    assert listed[2].linkname == "doc/hardlink"


def test_get_the_contents_of_a_directory_with_slash_dot(tree: Tree) -> None:
    found, chunks = get_archive(tree.root, [], "/usr/share/doc/.", container="web")
    assert found.name == "."
    assert names(chunks) == [".", "./hardlink", "./readme"]


def test_get_a_symlink_gives_the_link_and_with_slash_its_target(tree: Tree) -> None:
    found, chunks = get_archive(tree.root, [], "/docs", container="web")
    (link,) = members(chunks)
    assert link.issym()
    assert link.name == "docs"
    assert link.linkname == "/usr/share/doc"
    assert found.mode & MODE_SYMLINK
    found, chunks = get_archive(tree.root, [], "/docs/", container="web")
    assert names(chunks) == ["docs", "docs/hardlink", "docs/readme"]


def test_get_through_a_volume_and_a_bind(tree: Tree) -> None:
    _, chunks = get_archive(tree.root, tree.mounts(), "/data", container="web")
    assert names(chunks) == ["data", "data/in-volume.txt", "data/sub", "data/sub/deep.txt"]
    _, chunks = get_archive(tree.root, tree.mounts(), "/etc", container="web")
    listed = {m.name: m for m in members(chunks)}
    assert "etc/app.conf" in listed
    assert listed["etc/app.conf"].size == len(b"setting=1\n")
    _, chunks = get_archive(tree.root, tree.mounts(), "/", container="web")
    everything = names(chunks)
    assert "/data/sub/deep.txt" in everything
    assert "/etc/passwd" in everything


def test_get_through_a_symlink_to_slash_reads_the_container(tree: Tree) -> None:
    _, chunks = get_archive(tree.root, [], "/rootlink/etc/passwd", container="web")
    data = b"".join(chunks)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        (member,) = tar.getmembers()
        content = tar.extractfile(member)
        assert content is not None
        assert content.read() == (tree.root / "etc/passwd").read_bytes()
    found, chunks = get_archive(tree.root, [], "/tmp/up", container="web")
    assert found.link_target == "/"
    assert names(chunks) == ["up"]  # the link itself, not what it points to


def test_get_keeps_owner_mode_and_whole_second_times(tree: Tree) -> None:
    os.utime(tree.root / "bin/tool", ns=(1_700_000_000_123_456_789, 1_700_000_000_123_456_789))
    _, chunks = get_archive(tree.root, [], "/bin/tool", container="web")
    (tool,) = members(chunks)
    assert tool.mode == 0o755
    assert tool.mtime == 1_700_000_000
    assert tool.uid == os.getuid()


def test_get_a_missing_path_and_a_file_with_a_slash(tree: Tree) -> None:
    with pytest.raises(ContainerFileNotFound):
        get_archive(tree.root, [], "/missing", container="web")
    with pytest.raises(errdefs.System, match="not a directory"):
        get_archive(tree.root, [], "/etc/passwd/", container="web")


def test_put_extracts_files_dirs_links_with_owners_and_modes(tree: Tree) -> None:
    data = make_tar(
        ("new", None), ("new/file.txt", "hello"), ("new/link", "->file.txt"), ("new/hard", "=>new/file.txt")
    )
    put_archive(tree.root, [], "/tmp", feeder(data), container="web")
    target = tree.root / "tmp/new"
    assert (target / "file.txt").read_text() == "hello"
    assert os.readlink(target / "link") == "file.txt"
    assert os.stat(target / "hard").st_ino == os.stat(target / "file.txt").st_ino
    info = os.stat(target / "file.txt")
    assert st_mod.S_IMODE(info.st_mode) == 0o640
    assert info.st_mtime == 1_700_000_000
    assert st_mod.S_IMODE(os.stat(target).st_mode) == 0o750
    if os.geteuid() == 0:
        assert (info.st_uid, info.st_gid) == (123, 456)


def test_put_copy_uid_gid_uses_the_containers_user(tree: Tree) -> None:
    if os.geteuid() != 0:
        pytest.skip("changing owners needs root")
    put_archive(tree.root, [], "/tmp", feeder(make_tar(("owned", "x"))), copy_uid_gid=True, user="app", container="c")
    info = os.stat(tree.root / "tmp/owned")
    assert (info.st_uid, info.st_gid) == (1000, 1001)
    put_archive(
        tree.root, [], "/tmp", feeder(make_tar(("byid", "x"))), copy_uid_gid=True, user="7:staff", container="c"
    )
    assert (os.stat(tree.root / "tmp/byid").st_uid, os.stat(tree.root / "tmp/byid").st_gid) == (7, 50)


def test_put_into_a_symlinked_directory_follows_it_inside(tree: Tree) -> None:
    put_archive(tree.root, [], "/docs", feeder(make_tar(("added", "x"))), container="web")
    assert (tree.root / "usr/share/doc/added").read_text() == "x"


def test_put_through_symlinks_to_slash_never_touches_the_host(tree: Tree) -> None:
    before = {p: p.read_bytes() for p in tree.base.iterdir() if p.is_file()}
    host_listing = sorted(os.listdir(tree.base))
    put_archive(tree.root, [], "/tmp/up", feeder(make_tar(("etc/hostile", "pwned"))), container="web")
    put_archive(tree.root, [], "/rootlink", feeder(make_tar(("top", "x"))), container="web")
    assert (tree.root / "etc/hostile").read_text() == "pwned"
    assert (tree.root / "top").read_text() == "x"
    # an archive whose own symlink points at the host's directory, then writes through it
    os.symlink(str(tree.base), tree.root / "tmp/hostdir")
    with pytest.raises(ContainerFileNotFound):
        put_archive(tree.root, [], "/tmp/hostdir", feeder(make_tar(("x", "y"))), container="web")
    put_archive(
        tree.root, [], "/tmp", feeder(make_tar(("escape", "->/"), ("escape/host-secret", "pwned"))), container="web"
    )
    assert (tree.root / "host-secret").read_text() == "pwned"  # "/" of the container
    assert {p: p.read_bytes() for p in tree.base.iterdir() if p.is_file()} == before
    assert sorted(os.listdir(tree.base)) == host_listing


@pytest.mark.parametrize(
    ("members_", "message"),
    [
        ((("../outside", "x"),), "'../outside' is outside of '/tmp'"),
        ((("link", "->../../etc"),), 'invalid symlink "/tmp/link" -> "../../etc"'),
        ((("hard", "=>../etc/passwd"),), 'invalid hardlink "/etc/passwd" -> "../etc/passwd"'),
    ],
)
def test_put_refuses_entries_that_climb_out(tree: Tree, members_: tuple[tuple[str, str], ...], message: str) -> None:
    with pytest.raises(ExtractError) as caught:
        put_archive(tree.root, [], "/tmp", feeder(make_tar(*members_)), container="web")
    assert message in str(caught.value)
    assert errdefs.is_system(caught.value)


def test_put_overwrite_rules(tree: Tree) -> None:
    (tree.root / "tmp/dir").mkdir()
    (tree.root / "tmp/dir/keep").write_text("k")
    (tree.root / "tmp/file").write_text("f")
    with pytest.raises(ExtractError, match='cannot overwrite directory "/tmp/dir" with non-directory "/tmp"'):
        put_archive(tree.root, [], "/tmp", feeder(make_tar(("dir", "now a file"))), container="web")
    with pytest.raises(ExtractError, match='cannot overwrite non-directory "/tmp/file" with directory "/tmp"'):
        put_archive(tree.root, [], "/tmp", feeder(make_tar(("file", None))), container="web")
    # a directory merges into a directory
    put_archive(tree.root, [], "/tmp", feeder(make_tar(("dir", None), ("dir/more", "m"))), container="web")
    assert sorted(os.listdir(tree.root / "tmp/dir")) == ["keep", "more"]
    # without noOverwriteDirNonDir, what is there is replaced
    put_archive(
        tree.root, [], "/tmp", feeder(make_tar(("dir", "now a file"))), no_overwrite_dir_non_dir=False, container="w"
    )
    assert (tree.root / "tmp/dir").read_text() == "now a file"


def test_put_target_errors(tree: Tree) -> None:
    with pytest.raises(NotADirectoryTarget, match=r"^extraction point is not a directory$"):
        put_archive(tree.root, [], "/etc/passwd", feeder(make_tar(("x", "y"))), container="web")
    with pytest.raises(ContainerFileNotFound, match=r"^Could not find the file /nope in container web$"):
        put_archive(tree.root, [], "/nope", feeder(make_tar(("x", "y"))), container="web")


def test_put_into_read_only_places(tree: Tree) -> None:
    with pytest.raises(ReadOnlyTarget, match=r"^mounted volume is marked read-only$"):
        put_archive(tree.root, tree.mounts(volume_ro=True), "/data", feeder(make_tar(("x", "y"))), container="w")
    with pytest.raises(ReadOnlyTarget, match=r"^mounted volume is marked read-only$"):
        put_archive(tree.root, tree.mounts(volume_ro=True), "/", feeder(make_tar(("data/x", "y"))), container="w")
    assert not (tree.volume / "x").exists()
    with pytest.raises(ReadOnlyTarget, match=r"^container rootfs is marked read-only$"):
        put_archive(tree.root, [], "/tmp", feeder(make_tar(("x", "y"))), read_only_root=True, container="w")
    put_archive(tree.root, tree.mounts(), "/data", feeder(make_tar(("ok", "y"))), read_only_root=True, container="w")
    assert (tree.volume / "ok").read_text() == "y"


def test_put_across_mounts_lands_in_the_volume(tree: Tree) -> None:
    put_archive(
        tree.root, tree.mounts(), "/", feeder(make_tar(("data/new/one", "1"), ("scratch/lost", "2"))), container="w"
    )
    assert (tree.volume / "new/one").read_text() == "1"
    assert not (tree.root / "scratch/lost").exists()  # a tmpfs of its own, as Docker's view has


def test_put_gzip_and_whiteout_names_are_plain_files(tree: Tree) -> None:
    data = gzip.compress(make_tar(("gz/.wh.file", "not a whiteout"), ("gz/a", "a")))
    put_archive(tree.root, [], "/tmp", feeder(data, chunk=50), container="w")
    assert (tree.root / "tmp/gz/.wh.file").read_text() == "not a whiteout"


@pytest.mark.parametrize("fmt", [tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT])
def test_put_long_names_in_every_tar_format(tree: Tree, fmt: int) -> None:
    long = "d" * 90 + "/" + "f" * 120
    if fmt == tarfile.USTAR_FORMAT:
        long = "d" * 90 + "/" + "f" * 90
    put_archive(tree.root, [], "/tmp", feeder(make_tar((long, "long"), fmt=fmt), chunk=333), container="w")
    assert (tree.root / "tmp" / long).read_text() == "long"


def test_put_then_get_round_trip(tree: Tree, tmp_path: Path) -> None:
    files = {f"tree/{d}/{n}": os.urandom(n * 1000 + d) for d in range(3) for n in range(4)}
    put_archive(
        tree.root,
        tree.mounts(),
        "/data",
        feeder(make_tar(*files.items(), ("tree/empty", b"")), chunk=65536),
        container="w",
    )
    found, chunks = get_archive(tree.root, tree.mounts(), "/data/tree", container="w")
    with tarfile.open(fileobj=io.BytesIO(b"".join(chunks))) as tar:
        got = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]
    assert got == {**{"tree" + k[4:]: v for k, v in files.items()}, "tree/empty": b""}
    assert isinstance(found, api.ContainerPathStat)


def test_mount_sources_are_real_paths_even_through_host_symlinks(tree: Tree) -> None:
    os.symlink(tree.volume, tree.base / "volume-link")
    mounts = [FSMount("/data", str(tree.base / "volume-link"))]
    assert stat(tree.root, mounts, "/data/in-volume.txt", container="w").size == len("volume data\n")
