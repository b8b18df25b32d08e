"""``images``, ``tag``, ``rmi``, ``history`` and ``image prune``."""

from __future__ import annotations

import click

from pymoby import errdefs, reference

from ._clickext import command
from ._cmd_containers import filters_or_fail
from ._completion import image_argument
from ._errors import CLIError, describe
from ._fmt_images import HISTORY_HEADERS, IMAGE_HEADERS, HistoryContext, expand_images, history_format, images_format
from ._formatter import Formatter
from ._prune import prune_images
from ._session import Session
from ._tree import image, root
from ._units import human_size

__all__: list[str] = []

_AMBIGUOUS = {"build", "history", "import", "inspect", "list", "load", "ls", "prune", "pull", "push", "rm", "save",
              "tag"}  # fmt: skip


@command(
    [image, root],
    name="images",
    use="images [OPTIONS] [REPOSITORY[:TAG]]",
    help="List images",
    max_args=1,
    blocking=True,
)
@click.argument("match", required=False, default="")
@click.option("-a", "--all", "all_", is_flag=True, help="Show all images (default hides intermediate images)")
@click.option("--digests", is_flag=True, help="Show digests")
@click.option("-f", "--filter", "filters", multiple=True, help="Filter output based on conditions provided")
@click.option("--format", "fmt", default="", help="Format output using a custom template")
@click.option("--no-trunc", is_flag=True, help="Don't truncate output")
@click.option("-q", "--quiet", is_flag=True, help="Only show image IDs")
async def images(session: Session, match: str, all_: bool, digests: bool, filters: tuple[str, ...], fmt: str,
                 no_trunc: bool, quiet: bool) -> None:  # fmt: skip
    """List images."""
    wanted = filters_or_fail(filters)
    if match:
        wanted.setdefault("reference", []).append(match)
    found = await session.engine().images(all_=all_, filters=wanted)
    if not fmt:
        configured = session.config.format_for("imagesFormat")
        fmt = configured if configured and not quiet else "table"
    final = images_format(fmt, quiet, digests)
    need_digest = digests or "{{.Digest}}" in final
    rows = expand_images(found, trunc=not no_trunc, digests=digests, need_digest=need_digest)
    session.out.write(Formatter(final).render(rows, IMAGE_HEADERS))
    ctx = click.get_current_context()
    if match and not found and ctx.info_name == "images" and match in _AMBIGUOUS:
        session.err.write(f'\nNo images found matching "{match}": did you mean "pymoby image {match}"?\n')


@command([image, root], name="tag", use="tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
         help="Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE", min_args=2, max_args=2,
         blocking=True)  # fmt: skip
@image_argument("source", required=False)
@click.argument("target", required=False)
async def tag(session: Session, source: str, target: str) -> None:
    """Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE."""
    try:
        reference.parse_any_reference(source)
    except errdefs.InvalidParameter as exc:
        raise CLIError(f'Error parsing reference: "{source}" is not a valid repository/tag: {exc}') from exc
    try:
        ref = reference.parse_normalized_named(target)
    except errdefs.InvalidParameter as exc:
        raise CLIError(f'Error parsing reference: "{target}" is not a valid repository/tag: {exc}') from exc
    if ref.digest is not None:
        raise CLIError("refusing to create a tag with a digest reference")
    ref = reference.tag_name_only(ref)
    await session.engine().image_tag(source, ref.name, ref.tag or "")


@command([image, root], name="rmi", use="rmi [OPTIONS] IMAGE [IMAGE...]", help="Remove one or more images",
         min_args=1, blocking=True)  # fmt: skip
@image_argument("names", nargs=-1)
@click.option("-f", "--force", is_flag=True, help="Force removal of the image")
@click.option("--no-prune", is_flag=True, help="Do not delete untagged parents")
async def rmi(session: Session, names: tuple[str, ...], force: bool, no_prune: bool) -> None:
    """Remove one or more images."""
    engine = session.engine()
    errors: list[BaseException] = []
    fatal = False
    for name in names:
        try:
            deleted = await engine.image_remove(name, force=force, prune=not no_prune)
        except errdefs.PymobyError as exc:
            fatal = fatal or not errdefs.is_not_found(exc)
            errors.append(exc)
            continue
        for item in deleted:
            if item.get("Deleted"):
                session.out.write(f"Deleted: {item['Deleted']}\n")
            else:
                session.out.write(f"Untagged: {item.get('Untagged', '')}\n")
    if errors:
        message = "\n".join(describe(e) for e in errors)
        if not force or fatal:
            raise CLIError(message)
        session.err.write(message + "\n")


@command([image, root], name="history", use="history [OPTIONS] IMAGE", help="Show the history of an image",
         min_args=1, max_args=1, blocking=True)  # fmt: skip
@image_argument("name", required=False)
@click.option("--format", "fmt", default="", help="Format output using a custom template")
@click.option("-H", "--human", is_flag=True, default=True, help="Print sizes and dates in human readable format")
@click.option("--no-trunc", is_flag=True, help="Don't truncate output")
@click.option("-q", "--quiet", is_flag=True, help="Only show image IDs")
async def history(session: Session, name: str, fmt: str, human: bool, no_trunc: bool, quiet: bool) -> None:
    """Show the history of an image."""
    items = await session.engine().image_history(name)
    final = history_format(fmt or "table", quiet, human)
    rows = [HistoryContext(i, trunc=not no_trunc, human=human) for i in items]
    session.out.write(Formatter(final).render(rows, HISTORY_HEADERS))


@command(image, name="prune", use="prune [OPTIONS]", help="Remove unused images", max_args=0, blocking=True)
@click.option("-a", "--all", "all_", is_flag=True, help="Remove all unused images, not just dangling ones")
@click.option("--filter", "filters", multiple=True, help='Provide filter values (e.g. "until=<timestamp>")')
@click.option("-f", "--force", is_flag=True, help="Do not prompt for confirmation")
async def prune(session: Session, all_: bool, filters: tuple[str, ...], force: bool) -> None:
    """Remove unused images."""
    wanted = filters_or_fail(filters)
    what = "all images without at least one container associated to them" if all_ else "all dangling images"
    if not force and not await session.confirm(
        f"WARNING! This will remove {what}.\nAre you sure you want to continue?"
    ):
        raise CLIError("", 1)
    space, text = await prune_images(session.engine(), wanted, all_)
    if text:
        session.out.write(text)
    session.out.write(f"Total reclaimed space: {human_size(space)}\n")
