"""pymoby.daemon: the engine, its HTTP API server and the ``pymobyd`` command.

The daemon depends on interfaces (:mod:`._services`): the composition root
(``pymoby.cmd``) hands it containerd, and later the stores and the registry
client, through :class:`Components`.
"""

from ._daemon import ENGINE_VERSION, Daemon
from ._services import (
    Components,
    ContainerCounter,
    ContainerdFactory,
    ContainerdService,
    ImageCounter,
    RegistryLogin,
)

__all__ = [
    "ENGINE_VERSION",
    "Components",
    "ContainerCounter",
    "ContainerdFactory",
    "ContainerdService",
    "Daemon",
    "ImageCounter",
    "RegistryLogin",
]
