"""pymoby.daemon.command: the ``pymobyd`` command and its start sequence."""

from ._command import new_daemon_command
from ._daemoncli import DEFAULT_SOCKET, DaemonCli
from ._logging import configure_logging
from ._pidfile import DaemonLock, DaemonRunning

__all__ = ["DEFAULT_SOCKET", "DaemonCli", "DaemonLock", "DaemonRunning", "configure_logging", "new_daemon_command"]
