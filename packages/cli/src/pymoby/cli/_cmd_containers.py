"""``ps``, ``rename``, ``top``, ``port``, ``diff``, ``wait`` and ``container prune``."""

from __future__ import annotations

import re
from typing import Any

import click

from pymoby import errdefs

from ._clickext import command
from ._completion import container_argument
from ._errors import CLIError, describe
from ._fmt_containers import CONTAINER_HEADERS, ContainerContext, DiffContext, ps_format
from ._formatter import Formatter, parse_template
from ._gotemplate import TemplateError
from ._prune import prune_containers
from ._session import Session
from ._specs import SpecError, parse_filters
from ._tabwriter import tabulate
from ._tree import container, root
from ._units import human_size

__all__ = ["join_errors", "parallel"]


def join_errors(errors: list[BaseException]) -> CLIError:
    """Several errors as one, each on its own line (Go's ``errors.Join``)."""
    return CLIError("\n".join(describe(e) for e in errors))


async def parallel(
    items: list[str], operation: Any, limit: int = 50, *, blocking: bool = False
) -> list[BaseException | None]:
    """Run ``operation(item)`` for every item, at most ``limit`` at once; the errors in item order.

    ``blocking`` (a one-shot command's blocking engine): the operations'
    coroutines never suspend, and run in threads instead of tasks.
    """
    results: list[BaseException | None] = [None] * len(items)

    async def one(index: int, item: str) -> None:
        try:
            await operation(item)
        except errdefs.PymobyError as exc:
            results[index] = exc
        except CLIError as exc:
            results[index] = exc

    if blocking:
        from pymoby.client import run_to_completion

        def run(index: int) -> None:
            run_to_completion(one(index, items[index]))

        if len(items) <= 1:
            for index in range(len(items)):
                run(index)
            return results
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(limit, len(items))) as pool:
            for future in [pool.submit(run, index) for index in range(len(items))]:
                future.result()
        return results

    import anyio

    semaphore = anyio.Semaphore(limit)

    async def limited(index: int, item: str) -> None:
        async with semaphore:
            await one(index, item)

    async with anyio.create_task_group() as tg:
        for index, item in enumerate(items):
            tg.start_soon(limited, index, item)
    return results


def filters_or_fail(values: tuple[str, ...]) -> dict[str, list[str]]:
    """Parse ``--filter`` values; a bad one is a flag error (exit 125)."""
    try:
        return parse_filters(values)
    except SpecError as exc:
        raise CLIError(f'invalid argument "{values[-1] if values else ""}" for "-f, --filter" flag: {exc}',
                       125) from exc  # fmt: skip


@command([container, root], name="ps", use="ps [OPTIONS]", help="List containers", max_args=0, blocking=True)
@click.option("-a", "--all", "all_", is_flag=True, help="Show all containers (default shows just running)")
@click.option("-f", "--filter", "filters", multiple=True, help="Filter output based on conditions provided")
@click.option("--format", "fmt", default="", help="Format output using a custom template")
@click.option("-n", "--last", type=int, default=-1, help="Show n last created containers (includes all states)")
@click.option("-l", "--latest", is_flag=True, help="Show the latest created container (includes all states)")
@click.option("--no-trunc", is_flag=True, help="Don't truncate output")
@click.option("-q", "--quiet", is_flag=True, help="Only display container IDs")
@click.option("-s", "--size", is_flag=True, help="Display total file sizes")
async def ps(
    session: Session,
    all_: bool,
    filters: tuple[str, ...],
    fmt: str,
    last: int,
    latest: bool,
    no_trunc: bool,
    quiet: bool,
    size: bool,
) -> None:
    """List containers."""
    if not fmt:
        fmt = session.config.format_for("psFormat")
    elif quiet:
        session.err.write("WARNING: Ignoring custom format, because both --format and --quiet are set.\n")
    wanted = filters_or_fail(filters)
    limit = 1 if latest and last == -1 else last
    if fmt:
        template = parse_template(fmt, "failed to parse template")
        probe = ContainerContext()
        try:
            template.execute(probe)
        except TemplateError as exc:
            raise CLIError(f"failed to execute template: {exc}") from exc
        if not quiet and not size and "size" not in session.changed and "Size" in probe.fields_used:
            size = True
    summaries = await session.engine().containers(all_=all_, limit=limit, size=size, filters=wanted)
    formatter = Formatter(ps_format(fmt, quiet, size))
    rows = [ContainerContext(s, trunc=not no_trunc) for s in summaries]
    session.out.write(formatter.render(rows, CONTAINER_HEADERS))


@command([container, root], name="rename", use="rename CONTAINER NEW_NAME", help="Rename a container",
         min_args=2, max_args=2, blocking=True)  # fmt: skip
@container_argument("old", required=False)
@click.argument("new", required=False)
async def rename(session: Session, old: str, new: str) -> None:
    """Rename a container."""
    old, new = old.strip(), new.strip()
    if not old or not new:
        raise CLIError("Error: Neither old nor new names may be empty")
    try:
        await session.engine().container_rename(old, new)
    except errdefs.PymobyError as exc:
        session.err.write(describe(exc) + "\n")
        raise CLIError(f"Error: failed to rename container named {old}") from exc


@command([container, root], name="top", use="top CONTAINER [ps OPTIONS]",
         help="Display the running processes of a container", min_args=1, interspersed=False,
         blocking=True)  # fmt: skip
@container_argument("name", required=False)
@click.argument("ps_args", nargs=-1)
async def top(session: Session, name: str, ps_args: tuple[str, ...]) -> None:
    """Display the running processes of a container."""
    answer = await session.engine().container_top(name, " ".join(ps_args))
    lines = ["\t".join(answer.get("Titles") or [])]
    lines += ["\t".join(p) for p in answer.get("Processes") or []]
    session.out.write(tabulate("\n".join(lines) + "\n", minwidth=20, padding=3))


def _natural_key(text: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def _host_port(ip: str, port: str) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


@command([container, root], name="port", use="port CONTAINER [PRIVATE_PORT[/PROTO]]",
         help="List port mappings or a specific mapping for the container", min_args=1, max_args=2,
         blocking=True)  # fmt: skip
@container_argument("name", required=False)
@click.argument("port", required=False, default="")
async def port(session: Session, name: str, port: str) -> None:
    """List port mappings or a specific mapping for the container."""
    inspect = await session.engine().container_inspect(name)
    ports: dict[str, Any] = (inspect.get("NetworkSettings") or {}).get("Ports") or {}
    out: list[str] = []
    if port:
        number, _, proto = port.partition("/")
        proto = proto or "tcp"
        if not number.isdigit() or int(number) > 65535:
            raise CLIError(f'Error: invalid port ({number}): strconv.ParseUint: parsing "{number}": invalid syntax')
        frontends = ports.get(f"{number}/{proto}") or []
        if not frontends:
            raise CLIError(f"Error: No public port '{port}' published for {name}")
        out = [_host_port(f.get("HostIp", ""), f.get("HostPort", "")) for f in frontends]
    else:
        for private, frontends in ports.items():
            for frontend in frontends or []:
                out.append(f"{private} -> {_host_port(frontend.get('HostIp', ''), frontend.get('HostPort', ''))}")
    if out:
        session.out.write("\n".join(sorted(out, key=_natural_key)) + "\n")


_DIFF_HELP = "Inspect changes to files or directories on a container's filesystem"


@command([container, root], name="diff", use="diff CONTAINER", help=_DIFF_HELP, min_args=1, max_args=1, blocking=True)
@container_argument("name", required=False)
async def diff(session: Session, name: str) -> None:
    """Inspect changes to files or directories on a container's filesystem."""
    if not name:
        raise CLIError("Container name cannot be empty")
    changes = await session.engine().container_changes(name)
    session.out.write(Formatter("{{.Type}} {{.Path}}").render([DiffContext(c) for c in changes]))


@command([container, root], name="wait", use="wait CONTAINER [CONTAINER...]",
         help="Block until one or more containers stop, then print their exit codes", min_args=1)  # fmt: skip
@container_argument("names", nargs=-1)
async def wait(session: Session, names: tuple[str, ...]) -> None:
    """Block until one or more containers stop, then print their exit codes."""
    engine = session.engine()
    errors: list[BaseException] = []
    for name in names:
        try:
            answer = await engine.container_wait(name)
            from ._engine import decode

            result = decode(await answer.read())
            session.out.write(f"{int((result or {}).get('StatusCode', 0))}\n")
        except errdefs.PymobyError as exc:
            errors.append(exc)
    if errors:
        raise join_errors(errors)


@command(
    container, name="prune", use="prune [OPTIONS]", help="Remove all stopped containers", max_args=0, blocking=True
)
@click.option("--filter", "filters", multiple=True, help='Provide filter values (e.g. "until=<timestamp>")')
@click.option("-f", "--force", is_flag=True, help="Do not prompt for confirmation")
async def prune(session: Session, filters: tuple[str, ...], force: bool) -> None:
    """Remove all stopped containers."""
    wanted = filters_or_fail(filters)
    if not force and not await session.confirm(
        "WARNING! This will remove all stopped containers.\nAre you sure you want to continue?"
    ):
        raise CLIError("", 1)
    space, text = await prune_containers(session.engine(), wanted)
    if text:
        session.out.write(text)
    session.out.write(f"Total reclaimed space: {human_size(space)}\n")
