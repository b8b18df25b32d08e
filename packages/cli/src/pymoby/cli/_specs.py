"""Parsers for the values of ``run``/``create``/``update`` flags, with Docker's messages.

Pure functions: ports (``-p [ip:][host:]container[/proto]``, ranges, and the
long ``target=,published=`` form), ``-v`` volumes, ``--mount`` CSV, env and
label files, ``--restart``, ``--ulimit``, ``--device``, block IO throttles,
``--add-host``, ``--network`` attachments, ``--cpus``. Each raises
:class:`SpecError` (an ``InvalidParameter``) with the docker CLI's wording.
"""

from __future__ import annotations

import csv
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
    "parse_mount",
    "parse_network",
    "parse_port_specs",
    "parse_restart_policy",
    "parse_throttle_bps",
    "parse_throttle_iops",
    "parse_ulimit",
    "parse_volume",
    "parse_weight_device",
]


class SpecError(errdefs.InvalidParameter):
    """A flag value that does not parse."""


# -- ports -----------------------------------------------------------------------------


def _port_range(text: str) -> tuple[int, int]:
    if not text:
        raise SpecError("empty string specified for ports")
    start, sep, end = text.partition("-")
    try:
        low = int(start)
        high = int(end) if sep else low
    except ValueError as exc:
        raise SpecError(f"invalid port range: {text}") from exc
    if not (0 <= low <= 65535 and 0 <= high <= 65535) or high < low:
        raise SpecError(f"invalid port range: {text}")
    return low, high


def _split_proto(text: str) -> tuple[str, str]:
    port, sep, proto = text.partition("/")
    if not sep:
        return "tcp", port
    return proto or "tcp", port


def _long_port_syntax(spec: str) -> str:
    fields: dict[str, str] = {}
    for part in next(csv.reader([spec])):
        key, sep, value = part.partition("=")
        if not sep:
            raise SpecError(f"invalid field {part}")
        fields[key.strip().lower()] = value.strip()
    unknown = set(fields) - {"target", "published", "protocol", "mode", "host_ip"}
    if unknown:
        raise SpecError(f"invalid field key {sorted(unknown)[0]}")
    if "target" not in fields:
        raise SpecError("missing mandatory field 'target'")
    host_ip = fields.get("host_ip", "")
    published = fields.get("published", "")
    text = f"{fields['target']}/{fields.get('protocol', 'tcp')}"
    if published or host_ip:
        text = f"{published}:{text}"
    if host_ip:
        text = f"{host_ip}:{text}"
    return text


def parse_port_specs(specs: Iterable[str]) -> tuple[dict[str, dict[str, Any]], dict[str, list[dict[str, str]]]]:
    """``-p`` values as ``(ExposedPorts, PortBindings)``, as Docker's ``nat.ParsePortSpecs``."""
    exposed: dict[str, dict[str, Any]] = {}
    bindings: dict[str, list[dict[str, str]]] = {}
    for raw in specs:
        spec = _long_port_syntax(raw) if "=" in raw else raw
        parts = spec.split(":")
        container_part = parts[-1]
        if len(parts) == 1:
            ip, host = "", ""
        elif len(parts) == 2:
            ip, host = "", parts[0]
        elif len(parts) == 3:
            ip, host = parts[0], parts[1]
        else:
            ip, host = ":".join(parts[:-2]), parts[-2]
        proto, container_port = _split_proto(container_part)
        if ip.startswith("["):
            if not ip.endswith("]"):
                raise SpecError(f"invalid IP address {ip}: missing ']' in address")
            ip = ip[1:-1]
        if ip:
            try:
                ipaddress.ip_address(ip)
            except ValueError as exc:
                raise SpecError(f"invalid IP address: {ip}") from exc
        if not container_port:
            raise SpecError(f"no port specified: {raw}<empty>")
        try:
            start, end = _port_range(container_port)
        except SpecError as exc:
            raise SpecError(f"invalid containerPort: {container_port}") from exc
        host_start = host_end = 0
        if host:
            try:
                host_start, host_end = _port_range(host)
            except SpecError as exc:
                raise SpecError(f"invalid hostPort: {host}") from exc
        if host and (end - start) != (host_end - host_start) and end != start:
            raise SpecError(f"invalid ranges specified for container and host Ports: {container_port} and {host}")
        if proto.lower() not in ("tcp", "udp", "sctp"):
            raise SpecError(f"invalid proto: {proto}")
        for i in range(end - start + 1):
            port = f"{start + i}/{proto.lower()}"
            host_port = str(host_start + i) if host else ""
            if start == end and host_start != host_end:
                host_port = f"{host_start}-{host_end}"
            exposed.setdefault(port, {})
            bindings.setdefault(port, []).append({"HostIp": ip, "HostPort": host_port})
    return exposed, bindings


def parse_expose(values: Iterable[str], exposed: dict[str, dict[str, Any]]) -> None:
    """Add ``--expose`` ports (``80``, ``8000-8010/udp``) to ``exposed``."""
    for value in values:
        if ":" in value:
            raise SpecError(f"invalid port format for --expose: {value}")
        proto, port = _split_proto(value)
        try:
            start, end = _port_range(port)
        except SpecError as exc:
            raise SpecError(f"invalid range format for --expose: {value}, error: {exc}") from exc
        for number in range(start, end + 1):
            exposed.setdefault(f"{number}/{proto}", {})


# -- volumes and mounts ----------------------------------------------------------------


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
