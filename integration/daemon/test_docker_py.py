"""docker-py (PyPI ``docker``) against pymobyd."""

from __future__ import annotations

import os
import signal
import threading
import time

import docker
import pytest
from support.pymobyd import Pymobyd

pytestmark = pytest.mark.root


def test_ping_version_info(daemon: Pymobyd) -> None:
    client = docker.DockerClient(base_url=daemon.host, version="auto")
    try:
        assert client.ping() is True
        assert client.api.api_version == "1.45"
        version = client.version()
        assert version["ApiVersion"] == "1.45"
        assert {c["Name"] for c in version["Components"]} >= {"Engine", "containerd", "runc"}
        info = client.info()
        assert info["NCPU"] == len(os.sched_getaffinity(0))
        assert info["DockerRootDir"] == str(daemon.data_root)
        assert client.df()["Images"] == []
    finally:
        client.close()


def test_docker_py_over_tcp(daemon: Pymobyd) -> None:
    client = docker.DockerClient(base_url=f"tcp://127.0.0.1:{daemon.tcp_port}", version="1.44")
    try:
        assert client.ping() is True
        assert client.info()["OSType"] == "linux"
    finally:
        client.close()


def test_events_stream_a_reload(start_daemon: object) -> None:
    daemon = start_daemon()  # type: ignore[operator]
    client = docker.APIClient(base_url=daemon.host, version="auto")
    try:
        events = client.events(decode=True, filters={"type": "daemon"})
        timer = threading.Timer(0.5, lambda: daemon.signal(signal.SIGHUP))
        timer.start()
        event = next(iter(events))
        events.close()
        timer.join()
        assert (event["Type"], event["Action"]) == ("daemon", "reload")
        since = int(time.time()) - 60
        past = list(client.events(decode=True, since=since, until=int(time.time()) + 1))
        assert [e["Action"] for e in past] == ["reload"]
    finally:
        client.close()


def test_api_errors_surface_as_docker_py_exceptions(daemon: Pymobyd) -> None:
    client = docker.APIClient(base_url=daemon.host, version="1.45")
    try:
        with pytest.raises(docker.errors.APIError) as info:
            client._result(client._get(client._url("/no/such/thing")), json=True)
        assert info.value.status_code == 404
        assert "page not found" in str(info.value)
    finally:
        client.close()
