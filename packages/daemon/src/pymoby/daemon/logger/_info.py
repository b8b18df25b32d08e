"""What a driver knows about the container it logs for (Docker's ``logger.Info``).

Also the options every driver shares: ``labels``, ``labels-regex``, ``env``,
``env-regex`` (extra attributes taken from the container's labels and
environment) and ``tag`` (a template over the container's names and IDs).
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pymoby import errdefs

__all__ = ["LogInfo", "default_log_path"]

_TAG_FIELD = re.compile(r"\{\{\s*\.(\w+)\s*\}\}")


@dataclass(frozen=True, slots=True)
class LogInfo:
    """The container a driver instance logs for, and its ``--log-opt`` options (``config``)."""

    config: Mapping[str, str] = field(default_factory=dict)
    container_id: str = ""
    container_name: str = ""
    container_entrypoint: str = ""
    container_args: Sequence[str] = ()
    container_image_id: str = ""
    container_image_name: str = ""
    container_created: str = ""
    container_env: Sequence[str] = ()
    container_labels: Mapping[str, str] = field(default_factory=dict)
    log_path: str = ""
    daemon_name: str = "pymoby"

    # -- the tag template's fields (Docker's Info methods) ---------------------
    @property
    def id(self) -> str:
        """The container's short ID (12 characters)."""
        return self.container_id[:12]

    @property
    def name(self) -> str:
        """The container's name without its leading ``/``."""
        return self.container_name.lstrip("/")

    @property
    def command(self) -> str:
        """Entrypoint and arguments, space separated."""
        return " ".join([self.container_entrypoint, *self.container_args])

    @property
    def image_id(self) -> str:
        """The image's short ID (12 hex digits, without ``sha256:``)."""
        return self.container_image_id.removeprefix("sha256:")[:12]

    def extra_attributes(self) -> dict[str, str]:
        """Attributes chosen by ``labels``/``labels-regex``/``env``/``env-regex``.

        Raises ``InvalidParameter`` for a regular expression that does not compile.
        """
        extra: dict[str, str] = {}
        config = self.config
        for name in filter(None, config.get("labels", "").split(",")):
            if name in self.container_labels:
                extra[name] = self.container_labels[name]
        if config.get("labels-regex"):
            pattern = _compile(config["labels-regex"])
            extra.update({k: v for k, v in self.container_labels.items() if pattern.search(k)})
        env = dict(item.split("=", 1) for item in self.container_env if "=" in item)
        if not env:
            return extra
        for name in filter(None, config.get("env", "").split(",")):
            if name in env:
                extra[name] = env[name]
        if config.get("env-regex"):
            pattern = _compile(config["env-regex"])
            extra.update({k: v for k, v in env.items() if pattern.search(k)})
        return extra

    def tag(self, default_template: str = "") -> str:
        """The ``tag`` option expanded (Docker's ``ParseLogTag``); ``default_template`` when unset.

        Knows ``{{.ID}}``, ``{{.FullID}}``, ``{{.Name}}``, ``{{.Command}}``,
        ``{{.ImageID}}``, ``{{.ImageFullID}}``, ``{{.ImageName}}``,
        ``{{.DaemonName}}`` and ``{{.Hostname}}``; raises ``InvalidParameter``
        for any other field.
        """
        template = self.config.get("tag") or default_template
        values = {
            "ID": self.id,
            "FullID": self.container_id,
            "Name": self.name,
            "Command": self.command,
            "ImageID": self.image_id,
            "ImageFullID": self.container_image_id,
            "ImageName": self.container_image_name,
            "DaemonName": self.daemon_name,
        }

        def expand(match: re.Match[str]) -> str:
            key = match.group(1)
            if key == "Hostname":
                return socket.gethostname()
            if key not in values:
                raise errdefs.InvalidParameter(
                    f'template: log-tag:1: executing "log-tag" at <.{key}>: '
                    f"can't evaluate field {key} in type *logger.Info"
                )
            return values[key]

        return _TAG_FIELD.sub(expand, template)


def _compile(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise errdefs.InvalidParameter(f"error parsing regexp: {exc}: `{pattern}`") from exc


def default_log_path(driver: str, container_root: str | os.PathLike[str], container_id: str) -> str:
    """Where ``driver`` keeps a container's log, as Docker lays it out ("" for drivers without files).

    json-file: ``<root>/<id>-json.log`` (the ``LogPath`` of ``docker inspect``);
    local: ``<root>/local-logs/container.log``.
    """
    root = Path(container_root)
    if driver == "json-file":
        return str(root / f"{container_id}-json.log")
    if driver == "local":
        return str(root / "local-logs" / "container.log")
    return ""
