"""The event bus: publish, replay a window, live subscribers, filters."""

from __future__ import annotations

import anyio
import pytest

from pymoby import api
from pymoby.daemon.events import Events, event_matches, parse_timestamp

pytestmark = pytest.mark.anyio


class Clock:
    def __init__(self) -> None:
        self.now = 1_000 * 10**9

    def __call__(self) -> int:
        return self.now


def event(type: str, action: str, actor: str, **attributes: str) -> api.EventMessage:  # noqa: A002
    return api.EventMessage(
        type=type,
        action=action,
        actor=api.EventActor(id=actor, attributes=attributes),
        scope="local",
        time=1,
        time_nano=10**9,
    )


@pytest.mark.parametrize(
    ("filters", "message", "expected"),
    [
        ({}, event("daemon", "reload", "D"), True),
        ({"type": ["daemon"]}, event("daemon", "reload", "D"), True),
        ({"type": ["container"]}, event("daemon", "reload", "D"), False),
        ({"event": ["reload"]}, event("daemon", "reload", "D"), True),
        ({"event": ["exec_start"]}, event("container", "exec_start: sh -c true", "abc"), True),
        ({"container": ["web"]}, event("container", "start", "abc123", name="web"), True),
        ({"container": ["abc"]}, event("container", "start", "abc123", name="web"), True),
        ({"container": ["db"]}, event("container", "start", "abc123", name="web"), False),
        ({"container": ["web"]}, event("daemon", "reload", "D", name="host"), False),
        ({"daemon": ["host"]}, event("daemon", "reload", "D", name="host"), True),
        ({"image": ["busybox"]}, event("container", "create", "abc", image="busybox:latest"), True),
        ({"image": ["alpine"]}, event("container", "create", "abc", image="busybox:latest"), False),
        ({"label": ["a=1"]}, event("container", "start", "abc", a="1"), True),
        ({"label": ["a=2"]}, event("container", "start", "abc", a="1"), False),
        ({"scope": ["swarm"]}, event("daemon", "reload", "D"), False),
    ],
)
def test_event_filters_follow_dockers_rules(
    filters: dict[str, list[str]], message: api.EventMessage, expected: bool
) -> None:
    assert event_matches(api.Filters(filters), message) is expected


async def test_subscriber_gets_matching_live_events_only() -> None:
    events = Events()
    async with events.subscribe(filters=api.Filters({"type": ["daemon"]})) as stream:
        assert events.listeners == 1
        events.log("container", "start", "abc", {"name": "web"})
        events.log("daemon", "reload", "D", {"debug": "true"})
        with anyio.fail_after(2):
            message = await stream.__anext__()
    assert (message.type, message.action, message.actor.attributes) == ("daemon", "reload", {"debug": "true"})
    assert events.listeners == 0


async def test_since_replays_recorded_events_and_until_ends_the_stream() -> None:
    clock = Clock()
    events = Events(clock=clock)
    events.log("daemon", "reload", "D")
    clock.now += 10**9
    second = events.log("daemon", "reload", "D")
    clock.now += 10**9
    events.log("daemon", "reload", "D")
    async with events.subscribe(since=second.time_nano, until=clock.now - 1) as stream:
        replayed = [m async for m in stream]
    assert [m.time_nano for m in replayed] == [second.time_nano]


async def test_until_in_the_future_stops_live_streaming_at_that_time() -> None:
    events = Events()
    import time

    async with events.subscribe(until=time.time_ns() + 200_000_000) as stream:
        events.log("daemon", "reload", "D")
        with anyio.fail_after(3):
            got = [m async for m in stream]
    assert [m.action for m in got] == ["reload"]


async def test_ring_buffer_keeps_the_most_recent_events() -> None:
    events = Events(limit=3)
    for i in range(5):
        events.log("daemon", f"a{i}", "D")
    async with events.subscribe(since=0, until=1) as stream:
        assert [m async for m in stream] == []
    import time

    async with events.subscribe(since=0, until=time.time_ns()) as stream:
        assert [m.action async for m in stream] == ["a2", "a3", "a4"]


async def test_a_subscriber_that_does_not_keep_up_is_dropped() -> None:
    events = Events()
    async with events.subscribe() as stream:
        for _ in range(1100):
            events.log("daemon", "reload", "D")
        assert events.listeners == 0
        count = 0
        async for _ in stream:
            count += 1
    assert count == 1024


def test_container_events_carry_the_legacy_fields() -> None:
    message = Events().log("container", "start", "abc", {"image": "busybox", "name": "web"})
    assert (message.status, message.id, message.from_) == ("start", "abc", "busybox")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1700000000", 1_700_000_000 * 10**9),
        ("1700000000.5", 1_700_000_000 * 10**9 + 500_000_000),
        ("10s", 2_000 * 10**9 - 10 * 10**9),
        ("1h30m", 2_000 * 10**9 - 5400 * 10**9),
        ("2023-11-14T22:13:20Z", 1_700_000_000 * 10**9),
    ],
)
def test_timestamps_take_dockers_forms(value: str, expected: int) -> None:
    assert parse_timestamp(value, 2_000 * 10**9) == expected


def test_unparseable_timestamp_is_invalid() -> None:
    from pymoby import errdefs

    with pytest.raises(errdefs.InvalidParameter):
        parse_timestamp("yesterday", 0)
