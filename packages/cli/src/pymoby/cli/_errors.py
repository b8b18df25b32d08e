"""Errors of the command line and how they are shown: message and exit code.

:class:`CLIError` carries the exit status, as Docker's ``cli.StatusError``.
Errors that came back from the daemon (an errdefs kind mapped from an HTTP
status by pymoby-client) are shown as Docker shows them:
``Error response from daemon: No such container: web``. Errors reaching the
daemon at all are shown as they are.
"""

from __future__ import annotations

from pymoby import errdefs

__all__ = ["CLIError", "describe", "exit_code_of", "is_daemon_error"]


class CLIError(Exception):
    """An error the CLI reports: ``message`` on stderr (when not empty), then exit ``status``."""

    def __init__(self, message: str = "", status: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.status = status

    def __str__(self) -> str:
        return self.message


_CONNECT_PREFIXES = ("Cannot connect to the Docker daemon", "error during connect", "unexpected answer from")


def is_daemon_error(exc: BaseException) -> bool:
    """Whether ``exc`` is an answer of the daemon (not a failure to reach it, not ours).

    pymoby-client raises the errdefs kind of the HTTP status with no cause;
    connection failures are raised ``from`` the OS error.
    """
    if not isinstance(exc, errdefs.PymobyError) or exc.__cause__ is not None:
        return False
    return not str(exc).startswith(_CONNECT_PREFIXES)


def describe(exc: BaseException) -> str:
    """The line Docker prints for ``exc``."""
    if isinstance(exc, CLIError):
        return exc.message
    if is_daemon_error(exc):
        return f"Error response from daemon: {exc}"
    return str(exc)


def exit_code_of(exc: BaseException) -> int:
    """The exit status for ``exc``: a :class:`CLIError`'s own, else 1."""
    if isinstance(exc, CLIError):
        return exc.status or 1
    return 1
