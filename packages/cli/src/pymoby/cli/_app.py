"""The entry point: run the command tree, print errors as Docker does, exit with its codes.

Command modules are imported when their command runs (see ``_tree``).

Exit codes, as the docker CLI's: 0 on success; 125 for a bad flag; 1 for
other errors (a daemon error is ``Error response from daemon: ...``);
``run``/``start -a``/``exec`` exit with the container's (or the exec's)
own code, 125 when the daemon failed, 126 when the command cannot be
executed, 127 when it is not found; 130 after Ctrl-C.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from pymoby import errdefs

from ._clickext import PROG, FlagError, flag_error
from ._errors import describe, exit_code_of
from ._session import binary_stream
from ._tree import root

__all__ = ["main", "run_cli"]

main = root


def run_cli(args: Sequence[str] | None = None) -> int:
    """Run the command line with ``args`` (default ``sys.argv[1:]``); return the exit status."""
    argv = list(sys.argv[1:] if args is None else args)
    try:
        root.main(argv, prog_name=PROG, standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code or 0)
    except click.NoSuchOption as exc:
        return _report(flag_error(exc.ctx, f"unknown flag: {exc.option_name}") if exc.ctx else FlagError(str(exc)))
    except click.UsageError as exc:
        message = exc.format_message()
        if exc.ctx is not None:
            return _report(flag_error(exc.ctx, message))
        return _report(FlagError(message))
    except click.Abort:
        return 130
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 1
    except errdefs.PymobyError as exc:
        return _report(exc)
    except Exception as exc:
        if isinstance(exc, click.ClickException):
            return _report(exc)
        from ._errors import CLIError

        if isinstance(exc, CLIError):
            return _report(exc)
        if isinstance(exc, BaseExceptionGroup):
            return _report(_first_leaf(exc))
        raise
    return 0


root.run_cli = run_cli


def _first_leaf(group: BaseExceptionGroup[BaseException]) -> BaseException:
    first: BaseException = group.exceptions[0]
    while isinstance(first, BaseExceptionGroup):
        first = first.exceptions[0]
    return first


def _report(exc: BaseException) -> int:
    message = exc.format_message() if isinstance(exc, click.ClickException) else describe(exc)
    if message:
        stream = binary_stream("stderr")
        stream.write((message.rstrip("\n") + "\n").encode())
        stream.flush()
    return exit_code_of(exc)


def entry_point() -> None:
    """The ``pymoby`` console script."""
    sys.exit(run_cli())
