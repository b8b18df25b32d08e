"""The container model: state machine and wording, names, the store's lookups, the files on disk."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest

from pymoby import api, errdefs
from pymoby.daemon.container import (
    AmbiguousPrefix,
    Container,
    ContainerStore,
    ExitStatus,
    HealthResult,
    HealthState,
    InvalidContainerName,
    NameConflict,
    NoSuchContainer,
    State,
    WaitCondition,
    format_time,
    human_duration,
    parse_time,
    random_name,
    validate_name,
)

S = 1_000_000_000


def make(container_id: str, name: str, root: Path, created: int = 1) -> Container:
    return Container(
        container_id,
        name,
        root=root,
        created=created,
        path="sleep",
        args=["10"],
        config=api.ContainerConfig(image="busybox", cmd=["sleep", "10"], labels={"a": "b"}),
        host_config=api.HostConfig(network_mode="none"),
        image_id="sha256:" + "f" * 64,
        driver="overlay2",
    )


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.2, "Less than a second"),
        (1, "1 second"),
        (59, "59 seconds"),
        (61, "About a minute"),
        (600, "10 minutes"),
        (3600, "About an hour"),
        (5 * 3600, "5 hours"),
        (3 * 86400, "3 days"),
        (21 * 86400, "3 weeks"),
        (90 * 86400, "3 months"),
        (800 * 86400, "2 years"),
    ],
)
def test_human_duration_matches_docker(seconds: float, text: str) -> None:
    assert human_duration(seconds) == text


def test_state_strings_follow_the_lifecycle() -> None:
    state = State()
    assert (state.status(), state.describe(10 * S)) == ("created", "Created")
    state.set_running(42, initial=True)
    state.started_at = 10 * S
    assert (state.status(), state.describe(15 * S)) == ("running", "Up 5 seconds")
    state.paused = True
    assert (state.status(), state.describe(15 * S)) == ("paused", "Up 5 seconds (Paused)")
    state.paused = False
    state.health = HealthState(status="starting")
    assert state.describe(15 * S) == "Up 5 seconds (health: starting)"
    state.set_stopped(ExitStatus(3, 20 * S))
    assert (state.status(), state.describe(80 * S), state.pid) == ("exited", "Exited (3) About a minute ago", 0)
    state.removal_in_progress = True
    assert (state.status(), state.describe()) == ("removing", "Removal In Progress")
    state.removal_in_progress, state.dead = False, True
    assert (state.status(), state.describe()) == ("dead", "Dead")


def test_restarting_counts_as_running() -> None:
    state = State()
    state.set_running(1, initial=True)
    state.set_restarting(ExitStatus(1))
    assert state.status() == "restarting"
    assert state.running
    assert state.restarting


def test_health_log_keeps_the_last_five() -> None:
    health = HealthState()
    for i in range(7):
        health.add_result(HealthResult(i, i, i, str(i)))
    assert [r.exit_code for r in health.log] == [2, 3, 4, 5, 6]


@pytest.mark.anyio
async def test_waiters_get_the_exit_code_of_the_change() -> None:
    state = State()
    state.set_running(1, initial=True)
    event, box = state.waiter(WaitCondition.NEXT_EXIT)
    removed, removed_box = state.waiter(WaitCondition.REMOVED)
    assert not event.is_set()
    state.set_error("boom")
    state.set_stopped(ExitStatus(9))
    with anyio.fail_after(1):
        await event.wait()
    assert (box[0].exit_code, box[0].error) == (9, "boom")
    assert not removed.is_set()
    already, already_box = state.waiter(WaitCondition.NOT_RUNNING)
    assert already.is_set()
    assert already_box[0].exit_code == 9
    state.set_removed()
    assert removed.is_set()
    assert removed_box[0].exit_code == 9


def test_forgotten_waiters_are_not_woken() -> None:
    state = State()
    state.set_running(1, initial=True)
    event, box = state.waiter(WaitCondition.NEXT_EXIT)
    state.forget_waiter(event)
    state.set_stopped(ExitStatus(0))
    assert not event.is_set()
    assert box == []


@pytest.mark.parametrize("name", ["web", "/web", "a1", "my_app.v2-x"])
def test_valid_names(name: str) -> None:
    assert validate_name(name) == "/" + name.lstrip("/")


@pytest.mark.parametrize("name", ["a", "-x", "bad name", "é", "a/b", ""])
def test_invalid_names_use_dockers_message(name: str) -> None:
    with pytest.raises(InvalidContainerName, match=r"only \[a-zA-Z0-9\]\[a-zA-Z0-9_\.-\] are allowed"):
        validate_name(name)


def test_random_names_look_like_dockers() -> None:
    import random
    import re

    rng = random.Random(1)
    assert re.fullmatch(r"[a-z]+_[a-z]+", random_name(0, rng))
    assert re.fullmatch(r"[a-z]+_[a-z]+\d", random_name(1, rng))


def test_store_lookup_by_id_name_and_prefix(tmp_path: Path) -> None:
    store = ContainerStore()
    a = make("abc" + "0" * 61, "/first", tmp_path / "a")
    b = make("abd" + "1" * 61, "/second", tmp_path / "b")
    for c in (a, b):
        store.names.reserve(c.name, c.id)
        store.add(c)
    assert store.get(a.id) is a
    assert store.get("first") is a
    assert store.get("/second") is b
    assert store.get("abc") is b or store.get("abc") is a
    assert store.get("abc0") is a
    with pytest.raises(AmbiguousPrefix, match="multiple IDs found with provided prefix: ab"):
        store.get("ab")
    with pytest.raises(NoSuchContainer, match="No such container: zzz"):
        store.get("zzz")
    with pytest.raises(errdefs.InvalidParameter):
        store.get("")
    with pytest.raises(NameConflict, match='The container name "/first" is already in use by container "abc0'):
        store.names.reserve("/first", b.id)
    store.remove(a)
    assert store.find("first") is None
    store.names.reserve("/first", b.id)


def test_counts_for_info(tmp_path: Path) -> None:
    store = ContainerStore()
    states = []
    for i, status in enumerate(("running", "paused", "exited", "created")):
        c = make(f"{i}" * 64, f"/c{i}", tmp_path / str(i))
        if status in ("running", "paused"):
            c.state.set_running(1, initial=True)
            c.state.paused = status == "paused"
        elif status == "exited":
            c.state.set_running(1, initial=True)
            c.state.set_stopped(ExitStatus(0))
        store.add(c)
        states.append(c)
    assert store.counts() == (1, 1, 2)


def test_files_round_trip_in_dockers_layout(tmp_path: Path) -> None:
    root = tmp_path / "c"
    root.mkdir()
    container = make("9" * 64, "/kept", root, created=1_700_000_000_123_456_789)
    container.state.set_running(77, initial=True)
    container.state.health = HealthState("healthy", 0, [HealthResult(5 * S, 6 * S, 0, "ok")])
    container.restart_count = 2
    container.log_path = "/x/y-json.log"
    container.checkpoint()
    raw = json.loads((root / "config.v2.json").read_text())
    assert raw["ID"] == "9" * 64
    assert raw["Name"] == "/kept"
    assert raw["State"]["Running"] is True
    assert raw["State"]["Pid"] == 77
    assert raw["Created"] == "2023-11-14T22:13:20.123456789Z"
    assert raw["Config"]["Labels"] == {"a": "b"}
    assert json.loads((root / "hostconfig.json").read_text())["NetworkMode"] == "none"
    loaded = Container.from_disk(root)
    assert loaded.created == container.created
    assert (loaded.state.running, loaded.state.pid, loaded.restart_count) == (True, 77, 2)
    assert loaded.state.started_at == container.state.started_at
    assert loaded.state.health is not None
    assert loaded.state.health.log[0].output == "ok"
    assert loaded.host_config.network_mode == "none"
    assert loaded.log_path == "/x/y-json.log"
    assert [p.name for p in root.iterdir() if p.name.startswith(".")] == []


def test_times_use_gos_zero_time() -> None:
    assert format_time(0) == "0001-01-01T00:00:00Z"
    assert parse_time("0001-01-01T00:00:00Z") == 0
    assert parse_time(format_time(1_700_000_000_500_000_000)) == 1_700_000_000_500_000_000
