"""The image config model: OCI image config fields plus Docker's own (``container_config``, ...).

JSON keys are exactly those of Docker's ``image.Image``: lowercase at the top
(``architecture``, ``os``, ``rootfs``, ``os.version``), PascalCase inside the
container config (``Env``, ``Cmd``, ``ExposedPorts``). Unknown keys are
ignored when reading. The bytes of a stored config are never re-encoded: an
image's ID is the digest of the bytes as they were received.
"""

from __future__ import annotations

import datetime
import hashlib
from typing import Any

import msgspec

from pymoby import errdefs
from pymoby.layer import chain_ids, validate_digest

from ._errors import InvalidImageConfig

__all__ = [
    "ContainerConfig",
    "HealthConfig",
    "History",
    "ImageConfig",
    "RootFS",
    "config_digest",
    "encode_config",
    "format_time",
    "parse_config",
    "parse_time",
]


class HealthConfig(msgspec.Struct, rename="pascal", omit_defaults=True):
    """A HEALTHCHECK: ``Test`` (e.g. ``["CMD-SHELL", "curl -f localhost"]``), durations in nanoseconds."""

    test: list[str] | None = None
    interval: int = 0
    timeout: int = 0
    start_period: int = 0
    start_interval: int = 0
    retries: int = 0


class ContainerConfig(msgspec.Struct, rename="pascal", omit_defaults=True):
    """The runtime defaults an image gives its containers (the ``config`` object)."""

    hostname: str = ""
    domainname: str = ""
    user: str = ""
    attach_stdin: bool = False
    attach_stdout: bool = False
    attach_stderr: bool = False
    exposed_ports: dict[str, dict[str, Any]] | None = None
    tty: bool = False
    open_stdin: bool = False
    stdin_once: bool = False
    env: list[str] | None = None
    cmd: list[str] | None = None
    healthcheck: HealthConfig | None = None
    args_escaped: bool = False
    image: str = ""
    volumes: dict[str, dict[str, Any]] | None = None
    working_dir: str = ""
    entrypoint: list[str] | None = None
    network_disabled: bool = False
    mac_address: str = ""
    on_build: list[str] | None = None
    labels: dict[str, str] | None = None
    stop_signal: str = ""
    stop_timeout: int | None = None
    shell: list[str] | None = None


class RootFS(msgspec.Struct, omit_defaults=False):
    """The layers of the image, bottom first, by diff ID."""

    type: str = "layers"
    diff_ids: list[str] = msgspec.field(default_factory=list)


class History(msgspec.Struct, omit_defaults=True):
    """One step of how the image was built; ``empty_layer`` steps add no layer."""

    created: str | None = None
    author: str = ""
    created_by: str = ""
    comment: str = ""
    empty_layer: bool = False


class ImageConfig(msgspec.Struct, omit_defaults=True):
    """An image config: platform, runtime defaults, layers and history."""

    architecture: str = ""
    os: str = ""
    os_version: str = msgspec.field(default="", name="os.version")
    os_features: list[str] | None = msgspec.field(default=None, name="os.features")
    variant: str = ""
    created: str | None = None
    author: str = ""
    comment: str = ""
    config: ContainerConfig | None = None
    container: str = ""
    container_config: ContainerConfig | None = None
    docker_version: str = ""
    parent: str = ""
    rootfs: RootFS = msgspec.field(default_factory=RootFS)
    history: list[History] = msgspec.field(default_factory=list)

    def chain_id(self) -> str | None:
        """The chain ID of the image's top layer, or None for an image without layers."""
        ids = chain_ids(self.rootfs.diff_ids)
        return ids[-1] if ids else None


_decoder = msgspec.json.Decoder(ImageConfig)
_encoder = msgspec.json.Encoder()


def parse_config(raw: bytes) -> ImageConfig:
    """Decode and check image config bytes.

    Raises InvalidImageConfig for bad JSON, a rootfs type other than
    ``layers``, or a diff ID that is not a sha256 digest.
    """
    try:
        config = _decoder.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise InvalidImageConfig(f"invalid image config: {exc}") from exc
    if config.rootfs.type != "layers":
        raise InvalidImageConfig(f"invalid image config: unsupported rootfs type {config.rootfs.type!r}")
    for diff_id in config.rootfs.diff_ids:
        try:
            validate_digest(diff_id)
        except errdefs.InvalidParameter as exc:
            raise InvalidImageConfig(f"invalid image config: bad diff ID {diff_id!r}") from exc
    return config


def encode_config(config: ImageConfig) -> bytes:
    """The JSON bytes of ``config`` (for new images: import, commit)."""
    return _encoder.encode(config)


def config_digest(raw: bytes) -> str:
    """The image ID of config bytes: ``sha256:<hex>`` of the bytes exactly as given."""
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def format_time(moment: datetime.datetime) -> str:
    """RFC 3339 with nanoseconds in UTC, as Go writes ``time.Time`` (``2024-01-02T03:04:05.123456789Z``)."""
    moment = moment.astimezone(datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


def parse_time(text: str) -> datetime.datetime:
    """Parse an RFC 3339 time as Docker and OCI write them (up to nanoseconds, ``Z`` or an offset).

    Raises InvalidImageConfig if it is not one.
    """
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    head, dot, rest = value.partition(".")
    if dot:
        digits = ""
        while rest and rest[0].isdigit():
            digits, rest = digits + rest[0], rest[1:]
        value = f"{head}.{(digits + '000000')[:6]}{rest}"
    try:
        return datetime.datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidImageConfig(f"invalid time {text!r}") from exc
