"""``volume create``, ``ls``, ``rm`` and ``prune`` (``inspect`` lives with the other inspects)."""

from __future__ import annotations

import click

from pymoby import errdefs

from ._clickext import command
from ._cmd_containers import filters_or_fail, join_errors
from ._errors import CLIError
from ._fmt_resources import VOLUME_HEADERS, VolumeContext
from ._formatter import Formatter
from ._prune import prune_volumes
from ._session import Session
from ._specs import kv_map, labels_map
from ._tree import volume
from ._units import human_size

__all__: list[str] = []


@command(volume, name="create", use="create [OPTIONS] [VOLUME]", help="Create a volume", max_args=1, blocking=True)
@click.argument("name", required=False, default="")
@click.option("-d", "--driver", default="local", help="Specify volume driver name")
@click.option("--label", multiple=True, help="Set metadata for a volume")
@click.option("--name", "name_flag", default="", hidden=True, help="Specify volume name")
@click.option("-o", "--opt", multiple=True, help="Set driver specific options")
async def create(session: Session, name: str, driver: str, label: tuple[str, ...], name_flag: str,
                 opt: tuple[str, ...]) -> None:  # fmt: skip
    """Create a volume."""
    if name and name_flag:
        raise CLIError('conflicting options: cannot specify a volume-name through both --name and as a positional '
                       'arg')  # fmt: skip
    body = {"Name": name or name_flag, "Driver": driver, "DriverOpts": kv_map(opt), "Labels": labels_map(label)}
    answer = await session.engine().volume_create(body)
    session.out.write(str(answer.get("Name") or "") + "\n")


@command(volume, name="ls", use="ls [OPTIONS]", help="List volumes", max_args=0, blocking=True)
@click.option("-f", "--filter", "filters", multiple=True, help='Provide filter values (e.g. "dangling=true")')
@click.option("--format", "fmt", default="", help="Format output using a custom template")
@click.option("-q", "--quiet", is_flag=True, help="Only display volume names")
async def ls(session: Session, filters: tuple[str, ...], fmt: str, quiet: bool) -> None:
    """List volumes."""
    answer = await session.engine().volumes(filters_or_fail(filters))
    volumes = sorted(answer.get("Volumes") or [], key=lambda v: str(v.get("Name", "")))
    fmt = fmt or (session.config.format_for("volumesFormat") if not quiet else "") or "table"
    if fmt == "table":
        fmt = "{{.Name}}" if quiet else "table {{.Driver}}\t{{.Name}}"
    elif fmt == "raw":
        fmt = "name: {{.Name}}\n" if quiet else "name: {{.Name}}\ndriver: {{.Driver}}\n"
    elif quiet:
        fmt = "{{.Name}}"
    # The docker CLI does not show the answer's Warnings (a volume plugin that failed to list).
    session.out.write(Formatter(fmt).render([VolumeContext(v) for v in volumes], VOLUME_HEADERS))


@command(
    volume,
    name="rm",
    use="rm [OPTIONS] VOLUME [VOLUME...]",
    help="Remove one or more volumes",
    min_args=1,
    blocking=True,
)
@click.argument("names", nargs=-1)
@click.option("-f", "--force", is_flag=True, help="Force the removal of one or more volumes")
async def rm(session: Session, names: tuple[str, ...], force: bool) -> None:
    """Remove one or more volumes."""
    engine = session.engine()
    errors: list[BaseException] = []
    for name in names:
        try:
            await engine.volume_remove(name, force=force)
        except errdefs.PymobyError as exc:
            errors.append(exc)
            continue
        session.out.write(name + "\n")
    if errors:
        raise join_errors(errors)


@command(volume, name="prune", use="prune [OPTIONS]", help="Remove unused local volumes", max_args=0, blocking=True)
@click.option("-a", "--all", "all_", is_flag=True, help="Remove all unused volumes, not just anonymous ones")
@click.option("--filter", "filters", multiple=True, help='Provide filter values (e.g. "label=<label>")')
@click.option("-f", "--force", is_flag=True, help="Do not prompt for confirmation")
async def prune(session: Session, all_: bool, filters: tuple[str, ...], force: bool) -> None:
    """Remove unused local volumes."""
    wanted = filters_or_fail(filters)
    what = "all local volumes" if all_ else "anonymous local volumes"
    if not force and not await session.confirm(
        f"WARNING! This will remove {what} not used by at least one container.\nAre you sure you want to continue?"
    ):
        raise CLIError("", 1)
    space, text = await prune_volumes(session.engine(), wanted, all_)
    if text:
        session.out.write(text)
    session.out.write(f"Total reclaimed space: {human_size(space)}\n")
