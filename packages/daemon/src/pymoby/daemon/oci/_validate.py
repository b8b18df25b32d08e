"""Create-time validation of a ``HostConfig``, with Docker's messages and warnings.

Follows moby's ``verifyContainerSettings``: ``validateHostConfig`` (restart
policy, AutoRemove, capabilities, ports, extra hosts, annotations),
``verifyPlatformContainerResources`` (memory, CPU, cpuset, block IO against
what the host supports) and ``verifyPlatformContainerSettings`` (namespace
modes, shm, OOM score, runtime, tmpfs, cgroupns), plus the checks runc would
only make at start (sysctls, ulimits, device rules, security options), so
they fail ``docker create`` instead of ``docker start``.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re
from collections.abc import Collection

import msgspec

from pymoby import errdefs
from pymoby.api import HostConfig

from ._caps import InvalidCapability, normalize_capabilities
from ._devices import device_cgroup_rule
from ._secopts import parse_security_opts
from ._sysinfo import SysInfo

__all__ = ["MIN_MEMORY", "InvalidHostConfig", "validate_host_config", "validate_sysctl"]

MIN_MEMORY = 6 * 1024 * 1024
"""Docker's smallest memory limit (and reservation): 6 MiB."""

_RESTART_NAMES = ("no", "always", "on-failure", "unless-stopped")
_IPC_MODES = ("", "none", "private", "shareable", "host")
_ULIMITS = {
    "as", "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss",
    "rtprio", "rttime", "sigpending", "stack",
}  # fmt: skip
_IPC_SYSCTLS = {
    "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall", "kernel.shmmax",
    "kernel.shmmni", "kernel.shm_rmid_forced",
}  # fmt: skip
_PORT = re.compile(r"^\d+(-\d+)?$")


class InvalidHostConfig(errdefs.InvalidParameter):
    """A ``HostConfig`` that Docker would refuse at create."""


def _restart_policy(hc: HostConfig) -> None:
    name, retries = hc.restart_policy.name, hc.restart_policy.maximum_retry_count
    if name in ("always", "unless-stopped", "no"):
        if retries != 0:
            message = "invalid restart policy: maximum retry count can only be used with 'on-failure'"
            if retries < 0:
                message += " and cannot be negative"
            raise InvalidHostConfig(message)
    elif name == "on-failure":
        if retries < 0:
            raise InvalidHostConfig("invalid restart policy: maximum retry count cannot be negative")
    elif name != "":
        raise InvalidHostConfig(
            f"invalid restart policy: unknown policy '{name}'; use one of "
            "'no', 'always', 'on-failure', or 'unless-stopped'"
        )


def _valid_port(value: str) -> bool:
    if not _PORT.match(value):
        return False
    low, _, high = value.partition("-")
    return int(low) <= 65535 and (not high or int(low) <= int(high) <= 65535)


def _ports(hc: HostConfig) -> None:
    for port, bindings in (hc.port_bindings or {}).items():
        number = port.partition("/")[0]
        if not _valid_port(number):
            raise InvalidHostConfig(f'invalid port specification: "{number}"')
        for binding in bindings or ():
            host_port = binding.host_port.partition("/")[0]
            if host_port and not _valid_port(host_port):
                raise InvalidHostConfig(f'invalid port specification: "{binding.host_port}"')


def _extra_hosts(hc: HostConfig) -> None:
    for entry in hc.extra_hosts or ():
        name, sep, ip = entry.partition(":")
        if not sep or not name:
            raise InvalidHostConfig(f'bad format for add-host: "{entry}"')
        if ip == "host-gateway":
            continue
        try:
            ipaddress.ip_address(ip.strip("[]"))
        except ValueError as exc:
            raise InvalidHostConfig(f'invalid IP address in add-host: "{ip}"') from exc


def _common(hc: HostConfig, available_capabilities: Collection[str] | None) -> None:
    if hc.auto_remove and hc.restart_policy.name not in ("", "no"):
        raise InvalidHostConfig("can't create 'AutoRemove' container with restart policy")
    _extra_hosts(hc)
    _ports(hc)
    _restart_policy(hc)
    for field, values in (("CapAdd", hc.cap_add), ("CapDrop", hc.cap_drop)):
        try:
            normalize_capabilities(values or (), available_capabilities)
        except InvalidCapability as exc:
            raise InvalidCapability(f"invalid {field}: {exc}") from exc
    if hc.isolation not in ("", "default"):
        raise InvalidHostConfig(f"invalid isolation '{hc.isolation}' on linux")
    if hc.annotations is not msgspec.UNSET and "" in hc.annotations:
        raise InvalidHostConfig("invalid Annotations: the empty string is not permitted as an annotation key")


def _parse_cpuset(value: str, maximum: int) -> set[int]:
    result: set[int] = set()
    if value == "":
        return result
    for part in value.split(","):
        low, dash, high = part.partition("-")
        if not low.isdigit() or (dash and not high.isdigit()):
            raise ValueError(f"invalid format: {value}")
        first, last = int(low), int(high) if dash else int(low)
        if last < first:
            raise ValueError(f"invalid format: {value}")
        if maximum and last > maximum:
            raise ValueError(f"value of out range, maximum is {maximum}")
        result.update(range(first, last + 1))
    return result


def _cpuset_available(requested: str, available: str, what: str) -> bool:
    have = _parse_cpuset(available, 0)
    try:
        wanted = _parse_cpuset(requested, max([8192, *have]))
    except ValueError as exc:
        raise InvalidHostConfig(f"Invalid value {requested} for cpuset {what}: {exc}") from exc
    return wanted <= have


def _resources(hc: HostConfig, info: SysInfo, update: bool) -> list[str]:
    warnings: list[str] = []
    if hc.memory_swappiness == -1:
        hc.memory_swappiness = None
    if hc.memory != 0 and hc.memory < MIN_MEMORY:
        raise InvalidHostConfig("Minimum memory limit allowed is 6MB")
    if hc.memory > 0 and not info.memory_limit:
        warnings.append(
            "Your kernel does not support memory limit capabilities or the cgroup is not mounted. Limitation discarded."
        )
        hc.memory, hc.memory_swap = 0, -1
    if hc.memory > 0 and hc.memory_swap != -1 and not info.swap_limit:
        warnings.append(
            "Your kernel does not support swap limit capabilities or the cgroup is not mounted. "
            "Memory limited without swap."
        )
        hc.memory_swap = -1
    if hc.memory > 0 and hc.memory_swap > 0 and hc.memory_swap < hc.memory:
        raise InvalidHostConfig("Minimum memoryswap limit should be larger than memory limit, see usage")
    if hc.memory == 0 and hc.memory_swap > 0 and not update:
        raise InvalidHostConfig("You should always set the Memory limit when using Memoryswap limit, see usage")
    if hc.memory_swappiness is not None and not info.memory_swappiness:
        warnings.append(
            "Your kernel does not support memory swappiness capabilities or the cgroup is not mounted. "
            "Memory swappiness discarded."
        )
        hc.memory_swappiness = None
    if hc.memory_swappiness is not None and not 0 <= hc.memory_swappiness <= 100:
        raise InvalidHostConfig(f"Invalid value: {hc.memory_swappiness}, valid memory swappiness range is 0-100")
    if hc.memory_reservation > 0 and not info.memory_reservation:
        warnings.append(
            "Your kernel does not support memory soft limit capabilities or the cgroup is not mounted. "
            "Limitation discarded."
        )
        hc.memory_reservation = 0
    if 0 < hc.memory_reservation < MIN_MEMORY:
        raise InvalidHostConfig("Minimum memory reservation allowed is 6MB")
    if hc.memory > 0 and hc.memory_reservation > 0 and hc.memory < hc.memory_reservation:
        raise InvalidHostConfig("Minimum memory limit can not be less than memory reservation limit, see usage")
    if isinstance(hc.kernel_memory, int) and hc.kernel_memory > 0:
        if not info.kernel_memory:
            warnings.append(
                "Your kernel does not support kernel memory limit capabilities or the cgroup is not mounted. "
                "Limitation discarded."
            )
            hc.kernel_memory = 0
        elif hc.kernel_memory < MIN_MEMORY:
            raise InvalidHostConfig("Minimum kernel memory limit allowed is 6MB")
    if hc.oom_kill_disable is not None and not info.oom_kill_disable:
        if hc.oom_kill_disable:
            warnings.append("Your kernel does not support OomKillDisable. OomKillDisable discarded.")
        hc.oom_kill_disable = None
    if hc.oom_kill_disable and hc.memory == 0:
        warnings.append(
            "OOM killer is disabled for the container, but no memory limit is set, "
            "this can result in the system running out of resources."
        )
    if hc.pids_limit is not None and not info.pids_limit:
        if hc.pids_limit > 0:
            warnings.append(
                "Your kernel does not support PIDs limit capabilities or the cgroup is not mounted. "
                "PIDs limit discarded."
            )
        hc.pids_limit = None

    if hc.nano_cpus > 0 and hc.cpu_period > 0:
        raise InvalidHostConfig("Conflicting options: Nano CPUs and CPU Period cannot both be set")
    if hc.nano_cpus > 0 and hc.cpu_quota > 0:
        raise InvalidHostConfig("Conflicting options: Nano CPUs and CPU Quota cannot both be set")
    if hc.nano_cpus > 0 and not info.cpu_cfs:
        raise InvalidHostConfig(
            "NanoCPUs can not be set, as your kernel does not support CPU CFS scheduler or the cgroup is not mounted"
        )
    if hc.nano_cpus < 0 or hc.nano_cpus > info.ncpu * 1_000_000_000:
        raise InvalidHostConfig(
            f"Range of CPUs is from 0.01 to {info.ncpu}.00, as there are only {info.ncpu} CPUs available"
        )
    if hc.cpu_shares > 0 and not info.cpu_shares:
        warnings.append("Your kernel does not support CPU shares or the cgroup is not mounted. Shares discarded.")
        hc.cpu_shares = 0
    if (hc.cpu_period or hc.cpu_quota) and not info.cpu_cfs:
        warnings.append("Your kernel does not support CPU CFS scheduler. CPU period/quota discarded.")
        hc.cpu_period = hc.cpu_quota = 0
    if hc.cpu_period and not 1000 <= hc.cpu_period <= 1_000_000:
        raise InvalidHostConfig("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)")
    if 0 < hc.cpu_quota < 1000:
        raise InvalidHostConfig("CPU cfs quota can not be less than 1ms (i.e. 1000)")
    if hc.cpu_percent > 0:
        warnings.append("linux does not support CPU percent. Percent discarded.")
        hc.cpu_percent = 0

    if (hc.cpuset_cpus or hc.cpuset_mems) and not info.cpuset:
        warnings.append("Your kernel does not support cpuset or the cgroup is not mounted. Cpuset discarded.")
        hc.cpuset_cpus = hc.cpuset_mems = ""
    if not _cpuset_available(hc.cpuset_cpus, info.cpus, "cpus"):
        raise InvalidHostConfig(
            f"Requested CPUs are not available - requested {hc.cpuset_cpus}, available: {info.cpus}"
        )
    if not _cpuset_available(hc.cpuset_mems, info.mems, "mems"):
        raise InvalidHostConfig(
            f"Requested memory nodes are not available - requested {hc.cpuset_mems}, available: {info.mems}"
        )

    if hc.blkio_weight > 0 and not info.blkio_weight:
        warnings.append("Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.")
        hc.blkio_weight = 0
    if hc.blkio_weight > 0 and not 10 <= hc.blkio_weight <= 1000:
        raise InvalidHostConfig("Range of blkio weight is from 10 to 1000")
    if hc.io_maximum_bandwidth or hc.io_maximum_iops:
        raise InvalidHostConfig("Invalid QoS settings: linux does not support Maximum IO Bandwidth or Maximum IO IOps")
    for attr, supported, message in (
        ("blkio_weight_device", info.blkio_weight_device,
         "Your kernel does not support Block I/O weight_device or the cgroup is not mounted. Weight-device discarded."),
        ("blkio_device_read_bps", info.blkio_read_bps_device,
         "Your kernel does not support BPS Block I/O read limit or the cgroup is not mounted. "
         "Block I/O BPS read limit discarded."),
        ("blkio_device_write_bps", info.blkio_write_bps_device,
         "Your kernel does not support BPS Block I/O write limit or the cgroup is not mounted. "
         "Block I/O BPS write limit discarded."),
        ("blkio_device_read_iops", info.blkio_read_iops_device,
         "Your kernel does not support IOPS Block read limit or the cgroup is not mounted. "
         "Block I/O IOPS read limit discarded."),
        ("blkio_device_write_iops", info.blkio_write_iops_device,
         "Your kernel does not support IOPS Block write limit or the cgroup is not mounted. "
         "Block I/O IOPS write limit discarded."),
    ):  # fmt: skip
        if getattr(hc, attr) and not supported:
            warnings.append(message)
            setattr(hc, attr, [])
    return warnings


def validate_sysctl(name: str, hc: HostConfig) -> None:
    """Refuse a sysctl that is not namespaced, or whose namespace the container shares with the host.

    runc's rules (which Docker meets at start): IPC sysctls and
    ``fs.mqueue.*`` need a private IPC namespace, ``net.*`` a private network
    namespace, ``kernel.domainname``/``kernel.hostname`` a private UTS one.
    Raises :class:`InvalidHostConfig` in runc's words.
    """
    if name in _IPC_SYSCTLS or name.startswith("fs.mqueue."):
        if hc.ipc_mode == "host":
            raise InvalidHostConfig(f'sysctl "{name}" not allowed in host IPC namespace')
        return
    if name.startswith("net."):
        if hc.network_mode == "host":
            raise InvalidHostConfig(f'sysctl "{name}" not allowed in host network namespace')
        return
    if name in ("kernel.domainname", "kernel.hostname"):
        if hc.uts_mode == "host":
            raise InvalidHostConfig(f'sysctl "{name}" not allowed in host UTS namespace')
        return
    raise InvalidHostConfig(f'sysctl "{name}" is not in a separate kernel namespace')


def _settings(hc: HostConfig, info: SysInfo, runtimes: Collection[str], apparmor_enabled: bool) -> list[str]:
    warnings: list[str] = []
    if hc.ipc_mode not in _IPC_MODES and not hc.ipc_mode.startswith("container:"):
        raise InvalidHostConfig(f"invalid IPC mode: {hc.ipc_mode}")
    if hc.pid_mode not in ("", "host") and not (hc.pid_mode.startswith("container:") and hc.pid_mode[10:]):
        raise InvalidHostConfig(f"invalid PID mode: {hc.pid_mode}")
    if hc.shm_size < 0:
        raise InvalidHostConfig("SHM size can not be less than 0")
    if hc.uts_mode not in ("", "host"):
        raise InvalidHostConfig(f"invalid UTS mode: {hc.uts_mode}")
    if not -1000 <= hc.oom_score_adj <= 1000:
        raise InvalidHostConfig(f"Invalid value {hc.oom_score_adj}, range for oom score adj is [-1000, 1000]")
    if info.ipv4_forwarding_disabled and hc.network_mode not in ("host", "none"):
        warnings.append("IPv4 forwarding is disabled. Networking will not work.")
    if hc.network_mode == "host" and hc.port_bindings:
        warnings.append("Published ports are discarded when using host network mode")
    if isinstance(hc.runtime, str) and hc.runtime and hc.runtime not in runtimes:
        raise InvalidHostConfig(f"unknown or invalid runtime name: {hc.runtime}")
    for destination in hc.tmpfs or {}:
        if posixpath.normpath(destination.replace("\\", "/")) == "/":
            raise InvalidHostConfig("invalid specification: destination can't be '/'")
        if not destination.startswith("/"):
            raise InvalidHostConfig(f"invalid mount path: '{destination}' mount path must be absolute")
    if hc.cgroupns_mode not in ("", "private", "host"):
        raise InvalidHostConfig(f"invalid cgroup namespace mode: {hc.cgroupns_mode}")
    if hc.cgroupns_mode == "private" and not info.cgroup_namespaces:
        warnings.append("Your kernel does not support cgroup namespaces.  Cgroup namespace setting discarded.")
    if hc.userns_mode not in ("", "host"):
        raise InvalidHostConfig(f"invalid USER mode: {hc.userns_mode}")
    for name in hc.sysctls or {}:
        validate_sysctl(name, hc)
    for ulimit in hc.ulimits or ():
        if ulimit.name not in _ULIMITS:
            raise InvalidHostConfig(f"invalid ulimit type: {ulimit.name}")
        if ulimit.soft > ulimit.hard >= 0:
            raise InvalidHostConfig(
                f"ulimit soft limit must be less than or equal to hard limit: {ulimit.soft} > {ulimit.hard}"
            )
    for device in hc.devices or ():
        mode = device.cgroup_permissions
        if mode and (len(mode) > 3 or set(mode) - set("rwm")):
            raise InvalidHostConfig(f"invalid device mode: {mode}")
    for rule in hc.device_cgroup_rules or ():
        device_cgroup_rule(rule)
    parse_security_opts(hc.security_opt, apparmor_enabled=apparmor_enabled)
    return warnings


def validate_host_config(
    host_config: HostConfig,
    sysinfo: SysInfo,
    *,
    update: bool = False,
    runtimes: Collection[str] = ("runc", "io.containerd.runc.v2"),
    available_capabilities: Collection[str] | None = None,
    apparmor_enabled: bool = False,
) -> list[str]:
    """Check ``host_config`` as Docker does at create; return the warnings for the create response.

    Like Docker, it drops (in place) the limits this host cannot enforce,
    with a warning saying so, and turns ``MemorySwappiness: -1`` into unset.
    ``update`` relaxes the "Memory with MemorySwap" rule for ``docker
    update``. Raises :class:`InvalidHostConfig` (``InvalidParameter``) with
    Docker's message for the first problem found.
    """
    _common(host_config, available_capabilities)
    warnings = _resources(host_config, sysinfo, update)
    warnings += _settings(host_config, sysinfo, runtimes, apparmor_enabled)
    return warnings
