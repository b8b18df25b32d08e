"""``docker import``: a plain root file system tar as a one-layer image."""

from __future__ import annotations

import datetime
import platform
from typing import IO

from pymoby.layer import LayerStore

from ._config import ContainerConfig, History, ImageConfig, RootFS, encode_config, format_time
from ._store import Image, ImageStore

__all__ = ["import_rootfs", "host_architecture"]

_GOARCH = {
    "x86_64": "amd64",
    "aarch64": "arm64",
    "armv7l": "arm",
    "i686": "386",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
}


def host_architecture() -> str:
    """This machine's architecture in Go's naming (``amd64``, ``arm64``), as image configs use it."""
    machine = platform.machine()
    return _GOARCH.get(machine, machine)


def import_rootfs(
    stream: IO[bytes],
    images: ImageStore,
    layers: LayerStore,
    *,
    config: ContainerConfig | None = None,
    message: str = "",
    source: str = "-",
    architecture: str | None = None,
    os_name: str = "linux",
    variant: str = "",
    created: datetime.datetime | None = None,
) -> Image:
    """Make a one-layer image of the root file system tar ``stream`` (plain or compressed).

    ``config`` holds the runtime defaults (``--change`` results), ``message``
    the commit message; the history records ``Imported from <source>``.
    Raises the layer store's errors for a bad tar.
    """
    layer = layers.register(stream)
    try:
        when = format_time(created or datetime.datetime.now(datetime.UTC))
        comment = message or f"Imported from {source}"
        image_config = ImageConfig(
            architecture=architecture or host_architecture(),
            os=os_name,
            variant=variant,
            created=when,
            comment=message,
            config=config or ContainerConfig(),
            rootfs=RootFS("layers", [layer.diff_id]),
            history=[History(created=when, comment=comment)],
        )
        return images.create(encode_config(image_config))
    finally:
        layers.release(layer.chain_id)
