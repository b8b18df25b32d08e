"""Volume plugins over Docker's plugin protocol: discovery, activation and every VolumeDriver call."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pymoby import api, errdefs
from pymoby.daemon.volume import (
    NoSuchVolume,
    PluginAddress,
    PluginCallError,
    PluginClient,
    PluginRegistry,
    PluginUnavailable,
    VolumeInUse,
    VolumeService,
)
from pymoby.daemon.volume.testing import FakeVolumePlugin

from .conftest import Recorder

pytestmark = pytest.mark.anyio


async def test_create_inspect_remove_through_the_plugin(service: VolumeService, plugin: FakeVolumePlugin) -> None:
    volume = await service.create("pv", "fakevol", options={"size": "1g"}, labels={"k": "v"})
    assert volume.driver == "fakevol"
    assert volume.options == {"size": "1g"}
    assert (plugin.root / "pv").is_dir()
    assert json.loads((plugin.root / "pv" / ".opts.json").read_text()) == {"size": "1g"}
    inspected = await service.inspect("pv")
    assert inspected.status == {"fake": "yes"}
    assert inspected.labels == {"k": "v"}
    assert inspected.created_at[:2] == "20"
    await service.remove("pv")
    assert not (plugin.root / "pv").exists()
    methods = [m for m, _ in plugin.calls]
    assert methods[0] == "Plugin.Activate"
    assert "VolumeDriver.Create" in methods
    assert methods[-1] == "VolumeDriver.Remove"


async def test_the_plugin_gets_the_requests_docker_sends(service: VolumeService, plugin: FakeVolumePlugin) -> None:
    await service.create("pv", "fakevol")
    assert ("VolumeDriver.Create", {"Name": "pv", "Opts": None}) in plugin.calls
    path = await service.mount("pv", "fakevol", "mount-id-1")
    assert path == str(plugin.root / "pv")
    assert plugin.mounts["pv"] == {"mount-id-1"}
    await service.unmount("pv", "fakevol", "mount-id-1")
    assert plugin.mounts["pv"] == set()
    assert ("VolumeDriver.Mount", {"Name": "pv", "ID": "mount-id-1"}) in plugin.calls


async def test_plugin_errors_reach_the_user(service: VolumeService, plugin: FakeVolumePlugin) -> None:
    with pytest.raises(errdefs.System) as caught:
        await service.create("pv", "fakevol", options={"fail": "disk full"})
    assert str(caught.value) == "create pv: VolumeDriver.Create: refusing to create pv: disk full"


async def test_volumes_made_behind_our_back_are_listed(service: VolumeService, plugin: FakeVolumePlugin) -> None:
    (plugin.root / "outside").mkdir()
    await service.create("inside", "fakevol")
    await service.create("localvol")
    volumes, warnings = await service.list()
    assert warnings == []
    assert [(v.name, v.driver) for v in volumes] == [
        ("inside", "fakevol"),
        ("localvol", "local"),
        ("outside", "fakevol"),
    ]
    only, _ = await service.list(api.Filters({"driver": ["fakevol"]}))
    assert [v.name for v in only] == ["inside", "outside"]


async def test_a_plugin_volume_in_use_cannot_be_removed(service: VolumeService, plugin: FakeVolumePlugin) -> None:
    await service.create("pv", "fakevol", reference="ctr")
    with pytest.raises(VolumeInUse):
        await service.remove("pv")


async def test_the_same_name_in_another_driver_is_a_conflict(service: VolumeService, plugin: FakeVolumePlugin) -> None:
    await service.create("shared", "fakevol")
    with pytest.raises(errdefs.Conflict) as caught:
        await service.create("shared", "local")
    assert "driver 'fakevol' already has volume 'shared'" in str(caught.value)
    assert (await service.create("shared")).driver == "fakevol"


async def test_a_volume_the_plugin_lost_is_forgotten(service: VolumeService, plugin: FakeVolumePlugin) -> None:
    await service.create("lost", "fakevol")
    (plugin.root / "lost" / ".opts.json").unlink()
    (plugin.root / "lost").rmdir()
    with pytest.raises(NoSuchVolume):
        await service.inspect("lost")


async def test_a_plugin_that_is_down_gives_a_warning_not_an_error(
    service: VolumeService, plugin_dirs: tuple[Path, Path], tmp_path: Path
) -> None:
    fake = FakeVolumePlugin(plugin_dirs[0] / "flaky.sock", tmp_path / "flaky")
    async with fake.serving():
        await service.create("pv", "flaky")
    await service.create("localvol")
    # the socket is gone with the plugin: point a spec file at a dead socket instead
    (plugin_dirs[1] / "dead.spec").write_text(f"unix://{plugin_dirs[0] / 'dead.sock'}\n")
    volumes, warnings = await service.list()
    assert "localvol" in [v.name for v in volumes]
    assert "pv" in [v.name for v in volumes]  # known to us, kept while its plugin is away
    assert any("flaky" in w for w in warnings)


async def test_discovery_by_socket_subdirectory_and_spec_files(plugin_dirs: tuple[Path, Path], tmp_path: Path) -> None:
    sockets, specs = plugin_dirs
    registry = PluginRegistry(socket_dirs=[sockets], spec_dirs=[specs])
    nested = FakeVolumePlugin(sockets / "nested" / "nested.sock", tmp_path / "n")
    (specs / "byspec.spec").write_text(f"unix://{sockets / 'nested' / 'nested.sock'}\n")
    (specs / "byjson.json").write_text(
        json.dumps({"Name": "byjson", "Addr": f"unix://{sockets / 'nested' / 'nested.sock'}"})
    )
    async with nested.serving():
        assert registry.scan() == ["byjson", "byspec", "nested"]
        assert registry.find("nested") == PluginAddress("nested", f"unix://{sockets / 'nested' / 'nested.sock'}")
        assert registry.find("byspec") is not None
        assert registry.find("byjson") is not None
        assert registry.find("../etc") is None
        assert registry.find("nothere") is None
        service = await VolumeService.open(tmp_path / "root", plugins=registry)
        for driver in ("nested", "byspec", "byjson"):
            assert (await service.create(f"vol-{driver}", driver)).driver == driver


async def test_a_plugin_that_is_not_a_volume_driver(
    service: VolumeService, plugin_dirs: tuple[Path, Path], tmp_path: Path
) -> None:
    fake = FakeVolumePlugin(plugin_dirs[0] / "netonly.sock", tmp_path / "x", implements=("NetworkDriver",))
    async with fake.serving():
        with pytest.raises(errdefs.NotFound) as caught:
            await service.create("pv", "netonly")
        assert 'Plugin does not implement the requested driver: plugin="netonly"' in str(caught.value)
        _, warnings = await service.list()
        assert warnings == []


async def test_global_scope_from_capabilities(
    service: VolumeService, plugin_dirs: tuple[Path, Path], tmp_path: Path
) -> None:
    fake = FakeVolumePlugin(plugin_dirs[0] / "cluster.sock", tmp_path / "c", scope="global")
    async with fake.serving():
        assert (await service.create("gv", "cluster")).scope == "global"


async def test_client_reports_non_200_and_unreachable(tmp_path: Path, plugin: FakeVolumePlugin) -> None:
    client = PluginClient(PluginAddress("fakevol", f"unix://{plugin.socket}"))
    with pytest.raises(PluginCallError) as caught:
        await client.call("VolumeDriver.Nope", {})
    assert caught.value.status == 404
    assert str(caught.value) == "VolumeDriver.Nope: unknown method VolumeDriver.Nope"
    dead = PluginClient(PluginAddress("dead", f"unix://{tmp_path / 'dead.sock'}"))
    with pytest.raises(PluginUnavailable):
        await dead.call("Plugin.Activate", None, retry_for=0.3)


async def test_events_name_the_plugin_driver(
    service: VolumeService, plugin: FakeVolumePlugin, events: Recorder
) -> None:
    await service.create("pv", "fakevol")
    assert events.seen == [("volume", "create", "pv", {"driver": "fakevol"})]
    assert service.driver_names() == ["fakevol", "local"]
