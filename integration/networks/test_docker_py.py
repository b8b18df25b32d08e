"""docker-py's network calls against pymoby's network router and controller."""

from __future__ import annotations

from collections.abc import Iterator

import docker
import docker.errors
import docker.types
import pytest
from networks.netdaemon import Netd

pytestmark = pytest.mark.root


@pytest.fixture
def client(netd: Netd) -> Iterator[docker.DockerClient]:
    connected = docker.DockerClient(base_url=netd.host, version="auto")
    try:
        yield connected
    finally:
        connected.close()


def test_docker_py_network_calls(netd: Netd, client: docker.DockerClient) -> None:
    pool = docker.types.IPAMPool(subnet="10.99.85.0/24", gateway="10.99.85.1")
    created = client.networks.create(
        "pynet", driver="bridge", ipam=docker.types.IPAMConfig(pool_configs=[pool]), labels={"by": "docker-py"}
    )
    assert client.networks.get("pynet").id == created.id
    assert [n.name for n in client.networks.list(names=["pynet"])] == ["pynet"]
    assert {n.name for n in client.networks.list(filters={"label": "by=docker-py"})} == {"pynet"}
    box = netd.container("pybox")
    created.connect(box["Id"], aliases=["pyalias"], ipv4_address="10.99.85.33")
    created.reload()
    assert created.attrs["Containers"][box["Id"]]["IPv4Address"] == "10.99.85.33/24"
    with pytest.raises(docker.errors.APIError) as caught:
        created.connect(box["Id"])
    assert caught.value.status_code == 403
    created.disconnect(box["Id"])
    created.reload()
    assert created.attrs["Containers"] == {}
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
    assert bridge.attrs["Options"]["com.docker.network.bridge.name"] == netd.bridge
    with pytest.raises(docker.errors.APIError) as caught:
        bridge.remove()
    assert caught.value.status_code == 403
