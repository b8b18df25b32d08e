"""``POST /networks/create``: the checks Docker makes, and the record they lead to (pure).

:func:`build_network` validates a create request against the networks that
exist and returns the new :class:`NetworkRecord`, its subnets still to be
chosen where the request names none (:func:`needs_pool`), which needs the
host's routes and so is the controller's job.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from pymoby import api, errdefs

from ._errors import InvalidNetworkConfig, NetworkConflict, NetworkNameTaken, PredefinedNetwork, UnknownDriver
from ._ipam import SubnetAllocator, check_overlap
from ._model import (
    OPT_BRIDGE_NAME,
    OPT_ICC,
    OPT_INHIBIT_IPV4,
    OPT_MASQUERADE,
    OPT_MTU,
    NetworkRecord,
    SubnetRecord,
)
from ._spec import PREDEFINED

__all__ = ["bridge_device", "build_network", "default_gateway", "needs_pool", "validate_ipam"]

_BOOL_OPTIONS = (OPT_ICC, OPT_MASQUERADE, OPT_INHIBIT_IPV4)


def bridge_device(network_id: str) -> str:
    """The bridge device of a user-defined network: ``pmb-`` and the ID's first 11 digits (15 bytes)."""
    return f"pmb-{network_id[:11]}"


def _masked(text: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network | None, str]:
    try:
        prefix = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None, ""
    given = ipaddress.ip_interface(text)
    return prefix, "" if given.ip == prefix.network_address else str(prefix)


def validate_ipam(configs: Sequence[api.IPAMConfig], enable_ipv6: bool) -> None:
    """Docker's ``ValidateIPAM``: subnets, ranges, gateways and auxiliary addresses.

    Raises :class:`InvalidNetworkConfig` with every problem, one per line.
    """
    errors: list[str] = []
    for config in configs:
        subnet, should_be = _masked(config.subnet)
        if subnet is None:
            errors.append(f"invalid subnet {config.subnet}: invalid CIDR block notation")
            continue
        family = "IPv4" if subnet.version == 4 else "IPv6"
        if subnet.version == 6 and not enable_ipv6:
            continue
        if should_be:
            errors.append(f"invalid subnet {config.subnet}: it should be {should_be}")
        if config.ip_range:
            ip_range, range_should_be = _masked(config.ip_range)
            if ip_range is None:
                errors.append(f"invalid ip-range {config.ip_range}: invalid CIDR block notation")
            elif ip_range.version != subnet.version:
                errors.append(f"invalid ip-range {config.ip_range}: parent subnet is an {family} block")
            else:
                if ip_range.prefixlen < subnet.prefixlen:
                    errors.append(
                        f"invalid ip-range {config.ip_range}: CIDR block is bigger than its parent subnet {subnet}"
                    )
                if range_should_be:
                    errors.append(f"invalid ip-range {config.ip_range}: it should be {range_should_be}")
                if not subnet.overlaps(ip_range):
                    errors.append(
                        f"invalid ip-range {config.ip_range}: parent subnet {subnet} doesn't contain ip-range"
                    )
        addresses = [("gateway", config.gateway, config.gateway)] if config.gateway else []
        addresses += [("auxiliary address", name, value) for name, value in (config.aux_address or {}).items()]
        for what, label, value in addresses:
            try:
                address = ipaddress.ip_address(value)
            except ValueError:
                errors.append(f"invalid {what} {label}: invalid address")
                continue
            if address.version != subnet.version:
                errors.append(f"invalid {what} {label}: parent subnet is an {family} block")
            elif address not in subnet:
                errors.append(f"invalid {what} {label}: parent subnet {subnet} doesn't contain this address")
    if errors:
        raise InvalidNetworkConfig("invalid network config:\n" + "\n".join(errors))


def _check_options(options: dict[str, str]) -> None:
    for key in _BOOL_OPTIONS:
        if key in options and options[key].lower() not in ("1", "0", "t", "f", "true", "false"):
            raise InvalidNetworkConfig(f"failed to parse {key} value: {options[key]} (invalid syntax)")
    if OPT_MTU in options:
        try:
            mtu = int(options[OPT_MTU])
        except ValueError:
            raise InvalidNetworkConfig(
                f"failed to parse {OPT_MTU} value: {options[OPT_MTU]} (invalid syntax)"
            ) from None
        if mtu and not 68 <= mtu <= 65535:
            raise InvalidNetworkConfig(f"invalid MTU number: {mtu}")
    name = options.get(OPT_BRIDGE_NAME)
    if name is not None and (not name or len(name) > 15 or "/" in name or " " in name):
        raise InvalidNetworkConfig(f"invalid bridge name: {name!r}")


def build_network(
    request: api.NetworkCreateRequest, network_id: str, created: str, existing: Sequence[NetworkRecord]
) -> NetworkRecord:
    """The record a create request asks for; raises Docker's errors for a bad or conflicting one."""
    name = request.name
    if name in PREDEFINED or name.startswith("container:"):
        raise PredefinedNetwork(f"operation is not permitted on predefined {name} network ")
    if not name.strip():
        raise InvalidNetworkConfig(f"invalid name: {name}")
    driver = request.driver or "bridge"
    if driver in ("host", "null") and not request.config_only:
        raise errdefs.Forbidden(f'only one instance of "{driver}" network is allowed')
    if driver != "bridge":
        raise UnknownDriver(driver)
    ipam = request.ipam or api.IPAM()
    ipam_driver = ipam.driver or "default"
    if ipam_driver != "default":
        raise UnknownDriver(ipam_driver)
    if request.scope not in ("", "local"):
        raise errdefs.Forbidden(f"cannot create a {request.scope} scoped network when swarm is not active")
    if request.ingress:
        raise errdefs.Forbidden("Ingress network can only be global scope network")
    if any(n.name == name for n in existing):
        raise NetworkNameTaken(name)
    enable_ipv6 = bool(request.enable_ipv6)
    options = dict(request.options or {})
    labels = dict(request.labels or {})
    configs = list(ipam.config or [])
    if request.config_only and (request.internal or request.attachable or request.scope):
        raise errdefs.Forbidden(
            "configuration network can only contain network specific fields. Network operator fields like "
            "[ ingress | internal | attachable | scope ] are not supported."
        )
    config_from = request.config_from.network if request.config_from is not None else ""
    if config_from:
        if request.config_only:
            raise errdefs.Forbidden("a configuration network cannot depend on another configuration network")
        if (
            enable_ipv6
            or labels
            or ipam.options
            or configs
            or (request.ipam and request.ipam.driver not in ("", "default"))
        ):
            raise errdefs.Forbidden(
                "user specified configurations are not supported if the network depends on a configuration network"
            )
        if options:
            raise errdefs.Forbidden(
                "network driver options are not supported if the network depends on a configuration network"
            )
        source = next((n for n in existing if n.name == config_from and n.config_only), None)
        if source is None:
            raise errdefs.NotFound(f'configuration network "{config_from}" does not exist')
        enable_ipv6, options = source.enable_ipv6, dict(source.options)
        configs = [
            api.IPAMConfig(subnet=s.subnet, ip_range=s.ip_range, gateway=s.gateway, aux_address=s.aux_addresses or None)
            for s in source.subnets
        ]
        ipam_options = source.ipam_options
    else:
        ipam_options = ipam.options
    validate_ipam(configs, enable_ipv6)
    _check_options(options)
    subnets: list[SubnetRecord] = []
    for config in configs:
        subnet = ipaddress.ip_network(config.subnet, strict=False)
        if subnet.version == 6 and not enable_ipv6:
            continue
        subnets.append(
            SubnetRecord(
                subnet=str(subnet),
                gateway=config.gateway,
                ip_range=config.ip_range,
                aux_addresses=dict(config.aux_address or {}),
                user=True,
            )
        )
    for version in (4, 6):
        if len([s for s in subnets if ipaddress.ip_network(s.subnet).version == version]) > 1:
            raise errdefs.Forbidden("bridge driver doesn't support multiple subnets")
    if not request.config_only:
        in_use = [ipaddress.ip_network(s.subnet) for n in existing if not n.config_only for s in n.subnets]
        for s in subnets:
            check_overlap(ipaddress.ip_network(s.subnet), in_use)
    device = options.get(OPT_BRIDGE_NAME, "" if request.config_only else bridge_device(network_id))
    if device and any(n.device == device for n in existing):
        raise NetworkConflict("networks have same bridge name")
    return NetworkRecord(
        id=network_id,
        name=name,
        driver="null" if request.config_only else driver,
        created=created,
        enable_ipv6=enable_ipv6,
        internal=request.internal,
        attachable=request.attachable,
        config_only=request.config_only,
        config_from=config_from,
        ipam_driver=ipam_driver,
        ipam_options=ipam_options,
        subnets=subnets,
        options=options,
        labels=labels,
        device=device,
    )


def needs_pool(record: NetworkRecord, version: int) -> bool:
    """Whether the network still needs a subnet of IP ``version`` from the default pools."""
    if record.config_only or record.driver != "bridge":
        return False
    if version == 6 and not record.enable_ipv6:
        return False
    return not any(ipaddress.ip_network(s.subnet).version == version for s in record.subnets)


def default_gateway(subnet: SubnetRecord) -> str:
    """The gateway Docker picks when none is given: the first free address of the ip-range, else of the subnet."""
    allocator = SubnetAllocator(
        ipaddress.ip_network(subnet.subnet),
        ip_range=ipaddress.ip_network(subnet.ip_range) if subnet.ip_range else None,
        reserved=[ipaddress.ip_address(a) for a in subnet.aux_addresses.values()],
    )
    return str(allocator.allocate())
