"""The OCI runtime spec of a container, built the way dockerd builds it (moby ``daemon/oci_linux.go``).

:func:`build_spec` is pure: everything it needs from the host (the user
resolved through the image's files, the host's device nodes, the daemon's
settings and host facts) is handed in, so the same inputs always give the
same JSON-ready dict.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from pymoby import errdefs
from pymoby.api import HostConfig

from ._caps import tweak_capabilities
from ._defaults import (
    DEFAULT_MASKED_PATHS,
    DEFAULT_READONLY_PATHS,
    IN_CONTAINER_INIT_PATH,
    OCI_VERSION,
    default_device_rules,
)
from ._devices import ResolvedDevices, device_cgroup_rule
from ._mounts import assemble_mounts, tmpfs_mount
from ._resources import block_io, cpu_resources, memory_resources, pids_limit, rlimits
from ._seccomp import InvalidSeccompProfile, builtin_seccomp_profile, load_seccomp_profile, seccomp_for
from ._secopts import SECCOMP_BUILTIN, SECCOMP_UNCONFINED, SecurityOptions, parse_security_opts
from ._settings import SpecSettings
from ._user import ProcessUser

__all__ = ["DEFAULT_PATH_ENV", "JoinNamespaces", "ProcessSettings", "build_spec", "merge_env"]

DEFAULT_PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True, slots=True)
class ProcessSettings:
    """The container's process, from its merged Config (image + create request).

    ``args``: entrypoint + cmd; ``env``: ``Config.Env``; ``cwd``:
    ``Config.WorkingDir`` (``""`` is ``/``); ``linked_env``: the variables of
    legacy ``--link`` s.
    """

    args: Sequence[str]
    env: Sequence[str] = ()
    cwd: str = ""
    tty: bool = False
    linked_env: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class JoinNamespaces:
    """Namespaces to join, resolved by the caller to paths (``/proc/<pid>/ns/net``, a netns file).

    ``network``: the sandbox's netns (bridge, none, ``container:``); leave it
    ``None`` for ``NetworkMode: host`` (no network namespace) or to let runc
    create an empty one. ``ipc``/``pid``: for ``container:<id>`` modes, the
    other container's namespace. ``host`` modes need no path.
    """

    network: str | None = None
    ipc: str | None = None
    pid: str | None = None


def merge_env(defaults: Sequence[str], overrides: Sequence[str]) -> list[str]:
    """Docker's ``ReplaceOrAppendEnvValues``: ``K=V`` replaces or appends, a bare ``K`` removes ``K``."""
    env: list[str | None] = list(defaults)
    index = {entry.partition("=")[0]: i for i, entry in enumerate(defaults)}
    for value in overrides:
        key, sep, _ = value.partition("=")
        if not sep:
            if value in index:
                env[index[value]] = None
            continue
        if key in index:
            env[index[key]] = value
        else:
            env.append(value)
    return [e for e in env if e is not None]


def _is_container_mode(mode: str) -> bool:
    return mode.startswith("container:")


def _namespaces(hc: HostConfig, join: JoinNamespaces, cgroupns_private: bool) -> list[dict[str, str]]:
    namespaces: list[dict[str, str]] = [{"type": "mount"}]
    if join.network is not None:
        namespaces.append({"type": "network", "path": join.network})
    elif _is_container_mode(hc.network_mode):
        raise errdefs.InvalidParameter(f"network mode {hc.network_mode}: the namespace path was not resolved")
    elif hc.network_mode != "host":
        namespaces.append({"type": "network"})
    if hc.uts_mode != "host":
        namespaces.append({"type": "uts"})
    if _is_container_mode(hc.pid_mode):
        if join.pid is None:
            raise errdefs.InvalidParameter(f"invalid PID mode: {hc.pid_mode}: the namespace path was not resolved")
        namespaces.append({"type": "pid", "path": join.pid})
    elif hc.pid_mode != "host":
        namespaces.append({"type": "pid"})
    if _is_container_mode(hc.ipc_mode):
        if join.ipc is None:
            raise errdefs.InvalidParameter(f"invalid IPC mode: {hc.ipc_mode}: the namespace path was not resolved")
        namespaces.append({"type": "ipc", "path": join.ipc})
    elif hc.ipc_mode != "host":
        namespaces.append({"type": "ipc"})
    if cgroupns_private:
        namespaces.append({"type": "cgroup"})
    return namespaces


def _seccomp(
    hc: HostConfig, security: SecurityOptions, settings: SpecSettings, capabilities: Sequence[str]
) -> dict[str, Any] | None:
    chosen = security.seccomp
    if chosen == SECCOMP_UNCONFINED or hc.privileged:
        return None
    if not settings.seccomp_enabled:
        if chosen not in ("", SECCOMP_BUILTIN):
            raise InvalidSeccompProfile("seccomp is not enabled in your kernel, cannot run a custom seccomp profile")
        return None
    if chosen == "":
        chosen = settings.seccomp_profile
    if chosen == SECCOMP_UNCONFINED:
        return None
    profile = builtin_seccomp_profile() if chosen in ("", SECCOMP_BUILTIN) else load_seccomp_profile(chosen)
    return seccomp_for(
        profile, capabilities=capabilities, go_arch=settings.go_arch, kernel_version=settings.kernel_version
    )


def _device_rules(hc: HostConfig, devices: ResolvedDevices) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    nodes = [node.to_spec() for node in devices.host]
    nodes += [node.to_spec() for node, _ in devices.devices]
    if hc.privileged:
        return nodes, [{"allow": True, "access": "rwm"}]
    rules = default_device_rules()
    rules += [node.cgroup_rule(access) for node, access in devices.devices]
    rules += [device_cgroup_rule(rule) for rule in hc.device_cgroup_rules or ()]
    return nodes, rules


def _rootfs_propagation(mounts: Sequence[Mapping[str, Any]]) -> str:
    propagation = ""
    for mount in mounts:
        if mount.get("type") != "bind":
            continue
        options = set(mount.get("options") or ())
        if options & {"shared", "rshared"}:
            return "shared"
        if options & {"slave", "rslave"}:
            propagation = "rslave"
    return propagation


def build_spec(
    container_id: str,
    *,
    process: ProcessSettings,
    host_config: HostConfig,
    settings: SpecSettings,
    user: ProcessUser | None = None,
    hostname: str = "",
    domainname: str = "",
    mounts: Sequence[Mapping[str, Any]] = (),
    namespaces: JoinNamespaces | None = None,
    root_path: str = "rootfs",
    devices: ResolvedDevices | None = None,
    hooks: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    security: SecurityOptions | None = None,
) -> dict[str, Any]:
    """The OCI runtime spec (a JSON-ready dict) for one container, with Docker's defaults.

    - ``process``: args, env, cwd, tty of the merged config; ``user``: from
      :func:`resolve_user` (root when ``None``).
    - ``hostname``/``domainname``: ``Config.Hostname``/``Config.Domainname``.
    - ``mounts``: OCI mount objects the caller computed (binds, volumes,
      ``--mount``, /etc/hosts, /etc/hostname, /etc/resolv.conf, a
      daemon-managed /dev/shm); ``HostConfig.Tmpfs`` and, for
      ``IpcMode: host``, the host's /dev/shm are added here unless a mount
      at that destination is given.
    - ``namespaces``: paths to join (:class:`JoinNamespaces`).
    - ``root_path``: ``"rootfs"`` when containerd mounts the root file
      system from the task's rootfs mounts, else an absolute directory.
    - ``devices``: from :func:`resolve_devices`; ``security``: parsed
      ``SecurityOpt`` (parsed here when ``None``).

    Raises ``InvalidParameter`` kinds: an unknown capability, a bad
    ``SecurityOpt``, seccomp profile, tmpfs option or device cgroup rule,
    or a ``container:`` namespace mode whose path was not given.
    """
    hc = host_config
    join = namespaces or JoinNamespaces()
    user = user or ProcessUser()
    devices = devices or ResolvedDevices()
    if security is None:
        security = parse_security_opts(hc.security_opt, apparmor_enabled=settings.apparmor_enabled)

    # Process: args (with the init in front), env, capabilities, rlimits.
    args = list(process.args)
    pid_private = hc.pid_mode != "host" and not _is_container_mode(hc.pid_mode)
    use_init = hc.init if isinstance(hc.init, bool) else settings.init
    init_mount = None
    if pid_private and use_init:
        args = [IN_CONTAINER_INIT_PATH, "--", *args]
        init_mount = {
            "destination": IN_CONTAINER_INIT_PATH,
            "type": "bind",
            "source": settings.init_path,
            "options": ["bind", "ro"],
        }
    base_env = [DEFAULT_PATH_ENV, "HOSTNAME=" + hostname]
    if process.tty:
        base_env.append("TERM=xterm")
    capabilities = tweak_capabilities(
        hc.cap_add, hc.cap_drop, privileged=hc.privileged, available=settings.available_capabilities
    )
    spec_process: dict[str, Any] = {
        "user": user.to_spec(),
        "args": args,
        "env": merge_env([*base_env, *process.linked_env], process.env),
        "cwd": process.cwd or "/",
        "capabilities": {"bounding": capabilities, "effective": capabilities, "permitted": capabilities},
        "oomScoreAdj": hc.oom_score_adj,
    }
    if process.tty:
        spec_process["terminal"] = True
    if process.tty and hc.console_size and len(hc.console_size) == 2 and all(hc.console_size):
        spec_process["consoleSize"] = {"height": hc.console_size[0], "width": hc.console_size[1]}
    limits = rlimits(hc.ulimits, settings.default_ulimits)
    if limits:
        spec_process["rlimits"] = limits
    no_new_privileges = security.no_new_privileges
    if no_new_privileges is None:
        no_new_privileges = settings.no_new_privileges
    if no_new_privileges:
        spec_process["noNewPrivileges"] = True
    if settings.apparmor_enabled and security.apparmor:
        spec_process["apparmorProfile"] = security.apparmor

    # Mounts.
    container_mounts = [dict(m) for m in mounts]
    taken = {m["destination"] for m in container_mounts}
    for destination, data in (hc.tmpfs or {}).items():
        if destination not in taken:
            container_mounts.append(tmpfs_mount(destination, data))
    if hc.ipc_mode == "host" and "/dev/shm" not in taken:
        container_mounts.append(
            {"destination": "/dev/shm", "type": "bind", "source": "/dev/shm", "options": ["rbind", "rprivate"]}
        )
    spec_mounts = assemble_mounts(
        container_mounts,
        shm_size=hc.shm_size or settings.default_shm_size,
        ipc_none=hc.ipc_mode == "none",
        readonly_rootfs=hc.readonly_rootfs,
        privileged=hc.privileged,
        init_mount=init_mount,
    )

    # Linux: namespaces, cgroups, resources, devices, sysctls, paths, seccomp.
    cgroupns_private = hc.cgroupns_mode == "private"
    node_list, device_rules = _device_rules(hc, devices)
    resources: dict[str, Any] = {"devices": device_rules}
    for key, value in (
        ("memory", memory_resources(hc)),
        ("cpu", cpu_resources(hc)),
        ("pids", pids_limit(hc)),
        ("blockIO", block_io(hc, devices)),
    ):
        if value is not None:
            resources[key] = value
    sysctl: dict[str, str] = {}
    if domainname:
        sysctl["kernel.domainname"] = domainname
    if hc.network_mode != "host" and not _is_container_mode(hc.network_mode):
        if "net.ipv4.ping_group_range" in settings.net_sysctls:
            sysctl["net.ipv4.ping_group_range"] = "0 2147483647"
        if "net.ipv4.ip_unprivileged_port_start" in settings.net_sysctls:
            sysctl["net.ipv4.ip_unprivileged_port_start"] = "0"
    sysctl.update(hc.sysctls or {})
    parent = hc.cgroup_parent or settings.cgroup_parent
    linux: dict[str, Any] = {
        "namespaces": _namespaces(hc, join, cgroupns_private),
        "cgroupsPath": posixpath.join(parent, container_id),
        "resources": resources,
    }
    if node_list:
        linux["devices"] = node_list
    if sysctl:
        linux["sysctl"] = sysctl
    masked: Sequence[str] = () if hc.privileged or security.unconfined_system_paths else DEFAULT_MASKED_PATHS
    readonly: Sequence[str] = () if hc.privileged or security.unconfined_system_paths else DEFAULT_READONLY_PATHS
    if hc.masked_paths is not None:
        masked = hc.masked_paths
    if hc.readonly_paths is not None:
        readonly = hc.readonly_paths
    if masked:
        linux["maskedPaths"] = list(masked)
    if readonly:
        linux["readonlyPaths"] = list(readonly)
    seccomp = _seccomp(hc, security, settings, capabilities)
    if seccomp is not None:
        linux["seccomp"] = seccomp
    propagation = _rootfs_propagation(spec_mounts)
    if propagation:
        linux["rootfsPropagation"] = propagation

    spec: dict[str, Any] = {
        "ociVersion": OCI_VERSION,
        "process": spec_process,
        "root": {"path": root_path, "readonly": True} if hc.readonly_rootfs else {"path": root_path},
        "mounts": spec_mounts,
        "linux": linux,
    }
    if hostname and hc.uts_mode != "host":
        spec["hostname"] = hostname
    if hooks:
        spec["hooks"] = {stage: [dict(h) for h in entries] for stage, entries in hooks.items()}
    if hc.annotations is not msgspec.UNSET and hc.annotations:
        spec["annotations"] = dict(hc.annotations)
    return spec
