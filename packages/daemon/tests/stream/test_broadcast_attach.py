"""Fan-out to attached clients, slow and leaving clients, and attach with stdin, TTY and detach keys."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import pytest

from pymoby import api
from pymoby.daemon.stream import (
    AttachConfig,
    AttachEnd,
    Broadcaster,
    OverflowPolicy,
    StreamConfig,
    client_writers,
)

pytestmark = pytest.mark.anyio


async def drain(subscriber: Any) -> bytes:
    data = b""
    while True:
        try:
            data += await subscriber.receive()
        except anyio.EndOfStream:
            return data


async def test_every_subscriber_gets_every_byte_from_when_it_subscribed() -> None:
    broadcaster = Broadcaster()
    early = broadcaster.subscribe()
    await broadcaster.send(b"one ")
    late = broadcaster.subscribe()
    await broadcaster.send(b"two")
    broadcaster.end_subscribers()
    assert await drain(early) == b"one two"
    assert await drain(late) == b"two"
    assert broadcaster.subscribers == 0


async def test_a_client_that_leaves_no_longer_receives_nor_holds_anyone_up() -> None:
    broadcaster = Broadcaster(limit=10)
    leaving, staying = broadcaster.subscribe(), broadcaster.subscribe()
    await leaving.aclose()
    with anyio.fail_after(1):
        for _ in range(5):
            await broadcaster.send(b"x" * 4)
            assert await staying.receive() == b"xxxx"
    assert broadcaster.subscribers == 1
    with pytest.raises(anyio.ClosedResourceError):
        await leaving.receive()


async def test_a_slow_client_blocks_the_sender_past_the_limit_as_docker_does() -> None:
    broadcaster = Broadcaster(limit=100)
    slow, fast = broadcaster.subscribe(), broadcaster.subscribe()
    with anyio.move_on_after(0.2) as waited:
        while True:
            await broadcaster.send(b"y" * 40)
            assert await fast.receive() == b"y" * 40
    assert waited.cancelled_caught  # the sender is held up by the slow client
    assert slow.buffered == 120  # bounded: the limit plus one send, nothing dropped
    done = anyio.Event()

    async def send_more() -> None:
        await broadcaster.send(b"z")
        done.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(send_more)
        await anyio.sleep(0.05)
        assert not done.is_set()
        assert await slow.receive(1000) == b"y" * 120 + b"z"  # the client catches up ...
        with anyio.fail_after(1):
            await done.wait()  # ... and the sender goes on
    await slow.aclose()
    await fast.aclose()


async def test_the_disconnect_policy_ends_a_slow_client_instead_of_waiting() -> None:
    broadcaster = Broadcaster(limit=100, policy=OverflowPolicy.DISCONNECT)
    slow, fast = broadcaster.subscribe(), broadcaster.subscribe()
    with anyio.fail_after(1):
        for _ in range(10):
            await broadcaster.send(b"w" * 40)
            await fast.receive()
    assert len(await drain(slow)) == 120  # what it had when it fell behind, then end of stream
    assert broadcaster.subscribers == 1
    await fast.aclose()


async def test_attach_copies_output_multiplexed_until_the_container_streams_end(
    pipe: Callable[[], Any],
) -> None:
    streams = StreamConfig()
    attachment = streams.attach(AttachConfig(use_stdout=True, use_stderr=True))
    client = pipe()
    out, err = client_writers(client, multiplexed=True)
    async with anyio.create_task_group() as tg:
        result: list[AttachEnd] = []

        async def run() -> None:
            result.append(await attachment.run(None, out, err))

        tg.start_soon(run)
        await streams.stdout.send(b"hello\n")
        await streams.stderr.send(b"oops\n")
        await streams.close()
    await client.send_eof()
    frames = api.FrameDecoder().feed(await drain(client))
    assert sorted(frames) == [(api.StdStream.STDOUT, b"hello\n"), (api.StdStream.STDERR, b"oops\n")]
    assert result == [AttachEnd.STREAMS_ENDED]


async def test_several_clients_see_the_same_output_and_one_leaving_does_not_stop_the_others(
    pipe: Callable[[], Any],
) -> None:
    streams = StreamConfig()
    clients = [pipe() for _ in range(3)]
    attachments = [streams.attach(AttachConfig(use_stderr=False)) for _ in clients]
    ends: list[AttachEnd] = []

    class Broken(anyio.abc.ByteSendStream):
        async def send(self, item: bytes) -> None:
            raise anyio.BrokenResourceError

        async def aclose(self) -> None:
            pass

        @property
        def extra_attributes(self) -> Any:
            return {}

    async with anyio.create_task_group() as tg:

        async def run(index: int) -> None:
            writer = Broken() if index == 0 else clients[index]
            ends.append(await attachments[index].run(None, writer, None))

        for index in range(3):
            tg.start_soon(run, index)
        await anyio.sleep(0.01)
        await streams.stdout.send(b"tick\n")
        await streams.stdout.send(b"tock\n")
        await streams.close()
    for client in clients[1:]:
        await client.send_eof()
        assert await drain(client) == b"tick\ntock\n"
    assert sorted(e.name for e in ends) == ["CLIENT_GONE", "STREAMS_ENDED", "STREAMS_ENDED"]
    assert streams.stdout.subscribers == 0


async def test_stdin_once_closes_the_process_stdin_when_the_client_ends_its_input(
    pipe: Callable[[], Any],
) -> None:
    streams = StreamConfig()
    process_stdin, client = pipe(), pipe()
    streams.set_stdin(process_stdin)
    attachment = streams.attach(AttachConfig(use_stdin=True, use_stdout=True, use_stderr=False, close_stdin=True))
    output = pipe()
    async with anyio.create_task_group() as tg:
        ends: list[AttachEnd] = []

        async def run() -> None:
            ends.append(await attachment.run(client, output, None))

        tg.start_soon(run)
        await client.send(b"input line\n")
        await client.send_eof()
        with anyio.fail_after(2):
            assert await drain(process_stdin) == b"input line\n"  # the process reads end of file
        assert not streams.has_stdin
        await streams.stdout.send(b"still printing\n")  # output goes on until the process ends
        await streams.close()
    await output.send_eof()
    assert await drain(output) == b"still printing\n"
    assert ends == [AttachEnd.STREAMS_ENDED]


async def test_without_stdin_once_the_end_of_client_input_ends_the_attach(pipe: Callable[[], Any]) -> None:
    streams = StreamConfig()
    process_stdin, client, output = pipe(), pipe(), pipe()
    streams.set_stdin(process_stdin)
    attachment = streams.attach(AttachConfig(use_stdin=True, use_stderr=False))
    await client.send(b"ls\n")
    await client.send_eof()
    with anyio.fail_after(2):
        assert await attachment.run(client, output, None) is AttachEnd.STDIN_ENDED
    assert streams.has_stdin  # the process keeps its stdin for the next client
    assert await process_stdin.receive() == b"ls\n"


async def test_detach_keys_with_a_tty_end_the_attach_across_read_boundaries(pipe: Callable[[], Any]) -> None:
    streams = StreamConfig()
    process_stdin, client, output = pipe(), pipe(), pipe()
    streams.set_stdin(process_stdin)
    attachment = streams.attach(AttachConfig(use_stdin=True, use_stderr=False, tty=True, detach_keys=b"\x01\x02"))
    for piece in (b"top\r", b"\x01", b"x\x01", b"\x02never sent"):
        await client.send(piece)
    with anyio.fail_after(2):
        assert await attachment.run(client, output, None) is AttachEnd.DETACHED
    await process_stdin.send_eof()
    assert await drain(process_stdin) == b"top\r\x01x"
    assert streams.has_stdin  # detaching leaves the container's stdin open
    assert streams.stdout.subscribers == 0


async def test_without_a_tty_detach_keys_are_ordinary_input(pipe: Callable[[], Any]) -> None:
    streams = StreamConfig()
    process_stdin, client, output = pipe(), pipe(), pipe()
    streams.set_stdin(process_stdin)
    attachment = streams.attach(AttachConfig(use_stdin=True, use_stderr=False, close_stdin=True))
    await client.send(b"\x10\x11data")
    await client.send_eof()
    async with anyio.create_task_group() as tg:
        tg.start_soon(attachment.run, client, output, None)
        with anyio.fail_after(2):
            assert await drain(process_stdin) == b"\x10\x11data"
        await streams.close()


async def test_a_container_without_stdin_ignores_the_client_input(pipe: Callable[[], Any]) -> None:
    streams = StreamConfig()
    client, output = pipe(), pipe()
    attachment = streams.attach(AttachConfig(use_stdin=True, use_stderr=False))
    await client.send(b"ignored")
    async with anyio.create_task_group() as tg:
        tg.start_soon(attachment.run, client, output, None)
        await anyio.sleep(0.01)
        await streams.stdout.send(b"out\n")
        await streams.close()
    await output.send_eof()
    assert await drain(output) == b"out\n"
    assert await client.receive() == b"ignored"  # never read
