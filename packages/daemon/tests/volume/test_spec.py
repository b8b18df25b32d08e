"""``-v``, ``--mount``, ``--volumes-from`` and ``--tmpfs`` parsing: Docker's grammar and messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pymoby import api, errdefs
from pymoby.daemon.volume import (
    InvalidMountSpec,
    parse_bind,
    parse_mount,
    parse_volumes_from,
    read_write,
    tmpfs_data,
    valid_mode,
    validate_mount,
    validate_tmpfs_destination,
)


@pytest.mark.parametrize(
    ("raw", "kind", "source", "name", "destination", "rw", "mode", "propagation", "copy"),
    [
        ("/data", "volume", "", "", "/data", True, "", "", True),
        ("name:/data", "volume", "", "name", "/data", True, "", "", True),
        ("name:/data:ro", "volume", "", "name", "/data", False, "ro", "", True),
        ("name:/data:nocopy", "volume", "", "name", "/data", True, "nocopy", "", False),
        ("/host:/ctr", "bind", "/host", "", "/ctr", True, "", "rprivate", False),
        ("/host/:/ctr/:ro,z", "bind", "/host", "", "/ctr", False, "ro,z", "rprivate", False),
        ("/host:/ctr:rw,rslave", "bind", "/host", "", "/ctr", True, "rw,rslave", "rslave", False),
        ("/host:/ctr:shared,Z,cached", "bind", "/host", "", "/ctr", True, "shared,Z,cached", "shared", False),
    ],
)
def test_parse_bind_accepts_what_docker_accepts(
    raw: str, kind: str, source: str, name: str, destination: str, rw: bool, mode: str, propagation: str, copy: bool
) -> None:
    point = parse_bind(raw)
    assert (point.type, point.source, point.name, point.destination) == (kind, source, name, destination)
    assert (point.rw, point.mode, point.propagation, point.copy_data) == (rw, mode, propagation, copy)
    assert point.spec.type == kind


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "invalid volume specification: ''"),
        (":/data", "invalid volume specification: ':/data'"),
        ("/data:rw", "invalid volume specification: '/data:rw'"),
        ("a:b:c:d", "invalid volume specification: 'a:b:c:d'"),
        ("name:/data:rx", "invalid mode: rx"),
        ("name:/data:ro,rw", "invalid mode: ro,rw"),
        ("name:/data:nocopy,nocopy", "invalid mode: nocopy,nocopy"),
        (
            "/:/",
            "invalid volume specification: '/:/': invalid mount config for type \"bind\": "
            "invalid specification: destination can't be '/'",
        ),
        (
            "name:data",
            "invalid volume specification: 'name:data': invalid mount config for type \"volume\": "
            "invalid mount path: 'data' mount path must be absolute",
        ),
        (
            "name:/data:rshared",
            "invalid volume specification: 'name:/data:rshared': invalid mount config for type \"volume\": "
            "field BindOptions must not be specified",
        ),
    ],
)
def test_parse_bind_refuses_with_dockers_message(raw: str, message: str) -> None:
    with pytest.raises(InvalidMountSpec) as caught:
        parse_bind(raw)
    assert str(caught.value) == message
    assert errdefs.is_invalid_parameter(caught.value)


def test_parse_bind_passes_the_volume_driver_to_volumes_only() -> None:
    assert parse_bind("name:/d", "flocker").driver == "flocker"
    assert parse_bind("/h:/d", "flocker").driver == ""


def test_a_missing_bind_source_is_fine_for_v_but_not_for_mount(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing")
    assert parse_bind(f"{missing}:/d").source == missing
    with pytest.raises(InvalidMountSpec) as caught:
        validate_mount(api.Mount(type="bind", source=missing, target="/d"))
    assert str(caught.value) == f'invalid mount config for type "bind": bind source path does not exist: {missing}'
    created = api.Mount(type="bind", source=missing, target="/d", bind_options=api.BindOptions(create_mountpoint=True))
    validate_mount(created)


@pytest.mark.parametrize(
    ("mount", "message"),
    [
        (api.Mount(type="volume", target=""), 'invalid mount config for type "volume": field Target must not be empty'),
        (
            api.Mount(type="volume", target="/"),
            "invalid mount config for type \"volume\": invalid specification: destination can't be '/'",
        ),
        (api.Mount(type="bind", target="/d"), 'invalid mount config for type "bind": field Source must not be empty'),
        (
            api.Mount(type="bind", source="rel", target="/d"),
            "invalid mount config for type \"bind\": invalid mount path: 'rel' mount path must be absolute",
        ),
        (
            api.Mount(type="bind", source="/", target="/d", bind_options=api.BindOptions(propagation="weird")),
            'invalid mount config for type "bind": invalid propagation mode: weird',
        ),
        (
            api.Mount(type="bind", source="/", target="/d", volume_options=api.VolumeOptions()),
            'invalid mount config for type "bind": field VolumeOptions must not be specified',
        ),
        (
            api.Mount(type="volume", target="/d", volume_options=api.VolumeOptions(subpath="x")),
            'invalid mount config for type "volume": must not set Subpath when using anonymous volumes',
        ),
        (
            api.Mount(type="volume", source="v", target="/d", volume_options=api.VolumeOptions(subpath="../x")),
            'invalid mount config for type "volume": subpath must be a relative path within the volume',
        ),
        (
            api.Mount(type="volume", target="/d", read_only=True),
            'invalid mount config for type "volume": must not set ReadOnly mode when using anonymous volumes',
        ),
        (
            api.Mount(type="tmpfs", source="x", target="/t"),
            'invalid mount config for type "tmpfs": field Source must not be specified',
        ),
        (
            api.Mount(type="tmpfs", target="/t", tmpfs_options=api.TmpfsOptions(options=[["nosuid"]])),
            'invalid mount config for type "tmpfs": invalid option: nosuid',
        ),
        (api.Mount(type="npipe", source="x", target="/t"), 'invalid mount config for type "npipe": mount type unknown'),
    ],
)
def test_mount_validation_messages(mount: api.Mount, message: str) -> None:
    with pytest.raises(InvalidMountSpec) as caught:
        validate_mount(mount)
    assert str(caught.value) == message


def test_parse_mount_volume_with_driver_and_nocopy() -> None:
    point = parse_mount(
        api.Mount(
            type="volume",
            source="v",
            target="/data/",
            volume_options=api.VolumeOptions(no_copy=True, driver_config=api.DriverConfig(name="flocker")),
        )
    )
    assert (point.type, point.name, point.driver, point.destination, point.copy_data) == (
        "volume",
        "v",
        "flocker",
        "/data",
        False,
    )


def test_parse_mount_bind_propagation_defaults_to_rprivate(tmp_path: Path) -> None:
    point = parse_mount(api.Mount(type="bind", source=str(tmp_path), target="/x"))
    assert point.propagation == "rprivate"
    point = parse_mount(
        api.Mount(type="bind", source=str(tmp_path), target="/x", bind_options=api.BindOptions(propagation="rshared"))
    )
    assert point.propagation == "rshared"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [("web", ("web", "rw")), ("web:ro", ("web", "ro")), ("web:ro,z", ("web", "ro,z")), ("web:rw", ("web", "rw"))],
)
def test_volumes_from(spec: str, expected: tuple[str, str]) -> None:
    assert parse_volumes_from(spec) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "volumes-from specification cannot be an empty string"),
        ("web:rshared", "invalid mode: rshared"),
        ("web:nocopy", "invalid mode: nocopy"),
        ("web:bad", "invalid mode: bad"),
    ],
)
def test_volumes_from_refused(spec: str, message: str) -> None:
    with pytest.raises(InvalidMountSpec, match=f"^{message}$"):
        parse_volumes_from(spec)


@pytest.mark.parametrize(
    ("options", "read_only", "data"),
    [
        (None, False, ""),
        (None, True, "ro"),
        (api.TmpfsOptions(size_bytes=64 << 20), False, "size=64m"),
        (api.TmpfsOptions(size_bytes=3 << 30, mode=0o1777), False, "mode=1777,size=3g"),
        (api.TmpfsOptions(size_bytes=1000), False, "size=1000"),
        (api.TmpfsOptions(size_bytes=4096, options=[["exec"]]), True, "ro,size=4k,exec"),
    ],
)
def test_tmpfs_data_as_docker_writes_it(options: api.TmpfsOptions | None, read_only: bool, data: str) -> None:
    assert tmpfs_data(options, read_only) == data


def test_tmpfs_destination() -> None:
    validate_tmpfs_destination("/run")
    with pytest.raises(InvalidMountSpec, match="destination can't be '/'"):
        validate_tmpfs_destination("/")
    with pytest.raises(InvalidMountSpec, match="mount path must be absolute"):
        validate_tmpfs_destination("run")


def test_modes() -> None:
    assert valid_mode("")
    assert valid_mode("ro,Z,rslave,nocopy,delegated")
    assert not valid_mode("ro,ro")
    assert not valid_mode("z,Z")
    assert not valid_mode("x")
    assert read_write("")
    assert read_write("rw,z")
    assert not read_write("ro")
    assert not read_write("bad")


@given(st.text(alphabet=st.sampled_from("/:abz,ro.rwZsharedcopy "), max_size=30))
def test_parse_bind_raises_only_invalid_mount_spec(raw: str) -> None:
    try:
        point = parse_bind(raw)
    except InvalidMountSpec:
        return
    assert point.destination.startswith("/")
    assert point.type in ("bind", "volume")


@given(
    st.sampled_from(["ro", "rw", ""]),
    st.sampled_from(["z", "Z", ""]),
    st.sampled_from(["", "rprivate", "rshared", "slave"]),
)
def test_bind_modes_round_trip(rw: str, label: str, propagation: str) -> None:
    mode = ",".join(o for o in (rw, label, propagation) if o)
    point = parse_bind(f"/src:/dst:{mode}" if mode else "/src:/dst")
    assert point.rw == (rw != "ro")
    assert point.mode == mode
    assert point.propagation == (propagation or "rprivate")
