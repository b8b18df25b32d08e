"""The volume service with the local driver: create, inspect, list, remove, prune, references, events."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pymoby import api, errdefs
from pymoby.daemon.volume import (
    ANONYMOUS_LABEL,
    InvalidVolumeName,
    NoSuchVolume,
    PluginRegistry,
    VolumeInUse,
    VolumeService,
)

from .conftest import Recorder, is_dir, make_dir, read, write

pytestmark = pytest.mark.anyio


async def test_create_named_volume_makes_its_directory(service: VolumeService, tmp_path: Path) -> None:
    volume = await service.create("data", labels={"a": "b"})
    assert volume.name == "data"
    assert volume.driver == "local"
    assert volume.scope == "local"
    assert volume.mountpoint == str(tmp_path / "root" / "volumes" / "data" / "_data")
    assert is_dir(volume.mountpoint)
    assert volume.labels == {"a": "b"}
    assert volume.options is None
    assert isinstance(volume.created_at, str)
    assert volume.created_at[:2] == "20"


async def test_create_without_name_is_anonymous(service: VolumeService) -> None:
    volume = await service.create()
    assert len(volume.name) == 64
    assert all(c in "0123456789abcdef" for c in volume.name)
    assert volume.labels == {ANONYMOUS_LABEL: ""}


async def test_create_again_returns_the_existing_volume_untouched(service: VolumeService, events: Recorder) -> None:
    first = await service.create("vol", labels={"x": "1"})
    again = await service.create("vol", labels={"y": "2"})
    assert again.labels == first.labels == {"x": "1"}
    assert events.actions() == [("volume", "create", "vol")]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("a", "create a: volume name is too short, names should be at least two alphanumeric characters"),
        (
            "x!",
            'create x!: "x!" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" '
            "are allowed. If you intended to pass a host directory, use absolute path",
        ),
        (".hidden", None),
    ],
)
async def test_create_refuses_bad_local_names(service: VolumeService, name: str, message: str | None) -> None:
    with pytest.raises(errdefs.InvalidParameter) as caught:
        await service.create(name)
    if message is not None:
        assert str(caught.value) == message
    assert isinstance(caught.value.__cause__, InvalidVolumeName)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"foo": "bar"}, 'create vol: invalid option: "foo"'),
        ({"type": "tmpfs"}, 'create vol: missing required option: "device"'),
        ({"o": "size=1m", "device": "tmpfs"}, 'create vol: missing required option: "type"'),
        ({"size": "10m"}, "create vol: quota size requested but no quota support"),
    ],
)
async def test_create_refuses_bad_local_options(service: VolumeService, options: dict[str, str], message: str) -> None:
    with pytest.raises(errdefs.InvalidParameter, match=f"^{message}$"):
        await service.create("vol", options=options)


async def test_local_options_are_kept_like_docker(service: VolumeService, tmp_path: Path) -> None:
    options = {"type": "tmpfs", "device": "tmpfs", "o": "size=1m,uid=1000"}
    volume = await service.create("tv", options=options)
    assert volume.options == options
    saved = json.loads((tmp_path / "root" / "volumes" / "tv" / "opts.json").read_text())
    assert saved == {
        "MountType": "tmpfs",
        "MountOpts": "size=1m,uid=1000",
        "MountDevice": "tmpfs",
        "Quota": {"Size": 0},
    }


async def test_unknown_driver(service: VolumeService) -> None:
    with pytest.raises(errdefs.NotFound) as caught:
        await service.create("vol", "nope")
    assert str(caught.value) == 'create vol: error looking up volume plugin nope: plugin "nope" not found'


async def test_inspect_unknown_volume(service: VolumeService) -> None:
    with pytest.raises(NoSuchVolume) as caught:
        await service.inspect("ghost")
    assert str(caught.value) == "get ghost: no such volume"


async def test_remove_deletes_data_and_emits_destroy(service: VolumeService, events: Recorder) -> None:
    volume = await service.create("gone")
    write(Path(volume.mountpoint, "f"), "x")
    await service.remove("gone")
    assert not Path(volume.mountpoint).parent.exists()
    with pytest.raises(NoSuchVolume):
        await service.inspect("gone")
    assert events.seen[-1] == ("volume", "destroy", "gone", {"driver": "local"})


async def test_remove_in_use_is_a_conflict_even_with_force(service: VolumeService) -> None:
    await service.create("busy", reference="c1")
    await service.get("busy", reference="c2")
    for force in (False, True):
        with pytest.raises(VolumeInUse) as caught:
            await service.remove("busy", force=force)
        assert str(caught.value) == "remove busy: volume is in use - [c1, c2]"
        assert errdefs.is_conflict(caught.value)
    service.release("busy", "c1")
    service.release("busy", "c2")
    await service.remove("busy")


async def test_remove_unknown_volume(service: VolumeService) -> None:
    with pytest.raises(NoSuchVolume, match=r"^get nope: no such volume$"):
        await service.remove("nope")
    await service.remove("nope", force=True)


async def test_list_filters(service: VolumeService) -> None:
    await service.create("alpha", labels={"team": "a", "tier": "db"})
    await service.create("beta", labels={"team": "b"})
    anon = await service.create(reference="c1")

    async def names(**filters: list[str]) -> list[str]:
        volumes, warnings = await service.list(api.Filters(filters))
        assert warnings == []
        return [v.name for v in volumes]

    assert await names() == sorted(["alpha", "beta", anon.name])
    assert await names(name=["alp"]) == ["alpha"]
    assert await names(name=["^b.t"]) == ["beta"]
    assert await names(label=["team"]) == ["alpha", "beta"]
    assert await names(label=["team=a"]) == ["alpha"]
    assert await names(label=["team=a", "tier=db"]) == ["alpha"]
    assert await names(label=["team=a", "tier=web"]) == []
    assert await names(dangling=["true"]) == ["alpha", "beta"]
    assert await names(dangling=["0"]) == [anon.name]
    assert await names(driver=["local"], name=["beta"]) == ["beta"]
    assert await names(driver=["other"]) == []


async def test_list_refuses_unknown_filters(service: VolumeService) -> None:
    with pytest.raises(api.InvalidFilter, match=r"^invalid filter 'colour'$"):
        await service.list(api.Filters({"colour": ["red"]}))
    with pytest.raises(api.InvalidFilter, match=r"^invalid filter 'dangling=\[maybe\]'$"):
        await service.list(api.Filters({"dangling": ["maybe"]}))


async def test_prune_removes_unused_anonymous_volumes_only(service: VolumeService, events: Recorder) -> None:
    kept_named = await service.create("named")
    used = await service.create(reference="c1")
    pruned = await service.create()
    write(Path(pruned.mountpoint, "blob"), b"x" * 1000)
    report = await service.prune()
    assert report.volumes_deleted == [pruned.name]
    assert report.space_reclaimed == 1000
    names = [v.name for v in (await service.list())[0]]
    assert sorted(names) == sorted([kept_named.name, used.name])
    assert events.seen[-1] == ("volume", "prune", "", {"reclaimed": "1000"})


async def test_prune_all_and_labels(service: VolumeService) -> None:
    await service.create("keep", labels={"keep": "yes"})
    await service.create("drop")
    await service.create("tmp", options={"type": "tmpfs", "device": "tmpfs"})
    report = await service.prune(api.Filters({"all": ["true"], "label!": ["keep"]}))
    assert report.volumes_deleted == ["drop"]  # volumes with mount options are never pruned
    report = await service.prune(api.Filters({"all": ["1"], "label": ["keep=yes"]}))
    assert report.volumes_deleted == ["keep"]


async def test_prune_filter_errors(service: VolumeService) -> None:
    with pytest.raises(errdefs.InvalidParameter, match=r"^invalid filter 'all=\[false true\]': only one value"):
        await service.prune(api.Filters({"all": ["true", "false"]}))
    with pytest.raises(errdefs.InvalidParameter, match=r"strconv\.ParseBool"):
        await service.prune(api.Filters({"all": ["yes"]}))
    with pytest.raises(api.InvalidFilter, match=r"^invalid filter 'dangling'$"):
        await service.prune(api.Filters({"dangling": ["true"]}))


async def test_volumes_survive_a_restart_of_the_service(tmp_path: Path, service: VolumeService) -> None:
    volume = await service.create("keep", labels={"l": "v"})
    write(Path(volume.mountpoint, "data"), "kept")
    anonymous = await service.create()
    reopened = await VolumeService.open(tmp_path / "root", plugins=PluginRegistry(socket_dirs=[], spec_dirs=[]))
    again = await reopened.inspect("keep")
    assert again.labels == {"l": "v"}
    assert read(Path(again.mountpoint, "data")) == "kept"
    assert (await reopened.inspect(anonymous.name)).labels == {ANONYMOUS_LABEL: ""}


async def test_a_local_volume_without_metadata_is_found(tmp_path: Path, service: VolumeService) -> None:
    data = tmp_path / "root" / "volumes" / "fromdisk" / "_data"
    data.mkdir(parents=True)
    reopened = await VolumeService.open(tmp_path / "root", plugins=PluginRegistry(socket_dirs=[], spec_dirs=[]))
    assert (await reopened.inspect("fromdisk")).mountpoint == str(data)
    assert [v.name for v in (await reopened.list())[0]] == ["fromdisk"]


async def test_metadata_of_a_vanished_volume_is_dropped(tmp_path: Path, service: VolumeService) -> None:
    await service.create("brief")
    os.rename(tmp_path / "root" / "volumes" / "brief", tmp_path / "elsewhere")
    reopened = await VolumeService.open(tmp_path / "root", plugins=PluginRegistry(socket_dirs=[], spec_dirs=[]))
    with pytest.raises(NoSuchVolume):
        await reopened.inspect("brief")
    assert not any((tmp_path / "root" / "volumes" / ".metadata").iterdir())


async def test_disk_usage_counts_bytes_and_references(service: VolumeService) -> None:
    volume = await service.create("du", reference="c1")
    write(Path(volume.mountpoint, "a"), b"1" * 10)
    os.link(Path(volume.mountpoint, "a"), Path(volume.mountpoint, "b"))
    make_dir(Path(volume.mountpoint, "sub"))
    write(Path(volume.mountpoint, "sub", "c"), b"2" * 5)
    (usage,) = await service.disk_usage()
    assert usage.usage_data == api.VolumeUsageData(size=15, ref_count=1)


async def test_encoded_volume_has_dockers_keys(service: VolumeService) -> None:
    volume = await service.create("enc")
    body = json.loads(api.encode(volume))
    assert set(body) == {"Name", "Driver", "Mountpoint", "CreatedAt", "Labels", "Scope", "Options"}
    assert body["Labels"] is None
    assert body["Options"] is None
