"""``pull``, ``push``, ``save``, ``load`` and ``import``: images in and out of the daemon.

Pull and push draw the daemon's progress stream (live bars per layer on a
terminal, plain lines otherwise); credentials come from ``config.json``.
``save`` refuses to write a tar to a terminal; ``load`` asks the daemon for
the quiet form when its output is not a terminal, as Docker does.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import IO

import anyio
import click

from pymoby import errdefs, reference

from ._clickext import command
from ._cmd_files import write_atomically
from ._completion import image_argument
from ._dockerconfig import encode_auth_header, registry_key_for_image
from ._errors import CLIError
from ._imagepull import api_name_and_tag, auth_header_for
from ._progress import display_json_messages
from ._session import Session
from ._tree import image, root
from ._uploads import copy_from, upload

__all__: list[str] = []


def _parse(ref_text: str) -> reference.Reference:
    try:
        return reference.parse_normalized_named(ref_text)
    except errdefs.InvalidParameter as exc:
        raise CLIError(str(exc)) from exc


@command([image, root], name="pull", use="pull [OPTIONS] NAME[:TAG|@DIGEST]",
         help="Download an image from a registry", min_args=1, max_args=1)  # fmt: skip
@click.argument("name", required=False)
@click.option("-a", "--all-tags", is_flag=True, help="Download all tagged images in the repository")
@click.option("--disable-content-trust", is_flag=True, default=True, hidden=True, help="Skip image verification")
@click.option("--platform", default="", help="Set platform if server is multi-platform capable")
@click.option("-q", "--quiet", is_flag=True, help="Suppress verbose output")
async def pull(session: Session, name: str, all_tags: bool, disable_content_trust: bool, platform: str,
               quiet: bool) -> None:  # fmt: skip
    """Download an image from a registry."""
    ref = _parse(name)
    name_only = reference.is_name_only(ref)
    if all_tags and not name_only:
        raise CLIError("tag can't be used with --all-tags/-a")
    if not all_tags and name_only:
        ref = reference.tag_name_only(ref)
        if not quiet:
            session.out.write(f"Using default tag: {ref.tag}\n")
    api_name, api_tag = api_name_and_tag(str(ref), default_tag=not all_tags)
    auth = await auth_header_for(session, str(ref))
    answer = await session.engine().image_pull(api_name, "" if all_tags else api_tag, auth=auth, platform=platform)
    out = session.out

    def write(text: str) -> None:
        if not quiet:
            out.write(text)

    await display_json_messages(answer.json_lines(), write, terminal=out.isatty() and not quiet,
                                width=session.terminal_width())  # fmt: skip
    out.write(str(ref) + "\n")


@command([image, root], name="push", use="push [OPTIONS] NAME[:TAG]",
         help="Upload an image to a registry", min_args=1, max_args=1)  # fmt: skip
@click.argument("name", required=False)
@click.option("-a", "--all-tags", is_flag=True, help="Push all tags of an image to the repository")
@click.option("--disable-content-trust", is_flag=True, default=True, hidden=True, help="Skip image signing")
@click.option("--platform", default="", help="Push a platform-specific manifest as a single-platform image")
@click.option("-q", "--quiet", is_flag=True, help="Suppress verbose output")
async def push(session: Session, name: str, all_tags: bool, disable_content_trust: bool, platform: str,
               quiet: bool) -> None:  # fmt: skip
    """Upload an image to a registry."""
    ref = _parse(name)
    if ref.digest is not None:
        raise CLIError("cannot push a digest reference")
    name_only = reference.is_name_only(ref)
    if all_tags and not name_only:
        raise CLIError("tag can't be used with --all-tags/-a")
    if not all_tags and name_only:
        ref = reference.tag_name_only(ref)
        if not quiet:
            session.out.write(f"Using default tag: {ref.tag}\n")
    entry = await session.config.get_auth(registry_key_for_image(str(ref)))
    auth = encode_auth_header(entry if (entry.username or entry.identity_token) else None)
    answer = await session.engine().image_push(ref.name, "" if all_tags else (ref.tag or ""), auth=auth,
                                               platform=platform)  # fmt: skip
    out = session.out

    def write(text: str) -> None:
        if not quiet:
            out.write(text)

    await display_json_messages(answer.json_lines(), write, terminal=out.isatty() and not quiet,
                                width=session.terminal_width())  # fmt: skip
    if quiet:
        out.write(str(ref) + "\n")


@command([image, root], name="save", use="save [OPTIONS] IMAGE [IMAGE...]",
         help="Save one or more images to a tar archive (streamed to STDOUT by default)", min_args=1)  # fmt: skip
@image_argument("names", nargs=-1)
@click.option("-o", "--output", default="", help="Write to a file, instead of STDOUT")
@click.option("--platform", default="", help="Save only the given platform variant")
async def save(session: Session, names: tuple[str, ...], output: str, platform: str) -> None:
    """Save one or more images to a tar archive."""
    if not output and session.out.isatty():
        raise CLIError("cowardly refusing to save to a terminal. Use the -o flag or redirect")
    answer = await session.engine().image_save(names)
    if output:
        await write_atomically(output, answer, "failed to save image")
        return
    async for chunk in answer:
        session.out.write(chunk)


@command([image, root], name="load", use="load [OPTIONS]",
         help="Load an image from a tar archive or STDIN", max_args=0)  # fmt: skip
@click.option("-i", "--input", "input_", default="", help="Read from tar archive file, instead of STDIN")
@click.option("--platform", default="", help="Load only the given platform variant")
@click.option("-q", "--quiet", is_flag=True, help="Suppress the load output")
async def load(session: Session, input_: str, platform: str, quiet: bool) -> None:
    """Load an image from a tar archive or STDIN."""
    source: IO[bytes]
    if input_:
        try:
            source = await anyio.to_thread.run_sync(open, input_, "rb")
        except OSError as exc:
            raise CLIError(f"open {input_}: {(exc.strerror or str(exc)).lower()}") from exc
    else:
        if session.stdin.isatty():
            raise CLIError("requested load from stdin, but stdin is empty")
        source = session.stdin.binary
    out = session.out
    try:
        async with upload(copy_from(source)) as body:
            answer = await session.engine().image_load(body, quiet=quiet or not out.isatty())
            if "json" in answer.headers.get("content-type", ""):
                await display_json_messages(answer.json_lines(), out.write, terminal=out.isatty(),
                                            width=session.terminal_width())  # fmt: skip
            else:
                async for chunk in answer:
                    out.write(chunk)
    finally:
        if input_:
            source.close()


@command([image, root], name="import", use="import [OPTIONS] file|URL|- [REPOSITORY[:TAG]]",
         help="Import the contents from a tarball to create a filesystem image", min_args=1, max_args=2)  # fmt: skip
@click.argument("source", required=False)
@click.argument("ref", required=False, default="")
@click.option("-c", "--change", multiple=True, help="Apply Dockerfile instruction to the created image")
@click.option("-m", "--message", default="", help="Set commit message for imported image")
@click.option("--platform", default="", help="Set platform if server is multi-platform capable")
async def import_(session: Session, source: str, ref: str, change: tuple[str, ...], message: str,
                  platform: str) -> None:  # fmt: skip
    """Import the contents from a tarball to create a filesystem image."""
    file: IO[bytes] | None = None
    if source == "-":
        file, from_src = session.stdin.binary, "-"
    elif source.startswith(("http://", "https://")):
        from_src = source
    else:
        try:
            file = await anyio.to_thread.run_sync(open, source, "rb")
        except OSError as exc:
            raise CLIError(f"open {source}: {(exc.strerror or str(exc)).lower()}") from exc
        from_src = "-"
    if ref:
        _parse(ref)
    query = {"fromSrc": from_src, "repo": ref or None, "message": message or None, "platform": platform or None,
             "changes": list(change) or None}  # fmt: skip
    try:
        async with AsyncExitStack() as stack:
            body = await stack.enter_async_context(upload(copy_from(file))) if file is not None else None
            answer = await session.engine().image_import(body, query)
            await display_json_messages(answer.json_lines(), session.out.write, terminal=session.out.isatty(),
                                        width=session.terminal_width())  # fmt: skip
    finally:
        if file is not None and source != "-":
            file.close()
