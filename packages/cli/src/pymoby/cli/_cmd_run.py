"""``run`` and ``create``: build the container from the flags, pull a missing image, start, attach.

``run`` follows the docker CLI's order: create (pulling on a 404 with
``--pull missing``), attach before start when the output or stdin is
attached, register the wait (``next-exit``, or ``removed`` with ``--rm``)
before start, start, then stream until the container ends and exit with its
code. Errors of the daemon exit 125 (126 when the command cannot be
executed, 127 when it is not found), parse errors 125; ``-d`` prints the ID.
"""

from __future__ import annotations

import contextlib
import ipaddress
import signal
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import anyio
import click

from pymoby import errdefs, reference

from . import _hijack
from ._clickext import PROG, command
from ._completion import image_argument
from ._engine import Engine
from ._errors import CLIError, describe, is_daemon_error
from ._imagepull import pull_image
from ._runconfig import build_create_body
from ._runflags import container_flags
from ._session import Session
from ._specs import SpecError
from ._terminal import monitor_size
from ._tree import container, root

__all__ = ["create_container", "run_status_error", "wait_status"]

_PULL_POLICIES = ("always", "missing", "never")


def run_status_error(exc: BaseException, command_name: str = "run") -> CLIError:
    """Docker's ``toStatusError``: 127 not found, 126 not executable, 125 otherwise, with the help hint."""
    message = describe(exc)
    text = f"{PROG}: {message}\n\nRun '{PROG} {command_name} --help' for more information"
    if any(s in message for s in ("executable file not found", "no such file or directory",
                                  "system cannot find the file specified")):  # fmt: skip
        return CLIError(text, 127)
    if "permission denied" in message or "is a directory" in message:
        return CLIError(text, 126)
    return CLIError(text, 125)


def _usage_error(exc: BaseException | str, command_name: str) -> CLIError:
    return CLIError(f"{PROG}: {exc}\n\nRun '{PROG} {command_name} --help' for more information", 125)


def _check_pull_policy(pull: str, command_name: str) -> None:
    if pull not in (*_PULL_POLICIES, ""):
        raise _usage_error(
            f'invalid pull option: \'{pull}\': must be one of "always", "missing" or "never"', command_name
        )


def _familiar_with_tag(image: str) -> str | None:
    try:
        ref = reference.parse_any_reference(image)
    except errdefs.InvalidParameter:
        return None
    if not ref.is_named:
        return None
    return reference.familiar_string(reference.tag_name_only(ref))


async def create_container(
    session: Session,
    engine: Engine,
    body: dict[str, Any],
    *,
    name: str,
    pull: str,
    quiet: bool,
    platform: str,
) -> str:
    """Create the container (pulling its image when missing, as the policy says); its ID."""
    host = body["HostConfig"]
    cidfile = host.get("ContainerIDFile") or ""
    cid_path: Path | None = None
    if cidfile:
        cid_path = Path(cidfile)
        if cid_path.exists():
            raise CLIError(f"container ID file found, make sure the other container isn't running or delete {cidfile}")
        try:
            cid_path.touch()
        except OSError as exc:
            raise CLIError(f"failed to create the container ID file: {exc}") from exc
    written = False
    try:
        image = body["Image"]
        familiar = _familiar_with_tag(image)
        if pull == "always" and familiar:
            await pull_image(session, engine, image, platform=platform, quiet=quiet)
        host["ConsoleSize"] = list(session.out.terminal_size())
        try:
            answer = await engine.container_create(body, name=name, platform=platform)
        except errdefs.NotFound as exc:
            if not (is_daemon_error(exc) and familiar and pull == "missing"):
                raise
            if not quiet:
                session.err.write(f"Unable to find image '{familiar}' locally\n")
            await pull_image(session, engine, image, platform=platform, quiet=quiet)
            answer = await engine.container_create(body, name=name, platform=platform)
        warnings = list(answer.get("Warnings") or [])
        for dns in host.get("Dns") or []:
            with contextlib.suppress(ValueError):
                if ipaddress.ip_address(dns).is_loopback:
                    warnings.append(f"Localhost DNS ({dns}) may fail in containers.")
                    break
        for warning in warnings:
            session.err.write(f"WARNING: {warning}\n")
        container_id = str(answer["Id"])
        if cid_path is not None:
            cid_path.write_text(container_id)
            written = True
        return container_id
    finally:
        if cid_path is not None and not written:
            with contextlib.suppress(OSError):
                cid_path.unlink()


async def wait_status(answer: Any) -> int:
    """The exit status in a ``wait`` answer (125 when the daemon reports an error)."""
    content = await answer.read()
    from ._engine import decode

    result = decode(content) if content.strip() else {}
    error = (result or {}).get("Error")
    if error and error.get("Message"):
        return 125
    return int((result or {}).get("StatusCode", 125))


_FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)


async def forward_signals(engine: Engine, container_id: str) -> None:
    """Send the signals we receive to the container (``--sig-proxy``), until cancelled."""
    with anyio.open_signal_receiver(*_FORWARDED) as signals:
        async for signum in signals:
            with contextlib.suppress(errdefs.PymobyError):
                await engine.container_kill(container_id, signal=signal.Signals(signum).name)


def _proxy_env(session: Session) -> dict[str, str]:
    return session.config.proxy_env(session.host)


def _create_body(
    session: Session, opts: Mapping[str, Any], image: str, args: Sequence[str], name: str
) -> dict[str, Any]:
    try:
        return build_create_body(opts, image, args, changed=session.changed, proxy_env=_proxy_env(session))
    except SpecError as exc:
        raise _usage_error(exc, name) from exc


_RUN_ONLY = ("detach", "sig_proxy", "name", "detach_keys", "pull", "quiet", "platform")


@command(
    [container, root],
    name="run",
    use="run [OPTIONS] IMAGE [COMMAND] [ARG...]",
    help="Create and run a new container from an image",
    min_args=1,
    interspersed=False,
)
@image_argument("image", required=False)
@click.argument("args", nargs=-1)
@click.option("-d", "--detach", is_flag=True, help="Run container in background and print container ID")
@click.option("--detach-keys", default="", help="Override the key sequence for detaching a container")
@click.option("--name", default="", help="Assign a name to the container")
@click.option("--sig-proxy", is_flag=True, default=True, help="Proxy received signals to the process")
@container_flags
async def run(
    session: Session,
    image: str,
    args: tuple[str, ...],
    detach: bool,
    detach_keys: str,
    name: str,
    sig_proxy: bool,
    **opts: Any,
) -> None:
    """Create and run a new container from an image."""
    pull, quiet, platform = opts["pull"], opts["quiet"], opts["platform"]
    _check_pull_policy(pull, "run")
    body = _create_body(session, opts, image, args, "run")
    tty = bool(body["Tty"])
    if not detach:
        if body["AttachStdin"] and tty and not session.stdin.isatty():
            raise CLIError("the input device is not a TTY")
    else:
        if opts["attach"]:
            raise CLIError("conflicting options: cannot specify both --attach and --detach")
        body["AttachStdin"] = body["AttachStdout"] = body["AttachStderr"] = body["StdinOnce"] = False
    engine = session.engine()
    try:
        container_id = await create_container(
            session, engine, body, name=name, pull=pull, quiet=quiet, platform=platform
        )
    except errdefs.PymobyError as exc:
        raise run_status_error(exc) from exc
    attach = body["AttachStdin"] or body["AttachStdout"] or body["AttachStderr"]
    keys = detach_keys or session.config.detach_keys
    conn = None
    if attach:
        conn = await engine.container_attach(
            container_id,
            stdin=body["AttachStdin"],
            stdout=body["AttachStdout"],
            stderr=body["AttachStderr"],
            detach_keys=keys,
        )
    waiter = await engine.container_wait(container_id, "removed" if opts["rm"] else "next-exit")
    try:
        await engine.container_start(container_id)
    except errdefs.PymobyError as exc:
        if conn is not None:
            with anyio.CancelScope(shield=True):
                await conn.aclose()
        if opts["rm"]:
            with contextlib.suppress(errdefs.PymobyError):
                await waiter.read()
        else:
            await waiter.aclose()
        raise run_status_error(exc) from exc
    if conn is None:
        await waiter.aclose()
        session.out.write(container_id + "\n")
        return
    status = await _attached_session(session, engine, container_id, conn, waiter, body, keys, sig_proxy)
    if status:
        raise CLIError("", status)


async def _attached_session(
    session: Session,
    engine: Engine,
    container_id: str,
    conn: Any,
    waiter: Any,
    body: Mapping[str, Any],
    keys: str,
    sig_proxy: bool,
) -> int:
    """Stream an attached ``run``; the container's exit status (0 after a detach)."""
    tty = bool(body["Tty"])
    out_attached = body["AttachStdout"] or body["AttachStderr"]
    status = 0
    detached = False
    out_stream, err_stream = session.out, session.err

    async def resize() -> None:
        if tty and out_stream.isatty():
            await monitor_size(out_stream.fileno(), lambda h, w: engine.container_resize(container_id, h, w))

    async with anyio.create_task_group() as tg:
        if sig_proxy and not tty:
            tg.start_soon(forward_signals, engine, container_id)
        copied = anyio.Event()

        async def copy() -> None:
            nonlocal detached
            try:
                detached = await _hijack.stream(
                    conn,
                    tty=tty,
                    stdin=_hijack.StdinReader(session.stdin.binary) if body["AttachStdin"] else None,
                    out=out_stream.write if body["AttachStdout"] else None,
                    err=(out_stream.write if tty else err_stream.write) if body["AttachStderr"] else None,
                    detach_keys=keys,
                    resize=resize,
                )
            finally:
                copied.set()
            if detached:
                tg.cancel_scope.cancel()

        async def wait() -> None:
            nonlocal status
            status = await wait_status(waiter)
            if out_attached:
                await copied.wait()
            tg.cancel_scope.cancel()  # the stream (stdin only) and the signal proxy end with the container

        tg.start_soon(copy)
        tg.start_soon(wait)
    if detached:
        with anyio.CancelScope(shield=True):
            await waiter.aclose()
        return 0
    return status


@command(
    [container, root],
    name="create",
    use="create [OPTIONS] IMAGE [COMMAND] [ARG...]",
    help="Create a new container",
    min_args=1,
    interspersed=False,
)
@image_argument("image", required=False)
@click.argument("args", nargs=-1)
@click.option("--name", default="", help="Assign a name to the container")
@container_flags
async def create(session: Session, image: str, args: tuple[str, ...], name: str, **opts: Any) -> None:
    """Create a new container."""
    _check_pull_policy(opts["pull"], "create")
    body = _create_body(session, opts, image, args, "create")
    engine = session.engine()
    container_id = await create_container(
        session, engine, body, name=name, pull=opts["pull"], quiet=opts["quiet"], platform=opts["platform"]
    )
    session.out.write(container_id + "\n")
