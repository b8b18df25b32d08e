"""``-v``/``--volume`` and ``--mount`` values into ``Binds``, anonymous ``Volumes`` and ``Mounts``.

Errors are :class:`~._specs.SpecError` with the docker CLI's messages.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any

from ._specs import SpecError
from ._units import InvalidSize, parse_ram

__all__ = ["parse_mount", "parse_volume"]


def parse_volume(spec: str) -> tuple[str | None, str]:
    """A ``-v`` value: ``(bind, "")`` for ``src:dst[:mode]``, ``(None, dst)`` for an anonymous volume."""
    if not spec:
        raise SpecError("invalid empty volume spec")
    parts = spec.split(":")
    if len(parts) > 3:
        raise SpecError(f"invalid spec: {spec}: too many colons")
    if len(parts) == 1:
        return None, parts[0]
    source, target = parts[0], parts[1]
    if not target:
        raise SpecError(f"invalid spec: {spec}: empty section between colons")
    if not source:
        raise SpecError(f"invalid spec: {spec}: empty section between colons")
    if source.startswith(".") and not os.path.isabs(source):
        source = str(Path(source).absolute())
    rest = ":" + parts[2] if len(parts) == 3 else ""
    if len(parts) == 2 and not target.startswith("/") and target in ("ro", "rw", "z", "Z"):
        return None, spec
    return f"{source}:{target}{rest}", ""


def parse_mount(value: str) -> dict[str, Any]:
    """A ``--mount`` value (``type=bind,source=/a,target=/b,readonly``) as an API ``Mount``."""
    fields = next(csv.reader([value]))
    mount: dict[str, Any] = {"Type": "volume"}
    options: dict[str, dict[str, Any]] = {}

    def section(name: str) -> dict[str, Any]:
        if name not in options:
            options[name] = {"Labels": {}, "DriverConfig": {}} if name == "VolumeOptions" else {}
        return options[name]

    def boolean(key: str, text: str) -> bool:
        if text.lower() in ("1", "t", "true"):
            return True
        if text.lower() in ("0", "f", "false"):
            return False
        raise SpecError(f"invalid value for {key}: {text}")

    for item in fields:
        key, sep, val = item.partition("=")
        key = key.lower()
        if not sep:
            if key in ("readonly", "ro"):
                mount["ReadOnly"] = True
            elif key == "volume-nocopy":
                section("VolumeOptions")["NoCopy"] = True
            elif key == "bind-nonrecursive":
                section("BindOptions")["NonRecursive"] = True
            else:
                raise SpecError(f"invalid field '{item}' must be a key=value pair")
            continue
        if key == "type":
            mount["Type"] = val.lower()
        elif key in ("source", "src"):
            mount["Source"] = str(Path(val).absolute()) if val.startswith(".") else val
        elif key in ("target", "dst", "destination"):
            mount["Target"] = val
        elif key in ("readonly", "ro"):
            mount["ReadOnly"] = boolean(key, val)
        elif key == "consistency":
            mount["Consistency"] = val.lower()
        elif key == "bind-propagation":
            section("BindOptions")["Propagation"] = val.lower()
        elif key == "bind-nonrecursive":
            section("BindOptions")["NonRecursive"] = boolean(key, val)
        elif key == "bind-recursive":
            choices = {"enabled": None, "disabled": "NonRecursive", "writable": "ReadOnlyNonRecursive",
                       "readonly": "ReadOnlyForceRecursive"}  # fmt: skip
            if val not in choices:
                raise SpecError(f'invalid value for {key}: {val} (must be "enabled", "disabled", "writable", '
                                'or "readonly")')  # fmt: skip
            bind = section("BindOptions")
            if choices[val]:
                bind[str(choices[val])] = True
        elif key == "volume-subpath":
            section("VolumeOptions")["Subpath"] = val
        elif key == "volume-nocopy":
            section("VolumeOptions")["NoCopy"] = boolean("volume-nocopy", val)
        elif key == "volume-label":
            k, _, v = val.partition("=")
            if k:
                section("VolumeOptions")["Labels"][k] = v
        elif key == "volume-driver":
            section("VolumeOptions")["DriverConfig"]["Name"] = val
        elif key == "volume-opt":
            k, _, v = val.partition("=")
            if k:
                section("VolumeOptions")["DriverConfig"].setdefault("Options", {})[k] = v
        elif key == "image-subpath":
            section("ImageOptions")["Subpath"] = val
        elif key == "tmpfs-size":
            try:
                section("TmpfsOptions")["SizeBytes"] = parse_ram(val)
            except InvalidSize as exc:
                raise SpecError(f"invalid value for {key}: {val}") from exc
        elif key == "tmpfs-mode":
            try:
                section("TmpfsOptions")["Mode"] = int(val, 8)
            except ValueError as exc:
                raise SpecError(f"invalid value for {key}: {val}") from exc
        else:
            raise SpecError(f"unexpected key '{key}' in '{item}'")
    if not mount.get("Type"):
        raise SpecError("type is required")
    if not mount.get("Target"):
        raise SpecError("target is required")
    kinds = {"VolumeOptions": ("volume", "volume-*"), "ImageOptions": ("image", "image-*"),
             "BindOptions": ("bind", "bind-*"), "TmpfsOptions": ("tmpfs", "tmpfs-*")}  # fmt: skip
    for name, (kind, label) in kinds.items():
        if name in options and mount["Type"] != kind:
            raise SpecError(f"cannot mix '{label}' options with mount type '{mount['Type']}'")
    bind = options.get("BindOptions", {})
    if bind.get("ReadOnlyNonRecursive") and not mount.get("ReadOnly"):
        raise SpecError("option 'bind-recursive=writable' requires 'readonly' to be specified in conjunction")
    if bind.get("ReadOnlyForceRecursive"):
        if not mount.get("ReadOnly"):
            raise SpecError("option 'bind-recursive=readonly' requires 'readonly' to be specified in conjunction")
        if bind.get("Propagation") != "rprivate":
            raise SpecError(
                "option 'bind-recursive=readonly' requires 'bind-propagation=rprivate' to be specified in conjunction"
            )
    mount.update(options)
    return mount
