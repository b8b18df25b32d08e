"""pymoby.daemon.lifecycle: the container service (Docker's ``daemon`` container operations).

:class:`ContainerService` creates, starts, stops, kills, pauses, removes,
renames and updates containers, attaches to them, reads their logs and
stats, runs exec instances and health checks, and restores them when the
daemon starts again. It drives containerd through pymoby-libcontainerd, the
layer and image stores through :mod:`pymoby.daemon.images`, the log drivers
of :mod:`pymoby.daemon.logger`, the attach plumbing of
:mod:`pymoby.daemon.stream` and the spec builder of :mod:`pymoby.daemon.oci`.
"""

from ._attach import AttachOptions, PreparedAttach, wait_response
from ._exec import ExecProcess, NoSuchExec
from ._service import ContainerService
from ._validate import parse_signal

__all__ = [
    "AttachOptions",
    "ContainerService",
    "ExecProcess",
    "NoSuchExec",
    "PreparedAttach",
    "parse_signal",
    "wait_response",
]
