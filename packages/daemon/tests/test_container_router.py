"""The container and exec routers over a fake backend: query parsing, status codes, content types."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from pymoby import api, errdefs
from pymoby.daemon.container import WaitCondition, WaitResult
from pymoby.daemon.server.router.container import ContainerRouter
from pymoby.daemon.server.router.exec import ExecRouter

pytestmark = pytest.mark.anyio


class FakeBackend:
    """Records calls; raises what a test asks for."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.fail: errdefs.PymobyError | None = None

    def _call(self, name: str, *args: Any) -> None:
        self.calls.append((name, args))
        if self.fail is not None:
            raise self.fail

    async def create(
        self, name: str, request: api.ContainerCreateRequest, *, platform: str = ""
    ) -> api.ContainerCreateResponse:
        self._call("create", name, request, platform)
        return api.ContainerCreateResponse(id="c" * 64)

    async def start(self, name: str) -> None:
        self._call("start", name)

    async def stop(self, name: str, *, signal: str = "", timeout: int | None = None) -> None:  # noqa: ASYNC109 - the stop grace period, not an I/O bound
        self._call("stop", name, signal, timeout)

    async def kill(self, name: str, signal: str = "") -> None:
        self._call("kill", name, signal)

    async def remove(self, name: str, *, force: bool = False, volumes: bool = False, link: bool = False) -> None:
        self._call("remove", name, force, volumes, link)

    def wait(self, name: str, condition: WaitCondition) -> Callable[[], Awaitable[WaitResult]]:
        self._call("wait", name, condition)

        async def result() -> WaitResult:
            return WaitResult(3, "oops")

        return result

    def logs(self, name: str, options: Any) -> tuple[AsyncIterator[bytes], bool]:
        self._call("logs", name, options)

        async def chunks() -> AsyncIterator[bytes]:
            yield api.encode_frame(api.StdStream.STDOUT, b"hi\n")

        return chunks(), False

    def prepare_attach(self, name: str, options: Any) -> Any:
        self._call("attach", name, options)
        raise errdefs.NotFound(f"No such container: {name}")

    async def resize(self, name: str, height: int, width: int) -> None:
        self._call("resize", name, height, width)

    def create_exec(self, name: str, config: api.ExecConfig) -> api.IdResponse:
        self._call("exec_create", name, config)
        return api.IdResponse(id="e" * 64)


@pytest.fixture
def backend() -> FakeBackend:
    return FakeBackend()


async def request(serve: Any, raw: Any, backend: FakeBackend, text: str, until: bytes = b"\r\n\r\n") -> bytes:
    async with serve([ContainerRouter(backend), ExecRouter(backend)]) as path:  # type: ignore[arg-type]
        answer: bytes = await raw(Path(path), text.encode(), until=until)
        return answer


def http(method: str, target: str, body: str = "", version: str = "1.45") -> str:
    head = f"{method} /v{version}{target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    if body:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return head + "\r\n" + body


async def test_create_is_201_with_the_id(serve: Any, raw: Any, backend: FakeBackend) -> None:
    answer = await request(
        serve, raw, backend, http("POST", "/containers/create?name=web", '{"Image":"busybox","User":null}'), b"}"
    )
    assert answer.startswith(b"HTTP/1.1 201")
    assert b'{"Id":"' + b"c" * 64 + b'","Warnings":[]}' in answer
    name, req, _ = backend.calls[0][1]
    assert name == "web"
    assert req.image == "busybox"
    assert req.user == ""


async def test_create_without_a_body(serve: Any, raw: Any, backend: FakeBackend) -> None:
    answer = await request(serve, raw, backend, http("POST", "/containers/create"), b"}")
    assert answer.startswith(b"HTTP/1.1 400")
    assert b"got EOF while reading request body" in answer


async def test_start_refuses_a_host_config_body(serve: Any, raw: Any, backend: FakeBackend) -> None:
    answer = await request(serve, raw, backend, http("POST", "/containers/x/start", '{"Binds":["/a:/b"]}'), b"}")
    assert answer.startswith(b"HTTP/1.1 400")
    assert b"deprecated since API v1.22" in answer
    answer = await request(serve, raw, backend, http("POST", "/containers/x/start", "{}"))
    assert answer.startswith(b"HTTP/1.1 204")


async def test_stop_passes_timeout_and_signal_and_maps_not_modified(serve: Any, raw: Any, backend: FakeBackend) -> None:
    answer = await request(serve, raw, backend, http("POST", "/containers/x/stop?t=3&signal=USR1"))
    assert answer.startswith(b"HTTP/1.1 204")
    assert backend.calls[-1] == ("stop", ("x", "USR1", 3))
    await request(serve, raw, backend, http("POST", "/containers/x/stop?signal=USR1", version="1.41"))
    assert backend.calls[-1] == ("stop", ("x", "", None))
    backend.fail = errdefs.NotModified("container is already stopped")
    answer = await request(serve, raw, backend, http("POST", "/containers/x/stop"))
    assert answer.startswith(b"HTTP/1.1 304")


async def test_kill_errors_name_the_container(serve: Any, raw: Any, backend: FakeBackend) -> None:
    backend.fail = errdefs.Conflict("container abc is not running")
    answer = await request(serve, raw, backend, http("POST", "/containers/web/kill?signal=HUP"), b"}")
    assert answer.startswith(b"HTTP/1.1 409")
    assert b'"message":"cannot kill container: web: container abc is not running"' in answer


async def test_delete_flags(serve: Any, raw: Any, backend: FakeBackend) -> None:
    answer = await request(serve, raw, backend, http("DELETE", "/containers/web?force=1&v=true"))
    assert answer.startswith(b"HTTP/1.1 204")
    assert backend.calls[-1] == ("remove", ("web", True, True, False))


async def test_wait_streams_the_result_and_checks_the_condition(serve: Any, raw: Any, backend: FakeBackend) -> None:
    answer = await request(serve, raw, backend, http("POST", "/containers/x/wait?condition=next-exit"), b"}}")
    assert answer.startswith(b"HTTP/1.1 200")
    assert b'{"StatusCode":3,"Error":{"Message":"oops"}}\n' in answer
    assert backend.calls[-1] == ("wait", ("x", WaitCondition.NEXT_EXIT))
    answer = await request(serve, raw, backend, http("POST", "/containers/x/wait?condition=later"), b"}")
    assert answer.startswith(b"HTTP/1.1 400")
    assert b'invalid condition: \\"later\\"' in answer


async def test_logs_content_type_depends_on_the_api_version(serve: Any, raw: Any, backend: FakeBackend) -> None:
    answer = await request(serve, raw, backend, http("GET", "/containers/x/logs?stdout=1"), b"hi\n")
    assert b"Content-Type: application/vnd.docker.multiplexed-stream" in answer
    answer = await request(serve, raw, backend, http("GET", "/containers/x/logs?stdout=1", version="1.41"), b"hi\n")
    assert b"Content-Type: application/vnd.docker.raw-stream" in answer
    answer = await request(serve, raw, backend, http("GET", "/containers/x/logs"), b"}")
    assert answer.startswith(b"HTTP/1.1 400")
    assert b"you must choose at least one stream" in answer


async def test_attach_errors_are_plain_http_answers(serve: Any, raw: Any, backend: FakeBackend) -> None:
    text = (
        "POST /v1.45/containers/nope/attach?stream=1&stdout=1 HTTP/1.1\r\n"
        "Host: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n"
    )
    answer = await request(serve, raw, backend, text, b"}")
    assert answer.startswith(b"HTTP/1.1 404")
    assert b"No such container: nope" in answer


async def test_resize_needs_numbers(serve: Any, raw: Any, backend: FakeBackend) -> None:
    answer = await request(serve, raw, backend, http("POST", "/containers/x/resize?h=24&w=80"))
    assert answer.startswith(b"HTTP/1.1 200")
    assert backend.calls[-1] == ("resize", ("x", 24, 80))
    answer = await request(serve, raw, backend, http("POST", "/containers/x/resize?h=tall&w=80"), b"}")
    assert answer.startswith(b"HTTP/1.1 400")
    assert b'parsing \\"tall\\": invalid syntax' in answer


async def test_exec_create_is_201(serve: Any, raw: Any, backend: FakeBackend) -> None:
    answer = await request(
        serve, raw, backend, http("POST", "/containers/x/exec", '{"Cmd":"ls","AttachStdout":true}'), b"}"
    )
    assert answer.startswith(b"HTTP/1.1 201")
    assert b'"Id":"' + b"e" * 64 in answer
    config = backend.calls[-1][1][1]
    assert config.cmd == "ls"
    assert config.attach_stdout
