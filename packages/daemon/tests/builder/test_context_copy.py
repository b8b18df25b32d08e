"""The build context (unpacking, content names, ``.dockerignore``) and COPY/ADD's copy rules, in temporary
directories."""

from __future__ import annotations

import gzip
import io
import os
import stat
import tarfile
from pathlib import Path

import pytest

from pymoby.daemon.builder import (
    InvalidContext,
    PatternMatcher,
    SourceNotFound,
    copy_sources,
    extract_context,
    normalize_dest,
    source_hash,
    sources_for,
)
from pymoby.daemon.builder._copy import is_archive, lookup_chown, parse_chmod

from .conftest import GROUP, PASSWD, make_tar

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="changing owners needs root; CI runs as root")


def feed(data: bytes):  # type: ignore[no-untyped-def]
    pieces = [data[i : i + 1000] for i in range(0, len(data), 1000)]
    return lambda: pieces.pop(0) if pieces else b""


def context(tmp_path: Path, files: dict[str, object]):  # type: ignore[no-untyped-def]
    return extract_context(feed(make_tar(files)), tmp_path / "ctx")


@pytest.fixture
def rootfs(tmp_path: Path) -> Path:
    """An image's root file system: /etc/passwd and group, /srv a directory, /link -> /srv (absolute)."""
    root = tmp_path / "rootfs"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "passwd").write_text(PASSWD)
    (root / "etc" / "group").write_text(GROUP)
    (root / "srv").mkdir()
    (root / "link").symlink_to("/srv")
    return root


def test_sources_are_named_by_content_as_dockerd_names_them(tmp_path: Path) -> None:
    # dockerd 20.10 recorded "COPY multi:37fd3f5b... in ./" for these two sources sent by the docker CLI.
    ctx = context(tmp_path, {"a.txt": b"hello\n", "sub": None, "sub/s.txt": b"sub\n"})
    infos = sources_for(ctx, "a.txt", in_context=True) + sources_for(ctx, "sub", in_context=True)
    assert [i.hash.split(":")[0] for i in infos] == ["file", "dir"]
    assert source_hash(infos) == "multi:37fd3f5b38d951f5dac1a084c6ced2661c48a3725a15b8bd00a890e8122edfa7"


def test_content_names_change_with_contents_and_mode_but_not_time(tmp_path: Path) -> None:
    def name(files: dict[str, object], where: str, mode: int = 0o644) -> str:
        ctx = extract_context(feed(make_tar(files, mode=mode)), tmp_path / where)
        return sources_for(ctx, "f", in_context=True)[0].hash

    base = name({"f": b"one"}, "a")
    assert name({"f": b"one"}, "b") == base
    assert name({"f": b"two"}, "c") != base
    assert name({"f": b"one"}, "d", mode=0o600) != base


def test_unpacking_keeps_files_links_modes_and_follows_links_inside(tmp_path: Path) -> None:
    ctx = context(tmp_path, {"d": None, "d/x": b"x", "ln": ("link", "d/x"), "abs": ("link", "/d")})
    assert (ctx.root / "d" / "x").read_bytes() == b"x"
    assert os.readlink(ctx.root / "ln") == "d/x"
    assert stat.S_IMODE((ctx.root / "d").stat().st_mode) == 0o755
    # "abs" points at /d: inside the context, not the host's /d.
    assert ctx.resolve("abs/x") == "/d/x"
    info = sources_for(ctx, "ln", in_context=True)[0]
    assert info.hash == sources_for(ctx, "d/x", in_context=True)[0].hash
    ctx.remove()
    assert not ctx.root.exists()


def test_compressed_and_empty_contexts(tmp_path: Path) -> None:
    packed = gzip.compress(make_tar({"Dockerfile": b"FROM a\n"}))
    ctx = extract_context(feed(packed), tmp_path / "gz")
    assert ctx.read_file("Dockerfile") == b"FROM a\n"
    empty = extract_context(feed(b""), tmp_path / "empty")
    assert empty.read_file("Dockerfile") is None


def test_a_tar_cut_right_after_its_last_file_is_complete_but_one_cut_inside_a_file_is_not(tmp_path: Path) -> None:
    # The docker CLI sends that for "-f ../Dockerfile": no padding after the last file, no end blocks.
    data = make_tar({"a": b"x" * 700, "b": b"last"})
    end_of_b = data.index(b"last") + 4
    ctx = extract_context(feed(data[:end_of_b]), tmp_path / "cut")
    assert ctx.read_file("b") == b"last"
    with pytest.raises(InvalidContext, match="unexpected EOF"):
        extract_context(feed(data[: end_of_b - 2]), tmp_path / "truncated")


def test_entries_outside_the_context_are_refused_and_nothing_is_left(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("../escape")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(InvalidContext, match="outside of the build context"):
        extract_context(feed(buffer.getvalue()), tmp_path / "ctx")
    assert not (tmp_path / "ctx").exists()
    assert not (tmp_path / "escape").exists()


def test_dockerignore_is_applied_with_exceptions(tmp_path: Path) -> None:
    ctx = context(
        tmp_path,
        {
            "keep.txt": b"",
            "a.log": b"",
            "docs": None,
            "docs/README.md": b"",
            "docs/x.md": b"",
            "tmp": None,
            "tmp/y": b"",
        },
    )
    ctx.exclude(PatternMatcher(["*.log", "docs", "!docs/README.md", "tmp"]))
    left = sorted(str(p.relative_to(ctx.root)) for p in ctx.root.rglob("*"))
    assert left == ["docs", "docs/README.md", "keep.txt"]
    with pytest.raises(SourceNotFound):
        sources_for(ctx, "a.log", in_context=True)


def test_wildcards_and_missing_sources(tmp_path: Path) -> None:
    ctx = context(tmp_path, {"a.txt": b"", "b.txt": b"", "c.md": b"", "sub": None, "sub/d.txt": b""})
    assert [i.path for i in sources_for(ctx, "*.txt", in_context=True)] == ["a.txt", "b.txt"]
    assert [i.path for i in sources_for(ctx, "sub/*.txt", in_context=True)] == ["sub/d.txt"]
    assert [i.path for i in sources_for(ctx, "[ab].txt", in_context=True)] == ["a.txt", "b.txt"]
    assert sources_for(ctx, "*.none", in_context=True) == []
    with pytest.raises(SourceNotFound) as caught:
        sources_for(ctx, "missing.txt", in_context=True)
    assert str(caught.value) == (
        "file not found in build context or excluded by .dockerignore: stat missing.txt: file does not exist"
    )


@pytest.mark.parametrize(
    ("workdir", "dest", "expected"),
    [
        ("", "x", "/x"),
        ("/app", "x", "/app/x"),
        ("/app", "x/", "/app/x/"),
        ("/app", "/abs", "/abs"),
        ("/app", ".", "/app"),
    ],
)
def test_relative_destinations_start_from_the_workdir(workdir: str, dest: str, expected: str) -> None:
    assert normalize_dest(workdir, dest) == expected


def test_copy_rules(tmp_path: Path, rootfs: Path) -> None:
    ctx = context(tmp_path, {"f": b"file", "dir": None, "dir/a": b"a", "dir/sub": None, "dir/sub/b": b"b"})
    owner = (0, 0) if os.geteuid() == 0 else None
    # A file to a new name, into an existing directory, into a "dir/" that is made.
    copy_sources(sources_for(ctx, "f", in_context=True), rootfs, "/renamed", owner=owner)
    copy_sources(sources_for(ctx, "f", in_context=True), rootfs, "/srv", owner=owner)
    copy_sources(sources_for(ctx, "f", in_context=True), rootfs, "/new/deep/", owner=owner)
    assert (rootfs / "renamed").read_bytes() == b"file"
    assert (rootfs / "srv" / "f").read_bytes() == b"file"
    assert (rootfs / "new" / "deep" / "f").read_bytes() == b"file"
    # A directory's contents, merged into what is there.
    (rootfs / "out").mkdir()
    (rootfs / "out" / "old").write_text("kept")
    copy_sources(sources_for(ctx, "dir", in_context=True), rootfs, "/out", owner=owner)
    assert sorted(str(p.relative_to(rootfs / "out")) for p in (rootfs / "out").rglob("*")) == [
        "a",
        "old",
        "sub",
        "sub/b",
    ]
    # The destination's symlinks lead inside the root file system, never to the host.
    copy_sources(sources_for(ctx, "f", in_context=True), rootfs, "/link/", owner=owner)
    assert (rootfs / "srv" / "f").read_bytes() == b"file"
    # An existing directory is a destination to copy into; a directory named as the file is replaced.
    (rootfs / "blocker" / "f").mkdir(parents=True)
    copy_sources(sources_for(ctx, "f", in_context=True), rootfs, "/blocker", owner=owner)
    assert (rootfs / "blocker" / "f").read_bytes() == b"file"


def test_chmod_sets_modes(tmp_path: Path, rootfs: Path) -> None:
    ctx = context(tmp_path, {"f": b"x"})
    copy_sources(sources_for(ctx, "f", in_context=True), rootfs, "/f", owner=None, mode=parse_chmod("0750"))
    assert stat.S_IMODE((rootfs / "f").stat().st_mode) == 0o750


@as_root
def test_owners_are_root_or_chown(tmp_path: Path, rootfs: Path) -> None:
    ctx = extract_context(feed(make_tar({"f": b"x", "d": None, "d/g": b"y"}, uid=4242)), tmp_path / "ctx")
    copy_sources(sources_for(ctx, "f", in_context=True), rootfs, "/as-root", owner=(0, 0))
    assert (rootfs / "as-root").stat().st_uid == 0
    uid_gid = lookup_chown("app:staff", rootfs)
    assert uid_gid == (1000, 50)
    copy_sources(sources_for(ctx, "d", in_context=True), rootfs, "/owned/", owner=uid_gid)
    for path in (rootfs / "owned", rootfs / "owned" / "g"):
        assert (path.stat().st_uid, path.stat().st_gid) == (1000, 50)
    copy_sources(sources_for(ctx, "f", in_context=True), rootfs, "/kept", owner=None)
    assert (rootfs / "kept").stat().st_uid == 4242


def test_chown_lookups(rootfs: Path) -> None:
    assert lookup_chown("app", rootfs) == (1000, 1000)
    assert lookup_chown("1234:5", rootfs) == (1234, 5)
    with pytest.raises(Exception, match="can't find uid for user nobody: no such user: nobody"):
        lookup_chown("nobody", rootfs)
    with pytest.raises(Exception, match="can't find gid for group nogroup: no such group: nogroup"):
        lookup_chown("app:nogroup", rootfs)


def test_add_unpacks_local_archives_and_copy_does_not(tmp_path: Path, rootfs: Path) -> None:
    archive = gzip.compress(make_tar({"inner": None, "inner/file": b"unpacked"}))
    ctx = context(tmp_path, {"bundle.tar.gz": archive, "plain.txt": b"not a tar"})
    assert is_archive(ctx.root / "bundle.tar.gz")
    assert not is_archive(ctx.root / "plain.txt")
    infos = sources_for(ctx, "bundle.tar.gz", in_context=True)
    copy_sources(infos, rootfs, "/unpacked", owner=(0, 0) if os.geteuid() == 0 else None, decompress=True)
    assert (rootfs / "unpacked" / "inner" / "file").read_bytes() == b"unpacked"
    copy_sources(infos, rootfs, "/copied/", owner=None)
    assert (rootfs / "copied" / "bundle.tar.gz").read_bytes() == archive
