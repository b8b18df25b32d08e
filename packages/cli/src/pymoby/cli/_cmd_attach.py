"""``attach``: connect the terminal to a running container's stdio.

As the docker CLI: the wait (``not-running``) is registered first; a
stopped, paused or restarting container is refused; stdin is attached
unless ``--no-stdin`` (and only when the container has ``OpenStdin``);
typing the detach keys ends with ``read escape sequence``; otherwise the
exit status is the container's.
"""

from __future__ import annotations

from typing import Any

import anyio
import click

from . import _hijack
from ._clickext import command
from ._cmd_run import forward_signals, wait_status
from ._completion import container_argument
from ._engine import Engine
from ._errors import CLIError
from ._session import Session
from ._terminal import monitor_size
from ._tree import container, root

__all__ = ["check_attachable"]


async def check_attachable(engine: Engine, name: str) -> dict[str, Any]:
    """Inspect ``name``; refuse a container that is not running as Docker does."""
    info = await engine.container_inspect(name)
    state = info.get("State") or {}
    if not state.get("Running"):
        raise CLIError("You cannot attach to a stopped container, start it first")
    if state.get("Paused"):
        raise CLIError("You cannot attach to a paused container, unpause it first")
    if state.get("Restarting"):
        raise CLIError("You cannot attach to a restarting container, wait until it is running")
    return info


@command([container, root], name="attach", use="attach [OPTIONS] CONTAINER",
         help="Attach local standard input, output, and error streams to a running container",
         min_args=1, max_args=1)  # fmt: skip
@container_argument("name", required=False)
@click.option("--detach-keys", default="", help="Override the key sequence for detaching a container")
@click.option("--no-stdin", is_flag=True, help="Do not attach STDIN")
@click.option("--sig-proxy", is_flag=True, default=True, help="Proxy all received signals to the process")
async def attach(session: Session, name: str, detach_keys: str, no_stdin: bool, sig_proxy: bool) -> None:
    """Attach local standard input, output, and error streams to a running container."""
    engine = session.engine()
    waiter = await engine.container_wait(name)
    try:
        info = await check_attachable(engine, name)
        config = info.get("Config") or {}
        tty = bool(config.get("Tty"))
        if not no_stdin and tty and not session.stdin.isatty():
            raise CLIError("the input device is not a TTY")
        with_stdin = not no_stdin and bool(config.get("OpenStdin"))
        keys = detach_keys or session.config.detach_keys
        container_id = str(info.get("Id") or name)
        conn = await engine.container_attach(container_id, stdin=with_stdin, stdout=True, stderr=True,
                                             detach_keys=keys)  # fmt: skip
        await check_attachable(engine, container_id)
        out, err = session.out, session.err

        async def resize() -> None:
            if tty and out.isatty():
                await monitor_size(out.fileno(), lambda h, w: engine.container_resize(container_id, h, w))

        detached = False
        async with anyio.create_task_group() as tg:
            if sig_proxy and not tty:
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
            raise CLIError("read escape sequence")
        status = await wait_status(waiter)
    finally:
        with anyio.CancelScope(shield=True):
            await waiter.aclose()
    if status:
        raise CLIError("", status)
