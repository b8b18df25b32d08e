"""Container events as ``docker events`` shows them, and the project's own client over the container endpoints."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import anyio
import pytest
from support.pymobyd import Pymobyd

from pymoby import api
from pymoby.client import AsyncClient, Client, demux

pytestmark = pytest.mark.root


def events_since(daemon: Pymobyd, since: str, name: str) -> list[dict[str, object]]:
    lines = (
        daemon.docker(
            "events",
            "--since",
            since,
            "--until",
            str(time.time()),
            "--filter",
            f"container={name}",
            "--format",
            "{{json .}}",
        )
        .stdout.decode()
        .splitlines()
    )
    return [json.loads(line) for line in lines]


def test_lifecycle_events_with_dockers_attributes(daemon: Pymobyd) -> None:
    since = str(time.time())
    d = daemon.docker
    ev_id = (
        d("run", "-d", "--name", "ev", "--network", "none", "-l", "app=shop", "busybox", "sleep", "1000")
        .stdout.decode()
        .strip()
    )
    d("exec", "ev", "true")
    d("pause", "ev")
    d("unpause", "ev")
    d("rename", "ev", "ev2")
    d("kill", "-s", "USR2", "ev2")  # ignored by sleep as pid 1
    d("kill", "ev2")
    assert d("wait", "ev2").stdout.strip() == b"137"
    d("run", "-d", "--name", "ev3", "--network", "none", "busybox", "sleep", "1000")
    d("stop", "-t", "0", "ev3")
    d("restart", "-t", "0", "ev3")
    d("rm", "-f", "ev3")
    events = events_since(daemon, since, ev_id)
    actions = [e["Action"] for e in events]
    for action in ("create", "start", "pause", "unpause", "rename", "kill", "exec_create: true ", "exec_start: true ",
                   "exec_die", "die"):  # fmt: skip
        assert action in actions, (action, actions)
    signals = [e["Actor"]["Attributes"]["signal"] for e in events if e["Action"] == "kill"]  # type: ignore[index]
    assert signals == ["12", "9"]
    by_action = {e["Action"]: e for e in events}
    create = by_action["create"]
    assert create["Type"] == "container"
    assert create["status"] == "create"
    assert create["from"] == "busybox"
    attributes = create["Actor"]["Attributes"]  # type: ignore[index]
    assert attributes == {"app": "shop", "image": "busybox", "name": "ev"}
    assert by_action["rename"]["Actor"]["Attributes"]["oldName"] == "/ev"  # type: ignore[index]
    assert by_action["exec_die"]["Actor"]["Attributes"]["exitCode"] == "0"  # type: ignore[index]
    assert by_action["die"]["Actor"]["Attributes"]["exitCode"] == "137"  # type: ignore[index]
    ev3 = [e["Action"] for e in events_since(daemon, since, "ev3")]
    # As dockerd: stop -t 0 is SIGTERM then SIGKILL; restart of a stopped container only starts it.
    assert ev3 == ["create", "start", "kill", "kill", "die", "stop", "start", "restart", "kill", "die", "destroy"]
    daemon.docker("rm", "-f", "ev2")


def test_attach_event_and_health_status_event(daemon: Pymobyd) -> None:
    since = str(time.time())
    daemon.docker("run", "--name", "att-ev", "--network", "none", "busybox", "true")
    daemon.docker("run", "-d", "--name", "health-ev", "--network", "none", "--health-cmd", "true",
                  "--health-interval", "1s", "busybox", "sleep", "1000")  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while "health_status: healthy" not in [e["Action"] for e in events_since(daemon, since, "health-ev")]:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        health = json.loads(daemon.docker("inspect", "-f", "{{json .State.Health}}", "health-ev").stdout)
        assert health["Status"] == "healthy"
        assert health["FailingStreak"] == 0
        assert health["Log"][0]["ExitCode"] == 0
        assert "attach" in [e["Action"] for e in events_since(daemon, since, "att-ev")]
    finally:
        daemon.docker("rm", "-f", "att-ev", "health-ev")


@pytest.fixture
def client(daemon: Pymobyd) -> Iterator[Client]:
    with Client(daemon.host) as connected:
        yield connected


def test_own_client_round_trip(client: Client) -> None:
    request = api.ContainerCreateRequest(
        image="busybox",
        cmd=["sh", "-c", "read line; echo got-$line; echo bye >&2"],
        open_stdin=True,
        stdin_once=True,
        attach_stdin=True,
        host_config=api.HostConfig(network_mode="none"),
    )
    created = client.create_container(request, name="own")
    try:
        connection = client.attach("own", stdin=True)
        client.start("own")
        connection.send(b"x\n")
        connection.send_eof()
        received = b""
        while chunk := connection.recv():
            received += chunk
        connection.close()
        frames = api.FrameDecoder().feed(received)
        assert sorted(frames) == [(api.StdStream.STDOUT, b"got-x\n"), (api.StdStream.STDERR, b"bye\n")]
        assert client.wait("own").status_code == 0
        assert [c.names for c in client.containers(all=True, filters={"name": ["^/own$"]})] == [["/own"]]
        assert client.inspect_container(created.id).state.status == "exited"
        logs = list(client.logs("own"))
        assert sorted(logs) == [(api.StdStream.STDOUT, b"got-x\n"), (api.StdStream.STDERR, b"bye\n")]
    finally:
        client.remove_container("own", force=True)


def test_own_async_client_exec_and_stats(daemon: Pymobyd) -> None:
    async def main() -> None:
        async with AsyncClient(daemon.host) as docker:
            request = api.ContainerCreateRequest(
                image="busybox", cmd=["sleep", "1000"], host_config=api.HostConfig(network_mode="none")
            )
            created = await docker.create_container(request)
            try:
                await docker.start(created.id)
                code, out, err = await docker.exec_run(
                    created.id, ["sh", "-c", "echo $A; echo e >&2; exit 5"], env={"A": "1"}
                )
                assert (code, out, err) == (5, b"1\n", b"e\n")
                exec_id = await docker.exec_create(created.id, api.ExecConfig(cmd=["sleep", "0.3"]))
                await docker.exec_start_detached(exec_id)
                inspect = await docker.exec_inspect(exec_id)
                assert inspect.running
                assert inspect.pid > 0
                assert inspect.container_id == created.id
                async for sample in docker.stats(created.id, stream=True):
                    assert sample.pids_stats.current >= 1
                    break
                connection = await docker.exec_start(
                    await docker.exec_create(created.id, api.ExecConfig(cmd=["echo", "framed"], attach_stdout=True))
                )
                frames = [frame async for frame in demux(connection)]
                await connection.aclose()
                assert frames == [(api.StdStream.STDOUT, b"framed\n")]
            finally:
                await docker.remove_container(created.id, force=True)

    anyio.run(main)
