"""pymoby.daemon.oci: the OCI runtime spec of a container, with Docker's defaults (moby ``daemon/oci_linux.go``).

For the containers engineer, the seams:

- daemon start: ``settings = await anyio.to_thread.run_sync(detect_spec_settings)``
  (pass ``cgroup_parent``, ``seccomp_profile`` text, ``no_new_privileges``,
  ``default_ulimits``, ``init``/``init_path``, ``default_shm_size`` from the
  daemon config) and ``sysinfo = await anyio.to_thread.run_sync(read_sysinfo)``.
- create: ``warnings = validate_host_config(hc, sysinfo,
  available_capabilities=settings.available_capabilities)`` (raises
  ``InvalidParameter`` with Docker's message; drops unsupported limits in
  place), then ``hc = apply_host_config_defaults(hc, default_shm_size=...,
  cgroup_version=settings.cgroup_version)`` before storing it.
- start (rootfs mounted): ``user = await anyio.to_thread.run_sync(resolve_user,
  rootfs, config.user, hc.group_add)``, ``devices = await
  anyio.to_thread.run_sync(resolve_devices, hc)``, then ``spec =
  build_spec(id, process=ProcessSettings(args, env, cwd, tty), host_config=hc,
  settings=settings, user=user, hostname=..., domainname=..., mounts=[...],
  namespaces=JoinNamespaces(network=netns_path), devices=devices)`` and hand
  ``spec`` to ``client.create_container``.
"""

from ._adapt import apply_host_config_defaults
from ._caps import ALL_CAPABILITIES, InvalidCapability, normalize_capabilities, tweak_capabilities
from ._defaults import (
    DEFAULT_CAPABILITIES,
    DEFAULT_MASKED_PATHS,
    DEFAULT_READONLY_PATHS,
    DEFAULT_SHM_SIZE,
    IN_CONTAINER_INIT_PATH,
    KNOWN_CAPABILITIES,
    OCI_VERSION,
)
from ._devices import (
    DeviceNode,
    InvalidDevice,
    ResolvedDevices,
    device_cgroup_rule,
    host_devices,
    resolve_devices,
)
from ._mounts import InvalidMount, bind_mount, merge_tmpfs_options, tmpfs_mount
from ._seccomp import (
    InvalidSeccompProfile,
    builtin_seccomp_profile,
    default_seccomp_profile,
    load_seccomp_profile,
    seccomp_for,
)
from ._secopts import SECCOMP_BUILTIN, SECCOMP_UNCONFINED, InvalidSecurityOpt, SecurityOptions, parse_security_opts
from ._settings import DEFAULT_INIT_BINARY, SpecSettings, detect_spec_settings, kernel_version, process_capabilities
from ._spec import DEFAULT_PATH_ENV, JoinNamespaces, ProcessSettings, build_spec, merge_env
from ._sysinfo import SysInfo, read_sysinfo
from ._user import ProcessUser, UnknownUser, parse_user, resolve_user, scoped_path
from ._validate import MIN_MEMORY, InvalidHostConfig, validate_host_config, validate_sysctl

__all__ = [
    "ALL_CAPABILITIES",
    "DEFAULT_CAPABILITIES",
    "DEFAULT_INIT_BINARY",
    "DEFAULT_MASKED_PATHS",
    "DEFAULT_PATH_ENV",
    "DEFAULT_READONLY_PATHS",
    "DEFAULT_SHM_SIZE",
    "IN_CONTAINER_INIT_PATH",
    "KNOWN_CAPABILITIES",
    "MIN_MEMORY",
    "OCI_VERSION",
    "SECCOMP_BUILTIN",
    "SECCOMP_UNCONFINED",
    "DeviceNode",
    "InvalidCapability",
    "InvalidDevice",
    "InvalidHostConfig",
    "InvalidMount",
    "InvalidSeccompProfile",
    "InvalidSecurityOpt",
    "JoinNamespaces",
    "ProcessSettings",
    "ProcessUser",
    "ResolvedDevices",
    "SecurityOptions",
    "SpecSettings",
    "SysInfo",
    "UnknownUser",
    "apply_host_config_defaults",
    "bind_mount",
    "builtin_seccomp_profile",
    "build_spec",
    "default_seccomp_profile",
    "detect_spec_settings",
    "device_cgroup_rule",
    "host_devices",
    "kernel_version",
    "load_seccomp_profile",
    "merge_env",
    "merge_tmpfs_options",
    "normalize_capabilities",
    "parse_security_opts",
    "parse_user",
    "process_capabilities",
    "read_sysinfo",
    "resolve_devices",
    "resolve_user",
    "scoped_path",
    "seccomp_for",
    "tmpfs_mount",
    "tweak_capabilities",
    "validate_host_config",
    "validate_sysctl",
]
