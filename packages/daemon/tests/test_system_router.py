"""The system router against a fake backend: each endpoint's answer and error cases."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Any

import anyio
import pytest

from pymoby import api, errdefs
from pymoby.client import AsyncClient
from pymoby.daemon.events import Events
from pymoby.daemon.server.router.system import SystemRouter

pytestmark = pytest.mark.anyio


class FakeBackend:
    """Implements the system backend Protocols with canned answers."""

    def __init__(self) -> None:
        self.events = Events()
        self.df_kinds: frozenset[str] | None = None

    async def system_version(self) -> api.SystemVersion:
        return api.SystemVersion(version="9.9", api_version="1.45", min_api_version="1.24", os="linux")

    async def system_info(self) -> api.SystemInfo:
        return api.SystemInfo(id="ID1", name="fake", ncpu=4, containers_running=1, containers=1)

    async def system_disk_usage(self, kinds: frozenset[str]) -> api.DiskUsage:
        self.df_kinds = kinds
        return api.DiskUsage(layers_size=7, images=[])

    def subscribe_events(
        self, since: int | None, until: int | None, filters: api.Filters
    ) -> AbstractAsyncContextManager[AsyncIterator[api.EventMessage]]:
        return self.events.subscribe(since, until, filters)

    async def auth(self, config: api.AuthConfig) -> api.AuthResponse:
        if config.password != "right":
            raise errdefs.Unauthorized("login attempt to https://r/v2/ failed with status: 401 Unauthorized")
        return api.AuthResponse(status="Login Succeeded")


async def test_ping_has_the_negotiation_headers(serve: Any, raw: Any) -> None:
    async with serve([SystemRouter(FakeBackend())]) as path:
        data = await raw(path, b"GET /_ping HTTP/1.0\r\n\r\n")
        head = await raw(path, b"HEAD /_ping HTTP/1.0\r\n\r\n")
    for header in (
        b"Api-Version: 1.45",
        b"Ostype: linux",
        b"Docker-Experimental: false",
        b"Builder-Version: 1",
        b"Cache-Control: no-cache, no-store, must-revalidate",
        b"Pragma: no-cache",
    ):
        assert header in data
        assert header in head
    assert data.endswith(b"\r\n\r\nOK")
    assert b"Content-Length: 0\r\n" in head
    assert head.endswith(b"\r\n\r\n")


async def test_version_info_and_df(serve: Any) -> None:
    backend = FakeBackend()
    async with serve([SystemRouter(backend)]) as path, AsyncClient(f"unix://{path}") as client:
        assert (await client.version()).version == "9.9"
        info = await client.info()
        assert (info.id, info.ncpu, info.containers_running) == ("ID1", 4, 1)
        df = await client.disk_usage(["image"])
        assert df.layers_size == 7
        assert backend.df_kinds == {"image"}
        with pytest.raises(errdefs.InvalidParameter, match="unknown object type: bogus"):
            await client.disk_usage(["bogus"])


async def test_events_stream_live_and_respect_filters(serve: Any) -> None:
    backend = FakeBackend()
    async with serve([SystemRouter(backend)]) as path, AsyncClient(f"unix://{path}") as client:
        got: list[api.EventMessage] = []

        async def watch() -> None:
            async for event in client.events(filters={"type": ["daemon"]}):
                got.append(event)
                return

        async with anyio.create_task_group() as tg:
            tg.start_soon(watch)
            with anyio.fail_after(5):
                while backend.events.listeners == 0:  # noqa: ASYNC110 - polling a plain counter
                    await anyio.sleep(0.01)
            backend.events.log("container", "start", "abc")
            backend.events.log("daemon", "reload", "D", {"debug": "true"})
        assert [(e.type, e.action) for e in got] == [("daemon", "reload")]


async def test_events_since_until_replay_and_end(serve: Any) -> None:
    backend = FakeBackend()
    backend.events.log("daemon", "reload", "D")
    async with serve([SystemRouter(backend)]) as path, AsyncClient(f"unix://{path}") as client:
        with anyio.fail_after(5):
            replayed = [e async for e in client.events(since="1m", until=str(time.time()))]
    assert [e.action for e in replayed] == ["reload"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"filters": '{"colour": {"red": true}}'}, "invalid filter 'colour'"),
        ({"filters": "{bad"}, "invalid filter"),
        ({"since": "tomorrow"}, "failed to parse"),
        ({"since": "2000000000", "until": "1000000000"}, "cannot be after until"),
    ],
)
async def test_bad_event_queries_are_400(serve: Any, query: dict[str, str], message: str) -> None:
    async with serve([SystemRouter(FakeBackend())]) as path, AsyncClient(f"unix://{path}") as client:
        with pytest.raises(errdefs.InvalidParameter, match=message):
            await client.request("GET", "/events", query=query)


async def test_auth_maps_refusal_to_401(serve: Any) -> None:
    async with serve([SystemRouter(FakeBackend())]) as path, AsyncClient(f"unix://{path}") as client:
        assert (await client.auth("u", "right", "r")).status == "Login Succeeded"
        with pytest.raises(errdefs.Unauthorized, match="401 Unauthorized"):
            await client.auth("u", "wrong", "r")
        with pytest.raises(errdefs.InvalidParameter, match="invalid JSON"):
            await client.request("POST", "/auth", body=b'{"username": 3}')


async def test_options_preflight_answers_200_anywhere(serve: Any, raw: Any) -> None:
    async with serve([SystemRouter(FakeBackend())]) as path:
        data = await raw(path, b"OPTIONS /containers/json HTTP/1.0\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 200 OK")
