"""Volume plugins: finding them as Docker does, and a driver that speaks ``VolumeDriver.*`` to them.

Discovery (Docker's legacy "v1" plugins, which every volume plugin
supports): a unix socket ``NAME.sock`` or ``NAME/NAME.sock`` in the sockets
directory (``/run/docker/plugins``), or a spec file ``NAME.spec`` (a URL)
or ``NAME.json`` (``{"Name", "Addr"}``) in the spec directories
(``/etc/docker/plugins``, ``/usr/lib/docker/plugins``). A plugin is
activated once (``Plugin.Activate`` must list ``VolumeDriver`` in
``Implements``) and then called for each operation.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ._driver import GLOBAL_SCOPE, LOCAL_SCOPE, DriverVolume
from ._errors import DriverNotFound, VolumeDriverError
from ._pluginclient import PluginAddress, PluginCallError, PluginClient

__all__ = ["DEFAULT_PLUGIN_SOCKETS", "DEFAULT_PLUGIN_SPECS", "PluginDriver", "PluginRegistry"]

DEFAULT_PLUGIN_SOCKETS = ("/run/docker/plugins",)
DEFAULT_PLUGIN_SPECS = ("/etc/docker/plugins", "/usr/lib/docker/plugins")
VOLUME_DRIVER = "VolumeDriver"


def _is_socket(path: Path) -> bool:
    try:
        return stat.S_ISSOCK(path.stat().st_mode)
    except OSError:
        return False


@dataclass(frozen=True, slots=True)
class PluginRegistry:
    """Where plugins are looked for (Docker's defaults unless told otherwise)."""

    socket_dirs: Sequence[Path] = field(default_factory=lambda: [Path(p) for p in DEFAULT_PLUGIN_SOCKETS])
    spec_dirs: Sequence[Path] = field(default_factory=lambda: [Path(p) for p in DEFAULT_PLUGIN_SPECS])

    def find(self, name: str) -> PluginAddress | None:
        """The address of plugin ``name``, or ``None`` when there is no such plugin (blocking, cheap)."""
        if not name or "/" in name or name in (".", ".."):
            return None
        for base in self.socket_dirs:
            for path in (base / f"{name}.sock", base / name / f"{name}.sock"):
                if _is_socket(path):
                    return PluginAddress(name, f"unix://{path}")
        for base in self.spec_dirs:
            for ext in (".spec", ".json"):
                for path in (base / f"{name}{ext}", base / name / f"{name}{ext}"):
                    try:
                        text = path.read_text()
                    except OSError:
                        continue
                    if ext == ".json":
                        with contextlib.suppress(ValueError, AttributeError):
                            addr = str(json.loads(text).get("Addr", ""))
                            if addr:
                                return PluginAddress(name, addr)
                        continue
                    addr = text.strip()
                    if "://" in addr:
                        return PluginAddress(name, addr)
        return None

    def scan(self) -> list[str]:
        """The names of every plugin found (whatever it implements)."""
        names: list[str] = []
        for base in self.socket_dirs:
            with contextlib.suppress(OSError):
                for entry in os.scandir(base):
                    path = Path(entry.path)
                    if entry.is_dir(follow_symlinks=False):
                        path = path / f"{entry.name}.sock"
                    if path.name.endswith(".sock") and _is_socket(path):
                        names.append(path.name[: -len(".sock")])
        for base in self.spec_dirs:
            with contextlib.suppress(OSError):
                for entry in os.scandir(base):
                    stem, ext = os.path.splitext(entry.name)
                    if entry.is_dir(follow_symlinks=False):
                        if any((Path(entry.path) / f"{entry.name}{e}").exists() for e in (".spec", ".json")):
                            names.append(entry.name)
                    elif ext in (".spec", ".json"):
                        names.append(stem)
        return sorted(set(names))


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    text = value.replace("Z", "+00:00")
    if "." in text:  # Go writes nanoseconds; Python reads at most microseconds
        head, _, tail = text.partition(".")
        digits = "".join(c for c in tail if c.isdigit())
        zone = tail[len(digits) :]
        text = f"{head}.{digits[:6]}{zone}"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


class PluginDriver:
    """A volume driver served by a plugin."""

    def __init__(self, client: PluginClient) -> None:
        self.client = client
        self._scope: str | None = None

    @property
    def name(self) -> str:
        """The plugin's name."""
        return self.client.address.name

    @classmethod
    async def activate(cls, address: PluginAddress, *, retry_for: float = 30.0) -> PluginDriver:
        """Handshake with the plugin (``Plugin.Activate``); DriverNotFound when it is not a volume driver."""
        client = PluginClient(address)
        manifest = await client.call("Plugin.Activate", None, retry_for=retry_for)
        implements = manifest.get("Implements") or []
        if VOLUME_DRIVER not in implements:
            raise DriverNotFound(
                f"error looking up volume plugin {address.name}: Plugin does not implement the requested driver: "
                f'plugin="{address.name}", requested implementation="{VOLUME_DRIVER}"'
            )
        return cls(client)

    async def scope(self) -> str:
        """From ``VolumeDriver.Capabilities`` (``local`` when the plugin does not say, or fails)."""
        if self._scope is None:
            try:
                answer = await self.client.call("VolumeDriver.Capabilities", {})
                caps = answer.get("Capabilities") or {}
                scope = str(caps.get("Scope") or LOCAL_SCOPE).lower()
            except VolumeDriverError:
                scope = LOCAL_SCOPE
            self._scope = scope if scope in (LOCAL_SCOPE, GLOBAL_SCOPE) else LOCAL_SCOPE
        return self._scope

    def _volume(self, raw: dict[str, Any]) -> DriverVolume:
        status = raw.get("Status")
        return DriverVolume(
            name=str(raw.get("Name", "")),
            mountpoint=str(raw.get("Mountpoint") or ""),
            created_at=_parse_time(raw.get("CreatedAt")),
            status=status if isinstance(status, dict) else None,
        )

    async def create(self, name: str, options: dict[str, str]) -> DriverVolume:
        """``VolumeDriver.Create`` then what ``Get`` says of it."""
        await self.client.call("VolumeDriver.Create", {"Name": name, "Opts": options or None}, long=True)
        return await self.get(name) or DriverVolume(name=name, mountpoint="")

    async def get(self, name: str) -> DriverVolume | None:
        """``VolumeDriver.Get``; ``None`` when the plugin says it has no such volume."""
        try:
            answer = await self.client.call("VolumeDriver.Get", {"Name": name})
        except PluginCallError:
            return None
        raw = answer.get("Volume")
        return self._volume(raw) if isinstance(raw, dict) else None

    async def list(self) -> list[DriverVolume]:
        """``VolumeDriver.List``."""
        answer = await self.client.call("VolumeDriver.List", {})
        return [self._volume(v) for v in answer.get("Volumes") or [] if isinstance(v, dict)]

    async def remove(self, name: str) -> None:
        """``VolumeDriver.Remove``."""
        await self.client.call("VolumeDriver.Remove", {"Name": name})

    async def path(self, name: str) -> str:
        """``VolumeDriver.Path``: where the volume is mounted now (``""`` when it is not)."""
        answer = await self.client.call("VolumeDriver.Path", {"Name": name})
        return str(answer.get("Mountpoint") or "")

    async def mount(self, name: str, ref: str) -> str:
        """``VolumeDriver.Mount`` with the mount's ID; the host path it gives."""
        answer = await self.client.call("VolumeDriver.Mount", {"Name": name, "ID": ref}, long=True)
        mountpoint = str(answer.get("Mountpoint") or "")
        if not mountpoint:
            raise VolumeDriverError(f"VolumeDriver.Mount: the plugin {self.name} gave no mount point for {name}")
        return mountpoint

    async def unmount(self, name: str, ref: str) -> None:
        """``VolumeDriver.Unmount`` with the mount's ID."""
        await self.client.call("VolumeDriver.Unmount", {"Name": name, "ID": ref})
