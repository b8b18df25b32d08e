"""Jobs (work whose output a client reads) and shared transfers: errors before and after output, cancellation."""

from __future__ import annotations

import threading

import anyio
import anyio.lowlevel
import pytest

from pymoby import errdefs
from pymoby.daemon.distribution import Aborted, Job, Jobs, TransferManager, run_abortable, status_message

pytestmark = pytest.mark.anyio


@pytest.fixture
async def jobs():
    jobs = Jobs()
    async with anyio.create_task_group() as group:
        await group.start(jobs.serve)
        yield jobs
        group.cancel_scope.cancel()


async def test_an_error_before_any_output_is_raised_by_first(jobs: Jobs) -> None:
    async def work(job: Job) -> None:
        raise errdefs.NotFound("nothing here")

    job = jobs.start(work)
    with pytest.raises(errdefs.NotFound, match="nothing here"):
        await job.first()


async def test_an_error_after_output_ends_the_stream_with_an_error_line(jobs: Jobs) -> None:
    async def work(job: Job) -> None:
        job.write(status_message("started"))
        raise errdefs.System("broke")

    job = jobs.start(work)
    await job.first()
    data = b"".join([chunk async for chunk in job.output()])
    assert data == b'{"status":"started"}\r\n{"errorDetail":{"message":"broke"},"error":"broke"}\r\n'


async def test_a_raw_job_that_fails_after_output_aborts_the_stream(jobs: Jobs) -> None:
    async def work(job: Job) -> None:
        await job.send(b"tar bytes")
        raise errdefs.System("disk gone")

    job = jobs.start(work, raw=True)
    await job.first()
    received = []

    async def read_all() -> None:
        async for chunk in job.output():
            received.append(chunk)

    with pytest.raises(errdefs.System):
        await read_all()
    assert received == [b"tar bytes"]


async def test_closing_the_output_cancels_the_job(jobs: Jobs) -> None:
    cancelled = anyio.Event()

    async def work(job: Job) -> None:
        job.write(status_message("working"))
        try:
            await anyio.sleep_forever()
        finally:
            cancelled.set()

    job = jobs.start(work)
    await job.first()
    output = job.output()
    await output.__anext__()
    await output.aclose()
    with anyio.fail_after(5):
        await cancelled.wait()
    assert isinstance(job.error, errdefs.Cancelled)


async def test_send_waits_for_a_slow_reader(jobs: Jobs) -> None:
    sent = []

    async def work(job: Job) -> None:
        for _ in range(8):
            await job.send(b"x" * (1 << 19))
            sent.append(1)

    job = jobs.start(work, raw=True)
    await job.first()
    await anyio.sleep(0.1)
    assert len(sent) < 8  # held back at the high-water mark
    data = b"".join([chunk async for chunk in job.output()])
    assert len(data) == 8 << 19


async def test_jobs_need_the_service_running() -> None:
    with pytest.raises(errdefs.Unavailable):
        Jobs().start(lambda job: anyio.lowlevel.checkpoint())


async def test_a_transfer_is_shared_and_cancelled_with_its_last_watcher(jobs: Jobs) -> None:
    manager = TransferManager(jobs, 3)
    started = []
    gate = anyio.Event()
    cancelled = anyio.Event()

    def make_work():
        async def work(transfer: object) -> str:
            started.append(1)
            try:
                await gate.wait()
            except anyio.get_cancelled_exc_class():
                cancelled.set()
                raise
            return "layer"

        return work

    results = []

    async def watcher() -> None:
        results.append(await manager.watch("key", make_work))

    async with anyio.create_task_group() as group:
        group.start_soon(watcher)
        group.start_soon(watcher)
        await anyio.sleep(0.05)
        gate.set()
    assert started == [1]
    assert results == ["layer", "layer"]
    gate = anyio.Event()
    with anyio.move_on_after(0.1):
        await manager.watch("other", make_work)
    with anyio.fail_after(5):
        await cancelled.wait()
    assert manager.active() == []


async def test_a_failed_transfer_is_forgotten_and_retried(jobs: Jobs) -> None:
    manager = TransferManager(jobs, 3)
    attempts = []

    def make_work():
        async def work(transfer: object) -> str:
            attempts.append(1)
            if len(attempts) == 1:
                raise errdefs.Unavailable("registry down")
            return "ok"

        return work

    with pytest.raises(errdefs.Unavailable):
        await manager.watch("k", make_work)
    assert await manager.watch("k", make_work) == "ok"
    assert len(attempts) == 2


async def test_run_abortable_stops_blocking_work_and_discards_its_result() -> None:
    discarded = []
    entered = threading.Event()

    def blocking(abort: threading.Event) -> str:
        entered.set()
        while not abort.is_set():
            abort.wait(0.01)
        raise Aborted("stopped")

    with anyio.move_on_after(0.2):
        await run_abortable(blocking, discarded.append)
    assert entered.is_set()

    def finishes(abort: threading.Event) -> str:
        return "done"

    assert await run_abortable(finishes, discarded.append) == "done"
    assert discarded == []
