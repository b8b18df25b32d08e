"""``exec``: run a command in a running container.

As the docker CLI: inspect first (a missing container is reported before
anything is created), create the exec (attached to stdout and stderr unless
``-d``, stdin with ``-i``), then start it detached, or attached and streamed
with the terminal raw under ``-t``; the exit status is the exec's.
"""

from __future__ import annotations

from typing import Any

import click

from . import _hijack
from ._clickext import command
from ._completion import container_argument
from ._errors import CLIError
from ._session import Session
from ._specs import parse_kv_files
from ._terminal import monitor_size
from ._tree import container, root

__all__: list[str] = []


@command([container, root], name="exec", use="exec [OPTIONS] CONTAINER COMMAND [ARG...]",
         help="Execute a command in a running container", min_args=2, interspersed=False)  # fmt: skip
@container_argument("name", required=False)
@click.argument("cmd", nargs=-1)
@click.option("-d", "--detach", is_flag=True, help="Detached mode: run command in the background")
@click.option("--detach-keys", default="", help="Override the key sequence for detaching a container")
@click.option("-e", "--env", multiple=True, help="Set environment variables")
@click.option("--env-file", multiple=True, help="Read in a file of environment variables")
@click.option("-i", "--interactive", is_flag=True, help="Keep STDIN open even if not attached")
@click.option("--privileged", is_flag=True, help="Give extended privileges to the command")
@click.option("-t", "--tty", is_flag=True, help="Allocate a pseudo-TTY")
@click.option("-u", "--user", default="", help='Username or UID (format: "<name|uid>[:<group|gid>]")')
@click.option("-w", "--workdir", default="", help="Working directory inside the container")
async def exec_(
    session: Session,
    name: str,
    cmd: tuple[str, ...],
    detach: bool,
    detach_keys: str,
    env: tuple[str, ...],
    env_file: tuple[str, ...],
    interactive: bool,
    privileged: bool,
    tty: bool,
    user: str,
    workdir: str,
) -> None:
    """Execute a command in a running container."""
    keys = detach_keys or session.config.detach_keys
    body: dict[str, Any] = {
        "User": user,
        "Privileged": privileged,
        "Tty": tty,
        "ConsoleSize": None,
        "AttachStdin": interactive and not detach,
        "AttachStderr": not detach,
        "AttachStdout": not detach,
        "DetachKeys": keys,
        "Env": parse_kv_files(env_file, env, env=True) or None,
        "WorkingDir": workdir,
        "Cmd": list(cmd),
    }
    engine = session.engine()
    await engine.container_inspect(name)
    if not detach and body["AttachStdin"] and tty and not session.stdin.isatty():
        raise CLIError("the input device is not a TTY")
    out = session.out
    if tty:
        height, width = out.terminal_size()
        if height or width:
            body["ConsoleSize"] = [height, width]
    exec_id = await engine.exec_create(name, body)
    if not exec_id:
        raise CLIError("exec ID empty")
    if detach:
        await engine.exec_start_detached(exec_id, tty=tty)
        return
    size = (int(body["ConsoleSize"][0]), int(body["ConsoleSize"][1])) if body["ConsoleSize"] else None
    conn = await engine.exec_attach(exec_id, tty=tty, console_size=size)

    async def resize() -> None:
        if tty and session.stdin.isatty():
            await monitor_size(out.fileno(), lambda h, w: engine.exec_resize(exec_id, h, w))

    detached = await _hijack.stream(
        conn,
        tty=tty,
        stdin=_hijack.StdinReader(session.stdin.binary) if body["AttachStdin"] else None,
        out=out.write,
        err=out.write if tty else session.err.write,
        detach_keys=keys,
        resize=resize,
    )
    if detached:
        raise CLIError("read escape sequence")
    status = int((await engine.exec_inspect(exec_id)).get("ExitCode") or 0)
    if status:
        raise CLIError("", status)
