"""The prune steps shared by ``container/image/volume/network prune`` and ``system prune``.

Each returns ``(bytes reclaimed, report text)`` as Docker's ``RunPrune``
functions do; the text is empty when nothing was removed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ._engine import Engine

__all__ = ["prune_containers", "prune_images", "prune_networks", "prune_volumes"]

Filters = Mapping[str, Sequence[str]]


async def prune_containers(engine: Engine, filters: Filters, all_: bool = False) -> tuple[int, str]:
    """``POST /containers/prune``."""
    report = await engine.containers_prune(filters)
    deleted = report.get("ContainersDeleted") or []
    if not deleted:
        return 0, ""
    return int(report.get("SpaceReclaimed") or 0), "Deleted Containers:\n" + "".join(f"{i}\n" for i in deleted)


async def prune_networks(engine: Engine, filters: Filters, all_: bool = False) -> tuple[int, str]:
    """``POST /networks/prune``."""
    report = await engine.networks_prune(filters)
    deleted = report.get("NetworksDeleted") or []
    if not deleted:
        return 0, ""
    return 0, "Deleted Networks:\n" + "".join(f"{n}\n" for n in deleted)


async def prune_volumes(engine: Engine, filters: Filters, all_: bool = False) -> tuple[int, str]:
    """``POST /volumes/prune`` (``all_``: named volumes too)."""
    wanted = dict(filters)
    if all_:
        wanted["all"] = ["true"]
    report = await engine.volumes_prune(wanted)
    deleted = report.get("VolumesDeleted") or []
    if not deleted:
        return 0, ""
    return int(report.get("SpaceReclaimed") or 0), "Deleted Volumes:\n" + "".join(f"{v}\n" for v in deleted)


async def prune_images(engine: Engine, filters: Filters, all_: bool = False) -> tuple[int, str]:
    """``POST /images/prune`` (dangling images only unless ``all_``)."""
    wanted = dict(filters)
    wanted["dangling"] = ["false" if all_ else "true"]
    report = await engine.images_prune(wanted)
    deleted = report.get("ImagesDeleted") or []
    if not deleted:
        return int(report.get("SpaceReclaimed") or 0), ""
    lines = ["Deleted Images:\n"]
    for item in deleted:
        if item.get("Untagged"):
            lines.append(f"untagged: {item['Untagged']}\n")
        if item.get("Deleted"):
            lines.append(f"deleted: {item['Deleted']}\n")
    return int(report.get("SpaceReclaimed") or 0), "".join(lines)
