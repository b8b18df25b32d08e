"""``docker ps`` with every filter Docker has, on a set of containers made once for the module."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from support.pymobyd import Pymobyd

pytestmark = pytest.mark.root

HEALTHY = "--health-cmd=true"
HEALTH_TIMING = ("--health-interval=1s", "--health-retries=1", "--health-start-period=0s")


@pytest.fixture(scope="module")
def fleet(daemon: Pymobyd, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pymobyd]:
    """Containers in every state: created, running (healthy, unhealthy), exited 0 and 3, paused."""
    shared = tmp_path_factory.mktemp("bind")
    d = daemon.docker
    d("create", "--name", "f-created", "--network", "none", "-l", "tier=db", "busybox", "true")
    d("run", "--name", "f-exit0", "--network", "none", "-l", "tier=web", "-l", "env=prod", "busybox", "true")
    d("run", "--name", "f-exit3", "--network", "none", "-l", "tier=web", "busybox", "sh", "-c", "exit 3", check=False)
    d("run", "-d", "--name", "f-healthy", "--network", "host", HEALTHY, *HEALTH_TIMING, "busybox", "sleep", "1000")
    d("run", "-d", "--name", "f-sick", "--network", "none", "--health-cmd=false", *HEALTH_TIMING,
      "-v", f"{shared}:/data", "busybox", "sleep", "1000")  # fmt: skip
    d("run", "-d", "--name", "f-paused", "--network", "none", "busybox", "sleep", "1000")
    d("pause", "f-paused")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        states = d("ps", "--format", "{{.Names}} {{.Status}}").stdout.decode()
        if "(healthy)" in states and "(unhealthy)" in states:
            break
        time.sleep(0.2)
    yield daemon
    d("unpause", "f-paused", check=False)
    d("rm", "-f", "f-created", "f-exit0", "f-exit3", "f-healthy", "f-sick", "f-paused", check=False)


def names(daemon: Pymobyd, *args: str) -> list[str]:
    listed = daemon.docker("ps", "--format", "{{.Names}}", *args).stdout.decode().split()
    return sorted(n for n in listed if n.startswith("f-"))


def test_running_by_default_all_with_a(fleet: Pymobyd) -> None:
    assert names(fleet) == ["f-healthy", "f-paused", "f-sick"]
    assert names(fleet, "-a") == ["f-created", "f-exit0", "f-exit3", "f-healthy", "f-paused", "f-sick"]


def test_newest_first_and_limit(fleet: Pymobyd) -> None:
    listed = fleet.docker("ps", "-a", "--format", "{{.Names}}").stdout.decode().split()
    ours = [n for n in listed if n.startswith("f-")]
    assert ours == ["f-paused", "f-sick", "f-healthy", "f-exit3", "f-exit0", "f-created"]
    assert fleet.docker("ps", "-a", "-n", "2", "--format", "{{.Names}}").stdout.decode().split() == ours[:2]
    assert fleet.docker("ps", "-l", "--format", "{{.Names}}").stdout.decode().split() == ours[:1]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("created", ["f-created"]),
        ("running", ["f-healthy", "f-sick"]),
        ("paused", ["f-paused"]),
        ("exited", ["f-exit0", "f-exit3"]),
    ],
)
def test_status(fleet: Pymobyd, value: str, expected: list[str]) -> None:
    assert names(fleet, "--filter", f"status={value}") == expected


def test_name_is_a_regular_expression(fleet: Pymobyd) -> None:
    assert names(fleet, "-a", "--filter", "name=f-exit") == ["f-exit0", "f-exit3"]
    assert names(fleet, "-a", "--filter", "name=^/f-c") == ["f-created"]
    assert names(fleet, "-a", "--filter", "name=exit0", "--filter", "name=created") == ["f-created", "f-exit0"]


def test_id_prefix(fleet: Pymobyd) -> None:
    full = fleet.docker("inspect", "-f", "{{.Id}}", "f-exit3").stdout.decode().strip()
    assert names(fleet, "-a", "--filter", f"id={full[:10]}") == ["f-exit3"]


def test_label(fleet: Pymobyd) -> None:
    assert names(fleet, "-a", "--filter", "label=tier") == ["f-created", "f-exit0", "f-exit3"]
    assert names(fleet, "-a", "--filter", "label=tier=web") == ["f-exit0", "f-exit3"]
    assert names(fleet, "-a", "--filter", "label=tier=web", "--filter", "label=env=prod") == ["f-exit0"]


def test_exited(fleet: Pymobyd) -> None:
    assert names(fleet, "-a", "--filter", "exited=3") == ["f-exit3"]
    assert names(fleet, "-a", "--filter", "exited=0") == ["f-exit0"]


def test_ancestor(fleet: Pymobyd) -> None:
    everything = names(fleet, "-a")
    assert names(fleet, "-a", "--filter", "ancestor=busybox") == everything
    assert names(fleet, "-a", "--filter", "ancestor=busybox:latest") == everything
    image_id = fleet.docker("inspect", "-f", "{{.Id}}", "busybox").stdout.decode().strip()
    assert names(fleet, "-a", "--filter", f"ancestor={image_id[7:19]}") == everything
    assert names(fleet, "-a", "--filter", "ancestor=nothere") == []


def test_before_and_since(fleet: Pymobyd) -> None:
    assert names(fleet, "-a", "--filter", "before=f-exit0") == ["f-created"]
    assert names(fleet, "-a", "--filter", "since=f-sick") == ["f-paused"]
    assert names(fleet, "-a", "--filter", "since=f-exit0", "--filter", "before=f-sick") == ["f-exit3", "f-healthy"]


def test_health(fleet: Pymobyd) -> None:
    assert names(fleet, "--filter", "health=healthy") == ["f-healthy"]
    assert names(fleet, "--filter", "health=unhealthy") == ["f-sick"]
    assert names(fleet, "-a", "--filter", "health=none") == ["f-created", "f-exit0", "f-exit3", "f-paused"]


def test_volume_and_network(fleet: Pymobyd) -> None:
    assert names(fleet, "-a", "--filter", "volume=/data") == ["f-sick"]
    assert names(fleet, "-a", "--filter", "network=host") == ["f-healthy"]
    assert "f-healthy" not in names(fleet, "-a", "--filter", "network=none")


def test_is_task_is_accepted(fleet: Pymobyd) -> None:
    assert names(fleet, "-a", "--filter", "is-task=false") == names(fleet, "-a")
    assert names(fleet, "-a", "--filter", "is-task=true") == []


def test_bad_filters_are_refused(fleet: Pymobyd) -> None:
    for bad, message in (
        ("status=sleeping", b"invalid filter 'status=sleeping'"),
        ("health=great", b"unrecognized filter value for health: great"),
        ("exited=x", b"invalid filter 'exited=x'"),
        ("colour=red", b"invalid filter 'colour'"),
    ):
        result = fleet.docker("ps", "-a", "--filter", bad, check=False)
        assert result.returncode == 1
        assert message in result.stderr, bad
