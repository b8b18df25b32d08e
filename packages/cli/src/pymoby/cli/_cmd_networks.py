"""``network create``, ``ls``, ``rm``, ``connect``, ``disconnect`` and ``prune``."""

from __future__ import annotations

from typing import Any

import click

from pymoby import errdefs

from ._clickext import command
from ._cmd_containers import filters_or_fail
from ._errors import CLIError, describe
from ._fmt_resources import NETWORK_HEADERS, NetworkContext
from ._formatter import Formatter
from ._prune import prune_networks
from ._session import Session
from ._specs import SpecError, kv_map, labels_map, parse_ip
from ._tree import network

__all__: list[str] = []


def _ipam_config(subnets: list[str], ranges: list[str], gateways: list[str], aux: list[str]) -> list[dict[str, Any]]:
    import ipaddress

    if (ranges or gateways) and not subnets:
        raise CLIError("every ip-range or gateway must have a corresponding subnet")
    pools: list[dict[str, Any]] = []
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for subnet in subnets:
        try:
            parsed = ipaddress.ip_network(subnet, strict=False)
        except ValueError as exc:
            raise CLIError(f"invalid subnet: invalid CIDR address: {subnet}") from exc
        for other in networks:
            if parsed.version == other.version and parsed.overlaps(other):
                raise CLIError("multiple overlapping subnet configuration is not supported")
        networks.append(parsed)
        pools.append({"Subnet": subnet, "AuxiliaryAddresses": {}})

    def owner(address: str, what: str) -> dict[str, Any]:
        try:
            ip = ipaddress.ip_network(address, strict=False)
        except ValueError as exc:
            raise CLIError(f"invalid {what}: {address}") from exc
        for net, pool in zip(networks, pools, strict=True):
            if ip.version == net.version and ip.subnet_of(net):  # type: ignore[arg-type]
                return pool
        raise CLIError(f"no matching subnet for {what} {address}")

    for value in ranges:
        pool = owner(value, "range")
        if pool.get("IPRange"):
            raise CLIError(f"cannot configure multiple ranges ({value}, {pool['IPRange']}) on the same subnet "
                           f"({pool['Subnet']})")  # fmt: skip
        pool["IPRange"] = value
    for value in gateways:
        pool = owner(value, "gateway")
        if pool.get("Gateway"):
            raise CLIError(f"cannot configure multiple gateways ({value}, {pool['Gateway']}) for the same subnet "
                           f"({pool['Subnet']})")  # fmt: skip
        pool["Gateway"] = value
    for value in aux:
        key, _, address = value.partition("=")
        owner(address, "aux-address")["AuxiliaryAddresses"][key] = address
    return pools


@command(
    network,
    name="create",
    use="create [OPTIONS] NETWORK",
    help="Create a network",
    min_args=1,
    max_args=1,
    blocking=True,
)
@click.argument("name", required=False)
@click.option("--attachable", is_flag=True, help="Enable manual container attachment")
@click.option("--aux-address", multiple=True, help="Auxiliary IPv4 or IPv6 addresses used by Network driver")
@click.option("--config-from", default="", help="The network from which to copy the configuration")
@click.option("--config-only", is_flag=True, help="Create a configuration only network")
@click.option("-d", "--driver", default="bridge", help="Driver to manage the Network")
@click.option("--gateway", multiple=True, help="IPv4 or IPv6 Gateway for the master subnet")
@click.option("--ingress", is_flag=True, help="Create swarm routing-mesh network")
@click.option("--internal", is_flag=True, help="Restrict external access to the network")
@click.option("--ip-range", multiple=True, help="Allocate container ip from a sub-range")
@click.option("--ipam-driver", default="default", help="IP Address Management Driver")
@click.option("--ipam-opt", multiple=True, help="Set IPAM driver specific options")
@click.option("--ipv4", is_flag=True, default=True, help="Enable or disable IPv4 address assignment")
@click.option("--ipv6", is_flag=True, help="Enable or disable IPv6 address assignment")
@click.option("--label", multiple=True, help="Set metadata on a network")
@click.option("-o", "--opt", multiple=True, help="Set driver specific options")
@click.option("--scope", default="", help="Control the network's scope")
@click.option("--subnet", multiple=True, help="Subnet in CIDR format that represents a network segment")
async def create(session: Session, name: str, **opts: Any) -> None:
    """Create a network."""

    def split(values: tuple[str, ...]) -> list[str]:
        return [part for value in values for part in value.split(",") if part]

    pools = _ipam_config(split(opts["subnet"]), split(opts["ip_range"]), split(opts["gateway"]),
                         list(opts["aux_address"]))  # fmt: skip
    body: dict[str, Any] = {
        "Name": name,
        "Driver": opts["driver"],
        "Scope": opts["scope"],
        "EnableIPv6": opts["ipv6"] if "ipv6" in session.changed else None,
        "IPAM": {"Driver": opts["ipam_driver"], "Config": pools, "Options": kv_map(opts["ipam_opt"])},
        "Internal": opts["internal"],
        "Attachable": opts["attachable"],
        "Ingress": opts["ingress"],
        "ConfigOnly": opts["config_only"],
        "Options": kv_map(opts["opt"]),
        "Labels": labels_map(opts["label"]),
    }
    if "ipv4" in session.changed:
        body["EnableIPv4"] = opts["ipv4"]
    if opts["config_from"]:
        body["ConfigFrom"] = {"Network": opts["config_from"]}
    if body["EnableIPv6"] is None:
        del body["EnableIPv6"]
    answer = await session.engine().network_create(body)
    session.out.write(str(answer.get("Id") or "") + "\n")


@command(network, name="ls", use="ls [OPTIONS]", help="List networks", max_args=0, blocking=True)
@click.option("-f", "--filter", "filters", multiple=True, help='Provide filter values (e.g. "driver=bridge")')
@click.option("--format", "fmt", default="", help="Format output using a custom template")
@click.option("--no-trunc", is_flag=True, help="Do not truncate the output")
@click.option("-q", "--quiet", is_flag=True, help="Only display network IDs")
async def ls(session: Session, filters: tuple[str, ...], fmt: str, no_trunc: bool, quiet: bool) -> None:
    """List networks."""
    found = await session.engine().networks(filters_or_fail(filters))
    found = sorted(found, key=lambda n: str(n.get("Name", "")))
    fmt = fmt or (session.config.format_for("networksFormat") if not quiet else "") or "table"
    if fmt == "table":
        fmt = "{{.ID}}" if quiet else "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}"
    elif fmt == "raw":
        fmt = "network_id: {{.ID}}\n" if quiet else ("network_id: {{.ID}}\nname: {{.Name}}\ndriver: {{.Driver}}\n"
                                                     "scope: {{.Scope}}\n")  # fmt: skip
    elif quiet:
        fmt = "{{.ID}}"
    rows = [NetworkContext(n, trunc=not no_trunc) for n in found]
    session.out.write(Formatter(fmt).render(rows, NETWORK_HEADERS))


@command(
    network, name="rm", use="rm NETWORK [NETWORK...]", help="Remove one or more networks", min_args=1, blocking=True
)
@click.argument("names", nargs=-1)
@click.option("-f", "--force", is_flag=True, help="Do not error if the network does not exist")
async def rm(session: Session, names: tuple[str, ...], force: bool) -> None:
    """Remove one or more networks."""
    engine = session.engine()
    failed = False
    for name in names:
        try:
            await engine.network_remove(name)
        except errdefs.PymobyError as exc:
            if force and errdefs.is_not_found(exc):
                continue
            session.err.write(describe(exc) + "\n")
            failed = True
            continue
        session.out.write(name + "\n")
    if failed:
        raise CLIError("exit status 1", 1)


@command(network, name="connect", use="connect [OPTIONS] NETWORK CONTAINER",
         help="Connect a container to a network", min_args=2, max_args=2, blocking=True)  # fmt: skip
@click.argument("name", required=False)
@click.argument("container", required=False)
@click.option("--alias", multiple=True, help="Add network-scoped alias for the container")
@click.option("--driver-opt", multiple=True, help="driver options for the network")
@click.option("--ip", default="", help="IPv4 address (e.g., 172.30.100.104)")
@click.option("--ip6", default="", help="IPv6 address (e.g., 2001:db8::33)")
@click.option("--link", multiple=True, help="Add link to another container")
@click.option("--link-local-ip", multiple=True, help="Add a link-local address for the container")
async def connect(session: Session, name: str, container: str, alias: tuple[str, ...], driver_opt: tuple[str, ...],
                  ip: str, ip6: str, link: tuple[str, ...], link_local_ip: tuple[str, ...]) -> None:  # fmt: skip
    """Connect a container to a network."""
    try:
        ipam = {"IPv4Address": parse_ip(ip) if ip else "", "IPv6Address": parse_ip(ip6) if ip6 else "",
                "LinkLocalIPs": list(link_local_ip) or None}  # fmt: skip
    except SpecError as exc:
        raise CLIError(str(exc), 125) from exc
    endpoint = {"IPAMConfig": ipam, "Links": list(link) or None, "Aliases": list(alias) or None,
                "DriverOpts": kv_map(driver_opt) or None}  # fmt: skip
    await session.engine().network_connect(name, container, endpoint)


@command(network, name="disconnect", use="disconnect [OPTIONS] NETWORK CONTAINER",
         help="Disconnect a container from a network", min_args=2, max_args=2, blocking=True)  # fmt: skip
@click.argument("name", required=False)
@click.argument("container", required=False)
@click.option("-f", "--force", is_flag=True, help="Force the container to disconnect from a network")
async def disconnect(session: Session, name: str, container: str, force: bool) -> None:
    """Disconnect a container from a network."""
    await session.engine().network_disconnect(name, container, force=force)


@command(network, name="prune", use="prune [OPTIONS]", help="Remove all unused networks", max_args=0, blocking=True)
@click.option("--filter", "filters", multiple=True, help='Provide filter values (e.g. "until=<timestamp>")')
@click.option("-f", "--force", is_flag=True, help="Do not prompt for confirmation")
async def prune(session: Session, filters: tuple[str, ...], force: bool) -> None:
    """Remove all unused networks."""
    wanted = filters_or_fail(filters)
    if not force and not await session.confirm(
        "WARNING! This will remove all custom networks not used by at least one container.\n"
        "Are you sure you want to continue?"
    ):
        raise CLIError("", 1)
    _, text = await prune_networks(session.engine(), wanted)
    if text:
        session.out.write(text + "\n")  # Docker prints the report with Println: a blank line ends it
