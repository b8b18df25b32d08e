"""The create request of ``run`` and ``create``, made from their flags (see :mod:`._runflags`).

:func:`build_create_body` turns the flags' values into the body of
``POST /containers/create`` (``Config`` fields, ``HostConfig`` and
``NetworkingConfig``) as the docker CLI builds it, including its defaults
(``NetworkMode: default``, ``RestartPolicy: no``, ``MemorySwappiness: -1``)
and its validation messages.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._mountspecs import parse_mount, parse_volume
from ._portspecs import parse_expose, parse_port_specs
from ._specs import (
    SpecError,
    kv_map,
    labels_map,
    merge_env,
    parse_device,
    parse_extra_host,
    parse_ip,
    parse_kv_files,
    parse_network,
    parse_restart_policy,
    parse_throttle_bps,
    parse_throttle_iops,
    parse_ulimit,
    parse_weight_device,
)

__all__ = ["CreateRequest", "build_create_body"]


@dataclass(slots=True)
class CreateRequest:
    """What ``run``/``create`` sends: the body and where the caller needs its parts."""

    body: dict[str, Any]

    @property
    def config(self) -> dict[str, Any]:
        """The container ``Config`` part (the body's top level)."""
        return self.body

    @property
    def host_config(self) -> dict[str, Any]:
        """``HostConfig``."""
        host: dict[str, Any] = self.body["HostConfig"]
        return host


_NS_MODES = {"pid": "--pid: invalid PID mode", "uts": "--uts: invalid UTS mode",
             "userns": "--userns: invalid USER mode", "cgroupns": "--cgroupns: invalid CGROUP mode"}  # fmt: skip


def _valid_mode(kind: str, value: str) -> bool:
    if not value:
        return True
    if kind == "cgroupns":
        return value in ("host", "private")
    if kind == "userns":
        return value == "host"
    if kind == "uts":
        return value == "host"
    return value == "host" or (value.startswith("container:") and len(value) > len("container:"))


def _security_opts(values: Sequence[str]) -> tuple[list[str] | None, list[str] | None, list[str] | None]:
    result: list[str] = []
    masked: list[str] | None = None
    readonly: list[str] | None = None
    for opt in values:
        key, sep, value = opt.partition("=")
        if not sep and key != "no-new-privileges":
            key, sep, value = opt.partition(":")
        if (not sep or not value) and key != "no-new-privileges":
            raise SpecError(f'Invalid --security-opt: "{opt}"')
        if key == "seccomp" and value not in ("builtin", "unconfined"):
            try:
                profile = json.loads(Path(value).read_text())
            except OSError as exc:
                raise SpecError(f"opening seccomp profile ({value}) failed: {exc}") from exc
            except ValueError as exc:
                raise SpecError(f"compacting json for seccomp profile ({value}) failed: {exc}") from exc
            opt = "seccomp=" + json.dumps(profile, separators=(",", ":"))
        if key == "systempaths" and value == "unconfined":
            masked, readonly = [], []
            continue
        result.append(opt)
    return (result or None), masked, readonly


def _endpoint(attachment: Any | None, opts: Mapping[str, Any], apply_flags: bool) -> dict[str, Any]:
    aliases: list[str] = list(attachment.aliases) if attachment else []
    ipv4 = attachment.ipv4 if attachment else ""
    ipv6 = attachment.ipv6 if attachment else ""
    mac = attachment.mac_address if attachment else ""
    link_local = list(attachment.link_local_ips) if attachment else []
    links: list[str] = []
    if apply_flags:
        conflicts = [
            (aliases and opts["network_alias"], "--network-alias and per-network alias"),
            (ipv4 and opts["ip"], "--ip and per-network IPv4 address"),
            (ipv6 and opts["ip6"], "--ip6 and per-network IPv6 address"),
            (mac and opts["mac_address"], "--mac-address and per-network MAC address"),
            (link_local and opts["link_local_ip"], "--link-local-ip and per-network link-local IP addresses"),
        ]
        for clash, what in conflicts:
            if clash:
                raise SpecError(f"conflicting options: cannot specify both {what}")
        aliases = list(opts["network_alias"]) or aliases
        target = attachment.target if attachment else "default"
        if _user_defined(target) and opts["link"]:
            links = list(opts["link"])
        ipv4 = opts["ip"] or ipv4
        ipv6 = opts["ip6"] or ipv6
        mac = opts["mac_address"] or mac
        link_local = list(opts["link_local_ip"]) or link_local
    for address, kind in ((ipv4, 4), (ipv6, 6)):
        if address:
            try:
                if ipaddress.ip_address(address).version != kind:
                    raise ValueError(address)
            except ValueError as exc:
                raise SpecError(f"invalid IPv{kind} address: {address}") from exc
    endpoint: dict[str, Any] = {
        "IPAMConfig": None,
        "Links": links or None,
        "Aliases": aliases or None,
        "MacAddress": mac,
        "DriverOpts": (dict(attachment.driver_opts) if attachment and attachment.driver_opts else None),
        "GwPriority": attachment.gw_priority if attachment else 0,
        "NetworkID": "",
        "EndpointID": "",
        "Gateway": "",
        "IPAddress": "",
        "IPPrefixLen": 0,
        "IPv6Gateway": "",
        "GlobalIPv6Address": "",
        "GlobalIPv6PrefixLen": 0,
        "DNSNames": None,
    }
    if ipv4 or ipv6 or link_local:
        endpoint["IPAMConfig"] = {"IPv4Address": ipv4, "IPv6Address": ipv6, "LinkLocalIPs": link_local or None}
    return endpoint


def _user_defined(mode: str) -> bool:
    return mode not in ("default", "bridge", "host", "none") and not mode.startswith("container:")


def _is_empty_endpoint(endpoint: Mapping[str, Any]) -> bool:
    return all(not v for v in endpoint.values())


def _networking(opts: Mapping[str, Any]) -> dict[str, Any]:
    attachments = [parse_network(v) for v in opts["network"]]
    endpoints: dict[str, Any] = {}
    if not attachments:
        endpoints["default"] = _endpoint(None, opts, True)
    user_defined = any(_user_defined(a.target) for a in attachments)
    builtin = any(not _user_defined(a.target) for a in attachments)
    for i, attachment in enumerate(attachments):
        endpoint = _endpoint(attachment, opts, i == 0)
        if attachment.target in endpoints:
            raise SpecError(f'network "{attachment.target}" is specified multiple times')
        if i == 0 and len(attachments) == 1 and _is_empty_endpoint(endpoint):
            continue
        endpoints[attachment.target] = endpoint
    if user_defined and builtin:
        raise SpecError("conflicting options: cannot attach both user-defined and non-user-defined network-modes")
    return {"EndpointsConfig": endpoints}


def build_create_body(
    opts: Mapping[str, Any],
    image: str,
    args: Sequence[str],
    *,
    changed: set[str],
    proxy_env: Mapping[str, str] | None = None,
    console_size: tuple[int, int] = (0, 0),
) -> dict[str, Any]:
    """The ``POST /containers/create`` body for flag values ``opts``; raises :class:`SpecError`."""
    attach = [a.lower() for a in opts["attach"]]
    for stream in attach:
        if stream not in ("stdin", "stdout", "stderr"):
            raise SpecError(f"valid streams are STDIN, STDOUT and STDERR, got {stream}")
    attach_stdin = "stdin" in attach or opts["interactive"]
    attach_stdout = "stdout" in attach or not attach
    attach_stderr = "stderr" in attach or not attach
    if opts["mac_address"] and not re.fullmatch(r"([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}", opts["mac_address"]):
        raise SpecError(f"{opts['mac_address']} is not a valid mac address")
    swappiness = opts["memory_swappiness"]
    if swappiness != -1 and not 0 <= swappiness <= 100:
        raise SpecError(f"invalid value: {swappiness}. Valid memory swappiness range is 0-100")

    binds: list[str] = []
    volumes: dict[str, dict[str, Any]] = {}
    for spec in opts["volume"]:
        bind, anonymous = parse_volume(spec)
        if bind is not None:
            binds.append(bind)
        else:
            volumes[anonymous] = {}
    tmpfs = {}
    for value in opts["tmpfs"]:
        path, _, options = value.partition(":")
        tmpfs[path] = options

    entrypoint: list[str] | None = None
    if opts["entrypoint"]:
        entrypoint = [opts["entrypoint"]]
    elif "entrypoint" in changed:
        entrypoint = [""]

    exposed, bindings = parse_port_specs(opts["publish"])
    parse_expose(opts["expose"], exposed)
    devices = [parse_device(d) for d in opts["device"]]
    env = parse_kv_files(opts["env_file"], opts["env"], env=True)
    if proxy_env:
        env = merge_env(proxy_env, env)
    labels = parse_kv_files(opts["label_file"], opts["label"], env=False)
    for kind, message in _NS_MODES.items():
        if not _valid_mode(kind, opts[kind]):
            raise SpecError(message)
    restart = parse_restart_policy(opts["restart"])
    log_config = kv_map(opts["log_opt"])
    if opts["log_driver"] == "none" and log_config:
        raise SpecError("invalid logging opts for driver none")
    security, masked, readonly_paths = _security_opts(opts["security_opt"])
    storage = kv_map(opts["storage_opt"], "storage-opt")

    health: dict[str, Any] | None = None
    health_flags = ("health_cmd", "health_interval", "health_timeout", "health_start_period", "health_retries",
                    "health_start_interval")  # fmt: skip
    have_health = any(opts[f] for f in health_flags)
    if opts["no_healthcheck"]:
        if have_health:
            raise SpecError("--no-healthcheck conflicts with --health-* options")
        health = {"Test": ["NONE"]}
    elif have_health:
        for f in health_flags:
            if opts[f] < 0 if not isinstance(opts[f], str) else False:
                raise SpecError(f"--{f.replace('_', '-')} cannot be negative")
        health = {"Test": ["CMD-SHELL", opts["health_cmd"]] if opts["health_cmd"] else None}
        for key, flag in (("Interval", "health_interval"), ("Timeout", "health_timeout"),
                          ("StartPeriod", "health_start_period"), ("StartInterval", "health_start_interval"),
                          ("Retries", "health_retries")):  # fmt: skip
            if opts[flag]:
                health[key] = opts[flag]
        if health["Test"] is None:
            del health["Test"]

    config: dict[str, Any] = {
        "Hostname": opts["hostname"],
        "Domainname": opts["domainname"],
        "User": opts["user"],
        "AttachStdin": attach_stdin,
        "AttachStdout": attach_stdout,
        "AttachStderr": attach_stderr,
    }
    if exposed:
        config["ExposedPorts"] = exposed
    config |= {
        "Tty": opts["tty"],
        "OpenStdin": opts["interactive"],
        "StdinOnce": bool(opts["interactive"] and attach_stdin),
        "Env": env or None,
        "Cmd": list(args) or None,
    }
    if health is not None:
        config["Healthcheck"] = health
    config |= {
        "Image": image,
        "Volumes": volumes,
        "WorkingDir": opts["workdir"],
        "Entrypoint": entrypoint,
        "OnBuild": None,
        "Labels": labels_map(labels),
    }
    if opts["mac_address"]:
        config["MacAddress"] = opts["mac_address"]
    if opts["stop_signal"]:
        config["StopSignal"] = opts["stop_signal"]
    if "stop_timeout" in changed:
        config["StopTimeout"] = opts["stop_timeout"]

    host: dict[str, Any] = {
        "Binds": binds or None,
        "ContainerIDFile": opts["cidfile"],
        "LogConfig": {"Type": opts["log_driver"], "Config": log_config},
        "NetworkMode": parse_network(opts["network"][0]).target if opts["network"] else "default",
        "PortBindings": bindings,
        "RestartPolicy": restart,
        "AutoRemove": opts["rm"],
        "VolumeDriver": opts["volume_driver"],
        "VolumesFrom": list(opts["volumes_from"]) or None,
        "ConsoleSize": list(console_size),
        "Annotations": kv_map(opts["annotation"]) or None,
        "CapAdd": list(opts["cap_add"]) or None,
        "CapDrop": list(opts["cap_drop"]) or None,
        "CgroupnsMode": opts["cgroupns"],
        "Dns": [parse_ip(d) for d in opts["dns"]],
        "DnsOptions": list(opts["dns_option"]),
        "DnsSearch": list(opts["dns_search"]),
        "ExtraHosts": [parse_extra_host(h) for h in opts["add_host"]] or None,
        "GroupAdd": list(opts["group_add"]) or None,
        "IpcMode": opts["ipc"],
        "Cgroup": "",
        "Links": list(opts["link"]) or None,
        "OomScoreAdj": opts["oom_score_adj"],
        "PidMode": opts["pid"],
        "Privileged": opts["privileged"],
        "PublishAllPorts": opts["publish_all"],
        "ReadonlyRootfs": opts["read_only"],
        "SecurityOpt": security,
        "StorageOpt": storage or None,
        "Tmpfs": tmpfs or None,
        "UTSMode": opts["uts"],
        "UsernsMode": opts["userns"],
        "ShmSize": opts["shm_size"],
        "Sysctls": kv_map(opts["sysctl"]) or None,
        "Runtime": opts["runtime"] or None,
        "Isolation": opts["isolation"],
        "CpuShares": opts["cpu_shares"],
        "Memory": opts["memory"],
        "NanoCpus": opts["cpus"],
        "CgroupParent": opts["cgroup_parent"],
        "BlkioWeight": opts["blkio_weight"],
        "BlkioWeightDevice": [parse_weight_device(v) for v in opts["blkio_weight_device"]],
        "BlkioDeviceReadBps": [parse_throttle_bps(v) for v in opts["device_read_bps"]],
        "BlkioDeviceWriteBps": [parse_throttle_bps(v) for v in opts["device_write_bps"]],
        "BlkioDeviceReadIOps": [parse_throttle_iops(v) for v in opts["device_read_iops"]],
        "BlkioDeviceWriteIOps": [parse_throttle_iops(v) for v in opts["device_write_iops"]],
        "CpuPeriod": opts["cpu_period"],
        "CpuQuota": opts["cpu_quota"],
        "CpuRealtimePeriod": opts["cpu_rt_period"],
        "CpuRealtimeRuntime": opts["cpu_rt_runtime"],
        "CpusetCpus": opts["cpuset_cpus"],
        "CpusetMems": opts["cpuset_mems"],
        "Devices": devices,
        "DeviceCgroupRules": list(opts["device_cgroup_rule"]) or None,
        "DeviceRequests": None,
        "KernelMemory": opts["kernel_memory"],
        "MemoryReservation": opts["memory_reservation"],
        "MemorySwap": opts["memory_swap"],
        "MemorySwappiness": swappiness,
        "OomKillDisable": opts["oom_kill_disable"],
        "PidsLimit": opts["pids_limit"],
        "Ulimits": [parse_ulimit(u) for u in opts["ulimit"]],
        "CpuCount": 0,
        "CpuPercent": 0,
        "IOMaximumIOps": 0,
        "IOMaximumBandwidth": 0,
        "Mounts": [parse_mount(m) for m in opts["mount"]] or None,
        "MaskedPaths": masked,
        "ReadonlyPaths": readonly_paths,
    }
    if opts["gpus"]:
        host["DeviceRequests"] = [_gpu_request(opts["gpus"])]
    for key in ("Annotations", "StorageOpt", "Tmpfs", "Sysctls", "Runtime", "Mounts"):
        if host[key] is None:
            del host[key]
    if not opts["kernel_memory"]:
        del host["KernelMemory"]
    if "init" in changed:
        host["Init"] = opts["init"]
    if opts["rm"] and restart and restart.get("Name") not in ("", "no"):
        raise SpecError("conflicting options: cannot specify both --restart and --rm")
    config["HostConfig"] = host
    config["NetworkingConfig"] = _networking(opts)
    return config


def _gpu_request(value: str) -> dict[str, Any]:
    request: dict[str, Any] = {"Driver": "", "Count": 0, "DeviceIDs": None, "Capabilities": [["gpu"]]}
    for item in value.split(","):
        key, sep, val = item.partition("=")
        if not sep:
            if key == "all":
                request["Count"] = -1
            elif key.isdigit():
                request["Count"] = int(key)
            else:
                raise SpecError(f"unexpected key '{key}' in '{value}'")
        elif key == "count":
            request["Count"] = -1 if val == "all" else int(val)
        elif key == "driver":
            request["Driver"] = val
        elif key == "device":
            request["DeviceIDs"] = val.split(",")
        elif key == "capabilities":
            request["Capabilities"] = [val.split(",")]
        else:
            raise SpecError(f"unexpected key '{key}' in '{value}'")
    return request
