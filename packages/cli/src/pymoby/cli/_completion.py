"""Shell completion (bash, zsh, fish) with container and image names from the daemon.

``pymoby completion bash`` prints the script to source (click's, for the
``_PYMOBY_COMPLETE`` variable). Arguments declared with
:func:`container_argument` or :func:`image_argument` complete from
``GET /containers/json?all=1`` and ``GET /images/json``; a daemon that does
not answer within two seconds simply offers nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
from click.shell_completion import CompletionItem, get_completion_class

from pymoby import errdefs

from ._clickext import PROG, command
from ._errors import CLIError
from ._session import GlobalOptions, Session
from ._tree import root

__all__ = ["complete_containers", "complete_images", "container_argument", "image_argument"]


def _session_for(ctx: click.Context) -> Session:
    params = ctx.find_root().params
    return Session(
        GlobalOptions(
            hosts=tuple(params.get("hosts") or ()),
            config_dir=params.get("config_dir"),
            tls=bool(params.get("tls") or params.get("tlsverify")),
            tlsverify=bool(params.get("tlsverify")),
            tlscacert=params.get("tlscacert"),
            tlscert=params.get("tlscert"),
            tlskey=params.get("tlskey"),
        )
    )


def _ask(ctx: click.Context, fetch: Callable[[Any], Any]) -> list[str]:
    import anyio

    session = _session_for(ctx)

    async def main() -> list[str]:
        engine = session.engine()
        try:
            with anyio.fail_after(2):
                return list(await fetch(engine))
        finally:
            await engine.aclose()

    try:
        return anyio.run(main, backend="asyncio")
    except (errdefs.PymobyError, CLIError, TimeoutError, OSError):
        return []


async def _container_names(engine: Any) -> list[str]:
    names: list[str] = []
    for summary in await engine.containers(all_=True):
        names.extend(n.lstrip("/") for n in summary.get("Names") or [] if "/" not in n.lstrip("/"))
    return names


async def _image_names(engine: Any) -> list[str]:
    names: list[str] = []
    for summary in await engine.images():
        names.extend(t for t in summary.get("RepoTags") or [] if t != "<none>:<none>")
    return names


def complete_containers(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Container names starting with ``incomplete``."""
    return [CompletionItem(n) for n in sorted(_ask(ctx, _container_names)) if n.startswith(incomplete)]


def complete_images(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Image references (``repo:tag``) starting with ``incomplete``."""
    return [CompletionItem(n) for n in sorted(_ask(ctx, _image_names)) if n.startswith(incomplete)]


def container_argument(name: str, **kwargs: Any) -> Callable[[Any], Any]:
    """A positional argument naming containers, completed from the daemon."""
    return click.argument(name, shell_complete=complete_containers, **kwargs)


def image_argument(name: str, **kwargs: Any) -> Callable[[Any], Any]:
    """A positional argument naming images, completed from the daemon."""
    return click.argument(name, shell_complete=complete_images, **kwargs)


@command(root, name="completion", use="completion bash|zsh|fish", help="Generate the autocompletion script for a shell",
         min_args=1, max_args=1)  # fmt: skip
@click.argument("shell", required=False, type=click.Choice(["bash", "zsh", "fish"]))
async def completion(session: Session, shell: str) -> None:
    """Generate the autocompletion script for the specified shell."""
    cls = get_completion_class(shell)
    if cls is None:
        raise CLIError(f"unsupported shell: {shell}")
    script = cls(root, {}, PROG, "_PYMOBY_COMPLETE").source()
    session.out.write(script if script.endswith("\n") else script + "\n")
