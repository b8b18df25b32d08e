"""``stats``: a live table of containers' resource use, or one snapshot with ``--no-stream``.

One collector task per container reads its stats stream and keeps the
latest entry; the table is redrawn in place every half second (cursor home,
each line cleared to its end, the rest of the screen cleared), as Docker
draws it. Without container arguments every running container (every one
with ``-a``) is shown, and containers that start (or are created, with
``-a``) or die are followed through the event stream.
"""

from __future__ import annotations

from typing import Any

import anyio
import click

from pymoby import errdefs

from ._clickext import command
from ._completion import container_argument
from ._engine import Engine
from ._errors import CLIError, describe
from ._fmt_resources import STATS_HEADERS, StatsContext, invalid_stats_entry, stats_entry
from ._formatter import Formatter
from ._session import Session
from ._specs import parse_filters
from ._tree import container, root

__all__: list[str] = []

_DEFAULT = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}"


class _Board:
    """The latest entry of every container shown, in the order they were added."""

    def __init__(self) -> None:
        self.entries: dict[str, dict[str, Any]] = {}
        self.errors: dict[str, BaseException] = {}
        self.first: dict[str, anyio.Event] = {}

    def add(self, key: str) -> bool:
        if key in self.entries:
            return False
        self.entries[key] = invalid_stats_entry(key)
        self.first[key] = anyio.Event()
        return True

    def remove(self, key: str) -> None:
        self.entries.pop(key, None)
        self.first.pop(key, None)


async def _collect(engine: Engine, board: _Board, key: str, stream: bool) -> None:
    try:
        answer = await engine.container_stats(key, stream=stream)
        async for document in answer.json_lines():
            if key not in board.entries:
                await answer.aclose()
                return
            board.entries[key] = stats_entry(key, document)
            board.first[key].set()
            if not stream:
                await answer.aclose()
                return
    except errdefs.PymobyError as exc:
        board.errors[key] = exc
        if key in board.entries:
            board.entries[key] = invalid_stats_entry(key)
    finally:
        if key in board.first:
            board.first[key].set()


@command([container, root], name="stats", use="stats [OPTIONS] [CONTAINER...]",
         help="Display a live stream of container(s) resource usage statistics")  # fmt: skip
@container_argument("names", nargs=-1)
@click.option("-a", "--all", "all_", is_flag=True, help="Show all containers (default shows just running)")
@click.option("--format", "fmt", default="", help="Format output using a custom template")
@click.option("--no-stream", is_flag=True, help="Disable streaming stats and only pull the first result")
@click.option("--no-trunc", is_flag=True, help="Do not truncate output")
async def stats(session: Session, names: tuple[str, ...], all_: bool, fmt: str, no_stream: bool,
                no_trunc: bool) -> None:  # fmt: skip
    """Display a live stream of container(s) resource usage statistics."""
    engine = session.engine()
    board = _Board()
    stream = not no_stream
    fmt = fmt or session.config.format_for("statsFormat") or "table"
    formatter = Formatter(_DEFAULT if fmt == "table" else fmt)
    show_all = not names
    async with anyio.create_task_group() as tg:
        if show_all:
            if stream:
                tg.start_soon(_follow_events, engine, board, tg, all_, stream)
            for summary in await engine.containers(all_=all_):
                key = str(summary["Id"])[:12]
                if board.add(key):
                    tg.start_soon(_collect, engine, board, key, stream)
        else:
            for name in names:
                if board.add(name):
                    tg.start_soon(_collect, engine, board, name, stream)
        with anyio.move_on_after(2):
            for event in list(board.first.values()):
                await event.wait()
        if not show_all and board.errors:
            tg.cancel_scope.cancel()
            raise CLIError("\n".join(describe(e) for e in board.errors.values()))
        while True:
            rows = [StatsContext(entry, trunc=not no_trunc) for entry in list(board.entries.values())]
            table = formatter.render(rows, STATS_HEADERS)
            if stream:
                lines = table.split("\n")
                table = "\x1b[H" + "".join(line + "\x1b[K\n" for line in lines[:-1]) + "\x1b[J"
            session.out.write(table)
            if not stream or (not show_all and not board.entries):
                break
            await anyio.sleep(0.5)
        tg.cancel_scope.cancel()


async def _follow_events(engine: Engine, board: _Board, tg: Any, all_: bool, stream: bool) -> None:
    answer = await engine.raw_events(since=None, until=None, filters=parse_filters(["type=container"]))
    async for event in answer.json_lines():
        action = str(event.get("Action") or event.get("status") or "")
        key = str((event.get("Actor") or {}).get("ID") or event.get("id") or "")[:12]
        if action == "start" or (action == "create" and all_):
            if board.add(key):
                tg.start_soon(_collect, engine, board, key, stream)
        elif action == "die" and not all_:
            board.remove(key)
