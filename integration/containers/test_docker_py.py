"""docker-py (PyPI ``docker``) against pymobyd: the containers API as Python users drive it."""

from __future__ import annotations

import time
from collections.abc import Iterator

import docker
import pytest
from docker.models.containers import Container
from support.pymobyd import Pymobyd

pytestmark = pytest.mark.root


@pytest.fixture
def client(daemon: Pymobyd) -> Iterator[docker.DockerClient]:
    connected = docker.DockerClient(base_url=daemon.host, version="auto")
    try:
        yield connected
    finally:
        for container in connected.containers.list(all=True, filters={"label": "suite=docker-py"}):
            container.remove(force=True)
        connected.close()


def run(client: docker.DockerClient, *args: object, **kwargs: object) -> Container:
    labels = {"suite": "docker-py"}
    return client.containers.run(*args, network_mode="none", labels=labels, **kwargs)  # type: ignore[no-any-return]


def test_run_returns_output(client: docker.DockerClient) -> None:
    assert client.containers.run("busybox", ["echo", "hi"], network_mode="none", remove=True) == b"hi\n"


def test_container_model_lifecycle(client: docker.DockerClient) -> None:
    container = run(client, "busybox", "sleep 1000", detach=True, name="dpy", environment={"K": "v"})
    assert container.status == "created" or container.reload() is None
    container.reload()
    assert container.status == "running"
    assert container.attrs["Config"]["Env"][0] == "K=v"
    assert client.containers.get("dpy").id == container.id
    container.pause()
    container.reload()
    assert container.status == "paused"
    container.unpause()
    result = container.exec_run(["sh", "-c", "echo $K; exit 3"], environment={"K": "exec"})
    assert (result.exit_code, result.output) == (3, b"exec\n")
    assert container.top()["Titles"][:2] == ["UID", "PID"]
    container.rename("dpy2")
    container.reload()
    assert container.name == "dpy2"
    container.update(mem_limit="32m", memswap_limit="64m")
    assert container.attrs["HostConfig"]["Memory"] == 0 or container.reload() is None
    assert client.containers.get("dpy2").attrs["HostConfig"]["Memory"] == 32 * 1024 * 1024
    container.kill(signal="SIGKILL")
    assert container.wait()["StatusCode"] == 137
    container.remove()
    with pytest.raises(docker.errors.NotFound):
        client.containers.get("dpy2")


def test_logs_and_attach_streams(client: docker.DockerClient) -> None:
    container = run(client, "busybox", ["sh", "-c", "echo out; echo err >&2"], detach=True)
    assert container.wait()["StatusCode"] == 0
    assert container.logs(stdout=True, stderr=False) == b"out\n"
    assert container.logs(stdout=False, stderr=True) == b"err\n"
    assert container.logs(timestamps=True).count(b"Z ") == 2
    streaming = run(client, "busybox", ["sh", "-c", "sleep 0.5; for i in 1 2 3; do echo s$i; done"], detach=True)
    assert b"".join(streaming.logs(stream=True, follow=True)) == b"s1\ns2\ns3\n"


def test_list_filters_and_prune(client: docker.DockerClient) -> None:
    kept = run(client, "busybox", "sleep 1000", detach=True, name="keepme")
    done = run(client, "busybox", "true", detach=True, name="doneme")
    done.wait()
    running = [c.name for c in client.containers.list(filters={"label": "suite=docker-py"})]
    assert running == ["keepme"]
    exited = [
        c.name for c in client.containers.list(all=True, filters={"status": "exited", "label": "suite=docker-py"})
    ]
    assert exited == ["doneme"]
    report = client.containers.prune(filters={"label": "suite=docker-py"})
    assert report["ContainersDeleted"] == [done.id]
    kept.remove(force=True)


def test_stats_and_diff_and_export(client: docker.DockerClient) -> None:
    container = run(client, "busybox", ["sh", "-c", "touch /made; sleep 1000"], detach=True)
    deadline = time.monotonic() + 10
    while not any(c["Path"] == "/made" for c in container.diff() or []):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    sample = container.stats(stream=False)
    assert sample["cpu_stats"]["cpu_usage"]["total_usage"] > 0
    assert sample["precpu_stats"]["cpu_usage"]["total_usage"] > 0
    assert sample["memory_stats"]["usage"] > 0
    assert sample["pids_stats"]["current"] == 1
    assert sample["name"] == container.attrs["Name"]
    assert sample["id"] == container.id
    one = container.stats(stream=False, one_shot=True)
    assert one["precpu_stats"]["cpu_usage"]["total_usage"] == 0
    exported = b"".join(container.export())
    assert b"made" in exported
    assert len(exported) > 1_000_000


def test_low_level_api_errors(client: docker.DockerClient) -> None:
    with pytest.raises(docker.errors.ImageNotFound):
        client.containers.create("nothere", network_mode="none")
    with pytest.raises(docker.errors.APIError) as caught:
        client.api.create_container(
            "busybox", "true", host_config=client.api.create_host_config(cap_add=["NOPE"], network_mode="none")
        )
    assert caught.value.status_code == 400
