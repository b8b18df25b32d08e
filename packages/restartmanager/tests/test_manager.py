"""Restart decisions and back-off, over a fake clock."""

from __future__ import annotations

import anyio
import pytest

from pymoby import errdefs
from pymoby.restartmanager import (
    FakeClock,
    RestartCanceled,
    RestartDecision,
    RestartInProgress,
    RestartManager,
    RestartPolicy,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class InstantClock:
    """A clock whose sleeps return at once, recording how long they were."""

    def __init__(self) -> None:
        self.slept: list[float] = []

    def now(self) -> float:
        return sum(self.slept)

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


async def decide_and_wait(
    manager: RestartManager, exit_code: int, *, manually_stopped: bool = False, execution_duration: float = 0.0
) -> RestartDecision:
    """Decide, then wait out the delay as the daemon would before restarting."""
    decision = manager.should_restart(
        exit_code, manually_stopped=manually_stopped, execution_duration=execution_duration
    )
    await manager.wait(decision)
    return decision


def manager_for(policy: str) -> RestartManager:
    return RestartManager(RestartPolicy.parse(policy), clock=InstantClock())


def test_no_never_restarts() -> None:
    manager = RestartManager(RestartPolicy.parse("no"))
    assert manager.should_restart(1) == RestartDecision(False)
    assert manager.should_restart(0) == RestartDecision(False)
    assert manager.restart_count == 0


@pytest.mark.parametrize("exit_code", [0, 1, 137])
def test_always_restarts_on_any_exit(exit_code: int) -> None:
    manager = RestartManager(RestartPolicy.parse("always"))
    decision = manager.should_restart(exit_code)
    assert decision.restart
    assert manager.restart_count == 1


def test_always_restarts_even_when_manually_stopped_unless_canceled() -> None:
    # Docker's stop cancels the manager; the flag alone does not stop "always".
    manager = RestartManager(RestartPolicy.parse("always"))
    assert manager.should_restart(0, manually_stopped=True).restart


async def test_unless_stopped_restarts_unless_the_user_stopped_it() -> None:
    manager = manager_for("unless-stopped")
    assert (await decide_and_wait(manager, 0)).restart
    assert not (await decide_and_wait(manager, 0, manually_stopped=True)).restart


async def test_on_failure_restarts_only_after_a_failure() -> None:
    manager = manager_for("on-failure")
    assert not (await decide_and_wait(manager, 0)).restart
    assert (await decide_and_wait(manager, 3)).restart


async def test_on_failure_stops_after_maximum_retries() -> None:
    manager = manager_for("on-failure:2")
    assert (await decide_and_wait(manager, 1)).restart
    assert (await decide_and_wait(manager, 1)).restart
    assert not (await decide_and_wait(manager, 1)).restart
    assert manager.restart_count == 2


def test_on_failure_counts_restarts_from_before_a_daemon_restart() -> None:
    manager = RestartManager(RestartPolicy.parse("on-failure:2"), restart_count=2)
    assert not manager.should_restart(1).restart


async def test_backoff_doubles_from_100ms_up_to_one_minute() -> None:
    clock = InstantClock()
    manager = RestartManager(RestartPolicy.parse("always"), clock=clock)
    delays = [(await decide_and_wait(manager, 1, execution_duration=0.5)).delay for _ in range(12)]
    assert clock.slept == delays
    assert delays == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 51.2, 60.0, 60.0])


async def test_backoff_resets_after_a_ten_second_run() -> None:
    manager = manager_for("always")
    for _ in range(5):
        await decide_and_wait(manager, 1, execution_duration=1)
    assert manager.delay == pytest.approx(1.6)
    assert (await decide_and_wait(manager, 1, execution_duration=10)).delay == pytest.approx(0.1)
    assert (await decide_and_wait(manager, 1, execution_duration=9.9)).delay == pytest.approx(0.2)


def test_a_second_decision_before_the_wait_is_refused() -> None:
    manager = RestartManager(RestartPolicy.parse("always"))
    manager.should_restart(1)
    with pytest.raises(RestartInProgress):
        manager.should_restart(1)


def test_policy_can_change_while_running() -> None:
    manager = RestartManager(RestartPolicy.parse("no"))
    assert not manager.should_restart(1).restart
    manager.set_policy(RestartPolicy.parse("on-failure:1"))
    assert manager.should_restart(1).restart
    assert manager.policy == RestartPolicy.parse("on-failure:1")


def test_after_cancel_every_decision_raises_canceled() -> None:
    manager = RestartManager(RestartPolicy.parse("always"))
    manager.cancel()
    with pytest.raises(RestartCanceled) as caught:
        manager.should_restart(1)
    assert errdefs.is_cancelled(caught.value)


async def test_wait_returns_after_the_delay_on_the_clock() -> None:
    clock = FakeClock()
    manager = RestartManager(RestartPolicy.parse("always"), clock=clock)
    decision = manager.should_restart(1)
    done = anyio.Event()

    async def waiter() -> None:
        await manager.wait(decision)
        done.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(waiter)
        await anyio.wait_all_tasks_blocked()
        clock.advance(0.05)
        await anyio.wait_all_tasks_blocked()
        assert not done.is_set()
        clock.advance(0.05)
        await done.wait()
    # The wait finished, so the next decision is allowed and backs off.
    assert manager.should_restart(1).delay == pytest.approx(0.2)


async def test_cancel_during_the_delay_raises_canceled() -> None:
    clock = FakeClock()
    manager = RestartManager(RestartPolicy.parse("always"), clock=clock)
    decision = manager.should_restart(1)
    outcome: list[BaseException] = []

    async def waiter() -> None:
        try:
            await manager.wait(decision)
        except RestartCanceled as exc:
            outcome.append(exc)

    async with anyio.create_task_group() as tg:
        tg.start_soon(waiter)
        await anyio.wait_all_tasks_blocked()
        manager.cancel()
    assert len(outcome) == 1
    assert clock.sleepers == 0


async def test_wait_on_a_negative_decision_returns_at_once() -> None:
    manager = RestartManager(RestartPolicy.parse("no"), clock=FakeClock())
    with anyio.fail_after(1):
        await manager.wait(manager.should_restart(1))
