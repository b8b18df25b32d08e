"""The network subsystem's settings, taken from the daemon's configuration.

Every kernel name the subsystem creates derives from :attr:`NetworkConfig.bridge`
(the default bridge's device name), so that two daemons on one host (the
parallel test workers) never collide: their iptables chains are
``PYMOBY`` + :attr:`NetworkConfig.chain_suffix`, their user-defined bridges
``pmb-<network id>``, their namespaces live under their own exec root.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._errors import InvalidNetworkConfig

__all__ = ["DEFAULT_BRIDGE", "NetworkConfig"]

#: The default bridge's device name (Docker's is docker0).
DEFAULT_BRIDGE = "pymoby0"
_IFNAME_MAX = 15


@dataclass(frozen=True, slots=True)
class NetworkConfig:
    """How the daemon's networks are set up.

    ``default_address_pools`` holds ``(base, size)`` pairs; empty means
    Docker's defaults (172.17.0.0/16 ... 172.31.0.0/16 as /16s, then
    192.168.0.0/16 as /20s). ``bip`` is the default bridge's gateway address
    with its prefix (``--bip``); empty means "the first free pool".
    """

    data_root: Path
    exec_root: Path
    bridge: str = DEFAULT_BRIDGE
    bip: str = ""
    default_address_pools: tuple[tuple[str, int], ...] = ()
    iptables: bool = True
    ip_forward: bool = True
    ip_masq: bool = True
    icc: bool = True
    mtu: int = 1500
    default_bind_ip: str = "0.0.0.0"
    userland_proxy: bool = True
    ipv6: bool = False
    dns: tuple[str, ...] = ()
    dns_search: tuple[str, ...] = ()
    dns_options: tuple[str, ...] = ()
    #: The host's resolver configuration, read for containers' resolv.conf.
    host_resolv_conf: Path = Path("/etc/resolv.conf")
    host_hosts: Path = Path("/etc/hosts")

    def __post_init__(self) -> None:
        if not self.bridge or len(self.bridge) > _IFNAME_MAX or "/" in self.bridge or " " in self.bridge:
            raise InvalidNetworkConfig(f"invalid bridge name: {self.bridge!r}")
        if self.bip:
            try:
                ipaddress.IPv4Interface(self.bip)
            except ValueError:
                raise InvalidNetworkConfig(f"invalid bip: {self.bip}") from None
        for base, size in self.default_address_pools:
            try:
                network = ipaddress.ip_network(base)
            except ValueError:
                raise InvalidNetworkConfig(f"invalid default address pool base: {base}") from None
            if not network.prefixlen <= size <= network.max_prefixlen:
                raise InvalidNetworkConfig(f"invalid default address pool size {size} for {base}")
        if not 68 <= self.mtu <= 65535:
            raise InvalidNetworkConfig(f"invalid MTU: {self.mtu}")

    @property
    def chain_suffix(self) -> str:
        """``""`` for the default bridge name, else ``-<bridge>``: the iptables chains are per daemon."""
        return "" if self.bridge == DEFAULT_BRIDGE else f"-{self.bridge}"

    @property
    def state_dir(self) -> Path:
        """Where networks and container attachments are persisted."""
        return self.data_root / "network"

    @property
    def netns_dir(self) -> Path:
        """Where the containers' network namespaces are bind-mounted (their ``SandboxKey``)."""
        return self.exec_root / "netns"

    @classmethod
    def from_daemon(cls, config: Any, **overrides: Any) -> NetworkConfig:
        """The settings of a ``DaemonConfig`` (keys it does not have yet keep their defaults).

        Reads ``data-root``, ``exec-root``, ``bridge``, ``bip``,
        ``default-address-pools``, ``iptables``, ``ip-forward``, ``ip-masq``,
        ``icc``, ``mtu``, ``ip``, ``userland-proxy``, ``ipv6``, ``dns``,
        ``dns-search``, ``dns-opts``. Raises :class:`InvalidNetworkConfig`.
        """

        def get(name: str, default: Any) -> Any:
            value = getattr(config, name, None)
            return default if value in (None, "") else value

        pools: Sequence[Any] = get("default_address_pools", [])
        values: dict[str, Any] = {
            "data_root": Path(config.data_root),
            "exec_root": Path(config.exec_root),
            "bridge": get("bridge", DEFAULT_BRIDGE),
            "bip": get("bip", ""),
            "default_address_pools": tuple((p.base, p.size) for p in pools),
            "iptables": bool(get("iptables", True)),
            "ip_forward": bool(get("ip_forward", True)),
            "ip_masq": bool(get("ip_masq", True)),
            "icc": bool(get("icc", True)),
            "mtu": int(get("mtu", 1500)) or 1500,
            "default_bind_ip": get("ip", "0.0.0.0"),
            "userland_proxy": bool(get("userland_proxy", True)),
            "ipv6": bool(get("ipv6", False)),
            "dns": tuple(get("dns", ())),
            "dns_search": tuple(get("dns_search", ())),
            "dns_options": tuple(get("dns_opts", ())),
        }
        values.update(overrides)
        return cls(**values)
