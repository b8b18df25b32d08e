"""Fixtures of the builder's unit tests: tars, an image service on real vfs stores, and a stand-in container side.

``service``: an :class:`ImageService` on vfs stores in ``tmp_path`` (no root
needed), its job group running, with a ``base:latest`` image holding
``/etc/passwd``, ``/etc/group`` and ``/bin/sh`` (a plain file).
``containers``: :class:`FakeContainers`, which "runs" a RUN step by calling
the Python function a test registered for its command: what real runc does
is the integration tests' business; here only the builder's side is checked.
``builder``: a :class:`Builder` over both; ``build(files, **options)`` runs a
build of a context made of ``files`` and returns its decoded messages.
"""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import anyio.abc
import pytest

from pymoby import api, errdefs
from pymoby.daemon.builder import Builder, BuildOptions
from pymoby.daemon.container import WaitCondition, WaitResult
from pymoby.daemon.events import Events
from pymoby.daemon.images import ImageService
from pymoby.daemon.lifecycle import AttachOptions
from pymoby.image import Image
from pymoby.layer import setup_init_layer
from pymoby.reference import parse_normalized_named

PASSWD = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n"
GROUP = "root:x:0:\nstaff:x:50:\napp:x:1000:\n"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def make_tar(files: dict[str, Any], *, mode: int = 0o644, uid: int = 0) -> bytes:
    """A context tar as the docker CLI sends it: ``name -> bytes`` (a file), ``None`` (a directory),
    ``("link", target)`` (a symlink); owned by ``uid``, sorted."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(files):
            value = files[name]
            info = tarfile.TarInfo(name)
            info.uid = info.gid = uid
            info.uname = info.gname = ""
            info.mtime = 1_700_000_000
            if value is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            elif isinstance(value, tuple):
                info.type, info.linkname, info.mode = tarfile.SYMTYPE, value[1], 0o777
                tar.addfile(info)
            else:
                info.mode, info.size = mode, len(value)
                tar.addfile(info, io.BytesIO(value))
    return buffer.getvalue()


def receiver(data: bytes, chunk: int = 4096) -> Callable[[], Awaitable[bytes]]:
    """An async ``receive()`` over ``data``, in chunks, then ``b""``."""
    pieces = [data[i : i + chunk] for i in range(0, len(data), chunk)]

    async def receive() -> bytes:
        return pieces.pop(0) if pieces else b""

    return receive


class Program:
    """What a fake RUN does: ``run(rootfs) -> (exit code, stdout, stderr)``."""

    def __init__(self, run: Callable[[Path], tuple[int, bytes, bytes]]) -> None:
        self.run = run


class _Prepared:
    def __init__(self, container_id: str) -> None:
        self.container_id = container_id


class FakeContainers:
    """The container side of a build, without containers: RUN commands are Python functions.

    ``programs[" ".join(cmd)]`` says what a command does to the root file
    system (the container's read-write layer, mounted) and what it prints;
    an unknown command exits 127. Created containers are kept in
    ``containers`` until removed; ``requests`` records every create.
    """

    def __init__(self, service: ImageService) -> None:
        self.service = service
        self.programs: dict[str, Program] = {}
        self.containers: dict[str, api.ContainerCreateRequest] = {}
        self.requests: list[api.ContainerCreateRequest] = []
        self.exit_codes: dict[str, int] = {}
        self.pending_output: dict[str, list[tuple[api.StdStream, bytes]]] = {}
        self.exited: dict[str, anyio.Event] = {}
        self._counter = 0

    async def create(
        self, name: str, request: api.ContainerCreateRequest, *, platform: str = ""
    ) -> api.ContainerCreateResponse:
        self._counter += 1
        container_id = f"{self._counter:064x}"
        image = self.service.get_image(request.image) if request.image else None
        await anyio.to_thread.run_sync(
            lambda: self.service.layers.create_rw_layer(
                container_id, image.chain_id if image else None, setup_init_layer
            )
        )
        self.containers[container_id] = request
        self.requests.append(request)
        self.exited[container_id] = anyio.Event()
        return api.ContainerCreateResponse(id=container_id, warnings=[])

    def prepare_attach(self, name: str, options: AttachOptions) -> Any:
        return _Prepared(name)

    async def run_attach(self, prepared: Any, connection: anyio.abc.ByteStream) -> None:
        await self.exited[prepared.container_id].wait()
        for stream, payload in self.pending_output.pop(prepared.container_id, []):
            await connection.send(api.encode_frame(stream, payload))
        await connection.send_eof()

    async def start(self, name: str) -> None:
        request = self.containers[name]
        command = " ".join(request.cmd or [])  # type: ignore[arg-type]
        program = self.programs.get(command)
        layer = self.service.layers.get_rw_layer(name)
        root = layer.mount()
        try:
            code, out, err = program.run(root) if program else (127, b"", b"sh: not found\n")
        finally:
            layer.unmount()
        self.pending_output[name] = [(api.StdStream.STDOUT, out), (api.StdStream.STDERR, err)]
        self.exit_codes[name] = code
        self.exited[name].set()

    def wait(self, name: str, condition: WaitCondition) -> Callable[[], Awaitable[WaitResult]]:
        async def result() -> WaitResult:
            return WaitResult(self.exit_codes[name])

        return result

    async def remove(self, name: str, *, force: bool = False, volumes: bool = False, link: bool = False) -> None:
        if name not in self.containers:
            raise errdefs.NotFound(f"No such container: {name}")
        del self.containers[name]
        await anyio.to_thread.run_sync(self.service.release_rw_layer, name)


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[ImageService]:
    """The image service on vfs stores, its jobs running, with ``base:latest``."""
    service = ImageService.open(tmp_path / "data", "vfs", events=Events())
    base = make_tar(
        {"bin": None, "bin/sh": b"#!fake\n", "etc": None, "etc/passwd": PASSWD.encode(), "etc/group": GROUP.encode()}
    )
    layer = service.layers.register(io.BytesIO(base))
    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": "2024-01-01T00:00:00Z",
        "config": {"Env": ["PATH=/usr/bin:/bin"], "Cmd": ["sh"]},
        "rootfs": {"type": "layers", "diff_ids": [layer.diff_id]},
        "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "base"}],
    }
    image = service.images.create(json.dumps(config).encode())
    service.layers.release(layer.chain_id)
    service.references.add_tag(parse_normalized_named("base:latest"), image.id, force=True)
    try:
        async with anyio.create_task_group() as group:
            await group.start(service.serve)
            yield service
            group.cancel_scope.cancel()
    finally:
        service.close()


@pytest.fixture
def base_image(service: ImageService) -> Image:
    """``base:latest``."""
    return service.get_image("base")


@pytest.fixture
def containers(service: ImageService) -> FakeContainers:
    return FakeContainers(service)


@pytest.fixture
def builder(service: ImageService, containers: FakeContainers, tmp_path: Path) -> Builder:
    return Builder(service, containers, jobs=service.jobs, scratch_dir=tmp_path / "scratch", events=service.events)


class BuildResult:
    """A finished build: its messages, the text of its ``stream`` messages, its error and image ID."""

    def __init__(self, messages: list[dict[str, Any]], error: Exception | None) -> None:
        self.messages = messages
        self.raised = error
        self.text = "".join(m.get("stream", "") for m in messages)
        self.error = next((m for m in messages if "error" in m), None)
        auxes = [m["aux"]["ID"] for m in messages if "aux" in m]
        self.image_id = auxes[-1] if auxes else None


Build = Callable[..., Awaitable[BuildResult]]


@pytest.fixture
def build(builder: Builder) -> Build:
    """``await build({"Dockerfile": b"...", ...}, tags=("app",), ...)``: run one build and collect its stream.

    An error raised before any output (what becomes the HTTP status) is in ``raised``.
    """

    async def run(files: dict[str, Any] | bytes, **options: Any) -> BuildResult:
        data = files if isinstance(files, bytes) else make_tar(files)
        job = builder.build(receiver(data), BuildOptions(**options))
        try:
            await job.first()
        except errdefs.PymobyError as exc:
            return BuildResult([], exc)
        chunks = b""
        async for chunk in job.output():
            chunks += chunk
        return BuildResult([json.loads(line) for line in chunks.split(b"\r\n") if line], None)

    return run
