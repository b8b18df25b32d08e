"""``build``: send a build context to the daemon's classic builder and show its progress.

The context is a directory (tarred here, honouring ``.dockerignore``), a
tar or Dockerfile on stdin (``-``), or a URL the daemon fetches. The
daemon streams ``{"stream": ...}`` lines (``Step 1/3 : FROM busybox``) and
an ``aux`` message with the image ID, printed alone with ``-q``.
"""

from __future__ import annotations

import fnmatch
import functools
import io
import json
import os
import secrets
import tarfile
from collections.abc import Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import IO, Any

import anyio
import click

from ._clickext import command
from ._dockerconfig import INDEX_SERVER, encode_auth_header
from ._engine import OpenStream
from ._errors import CLIError
from ._progress import JSONMessageError, display_json_messages
from ._runflags import MemBytes
from ._session import Session
from ._specs import labels_map, parse_extra_host, parse_ulimit
from ._tree import image, root
from ._units import human_size
from ._uploads import copy_from, upload

__all__ = ["read_dockerignore", "tar_context", "write_context"]


def read_dockerignore(context: Path) -> list[str]:
    """The patterns of ``.dockerignore`` (comments and blank lines dropped, paths cleaned)."""
    path = context / ".dockerignore"
    if not path.exists():
        return []
    patterns = []
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        body = os.path.normpath(line[1:].strip() if negate else line).lstrip("/")
        patterns.append(("!" if negate else "") + body)
    return patterns


def _excluded(relative: str, patterns: list[str]) -> bool:
    excluded = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        body = pattern[1:] if negate else pattern
        parts = relative.split("/")
        matched = any(fnmatch.fnmatchcase("/".join(parts[: i + 1]), body) for i in range(len(parts)))
        if body.startswith("**/"):
            matched = matched or any(fnmatch.fnmatchcase("/".join(parts[i:]), body[3:]) for i in range(len(parts)))
        if matched:
            excluded = not negate
    return excluded


def tar_context(context: Path, dockerfile: str) -> bytes:
    """The build context as a tar, without what ``.dockerignore`` excludes (the Dockerfile always kept)."""
    buffer = io.BytesIO()
    write_context(buffer, context, dockerfile)
    return buffer.getvalue()


def write_context(out: IO[bytes], context: Path, dockerfile: str, outside: Path | None = None) -> None:
    """Write the build context to ``out`` as a tar stream (see :func:`tar_context`).

    ``outside`` is a Dockerfile out of the context, added to it as ``dockerfile``.
    """
    patterns = read_dockerignore(context)
    keep = {dockerfile, ".dockerignore"}
    tar = tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT)  # noqa: SIM115 - ended by _end_like_go
    try:
        for directory, dirs, files in os.walk(context):
            dirs.sort()
            for name in sorted(dirs + files):
                full = Path(directory) / name
                relative = full.relative_to(context).as_posix()
                if relative not in keep and _excluded(relative, patterns):
                    if name in dirs:
                        dirs.remove(name)
                    continue
                info = tar.gettarinfo(str(full), arcname=relative)
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                info.mtime = int(info.mtime)  # as Docker's archives: whole seconds, no PAX record for them
                if info.isreg():
                    with full.open("rb") as data:
                        tar.addfile(info, data)
                else:
                    tar.addfile(info)
        if outside is not None:
            info = tar.gettarinfo(str(outside), arcname=dockerfile)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mtime = int(info.mtime)
            with outside.open("rb") as data:
                tar.addfile(info, data)
    except BaseException:
        tar.close()
        raise
    _end_like_go(tar)


def _end_like_go(tar: tarfile.TarFile) -> None:
    """End an archive as Go's ``tar.Writer`` does: two zero blocks, not padded to a 10 KiB record.

    The context's size is shown (``Sending build context ...``): it matches Docker's this way.
    """
    assert tar.fileobj is not None
    tar.fileobj.write(tarfile.NUL * (2 * tarfile.BLOCKSIZE))
    tar.closed = True  # type: ignore[attr-defined]  # what close() sets: the end is written


def _local_context(context: str, dockerfile: str) -> tuple[str, Path | None]:
    """The Dockerfile's name in the context of a local directory, and the file to add when it lies outside.

    As Docker's: a given ``-f`` is relative to the working directory, the
    default ``Dockerfile`` to the context; a Dockerfile outside the context
    is sent inside it under a random ``.dockerfile.*`` name.
    """
    directory = Path(context)
    if not directory.is_dir():
        raise CLIError(f'unable to prepare context: path "{context}" not found')
    path = Path(dockerfile).absolute() if dockerfile else directory.absolute() / "Dockerfile"
    if not path.exists():
        raise CLIError(
            f"unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat {path}: "
            "no such file or directory"
        )
    relative = os.path.relpath(path, directory.absolute())
    if relative.startswith(".."):
        return ".dockerfile." + secrets.token_hex(10), path
    return relative, None


@command([image, root], name="build", use="build [OPTIONS] PATH | URL | -",
         help="Build an image from a Dockerfile", min_args=1, max_args=1)  # fmt: skip
@click.argument("context", required=False)
@click.option("--add-host", multiple=True, help='Add a custom host-to-IP mapping ("host:ip")')
@click.option("--build-arg", multiple=True, help="Set build-time variables")
@click.option("--cache-from", multiple=True, help="Images to consider as cache sources")
@click.option("--cgroup-parent", default="", help='Set the parent cgroup for the "RUN" instructions during build')
@click.option("-c", "--cpu-shares", type=int, default=0, help="CPU shares (relative weight)")
@click.option("--cpu-period", type=int, default=0, help="Limit the CPU CFS (Completely Fair Scheduler) period")
@click.option("--cpu-quota", type=int, default=0, help="Limit the CPU CFS (Completely Fair Scheduler) quota")
@click.option("--cpuset-cpus", default="", help="CPUs in which to allow execution (0-3, 0,1)")
@click.option("--cpuset-mems", default="", help="MEMs in which to allow execution (0-3, 0,1)")
@click.option("-f", "--file", "dockerfile", default="", help='Name of the Dockerfile (Default is "PATH/Dockerfile")')
@click.option("--force-rm", is_flag=True, help="Always remove intermediate containers")
@click.option("--iidfile", default="", help="Write the image ID to the file")
@click.option("--isolation", default="", help="Container isolation technology")
@click.option("--label", multiple=True, help="Set metadata for an image")
@click.option("-m", "--memory", type=MemBytes(), default=0, help="Memory limit")
@click.option("--memory-swap", type=MemBytes(), default=0, help="Swap limit equal to memory plus swap")
@click.option("--network", default="default", help="Set the networking mode for the RUN instructions during build")
@click.option("--no-cache", is_flag=True, help="Do not use cache when building the image")
@click.option("--platform", default="", help="Set platform if server is multi-platform capable")
@click.option("--pull", is_flag=True, help="Always attempt to pull a newer version of the image")
@click.option("-q", "--quiet", is_flag=True, help="Suppress the build output and print image ID on success")
@click.option("--rm", is_flag=True, default=True, help="Remove intermediate containers after a successful build")
@click.option("--shm-size", type=MemBytes(), default=0, help='Size of "/dev/shm"')
@click.option("-t", "--tag", multiple=True, help='Name and optionally a tag in the "name:tag" format')
@click.option("--target", default="", help="Set the target build stage to build.")
@click.option("--ulimit", multiple=True, help="Ulimit options")
async def build(session: Session, context: str, **opts: Any) -> None:
    """Build an image from a Dockerfile."""
    dockerfile = opts["dockerfile"]
    remote = ""
    produce: Callable[[IO[bytes]], None] | None = None
    if context == "-":
        stdin = session.stdin.binary
        head = await anyio.to_thread.run_sync(_read_up_to, stdin, 512)
        if head[257:262] == b"ustar" or head[:2] == b"\x1f\x8b":
            produce = _prepend(head, copy_from(stdin))  # a context tar: streamed as it is read
        else:
            data = head + await anyio.to_thread.run_sync(stdin.read)  # a Dockerfile
            produce = functools.partial(_dockerfile_context, data=data, name=dockerfile or "Dockerfile")
    elif context.startswith(("http://", "https://", "git://", "git@", "github.com/")):
        remote = context
    else:
        dockerfile, outside = await anyio.to_thread.run_sync(_local_context, context, dockerfile)
        produce = functools.partial(write_context, context=Path(context), dockerfile=dockerfile, outside=outside)
    build_args: dict[str, str | None] = {}
    for item in opts["build_arg"]:
        key, sep, value = item.partition("=")
        build_args[key] = value if sep else os.environ.get(key)
    query: dict[str, Any] = {
        "t": list(opts["tag"]) or None,
        "dockerfile": dockerfile or None,
        "remote": remote or None,
        "q": opts["quiet"] or None,
        "nocache": opts["no_cache"] or None,
        "rm": opts["rm"],
        "forcerm": opts["force_rm"] or None,
        "pull": opts["pull"] or None,
        "memory": opts["memory"] or None,
        "memswap": opts["memory_swap"] or None,
        "cpushares": opts["cpu_shares"] or None,
        "cpusetcpus": opts["cpuset_cpus"] or None,
        "cpusetmems": opts["cpuset_mems"] or None,
        "cpuperiod": opts["cpu_period"] or None,
        "cpuquota": opts["cpu_quota"] or None,
        "cgroupparent": opts["cgroup_parent"] or None,
        "shmsize": opts["shm_size"] or None,
        "networkmode": opts["network"],
        "target": opts["target"] or None,
        "platform": opts["platform"] or None,
        "isolation": opts["isolation"] or None,
        "buildargs": json.dumps(build_args) if build_args else None,
        "labels": json.dumps(labels_map(opts["label"])) if opts["label"] else None,
        "cachefrom": json.dumps(list(opts["cache_from"])) if opts["cache_from"] else None,
        "extrahosts": ",".join(parse_extra_host(h) for h in opts["add_host"]) or None,
        "ulimits": json.dumps([parse_ulimit(u) for u in opts["ulimit"]]) if opts["ulimit"] else None,
        "version": "1",
    }
    auths = {}
    entry = await session.config.get_auth(INDEX_SERVER)
    if entry.username or entry.identity_token:
        auths[INDEX_SERVER] = entry.to_api()
    headers = {"X-Registry-Config": encode_auth_header(None) if not auths else _registry_config(auths)}
    async with AsyncExitStack() as stack:
        body = await stack.enter_async_context(upload(produce)) if produce is not None else None
        answer = await session.engine().build(body if body is not None else b"", query, headers)
        sent = ""
        if body is not None:
            # As Docker's progress of the upload, its final state (and Println's end of line).
            sent = f"Sending build context to Docker daemon {human_size(body.total, 4):>8}\r\r\n"
        await _show_progress(session, answer, opts, sent)


def _read_up_to(stream: IO[bytes], size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def _prepend(head: bytes, produce: Callable[[IO[bytes]], None]) -> Callable[[IO[bytes]], None]:
    def produce_all(out: IO[bytes]) -> None:
        out.write(head)
        produce(out)

    return produce_all


def _dockerfile_context(out: IO[bytes], data: bytes, name: str) -> None:
    """A context holding only the Dockerfile read from stdin."""
    with tarfile.open(fileobj=out, mode="w|") as tar:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))


async def _show_progress(session: Session, answer: OpenStream, opts: dict[str, Any], sent: str) -> None:
    """Show the upload's size (``sent``) and the daemon's build output.

    With ``-q``, only what the daemon printed (the image ID) is shown, or, on
    error, all of it, on stderr.
    """
    image_id = ""

    def on_aux(aux: Any) -> None:
        nonlocal image_id
        if isinstance(aux, dict) and aux.get("ID"):
            image_id = str(aux["ID"])

    out = session.out
    quiet = opts["quiet"]
    held: list[str] = []
    write = held.append if quiet else out.write
    if not quiet:
        out.write(sent)
    try:
        await display_json_messages(answer.json_lines(), write, terminal=out.isatty() and not quiet,
                                    width=session.terminal_width(), on_aux=on_aux)  # fmt: skip
    except JSONMessageError as exc:
        if quiet:
            session.err.write(sent + "".join(held))
        # As Docker's build: the error's code (a failed RUN's exit status) is the exit status, else 1.
        raise CLIError(exc.message, exc.code or 1) from exc
    if quiet:
        out.write("".join(held) or (image_id + "\n" if image_id else ""))
    if opts["iidfile"] and image_id:
        await anyio.Path(opts["iidfile"]).write_text(image_id)


def _registry_config(auths: dict[str, Any]) -> str:
    import base64

    return base64.urlsafe_b64encode(json.dumps(auths).encode()).decode()
