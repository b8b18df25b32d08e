"""pymoby.cmd: the composition root and the ``pymobyd`` entry point.

:func:`components` chooses the concrete parts; :func:`pymobyd` runs the
daemon command with them.
"""

from __future__ import annotations

from collections.abc import Sequence

from pymoby.daemon import Components
from pymoby.daemon.command import new_daemon_command
from pymoby.daemon.images import ImageService

from ._containerd import ContainerdConnection, containerd_for
from ._registry import RegistryLoginService, registry_server

__all__ = [
    "ContainerdConnection",
    "RegistryLoginService",
    "components",
    "containerd_for",
    "pymobyd",
    "registry_server",
]


def components() -> Components:
    """The parts pymobyd runs with: libcontainerd's supervisor and client, pymoby-registry's login,
    and the image service over pymoby-layer, pymoby-image and pymoby-reference.
    """
    return Components(containerd=containerd_for, registry_login=RegistryLoginService, images=ImageService.open)


def pymobyd(argv: Sequence[str] | None = None) -> None:
    """The ``pymobyd`` console script."""
    new_daemon_command(components())(args=list(argv) if argv is not None else None, prog_name="pymobyd")
