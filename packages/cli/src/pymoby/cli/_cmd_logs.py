"""``logs``: a container's logs, raw with a TTY, split into stdout and stderr without."""

from __future__ import annotations

import time

import click

from pymoby import api

from ._clickext import command
from ._completion import container_argument
from ._hijack import feed_frames
from ._session import Session
from ._tree import container, root
from ._units import get_timestamp

__all__: list[str] = []


@command([container, root], name="logs", use="logs [OPTIONS] CONTAINER", help="Fetch the logs of a container",
         min_args=1, max_args=1)  # fmt: skip
@container_argument("name", required=False)
@click.option("--details", is_flag=True, help="Show extra details provided to logs")
@click.option("-f", "--follow", is_flag=True, help="Follow log output")
@click.option("--since", default="", help='Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative '
              '(e.g. "42m" for 42 minutes)')  # fmt: skip
@click.option("-n", "--tail", default="all", help="Number of lines to show from the end of the logs")
@click.option("-t", "--timestamps", is_flag=True, help="Show timestamps")
@click.option("--until", default="", help='Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative '
              '(e.g. "42m" for 42 minutes)')  # fmt: skip
async def logs(
    session: Session, name: str, details: bool, follow: bool, since: str, tail: str, timestamps: bool, until: str
) -> None:
    """Fetch the logs of a container."""
    engine = session.engine()
    info = await engine.container_inspect(name)
    now = time.time()
    query = {
        "stdout": True,
        "stderr": True,
        "since": get_timestamp(since, now) if since else None,
        "until": get_timestamp(until, now) if until else None,
        "timestamps": timestamps or None,
        "follow": follow or None,
        "tail": tail,
        "details": details or None,
    }
    answer = await engine.container_logs(str(info.get("Id") or name), query)
    tty = bool((info.get("Config") or {}).get("Tty"))
    out, err = session.out, session.err
    decoder = api.FrameDecoder()
    async for chunk in answer:
        if tty:
            out.write(chunk)
            continue
        for kind, payload in feed_frames(decoder, chunk):
            (err if kind in (api.StdStream.STDERR, api.StdStream.SYSTEMERR) else out).write(payload)
    if decoder.pending:
        raise api.FrameError(f"stream ended inside a frame ({decoder.pending} bytes left)")
