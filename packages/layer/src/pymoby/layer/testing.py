"""A conformance suite for layer stores and their graph drivers, and helpers to build test tars.

Every graph driver runs the same suite, as containerd's snapshotters do: mix
:class:`LayerStoreSuite` into a pytest class that provides a ``make_store``
fixture (a callable returning a fresh :class:`LayerStore` using the driver
under test)::

    class TestOverlay2(LayerStoreSuite):
        @pytest.fixture
        def make_store(self, tmp_path):
            stores = []
            def make():
                stores.append(LayerStore(tmp_path / "root", "overlay2"))
                return stores[-1]
            yield make
            for store in stores:
                store.close()

The suite needs root (devices, ownership, overlay mounts). This module does
not import pytest, so it can ship in the package.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ._changes import ChangeKind
from ._errors import InvalidTar, UnsafeTarEntry
from ._initlayer import setup_init_layer
from ._store import Layer, LayerStore
from ._tarformat import BLOCK, encode_header

__all__ = ["LayerStoreSuite", "StoreFactory", "TarItem", "build_tar", "digest_of", "mounted_under"]

StoreFactory = Callable[[], LayerStore]


@dataclass
class TarItem:
    """One entry for :func:`build_tar`; ``type`` is the tar type flag (``b"0"`` file, ``b"5"`` dir...)."""

    name: str
    type: bytes = b"0"
    data: bytes = b""
    mode: int = 0o644
    uid: int = 0
    gid: int = 0
    mtime: int = 1_600_000_000
    linkname: str = ""
    devmajor: int = 0
    devminor: int = 0
    xattrs: dict[str, bytes] = field(default_factory=dict)


def build_tar(items: Iterable[TarItem]) -> bytes:
    """A tar archive of ``items`` exactly as given (unsafe names included: this is for tests)."""
    out = bytearray()
    for item in items:
        out += encode_header(
            item.name,
            item.type,
            mode=item.mode,
            uid=item.uid,
            gid=item.gid,
            size=len(item.data),
            mtime=item.mtime,
            linkname=item.linkname,
            devmajor=item.devmajor,
            devminor=item.devminor,
            xattrs=item.xattrs or None,
        )
        out += item.data + bytes(-len(item.data) % BLOCK)
    out += bytes(2 * BLOCK)
    return bytes(out)


def digest_of(data: bytes) -> str:
    """``sha256:<hex>`` of ``data``."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def mounted_under(path: Path) -> list[str]:
    """Mount points at or under ``path`` (from /proc/self/mountinfo): a clean test leaves none."""
    from ._mount import mountpoints_under

    return mountpoints_under(os.fspath(path))


def _view(store: LayerStore, parent: Layer, name: str) -> tuple[Path, Callable[[], None]]:
    """Mount a read-write layer on ``parent`` and return its root and a function that cleans it all up."""
    rw = store.create_rw_layer(name, parent.chain_id)
    root = rw.mount()

    def done() -> None:
        rw.unmount()
        store.release_rw_layer(name)

    return root, done


BASE = [
    TarItem("etc", b"5", mode=0o755),
    TarItem("etc/passwd", data=b"root:x:0:0::/root:/bin/sh\n"),
    TarItem("etc/group", data=b"root:x:0:\n"),
    TarItem("usr", b"5", mode=0o755),
    TarItem("usr/lib", b"5", mode=0o755),
    TarItem("usr/lib/libc.so", data=b"\x7fELF" * 100),
    TarItem("usr/lib/keep", data=b"keep"),
    TarItem("var", b"5", mode=0o755),
    TarItem("var/cache", b"5", mode=0o755),
    TarItem("var/cache/a", data=b"a"),
    TarItem("var/cache/sub", b"5", mode=0o755),
    TarItem("var/cache/sub/b", data=b"b"),
]


class LayerStoreSuite:
    """The tests every graph driver passes, through the layer store (needs root)."""

    # -- every entry type ------------------------------------------------------------------------

    def test_regular_file_keeps_contents_owner_mode_and_time(self, make_store: StoreFactory) -> None:
        store = make_store()
        layer = store.register(io.BytesIO(build_tar([TarItem("f", data=b"hello", mode=0o640, uid=1000, gid=1001)])))
        root, done = _view(store, layer, "c")
        try:
            st = os.stat(root / "f", follow_symlinks=False)
            assert (root / "f").read_bytes() == b"hello"
            assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (1000, 1001, 0o640)
            assert st.st_mtime == 1_600_000_000
        finally:
            done()

    def test_special_mode_bits_survive_ownership_change(self, make_store: StoreFactory) -> None:
        store = make_store()
        tar = build_tar(
            [
                TarItem("suid", data=b"x", mode=0o4755, uid=5),
                TarItem("sgid", data=b"x", mode=0o2755, gid=7),
                TarItem("tmp", b"5", mode=0o1777),
            ]
        )
        root, done = _view(store, store.register(io.BytesIO(tar)), "c")
        try:
            assert stat.S_IMODE(os.stat(root / "suid").st_mode) == 0o4755
            assert stat.S_IMODE(os.stat(root / "sgid").st_mode) == 0o2755
            assert stat.S_IMODE(os.stat(root / "tmp").st_mode) == 0o1777
        finally:
            done()

    def test_directory_times_are_set_after_their_children(self, make_store: StoreFactory) -> None:
        store = make_store()
        tar = build_tar(
            [
                TarItem("d", b"5", mtime=1_000_000_000),
                TarItem("d/f", data=b"x"),
                TarItem("d/sub", b"5", mtime=1_000_000_001),
            ]
        )
        root, done = _view(store, store.register(io.BytesIO(tar)), "c")
        try:
            assert os.stat(root / "d").st_mtime == 1_000_000_000
            assert os.stat(root / "d" / "sub").st_mtime == 1_000_000_001
        finally:
            done()

    def test_symlinks_are_created_not_followed(self, make_store: StoreFactory) -> None:
        store = make_store()
        tar = build_tar(
            [
                TarItem("rel", b"2", linkname="target", uid=3, gid=4, mtime=1_234_567_890),
                TarItem("abs", b"2", linkname="/etc/shadow"),
                TarItem("dangling", b"2", linkname="nowhere/at/all"),
            ]
        )
        root, done = _view(store, store.register(io.BytesIO(tar)), "c")
        try:
            assert os.readlink(root / "rel") == "target"
            assert os.readlink(root / "abs") == "/etc/shadow"
            assert os.readlink(root / "dangling") == "nowhere/at/all"
            st = os.stat(root / "rel", follow_symlinks=False)
            assert (st.st_uid, st.st_gid, st.st_mtime) == (3, 4, 1_234_567_890)
        finally:
            done()

    def test_hardlinks_share_an_inode(self, make_store: StoreFactory) -> None:
        store = make_store()
        tar = build_tar([TarItem("a", data=b"data"), TarItem("dir", b"5"), TarItem("dir/b", b"1", linkname="a")])
        root, done = _view(store, store.register(io.BytesIO(tar)), "c")
        try:
            assert os.stat(root / "a").st_ino == os.stat(root / "dir" / "b").st_ino
            assert (root / "dir" / "b").read_bytes() == b"data"
        finally:
            done()

    def test_devices_and_fifos(self, make_store: StoreFactory) -> None:
        store = make_store()
        tar = build_tar(
            [
                TarItem("null", b"3", mode=0o666, devmajor=1, devminor=3),
                TarItem("loop9", b"4", mode=0o660, devmajor=7, devminor=9, gid=6),
                TarItem("pipe", b"6", mode=0o600),
            ]
        )
        root, done = _view(store, store.register(io.BytesIO(tar)), "c")
        try:
            null = os.stat(root / "null", follow_symlinks=False)
            assert stat.S_ISCHR(null.st_mode)
            assert (os.major(null.st_rdev), os.minor(null.st_rdev)) == (1, 3)
            assert stat.S_IMODE(null.st_mode) == 0o666
            loop = os.stat(root / "loop9", follow_symlinks=False)
            assert stat.S_ISBLK(loop.st_mode)
            assert (os.major(loop.st_rdev), os.minor(loop.st_rdev)) == (7, 9)
            assert loop.st_gid == 6
            assert stat.S_ISFIFO(os.stat(root / "pipe", follow_symlinks=False).st_mode)
        finally:
            done()

    def test_xattrs_including_file_capabilities(self, make_store: StoreFactory) -> None:
        # cap_net_raw+ep as a VFS_CAP_REVISION_2 security.capability value
        capability = bytes.fromhex("0100000200200000000000000000000000000000")
        tar = build_tar(
            [
                TarItem("ping", data=b"x", mode=0o755, uid=0, xattrs={"security.capability": capability}),
                TarItem("note", data=b"y", xattrs={"user.origin": b"test"}),
            ]
        )
        store = make_store()
        root, done = _view(store, store.register(io.BytesIO(tar)), "c")
        try:
            assert os.getxattr(root / "ping", "security.capability") == capability
            assert os.getxattr(root / "note", "user.origin") == b"test"
        finally:
            done()

    def test_long_names_and_non_ascii_names(self, make_store: StoreFactory) -> None:
        long_dir = "d" * 120
        name = f"{long_dir}/{'f' * 130}"
        tar = build_tar(
            [TarItem(long_dir, b"5"), TarItem(name, data=b"long"), TarItem("caf\u00e9-\u65e5\u672c", data=b"u")]
        )
        store = make_store()
        root, done = _view(store, store.register(io.BytesIO(tar)), "c")
        try:
            assert (root / name).read_bytes() == b"long"
            assert (root / "caf\u00e9-\u65e5\u672c").read_bytes() == b"u"
        finally:
            done()

    # -- whiteouts ---------------------------------------------------------------------------------

    def _base_and_top(self, store: LayerStore, top: list[TarItem]) -> Layer:
        base = store.register(io.BytesIO(build_tar(BASE)))
        return store.register(io.BytesIO(build_tar(top)), base.chain_id)

    def test_whiteout_removes_a_file(self, make_store: StoreFactory) -> None:
        store = make_store()
        layer = self._base_and_top(store, [TarItem("etc/.wh.group")])
        root, done = _view(store, layer, "c")
        try:
            assert not (root / "etc" / "group").exists()
            assert (root / "etc" / "passwd").exists()
        finally:
            done()

    def test_whiteout_removes_a_directory_tree(self, make_store: StoreFactory) -> None:
        store = make_store()
        layer = self._base_and_top(store, [TarItem("var/.wh.cache")])
        root, done = _view(store, layer, "c")
        try:
            assert not (root / "var" / "cache").exists()
            assert (root / "var").is_dir()
        finally:
            done()

    def test_opaque_directory_hides_what_the_parent_had(self, make_store: StoreFactory) -> None:
        store = make_store()
        layer = self._base_and_top(
            store,
            [TarItem("usr/lib", b"5"), TarItem("usr/lib/.wh..wh..opq"), TarItem("usr/lib/new", data=b"new")],
        )
        root, done = _view(store, layer, "c")
        try:
            assert sorted(os.listdir(root / "usr" / "lib")) == ["new"]
        finally:
            done()

    def test_whiteouts_are_stored_in_the_drivers_format(self, make_store: StoreFactory) -> None:
        store = make_store()
        layer = self._base_and_top(
            store, [TarItem("etc/.wh.group"), TarItem("usr/lib", b"5"), TarItem("usr/lib/.wh..wh..opq")]
        )
        content = store.driver.content_dir(layer.cache_id)
        if store.driver_name == "overlay2":
            st = os.stat(content / "etc" / "group", follow_symlinks=False)
            assert stat.S_ISCHR(st.st_mode)
            assert st.st_rdev == 0
            assert os.getxattr(content / "usr" / "lib", "trusted.overlay.opaque") == b"y"
        else:
            assert not (content / "etc" / "group").exists()
            assert os.listdir(content / "usr" / "lib") == []
        assert not (content / "etc" / ".wh.group").exists()

    # -- streams and diff IDs ----------------------------------------------------------------------

    def test_compressed_streams_give_the_uncompressed_diff_id(self, make_store: StoreFactory) -> None:
        import bz2
        import gzip
        import lzma

        import zstandard

        tar = build_tar(BASE)
        store = make_store()
        for packed in (
            gzip.compress(tar),
            zstandard.ZstdCompressor().compress(tar),
            bz2.compress(tar),
            lzma.compress(tar),
        ):
            layer = store.register(io.BytesIO(packed))
            assert layer.diff_id == digest_of(tar)
            assert layer.tar_size == len(tar)

    def test_tar_stream_reproduces_the_registered_tar(self, make_store: StoreFactory) -> None:
        tar = build_tar([*BASE, TarItem("etc/link", b"1", linkname="etc/passwd"), TarItem("z", b"6")])
        tar += bytes(10 * BLOCK)  # record padding, as GNU tar writes it
        store = make_store()
        layer = store.register(io.BytesIO(tar))
        assert layer.diff_id == digest_of(tar)
        assert b"".join(store.tar_stream(layer.chain_id)) == tar

    def test_register_tar_diff_register_keeps_the_diff_id(self, make_store: StoreFactory) -> None:
        store = make_store()
        base = store.register(io.BytesIO(build_tar(BASE)))
        rw = store.create_rw_layer("c", base.chain_id)
        root = rw.mount()
        try:
            (root / "etc" / "passwd").write_text("changed\n")
            (root / "etc" / "group").unlink()
            (root / "new").mkdir()
            (root / "new" / "file").write_bytes(b"\x00" * 1000)
            os.symlink("file", root / "new" / "link")
        finally:
            rw.unmount()
        first = b"".join(rw.tar_changes())
        assert b"".join(rw.tar_changes()) == first
        layer = store.register(io.BytesIO(first), base.chain_id)
        assert layer.diff_id == digest_of(first)
        again = b"".join(store.tar_stream(layer.chain_id))
        assert digest_of(again) == layer.diff_id
        assert store.release_rw_layer("c") == []

    # -- read-write layers -------------------------------------------------------------------------

    def test_changes_list_added_modified_and_deleted(self, make_store: StoreFactory) -> None:
        store = make_store()
        base = store.register(io.BytesIO(build_tar(BASE)))
        rw = store.create_rw_layer("c", base.chain_id, setup_init_layer)
        root = rw.mount()
        try:
            assert (root / "etc" / "hosts").exists()  # made by the init layer
            (root / "etc" / "passwd").write_text("changed\n")
            (root / "var" / "cache" / "a").unlink()
            (root / "tmp").mkdir()
            (root / "tmp" / "x").write_text("x")
            changes = {(c.kind, c.path) for c in rw.changes()}
        finally:
            rw.unmount()
        assert changes == {
            (ChangeKind.MODIFY, "/etc"),
            (ChangeKind.MODIFY, "/etc/passwd"),
            (ChangeKind.MODIFY, "/var"),
            (ChangeKind.MODIFY, "/var/cache"),
            (ChangeKind.DELETE, "/var/cache/a"),
            (ChangeKind.ADD, "/tmp"),
            (ChangeKind.ADD, "/tmp/x"),
        }
        assert rw.size() == len("changed\n") + 1
        store.release_rw_layer("c")

    def test_export_holds_the_whole_root_file_system(self, make_store: StoreFactory) -> None:
        import tarfile

        store = make_store()
        base = store.register(io.BytesIO(build_tar(BASE)))
        rw = store.create_rw_layer("c", base.chain_id, setup_init_layer)
        exported = b"".join(rw.export())
        with tarfile.open(fileobj=io.BytesIO(exported)) as archive:
            names = set(archive.getnames())
        assert {"etc/passwd", "usr/lib/libc.so", "etc/hosts", "etc/resolv.conf", ".dockerenv"} <= names
        assert not rw.is_mounted
        store.release_rw_layer("c")

    def test_mount_and_unmount_leave_nothing_mounted(self, make_store: StoreFactory) -> None:
        store = make_store()
        base = store.register(io.BytesIO(build_tar(BASE)))
        rw = store.create_rw_layer("c", base.chain_id, setup_init_layer)
        first = rw.mount()
        second = rw.mount()
        assert first == second
        rw.unmount()
        assert (first / "etc" / "passwd").exists()
        rw.unmount()
        assert not rw.is_mounted
        assert mounted_under(store.data_root) == []
        assert rw.mounts()
        store.release_rw_layer("c")

    def test_a_mounted_rw_layer_cannot_be_released(self, make_store: StoreFactory) -> None:
        from ._errors import MountActive

        store = make_store()
        rw = store.create_rw_layer("c", store.register(io.BytesIO(build_tar(BASE))).chain_id)
        rw.mount()
        try:
            store.release_rw_layer("c")
        except MountActive:
            pass
        else:
            raise AssertionError("releasing a mounted layer must fail")
        rw.unmount()
        store.release_rw_layer("c")

    # -- reference counting, failures, recovery ----------------------------------------------------

    def test_release_deletes_unheld_layers_and_their_parents(self, make_store: StoreFactory) -> None:
        store = make_store()
        base = store.register(io.BytesIO(build_tar(BASE)))
        top = store.register(io.BytesIO(build_tar([TarItem("x", data=b"x")])), base.chain_id)
        assert store.release(base.chain_id) == []  # still held by its child
        assert store.has(base.chain_id)
        again = store.register(io.BytesIO(build_tar([TarItem("x", data=b"x")])), base.chain_id)
        assert again == top
        assert store.references(top.chain_id) == 2
        assert store.release(top.chain_id) == []
        removed = store.release(top.chain_id)
        assert [layer.chain_id for layer in removed] == [top.chain_id, base.chain_id]
        assert store.layers() == []
        assert store.driver.ids() == []

    def test_a_refused_tar_leaves_no_layer(self, make_store: StoreFactory) -> None:
        store = make_store()
        bad = build_tar([TarItem("ok", data=b"x" * 10000), TarItem("../escape", data=b"x")])
        try:
            store.register(io.BytesIO(bad))
        except UnsafeTarEntry:
            pass
        else:
            raise AssertionError("a path traversal must be refused")
        assert store.layers() == []
        assert store.driver.ids() == []
        assert os.listdir(store.root / "tmp") == []

    def test_a_truncated_tar_leaves_no_layer(self, make_store: StoreFactory) -> None:
        store = make_store()
        tar = build_tar([TarItem("big", data=b"x" * 100_000)])
        try:
            store.register(io.BytesIO(tar[:50_000]))
        except InvalidTar:
            pass
        else:
            raise AssertionError("a truncated tar must be refused")
        assert store.layers() == []
        assert store.driver.ids() == []

    def test_deep_images_mount(self, make_store: StoreFactory) -> None:
        store = make_store()
        parent: Layer | None = None
        for i in range(125):
            tar = build_tar([TarItem(f"layer{i:03d}", data=str(i).encode())])
            parent = store.register(io.BytesIO(tar), parent.chain_id if parent else None)
        assert parent is not None
        rw = store.create_rw_layer("deep", parent.chain_id, setup_init_layer)
        root = rw.mount()
        try:
            assert (root / "layer000").read_text() == "0"
            assert (root / "layer124").read_text() == "124"
        finally:
            rw.unmount()
        assert mounted_under(store.data_root) == []
        store.release_rw_layer("deep")

    def test_sizes(self, make_store: StoreFactory) -> None:
        store = make_store()
        base = store.register(io.BytesIO(build_tar([TarItem("a", data=b"a" * 100)])))
        top = store.register(io.BytesIO(build_tar([TarItem("b", data=b"b" * 50)])), base.chain_id)
        assert (base.diff_size, top.diff_size) == (100, 50)
        assert store.size(top.chain_id) == 150
        assert store.disk_usage() == 150
