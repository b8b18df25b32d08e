"""``events``, ``system df`` and ``system prune``."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import click

from ._clickext import command
from ._errors import CLIError
from ._fmt_resources import disk_usage_text
from ._formatter import as_template_data
from ._gofmt import GoMap
from ._gotemplate import Template, TemplateError
from ._session import Session
from ._specs import SpecError, parse_filters
from ._tree import root, system
from ._units import get_timestamp, human_size

__all__ = ["event_time", "pretty_event"]


def _execute(template: Template, data: Any) -> str:
    try:
        return template.execute(data)
    except TemplateError as exc:
        raise CLIError(f"template parsing error: {exc}") from exc


def event_time(nanoseconds: int) -> str:
    """Docker's ``RFC3339NanoFixed`` in the local zone: ``2024-01-02T15:04:05.000000000+01:00``."""
    seconds, nanos = divmod(nanoseconds, 10**9)
    moment = datetime.fromtimestamp(seconds).astimezone()
    offset = moment.strftime("%z")
    zone = "Z" if offset in ("+0000", "-0000") else f"{offset[:3]}:{offset[3:]}"
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{nanos:09d}" + zone


def pretty_event(event: dict[str, Any]) -> str:
    """One event as ``docker events`` prints it."""
    out = ""
    if event.get("timeNano"):
        out += event_time(int(event["timeNano"])) + " "
    elif event.get("time"):
        out += event_time(int(event["time"]) * 10**9) + " "
    actor = event.get("Actor") or {}
    out += f"{event.get('Type', '')} {event.get('Action', '')} {actor.get('ID', '')}"
    attributes = actor.get("Attributes") or {}
    if attributes:
        out += " (" + ", ".join(f"{k}={attributes[k]}" for k in sorted(attributes)) + ")"
    return out + "\n"


@command([root, system], name="events", use="events [OPTIONS]", help="Get real time events from the server",
         max_args=0)  # fmt: skip
@click.option("--since", default="", help="Show all events created since timestamp")
@click.option("--until", default="", help="Stream events until this timestamp")
@click.option("-f", "--filter", "filters", multiple=True, help="Filter output based on conditions provided")
@click.option("--format", "fmt", default="", help="Format output using a custom template")
async def events(session: Session, since: str, until: str, filters: tuple[str, ...], fmt: str) -> None:
    """Get real time events from the server."""
    template: Template | None = None
    if fmt:
        try:
            template = Template("{{json .}}" if fmt == "json" else fmt)
            template.execute({"status": "", "id": "", "from": "", "Type": "", "Action": "",
                              "Actor": {"ID": "", "Attributes": GoMap()}, "scope": "", "time": 0,
                              "timeNano": 0})  # fmt: skip
        except TemplateError as exc:
            raise CLIError(f"Error parsing format: {exc}", 64) from exc
    try:
        wanted = parse_filters(filters)
    except SpecError as exc:
        raise CLIError(str(exc), 125) from exc
    now = time.time()
    answer = await session.engine().raw_events(
        since=get_timestamp(since, now) if since else None,
        until=get_timestamp(until, now) if until else None,
        filters=wanted,
    )
    async for event in answer.json_lines():
        if template is None:
            session.out.write(pretty_event(event))
        else:
            session.out.write(_execute(template, as_template_data(event)) + "\n")


@command(system, name="df", use="df [OPTIONS]", help="Show pymoby disk usage", max_args=0)
@click.option("--format", "fmt", default="", help="Format output using a custom template")
@click.option("-v", "--verbose", is_flag=True, help="Show detailed information on space usage")
async def df(session: Session, fmt: str, verbose: bool) -> None:
    """Show disk usage."""
    usage = await session.engine().raw_disk_usage()
    session.out.write(disk_usage_text(usage, fmt or "table", verbose))


@command(system, name="prune", use="prune [OPTIONS]", help="Remove unused data", max_args=0)
@click.option("-a", "--all", "all_", is_flag=True, help="Remove all unused images not just dangling ones")
@click.option("--filter", "filters", multiple=True, help='Provide filter values (e.g. "label=<key>=<value>")')
@click.option("-f", "--force", is_flag=True, help="Do not prompt for confirmation")
@click.option("--volumes", is_flag=True, help="Prune anonymous volumes")
async def prune(session: Session, all_: bool, filters: tuple[str, ...], force: bool, volumes: bool) -> None:
    """Remove unused data."""
    wanted = parse_filters(filters)
    if volumes and "until" in wanted:
        raise CLIError('ERROR: The "until" filter is not supported with "--volumes"')
    if not force:
        warnings = ["all stopped containers", "all networks not used by at least one container"]
        if volumes:
            warnings.append("all anonymous volumes not used by at least one container")
        warnings.append("all images without at least one container associated to them" if all_ else
                        "all dangling images")  # fmt: skip
        warnings.append("unused build cache")
        message = "WARNING! This will remove:\n" + "".join(f"  - {w}\n" for w in warnings)
        if filters:
            message += "\n  Items to be pruned will be filtered with:\n" + "".join(f"  - {f}\n" for f in filters)
        message += "\nAre you sure you want to continue?"
        if not await session.confirm(message):
            raise CLIError("", 1)
    from ._prune import prune_containers, prune_images, prune_networks, prune_volumes

    engine = session.engine()
    total = 0
    for step in (prune_containers, prune_networks, *((prune_volumes,) if volumes else ()), prune_images):
        space, text = await step(engine, wanted, all_)
        total += space
        if text:
            session.out.write(text + "\n")
    session.out.write(f"Total reclaimed space: {human_size(total)}\n")
