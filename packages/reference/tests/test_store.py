"""The reference store: Docker's repositories.json, its conflicts, atomic writes and crashes."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from pymoby import errdefs, reference
from pymoby.reference import ReferenceStore

ID1 = "sha256:" + "1" * 64
ID2 = "sha256:" + "2" * 64
DIG = "sha256:" + "d" * 64


def ref(text: str) -> reference.Reference:
    return reference.parse_normalized_named(text)


@pytest.fixture
def store(tmp_path: Path) -> ReferenceStore:
    return ReferenceStore(tmp_path / "image" / "repositories.json")


def test_a_new_store_writes_an_empty_docker_file(store: ReferenceStore) -> None:
    assert json.loads(store.path.read_text()) == {"Repositories": {}}
    assert store.path.stat().st_mode & 0o777 == 0o600


def test_tags_and_digests_are_written_with_familiar_names_as_docker_does(store: ReferenceStore) -> None:
    store.add_tag(ref("busybox"), ID1)
    store.add_digest(ref(f"busybox@{DIG}"), ID1)
    store.add_tag(ref("example.com:5000/team/app:v1"), ID2)
    assert json.loads(store.path.read_text()) == {
        "Repositories": {
            "busybox": {"busybox:latest": ID1, f"busybox@{DIG}": ID1},
            "example.com:5000/team/app": {"example.com:5000/team/app:v1": ID2},
        }
    }
    reopened = ReferenceStore(store.path)
    assert reopened.get(ref("docker.io/library/busybox:latest")) == ID1
    assert reopened.get(ref(f"busybox@{DIG}")) == ID1
    assert [str(r) for r in reopened.references(ID1)] == [
        "docker.io/library/busybox:latest",
        f"docker.io/library/busybox@{DIG}",
    ]


def test_get_defaults_to_latest_and_prefers_the_digest(store: ReferenceStore) -> None:
    store.add_tag(ref("busybox:latest"), ID1)
    store.add_digest(ref(f"busybox@{DIG}"), ID2)
    assert store.get(ref("busybox")) == ID1
    assert store.get(ref(f"busybox:latest@{DIG}")) == ID2
    with pytest.raises(reference.ReferenceNotFound, match=r"^reference does not exist$") as info:
        store.get(ref("busybox:1"))
    assert errdefs.is_not_found(info.value)
    with pytest.raises(reference.ReferenceNotFound):
        store.get(ref("other"))


def test_a_tag_is_not_moved_unless_forced(store: ReferenceStore) -> None:
    store.add_tag(ref("busybox:1"), ID1)
    store.add_tag(ref("busybox:1"), ID1)  # same image: nothing to do
    with pytest.raises(reference.ConflictingTag) as info:
        store.add_tag(ref("busybox:1"), ID2)
    assert str(info.value) == (
        f"Conflict: Tag busybox:1 is already set to image {ID1}, if you want to replace it, please use the force option"
    )
    assert errdefs.is_conflict(info.value)
    store.add_tag(ref("busybox:1"), ID2, force=True)
    assert store.get(ref("busybox:1")) == ID2
    assert store.references(ID1) == []
    assert store.references(ID2) == [ref("busybox:1")]


def test_a_digest_reference_never_moves(store: ReferenceStore) -> None:
    store.add_digest(ref(f"busybox@{DIG}"), ID1)
    with pytest.raises(reference.ConflictingTag, match=f"^Cannot overwrite digest {DIG}$"):
        store.add_digest(ref(f"busybox@{DIG}"), ID2, force=True)
    assert store.get(ref(f"busybox@{DIG}")) == ID1


def test_invalid_tags_are_refused(store: ReferenceStore) -> None:
    with pytest.raises(reference.InvalidTag, match="refusing to create a tag with a digest reference"):
        store.add_tag(ref(f"busybox@{DIG}"), ID1)
    with pytest.raises(reference.InvalidTag, match="ambiguous tag using digest algorithm as name"):
        store.add_tag(ref("sha256:abc"), ID1)
    with pytest.raises(reference.InvalidTag):
        store.add_digest(ref("busybox:1"), ID1)
    with pytest.raises(reference.InvalidDigestFormat):
        store.add_tag(ref("busybox:1"), "not-an-id")


def test_delete_removes_the_reference_and_empty_repositories(store: ReferenceStore) -> None:
    store.add_tag(ref("busybox"), ID1)
    store.add_tag(ref("busybox:1"), ID1)
    store.delete(ref("busybox"))
    assert [str(r) for r in store.references(ID1)] == ["docker.io/library/busybox:1"]
    store.delete(ref("busybox:1"))
    assert store.references(ID1) == []
    assert json.loads(store.path.read_text()) == {"Repositories": {}}
    with pytest.raises(reference.ReferenceNotFound):
        store.delete(ref("busybox:1"))


def test_references_by_name_lists_a_repository_sorted(store: ReferenceStore) -> None:
    store.add_tag(ref("app:b"), ID1)
    store.add_tag(ref("app:a"), ID2)
    store.add_digest(ref(f"app@{DIG}"), ID2)
    store.add_tag(ref("other:a"), ID2)
    associations = store.references_by_name(ref("app:zzz"))
    assert [(reference.familiar_string(a.ref), a.id) for a in associations] == [
        ("app:a", ID2),
        ("app:b", ID1),
        (f"app@{DIG}", ID2),
    ]
    assert store.references_by_name(ref("nothing")) == []


def test_reads_a_file_written_by_dockerd(tmp_path: Path) -> None:
    path = tmp_path / "repositories.json"
    path.write_text(json.dumps({"Repositories": {"busybox": {"busybox:latest": ID1}, "u/a": {f"u/a@{DIG}": ID2}}}))
    store = ReferenceStore(path)
    assert store.get(ref("busybox")) == ID1
    assert store.get(ref(f"docker.io/u/a@{DIG}")) == ID2


def test_a_corrupt_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "repositories.json"
    path.write_text("{not json")
    with pytest.raises(reference.CorruptStore) as info:
        ReferenceStore(path)
    assert errdefs.is_data_loss(info.value)


def _temp_files(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir() if p.name != "repositories.json"]


@pytest.mark.parametrize("failing", ["replace", "fsync"])
def test_a_crash_during_a_write_leaves_the_old_file_and_no_temp_file(
    store: ReferenceStore, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    store.add_tag(ref("busybox"), ID1)
    before = store.path.read_bytes()

    def crash(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, failing, crash)
    with pytest.raises(reference.StoreWriteError, match="No space left on device") as info:
        store.add_tag(ref("busybox:2"), ID2)
    assert errdefs.is_system(info.value)
    monkeypatch.undo()
    assert store.path.read_bytes() == before
    assert _temp_files(store.path.parent) == []
    # the in-memory state did not change either
    with pytest.raises(reference.ReferenceNotFound):
        store.get(ref("busybox:2"))
    assert store.references(ID2) == []
    monkeypatch.setattr(os, failing, crash)
    with pytest.raises(reference.StoreWriteError):
        store.delete(ref("busybox"))
    monkeypatch.undo()
    assert store.get(ref("busybox")) == ID1
    assert ReferenceStore(store.path).get(ref("busybox")) == ID1


def test_concurrent_writers_lose_nothing(store: ReferenceStore) -> None:
    def tag_many(worker: int) -> None:
        for i in range(25):
            store.add_tag(ref(f"app{worker}:t{i}"), ID1)

    threads = [threading.Thread(target=tag_many, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(store.references(ID1)) == 100
    assert len(ReferenceStore(store.path).references(ID1)) == 100
    assert _temp_files(store.path.parent) == []
