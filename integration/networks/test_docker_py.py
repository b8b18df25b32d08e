"""docker-py's network calls against a real pymobyd, with a real container to connect."""

from __future__ import annotations

from collections.abc import Iterator

import docker
import docker.errors
import docker.models.networks
import docker.types
import pytest
from support.pymobyd import Pymobyd

pytestmark = pytest.mark.root


@pytest.fixture
def client(daemon: Pymobyd) -> Iterator[docker.DockerClient]:
    connected = docker.DockerClient(base_url=daemon.host, version="auto")
    try:
        yield connected
    finally:
        connected.close()


def _connect_and_disconnect(network: docker.models.networks.Network, container_id: str) -> None:
    network.connect(container_id, aliases=["pyalias"], ipv4_address="10.99.85.33")
    network.reload()
    assert network.attrs["Containers"][container_id]["IPv4Address"] == "10.99.85.33/24"
    with pytest.raises(docker.errors.APIError) as caught:
        network.connect(container_id)
    assert caught.value.status_code == 403
    network.disconnect(container_id)
    network.reload()
    assert network.attrs["Containers"] == {}


def test_docker_py_network_calls(daemon: Pymobyd, client: docker.DockerClient) -> None:
    pool = docker.types.IPAMPool(subnet="10.99.85.0/24", gateway="10.99.85.1")
    created = client.networks.create(
        "pynet", driver="bridge", ipam=docker.types.IPAMConfig(pool_configs=[pool]), labels={"by": "docker-py"}
    )
    assert client.networks.get("pynet").id == created.id
    assert [n.name for n in client.networks.list(names=["pynet"])] == ["pynet"]
    assert {n.name for n in client.networks.list(filters={"label": "by=docker-py"})} == {"pynet"}
    box = client.containers.run("busybox", ["sleep", "300"], name="pybox", detach=True)
    try:
        _connect_and_disconnect(created, box.id)
        created.connect(box.id, aliases=["pyalias"])
        box.reload()
        assert box.attrs["NetworkSettings"]["Networks"]["pynet"]["Aliases"][:1] == ["pyalias"]
        assert "eth1" in box.exec_run(["ip", "-o", "link"]).output.decode()
    finally:
        box.remove(force=True)
    with pytest.raises(docker.errors.NotFound):
        client.networks.get("nothing-here")
    with pytest.raises(docker.errors.APIError) as caught:
        client.networks.create("overlap", ipam=docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(
            subnet="10.99.85.0/25")]))  # fmt: skip
    assert caught.value.status_code == 403
    assert client.networks.prune() == {"NetworksDeleted": ["pynet"]}
    assert client.networks.prune() == {"NetworksDeleted": None}
    bridge = client.networks.get("bridge")
    assert bridge.attrs["Driver"] == "bridge"
    assert bridge.attrs["Options"]["com.docker.network.bridge.name"] == daemon.bridge
    with pytest.raises(docker.errors.APIError) as caught:
        bridge.remove()
    assert caught.value.status_code == 403
