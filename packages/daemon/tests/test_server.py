"""The HTTP server over a real unix socket: keep-alive, streaming, bodies, hijack, errors, limits."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any

import anyio
import anyio.abc
import anyio.lowlevel
import msgspec
import pytest

from pymoby import api, errdefs
from pymoby.client import AsyncClient
from pymoby.daemon.server import (
    CORSMiddleware,
    DebugMiddleware,
    ExperimentalMiddleware,
    HijackResponse,
    Request,
    Response,
    Route,
    ServerConfig,
    StreamingResponse,
    VersionMiddleware,
    get,
    json_response,
    post,
)

pytestmark = pytest.mark.anyio


class Sample(msgspec.Struct, rename="pascal"):
    name: str
    size: int = 0


class Routes:
    """A router exercising each kind of answer."""

    def __init__(self) -> None:
        self.cancelled = anyio.Event()
        self.body_chunks: list[int] = []
        self.flood_sent = 0

    def routes(self) -> Sequence[Route]:
        return (
            get("/hello", self.get_hello),
            get("/things/{name:.*}/json", self.get_things_json),
            get("/version-seen", self.get_version_seen),
            post("/sample", self.post_sample),
            post("/upload", self.post_upload),
            get("/stream", self.get_stream),
            get("/forever", self.get_forever),
            get("/flood", self.get_flood),
            post("/echo", self.post_echo, hijack=True),
            get("/fail/{kind}", self.get_fail),
        )

    async def get_hello(self, request: Request) -> Response:
        return json_response({"Hello": request.query.get("name", "world")})

    async def get_things_json(self, request: Request) -> Response:
        return json_response({"Name": request.vars["name"]})

    async def get_version_seen(self, request: Request) -> Response:
        return json_response({"Version": request.api_version})

    async def post_sample(self, request: Request) -> Response:
        sample = await request.json(Sample)
        return json_response({"Got": sample.name, "Size": sample.size}, status=201)

    async def post_upload(self, request: Request) -> Response:
        total = 0
        while chunk := await request.body.receive():
            self.body_chunks.append(len(chunk))
            total += len(chunk)
        return json_response({"Received": total})

    async def get_stream(self, request: Request) -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            for i in range(3):
                yield api.encode({"Step": i}) + b"\n"
                await anyio.lowlevel.checkpoint()

        return StreamingResponse(chunks())

    async def get_forever(self, request: Request) -> StreamingResponse:
        cancelled = self.cancelled

        async def chunks() -> AsyncIterator[bytes]:
            try:
                yield b'{"Started": true}\n'
                await anyio.sleep_forever()
            finally:
                cancelled.set()

        return StreamingResponse(chunks())

    async def get_flood(self, request: Request) -> StreamingResponse:
        self.flood_sent = 0

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(512):  # 32 MiB
                self.flood_sent += 1
                yield b"x" * 65536

        return StreamingResponse(chunks(), content_type="application/octet-stream")

    async def post_echo(self, request: Request) -> HijackResponse:
        prefix = (await request.body.read_all()).upper()

        async def run(stream: anyio.abc.ByteStream) -> None:
            if prefix:
                await stream.send(prefix)
            while True:
                try:
                    data = await stream.receive()
                except anyio.EndOfStream:
                    break
                await stream.send(data.upper())
            await stream.send(b"BYE")

        return HijackResponse(run)

    async def get_fail(self, request: Request) -> Response:
        kinds = {"notfound": errdefs.NotFound, "conflict": errdefs.Conflict, "unavailable": errdefs.Unavailable}
        kind = kinds.get(request.vars["kind"])
        if kind is None:
            raise RuntimeError("something unexpected")
        raise kind(f"it is {request.vars['kind']}")


async def test_keep_alive_serves_several_requests_on_one_connection(serve: Any, raw: Any) -> None:
    async with serve([Routes()]) as path:
        request = b"GET /hello?name=a HTTP/1.1\r\nHost: x\r\n\r\n"
        async with await anyio.connect_unix(path) as stream:
            for _ in range(3):
                await stream.send(request)
                data = await stream.receive()
                assert data.startswith(b"HTTP/1.1 200 OK\r\n")
                assert data.endswith(b'{"Hello":"a"}')


async def test_pipelined_requests_are_answered_in_order(serve: Any, raw: Any) -> None:
    async with serve([Routes()]) as path:
        data = await raw(
            path,
            b"GET /hello?name=1 HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET /hello?name=2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
    assert data.index(b'{"Hello":"1"}') < data.index(b'{"Hello":"2"}')
    assert b"Connection: close" in data


async def test_path_variables_and_version_prefix(serve: Any, raw: Any) -> None:
    async with serve([Routes()]) as path, AsyncClient(f"unix://{path}", version="1.30") as client:
        _, body = await client.request("GET", "/things/a/b/json")
        assert msgspec.json.decode(body) == {"Name": "a/b"}
        _, body = await client.request("GET", "/version-seen")
        assert msgspec.json.decode(body) == {"Version": "1.30"}
    async with serve([Routes()]) as path:
        data = await raw(path, b"GET /version-seen HTTP/1.0\r\n\r\n")
    assert data.endswith(b'{"Version":"1.45"}')
    assert b"Api-Version: 1.45\r\n" in data
    assert b"Server: Docker/0.1.0 (linux)\r\n" in data


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("1.12", "client version 1.12 is too old. Minimum supported API version is 1.24"),
        ("1.99", "client version 1.99 is too new. Maximum supported API version is 1.45"),
    ],
)
async def test_versions_out_of_range_are_400_with_dockers_message(
    serve: Any, raw: Any, version: str, message: str
) -> None:
    async with serve([Routes()]) as path:
        data = await raw(path, f"GET /v{version}/hello HTTP/1.0\r\n\r\n".encode())
    assert data.startswith(b"HTTP/1.1 400 Bad Request")
    assert message in msgspec.json.decode(data.split(b"\r\n\r\n", 1)[1])["message"]


async def test_unknown_path_is_404_page_not_found(serve: Any, raw: Any) -> None:
    async with serve([Routes()]) as path:
        data = await raw(path, b"GET /v1.45/nothing/here HTTP/1.0\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 404 Not Found")
    assert b"Content-Type: application/json" in data
    assert msgspec.json.decode(data.split(b"\r\n\r\n", 1)[1]) == {"message": "page not found"}


async def test_errors_map_to_status_through_the_client(serve: Any, raw: Any) -> None:
    async with serve([Routes()]) as path, AsyncClient(f"unix://{path}", version="1.45") as client:
        with pytest.raises(errdefs.NotFound, match="it is notfound"):
            await client.request("GET", "/fail/notfound")
        with pytest.raises(errdefs.Conflict):
            await client.request("GET", "/fail/conflict")
        with pytest.raises(errdefs.Unavailable):
            await client.request("GET", "/fail/unavailable")
        with pytest.raises(errdefs.System, match="something unexpected"):
            await client.request("GET", "/fail/other")


async def test_malformed_json_is_400_naming_the_problem(serve: Any, raw: Any) -> None:
    async with serve([Routes()]) as path, AsyncClient(f"unix://{path}", version="1.45") as client:
        with pytest.raises(errdefs.InvalidParameter, match="invalid JSON"):
            await client.request("POST", "/sample", body=b"{not json")
        with pytest.raises(errdefs.InvalidParameter, match=r"\$\.Size"):
            await client.request("POST", "/sample", body=b'{"Name": "a", "Size": "big"}')
        _, body = await client.request("POST", "/sample", body={"Name": "a", "Size": 3})
        assert msgspec.json.decode(body) == {"Got": "a", "Size": 3}


async def test_large_upload_is_streamed_to_the_handler_in_chunks(serve: Any, raw: Any) -> None:
    routes = Routes()
    size = 16 << 20
    async with serve([routes]) as path, AsyncClient(f"unix://{path}", version="1.45") as client:
        _, body = await client.request("POST", "/upload", body=b"x" * size)
    assert msgspec.json.decode(body) == {"Received": size}
    assert len(routes.body_chunks) > 16
    assert max(routes.body_chunks) <= 1 << 20


async def test_chunked_request_body_is_decoded(serve: Any, raw: Any) -> None:
    async with serve([Routes()]) as path:
        data = await raw(
            path,
            b"POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
        )
    assert data.endswith(b'{"Received":11}')


async def test_streaming_answer_is_chunked_and_readable_as_it_comes(serve: Any, raw: Any) -> None:
    async with serve([Routes()]) as path:
        raw = await raw(path, b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n", until=b"0\r\n\r\n")
        assert b"Transfer-Encoding: chunked" in raw
        async with AsyncClient(f"unix://{path}", version="1.45") as client:
            steps = [s async for s in client.stream_json("GET", "/stream", dict)]
    assert steps == [{"Step": 0}, {"Step": 1}, {"Step": 2}]


async def test_client_going_away_cancels_a_streaming_handler(serve: Any, raw: Any) -> None:
    routes = Routes()
    async with serve([routes]) as path:
        await raw(path, b"GET /forever HTTP/1.1\r\nHost: x\r\n\r\n", until=b"Started")
        with anyio.fail_after(5):
            await routes.cancelled.wait()


async def test_upgrade_hijack_carries_raw_bytes_both_ways(serve: Any, raw: Any) -> None:
    async with serve([Routes()]) as path, AsyncClient(f"unix://{path}", version="1.45") as client:
        stream = await client.hijack("POST", "/echo", body={"Detach": False})
        received = b""
        with anyio.fail_after(5):
            while b'{"DETACH":FALSE}' not in received:
                received += await stream.receive()
            await stream.send(b"hello")
            while b"HELLO" not in received:
                received += await stream.receive()
            await stream.send_eof()
            while True:
                try:
                    received += await stream.receive()
                except anyio.EndOfStream:
                    break
        await stream.aclose()
    assert received == b'{"DETACH":FALSE}HELLOBYE'


async def test_upgrade_answer_is_101_and_old_hijack_is_200(serve: Any, raw: Any) -> None:
    async with serve([Routes()]) as path:
        upgraded = await raw(
            path, b"POST /echo HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n", until=b"\r\n\r\n"
        )
        assert upgraded.startswith(b"HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n")
        assert b"Upgrade: tcp\r\n" in upgraded
        with anyio.fail_after(5):
            async with await anyio.connect_unix(path) as stream:
                await stream.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
                head = b""
                while b"\r\n\r\n" not in head:
                    head += await stream.receive()
                assert head.startswith(b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream")
                await stream.send(b"old style")
                out = head.split(b"\r\n\r\n", 1)[1]
                while b"OLD STYLE" not in out:
                    out += await stream.receive()


async def test_malformed_request_is_400_and_closed(serve: Any, raw: Any) -> None:
    async with serve([Routes()]) as path:
        data = await raw(path, b"THIS IS NOT HTTP\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 400 Bad Request")


async def test_huge_headers_are_431(serve: Any, raw: Any) -> None:
    async with serve([Routes()], ServerConfig(max_header_bytes=8192)) as path:
        data = await raw(path, b"GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 431 Request Header Fields Too Large")


async def test_slow_client_is_cut_off_after_the_header_timeout(serve: Any, raw: Any) -> None:
    async with serve([Routes()], ServerConfig(header_timeout=0.3)) as path:
        with anyio.fail_after(5):
            async with await anyio.connect_unix(path) as stream:
                await stream.send(b"GET /hello HTTP/1.1\r\nHo")
                with pytest.raises((anyio.EndOfStream, anyio.BrokenResourceError)):
                    await stream.receive()


async def test_idle_keep_alive_connection_is_closed(serve: Any, raw: Any) -> None:
    async with serve([Routes()], ServerConfig(idle_timeout=0.3)) as path:
        with anyio.fail_after(5):
            async with await anyio.connect_unix(path) as stream:
                await stream.send(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
                assert (await stream.receive()).startswith(b"HTTP/1.1 200")
                with pytest.raises((anyio.EndOfStream, anyio.BrokenResourceError)):
                    await stream.receive()


async def test_cors_and_experimental_headers(serve: Any, raw: Any) -> None:
    middlewares = [ExperimentalMiddleware(True), VersionMiddleware("0.1.0"), CORSMiddleware("*")]
    async with serve([Routes()], middlewares=middlewares) as path:
        data = await raw(path, b"GET /hello HTTP/1.0\r\n\r\n")
    assert b"Docker-Experimental: true\r\n" in data
    assert b"Access-Control-Allow-Origin: *\r\n" in data
    assert b"Access-Control-Allow-Methods: HEAD, GET, POST, DELETE, PUT, OPTIONS\r\n" in data


async def test_debug_log_redacts_credentials(serve: Any, raw: Any, caplog: pytest.LogCaptureFixture) -> None:
    middlewares = [VersionMiddleware("0.1.0"), DebugMiddleware()]
    caplog.set_level(logging.DEBUG, logger="pymoby.daemon.server")
    async with (
        serve([Routes()], middlewares=middlewares) as path,
        AsyncClient(f"unix://{path}", version="1.45") as client,
    ):
        body = {"Name": "a", "Size": 1, "Password": "hunter2", "Nested": {"auth": "c2VjcmV0"}}
        await client.request("POST", "/sample", body=body, headers={"X-Registry-Auth": "dG9rZW4="})
    text = caplog.text
    assert "Calling POST /v1.45/sample" in text
    assert "hunter2" not in text
    assert "c2VjcmV0" not in text
    assert "dG9rZW4=" not in text
    assert "*****" in text


async def test_a_slow_reader_holds_back_a_streaming_handler(serve: Any, raw: Any) -> None:
    routes = Routes()
    async with serve([routes]) as path:
        with anyio.fail_after(20):
            async with await anyio.connect_unix(path) as stream:
                await stream.send(b"GET /flood HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                await anyio.sleep(0.5)  # read nothing: the socket buffers fill up
                assert routes.flood_sent < 256  # the producer waited instead of buffering 32 MiB
                received = 0
                while True:
                    try:
                        received += len(await stream.receive(1 << 20))
                    except anyio.EndOfStream:
                        break
    assert routes.flood_sent == 512
    assert received > 512 * 65536


async def test_expect_100_continue_is_answered_before_the_body(serve: Any, raw: Any) -> None:
    async with serve([Routes()]) as path:
        with anyio.fail_after(5):
            async with await anyio.connect_unix(path) as stream:
                await stream.send(
                    b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n"
                    b"Connection: close\r\n\r\n"
                )
                assert await stream.receive() == b"HTTP/1.1 100 Continue\r\n\r\n"
                await stream.send(b"hello")
                answer = b""
                while True:
                    try:
                        answer += await stream.receive()
                    except anyio.EndOfStream:
                        break
    assert answer.endswith(b'{"Received":5}')


async def test_a_large_body_sent_to_an_unknown_path_is_read_and_answered_404(serve: Any, raw: Any) -> None:
    size = 24 << 20
    async with serve([Routes()]) as path:
        with anyio.fail_after(30):
            async with await anyio.connect_unix(path) as stream:
                head = f"POST /v1.45/no/such/route HTTP/1.1\r\nHost: x\r\nContent-Length: {size}\r\n\r\n".encode()
                answer = b""

                async def read_answer() -> None:
                    nonlocal answer
                    while b'"page not found"}' not in answer:
                        answer += await stream.receive()

                async with anyio.create_task_group() as tg:
                    tg.start_soon(read_answer)
                    await stream.send(head)
                    for _ in range(size >> 20):
                        await stream.send(b"x" * (1 << 20))  # a reset connection would raise here
                assert answer.startswith(b"HTTP/1.1 404 Not Found")
                assert b"Connection: close" not in answer
                # The body was drained: the same connection serves the next request.
                await stream.send(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
                again = await stream.receive()
                assert again.startswith(b"HTTP/1.1 200 OK")
