"""``GET /containers/json``'s filters and summaries, on containers in memory."""

from __future__ import annotations

from pathlib import Path

import pytest

from pymoby import api, errdefs
from pymoby.daemon.container import (
    Container,
    ContainerStore,
    ExitStatus,
    HealthState,
    ListQuery,
    command_string,
    summary,
)
from pymoby.daemon.volume import MountPoint

IMAGE_A = "sha256:" + "a" * 64
IMAGE_B = "sha256:" + "b" * 64


def container(
    index: int, name: str, *, status: str = "running", labels: dict[str, str] | None = None, exit_code: int = 0
) -> Container:
    c = Container(
        f"{index:x}" * 64,
        "/" + name,
        root=Path("/nonexistent"),
        created=index,
        path="sh",
        args=["-c", "echo hi there"],
        config=api.ContainerConfig(image="busybox", labels=labels),
        host_config=api.HostConfig(network_mode="none"),
        image_id=IMAGE_B if index == 3 else IMAGE_A,
        driver="overlay2",
        network_settings=api.NetworkSettings(networks={"none": api.EndpointSettings()}),
    )
    if status != "created":
        c.state.set_running(100 + index, initial=True)
        if status == "exited":
            c.state.set_stopped(ExitStatus(exit_code))
        elif status == "paused":
            c.state.paused = True
    return c


@pytest.fixture
def store() -> ContainerStore:
    store = ContainerStore()
    fleet = [
        container(1, "created", status="created", labels={"tier": "db"}),
        container(2, "ok", status="exited", labels={"tier": "web", "env": "prod"}),
        container(3, "bad", status="exited", exit_code=3, labels={"tier": "web"}),
        container(4, "run", labels={"env": "dev"}),
        container(5, "frozen", status="paused"),
    ]
    fleet[3].state.health = HealthState(status="healthy")
    fleet[3].mount_points = {"/data": MountPoint(source="/srv", destination="/data", type="bind")}
    for c in fleet:
        store.names.reserve(c.name, c.id)
        store.add(c)
    return store


def select(store: ContainerStore, filters: dict[str, list[str]] | None = None, **options: object) -> list[str]:
    query = ListQuery.fold(
        api.Filters(filters or {}),
        all=bool(options.get("all", False)),
        limit=int(options.get("limit", 0)),  # type: ignore[call-overload]
        find=store.find,
        ancestors=lambda ref: {IMAGE_A} if ref == "busybox" else set(),
    )
    return [c.name.lstrip("/") for c in query.select(store)]


def test_running_only_unless_all(store: ContainerStore) -> None:
    assert select(store) == ["frozen", "run"]
    assert select(store, all=True) == ["frozen", "run", "bad", "ok", "created"]
    assert select(store, limit=2) == ["frozen", "run"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"status": ["exited"]}, ["bad", "ok"]),
        ({"status": ["created", "paused"]}, ["frozen", "created"]),
        ({"name": ["^/r"]}, ["run"]),
        ({"name": ["o"]}, ["frozen", "ok"]),
        ({"label": ["tier=web"]}, ["bad", "ok"]),
        ({"label": ["tier", "env"]}, ["ok"]),
        ({"exited": ["3"]}, ["bad"]),
        ({"health": ["healthy"]}, ["run"]),
        ({"health": ["none"]}, ["frozen", "bad", "ok", "created"]),
        ({"ancestor": ["busybox"]}, ["frozen", "run", "ok", "created"]),
        ({"before": ["bad"]}, ["ok", "created"]),
        ({"since": ["bad"]}, ["frozen", "run"]),
        ({"volume": ["/data"]}, ["run"]),
        ({"volume": ["/srv"]}, ["run"]),
        ({"network": ["none"]}, ["frozen", "run", "bad", "ok", "created"]),
        ({"is-task": ["true"]}, []),
        ({"id": ["3333"]}, ["bad"]),
    ],
)
def test_filters(store: ContainerStore, filters: dict[str, list[str]], expected: list[str]) -> None:
    assert select(store, filters, all=True) == expected


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"status": ["sleeping"]}, "invalid filter 'status=sleeping'"),
        ({"health": ["great"]}, "unrecognized filter value for health: great"),
        ({"exited": ["x"]}, "invalid filter 'exited=x'"),
        ({"colour": ["red"]}, "invalid filter 'colour'"),
        ({"publish": ["80:80"]}, "filter for 'publish' should not contain ':': 80:80"),
    ],
)
def test_bad_filters(store: ContainerStore, filters: dict[str, list[str]], message: str) -> None:
    with pytest.raises(api.InvalidFilter, match=message):
        select(store, filters)


def test_before_an_unknown_container_is_not_found(store: ContainerStore) -> None:
    with pytest.raises(errdefs.NotFound, match="No such container: ghost"):
        select(store, {"before": ["ghost"]})


def test_status_filter_implies_all(store: ContainerStore) -> None:
    assert select(store, {"status": ["exited"]}) == ["bad", "ok"]


def test_summary_shape(store: ContainerStore) -> None:
    entry = summary(store.get("bad"), "busybox", now=10**12)
    assert entry.names == ["/bad"]
    assert entry.image == "busybox"
    assert entry.image_id == IMAGE_B
    assert entry.command == "sh -c 'echo hi there'"
    assert (entry.state, entry.status) == ("exited", entry.status)
    assert entry.status.startswith("Exited (3)")
    assert entry.ports == []
    assert entry.labels == {"tier": "web"}
    assert entry.host_config.network_mode == "none"
    encoded = api.encode(entry)
    assert b'"SizeRw"' not in encoded
    assert b'"NetworkSettings":{"Networks":{"none":' in encoded


def test_command_string_without_arguments() -> None:
    c = container(9, "x")
    c.args = []
    assert command_string(c) == "sh"
