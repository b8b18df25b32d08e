"""Layers made by dockerd apply, mount and stream back identically in pymoby's store; diffs match docker's."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.dockerd import Dockerd

from pymoby.layer import LayerStore, setup_init_layer
from pymoby.layer.testing import mounted_under

pytestmark = pytest.mark.root


@pytest.fixture(params=["overlay2", "vfs"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LayerStore]:
    """A layer store on each driver; nothing may stay mounted after it."""
    with LayerStore(tmp_path / "data", request.param) as layers:
        yield layers
    assert mounted_under(tmp_path) == []


def _saved_layers(dockerd: Dockerd, image: str) -> tuple[list[str], list[bytes]]:
    """The diff IDs and layer tars of ``image`` as ``docker save`` gives them."""
    archive = dockerd.docker("save", image).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
        config = json.loads(tar.extractfile(manifest[0]["Config"]).read())  # type: ignore[union-attr]
        blobs = [tar.extractfile(path).read() for path in manifest[0]["Layers"]]  # type: ignore[union-attr]
    return config["rootfs"]["diff_ids"], blobs


def test_a_dockerd_layer_registers_with_its_diff_id_and_streams_back_identically(
    dockerd: Dockerd, docker_busybox: str, store: LayerStore, busybox_rootfs: Path
) -> None:
    diff_ids, blobs = _saved_layers(dockerd, "busybox")
    layer = store.register(io.BytesIO(blobs[0]))
    assert layer.diff_id == diff_ids[0]
    assert b"".join(store.tar_stream(layer.chain_id)) == blobs[0]
    rw = store.create_rw_layer("c", layer.chain_id, setup_init_layer)
    root = rw.mount()
    try:
        assert (root / "bin" / "busybox").read_bytes() == (busybox_rootfs / "bin" / "busybox").read_bytes()
        assert sorted(p.name for p in (root / "bin").iterdir()) == sorted(
            p.name for p in (busybox_rootfs / "bin").iterdir()
        )
    finally:
        rw.unmount()
        store.release_rw_layer("c")


def test_changes_match_docker_diff_and_commit_layers_apply(
    dockerd: Dockerd, docker_busybox: str, store: LayerStore
) -> None:
    script = "rm /etc/group && echo changed > /etc/passwd && mkdir -p /srv/data && echo hi > /srv/data/f && rm -r /tmp"
    dockerd.docker("run", "--name", "work", "--network", "none", "busybox", "sh", "-c", script)
    docker_diff = set(dockerd.docker("diff", "work").stdout.decode().split("\n")) - {""}
    dockerd.docker("commit", "work", "busybox:changed")
    diff_ids, blobs = _saved_layers(dockerd, "busybox:changed")
    dockerd.docker("rm", "work")

    base = store.register(io.BytesIO(blobs[0]))
    rw = store.create_rw_layer("mine", base.chain_id, setup_init_layer)
    root = rw.mount()
    try:
        (root / "etc" / "group").unlink()
        (root / "etc" / "passwd").write_text("changed\n")
        (root / "srv" / "data").mkdir(parents=True)
        (root / "srv" / "data" / "f").write_text("hi\n")
        (root / "tmp").rmdir()
    finally:
        rw.unmount()
    ours = {str(change) for change in rw.changes()}
    assert ours == docker_diff

    # dockerd's commit layer applies on our base, and gives the same file system as our own changes.
    theirs = store.register(io.BytesIO(blobs[1]), base.chain_id)
    assert theirs.diff_id == diff_ids[1]
    committed = store.register_changes(rw, base.chain_id)
    for name, layer in (("theirs", theirs), ("ours", committed)):
        view = store.create_rw_layer(name, layer.chain_id)
        top = view.mount()
        try:
            assert not (top / "etc" / "group").exists()
            assert not (top / "tmp").exists()
            assert (top / "etc" / "passwd").read_text() == "changed\n"
            assert (top / "srv" / "data" / "f").read_text() == "hi\n"
        finally:
            view.unmount()
            store.release_rw_layer(name)
    store.release_rw_layer("mine")
    assert hashlib.sha256(b"".join(store.tar_stream(theirs.chain_id))).hexdigest() == diff_ids[1][7:]
