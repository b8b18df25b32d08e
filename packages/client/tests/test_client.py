"""The client against a fake daemon: negotiation, errors, reuse, streams, hijack, hosts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import anyio.abc
import pytest

from pymoby import api, errdefs
from pymoby.client import AsyncClient, Client, Host, error_from_response, parse_docker_host

PING = {"Api-Version": "1.40", "Ostype": "linux", "Docker-Experimental": "true", "Builder-Version": "2"}


def _http(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> bytes:
    lines = [f"HTTP/1.1 {status} X", *(f"{k}: {v}" for k, v in (headers or {}).items())]
    if status != 101 and "Transfer-Encoding" not in (headers or {}):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def answer(method: str, target: str, body: bytes) -> bytes | None:
    if target == "/_ping":
        return _http(200, b"OK", PING)
    if target.endswith("/version"):
        return _http(200, api.encode(api.SystemVersion(version="1.2.3", api_version="1.40")))
    if target.endswith("/info"):
        return _http(200, b'{"ID": "abc", "NCPU": 3, "NewField": [1]}')
    if "/containers/missing" in target:
        return _http(404, b'{"message": "No such container: missing"}')
    if target.endswith("/conflict"):
        return _http(409, b'{"message": "name in use"}')
    if "/events" in target:
        chunks = [b'{"Type":"daemon","Action":"reload","Actor":{"ID":"D","Attributes":{}},"scope":"local",',
                  b'"time":1,"timeNano":1000000000}\n{"Type":"daemon","Action":"reload","Actor":{"ID":"E",'
                  b'"Attributes":{}},"scope":"local","time":2,"timeNano":2000000000}\n']  # fmt: skip
        data = b"".join(b"%x\r\n%b\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"
        return _http(200, data, {"Transfer-Encoding": "chunked", "Content-Type": "application/json"})
    if target.split("?")[0].endswith("/attach"):
        return _http(101, b"", {"Connection": "Upgrade", "Upgrade": "tcp"})
    if target.endswith("/hangup"):
        return None
    if target.endswith("/upload"):
        return _http(200, b"got %d bytes" % len(body))
    return _http(404, b'{"message": "page not found"}')


pytestmark = pytest.mark.anyio


async def test_ping_and_version_negotiation(fake_daemon: Any) -> None:
    async with fake_daemon(answer) as daemon, AsyncClient(f"unix://{daemon.path}") as client:
        ping = await client.ping()
        assert (ping.api_version, ping.os_type, ping.experimental, ping.builder_version) == ("1.40", "linux", True, "2")
        assert (await client.version()).version == "1.2.3"
        info = await client.info()
        assert (info.id, info.ncpu) == ("abc", 3)
    assert ("GET", "/v1.40/version") in daemon.seen


async def test_a_pinned_version_skips_negotiation(fake_daemon: Any) -> None:
    async with fake_daemon(answer) as daemon, AsyncClient(f"unix://{daemon.path}", version="1.44") as client:
        await client.info()
    assert daemon.seen == [("GET", "/v1.44/info")]


async def test_keep_alive_connection_is_reused(fake_daemon: Any) -> None:
    async with fake_daemon(answer) as daemon, AsyncClient(f"unix://{daemon.path}", version="1.44") as client:
        for _ in range(5):
            await client.info()
    assert daemon.connections == 1


async def test_http_errors_become_errdefs_kinds_with_the_message(fake_daemon: Any) -> None:
    async with fake_daemon(answer) as daemon, AsyncClient(f"unix://{daemon.path}", version="1.44") as client:
        with pytest.raises(errdefs.NotFound, match="No such container: missing"):
            await client.request("GET", "/containers/missing/json")
        with pytest.raises(errdefs.Conflict, match="name in use"):
            await client.request("POST", "/conflict")


async def test_a_daemon_that_hangs_up_is_unavailable(fake_daemon: Any) -> None:
    async with fake_daemon(answer) as daemon, AsyncClient(f"unix://{daemon.path}", version="1.44") as client:
        with pytest.raises(errdefs.Unavailable):
            await client.request("GET", "/hangup")


async def test_no_daemon_is_unavailable_with_dockers_wording(tmp_path: Path) -> None:
    async with AsyncClient(f"unix://{tmp_path}/none.sock", version="1.44") as client:
        with pytest.raises(errdefs.Unavailable, match="Cannot connect to the Docker daemon"):
            await client.info()


async def test_events_are_decoded_from_a_chunked_stream(fake_daemon: Any) -> None:
    async with fake_daemon(answer) as daemon, AsyncClient(f"unix://{daemon.path}", version="1.44") as client:
        events = [e async for e in client.events(since=0, filters={"type": ["daemon"]})]
    assert [e.actor.id for e in events] == ["D", "E"]
    _, target = daemon.seen[-1]
    assert target.startswith("/v1.44/events?since=0&filters=")


async def test_hijack_gives_a_raw_bidirectional_stream(fake_daemon: Any) -> None:
    async with fake_daemon(answer) as daemon, AsyncClient(f"unix://{daemon.path}", version="1.44") as client:
        stream = await client.hijack("POST", "/containers/x/attach", query={"stream": True, "stdin": True})
        with anyio.fail_after(5):
            await stream.send(b"abc")
            assert await stream.receive() == b"ABC"
            await stream.send_eof()
            assert await stream.receive() == b"DONE"
        await stream.aclose()


def test_sync_facade_reports_a_missing_daemon(tmp_path: Path) -> None:
    with pytest.raises(errdefs.Unavailable), Client(f"unix://{tmp_path}/none.sock", version="1.44") as client:
        client.info()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("unix:///var/run/docker.sock", Host("unix", "/var/run/docker.sock")),
        ("/run/pymoby.sock", Host("unix", "/run/pymoby.sock")),
        ("tcp://127.0.0.1:2375", Host("tcp", "127.0.0.1", 2375)),
        ("tcp://example.com", Host("tcp", "example.com", 2375)),
        ("https://example.com", Host("tcp", "example.com", 2376)),
    ],
)
def test_docker_host_forms(value: str, expected: Host) -> None:
    assert parse_docker_host(value) == expected


def test_unsupported_host_scheme_is_invalid() -> None:
    with pytest.raises(errdefs.InvalidParameter):
        parse_docker_host("ssh://me@host")


@pytest.mark.parametrize(
    ("status", "kind"),
    [(400, errdefs.InvalidParameter), (401, errdefs.Unauthorized), (403, errdefs.Forbidden), (404, errdefs.NotFound),
     (409, errdefs.Conflict), (418, errdefs.InvalidParameter), (500, errdefs.System), (501, errdefs.NotImplemented),
     (503, errdefs.Unavailable), (304, errdefs.NotModified)],
)  # fmt: skip
def test_status_maps_to_kind(status: int, kind: type[errdefs.PymobyError]) -> None:
    error = error_from_response(status, b'{"message": "m"}')
    assert errdefs.kind_of(error) is kind
    assert str(error) == "m"


def test_a_non_json_error_body_is_the_message() -> None:
    assert str(error_from_response(500, b"plain failure\n")) == "plain failure"


async def test_demux_splits_stdout_and_stderr_frames() -> None:
    from pymoby.client import demux

    send, receive = anyio.create_memory_object_stream[bytes](10)
    data = api.encode_frame(api.StdStream.STDOUT, b"out") + api.encode_frame(api.StdStream.STDERR, b"err")
    async with send:
        await send.send(data[:5])
        await send.send(data[5:])

    class Bytes(anyio.abc.ByteReceiveStream):
        async def receive(self, max_bytes: int = 65536) -> bytes:
            return await receive.receive()

        async def aclose(self) -> None:
            await receive.aclose()

    async with receive:
        frames = [f async for f in demux(Bytes())]
    assert frames == [(api.StdStream.STDOUT, b"out"), (api.StdStream.STDERR, b"err")]


async def _pieces(count: int, size: int) -> AsyncIterator[bytes]:
    for i in range(count):
        yield bytes([i % 256]) * size


async def test_a_streamed_body_is_uploaded_chunk_by_chunk(fake_daemon: Any) -> None:
    async with fake_daemon(answer) as daemon, AsyncClient(f"unix://{daemon.path}", version="1.44") as client:
        answer_ = await client.open("POST", "/upload", body=_pieces(40, 100_000), headers={"X-Test": "1"})
        assert answer_.status == 200
        assert await answer_.read() == b"got 4000000 bytes"
        assert answer_.closed
        _, content = await client.request("POST", "/upload", body=_pieces(3, 10))
        assert content == b"got 30 bytes"
    assert daemon.bodies[0] == b"".join(bytes([i]) * 100_000 for i in range(40))
    assert daemon.connections == 2  # a streamed body never goes on a reused connection


async def test_open_raises_the_kind_of_an_error_status(fake_daemon: Any) -> None:
    async with fake_daemon(answer) as daemon, AsyncClient(f"unix://{daemon.path}", version="1.44") as client:
        with pytest.raises(errdefs.NotFound, match="No such container: missing"):
            await client.open("GET", "/containers/missing/json")


async def test_a_refusal_before_the_upload_ends_is_the_daemons_answer(fake_daemon: Any) -> None:
    async with fake_daemon(answer) as daemon, AsyncClient(f"unix://{daemon.path}", version="1.44") as client:
        with pytest.raises(errdefs.NotFound, match="no route"):
            await client.request("PUT", "/refuse", body=_pieces(200, 100_000))
