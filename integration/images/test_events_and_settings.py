"""Image events as ``docker events`` shows them, and the daemon's registry settings: mirrors, transfer limits."""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest
from support.pymobyd import Pymobyd, start_pymobyd
from support.registry import RegistryServer

pytestmark = pytest.mark.root

Tools = Any
Publish = Any


def test_docker_events_shows_image_events(
    daemon: Pymobyd, registry: RegistryServer, publish: Publish, tools: Tools
) -> None:
    publish(registry, "events/app:v1", [10_000], seed=61)
    name = f"{registry.host}/events/app:v1"
    since = str(time.time() - 1)
    tools.docker(daemon, "pull", name)
    tools.docker(daemon, "tag", name, "events-copy:1")
    tools.docker(daemon, "rmi", "events-copy:1", name)
    until = str(time.time() + 1)
    out = tools.docker(
        daemon, "events", "--since", since, "--until", until, "--filter", "type=image", "--format", "{{json .}}"
    ).stdout
    events = [json.loads(line) for line in out.splitlines()]
    assert [e["Action"] for e in events] == ["pull", "tag", "untag", "untag", "untag", "delete"]  # tags and digest
    assert events[0]["Actor"]["ID"] == name
    assert events[1]["Actor"]["Attributes"]["name"] == "events-copy:1"


@pytest.fixture
def mirror_daemon(registry: RegistryServer) -> Iterator[Pymobyd]:
    """A pymobyd whose Docker Hub mirror is the test registry, one download at a time."""
    base = Path(tempfile.mkdtemp(prefix="pim-", dir="/tmp"))
    instance = start_pymobyd(
        base, config={"registry-mirrors": [f"http://{registry.host}"], "max-concurrent-downloads": 1}
    )
    try:
        yield instance
    finally:
        instance.stop()
        instance.remove()


def test_docker_hub_pulls_go_to_the_mirror_with_the_download_limit(
    mirror_daemon: Pymobyd, registry: RegistryServer, publish: Publish
) -> None:
    digest = publish(registry, "library/mirrored:v1", [300_000, 300_000, 300_000], seed=71)
    client = docker.APIClient(base_url=mirror_daemon.host, version="1.45", timeout=120)
    try:
        lines = list(client.pull("mirrored", tag="v1", stream=True, decode=True))
    finally:
        client.close()
    assert lines[0] == {"status": "Pulling from library/mirrored", "id": "v1"}
    assert {"status": f"Digest: {digest}"} in lines
    assert lines[-1] == {"status": "Status: Downloaded newer image for mirrored:v1"}
    waiting = {line["id"] for line in lines if line.get("status") == "Waiting"}
    assert len(waiting) == 2  # one download at a time: the two others wait
