"""A small volume plugin for tests: Docker's VolumeDriver protocol over HTTP on a unix socket.

It keeps each volume as a directory under its own root and answers
``Plugin.Activate`` and every ``VolumeDriver.*`` call the way plugins do
(JSON in, JSON out, ``Err`` on failure); ``Mount`` hands out the directory
and counts the IDs that hold it, so a test can check that mounts and
unmounts pair up. Run it in-process (``async with plugin.serving():``) or
as a separate process, as a real plugin runs::

    python -m pymoby.daemon.volume.testing /run/docker/plugins/NAME.sock /var/lib/NAME [--capabilities-scope global]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import anyio.abc

__all__ = ["FakeVolumePlugin"]

_MIMETYPE = "application/vnd.docker.plugins.v1.2+json"
_VOLUME_METHODS = frozenset(f"VolumeDriver.{m}" for m in ("Create", "Get", "Path", "Mount", "Unmount", "Remove"))


@dataclass
class FakeVolumePlugin:
    """A VolumeDriver plugin serving ``socket``, its volumes in ``root``."""

    socket: Path
    root: Path
    scope: str = "local"
    implements: tuple[str, ...] = ("VolumeDriver",)
    #: Every call received, in order: (method, request body).
    calls: list[tuple[str, Any]] = field(default_factory=list)
    #: Volume name -> the mount IDs holding it now.
    mounts: dict[str, set[str]] = field(default_factory=dict)

    def _path(self, name: str) -> Path:
        return self.root / name

    def _volume(self, name: str) -> dict[str, Any]:
        path = self._path(name)
        created = datetime.fromtimestamp(path.stat().st_ctime, UTC).isoformat().replace("+00:00", "Z")
        answer: dict[str, Any] = {"Name": name, "CreatedAt": created, "Status": {"fake": "yes"}}
        if self.mounts.get(name):
            answer["Mountpoint"] = str(path)
        return answer

    def handle(self, method: str, body: Any) -> tuple[int, dict[str, Any]]:
        """Answer one call: (HTTP status, JSON body)."""
        self.calls.append((method, body))
        args = body if isinstance(body, dict) else {}
        name = str(args.get("Name", ""))
        if method == "Plugin.Activate":
            return 200, {"Implements": list(self.implements)}
        if method == "VolumeDriver.Capabilities":
            return 200, {"Capabilities": {"Scope": self.scope}}
        if method == "VolumeDriver.List":
            names = sorted(p.name for p in self.root.iterdir() if p.is_dir())
            return 200, {"Volumes": [{"Name": n, "Mountpoint": ""} for n in names]}
        if method not in _VOLUME_METHODS:
            return 404, {"Err": f"unknown method {method}"}
        if not name or "/" in name or name in (".", ".."):
            return 200, {"Err": f"invalid volume name {name!r}"}
        path = self._path(name)
        if method == "VolumeDriver.Create":
            opts = args.get("Opts") or {}
            if opts.get("fail"):
                return 200, {"Err": f"refusing to create {name}: {opts['fail']}"}
            path.mkdir(exist_ok=True)
            (path / ".opts.json").write_text(json.dumps(opts))
            return 200, {}
        if not path.is_dir():
            return 200, {"Err": f"no such volume: {name}"}
        if method == "VolumeDriver.Get":
            return 200, {"Volume": self._volume(name)}
        if method == "VolumeDriver.Path":
            return 200, {"Mountpoint": str(path) if self.mounts.get(name) else ""}
        if method == "VolumeDriver.Mount":
            self.mounts.setdefault(name, set()).add(str(args.get("ID", "")))
            return 200, {"Mountpoint": str(path)}
        if method == "VolumeDriver.Unmount":
            self.mounts.get(name, set()).discard(str(args.get("ID", "")))
            return 200, {}
        if method == "VolumeDriver.Remove":
            if self.mounts.get(name):
                return 200, {"Err": f"volume {name} is mounted"}
            shutil.rmtree(path)
        return 200, {}

    async def _serve_one(self, stream: anyio.abc.ByteStream) -> None:
        async with stream:
            data = b""
            while b"\r\n\r\n" not in data:
                try:
                    data += await stream.receive()
                except anyio.EndOfStream:
                    return
            head, _, body = data.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method = lines[0].split()[1].lstrip("/")
            length = 0
            for line in lines[1:]:
                key, _, value = line.partition(":")
                if key.strip().lower() == "content-length":
                    length = int(value.strip())
            while len(body) < length:
                try:
                    body += await stream.receive()
                except anyio.EndOfStream:
                    break
            try:
                request = json.loads(body) if body.strip() else None
            except ValueError:
                request = None
            status, answer = self.handle(method, request)
            payload = json.dumps(answer).encode()
            reason = "OK" if status == 200 else "Not Found"
            await stream.send(
                f"HTTP/1.1 {status} {reason}\r\nContent-Type: {_MIMETYPE}\r\nContent-Length: {len(payload)}\r\n"
                f"Connection: close\r\n\r\n".encode("latin-1")
                + payload
            )

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator[FakeVolumePlugin]:
        """Listen on the socket for the duration of the block."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.socket.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            self.socket.unlink()
        listener = await anyio.create_unix_listener(self.socket)
        try:
            async with listener, anyio.create_task_group() as tg:
                tg.start_soon(listener.serve, self._serve_one)
                try:
                    yield self
                finally:
                    tg.cancel_scope.cancel()
        finally:
            with contextlib.suppress(FileNotFoundError):
                self.socket.unlink()


async def _main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="a volume plugin for tests")
    parser.add_argument("socket", type=Path)
    parser.add_argument("root", type=Path)
    parser.add_argument("--capabilities-scope", default="local")
    args = parser.parse_args(argv)
    plugin = FakeVolumePlugin(args.socket, args.root, scope=args.capabilities_scope)
    async with plugin.serving():
        with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
            async for _ in signals:
                break


if __name__ == "__main__":
    os.umask(0o022)
    anyio.run(_main)
