"""The command tree: the root ``pymoby`` group, its global flags, and the management groups.

Commands are declared in the ``_cmd_*`` modules, each added to its
management group (``pymoby container run``) and, where Docker has a
shortcut, to the root too (``pymoby run``).
"""

from __future__ import annotations

import click

from ._clickext import PROG, DockerGroup, RootGroup
from ._session import GlobalOptions, Session

__all__ = ["container", "image", "network", "root", "system", "volume"]

VERSION = "0.1.0"


@click.group(
    cls=RootGroup,
    name=PROG,
    use=f"{PROG} [OPTIONS] COMMAND",
    invoke_without_command=True,
    context_settings={"help_option_names": ["--help"], "max_content_width": 120},
)
@click.option("--config", "config_dir", metavar="string", help="Location of client config files (default ~/.docker)")
@click.option("-D", "--debug", is_flag=True, help="Enable debug mode")
@click.option("-H", "--host", "hosts", multiple=True, metavar="list", help="Daemon socket to connect to")
@click.option("-l", "--log-level", default="info", metavar="string", help='Set the logging level ("debug", "info", '
              '"warn", "error", "fatal")')  # fmt: skip
@click.option("--tls", is_flag=True, help="Use TLS; implied by --tlsverify")
@click.option("--tlscacert", metavar="string", help="Trust certs signed only by this CA")
@click.option("--tlscert", metavar="string", help="Path to TLS certificate file")
@click.option("--tlskey", metavar="string", help="Path to TLS key file")
@click.option("--tlsverify", is_flag=True, help="Use TLS and verify the remote")
@click.option("-v", "--version", "show_version", is_flag=True, help="Print version information and quit")
@click.pass_context
def root(
    ctx: click.Context,
    config_dir: str | None,
    debug: bool,
    hosts: tuple[str, ...],
    log_level: str,
    tls: bool,
    tlscacert: str | None,
    tlscert: str | None,
    tlskey: str | None,
    tlsverify: bool,
    show_version: bool,
) -> None:
    """A self-sufficient runtime for containers: pymoby, the Docker engine in Python."""
    if show_version:
        click.echo(f"{PROG} version {VERSION}")
        ctx.exit(0)
    options = GlobalOptions(
        hosts, config_dir, debug, log_level, tls or tlsverify, tlsverify, tlscacert, tlscert, tlskey
    )
    ctx.obj = Session(options)
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help(), err=True)


def _commands(module: str, names: str) -> dict[str, str]:
    return dict.fromkeys(names.split(), module)


#: Where each command is declared: its module is imported only when the command runs (a fast start).
_ROOT = (
    _commands("_cmd_run", "run create")
    | _commands("_cmd_lifecycle", "start stop restart kill rm pause unpause update")
    | _commands("_cmd_containers", "ps rename top port diff wait")
    | _commands("_cmd_attach", "attach")
    | _commands("_cmd_exec", "exec")
    | _commands("_cmd_logs", "logs")
    | _commands("_cmd_stats", "stats")
    | _commands("_cmd_files", "cp export commit")
    | _commands("_cmd_inspect", "inspect")
    | _commands("_cmd_images", "images tag rmi history")
    | _commands("_cmd_transfer", "pull push save load import")
    | _commands("_cmd_build", "build")
    | _commands("_cmd_registry", "login logout")
    | _commands("_cmd_version", "version info")
    | _commands("_cmd_system", "events")
    | _commands("_completion", "completion")
)
_CONTAINER = {
    name: module for name, module in _ROOT.items()
    if module in ("_cmd_run", "_cmd_lifecycle", "_cmd_containers", "_cmd_attach", "_cmd_exec", "_cmd_logs",
                  "_cmd_stats", "_cmd_files")
} | {"inspect": "_cmd_inspect", "prune": "_cmd_containers"}  # fmt: skip
_IMAGE = (
    _commands("_cmd_images", "images tag rmi history prune")
    | _commands("_cmd_transfer", "pull push save load import")
    | {"build": "_cmd_build", "inspect": "_cmd_inspect"}
)
_VOLUME = _commands("_cmd_volumes", "create ls rm prune") | {"inspect": "_cmd_inspect"}
_NETWORK = _commands("_cmd_networks", "create ls rm connect disconnect prune") | {"inspect": "_cmd_inspect"}
_SYSTEM = _commands("_cmd_system", "events df prune") | {"info": "_cmd_version"}
_ALIASES = {
    "container": {"ls": "ps", "list": "ps", "remove": "rm"},
    "image": {"ls": "images", "list": "images", "rm": "rmi", "remove": "rmi"},
    "volume": {"list": "ls", "remove": "rm"},
    "network": {"list": "ls", "remove": "rm"},
}


def _group(name: str, help: str, lazy: dict[str, str]) -> DockerGroup:  # noqa: A002
    group = DockerGroup(
        name, help=help, use=f"{name} COMMAND", invoke_without_command=True, lazy=lazy, aliases=_ALIASES.get(name)
    )

    @click.pass_context
    def show_help(ctx: click.Context) -> None:
        if ctx.invoked_subcommand is None:
            click.echo(ctx.get_help(), err=True)

    group.callback = show_help
    root.add_command(group)
    return group


assert isinstance(root, RootGroup)
root.lazy.update(_ROOT)
container = _group("container", "Manage containers", _CONTAINER)
image = _group("image", "Manage images", _IMAGE)
volume = _group("volume", "Manage volumes", _VOLUME)
network = _group("network", "Manage networks", _NETWORK)
system = _group("system", "Manage pymoby", _SYSTEM)
