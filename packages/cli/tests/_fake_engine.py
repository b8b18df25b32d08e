"""An in-memory Engine API on a unix socket, served from a thread of its own.

Enough of the Docker Engine API, answering in Docker's shapes, to drive
every command of the CLI in unit tests: containers run tiny "programs"
(``echo WORDS``, ``cat``, ``fail CODE``, ``sleep``, ``nosuch``), images
pull and push with progress streams, volumes, networks, events, exec,
attach (hijacked, multiplexed frames or raw with a TTY), archives and
builds. Every request is recorded in :attr:`FakeEngine.requests`; a test
adds or replaces a route with :meth:`FakeEngine.route`.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import re
import struct
import tarfile
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def q(self, name: str, default: str = "") -> str:
        return self.query.get(name, [default])[0]

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # bytes, or data encoded as JSON
    headers: dict[str, str] = field(default_factory=dict)
    chunks: list[bytes] | None = None  # streamed with chunked encoding
    produce: Callable[[], AsyncIterator[bytes]] | None = None  # streamed as they come (head sent first)
    hijack: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]] | None = None


def error(status: int, message: str) -> Reply:
    return Reply(status, {"message": message})


def frame(stream: int, data: bytes) -> bytes:
    return struct.pack(">BxxxL", stream, len(data)) + data


@dataclass
class Container:
    id: str
    name: str
    image: str
    cmd: list[str]
    config: dict[str, Any]
    host_config: dict[str, Any]
    created: int = field(default_factory=lambda: int(time.time()))
    state: str = "created"
    exit_code: int = 0
    log: list[tuple[int, bytes]] = field(default_factory=list)
    started: asyncio.Event = field(default_factory=asyncio.Event)
    exited: asyncio.Event = field(default_factory=asyncio.Event)
    stdin: asyncio.Queue[bytes | None] = field(default_factory=asyncio.Queue)
    subscribers: list[asyncio.Queue[tuple[int, bytes] | None]] = field(default_factory=list)
    resizes: list[tuple[int, int]] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=lambda: {"/etc/hostname": b"fake\n"})
    on_exit: Callable[[Container], None] = lambda c: None

    def summary(self) -> dict[str, Any]:
        status = {"created": "Created", "running": "Up 2 seconds", "paused": "Up 2 seconds (Paused)"}.get(
            self.state, f"Exited ({self.exit_code}) 1 second ago"
        )
        ports = []
        for port, bindings in (self.host_config.get("PortBindings") or {}).items():
            number, _, proto = port.partition("/")
            for binding in bindings:
                ports.append({"IP": binding.get("HostIp") or "0.0.0.0", "PrivatePort": int(number),
                              "PublicPort": int(binding.get("HostPort") or 32768), "Type": proto})  # fmt: skip
        return {
            "Id": self.id, "Names": ["/" + self.name], "Image": self.image, "ImageID": "sha256:" + "b" * 64,
            "Command": " ".join(self.cmd), "Created": self.created, "Ports": ports,
            "Labels": self.config.get("Labels") or {}, "State": self.state, "Status": status,
            "HostConfig": {"NetworkMode": self.host_config.get("NetworkMode", "default")},
            "NetworkSettings": {"Networks": {"none": {}}}, "Mounts": [],
        }  # fmt: skip

    def inspect(self) -> dict[str, Any]:
        return {
            "Id": self.id, "Created": "2024-01-01T00:00:00.000000000Z", "Path": self.cmd[0] if self.cmd else "",
            "Args": self.cmd[1:],
            "State": {"Status": self.state, "Running": self.state in ("running", "paused"),
                      "Paused": self.state == "paused", "Restarting": False, "OOMKilled": False, "Dead": False,
                      "Pid": 4242 if self.state == "running" else 0, "ExitCode": self.exit_code, "Error": "",
                      "StartedAt": "2024-01-01T00:00:01Z", "FinishedAt": "0001-01-01T00:00:00Z"},
            "Image": "sha256:" + "b" * 64, "Name": "/" + self.name, "RestartCount": 0,
            "HostConfig": self.host_config, "Config": self.config,
            "NetworkSettings": {"Ports": {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}],
                                          "53/udp": None}},
        }  # fmt: skip

    def publish(self, stream: int, data: bytes) -> None:
        self.log.append((stream, data))
        for queue in self.subscribers:
            queue.put_nowait((stream, data))

    def finish(self, code: int) -> None:
        self.exit_code = code
        self.state = "exited"
        self.on_exit(self)
        for queue in self.subscribers:
            queue.put_nowait(None)
        self.exited.set()


class FakeEngine:
    """The fake daemon; ``host`` is the value for ``-H``."""

    def __init__(self, socket_path: Path) -> None:
        self.socket_path = socket_path
        self.requests: list[Request] = []
        self.containers: dict[str, Container] = {}
        self.images: dict[str, dict[str, Any]] = {}
        self.volumes: dict[str, dict[str, Any]] = {}
        self.networks: dict[str, dict[str, Any]] = {
            "none": {"Name": "none", "Id": "n" * 64, "Driver": "null", "Scope": "local", "Created":
                     "2024-01-01T00:00:00Z", "Labels": {}},
            "host": {"Name": "host", "Id": "h" * 64, "Driver": "host", "Scope": "local", "Created":
                     "2024-01-01T00:00:00Z", "Labels": {}},
        }  # fmt: skip
        self.execs: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.pulled: list[str] = []
        self.pull_error: str = ""
        self.logins: list[dict[str, Any]] = []
        self.uploads: dict[str, bytes] = {}
        self.api_version = "1.45"
        self._routes: list[tuple[str, re.Pattern[str], Callable[..., Any]]] = []
        self._counter = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.AbstractServer | None = None
        self._install_routes()
        self.add_image("busybox:latest", "a" * 64)

    # -- life cycle -----------------------------------------------------------------
    @property
    def host(self) -> str:
        return f"unix://{self.socket_path}"

    def start(self) -> FakeEngine:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._serve(), self._loop)
        future.result(5)
        return self

    async def _serve(self) -> None:
        self._server = await asyncio.start_unix_server(self._handle, str(self.socket_path))

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    def call(self, function: Callable[[], Any]) -> Any:
        """Run ``function`` in the fake's loop (to touch its state safely)."""

        async def run() -> Any:
            return function()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(5)

    # -- state helpers ----------------------------------------------------------------
    def add_image(self, tag: str, hex_id: str, size: int = 1_990_000) -> None:
        self.images["sha256:" + hex_id] = {
            "Id": "sha256:" + hex_id, "RepoTags": [tag], "RepoDigests": [], "Created": int(time.time()) - 3600 * 24 * 3,
            "Size": size, "SharedSize": -1, "Labels": {}, "Containers": -1, "ParentId": "",
        }  # fmt: skip

    def find_image(self, ref: str) -> dict[str, Any] | None:
        wanted = ref if ":" in ref.rsplit("/", 1)[-1] else ref + ":latest"
        for image in self.images.values():
            if wanted in image["RepoTags"] or image["Id"].startswith(("sha256:" + ref, ref)):
                return image
        return None

    def find_container(self, ref: str) -> Container | None:
        for container in self.containers.values():
            if ref in (container.name, container.id) or (len(ref) >= 3 and container.id.startswith(ref)):
                return container
        return None

    def new_id(self) -> str:
        self._counter += 1
        return f"{self._counter:04x}" + "c0ffee" * 10

    def emit(self, kind: str, action: str, actor: str, attributes: dict[str, str] | None = None) -> None:
        now = time.time_ns()
        self.events.append({"Type": kind, "Action": action, "Actor": {"ID": actor, "Attributes": attributes or {}},
                            "scope": "local", "time": now // 10**9, "timeNano": now})  # fmt: skip

    def seen(self, method: str, path_pattern: str) -> list[Request]:
        pattern = re.compile(path_pattern)
        return [r for r in self.requests if r.method == method and pattern.fullmatch(r.path)]

    # -- routing ----------------------------------------------------------------------
    def route(self, method: str, pattern: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Add (in front) a handler ``handler(request, *groups) -> Reply``."""

        def register(handler: Callable[..., Any]) -> Callable[..., Any]:
            self._routes.insert(0, (method, re.compile(pattern), handler))
            return handler

        return register

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.decode("latin-1").rstrip("\r\n").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
                body = b""
                if "content-length" in headers:
                    body = await reader.readexactly(int(headers["content-length"]))
                elif headers.get("transfer-encoding", "").lower() == "chunked":
                    body = await _read_chunked(reader)
                parts = urlsplit(target)
                path = re.sub(r"^/v1\.\d+", "", unquote(parts.path))
                request = Request(method, path, parse_qs(parts.query, keep_blank_values=True), headers, body)
                self.requests.append(request)
                reply = await self._dispatch(request)
                if reply.hijack is not None:
                    writer.write(b"HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n"
                                 b"Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n")  # fmt: skip
                    await writer.drain()
                    await reply.hijack(reader, writer)
                    return
                await self._write(writer, reply, request)
        finally:
            writer.close()

    async def _dispatch(self, request: Request) -> Reply:
        for method, pattern, handler in self._routes:
            if method != request.method:
                continue
            match = pattern.fullmatch(request.path)
            if match:
                reply = handler(request, *match.groups())
                if asyncio.iscoroutine(reply):
                    reply = await reply
                return reply
        return error(404, "page not found")

    async def _write(self, writer: asyncio.StreamWriter, reply: Reply, request: Request) -> None:
        headers = {"Api-Version": self.api_version, "Ostype": "linux", "Server": "Docker/fake"}
        body = reply.body
        if body is not None and not isinstance(body, bytes):
            body = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        headers.update(reply.headers)
        status_line = f"HTTP/1.1 {reply.status} X\r\n"
        if reply.chunks is not None or reply.produce is not None:
            headers["Transfer-Encoding"] = "chunked"
            writer.write((status_line + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode())
            await writer.drain()
            for chunk in reply.chunks or []:
                writer.write(b"%x\r\n%b\r\n" % (len(chunk), chunk))
                await writer.drain()
            if reply.produce is not None:
                async for chunk in reply.produce():
                    writer.write(b"%x\r\n%b\r\n" % (len(chunk), chunk))
                    await writer.drain()
            writer.write(b"0\r\n\r\n")
        else:
            data = body or b""
            if request.method != "HEAD" and reply.status not in (204, 304):
                headers["Content-Length"] = str(len(data))
            elif reply.status not in (204, 304):
                headers["Content-Length"] = "0"
            writer.write((status_line + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode())
            if request.method != "HEAD":
                writer.write(data)
        await writer.drain()

    # -- the routes -------------------------------------------------------------------
    def _install_routes(self) -> None:
        r = self.route
        r("GET", r"/_ping")(lambda req: Reply(200, b"OK"))
        r("HEAD", r"/_ping")(lambda req: Reply(200, b""))
        r("GET", r"/version")(lambda req: Reply(200, {
            "Platform": {"Name": "Fake Engine"}, "Version": "99.0", "ApiVersion": self.api_version,
            "MinAPIVersion": "1.24", "GitCommit": "abc", "GoVersion": "go1", "Os": "linux", "Arch": "amd64",
            "KernelVersion": "6.1", "BuildTime": "2024-01-02T03:04:05.000000000+00:00",
            "Components": [{"Name": "Engine", "Version": "99.0", "Details": {
                "ApiVersion": self.api_version, "MinAPIVersion": "1.24", "GitCommit": "abc", "GoVersion": "go1",
                "Os": "linux", "Arch": "amd64", "BuildTime": "2024-01-02T03:04:05.000000000+00:00",
                "Experimental": "false"}}, {"Name": "runc", "Version": "1.1", "Details": {"GitCommit": "r1"}}],
        }))  # fmt: skip
        r("GET", r"/info")(lambda req: Reply(200, {
            "ID": "FAKE", "Containers": len(self.containers), "ContainersRunning": 0, "ContainersPaused": 0,
            "ContainersStopped": len(self.containers), "Images": len(self.images), "Driver": "overlay2",
            "DriverStatus": [["Backing Filesystem", "extfs"]], "Plugins": {"Volume": ["local"],
            "Network": ["bridge", "host", "null"], "Log": ["json-file"]}, "MemTotal": 1 << 30, "NCPU": 2,
            "OSType": "linux", "Name": "fakehost", "DockerRootDir": "/var/lib/fake", "ServerVersion": "99.0",
            "Swarm": {"LocalNodeState": "inactive"}, "KernelVersion": "6.1", "OperatingSystem": "Debian",
            "Architecture": "x86_64", "LoggingDriver": "json-file", "CgroupDriver": "cgroupfs",
            "CgroupVersion": "1", "Runtimes": {"runc": {"path": "runc"}}, "DefaultRuntime": "runc",
            "ContainerdCommit": {"ID": "c1"}, "RuncCommit": {"ID": "r1"}, "InitCommit": {"ID": ""},
            "SecurityOptions": ["name=seccomp,profile=builtin"], "Warnings": ["WARNING: fake warning"],
        }))  # fmt: skip
        r("GET", r"/system/df")(lambda req: Reply(200, {
            "LayersSize": 2_000_000, "Images": list(self.images.values()),
            "Containers": [c.summary() | {"SizeRw": 100} for c in self.containers.values()],
            "Volumes": [v | {"UsageData": {"Size": 10, "RefCount": 0}} for v in self.volumes.values()],
            "BuildCache": [],
        }))  # fmt: skip
        r("POST", r"/auth")(self._auth)
        r("GET", r"/events")(self._events)
        # containers
        r("GET", r"/containers/json")(self._containers_list)
        r("POST", r"/containers/create")(self._container_create)
        r("POST", r"/containers/prune")(self._containers_prune)
        r("GET", r"/containers/([^/]+)/json")(self._with_container(lambda req, c: Reply(200, c.inspect())))
        r("POST", r"/containers/([^/]+)/start")(self._with_container(self._container_start))
        r("POST", r"/containers/([^/]+)/(stop|kill|restart)")(self._container_signal)
        r("DELETE", r"/containers/([^/]+)")(self._container_remove)
        r("POST", r"/containers/([^/]+)/wait")(self._with_container(self._container_wait))
        r("POST", r"/containers/([^/]+)/attach")(self._with_container(self._container_attach))
        r("POST", r"/containers/([^/]+)/resize")(self._with_container(self._container_resize))
        r("GET", r"/containers/([^/]+)/logs")(self._with_container(self._container_logs))
        r("GET", r"/containers/([^/]+)/top")(self._with_container(lambda req, c: Reply(200, {
            "Titles": ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"],
            "Processes": [["root", "4242", "4200", "0", "10:00", "?", "00:00:00", " ".join(c.cmd)]]})))  # fmt: skip
        r("GET", r"/containers/([^/]+)/changes")(
            self._with_container(
                lambda req, c: Reply(
                    200,
                    [{"Kind": 0, "Path": "/etc"}, {"Kind": 1, "Path": "/etc/new"}, {"Kind": 2, "Path": "/tmp/gone"}],
                )
            )
        )
        r("GET", r"/containers/([^/]+)/export")(self._with_container(lambda req, c: Reply(200, b"TARDATA" * 10)))
        r("GET", r"/containers/([^/]+)/stats")(self._with_container(self._container_stats))
        r("POST", r"/containers/([^/]+)/rename")(self._with_container(self._container_rename))
        r("POST", r"/containers/([^/]+)/(pause|unpause)")(self._container_pause)
        r("POST", r"/containers/([^/]+)/update")(self._with_container(lambda req, c: Reply(200, {"Warnings": []})))
        r("HEAD", r"/containers/([^/]+)/archive")(self._with_container(self._archive_head))
        r("GET", r"/containers/([^/]+)/archive")(self._with_container(self._archive_get))
        r("PUT", r"/containers/([^/]+)/archive")(self._with_container(self._archive_put))
        r("POST", r"/commit")(self._commit)
        # exec
        r("POST", r"/containers/([^/]+)/exec")(self._with_container(self._exec_create))
        r("POST", r"/exec/([^/]+)/start")(self._exec_start)
        r("GET", r"/exec/([^/]+)/json")(lambda req, i: Reply(200, self.execs[i]) if i in self.execs else
                                        error(404, f"No such exec instance: {i}"))  # fmt: skip
        r("POST", r"/exec/([^/]+)/resize")(lambda req, i: Reply(201, b""))
        # images
        r("GET", r"/images/json")(self._images_list)
        r("POST", r"/images/create")(self._image_create)
        r("POST", r"/images/load")(self._image_load)
        r("GET", r"/images/get")(lambda req: Reply(200, b"SAVED:" + ",".join(req.query.get("names", [])).encode(),
                                                     {"Content-Type": "application/x-tar"}))  # fmt: skip
        r("POST", r"/images/prune")(lambda req: Reply(200, {"ImagesDeleted": [{"Deleted": "sha256:" + "d" * 64}],
                                                            "SpaceReclaimed": 5000}))  # fmt: skip
        r("GET", r"/images/(.+)/history")(self._image_history)
        r("GET", r"/images/(.+)/json")(self._image_inspect)
        r("POST", r"/images/(.+)/push")(self._image_push)
        r("POST", r"/images/(.+)/tag")(self._image_tag)
        r("DELETE", r"/images/(.+)")(self._image_remove)
        r("POST", r"/build")(self._build)
        # volumes and networks
        r("GET", r"/volumes")(lambda req: Reply(200, {"Volumes": list(self.volumes.values()), "Warnings": None}))
        r("POST", r"/volumes/create")(self._volume_create)
        r("POST", r"/volumes/prune")(lambda req: Reply(200, {"VolumesDeleted": ["old"], "SpaceReclaimed": 2048}))
        r("GET", r"/volumes/([^/]+)")(lambda req, n: Reply(200, self.volumes[n]) if n in self.volumes else
                                      error(404, f"get {n}: no such volume"))  # fmt: skip
        r("DELETE", r"/volumes/([^/]+)")(self._volume_remove)
        r("GET", r"/networks")(lambda req: Reply(200, list(self.networks.values())))
        r("POST", r"/networks/create")(self._network_create)
        r("POST", r"/networks/prune")(lambda req: Reply(200, {"NetworksDeleted": ["unused"]}))
        r("GET", r"/networks/([^/]+)")(lambda req, n: Reply(200, self.networks[n]) if n in self.networks else
                                       error(404, f"network {n} not found"))  # fmt: skip
        r("DELETE", r"/networks/([^/]+)")(self._network_remove)
        r("POST", r"/networks/([^/]+)/(connect|disconnect)")(lambda req, n, a: Reply(200, b""))

    def _with_container(self, handler: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(request: Request, ref: str, *rest: str) -> Any:
            container = self.find_container(ref)
            if container is None:
                return error(404, f"No such container: {ref}")
            return handler(request, container, *rest)

        return wrapped

    # system
    def _auth(self, request: Request) -> Reply:
        config = request.json() or {}
        self.logins.append(config)
        if config.get("password") == "wrong":
            return error(401, 'Get "https://registry/v2/": unauthorized: incorrect username or password')
        return Reply(200, {"Status": "Login Succeeded", "IdentityToken": ""})

    def _events(self, request: Request) -> Reply:
        filters = json.loads(request.q("filters") or "{}")
        kinds = set(filters.get("type", {}))
        chunks = [json.dumps(e).encode() + b"\n" for e in self.events if not kinds or e["Type"] in kinds]
        return Reply(200, headers={"Content-Type": "application/json"}, chunks=chunks)

    # containers
    def _containers_list(self, request: Request) -> Reply:
        everything = request.q("all") in ("1", "true")
        found = [c.summary() for c in self.containers.values() if everything or c.state in ("running", "paused")]
        filters = json.loads(request.q("filters") or "{}")
        for status in filters.get("status", {}):
            found = [c for c in found if c["State"] == status]
        limit = int(request.q("limit") or 0)
        found = sorted(found, key=lambda c: c["Id"], reverse=True)
        if limit > 0:
            found = found[:limit]
        if request.q("size") in ("1", "true"):
            for summary in found:
                summary["SizeRw"], summary["SizeRootFs"] = 12, 1_990_012
        return Reply(200, found)

    def _container_create(self, request: Request) -> Reply:
        body = request.json()
        image = body["Image"]
        if self.find_image(image) is None:
            return error(404, f"No such image: {image if ':' in image else image + ':latest'}")
        name = request.q("name") or f"fake_{len(self.containers)}"
        if self.find_container(name) is not None:
            return error(409, f'Conflict. The container name "/{name}" is already in use.')
        container = Container(self.new_id(), name, image, list(body.get("Cmd") or []), body, body["HostConfig"])
        container.on_exit = self._exited
        self.containers[container.id] = container
        self.emit("container", "create", container.id, {"name": name, "image": image})
        return Reply(201, {"Id": container.id, "Warnings": ["fake create warning"] if name == "warn" else []})

    def _exited(self, container: Container) -> None:
        self.emit("container", "die", container.id, {"exitCode": str(container.exit_code), "name": container.name})
        if container.host_config.get("AutoRemove"):
            self.containers.pop(container.id, None)

    def _containers_prune(self, request: Request) -> Reply:
        gone = [c.id for c in self.containers.values() if c.state == "exited"]
        for cid in gone:
            del self.containers[cid]
        return Reply(200, {"ContainersDeleted": gone, "SpaceReclaimed": 1000 * len(gone)})

    def _container_start(self, request: Request, container: Container) -> Reply:
        if container.state == "running":
            return Reply(304, b"")
        program = container.cmd[0] if container.cmd else ""
        if program == "nosuch":
            return error(400, 'failed to create task for container: OCI runtime create failed: runc create failed: '
                              'unable to start container process: exec: "nosuch": executable file not found in '
                              '$PATH: unknown')  # fmt: skip
        if program == "/etc":
            return error(400, 'OCI runtime create failed: exec: "/etc": permission denied: unknown')
        container.state = "running"
        container.started.set()
        self.emit("container", "start", container.id, {"name": container.name})
        asyncio.get_running_loop().create_task(self._run_program(container))
        return Reply(204, b"")

    async def _run_program(self, container: Container) -> None:
        program, args = (container.cmd[0], container.cmd[1:]) if container.cmd else ("true", [])
        await asyncio.sleep(0.05)  # let attached clients settle
        tty = bool(container.config.get("Tty"))
        if program == "echo":
            container.publish(1, (" ".join(args) + "\n").encode())
            container.finish(0)
        elif program == "fail":
            container.publish(2, b"failing\n")
            container.finish(int(args[0]) if args else 1)
        elif program == "cat":
            while True:
                data = await container.stdin.get()
                if data is None:
                    break
                if tty and b"\x04" in data:
                    break
                container.publish(1, data)
            container.finish(0)
        elif program == "sleep":
            await container.exited.wait()
        else:
            container.finish(0)

    def _container_signal(self, request: Request, ref: str, action: str) -> Reply:
        container = self.find_container(ref)
        if container is None:
            return error(404, f"No such container: {ref}")
        if action == "kill" and container.state != "running":
            return error(409, f"Cannot kill container: {ref}: Container {container.id} is not running")
        if container.state == "running":
            container.finish(137 if action == "kill" else 143)
        if action == "restart":
            container.exited = asyncio.Event()
            container.state = "running"
        return Reply(204, b"")

    def _container_remove(self, request: Request, ref: str) -> Reply:
        container = self.find_container(ref)
        if container is None:
            return error(404, f"No such container: {ref}")
        if container.state == "running" and request.q("force") not in ("1", "true"):
            return error(409, f"You cannot remove a running container {container.id}. Stop the container before "
                              "attempting removal or force remove")  # fmt: skip
        del self.containers[container.id]
        return Reply(204, b"")

    async def _container_wait(self, request: Request, container: Container) -> Reply:
        condition = request.q("condition") or "not-running"
        if condition == "not-running" and container.state not in ("running", "paused"):
            return Reply(200, {"StatusCode": container.exit_code, "Error": None})

        async def produce() -> AsyncIterator[bytes]:
            await container.exited.wait()
            yield json.dumps({"StatusCode": container.exit_code, "Error": None}).encode() + b"\n"

        return Reply(200, headers={"Content-Type": "application/json"}, produce=produce)

    async def _container_attach(self, request: Request, container: Container) -> Reply:
        with_stdin = request.q("stdin") in ("1", "true")
        tty = bool(container.config.get("Tty"))
        queue: asyncio.Queue[tuple[int, bytes] | None] = asyncio.Queue()
        container.subscribers.append(queue)

        async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            async def read_stdin() -> None:
                while True:
                    data = await reader.read(4096)
                    if not data:
                        container.stdin.put_nowait(None)
                        return
                    container.stdin.put_nowait(data)

            reading = asyncio.get_running_loop().create_task(read_stdin()) if with_stdin else None
            try:
                while True:
                    item = await queue.get()
                    if item is None:
                        break
                    stream, data = item
                    writer.write(data if tty else frame(stream, data))
                    await writer.drain()
            finally:
                if reading is not None:
                    reading.cancel()
                container.subscribers.remove(queue)

        return Reply(hijack=pump)

    def _container_resize(self, request: Request, container: Container) -> Reply:
        container.resizes.append((int(request.q("h")), int(request.q("w"))))
        return Reply(200, b"")

    def _container_logs(self, request: Request, container: Container) -> Reply:
        tty = bool(container.config.get("Tty"))
        chunks = [data if tty else frame(stream, data) for stream, data in container.log]
        return Reply(200, headers={"Content-Type": "application/vnd.docker.multiplexed-stream"}, chunks=chunks)

    def _container_stats(self, request: Request, container: Container) -> Reply:
        document = {
            "name": "/" + container.name, "id": container.id,
            "cpu_stats": {"cpu_usage": {"total_usage": 3_000_000}, "system_cpu_usage": 20_000_000, "online_cpus": 2},
            "precpu_stats": {"cpu_usage": {"total_usage": 1_000_000}, "system_cpu_usage": 10_000_000},
            "memory_stats": {"usage": 3 * 1024 * 1024, "limit": 1024 * 1024 * 1024,
                             "stats": {"inactive_file": 1024 * 1024}},
            "networks": {"eth0": {"rx_bytes": 1500, "tx_bytes": 500}},
            "blkio_stats": {"io_service_bytes_recursive": [{"op": "read", "value": 4096},
                                                           {"op": "write", "value": 8192}]},
            "pids_stats": {"current": 3},
        }  # fmt: skip
        return Reply(200, headers={"Content-Type": "application/json"}, chunks=[json.dumps(document).encode() + b"\n"])

    def _container_rename(self, request: Request, container: Container) -> Reply:
        new = request.q("name")
        if self.find_container(new) is not None:
            return error(409, f'Conflict. The container name "/{new}" is already in use.')
        container.name = new
        return Reply(204, b"")

    def _container_pause(self, request: Request, ref: str, action: str) -> Reply:
        container = self.find_container(ref)
        if container is None:
            return error(404, f"No such container: {ref}")
        if action == "pause":
            if container.state != "running":
                return error(409, f"Container {container.id} is not running")
            container.state = "paused"
        else:
            if container.state != "paused":
                return error(409, f"Container {container.id} is not paused")
            container.state = "running"
        return Reply(204, b"")

    def _stat(self, container: Container, path: str) -> dict[str, Any] | None:
        if path in container.files:
            return {"name": Path(path).name, "size": len(container.files[path]), "mode": 0o644, "mtime": "",
                    "linkTarget": ""}  # fmt: skip
        if any(f.startswith(path.rstrip("/") + "/") for f in container.files) or path == "/":
            return {"name": Path(path).name or "/", "size": 4096, "mode": (1 << 31) | 0o755, "mtime": "",
                    "linkTarget": ""}  # fmt: skip
        return None

    def _archive_head(self, request: Request, container: Container) -> Reply:
        stat = self._stat(container, request.q("path"))
        if stat is None:
            return Reply(404, b"")
        return Reply(200, b"", {"X-Docker-Container-Path-Stat": base64.b64encode(json.dumps(stat).encode()).decode()})

    def _archive_get(self, request: Request, container: Container) -> Reply:
        path = request.q("path").rstrip("/") or "/"
        if path.endswith("/."):
            path = path[:-2]
        stat = self._stat(container, path)
        if stat is None:
            return error(404, f"Could not find the file {path} in container {container.name}")
        buffer = io.BytesIO()
        base = Path(path).name
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            if stat["mode"] & (1 << 31):
                info = tarfile.TarInfo(base)
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
                for name, data in sorted(container.files.items()):
                    if name.startswith(path + "/"):
                        info = tarfile.TarInfo(base + name[len(path) :])
                        info.size = len(data)
                        tar.addfile(info, io.BytesIO(data))
            else:
                info = tarfile.TarInfo(base)
                info.size = len(container.files[path])
                tar.addfile(info, io.BytesIO(container.files[path]))
        header = base64.b64encode(json.dumps(stat).encode()).decode()
        return Reply(200, buffer.getvalue(), {"X-Docker-Container-Path-Stat": header,
                                              "Content-Type": "application/x-tar"})  # fmt: skip

    def _archive_put(self, request: Request, container: Container) -> Reply:
        target = request.q("path").rstrip("/") or ""
        with tarfile.open(fileobj=io.BytesIO(request.body)) as tar:
            for member in tar:
                if member.isfile():
                    data = tar.extractfile(member)
                    assert data is not None
                    name = member.name.removeprefix("./")
                    container.files[f"{target}/{name}"] = data.read()
        return Reply(200, b"")

    def _commit(self, request: Request) -> Reply:
        container = self.find_container(request.q("container"))
        if container is None:
            return error(404, f"No such container: {request.q('container')}")
        new = "e" * 64
        tag = f"{request.q('repo')}:{request.q('tag')}" if request.q("repo") else "<none>:<none>"
        self.add_image(tag, new)
        return Reply(201, {"Id": "sha256:" + new})

    # exec
    def _exec_create(self, request: Request, container: Container) -> Reply:
        if container.state != "running":
            return error(409, f"Container {container.id} is not running")
        exec_id = "x" * 60 + f"{len(self.execs):04d}"
        self.execs[exec_id] = {"ID": exec_id, "Running": False, "ExitCode": None, "ProcessConfig":
                               {"entrypoint": request.json()["Cmd"][0]}, "Config": request.json(),
                               "ContainerID": container.id}  # fmt: skip
        return Reply(201, {"Id": exec_id})

    def _exec_start(self, request: Request, exec_id: str) -> Reply:
        if exec_id not in self.execs:
            return error(404, f"No such exec instance: {exec_id}")
        state = self.execs[exec_id]
        cmd = state["Config"]["Cmd"]
        body = request.json() or {}
        code = 0
        output = b""
        if cmd[0] == "echo":
            output = (" ".join(cmd[1:]) + "\n").encode()
        elif cmd[0] == "fail":
            code = int(cmd[1])
        elif cmd[0] == "nosuch":
            output, code = b'OCI runtime exec failed: exec failed: "nosuch": executable file not found\r\n', 127
        elif cmd[0] == "env":
            output = "".join(f"{e}\n" for e in state["Config"].get("Env") or []).encode()
        state["ExitCode"] = code
        if body.get("Detach"):
            return Reply(200, b"")
        tty = bool(body.get("Tty"))

        async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            if cmd[0] == "cat":
                while data := await reader.read(4096):
                    writer.write(data if tty else frame(1, data))
                    await writer.drain()
                return
            if output:
                writer.write(output if tty else frame(1, output))
                await writer.drain()

        return Reply(hijack=pump)

    # images
    async def _image_create(self, request: Request) -> Reply:
        name, tag = request.q("fromImage"), request.q("tag")
        if request.q("fromSrc"):
            new = "f" * 64
            self.add_image(request.q("repo") or "<none>:<none>", new)
            return Reply(200, headers={"Content-Type": "application/json"},
                         chunks=[json.dumps({"status": "sha256:" + new}).encode() + b"\n"])  # fmt: skip
        self.pulled.append(f"{name}:{tag}|{request.headers.get('x-registry-auth', '')}")
        if self.pull_error:
            return error(404, self.pull_error)
        short = name.removeprefix("docker.io/").removeprefix("library/")
        layer = "a1b2c3d4e5f6"
        messages: list[dict[str, Any]] = [
            {"status": f"Pulling from library/{short}", "id": tag},
            {"status": "Pulling fs layer", "progressDetail": {}, "id": layer},
            {"status": "Downloading", "progressDetail": {"current": 500, "total": 1000},
             "progress": "[=====>  ]", "id": layer},
            {"status": "Download complete", "progressDetail": {}, "id": layer},
            {"status": "Pull complete", "progressDetail": {}, "id": layer},
            {"status": "Digest: sha256:" + "9" * 64},
            {"status": f"Status: Downloaded newer image for {short}:{tag}"},
        ]  # fmt: skip
        self.add_image(f"{short}:{tag}", "9" * 64)
        return Reply(200, headers={"Content-Type": "application/json"},
                     chunks=[json.dumps(m).encode() + b"\r\n" for m in messages])  # fmt: skip

    def _image_load(self, request: Request) -> Reply:
        self.uploads["load"] = request.body
        if request.q("quiet") in ("1", "true"):
            body = json.dumps({"stream": "Loaded image: loaded:latest\n"}).encode() + b"\n"
        else:
            body = (json.dumps({"status": "Loading layer", "progressDetail": {"current": 10, "total": 10},
                                "id": "abc"}) + "\n" + json.dumps({"stream": "Loaded image: loaded:latest\n"})
                    + "\n").encode()  # fmt: skip
        return Reply(200, body, {"Content-Type": "application/json"})

    def _images_list(self, request: Request) -> Reply:
        wanted = list(json.loads(request.q("filters") or "{}").get("reference", {}))
        found = [i for i in self.images.values() if not wanted or any(
            t.split(":")[0] == w.split(":")[0] for t in i["RepoTags"] for w in wanted)]  # fmt: skip
        return Reply(200, found)

    def _image_inspect(self, request: Request, ref: str) -> Reply:
        image = self.find_image(ref)
        if image is None:
            return error(404, f"No such image: {ref}")
        return Reply(200, {"Id": image["Id"], "RepoTags": image["RepoTags"], "Config": {"Cmd": ["sh"],
                           "Labels": None}, "Size": image["Size"]})  # fmt: skip

    def _image_history(self, request: Request, ref: str) -> Reply:
        image = self.find_image(ref)
        if image is None:
            return error(404, f"No such image: {ref}")
        return Reply(200, [
            {"Id": image["Id"], "Created": image["Created"], "CreatedBy": "/bin/sh -c #(nop)\tCMD [\"sh\"]",
             "Tags": image["RepoTags"], "Size": 0, "Comment": ""},
            {"Id": "<missing>", "Created": image["Created"], "CreatedBy": "/bin/sh -c #(nop) ADD file:" + "0" * 60,
             "Tags": None, "Size": 1_990_000, "Comment": "imported"},
        ])  # fmt: skip

    def _image_push(self, request: Request, name: str) -> Reply:
        self.pulled.append(f"push {name}:{request.q('tag')}|{request.headers.get('x-registry-auth', '')}")
        messages = [
            {"status": f"The push refers to repository [{name}]"},
            {"status": "Preparing", "progressDetail": {}, "id": "a1b2c3d4e5f6"},
            {"status": "Pushing", "progressDetail": {"current": 10, "total": 20}, "progress": "[==> ]",
             "id": "a1b2c3d4e5f6"},
            {"status": "Pushed", "progressDetail": {}, "id": "a1b2c3d4e5f6"},
            {"status": f"{request.q('tag')}: digest: sha256:{'7' * 64} size: 527"},
            {"progressDetail": {}, "aux": {"Tag": request.q("tag"), "Digest": "sha256:" + "7" * 64, "Size": 527}},
        ]  # fmt: skip
        if "denied" in name:
            denied = "denied: requested access to the resource is denied"
            messages = [messages[0], {"errorDetail": {"message": denied}, "error": denied}]
        return Reply(200, headers={"Content-Type": "application/json"},
                     chunks=[json.dumps(m).encode() + b"\n" for m in messages])  # fmt: skip

    def _image_tag(self, request: Request, ref: str) -> Reply:
        image = self.find_image(ref)
        if image is None:
            return error(404, f"No such image: {ref}")
        repo = request.q("repo").removeprefix("docker.io/").removeprefix("library/")
        image["RepoTags"].append(f"{repo}:{request.q('tag') or 'latest'}")
        return Reply(201, b"")

    def _image_remove(self, request: Request, ref: str) -> Reply:
        image = self.find_image(ref)
        if image is None:
            return error(404, f"No such image: {ref}")
        tag = ref if ":" in ref else ref + ":latest"
        if tag in image["RepoTags"] and len(image["RepoTags"]) > 1:
            image["RepoTags"].remove(tag)
            return Reply(200, [{"Untagged": tag}])
        del self.images[image["Id"]]
        return Reply(200, [{"Untagged": tag}, {"Deleted": image["Id"]}])

    def _build(self, request: Request) -> Reply:
        self.uploads["build"] = request.body
        names: list[str] = []
        if request.body:
            with tarfile.open(fileobj=io.BytesIO(request.body)) as tar:
                names = tar.getnames()
        messages = [
            {"stream": "Step 1/2 : FROM busybox\n"}, {"stream": " ---> aaaaaaaaaaaa\n"},
            {"stream": f"Step 2/2 : RUN ls ({len(names)} files: {','.join(sorted(names))})\n"},
            {"aux": {"ID": "sha256:" + "8" * 64}}, {"stream": "Successfully built 888888888888\n"},
        ]  # fmt: skip
        for tag in request.query.get("t", []):
            messages.append({"stream": f"Successfully tagged {tag}\n"})
        if request.query.get("q") == ["1"]:  # quiet: Docker's daemon sends only the image ID
            messages = [{"aux": {"ID": "sha256:" + "8" * 64}}, {"stream": "sha256:" + "8" * 64 + "\n"}]
        return Reply(200, headers={"Content-Type": "application/json"},
                     chunks=[json.dumps(m).encode() + b"\n" for m in messages])  # fmt: skip

    # volumes and networks
    def _volume_create(self, request: Request) -> Reply:
        body = request.json()
        name = body.get("Name") or "f" * 64
        self.volumes[name] = {"Name": name, "Driver": body.get("Driver") or "local", "Mountpoint":
                              f"/var/lib/fake/volumes/{name}/_data", "Labels": body.get("Labels") or {},
                              "Scope": "local", "Options": body.get("DriverOpts") or {},
                              "CreatedAt": "2024-01-01T00:00:00Z"}  # fmt: skip
        return Reply(201, self.volumes[name])

    def _volume_remove(self, request: Request, name: str) -> Reply:
        if name not in self.volumes:
            return error(404, f"get {name}: no such volume")
        del self.volumes[name]
        return Reply(204, b"")

    def _network_create(self, request: Request) -> Reply:
        body = request.json()
        network_id = "9" * 64
        self.networks[body["Name"]] = {"Name": body["Name"], "Id": network_id, "Driver": body["Driver"],
                                       "Scope": "local", "Created": "2024-01-01T00:00:00Z",
                                       "Labels": body.get("Labels") or {}, "IPAM": body.get("IPAM")}  # fmt: skip
        return Reply(201, {"Id": network_id, "Warning": ""})

    def _network_remove(self, request: Request, name: str) -> Reply:
        if name not in self.networks:
            return error(404, f"network {name} not found")
        del self.networks[name]
        return Reply(204, b"")


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    """A request body sent with chunked encoding (streamed uploads)."""
    parts = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)
