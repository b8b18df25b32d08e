"""The daemon's configuration: the keys of Docker's ``daemon.json`` that apply.

The file and the command line set the same keys (``--registry-mirror`` is
``registry-mirrors``, ``-H`` is ``hosts`` ...). A key set in both is an
error, as in Docker; keys the file does not know are an error too.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import msgspec

from pymoby import errdefs

__all__ = [
    "DEFAULT_CONFIG_FILE",
    "DaemonConfig",
    "InvalidConfig",
    "load_config_file",
    "merge_config",
    "validate_config",
]

DEFAULT_CONFIG_FILE = "/etc/pymoby/daemon.json"
LOG_LEVELS = ("debug", "info", "warn", "error", "fatal")


class InvalidConfig(errdefs.InvalidParameter):
    """The configuration (flags or file) is not valid."""


class AddressPool(msgspec.Struct):
    """One of ``default-address-pools``: ``{"base": "10.10.0.0/16", "size": 24}``."""

    base: str
    size: int


class DaemonConfig(msgspec.Struct, rename="kebab", omit_defaults=True):
    """Every setting, named as in ``daemon.json``."""

    hosts: list[str] = msgspec.field(default_factory=list)
    data_root: str = "/var/lib/pymoby"
    exec_root: str = "/run/pymoby"
    containerd: str = ""
    containerd_namespace: str = "pymoby"
    debug: bool = False
    log_level: str = "info"
    tls: bool | None = None
    tlsverify: bool = False
    tlscacert: str = ""
    tlscert: str = ""
    tlskey: str = ""
    experimental: bool = False
    api_cors_header: str = ""
    registry_mirrors: list[str] = msgspec.field(default_factory=list)
    insecure_registries: list[str] = msgspec.field(default_factory=list)
    live_restore: bool = False
    pidfile: str = "/run/pymoby.pid"
    group: str = "pymoby"
    iptables: bool = True
    ip_forward: bool = True
    ip_masq: bool = True
    icc: bool = True
    #: The default bridge's device name (``-b``); empty: ``pymoby0`` (Docker's is docker0).
    bridge: str = ""
    bip: str = ""
    #: The default host address of published ports (``--ip``).
    ip: str = "0.0.0.0"
    #: The MTU of the default bridge and its containers; 0: 1500.
    mtu: int = 0
    userland_proxy: bool = True
    ipv6: bool = False
    dns: list[str] = msgspec.field(default_factory=list)
    dns_search: list[str] = msgspec.field(default_factory=list)
    dns_opts: list[str] = msgspec.field(default_factory=list)
    default_address_pools: list[AddressPool] = msgspec.field(default_factory=list)
    log_driver: str = "json-file"
    log_opts: dict[str, str] = msgspec.field(default_factory=dict)
    storage_driver: str = "overlay2"
    labels: list[str] = msgspec.field(default_factory=list)
    max_concurrent_downloads: int = 3
    max_concurrent_uploads: int = 5
    shutdown_timeout: int = 15
    default_runtime: str = "runc"

    def to_dict(self) -> dict[str, Any]:
        """The settings as ``daemon.json`` would hold them (every key)."""
        return {f: getattr(self, f.replace("-", "_")) for f in KEYS} | {
            "default-address-pools": [msgspec.to_builtins(p) for p in self.default_address_pools]
        }


#: Every key a config file may hold.
KEYS: tuple[str, ...] = tuple(
    msgspec.structs.fields(DaemonConfig)[i].encode_name for i in range(len(msgspec.structs.fields(DaemonConfig)))
)


def load_config_file(path: str | Path, *, must_exist: bool) -> dict[str, Any]:
    """The keys set in a ``daemon.json``; ``{}`` when it is absent and need not exist.

    Raises :class:`InvalidConfig` for malformed JSON, unknown keys, or wrong types.
    """
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        if must_exist:
            raise InvalidConfig(
                f"unable to configure the Docker daemon with file {path}: open {path}: no such file or directory"
            ) from None
        return {}
    except OSError as exc:
        raise InvalidConfig(f"unable to configure the Docker daemon with file {path}: {exc}") from exc
    if not data.strip():
        return {}
    try:
        raw = msgspec.json.decode(data)
    except msgspec.DecodeError as exc:
        raise InvalidConfig(f"unable to configure the Docker daemon with file {path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise InvalidConfig(f"unable to configure the Docker daemon with file {path}: not a JSON object")
    unknown = sorted(set(raw) - set(KEYS))
    if unknown:
        raise InvalidConfig("the following directives don't match any configuration option: " + ", ".join(unknown))
    try:
        msgspec.convert(raw, DaemonConfig)
    except msgspec.ValidationError as exc:
        raise InvalidConfig(f"unable to configure the Docker daemon with file {path}: {exc}") from exc
    return raw


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + " ".join(map(str, value)) + "]"
    return str(value)


def merge_config(flags: dict[str, Any], file_values: dict[str, Any]) -> DaemonConfig:
    """One configuration from the flags set on the command line and the file's keys.

    Raises :class:`InvalidConfig` (Docker's wording) when a key is in both.
    """
    both = sorted(set(flags) & set(file_values))
    if both:
        details = ", ".join(f"{k}: (from flag: {_show(flags[k])}, from file: {_show(file_values[k])})" for k in both)
        raise InvalidConfig(
            f"the following directives are specified both as a flag and in the configuration file: {details}"
        )
    try:
        config = msgspec.convert(file_values | flags, DaemonConfig)
    except msgspec.ValidationError as exc:
        raise InvalidConfig(str(exc)) from exc
    validate_config(config)
    return config


_IFNAME_MAX = 15


def _validate_network(config: DaemonConfig) -> None:
    bridge = config.bridge
    if bridge == "none":
        raise InvalidConfig("bridge none (no default bridge network) is not supported by pymobyd")
    if bridge and (len(bridge) > _IFNAME_MAX or any(c in bridge for c in "/: \t\n")):
        raise InvalidConfig(f"invalid bridge name: {bridge!r}: at most {_IFNAME_MAX} characters, no '/', ':' or spaces")
    for label, value in [("ip", config.ip)] + [("dns", server) for server in config.dns]:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            raise InvalidConfig(f"invalid {label} address: {value}") from None
    if config.mtu and not 68 <= config.mtu <= 65535:
        raise InvalidConfig(f"invalid MTU: {config.mtu} (68 to 65535)")


def validate_config(config: DaemonConfig) -> None:
    """Raise :class:`InvalidConfig` for values Docker refuses."""
    if config.log_level not in LOG_LEVELS:
        raise InvalidConfig(f"invalid logging level: {config.log_level}")
    if config.bip:
        try:
            ipaddress.ip_interface(config.bip)
        except ValueError:
            raise InvalidConfig(f"invalid bip: {config.bip}") from None
    _validate_network(config)
    for pool in config.default_address_pools:
        try:
            network = ipaddress.ip_network(pool.base)
        except ValueError:
            raise InvalidConfig(f"invalid default address pool base: {pool.base}") from None
        if not network.prefixlen <= pool.size <= network.max_prefixlen:
            raise InvalidConfig(f"invalid default address pool size {pool.size} for {pool.base}")
    for label in config.labels:
        if "=" not in label:
            raise InvalidConfig(f"bad attribute format: {label}")
    for path_key in ("data_root", "exec_root"):
        if not Path(getattr(config, path_key)).is_absolute():
            raise InvalidConfig(f"{path_key.replace('_', '-')} must be an absolute path")
