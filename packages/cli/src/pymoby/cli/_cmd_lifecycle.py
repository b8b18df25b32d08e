"""``start``, ``stop``, ``restart``, ``kill``, ``rm``, ``pause``, ``unpause`` and ``update``.

The commands over several containers act on them in parallel (at most 50
at once, as Docker), print each name that succeeded, and report every
error, one per line, with exit status 1.
"""

from __future__ import annotations

from typing import Any

import click

from pymoby import errdefs

from ._clickext import command
from ._cmd_containers import join_errors, parallel
from ._completion import container_argument
from ._errors import CLIError, describe
from ._runflags import MemBytes, NanoCPUs
from ._session import Session
from ._specs import SpecError, parse_restart_policy
from ._tree import container, root

__all__: list[str] = []


async def _report(session: Session, names: list[str], errors: list[BaseException | None]) -> None:
    failed = []
    for name, error in zip(names, errors, strict=True):
        if error is None:
            session.out.write(name + "\n")
        else:
            failed.append(error)
    if failed:
        raise join_errors(failed)


@command([container, root], name="start", use="start [OPTIONS] CONTAINER [CONTAINER...]",
         help="Start one or more stopped containers", min_args=1,
         blocking=lambda params: not (params["attach"] or params["interactive"]))  # fmt: skip
@container_argument("names", nargs=-1)
@click.option("-a", "--attach", is_flag=True, help="Attach STDOUT/STDERR and forward signals")
@click.option("--detach-keys", default="", help="Override the key sequence for detaching a container")
@click.option("-i", "--interactive", is_flag=True, help="Attach container's STDIN")
async def start(session: Session, names: tuple[str, ...], attach: bool, detach_keys: str, interactive: bool) -> None:
    """Start one or more stopped containers."""
    engine = session.engine()
    if not (attach or interactive):
        failed = []
        for name in names:
            try:
                await engine.container_start(name)
            except errdefs.PymobyError as exc:
                session.err.write(describe(exc) + "\n")
                failed.append(name)
                continue
            session.out.write(name + "\n")
        if failed:
            raise CLIError(f"Error: failed to start containers: {', '.join(failed)}")
        return
    if len(names) > 1:
        raise CLIError("you cannot start and attach multiple containers at once")
    await _start_attached(session, names[0], detach_keys, interactive)


async def _start_attached(session: Session, name: str, detach_keys: str, interactive: bool) -> None:
    """``start -a``/``-i``: attach, wait, start, stream until the container exits (on the event loop)."""
    import anyio

    from . import _hijack
    from ._cmd_run import forward_signals, wait_status
    from ._terminal import monitor_size

    engine = session.engine()
    info = await engine.container_inspect(name)
    config, host = info.get("Config") or {}, info.get("HostConfig") or {}
    container_id = str(info.get("Id"))
    tty = bool(config.get("Tty"))
    keys = detach_keys or session.config.detach_keys
    with_stdin = interactive and bool(config.get("OpenStdin"))
    conn = await engine.container_attach(container_id, stdin=with_stdin, stdout=True, stderr=True, detach_keys=keys)
    waiter = await engine.container_wait(container_id, "removed" if host.get("AutoRemove") else "next-exit")
    try:
        await engine.container_start(container_id)
    except errdefs.PymobyError:
        with anyio.CancelScope(shield=True):
            await conn.aclose()
            await waiter.aclose()
        raise
    out, err = session.out, session.err

    async def resize() -> None:
        if tty and out.isatty():
            await monitor_size(out.fileno(), lambda h, w: engine.container_resize(container_id, h, w))

    detached = False
    try:
        async with anyio.create_task_group() as tg:
            if not tty:
                tg.start_soon(forward_signals, engine, container_id)
            detached = await _hijack.stream(
                conn,
                tty=tty,
                stdin=_hijack.StdinReader(session.stdin.binary) if with_stdin else None,
                out=out.write,
                err=out.write if tty else err.write,
                detach_keys=keys,
                resize=resize,
            )
            tg.cancel_scope.cancel()
        if detached:
            return
        status = await wait_status(waiter)
    finally:
        with anyio.CancelScope(shield=True):
            await waiter.aclose()
    if status:
        raise CLIError("", status)


_WAIT_HELP = "Seconds to wait before killing the container"


def _timeout_option(command_fn: Any) -> Any:
    command_fn = click.option("-t", "--timeout", "seconds", type=int, default=None, help=_WAIT_HELP)(command_fn)
    deprecated = _WAIT_HELP + " (deprecated: use --timeout)"
    command_fn = click.option("--time", "time_", type=int, default=None, hidden=True, help=deprecated)(command_fn)
    return click.option("-s", "--signal", default="", help="Signal to send to the container")(command_fn)


def _pick_timeout(seconds: int | None, time_: int | None) -> int | None:
    if seconds is not None and time_ is not None:
        raise CLIError("conflicting options: cannot specify both --timeout and --time", 125)
    return seconds if seconds is not None else time_


@command([container, root], name="stop", use="stop [OPTIONS] CONTAINER [CONTAINER...]",
         help="Stop one or more running containers", min_args=1, blocking=True)  # fmt: skip
@container_argument("names", nargs=-1)
@_timeout_option
async def stop(session: Session, names: tuple[str, ...], seconds: int | None, time_: int | None, signal: str) -> None:
    """Stop one or more running containers."""
    wait_for = _pick_timeout(seconds, time_)
    engine = session.engine()
    errors = await parallel(
        list(names), lambda n: engine.container_stop(n, signal=signal, seconds=wait_for), blocking=session.blocking
    )
    await _report(session, list(names), errors)


@command([container, root], name="restart", use="restart [OPTIONS] CONTAINER [CONTAINER...]",
         help="Restart one or more containers", min_args=1, blocking=True)  # fmt: skip
@container_argument("names", nargs=-1)
@_timeout_option
async def restart(
    session: Session, names: tuple[str, ...], seconds: int | None, time_: int | None, signal: str
) -> None:
    """Restart one or more containers."""
    wait_for = _pick_timeout(seconds, time_)
    engine = session.engine()
    errors: list[BaseException | None] = []
    for name in names:
        try:
            await engine.container_restart(name, signal=signal, seconds=wait_for)
            errors.append(None)
        except errdefs.PymobyError as exc:
            errors.append(exc)
    await _report(session, list(names), errors)


@command([container, root], name="kill", use="kill [OPTIONS] CONTAINER [CONTAINER...]",
         help="Kill one or more running containers", min_args=1, blocking=True)  # fmt: skip
@container_argument("names", nargs=-1)
@click.option("-s", "--signal", default="", help="Signal to send to the container")
async def kill(session: Session, names: tuple[str, ...], signal: str) -> None:
    """Kill one or more running containers."""
    engine = session.engine()
    errors = await parallel(list(names), lambda n: engine.container_kill(n, signal=signal), blocking=session.blocking)
    await _report(session, list(names), errors)


@command([container, root], name="rm", use="rm [OPTIONS] CONTAINER [CONTAINER...]",
         help="Remove one or more containers", min_args=1, blocking=True)  # fmt: skip
@container_argument("names", nargs=-1)
@click.option("-f", "--force", is_flag=True, help="Force the removal of a running container (uses SIGKILL)")
@click.option("-l", "--link", is_flag=True, help="Remove the specified link")
@click.option("-v", "--volumes", is_flag=True, help="Remove anonymous volumes associated with the container")
async def rm(session: Session, names: tuple[str, ...], force: bool, link: bool, volumes: bool) -> None:
    """Remove one or more containers."""
    engine = session.engine()

    async def remove(name: str) -> None:
        name = name.strip("/")
        if not name:
            raise CLIError("container name cannot be empty")
        await engine.container_remove(name, force=force, volumes=volumes, link=link)

    errors = await parallel(list(names), remove, blocking=session.blocking)
    failed: list[BaseException] = []
    for name, error in zip(names, errors, strict=True):
        if error is None:
            session.out.write(name + "\n")
        elif force and errdefs.is_not_found(error):
            session.err.write(describe(error) + "\n")
        else:
            failed.append(error)
    if failed:
        raise join_errors(failed)


@command([container, root], name="pause", use="pause CONTAINER [CONTAINER...]",
         help="Pause all processes within one or more containers", min_args=1, blocking=True)  # fmt: skip
@container_argument("names", nargs=-1)
async def pause(session: Session, names: tuple[str, ...]) -> None:
    """Pause all processes within one or more containers."""
    engine = session.engine()
    errors = await parallel(list(names), engine.container_pause, blocking=session.blocking)
    await _report(session, list(names), errors)


@command([container, root], name="unpause", use="unpause CONTAINER [CONTAINER...]",
         help="Unpause all processes within one or more containers", min_args=1, blocking=True)  # fmt: skip
@container_argument("names", nargs=-1)
async def unpause(session: Session, names: tuple[str, ...]) -> None:
    """Unpause all processes within one or more containers."""
    engine = session.engine()
    errors = await parallel(list(names), engine.container_unpause, blocking=session.blocking)
    await _report(session, list(names), errors)


@command([container, root], name="update", use="update [OPTIONS] CONTAINER [CONTAINER...]",
         help="Update configuration of one or more containers", min_args=1, blocking=True)  # fmt: skip
@container_argument("names", nargs=-1)
@click.option(
    "--blkio-weight", type=int, default=0, help="Block IO (relative weight), between 10 and 1000, or 0 to disable"
)
@click.option("--cpu-period", type=int, default=0, help="Limit CPU CFS (Completely Fair Scheduler) period")
@click.option("--cpu-quota", type=int, default=0, help="Limit CPU CFS (Completely Fair Scheduler) quota")
@click.option("--cpu-rt-period", type=int, default=0, help="Limit the CPU real-time period in microseconds")
@click.option("--cpu-rt-runtime", type=int, default=0, help="Limit the CPU real-time runtime in microseconds")
@click.option("-c", "--cpu-shares", type=int, default=0, help="CPU shares (relative weight)")
@click.option("--cpus", type=NanoCPUs(), default=0, help="Number of CPUs")
@click.option("--cpuset-cpus", default="", help="CPUs in which to allow execution (0-3, 0,1)")
@click.option("--cpuset-mems", default="", help="MEMs in which to allow execution (0-3, 0,1)")
@click.option("--kernel-memory", type=MemBytes(), default=0, hidden=True, help="Kernel memory limit (deprecated)")
@click.option("-m", "--memory", type=MemBytes(), default=0, help="Memory limit")
@click.option("--memory-reservation", type=MemBytes(), default=0, help="Memory soft limit")
@click.option("--memory-swap", type=MemBytes(), default=0,
              help="Swap limit equal to memory plus swap: -1 to enable unlimited swap")  # fmt: skip
@click.option("--pids-limit", type=int, default=0, help="Tune container pids limit (set -1 for unlimited)")
@click.option("--restart", default="", help="Restart policy to apply when a container exits")
async def update(session: Session, names: tuple[str, ...], **opts: Any) -> None:
    """Update configuration of one or more containers."""
    if not session.changed - {"names"}:
        raise CLIError("you must provide one or more flags when using this command")
    try:
        policy = parse_restart_policy(opts["restart"]) if opts["restart"] else {"Name": "", "MaximumRetryCount": 0}
    except SpecError as exc:
        raise CLIError(str(exc)) from exc
    body: dict[str, Any] = {
        "BlkioWeight": opts["blkio_weight"],
        "CpusetCpus": opts["cpuset_cpus"],
        "CpusetMems": opts["cpuset_mems"],
        "CpuShares": opts["cpu_shares"],
        "Memory": opts["memory"],
        "MemoryReservation": opts["memory_reservation"],
        "MemorySwap": opts["memory_swap"],
        "KernelMemory": opts["kernel_memory"],
        "CpuPeriod": opts["cpu_period"],
        "CpuQuota": opts["cpu_quota"],
        "CpuRealtimePeriod": opts["cpu_rt_period"],
        "CpuRealtimeRuntime": opts["cpu_rt_runtime"],
        "NanoCpus": opts["cpus"],
        "RestartPolicy": policy,
    }
    if opts["pids_limit"]:
        body["PidsLimit"] = opts["pids_limit"]
    engine = session.engine()
    warnings: list[str] = []
    errors: list[str] = []
    for name in names:
        try:
            answer = await engine.container_update(name, body)
        except errdefs.PymobyError as exc:
            errors.append(describe(exc))
            continue
        session.out.write(name + "\n")
        warnings.extend(answer.get("Warnings") or [])
    if warnings:
        session.out.write("\n".join(warnings) + "\n")
    if errors:
        raise CLIError("\n".join(errors))
