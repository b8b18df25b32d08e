"""The container and exec methods against a fake daemon: the requests they send, the answers they decode."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from pymoby import api
from pymoby.client import AsyncClient

pytestmark = pytest.mark.anyio

CID = "c" * 64


def _http(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> bytes:
    lines = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}", "Api-Version: 1.45"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _chunked(*chunks: bytes, content_type: str = "application/json") -> bytes:
    data = b"".join(b"%x\r\n%b\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"
    head = f"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: {content_type}\r\n\r\n".encode()
    return head + data


class Recorder:
    """Answers like pymobyd does for a few container endpoints; keeps the bodies it got."""

    def __init__(self) -> None:
        self.bodies: dict[str, bytes] = {}

    def __call__(self, method: str, target: str, body: bytes) -> bytes | None:
        path = urlsplit(target).path.removeprefix("/v1.45")
        self.bodies[f"{method} {path}"] = body
        if path == "/_ping":
            return _http(200, b"OK")
        if (method, path) == ("POST", "/containers/create"):
            return _http(201, api.encode(api.ContainerCreateResponse(id=CID)))
        if (method, path) in (("POST", f"/containers/{CID}/start"), ("DELETE", f"/containers/{CID}")):
            return _http(204)
        if path == f"/containers/{CID}/wait":
            return _chunked(b'{"StatusCode":7}\n')
        if path == f"/containers/{CID}/logs":
            return _chunked(
                api.encode_frame(api.StdStream.STDOUT, b"out\n"),
                api.encode_frame(api.StdStream.STDERR, b"err\n"),
                content_type="application/vnd.docker.multiplexed-stream",
            )
        if path == "/containers/json":
            return _http(200, b"[]")
        if path == f"/containers/{CID}/changes":
            return _http(200, b"null")
        return _http(404, b'{"message": "page not found"}')


async def test_create_start_wait_logs_remove(fake_daemon: Any) -> None:
    recorder = Recorder()
    async with fake_daemon(recorder) as daemon, AsyncClient(f"unix://{daemon.path}") as docker:
        request = api.ContainerCreateRequest(
            image="busybox", cmd=["true"], host_config=api.HostConfig(network_mode="none")
        )
        created = await docker.create_container(request, name="web")
        assert created.id == CID
        assert b'"Image":"busybox"' in recorder.bodies["POST /containers/create"]
        await docker.start(CID)
        assert (await docker.wait(CID, "next-exit")).status_code == 7
        frames = [frame async for frame in docker.logs(CID, tail=5)]
        assert frames == [(api.StdStream.STDOUT, b"out\n"), (api.StdStream.STDERR, b"err\n")]
        assert await docker.containers(all=True, filters={"status": ["exited"]}) == []
        assert await docker.changes(CID) == []
        await docker.remove_container(CID, force=True)
    targets = [target for _, target in daemon.seen]
    query = parse_qs(urlsplit(next(t for t in targets if "/containers/create" in t)).query)
    assert query == {"name": ["web"]}
    wait = parse_qs(urlsplit(next(t for t in targets if t.split("?")[0].endswith("/wait"))).query)
    assert wait == {"condition": ["next-exit"]}
    listed = parse_qs(urlsplit(next(t for t in targets if "/containers/json" in t)).query)
    assert listed["all"] == ["1"]
    assert listed["filters"] == ['{"status":{"exited":true}}']
    removed = parse_qs(urlsplit(next(t for t in targets if t.startswith(f"/v1.45/containers/{CID}?"))).query)
    assert removed == {"force": ["1"], "v": ["0"]}
