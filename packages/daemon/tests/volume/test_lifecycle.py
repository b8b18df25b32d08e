"""A container's mounts through create, start, stop, remove and restore, as the container service calls them."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import msgspec
import pytest

from pymoby import api, errdefs
from pymoby.daemon.volume import (
    ANONYMOUS_LABEL,
    ContainerMounts,
    DuplicateMountPoint,
    InvalidMountSpec,
    MountPoint,
    VolumeService,
)

from .conftest import Recorder, make_dir, permissions, write

pytestmark = pytest.mark.anyio


class Store:
    """``--volumes-from``: containers by name."""

    def __init__(self) -> None:
        self.points: dict[str, Mapping[str, MountPoint]] = {}

    def mount_points_of(self, name_or_id: str) -> Mapping[str, MountPoint]:
        if name_or_id not in self.points:
            raise errdefs.NotFound(f"No such container: {name_or_id}")
        return self.points[name_or_id]


@pytest.fixture
def mounts(service: VolumeService, tmp_path: Path, events: Recorder) -> ContainerMounts:
    return ContainerMounts(
        service, daemon_root=tmp_path / "root", scratch_dir=tmp_path / "scratch", events=events, rro=True
    )


@pytest.fixture
def rootfs(tmp_path: Path) -> Path:
    root = tmp_path / "rootfs"
    (root / "var/lib/app/sub").mkdir(parents=True)
    (root / "var/lib/app/seed.txt").write_text("from the image\n")
    (root / "var/lib/app/sub/more").write_text("more\n")
    os.symlink("seed.txt", root / "var/lib/app/link")
    (root / "var/lib/app").chmod(0o711)
    (root / "etc").mkdir()
    (root / "etc/hosts").write_text("127.0.0.1 localhost\n")
    os.symlink("/", root / "escape")
    return root


def hc(**fields: object) -> api.HostConfig:
    return msgspec.convert(fields, api.HostConfig, from_attributes=False, str_keys=True)


async def test_create_resolves_every_kind_of_mount(
    mounts: ContainerMounts, service: VolumeService, tmp_path: Path
) -> None:
    host_dir = tmp_path / "hostdir"
    host_dir.mkdir()
    host_config = api.HostConfig(
        binds=["named:/named", f"{host_dir}:/bound:ro", "/anon-bind"],
        mounts=[
            api.Mount(
                type="volume", source="viamount", target="/m", volume_options=api.VolumeOptions(labels={"l": "1"})
            ),
            api.Mount(type="tmpfs", target="/t", tmpfs_options=api.TmpfsOptions(size_bytes=1 << 20)),
            api.Mount(type="bind", source=str(host_dir), target="/b2"),
        ],
        tmpfs={"/run": "size=64k"},
    )
    points = await mounts.create("c1", host_config, config_volumes=["/image-vol", "/named"])
    assert sorted(points) == ["/anon-bind", "/b2", "/bound", "/image-vol", "/m", "/named", "/t"]
    named = points["/named"]
    assert (named.type, named.name, named.driver, named.mode, named.rw) == ("volume", "named", "local", "z", True)
    assert named.source == (await service.inspect("named")).mountpoint
    bound = points["/bound"]
    assert (bound.type, bound.source, bound.rw, bound.propagation, bound.mode) == (
        "bind",
        str(host_dir),
        False,
        "rprivate",
        "ro",
    )
    assert points["/image-vol"].anonymous
    assert points["/image-vol"].copy_data
    assert (await service.inspect(points["/image-vol"].name)).labels == {ANONYMOUS_LABEL: ""}
    assert (await service.inspect("viamount")).labels == {"l": "1"}
    assert points["/b2"].skip_mountpoint_creation
    assert points["/anon-bind"].mode == "z"  # as Docker marks -v volumes of the local driver
    assert points["/image-vol"].mode == ""
    for point in points.values():
        if point.is_volume:
            assert service.references(point.name) == {"c1"}
    inspect = [p.to_api() for p in points.values()]
    by_dest = {p.destination: api.encode(p) for p in inspect}
    assert b'"Name"' not in by_dest["/bound"]
    assert b'"Driver"' not in by_dest["/bound"]


async def test_duplicate_mount_points(mounts: ContainerMounts, tmp_path: Path) -> None:
    with pytest.raises(DuplicateMountPoint, match=r"^Duplicate mount point: /data$"):
        await mounts.create("c", api.HostConfig(binds=[f"{tmp_path}:/data", "vol1:/data"]))
    with pytest.raises(DuplicateMountPoint, match=r"^Duplicate mount point: /data/$"):
        await mounts.create(
            "c", api.HostConfig(binds=["vol1:/data"], mounts=[api.Mount(type="volume", source="v2", target="/data/")])
        )
    with pytest.raises(DuplicateMountPoint, match=r"^Duplicate mount point: /run$"):
        await mounts.create("c", api.HostConfig(binds=["vol1:/run"], tmpfs={"/run": ""}))


async def test_a_failed_create_releases_and_removes_what_it_made(
    mounts: ContainerMounts, service: VolumeService
) -> None:
    await service.create("existing")
    with pytest.raises(DuplicateMountPoint):
        await mounts.create("c", api.HostConfig(binds=["existing:/a", "/anon", "x1:/dup", "x2:/dup"]))
    volumes, _ = await service.list()
    assert sorted(v.name for v in volumes) == ["existing", "x1"]  # named volumes stay, as Docker's do
    assert service.references("existing") == frozenset()
    assert service.references("x1") == frozenset()


async def test_create_errors_in_dockers_words(mounts: ContainerMounts, tmp_path: Path) -> None:
    with pytest.raises(InvalidMountSpec, match="bind source path does not exist: /no/such/dir"):
        await mounts.create("c", api.HostConfig(mounts=[api.Mount(type="bind", source="/no/such/dir", target="/x")]))
    with pytest.raises(InvalidMountSpec, match=r"^invalid volume specification: 'bad::'"):
        await mounts.create("c", api.HostConfig(binds=["bad::"]))
    with pytest.raises(errdefs.InvalidParameter, match=r"^No such container: ghost$"):
        await mounts.create("c", api.HostConfig(volumes_from=["ghost"]), volumes_from=Store())
    with pytest.raises(errdefs.InvalidParameter, match=r'invalid tmpfs option \["bogus"\]'):
        await mounts.create("c", api.HostConfig(tmpfs={"/t": "bogus"}))
    root = str(tmp_path / "root")
    make_dir(root)
    with pytest.raises(errdefs.InvalidParameter, match="must use either propagation mode"):
        await mounts.create(
            "c",
            api.HostConfig(
                mounts=[
                    api.Mount(
                        type="bind", source=root, target="/x", bind_options=api.BindOptions(propagation="private")
                    )
                ]
            ),
        )


async def test_binds_from_the_daemon_root_become_rslave(mounts: ContainerMounts, tmp_path: Path) -> None:
    inside = tmp_path / "root" / "somewhere"
    inside.mkdir(parents=True)
    points = await mounts.create("c", api.HostConfig(binds=[f"{inside}:/x"]))
    assert points["/x"].propagation == "rslave"


async def test_volumes_from_copies_mounts_and_references(mounts: ContainerMounts, service: VolumeService) -> None:
    store = Store()
    store.points["parent"] = await mounts.create(
        "parent", api.HostConfig(binds=["shared:/shared"]), config_volumes=["/anon"]
    )
    child = await mounts.create(
        "child", api.HostConfig(volumes_from=["parent:ro"]), volumes_from=store, config_volumes=["/anon"]
    )
    assert sorted(child) == ["/anon", "/shared"]
    assert not child["/shared"].rw
    assert child["/shared"].name == "shared"
    assert child["/anon"].name == store.points["parent"]["/anon"].name  # the parent's, not a new one
    assert not child["/anon"].copy_data
    assert service.references("shared") == {"parent", "child"}


async def test_image_volume_over_a_file_is_refused(mounts: ContainerMounts, rootfs: Path) -> None:
    with pytest.raises(errdefs.System, match="cannot mount volume over existing file, file exists"):
        await mounts.create("c", api.HostConfig(), config_volumes=["/etc/hosts"], rootfs=rootfs)


async def test_start_fills_a_new_volume_from_the_image_once(
    mounts: ContainerMounts, service: VolumeService, rootfs: Path, events: Recorder
) -> None:
    points = await mounts.create("c", api.HostConfig(binds=["appdata:/var/lib/app"]))
    started = await mounts.start("c", points, api.HostConfig(), rootfs=rootfs)
    data = Path((await service.inspect("appdata")).mountpoint)
    assert (data / "seed.txt").read_text() == "from the image\n"
    assert (data / "sub/more").read_text() == "more\n"
    assert os.readlink(data / "link") == "seed.txt"
    assert permissions(data) == 0o711
    assert not points["/var/lib/app"].copy_data
    assert points["/var/lib/app"].id
    assert started.mounts == [
        {"destination": "/var/lib/app", "type": "bind", "source": str(data), "options": ["rbind"]}
    ]
    mount_events = [e for e in events.seen if e[1] == "mount"]
    assert mount_events == [
        (
            "volume",
            "mount",
            "appdata",
            {
                "driver": "local",
                "container": "c",
                "destination": "/var/lib/app",
                "read/write": "true",
                "propagation": "",
            },
        )
    ]
    await mounts.stop("c", points)
    (data / "seed.txt").write_text("changed by the container\n")
    (data / "sub/more").unlink()
    await mounts.start("c", points, api.HostConfig(), rootfs=rootfs)
    assert (data / "seed.txt").read_text() == "changed by the container\n"
    assert not (data / "sub/more").exists()


async def test_nocopy_and_non_empty_volumes_are_not_filled(
    mounts: ContainerMounts, service: VolumeService, rootfs: Path
) -> None:
    points = await mounts.create("c", api.HostConfig(binds=["empty:/var/lib/app:nocopy"]))
    await mounts.start("c", points, api.HostConfig(), rootfs=rootfs)
    assert os.listdir((await service.inspect("empty")).mountpoint) == []
    full = await service.create("full")
    write(Path(full.mountpoint, "mine"), "x")
    points = await mounts.create("d", api.HostConfig(binds=["full:/var/lib/app"]))
    await mounts.start("d", points, api.HostConfig(), rootfs=rootfs)
    assert os.listdir(full.mountpoint) == ["mine"]


async def test_population_never_follows_the_images_symlinks_out(
    mounts: ContainerMounts, service: VolumeService, rootfs: Path, tmp_path: Path
) -> None:
    (tmp_path / "host-dir").mkdir()
    (tmp_path / "host-dir" / "secret").write_text("host")
    os.symlink(str(tmp_path / "host-dir"), rootfs / "hostlink")  # inside the container it names /tmp/...
    points = await mounts.create("c", api.HostConfig(binds=["v1:/hostlink", "v2:/escape/etc"]))
    await mounts.start("c", points, api.HostConfig(), rootfs=rootfs)
    assert os.listdir((await service.inspect("v1")).mountpoint) == []
    assert os.listdir((await service.inspect("v2")).mountpoint) == ["hosts"]  # the container's /etc


async def test_start_gives_oci_mounts_by_depth(mounts: ContainerMounts, rootfs: Path, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    host_config = api.HostConfig(
        binds=[f"{src}:/a/b/c:ro", f"{src}:/a:rprivate"],
        mounts=[
            api.Mount(type="tmpfs", target="/a/t", tmpfs_options=api.TmpfsOptions(size_bytes=2 << 20, mode=0o700)),
            api.Mount(type="bind", source=str(src), target="/nr", read_only=True,
                      bind_options=api.BindOptions(non_recursive=True, read_only_non_recursive=True)),
        ],
        tmpfs={"/run": "size=64k,exec"},
    )  # fmt: skip
    points = await mounts.create("c", host_config)
    started = await mounts.start("c", points, host_config, rootfs=rootfs)
    by_dest = {m["destination"]: m for m in started.mounts}
    assert [m["destination"] for m in started.mounts][:3] == ["/a", "/nr", "/run"]
    assert by_dest["/a"]["options"] == ["rbind", "rprivate"]
    assert by_dest["/a/b/c"]["options"] == ["rbind", "rro", "rprivate"]
    assert by_dest["/nr"]["options"] == ["bind", "ro", "rprivate"]
    assert by_dest["/a/t"] == {
        "destination": "/a/t",
        "type": "tmpfs",
        "source": "tmpfs",
        "options": ["noexec", "nosuid", "nodev", "rprivate", "mode=700", "size=2m"],
    }
    assert by_dest["/run"]["options"] == ["nosuid", "nodev", "rprivate", "size=64k", "exec"]


async def test_read_only_without_rro_support(service: VolumeService, tmp_path: Path, rootfs: Path) -> None:
    plain = ContainerMounts(service, daemon_root=tmp_path / "root", scratch_dir=tmp_path / "s", rro=False)
    points = await plain.create("c", api.HostConfig(binds=[f"{rootfs}:/x:ro"]))
    started = await plain.start("c", points, api.HostConfig(), rootfs=rootfs)
    assert started.mounts[0]["options"] == ["rbind", "ro", "rprivate"]


async def test_missing_v_bind_sources_are_created_at_start(
    mounts: ContainerMounts, rootfs: Path, tmp_path: Path
) -> None:
    source = tmp_path / "made" / "at" / "start"
    points = await mounts.create("c", api.HostConfig(binds=[f"{source}:/x"]))
    assert not source.exists()
    await mounts.start("c", points, api.HostConfig(), rootfs=rootfs)
    assert source.is_dir()


async def test_remove_with_volumes_removes_anonymous_ones_only(
    mounts: ContainerMounts, service: VolumeService, events: Recorder
) -> None:
    points = await mounts.create("c", api.HostConfig(binds=["named:/n", "/anon-b"]), config_volumes=["/anon-i"])
    anonymous = {points["/anon-b"].name, points["/anon-i"].name}
    errors = await mounts.remove("c", points, remove_volumes=True)
    assert errors == []
    names = {v.name for v in (await service.list())[0]}
    assert names == {"named"}
    assert {e[2] for e in events.seen if e[1] == "destroy"} == anonymous


async def test_remove_keeps_an_anonymous_volume_another_container_uses(
    mounts: ContainerMounts, service: VolumeService
) -> None:
    store = Store()
    store.points["a"] = await mounts.create("a", api.HostConfig(), config_volumes=["/v"])
    points_b = await mounts.create("b", api.HostConfig(volumes_from=["a"]), volumes_from=store)
    assert await mounts.remove("a", store.points["a"], remove_volumes=True) == []
    name = points_b["/v"].name
    assert service.references(name) == {"b"}
    await mounts.remove("b", points_b, remove_volumes=False)
    assert service.references(name) == frozenset()


async def test_restore_references_after_a_daemon_restart(
    mounts: ContainerMounts, service: VolumeService, tmp_path: Path
) -> None:
    points = await mounts.create("c", api.HostConfig(binds=["kept:/k"]))
    saved = msgspec.json.decode(msgspec.json.encode(points), type=dict[str, MountPoint])
    fresh = await VolumeService.open(tmp_path / "root")
    again = ContainerMounts(fresh, daemon_root=tmp_path / "root", scratch_dir=tmp_path / "scratch", rro=True)
    assert fresh.references("kept") == frozenset()
    await again.restore("c", saved, running=False)
    assert fresh.references("kept") == {"c"}
    with pytest.raises(errdefs.Conflict):
        await fresh.remove("kept")


async def test_filesystem_gives_the_archive_mounts(
    mounts: ContainerMounts, service: VolumeService, tmp_path: Path
) -> None:
    host_config = api.HostConfig(binds=["fsvol:/data", f"{tmp_path}:/host:ro"], tmpfs={"/run": ""})
    points = await mounts.create("c", host_config)
    async with mounts.filesystem("c", points, host_config) as fs_mounts:
        by_dest = {m.destination: m for m in fs_mounts}
    assert by_dest["/data"].source == (await service.inspect("fsvol")).mountpoint
    assert by_dest["/host"].read_only
    assert by_dest["/host"].source == str(tmp_path)
    assert by_dest["/run"].tmpfs
