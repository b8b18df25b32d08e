"""The ``pymobyd`` click command: Docker's daemon flags, the config file, then ``DaemonCli``.

Boolean flags take an optional value as in Docker (``--iptables=false``,
``--tls=false``). A flag only counts as set when given on the command line,
so that a key both there and in ``daemon.json`` can be refused.
"""

from __future__ import annotations

import sys
from typing import Any

import anyio
import click

from pymoby import errdefs

from .._daemon import ENGINE_VERSION
from .._services import Components
from ..config import DEFAULT_CONFIG_FILE, InvalidConfig, load_config_file, merge_config
from ..server import ServerConfig
from ._daemoncli import DaemonCli
from ._logging import configure_logging

__all__ = ["new_daemon_command"]

#: click parameter -> daemon.json key, for the options that are config keys.
_KEYS = {
    "hosts": "hosts",
    "data_root": "data-root",
    "exec_root": "exec-root",
    "containerd": "containerd",
    "containerd_namespace": "containerd-namespace",
    "debug": "debug",
    "log_level": "log-level",
    "tls": "tls",
    "tlsverify": "tlsverify",
    "tlscacert": "tlscacert",
    "tlscert": "tlscert",
    "tlskey": "tlskey",
    "experimental": "experimental",
    "api_cors_header": "api-cors-header",
    "registry_mirrors": "registry-mirrors",
    "insecure_registries": "insecure-registries",
    "live_restore": "live-restore",
    "pidfile": "pidfile",
    "group": "group",
    "iptables": "iptables",
    "ip_forward": "ip-forward",
    "ip_masq": "ip-masq",
    "icc": "icc",
    "bridge": "bridge",
    "bip": "bip",
    "ip": "ip",
    "mtu": "mtu",
    "userland_proxy": "userland-proxy",
    "ipv6": "ipv6",
    "dns": "dns",
    "dns_search": "dns-search",
    "dns_opts": "dns-opts",
    "default_address_pools": "default-address-pools",
    "log_driver": "log-driver",
    "log_opts": "log-opts",
    "storage_driver": "storage-driver",
    "labels": "labels",
}


def _bool_option(*names: str, help: str) -> Any:  # noqa: A002 - click's name
    return click.option(*names, type=click.BOOL, is_flag=False, flag_value=True, default=None, help=help)


def _key_value(values: tuple[str, ...], what: str) -> dict[str, str]:
    result = {}
    for value in values:
        key, sep, val = value.partition("=")
        if not sep:
            raise click.BadParameter(f"invalid {what} {value!r}: expected key=value")
        result[key] = val
    return result


def _address_pools(values: tuple[str, ...]) -> list[dict[str, Any]]:
    pools = []
    for value in values:
        fields = _key_value(tuple(value.split(",")), "default address pool")
        if "base" not in fields or "size" not in fields or not fields["size"].isdigit():
            raise click.BadParameter(f"invalid default address pool {value!r}: expected base=CIDR,size=N")
        pools.append({"base": fields["base"], "size": int(fields["size"])})
    return pools


def new_daemon_command(components: Components) -> click.Command:
    """The ``pymobyd`` command, wired with the concrete parts the composition root chose."""

    @click.command(name="pymobyd", context_settings={"help_option_names": ["-h", "--help"]})
    @click.option(
        "-H", "--host", "hosts", multiple=True, help="Daemon socket(s) to connect to (unix://, tcp://, fd://)"
    )
    @click.option("--data-root", help="Root directory of persistent state [default: /var/lib/pymoby]")
    @click.option("--exec-root", help="Root directory for execution state files [default: /run/pymoby]")
    @click.option("--containerd", help="containerd gRPC socket to use (default: start and supervise our own)")
    @click.option("--containerd-namespace", help="containerd namespace to use [default: pymoby]")
    @click.option("--config-file", default=DEFAULT_CONFIG_FILE, show_default=True, help="Daemon configuration file")
    @_bool_option("-D", "--debug", help="Enable debug mode")
    @click.option("-l", "--log-level", type=click.Choice(["debug", "info", "warn", "error", "fatal"]), help="Log level")
    @_bool_option("--tls", help="Use TLS; implied by --tlsverify")
    @_bool_option("--tlsverify", help="Use TLS and verify the remote (client certificates)")
    @click.option("--tlscacert", help="Trust certs signed only by this CA")
    @click.option("--tlscert", help="Path to TLS certificate file")
    @click.option("--tlskey", help="Path to TLS key file")
    @_bool_option("--experimental", help="Enable experimental features")
    @click.option("--api-cors-header", help="Set CORS headers in the Engine API")
    @click.option("--registry-mirror", "registry_mirrors", multiple=True, help="Preferred registry mirror")
    @click.option("--insecure-registry", "insecure_registries", multiple=True, help="Insecure registry")
    @_bool_option("--live-restore", help="Keep containers running while the daemon is down")
    @click.option("-p", "--pidfile", help="Path to use for daemon PID file [default: /run/pymoby.pid]")
    @click.option("-G", "--group", help="Group for the unix socket [default: pymoby]")
    @_bool_option("--iptables", help="Enable addition of iptables rules [default: true]")
    @_bool_option("--ip-forward", help="Enable net.ipv4.ip_forward [default: true]")
    @_bool_option("--ip-masq", help="Enable IP masquerading [default: true]")
    @_bool_option("--icc", help="Enable inter-container communication [default: true]")
    @click.option("-b", "--bridge", help="Attach containers to a network bridge [default: pymoby0]")
    @click.option("--bip", help="Network bridge IP")
    @click.option("--ip", help="Default IP when binding container ports [default: 0.0.0.0]")
    @click.option("--mtu", type=int, help="Network MTU of the default bridge [default: 1500]")
    @_bool_option("--userland-proxy", help="Use userland proxy for loopback traffic [default: true]")
    @_bool_option("--ipv6", help="Enable IPv6 networking on the default bridge")
    @click.option("--dns", "dns", multiple=True, help="DNS server to use")
    @click.option("--dns-search", "dns_search", multiple=True, help="DNS search domains to use")
    @click.option("--dns-opt", "dns_opts", multiple=True, help="DNS options to use")
    @click.option("--default-address-pool", "default_address_pools", multiple=True, help="base=CIDR,size=N")
    @click.option("--log-driver", help="Default driver for container logs [default: json-file]")
    @click.option("--log-opt", "log_opts", multiple=True, help="Default log driver options for containers")
    @click.option("-s", "--storage-driver", help="Storage driver to use [default: overlay2]")
    @click.option("--label", "labels", multiple=True, help="Set key=value labels to the daemon")
    @click.option("--validate", is_flag=True, help="Validate the configuration and exit")
    @click.option("--api-header-timeout", type=float, default=60.0, hidden=True)
    @click.option("--api-idle-timeout", type=float, default=300.0, hidden=True)
    @click.version_option(
        ENGINE_VERSION, "-v", "--version", prog_name="pymobyd", message="%(prog)s version %(version)s"
    )
    @click.pass_context
    def pymobyd(ctx: click.Context, **options: Any) -> None:
        """A self-sufficient runtime for containers: the Docker Engine API on containerd."""
        flags: dict[str, Any] = {}
        for param, key in _KEYS.items():
            source = ctx.get_parameter_source(param)
            value = options[param]
            if source is not click.core.ParameterSource.COMMANDLINE or value in (None, ()):
                continue
            if param == "log_opts":
                value = _key_value(value, "log-opt")
            elif param == "default_address_pools":
                value = _address_pools(value)
            elif isinstance(value, tuple):
                value = list(value)
            flags[key] = value
        config_file = options["config_file"]
        file_required = ctx.get_parameter_source("config_file") is click.core.ParameterSource.COMMANDLINE
        try:
            file_values = load_config_file(config_file, must_exist=file_required)
            config = merge_config(flags, file_values)
        except InvalidConfig as exc:
            message = str(exc)
            if not message.startswith("unable to configure"):
                message = f"unable to configure the Docker daemon with file {config_file}: {message}"
            click.echo(message, err=True)
            sys.exit(1)
        if options["validate"]:
            click.echo("configuration OK")
            return
        configure_logging(config.log_level, config.debug)
        cli = DaemonCli(
            config,
            components,
            server_config=ServerConfig(
                header_timeout=options["api_header_timeout"], idle_timeout=options["api_idle_timeout"]
            ),
            config_file=config_file,
            config_file_required=file_required,
            flags=flags,
            group_explicit="group" in flags or "group" in file_values,
        )
        try:
            # asyncio's own loop, not uvloop: pyroute2's netlink endpoints (the network subsystem) do not run on it.
            anyio.run(cli.run, backend="asyncio")
        except* errdefs.PymobyError as group:
            for error in group.exceptions:
                click.echo(f"failed to start daemon: {error}", err=True)
            sys.exit(1)

    return pymobyd
