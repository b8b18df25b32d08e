"""pymoby-client against the real daemon, and against dockerd for comparison."""

from __future__ import annotations

import signal
import tempfile
import threading
from pathlib import Path

import pytest
from support.dockerd import start_dockerd
from support.pymobyd import Pymobyd

from pymoby import errdefs
from pymoby.client import Client

pytestmark = pytest.mark.root


def test_sync_client_against_pymobyd(daemon: Pymobyd) -> None:
    with Client(daemon.host) as client:
        ping = client.ping()
        assert (ping.api_version, ping.os_type) == ("1.45", "linux")
        assert client.version().api_version == "1.45"
        assert client.info().docker_root_dir == str(daemon.data_root)
        with pytest.raises(errdefs.NotFound, match="page not found"):
            client.request("GET", "/nothing")
    with Client(daemon.tcp_url.replace("http", "tcp")) as client:
        assert client.ping().api_version == "1.45"


def test_events_through_the_sync_client(start_daemon: object) -> None:
    daemon: Pymobyd = start_daemon()  # type: ignore[operator]
    with Client(daemon.host) as client:
        timer = threading.Timer(0.5, lambda: daemon.signal(signal.SIGHUP))
        timer.start()
        events = client.events(filters={"type": ["daemon"]})
        first = next(events)
        events.close()  # type: ignore[attr-defined]
        timer.join()
    assert (first.type, first.action, first.actor.attributes["name"]) == (
        "daemon",
        "reload",
        first.actor.attributes["name"],
    )


def test_the_client_speaks_to_dockerd_too() -> None:
    base = Path(tempfile.mkdtemp(prefix="pmdk-", dir="/tmp"))
    with start_dockerd(base) as dockerd, Client(dockerd.host) as client:
        assert client.version().version.startswith("20.10")
        assert client.api_version() == "1.41"
        assert client.info().driver == "overlay2"
