"""Bad requests get Docker's status codes and messages, and leave nothing behind.

After each refused create: no container record, no directory, no read-write
layer, no mount, no containerd container, and the name is still free.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.pymobyd import Pymobyd

from pymoby import api, errdefs
from pymoby.client import Client

pytestmark = pytest.mark.root


@pytest.fixture
def client(daemon: Pymobyd) -> Iterator[Client]:
    with Client(daemon.host) as connected:
        yield connected


def _mounts_under(path: Path) -> list[str]:
    prefix = str(path) + "/"
    return [
        line.split()[4]
        for line in Path("/proc/self/mountinfo").read_text().splitlines()
        if line.split()[4].startswith(prefix)
    ]


def _containerd_containers(daemon: Pymobyd) -> list[str]:
    sock = daemon.exec_root / "containerd" / "containerd.sock"
    listed = subprocess.run(
        ["ctr", "-a", str(sock), "-n", "pymoby", "containers", "ls", "-q"], capture_output=True, text=True, check=True
    )
    return listed.stdout.split()


def _footprint(daemon: Pymobyd) -> dict[str, Any]:
    layers = daemon.data_root / "image" / "overlay2" / "layerdb" / "mounts"
    return {
        "dirs": sorted(p.name for p in (daemon.data_root / "containers").iterdir()),
        "layers": sorted(p.name for p in layers.iterdir()) if layers.exists() else [],
        "mounts": _mounts_under(daemon.data_root),
        "containerd": _containerd_containers(daemon),
        "listed": daemon.docker("ps", "-aq").stdout.split(),
        "network records": sorted(p.name for p in (daemon.data_root / "network" / "containers").glob("*.json")),
        "volumes": daemon.docker("volume", "ls", "-q").stdout.split(),
    }


def _create(client: Client, name: str = "", **fields: Any) -> None:
    host = fields.pop("host_config", api.HostConfig(network_mode="none"))
    request = api.ContainerCreateRequest(image=fields.pop("image", "busybox"), cmd=["true"], host_config=host, **fields)
    client.create_container(request, name=name)


CASES = [
    ("unknown image", {"image": "nothere:1.0"}, errdefs.NotFound, "No such image: nothere:1.0"),
    ("bad name", {"name": "bad name!"}, errdefs.InvalidParameter,
     "Invalid container name (bad name!), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"),
    ("tiny memory", {"host_config": api.HostConfig(network_mode="none", memory=1024)}, errdefs.InvalidParameter,
     "Minimum memory limit allowed is 6MB"),
    ("swap below memory", {"host_config": api.HostConfig(network_mode="none", memory=64 << 20, memory_swap=32 << 20)},
     errdefs.InvalidParameter, "Minimum memoryswap limit should be larger than memory limit"),
    ("too many cpus", {"host_config": api.HostConfig(network_mode="none", nano_cpus=10_000 * 10**9)},
     errdefs.InvalidParameter, "Range of CPUs is from 0.01 to"),
    ("oom score", {"host_config": api.HostConfig(network_mode="none", oom_score_adj=5000)}, errdefs.InvalidParameter,
     "Invalid value 5000, range for oom score adj is [-1000, 1000]"),
    ("unknown capability", {"host_config": api.HostConfig(network_mode="none", cap_add=["CAP_NOPE"])},
     errdefs.InvalidParameter, 'unknown capability: "CAP_NOPE"'),
    ("unknown restart policy",
     {"host_config": api.HostConfig(network_mode="none", restart_policy=api.RestartPolicy(name="sometimes"))},
     errdefs.InvalidParameter, "invalid restart policy: unknown policy 'sometimes'"),
    ("retries without on-failure",
     {"host_config": api.HostConfig(network_mode="none", restart_policy=api.RestartPolicy("always", 3))},
     errdefs.InvalidParameter, "maximum retry count can only be used with 'on-failure'"),
    ("rm with restart",
     {"host_config": api.HostConfig(network_mode="none", auto_remove=True, restart_policy=api.RestartPolicy("always"))},
     errdefs.InvalidParameter, "can't create 'AutoRemove' container with restart policy"),
    ("relative workdir", {"working_dir": "rel/dir"}, errdefs.InvalidParameter,
     "the working directory 'rel/dir' is invalid, it needs to be an absolute path"),
    ("bad log driver", {"host_config": api.HostConfig(network_mode="none", log_config=api.LogConfig(type="nope"))},
     errdefs.InvalidParameter, "logger: no log driver named 'nope' is registered"),
    ("bad log option",
     {"host_config": api.HostConfig(network_mode="none", log_config=api.LogConfig("json-file", {"max-size": "x"}))},
     errdefs.InvalidParameter, ""),
    ("published port with container network",
     {"host_config": api.HostConfig(network_mode="container:ghost", port_bindings={"80/tcp": [api.PortBinding()]})},
     errdefs.InvalidParameter, "conflicting options: port publishing and the container type network mode"),
    ("alias on the default bridge", {"host_config": api.HostConfig(), "networking_config": api.NetworkingConfig(
        endpoints_config={"bridge": api.EndpointSettings(aliases=["x"])})},
     errdefs.InvalidParameter, "network-scoped alias is supported only for containers in user defined networks"),
    ("missing bind source", {"host_config": api.HostConfig(
        network_mode="none", mounts=[api.Mount(type="bind", source="/no/such/dir", target="/x")])},
     errdefs.InvalidParameter, "bind source path does not exist: /no/such/dir"),
    ("volume over a file", {"volumes": {"/etc/passwd": {}}}, errdefs.System,
     "cannot mount volume over existing file"),
    ("duplicate mount point", {"host_config": api.HostConfig(network_mode="none", binds=["/tmp:/d", "/var:/d"])},
     errdefs.InvalidParameter, "Duplicate mount point: /d"),
    ("volumes from a ghost", {"host_config": api.HostConfig(network_mode="none", volumes_from=["ghost"])},
     errdefs.InvalidParameter, "No such container: ghost"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "fields", "kind", "message"), CASES, ids=[c[0] for c in CASES])
def test_refused_creates_leave_nothing_behind(
    daemon: Pymobyd, client: Client, case: str, fields: dict[str, Any], kind: type[Exception], message: str
) -> None:
    before = _footprint(daemon)
    name = fields.pop("name", f"refused-{abs(hash(case))}")
    with pytest.raises(kind) as caught:
        _create(client, name, **fields)
    assert message in str(caught.value)
    assert _footprint(daemon) == before
    # The name was not kept: a good create with it works.
    if case != "bad name":
        _create(client, name)
        client.remove_container(name)


def test_conflicting_name_is_a_409_naming_the_holder(daemon: Pymobyd, client: Client) -> None:
    _create(client, "taken")
    holder = client.inspect_container("taken").id
    try:
        before = _footprint(daemon)
        with pytest.raises(errdefs.Conflict) as caught:
            _create(client, "taken")
        assert str(caught.value) == (
            f'Conflict. The container name "/taken" is already in use by container "{holder}". '
            "You have to remove (or rename) that container to be able to reuse that name."
        )
        assert _footprint(daemon) == before
        result = daemon.docker("create", "--name", "taken", "--network", "none", "busybox", check=False)
        assert result.returncode == 1
        assert b"is already in use" in result.stderr
    finally:
        client.remove_container("taken")


def test_unknown_container_is_a_404_everywhere(client: Client) -> None:
    for call in (
        lambda: client.inspect_container("ghost"),
        lambda: client.start("ghost"),
        lambda: client.stop("ghost"),
        lambda: client.kill("ghost"),
        lambda: client.remove_container("ghost"),
        lambda: client.top("ghost"),
        lambda: client.rename("ghost", "x"),
        lambda: client.exec_inspect("ghost"),
    ):
        with pytest.raises(errdefs.NotFound):
            call()


def test_failed_start_records_the_error_and_exit_code(daemon: Pymobyd, client: Client) -> None:
    request = api.ContainerCreateRequest(
        image="busybox", cmd=["/no/such/binary"], host_config=api.HostConfig(network_mode="none")
    )
    created = client.create_container(request, name="nobinary")
    try:
        with pytest.raises(errdefs.PymobyError) as caught:
            client.start(created.id)
        assert "no such file or directory" in str(caught.value)
        state = client.inspect_container(created.id).state
        assert state.exit_code == 127
        assert not state.running
        assert "no such file or directory" in state.error
        assert _containerd_containers(daemon) == [c for c in _containerd_containers(daemon) if c != created.id]
        result = daemon.docker("start", "nobinary", check=False)
        assert result.returncode == 1
    finally:
        client.remove_container(created.id, force=True)
    assert _mounts_under(daemon.data_root / "overlay2") == []


def test_invalid_json_and_empty_bodies(daemon: Pymobyd, client: Client) -> None:
    with pytest.raises(errdefs.InvalidParameter, match="got EOF"):
        client.request("POST", "/containers/create", body=b"")
    with pytest.raises(errdefs.InvalidParameter, match="invalid JSON"):
        client.request("POST", "/containers/create", body=b"{not json")
    _create(client, "cond")
    try:
        with pytest.raises(errdefs.InvalidParameter, match="invalid condition"):
            client.wait("cond", "whenever")
    finally:
        client.remove_container("cond")
