"""click, shaped like Docker's cobra commands.

- :class:`DockerCommand` checks the number of arguments with Docker's
  messages (``'pymoby run' requires at least 1 argument``), accepts
  ``--flag=true|false`` for boolean flags as pflag does, and keeps Docker's
  usage line (``Usage:  pymoby run [OPTIONS] IMAGE [COMMAND] [ARG...]``).
- :class:`DockerGroup` resolves aliases (``container ls`` = ``list`` =
  ``ps``) and reports unknown commands in Docker's words.
- :class:`FlagError` is a bad option (unknown flag, bad value): exit 125, as
  Docker's ``FlagErrorFunc``; :class:`ArgumentsError` a wrong number of
  arguments: exit 1.
- :func:`command` declares a command whose body is an ``async def`` run by
  the session (see ``_session``).
"""

from __future__ import annotations

import functools
import importlib
import os
from collections.abc import Callable, Sequence
from typing import Any

import click

from ._errors import CLIError

__all__ = [
    "PROG",
    "ArgumentsError",
    "DockerCommand",
    "DockerGroup",
    "DockerParamType",
    "FlagError",
    "RootGroup",
    "command",
    "flag",
]

PROG = "pymoby"

_TRUE = {"true", "1", "t", "T", "TRUE", "True"}
_FALSE = {"false", "0", "f", "F", "FALSE", "False"}


class FlagError(CLIError):
    """A flag Docker's parser would refuse: exit status 125."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 125)


class ArgumentsError(CLIError):
    """A wrong number of arguments: exit status 1."""


def usage_line(ctx: click.Context) -> str:
    """Docker's usage line for the command of ``ctx``: ``pymoby container run [OPTIONS] IMAGE ...``."""
    command = ctx.command
    use = getattr(command, "use", "") or ""
    rest = use.split(" ", 1)[1] if " " in use else ("COMMAND" if isinstance(command, click.Group) else "")
    return f"{ctx.command_path} {rest}".rstrip()


def flag_error(ctx: click.Context, message: str) -> FlagError:
    """A :class:`FlagError` for ``ctx``'s command, with Docker's usage hint."""
    return FlagError(f"{message}\n\nUsage:  {usage_line(ctx)}\n\nRun '{ctx.command_path} --help' for more information")


class DockerCommand(click.Command):
    """A command with Docker's argument rules and messages.

    ``use`` is Docker's usage (``run [OPTIONS] IMAGE [COMMAND] [ARG...]``);
    ``min_args``/``max_args`` bound the positional arguments (``None``: no bound).
    """

    def __init__(
        self, *args: Any, use: str = "", min_args: int = 0, max_args: int | None = None, **kwargs: Any
    ) -> None:
        kwargs.setdefault("context_settings", {}).setdefault("help_option_names", ["--help"])
        super().__init__(*args, **kwargs)
        self.use = use or (self.name or "")
        self.min_args = min_args
        self.max_args = max_args

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write(f"Usage:  {usage_line(ctx)}\n")

    def _bool_flags(self) -> dict[str, str]:
        names: dict[str, str] = {}
        for param in self.params:
            if isinstance(param, click.Option) and param.is_flag and not param.secondary_opts and param.name:
                for opt in param.opts:
                    names[opt] = param.name
        return names

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        bool_flags = self._bool_flags()
        forced_false: list[str] = []
        rewritten: list[str] = []
        for i, arg in enumerate(args):
            if arg == "--":
                rewritten.extend(args[i:])
                break
            name, sep, value = arg.partition("=")
            if sep and name.startswith("--") and name in bool_flags:
                if value in _TRUE:
                    rewritten.append(name)
                    continue
                if value in _FALSE:
                    forced_false.append(bool_flags[name])
                    continue
                raise flag_error(ctx, f'invalid argument "{value}" for "{name}" flag: strconv.ParseBool: parsing '
                                      f'"{value}": invalid syntax')  # fmt: skip
            rewritten.append(arg)
        if "--help" not in rewritten and not ctx.resilient_parsing:
            parser = self.make_parser(ctx)
            try:
                values, leftover, _ = parser.parse_args(list(rewritten))
            except click.NoSuchOption as exc:
                raise flag_error(ctx, _unknown_flag(exc.option_name)) from exc
            except click.BadOptionUsage as exc:
                raise flag_error(ctx, _option_usage(exc)) from exc
            positional = list(leftover)
            for param in self.params:
                if isinstance(param, click.Argument):
                    given: Any = values.get(param.name or "")
                    if isinstance(given, list | tuple):
                        positional.extend(given)
                    elif isinstance(given, str):  # click leaves a sentinel for an absent argument
                        positional.append(given)
            self.check_args(ctx, positional)
        try:
            remaining = super().parse_args(ctx, rewritten)
        except click.BadParameter as exc:
            raise flag_error(ctx, _bad_parameter(exc)) from exc
        for name in forced_false:
            ctx.params[name] = False
        ctx.meta.setdefault("changed", set()).update(forced_false)
        return remaining

    def check_args(self, ctx: click.Context, positional: Sequence[str]) -> None:
        """Raise :class:`ArgumentsError` with Docker's message when the count is wrong."""
        count, low, high = len(positional), self.min_args, self.max_args
        path = ctx.command_path
        tail = f"\n\nUsage:  {usage_line(ctx)}\n\n"
        if high == 0 and count:
            raise ArgumentsError(f"{PROG}: '{path}' accepts no arguments{tail}Run '{path} --help' for more information")
        if low == high and count != low:
            what = "argument" if low == 1 else "arguments"
            raise ArgumentsError(
                f"{PROG}: '{path}' requires {low} {what}{tail}Run '{path} --help' for more information"
            )
        if high is not None and low and not low <= count <= high:
            what = "argument" if high == 1 else "arguments"
            raise ArgumentsError(f"{PROG}: '{path}' requires at least {low} and at most {high} {what}{tail}"
                                 f"Run '{path} --help' for more information")  # fmt: skip
        if count < low:
            what = "argument" if low == 1 else "arguments"
            raise ArgumentsError(f"{PROG}: '{path}' requires at least {low} {what}{tail}"
                                 f"See '{path} --help' for more information")  # fmt: skip
        if high is not None and count > high:
            what = "argument" if high == 1 else "arguments"
            raise ArgumentsError(f"{PROG}: '{path}' requires at most {high} {what}{tail}"
                                 f"Run '{path} --help' for more information")  # fmt: skip


def _unknown_flag(option: str) -> str:
    if option.startswith("--"):
        return f"unknown flag: {option}"
    return f"unknown shorthand flag: '{option.lstrip('-')[:1]}' in {option}"


def _option_usage(exc: click.BadOptionUsage) -> str:
    message = exc.message
    if "requires an argument" in message or "requires" in message:
        return f"flag needs an argument: {exc.option_name}"
    return message


def _bad_parameter(exc: click.BadParameter) -> str:
    param = exc.param
    value = getattr(exc, "docker_value", None)
    if isinstance(param, click.Option) and value is not None:
        names = ", ".join(sorted(param.opts, key=len))
        return f'invalid argument "{value}" for "{names}" flag: {exc.message}'
    return exc.message


class DockerGroup(click.Group):
    """A command group with aliases and Docker's unknown-command message."""

    def __init__(
        self,
        *args: Any,
        aliases: dict[str, str] | None = None,
        lazy: dict[str, str] | None = None,
        use: str = "",
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("context_settings", {}).setdefault("help_option_names", ["--help"])
        super().__init__(*args, **kwargs)
        self.aliases: dict[str, str] = dict(aliases or {})
        #: command name -> the module (in this package) that declares it, imported on first use
        self.lazy: dict[str, str] = dict(lazy or {})
        self.use = use or (self.name or "")

    def add_alias(self, alias: str, name: str) -> None:
        """Let ``alias`` name the command ``name``."""
        self.aliases[alias] = name

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        name = self.aliases.get(cmd_name, cmd_name)
        if name not in self.commands and name in self.lazy:
            importlib.import_module(f"{__package__}.{self.lazy[name]}")
        return super().get_command(ctx, name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(self.lazy))

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0]
        found = self.get_command(ctx, name)
        if found is None:
            if name.startswith("-"):
                raise flag_error(ctx, _unknown_flag(name))
            usage = f"Usage:  {ctx.command_path}\n\n" if ctx.parent is not None else ""
            raise ArgumentsError(f"{PROG}: unknown command: {ctx.command_path} {name}\n\n{usage}"
                                 f"Run '{ctx.command_path} --help' for more information")  # fmt: skip
        return found.name, found, args[1:]


class DockerParamType(click.ParamType):
    """A flag value type whose errors carry the value, for Docker's ``invalid argument`` message."""

    def fail_value(self, value: str, message: str, param: click.Parameter | None, ctx: click.Context | None) -> None:
        """Raise the bad-parameter error for ``value``."""
        error = click.BadParameter(message, ctx=ctx, param=param)
        error.docker_value = value  # type: ignore[attr-defined]
        raise error


def command(
    group: click.Group | Sequence[click.Group] = (),
    *,
    name: str,
    use: str = "",
    help: str = "",  # noqa: A002 - click's name
    min_args: int = 0,
    max_args: int | None = None,
    interspersed: bool = True,
    blocking: bool | Callable[[dict[str, Any]], bool] = False,
) -> Callable[[Callable[..., Any]], DockerCommand]:
    """Declare a command whose body is ``async def body(session, **params)``; add it to ``group``.

    ``blocking`` (or ``blocking(params)`` true) marks a one-shot command: its
    body only makes request/response calls, and runs without an event loop
    (:meth:`~pymoby.cli._session.Session.run_blocking`).
    """

    def decorate(body: Callable[..., Any]) -> DockerCommand:
        @functools.wraps(body)
        def callback(**params: Any) -> Any:
            ctx = click.get_current_context()
            session = ctx.find_object(_session_type())
            if session is None:
                raise CLIError("internal error: no session")
            session.changed = ctx.meta.get("changed", set()) | {
                name
                for name, source in ((n, ctx.get_parameter_source(n)) for n in params)
                if source is not None and source.name not in ("DEFAULT", "DEFAULT_MAP")
            }
            if blocking(params) if callable(blocking) else blocking:
                return session.run_blocking(body, **params)
            return session.run(body, **params)

        params = list(reversed(getattr(body, "__click_params__", [])))
        settings: dict[str, Any] = {"help_option_names": ["--help"]}
        if not interspersed:
            settings["allow_interspersed_args"] = False
        cmd = DockerCommand(
            name,
            callback=callback,
            params=params,
            help=help or ((body.__doc__ or "").strip().splitlines() or [""])[0],
            use=use or name,
            min_args=min_args,
            max_args=max_args,
            context_settings=settings,
        )
        for g in [group] if isinstance(group, click.Group) else group:
            g.add_command(cmd)
        return cmd

    return decorate


def _session_type() -> type:
    from ._session import Session

    return Session


def flag(*names: str, help: str = "", hidden: bool = False) -> Callable[[Any], Any]:  # noqa: A002
    """A boolean flag (``--rm``; ``--rm=false`` also accepted)."""
    return click.option(*names, is_flag=True, default=False, help=help, hidden=hidden)


class RootGroup(DockerGroup):
    """The ``pymoby`` group: standalone, it prints errors and exits with Docker's codes.

    ``run_cli(args) -> int`` is set by the application module; ``main`` with
    ``standalone_mode=False`` is click's own (exceptions propagate).
    """

    run_cli: Callable[[Sequence[str] | None], int] | None = None

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode or self.run_cli is None:
            return super().main(args, prog_name, complete_var, standalone_mode=standalone_mode, **extra)
        if complete_var is not None or "_PYMOBY_COMPLETE" in os.environ:
            self._main_shell_completion(extra, prog_name or PROG, complete_var)
        raise SystemExit(self.run_cli(args))
