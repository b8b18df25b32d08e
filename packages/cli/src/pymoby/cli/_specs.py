"""Parsers for the values of ``run``/``create``/``update`` flags, with Docker's messages.

Pure functions: env and label files, ``--restart``, ``--ulimit``, ``--device``, block IO throttles,
``--add-host``, ``--network`` attachments, ``--cpus``. Each raises
:class:`SpecError` (an ``InvalidParameter``) with the docker CLI's wording. Ports are parsed in :mod:`._portspecs`,
volumes and mounts in :mod:`._mountspecs`.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pymoby import errdefs

from ._units import InvalidSize, parse_ram

__all__ = [
    "NetworkAttachment",
    "SpecError",
    "parse_cpus",
    "parse_device",
    "parse_env_file",
    "parse_extra_host",
    "parse_kv_files",
    "parse_network",
    "parse_restart_policy",
    "parse_throttle_bps",
    "parse_throttle_iops",
    "parse_ulimit",
    "parse_weight_device",
]


class SpecError(errdefs.InvalidParameter):
    """A flag value that does not parse."""


# -- environment and labels ------------------------------------------------------------


def _kv_lines(path: str, what: str) -> list[str]:
    try:
        text = Path(path).read_bytes()
    except OSError as exc:
        raise SpecError(f"open {path}: {exc.strerror.lower() if exc.strerror else exc}") from exc
    try:
        content = text.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise SpecError(f"{path}: invalid utf8 bytes at line") from exc
    lines: list[str] = []
    for number, raw in enumerate(content.splitlines(), 1):
        line = raw.lstrip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not key:
            raise SpecError(f"no variable name on line '{line}'")
        if re.search(r"\s", key):
            raise SpecError(f"variable '{key}' contains whitespaces")
        if sep:
            lines.append(f"{key}={value}")
        elif what == "env":
            if key in os.environ:
                lines.append(f"{key}={os.environ[key]}")
        else:
            lines.append(key)
        del number
    return lines


def parse_env_file(path: str) -> list[str]:
    """``--env-file``: ``KEY=VALUE`` lines; a bare ``KEY`` takes the value from our environment."""
    return _kv_lines(path, "env")


def parse_kv_files(files: Iterable[str], values: Iterable[str], *, env: bool) -> list[str]:
    """File entries first, then the flags' (``ReadKVEnvStrings``/``ReadKVStrings``)."""
    result: list[str] = []
    for path in files:
        result.extend(_kv_lines(path, "env" if env else "label"))
    for value in values:
        if env and "=" not in value and value in os.environ:
            value = f"{value}={os.environ[value]}"
        result.append(value)
    return result


def labels_map(entries: Iterable[str]) -> dict[str, str]:
    """``key=value`` (or bare ``key``) entries as a map."""
    labels: dict[str, str] = {}
    for entry in entries:
        key, _, value = entry.partition("=")
        labels[key] = value
    return labels


# -- policies, limits, devices -----------------------------------------------------------


def parse_restart_policy(policy: str) -> dict[str, Any]:
    """``--restart``: ``no``, ``always``, ``unless-stopped``, ``on-failure[:max]``."""
    if not policy:
        return {}
    name, sep, count = policy.partition(":")
    if sep and not name:
        raise SpecError("invalid restart policy format: no policy provided before colon")
    result: dict[str, Any] = {"Name": name, "MaximumRetryCount": 0}
    if count:
        try:
            result["MaximumRetryCount"] = int(count)
        except ValueError as exc:
            raise SpecError("invalid restart policy format: maximum retry count must be an integer") from exc
    return result


_ULIMITS = {"core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss",
            "rtprio", "rttime", "sigpending", "stack"}  # fmt: skip


def parse_ulimit(value: str) -> dict[str, Any]:
    """``--ulimit name=soft[:hard]`` as ``{"Name", "Soft", "Hard"}``."""
    name, sep, limits = value.partition("=")
    if not sep:
        raise SpecError(f"invalid ulimit argument: {value}")
    if name not in _ULIMITS:
        raise SpecError(f"invalid ulimit type: {name}")
    soft_text, colon, hard_text = limits.partition(":")
    try:
        soft = int(soft_text)
        hard = int(hard_text) if colon else soft
    except ValueError as exc:
        raise SpecError(f"invalid ulimit argument: {value}") from exc
    if soft > hard:
        raise SpecError(f"ulimit soft limit must be less than or equal to hard limit: {soft} > {hard}")
    return {"Name": name, "Hard": hard, "Soft": soft}


def parse_device(value: str) -> dict[str, str]:
    """``--device /dev/x[:/dev/y][:rwm]`` as a ``DeviceMapping``."""
    parts = value.split(":")
    mode = "rwm"
    if len(parts) == 3:
        source, target, mode = parts
    elif len(parts) == 2:
        if parts[1] and all(c in "rwm" for c in parts[1]):
            source, target, mode = parts[0], parts[0], parts[1]
        else:
            source, target = parts
    elif len(parts) == 1:
        source = target = parts[0]
    else:
        raise SpecError(f"invalid device specification: {value}")
    if not mode or any(c not in "rwm" for c in mode):
        raise SpecError(f"bad mode specified: {mode}")
    if not target.startswith("/"):
        raise SpecError(f"bad format for path: {target}")
    return {"PathOnHost": source, "PathInContainer": target, "CgroupPermissions": mode}


def _device_and_value(value: str) -> tuple[str, str]:
    path, sep, rate = value.rpartition(":")
    if not sep:
        raise SpecError(f"bad format: {value}")
    if not path.startswith("/dev/"):
        raise SpecError(f"bad format for device path: {value}")
    return path, rate


def parse_throttle_bps(value: str) -> dict[str, Any]:
    """``--device-read-bps /dev/sda:1mb``."""
    path, rate = _device_and_value(value)
    message = (f"invalid rate for device: {value}. The correct format is <device-path>:<number>[<unit>]. Number must "
               "be a positive integer. Unit is optional and can be kb, mb, or gb")  # fmt: skip
    try:
        number = parse_ram(rate)
    except InvalidSize as exc:
        raise SpecError(message) from exc
    if number < 0:
        raise SpecError(message)
    return {"Path": path, "Rate": number}


def parse_throttle_iops(value: str) -> dict[str, Any]:
    """``--device-read-iops /dev/sda:1000``."""
    path, rate = _device_and_value(value)
    if not rate.isdigit():
        raise SpecError(f"invalid rate for device: {value}. The correct format is <device-path>:<number>. Number must "
                        "be a positive integer")  # fmt: skip
    return {"Path": path, "Rate": int(rate)}


def parse_weight_device(value: str) -> dict[str, Any]:
    """``--blkio-weight-device /dev/sda:200``."""
    path, weight = _device_and_value(value)
    if not weight.isdigit() or (not (10 <= int(weight) <= 1000) and int(weight) != 0):
        raise SpecError(f"invalid weight for device: {value}")
    return {"Path": path, "Weight": int(weight)}


def parse_extra_host(value: str) -> str:
    """``--add-host name:ip`` (or ``name=ip``), checked; ``host-gateway`` is allowed."""
    sep = "=" if "=" in value else ":"
    name, found, address = value.partition(sep)
    if not found or not name:
        raise SpecError(f'bad format for add-host: "{value}"')
    if address.startswith("[") and address.endswith("]"):
        address = address[1:-1]
    if address != "host-gateway":
        try:
            ipaddress.ip_address(address)
        except ValueError as exc:
            raise SpecError(f'invalid IP address in add-host: "{address}"') from exc
    return f"{name}:{address}"


def parse_ip(value: str) -> str:
    """An IP address flag (``--dns``, ``--ip``)."""
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError as exc:
        raise SpecError(f"IP address is not correctly formatted: {value}") from exc


def parse_cpus(value: str) -> int:
    """``--cpus 1.5`` as nano-CPUs."""
    try:
        number = Decimal(value)
    except InvalidOperation as exc:
        raise SpecError(f"failed to parse {value} as a rational number") from exc
    nano = number * Decimal(10**9)
    if nano != nano.to_integral_value():
        raise SpecError("value is too precise")
    return int(nano)


# -- networks --------------------------------------------------------------------------


@dataclass(slots=True)
class NetworkAttachment:
    """One ``--network`` value: a network and its endpoint settings."""

    target: str
    aliases: list[str] = field(default_factory=list)
    driver_opts: dict[str, str] = field(default_factory=dict)
    ipv4: str = ""
    ipv6: str = ""
    link_local_ips: list[str] = field(default_factory=list)
    mac_address: str = ""
    gw_priority: int = 0


def parse_network(value: str) -> NetworkAttachment:
    """``--network NAME`` or ``--network name=NAME,alias=A,ip=...``."""
    if not re.search(r"\w+=\w+(,\w+=\w+)*", value):
        return NetworkAttachment(value)
    attachment = NetworkAttachment("")
    import csv

    for item in next(csv.reader([value])):
        key, sep, val = item.lower().partition("=")
        if not sep or not key:
            raise SpecError(f"invalid field {item}")
        key, val = key.strip(), val.strip()
        if key == "name":
            attachment.target = val
        elif key == "alias":
            attachment.aliases.append(val)
        elif key == "ip":
            attachment.ipv4 = val
        elif key == "ip6":
            attachment.ipv6 = val
        elif key == "mac-address":
            attachment.mac_address = val
        elif key == "link-local-ip":
            attachment.link_local_ips.append(val)
        elif key == "driver-opt":
            k, found, v = val.partition("=")
            if not found or not k:
                raise SpecError("invalid key value pair format in driver options")
            attachment.driver_opts[k.strip()] = v.strip()
        elif key == "gw-priority":
            try:
                attachment.gw_priority = int(val)
            except ValueError as exc:
                raise SpecError(f"invalid gw-priority ({val}): invalid syntax") from exc
        else:
            raise SpecError(f"invalid field key {key}")
    if not attachment.target:
        raise SpecError("network name/id is not specified")
    return attachment


def kv_map(values: Iterable[str], what: str = "") -> dict[str, str]:
    """``key=value`` flag values as a map (``--log-opt``, ``--sysctl``, ``--storage-opt``)."""
    result: dict[str, str] = {}
    for value in values:
        key, sep, val = value.partition("=")
        if not sep and what:
            raise SpecError(f"invalid {what} format: {value}")
        result[key] = val
    return result


def merge_env(base: Mapping[str, str], entries: list[str]) -> list[str]:
    """Append ``base`` variables (proxies) that ``entries`` does not set."""
    names = {e.partition("=")[0] for e in entries}
    return entries + [f"{k}={v}" for k, v in base.items() if k not in names]


def parse_filters(values: Iterable[str]) -> dict[str, list[str]]:
    """``--filter name=value`` flags as the API's filters (``bad format of filter (expected name=value)``)."""
    filters: dict[str, list[str]] = {}
    for value in values:
        name, sep, wanted = value.partition("=")
        if not sep:
            raise SpecError("bad format of filter (expected name=value)")
        filters.setdefault(name.strip().lower(), []).append(wanted.strip())
    return filters
