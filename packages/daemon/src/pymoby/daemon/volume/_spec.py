"""Parsing and validating mount specifications: ``-v``, ``--mount``, ``--tmpfs``, ``--volumes-from``.

Pure functions (the one exception: ``--mount type=bind`` checks that its
source exists), with Docker's rules and messages (moby's Linux mount
parser, Engine API v1.45):

- ``-v [SOURCE:]DEST[:MODE]``: an absolute SOURCE is a bind, anything
  else a volume name (none: an anonymous volume). MODE is a comma list of
  at most one each of ``rw``/``ro``, ``z``/``Z``, a propagation, ``nocopy``
  and a consistency; ``DEST:MODE`` alone is refused (a volume cannot carry
  a mode). A bind source that does not exist is created at start.
- ``--mount``: the fields of ``HostConfig.Mounts``; a bind source must exist
  (unless ``CreateMountpoint``); options of another type are refused.
"""

from __future__ import annotations

import os
import posixpath

from pymoby import api

from ._errors import InvalidMountSpec
from ._mountpoint import MountPoint

__all__ = [
    "DEFAULT_PROPAGATION",
    "PROPAGATION_MODES",
    "parse_bind",
    "parse_mount",
    "parse_volumes_from",
    "read_write",
    "tmpfs_data",
    "valid_mode",
    "validate_mount",
    "validate_tmpfs_destination",
]

DEFAULT_PROPAGATION = "rprivate"
PROPAGATION_MODES = frozenset({"private", "rprivate", "slave", "rslave", "shared", "rshared"})
_RW_MODES = frozenset({"rw", "ro"})
_LABEL_MODES = frozenset({"z", "Z"})
_COPY_MODES = frozenset({"nocopy"})
_CONSISTENCY_MODES = frozenset({"consistent", "cached", "delegated"})
_MOUNT_TYPES = frozenset({"bind", "volume", "tmpfs"})
_TMPFS_OPTIONS = frozenset({"exec", "noexec"})


def _mode_groups(mode: str) -> list[frozenset[str]] | None:
    groups = (_RW_MODES, _LABEL_MODES, PROPAGATION_MODES, _COPY_MODES, _CONSISTENCY_MODES)
    seen: list[frozenset[str]] = []
    for option in mode.split(","):
        group = next((g for g in groups if option in g), None)
        if group is None or group in seen:
            return None
        seen.append(group)
    return seen


def valid_mode(mode: str) -> bool:
    """Whether ``mode`` is a valid ``-v`` mode string (empty is)."""
    return mode == "" or _mode_groups(mode) is not None


def read_write(mode: str) -> bool:
    """Whether a mount with ``mode`` is writable (an invalid mode is not)."""
    return valid_mode(mode) and "ro" not in mode.split(",")


def _propagation(mode: str) -> str:
    return next((o for o in mode.split(",") if o in PROPAGATION_MODES), "")


def _invalid_config(kind: str, message: str) -> InvalidMountSpec:
    return InvalidMountSpec(f'invalid mount config for type "{kind}": {message}')


def validate_tmpfs_destination(destination: str) -> None:
    """``--tmpfs`` and ``--mount type=tmpfs`` targets: absolute and not ``/``. Raises InvalidMountSpec."""
    target = destination.replace("\\", "/")
    if target and posixpath.normpath(target) == "/":
        raise InvalidMountSpec("invalid specification: destination can't be '/'")
    if not target.startswith("/"):
        raise InvalidMountSpec(f"invalid mount path: '{target}' mount path must be absolute")


def tmpfs_data(options: api.TmpfsOptions | None, read_only: bool) -> str:
    """The tmpfs mount data of a ``--mount type=tmpfs``: ``ro``, ``mode=`` (octal), ``size=`` with the
    largest unit that divides it, then the extra options. Raises InvalidMountSpec (message without prefix)."""
    raw: list[str] = []
    if read_only:
        raw.append("ro")
    if options is not None and options.mode:
        raw.append(f"mode={options.mode:o}")
    if options is not None and options.size_bytes:
        size, suffix = options.size_bytes, ""
        for unit, divisor in (("g", 1 << 30), ("m", 1 << 20), ("k", 1 << 10)):
            if size % divisor == 0:
                size, suffix = size // divisor, unit
                break
        raw.append(f"size={size}{suffix}")
    for option in (options.options if options is not None else None) or []:
        if len(option) < 1 or len(option) > 2:
            raise InvalidMountSpec("invalid option array length")
        if option[0] not in _TMPFS_OPTIONS:
            raise InvalidMountSpec("invalid option: " + option[0])
        raw.append(option[0] if len(option) == 1 else f"{option[0]}={option[1]}")
    return ",".join(raw)


def _check(spec: api.Mount, bind_source_must_exist: bool) -> None:
    kind = spec.type
    if not spec.target:
        raise _invalid_config(kind, "field Target must not be empty")
    target = spec.target.replace("\\", "/")
    if posixpath.normpath(target) == "/":
        raise _invalid_config(kind, "invalid specification: destination can't be '/'")
    if not target.startswith("/"):
        raise _invalid_config(kind, f"invalid mount path: '{target}' mount path must be absolute")
    if kind == "bind":
        if not spec.source:
            raise _invalid_config(kind, "field Source must not be empty")
        propagation = spec.bind_options.propagation if spec.bind_options is not None else ""
        if propagation and propagation not in PROPAGATION_MODES:
            raise _invalid_config(kind, f"invalid propagation mode: {propagation}")
        if spec.volume_options is not None:
            raise _invalid_config(kind, "field VolumeOptions must not be specified")
        source = spec.source.replace("\\", "/")
        if not source.startswith("/"):
            raise _invalid_config(kind, f"invalid mount path: '{source}' mount path must be absolute")
        if bind_source_must_exist and not os.path.lexists(spec.source):
            create = spec.bind_options is not None and spec.bind_options.create_mountpoint
            if not create:
                raise _invalid_config(kind, f"bind source path does not exist: {spec.source}")
    elif kind == "volume":
        if spec.bind_options is not None:
            raise _invalid_config(kind, "field BindOptions must not be specified")
        anonymous = not spec.source
        subpath = spec.volume_options.subpath if spec.volume_options is not None else ""
        if subpath:
            if anonymous:
                raise _invalid_config(kind, "must not set Subpath when using anonymous volumes")
            clean = posixpath.normpath(subpath)
            if subpath.startswith("/") or clean == ".." or clean.startswith("../"):
                raise _invalid_config(kind, "subpath must be a relative path within the volume")
        if spec.read_only and anonymous:
            raise _invalid_config(kind, "must not set ReadOnly mode when using anonymous volumes")
    elif kind == "tmpfs":
        if spec.bind_options is not None:
            raise _invalid_config(kind, "field BindOptions must not be specified")
        if spec.volume_options is not None:
            raise _invalid_config(kind, "field VolumeOptions must not be specified")
        if spec.source:
            raise _invalid_config(kind, "field Source must not be specified")
        try:
            tmpfs_data(spec.tmpfs_options, spec.read_only)
        except InvalidMountSpec as exc:
            raise _invalid_config(kind, str(exc)) from exc
    else:
        raise _invalid_config(kind, "mount type unknown")
    if kind != "tmpfs" and spec.tmpfs_options is not None:
        raise _invalid_config(kind, "field TmpfsOptions must not be specified")


def validate_mount(spec: api.Mount) -> None:
    """Validate one ``HostConfig.Mounts`` entry (at create). Raises InvalidMountSpec, e.g.
    ``invalid mount config for type "bind": bind source path does not exist: /x``."""
    _check(spec, True)


def _from_spec(spec: api.Mount) -> MountPoint:
    point = MountPoint(
        rw=not spec.read_only,
        destination=posixpath.normpath(spec.target.replace("\\", "/")),
        type=spec.type,
        spec=spec,
    )
    if spec.type == "volume":
        point.name = spec.source
        point.copy_data = True
        if spec.volume_options is not None:
            if spec.volume_options.driver_config is not None:
                point.driver = spec.volume_options.driver_config.name
            if spec.volume_options.no_copy:
                point.copy_data = False
    elif spec.type == "bind":
        point.source = posixpath.normpath(spec.source.replace("\\", "/"))
        propagation = spec.bind_options.propagation if spec.bind_options is not None else ""
        point.propagation = propagation or DEFAULT_PROPAGATION
    return point


def parse_mount(spec: api.Mount, *, bind_source_must_exist: bool = True) -> MountPoint:
    """The mount point of a ``--mount`` (an anonymous volume has no name yet). Raises InvalidMountSpec."""
    _check(spec, bind_source_must_exist)
    return _from_spec(spec)


def parse_bind(raw: str, volume_driver: str = "") -> MountPoint:
    """The mount point of a ``-v`` (``HostConfig.Binds``) entry. Raises InvalidMountSpec
    (``invalid volume specification: '...'``, ``invalid mode: ...``)."""
    parts = raw.split(":", 3)
    if not parts[0]:
        raise InvalidMountSpec(f"invalid volume specification: '{raw}'")
    source, mode = "", ""
    if len(parts) == 1:
        target = parts[0]
    elif len(parts) == 2:
        if valid_mode(parts[1]):
            raise InvalidMountSpec(f"invalid volume specification: '{raw}'")
        source, target = parts
    elif len(parts) == 3:
        source, target, mode = parts
    else:
        raise InvalidMountSpec(f"invalid volume specification: '{raw}'")
    if not valid_mode(mode):
        raise InvalidMountSpec(f"invalid mode: {mode}")
    kind = "bind" if source.startswith("/") else "volume"
    spec = api.Mount(type=kind, source=source, target=target, read_only=not read_write(mode))
    if volume_driver and kind == "volume":
        spec.volume_options = api.VolumeOptions(driver_config=api.DriverConfig(name=volume_driver))
    if "nocopy" in mode.split(","):
        if spec.volume_options is None:
            spec.volume_options = api.VolumeOptions()
        spec.volume_options.no_copy = True
    propagation = _propagation(mode)
    if propagation:
        spec.bind_options = api.BindOptions(propagation=propagation)
    try:
        point = parse_mount(spec, bind_source_must_exist=False)
    except InvalidMountSpec as exc:
        raise InvalidMountSpec(f"invalid volume specification: '{raw}': {exc}") from exc
    point.mode = mode
    return point


def parse_volumes_from(spec: str) -> tuple[str, str]:
    """``CONTAINER[:MODE]`` of ``--volumes-from``: the container and the mode (``rw`` by default; only
    ``ro``/``rw`` and a label mode are allowed). Raises InvalidMountSpec."""
    if not spec:
        raise InvalidMountSpec("volumes-from specification cannot be an empty string")
    container, _, mode = spec.partition(":")
    if not mode:
        return container, "rw"
    if not valid_mode(mode) or _propagation(mode) or "nocopy" in mode.split(","):
        raise InvalidMountSpec(f"invalid mode: {mode}")
    return container, mode
