"""``cp``, ``export`` and ``commit``: files in and out of containers.

``cp`` follows Docker's copy rules: a source directory is copied as a
directory (its contents with a trailing ``/.``); into an existing directory
the source keeps its name; to a path that does not exist yet the copy takes
that name; a directory never replaces a file. ``-`` reads or writes a tar
stream. The archive endpoint carries the path's stat in
``X-Docker-Container-Path-Stat`` (base64 JSON).
"""

from __future__ import annotations

import base64
import functools
import json
import os
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import IO, Any

import anyio
import click

from pymoby import errdefs, reference

from ._clickext import command
from ._completion import container_argument
from ._engine import Engine
from ._errors import CLIError
from ._session import Session
from ._tree import container, root
from ._units import human_size
from ._uploads import copy_from, upload

__all__ = ["write_atomically"]

_MODE_DIR = 1 << 31


def _split_cp_arg(arg: str) -> tuple[str, str]:
    if os.path.isabs(arg) or arg.startswith("."):
        return "", arg
    name, sep, path = arg.partition(":")
    if not sep:
        return "", arg
    return name, path


def _stat_header(headers: dict[str, str]) -> dict[str, Any]:
    value = headers.get("x-docker-container-path-stat", "")
    if not value:
        return {}
    try:
        return dict(json.loads(base64.b64decode(value)))
    except (ValueError, TypeError):
        return {}


def _safe_name(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts:
        raise CLIError(f"invalid tar entry: {name}")
    return path


def _extract(archive: IO[bytes], destination: Path, rebase: tuple[str, str] | None, strip_root: bool) -> None:
    with tarfile.open(fileobj=archive, mode="r|*") as tar:
        for member in tar:
            parts = list(_safe_name(member.name).parts)
            if not parts:
                continue
            if strip_root:
                parts = parts[1:]
                if not parts:
                    continue
            elif rebase is not None and parts[0] == rebase[0]:
                parts[0] = rebase[1]
            member.name = str(PurePosixPath(*parts))
            if member.islnk():
                link = list(_safe_name(member.linkname).parts)
                if strip_root:
                    link = link[1:]
                elif rebase is not None and link and link[0] == rebase[0]:
                    link[0] = rebase[1]
                member.linkname = str(PurePosixPath(*link)) if link else member.linkname
            target = destination / member.name
            if member.isdir() and target.is_dir():
                continue
            if target.exists() or target.is_symlink():
                if target.is_dir() and not target.is_symlink():
                    if not member.isdir():
                        raise CLIError(f"cannot overwrite directory {target} with non-directory")
                    continue
                target.unlink()
            tar.extract(member, destination, set_attrs=not member.issym())


async def _copy_from_container(
    session: Session, engine: Engine, name: str, src: str, dst: str, follow: bool, quiet: bool
) -> None:
    if follow:
        stat = _stat_header((await engine.archive_stat(name, src)).headers)
        target = str(stat.get("linkTarget") or "")
        if target:
            src = target if target.startswith("/") else str(PurePosixPath(src).parent / target)
    answer = await engine.archive_get(name, src)
    if dst == "-":
        async for chunk in answer:
            session.out.write(chunk)
        return
    stat = _stat_header(answer.headers)
    src_is_dir = bool(int(stat.get("mode", 0)) & _MODE_DIR)
    src_base = str(stat.get("name") or PurePosixPath(src.rstrip("/")).name or "/")
    contents_only = src.endswith("/.") or src == "."
    copied = 0
    with tempfile.SpooledTemporaryFile(max_size=16 << 20) as spool:
        async for chunk in answer:
            copied += len(chunk)
            await anyio.to_thread.run_sync(spool.write, chunk)
        spool.seek(0)
        into, rebase, strip = await anyio.to_thread.run_sync(_plan_extract, dst, src_base, src_is_dir, contents_only)
        await anyio.to_thread.run_sync(_extract, spool, into, rebase, strip)
    if not quiet and session.out.isatty():
        session.err.write(f"Successfully copied {human_size(copied, 3)} to {dst}\n")


def _plan_extract(
    dst: str, src_base: str, src_is_dir: bool, contents_only: bool
) -> tuple[Path, tuple[str, str] | None, bool]:
    """Where to extract a copy from a container: ``(directory, root rename, strip the root)``."""
    destination = Path(dst)
    if destination.exists():
        if destination.is_dir():
            return destination, None, contents_only
        if src_is_dir:
            raise CLIError("cannot copy directory")
        return destination.parent, (src_base, destination.name), False
    if dst.endswith("/"):
        raise CLIError("no such directory")
    if not destination.parent.exists():
        raise CLIError(f"stat {destination.parent}: no such file or directory")
    if contents_only:
        destination.mkdir()
        return destination, None, True
    return destination.parent, (src_base, destination.name), False


def _local_source(source: Path) -> tuple[bool, bool, str]:
    """Whether a local copy source exists, whether it is a directory, and the name it is copied under
    (its absolute path when it does not exist, for the error)."""
    exists = source.exists() or source.is_symlink()
    if not exists:
        return False, False, str(source.absolute())
    name = source.resolve().name if source.name in ("", ".", "..") else source.name
    return exists, source.is_dir(), name


def _tar_path(out: IO[bytes], src: Path, arcname: str, follow: bool, copy_uid_gid: bool) -> None:
    """Write ``src`` as a tar stream to ``out`` (member names under ``arcname``)."""
    with tarfile.open(fileobj=out, mode="w|", dereference=follow, format=tarfile.PAX_FORMAT) as tar:

        def owner(info: tarfile.TarInfo) -> tarfile.TarInfo:
            if not copy_uid_gid:
                info.uid = info.gid = 0
                info.uname = info.gname = ""
            return info

        tar.add(str(src), arcname=arcname, filter=owner)


async def _copy_to_container(
    session: Session, engine: Engine, name: str, src: str, dst: str, follow: bool, copy_uid_gid: bool, quiet: bool
) -> None:
    if src == "-":
        stat = {}
        try:
            stat = _stat_header((await engine.archive_stat(name, dst)).headers)
        except errdefs.NotFound:
            stat = {}
        if not stat or not int(stat.get("mode", 0)) & _MODE_DIR:
            raise CLIError(f'destination "{name}:{dst}" must be a directory')
        async with upload(copy_from(session.stdin.binary)) as body:
            await engine.archive_put(name, dst, body, copy_uid_gid=copy_uid_gid)
        return
    source = Path(src)
    exists_locally, source_is_dir, source_name = await anyio.to_thread.run_sync(_local_source, source)
    if not exists_locally:
        raise CLIError(f"lstat {source_name}: no such file or directory")
    try:
        stat = _stat_header((await engine.archive_stat(name, dst)).headers)
        exists = True
    except errdefs.NotFound:
        stat, exists = {}, False
    dst_is_dir = exists and bool(int(stat.get("mode", 0)) & _MODE_DIR)
    if exists and dst_is_dir:
        put_path, arcname = dst, ("." if src.endswith("/.") else source_name)
    elif exists:
        if source_is_dir:
            raise CLIError("cannot copy directory")
        put_path, arcname = str(PurePosixPath(dst).parent), PurePosixPath(dst).name
    else:
        if dst.endswith("/"):
            raise CLIError("no such directory")
        put_path, arcname = str(PurePosixPath(dst).parent), PurePosixPath(dst).name
    async with upload(functools.partial(_tar_path, src=source, arcname=arcname, follow=follow,
                                        copy_uid_gid=copy_uid_gid)) as body:  # fmt: skip
        await engine.archive_put(name, put_path, body, copy_uid_gid=copy_uid_gid)
    if not quiet and session.out.isatty():
        session.err.write(f"Successfully copied {human_size(body.total, 3)} to {name}:{dst}\n")


@command([container, root], name="cp", use="cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-",
         help="Copy files/folders between a container and the local filesystem", min_args=2, max_args=2)  # fmt: skip
@click.argument("source", required=False)
@click.argument("destination", required=False)
@click.option("-a", "--archive", "copy_uid_gid", is_flag=True, help="Archive mode (copy all uid/gid information)")
@click.option("-L", "--follow-link", is_flag=True, help="Always follow symbol link in SRC_PATH")
@click.option("-q", "--quiet", is_flag=True, help="Suppress progress output during copy")
async def cp(session: Session, source: str, destination: str, copy_uid_gid: bool, follow_link: bool,
             quiet: bool) -> None:  # fmt: skip
    """Copy files/folders between a container and the local filesystem."""
    if not source:
        raise CLIError("source can not be empty")
    if not destination:
        raise CLIError("destination can not be empty")
    src_container, src_path = _split_cp_arg(source)
    dst_container, dst_path = _split_cp_arg(destination)
    engine = session.engine()
    if src_container and dst_container:
        raise CLIError("copying between containers is not supported")
    if src_container:
        await _copy_from_container(session, engine, src_container, src_path, dst_path, follow_link, quiet)
    elif dst_container:
        await _copy_to_container(session, engine, dst_container, src_path, dst_path, follow_link, copy_uid_gid, quiet)
    else:
        raise CLIError("must specify at least one container source")


async def write_atomically(path: str, chunks: Any, error_prefix: str) -> None:
    """Write the async ``chunks`` to ``path`` through a temporary file renamed into place (mode 0600)."""
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".tmp-{target.name}", dir=directory)
    except OSError as exc:
        raise CLIError(f"{error_prefix}: {exc}") from exc
    done = False
    try:
        with os.fdopen(fd, "wb") as file:
            write: Callable[[bytes], int] = file.write
            async for chunk in chunks:
                await anyio.to_thread.run_sync(write, chunk)
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
        done = True
    finally:
        if not done:
            os.unlink(tmp)


@command([container, root], name="export", use="export [OPTIONS] CONTAINER",
         help="Export a container's filesystem as a tar archive", min_args=1, max_args=1)  # fmt: skip
@container_argument("name", required=False)
@click.option("-o", "--output", default="", help="Write to a file, instead of STDOUT")
async def export(session: Session, name: str, output: str) -> None:
    """Export a container's filesystem as a tar archive."""
    if not output and session.out.isatty():
        raise CLIError("cowardly refusing to save to a terminal. Use the -o flag or redirect")
    answer = await session.engine().container_export(name)
    if output:
        await write_atomically(output, answer, "failed to export container")
        return
    async for chunk in answer:
        session.out.write(chunk)


@command([container, root], name="commit", use="commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
         help="Create a new image from a container's changes", min_args=1, max_args=2)  # fmt: skip
@container_argument("name", required=False)
@click.argument("ref", required=False, default="")
@click.option("-a", "--author", default="", help='Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")')
@click.option("-c", "--change", multiple=True, help="Apply Dockerfile instruction to the created image")
@click.option("-m", "--message", default="", help="Commit message")
@click.option("-p", "--pause", is_flag=True, default=True, help="Pause container during commit")
async def commit(session: Session, name: str, ref: str, author: str, change: tuple[str, ...], message: str,
                 pause: bool) -> None:  # fmt: skip
    """Create a new image from a container's changes."""
    repository = tag = ""
    if ref:
        try:
            parsed = reference.parse_normalized_named(ref)
        except errdefs.InvalidParameter as exc:
            raise CLIError(str(exc)) from exc
        if parsed.digest is not None:
            raise CLIError("refusing to create a tag with a digest reference")
        parsed = reference.tag_name_only(parsed)
        repository, tag = parsed.name, parsed.tag or ""
    query: dict[str, Any] = {"container": name, "repo": repository, "tag": tag, "comment": message,
                             "author": author, "changes": list(change) or None}  # fmt: skip
    if not pause:
        query["pause"] = "0"
    answer = await session.engine().commit(query, None)
    session.out.write(str(answer.get("Id") or "") + "\n")
