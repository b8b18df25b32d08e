"""Pulling an image, shared by ``pull``, ``run`` and ``create``, with the stored credentials.

The credentials for the image's registry come from ``config.json`` (or its
credential helper) and travel in ``X-Registry-Auth``; the daemon's progress
stream is drawn by :mod:`._progress`.
"""

from __future__ import annotations

from pymoby import errdefs, reference

from ._dockerconfig import encode_auth_header as _encode
from ._dockerconfig import registry_key_for_image
from ._engine import Engine
from ._errors import CLIError
from ._progress import display_json_messages
from ._session import Session, Stream

__all__ = ["api_name_and_tag", "auth_header_for", "pull_image"]


async def auth_header_for(session: Session, image: str) -> str:
    """The ``X-Registry-Auth`` value for the registry ``image`` lives on."""
    key = registry_key_for_image(image)
    entry = await session.config.get_auth(key)
    if not (entry.username or entry.password or entry.identity_token):
        return _encode(None)
    return _encode(entry)


def api_name_and_tag(image: str, *, default_tag: bool = True) -> tuple[str, str]:
    """``fromImage`` and ``tag`` for the API: the full name, and the tag or digest (``latest`` by default)."""
    try:
        ref = reference.parse_normalized_named(image)
    except errdefs.InvalidParameter as exc:
        raise CLIError(str(exc)) from exc
    name = ref.name
    if ref.digest:
        return name, ref.digest
    if ref.tag:
        return name, ref.tag
    return name, "latest" if default_tag else ""


async def pull_image(
    session: Session, engine: Engine, image: str, *, platform: str = "", out: Stream | None = None, quiet: bool = False
) -> None:
    """Pull ``image``, drawing the progress on ``out`` (stderr by default; nothing when ``quiet``)."""
    name, tag = api_name_and_tag(image)
    auth = await auth_header_for(session, image)
    answer = await engine.image_pull(name, tag, auth=auth, platform=platform)
    stream = out or session.err

    def write(text: str) -> None:
        if not quiet:
            stream.write(text)

    terminal = stream.isatty() and not quiet
    await display_json_messages(answer.json_lines(), write, terminal=terminal, width=session.terminal_width())
