"""pymoby.daemon.images: the image service over the layer, image and reference stores (Docker's ``daemon/images``).

:class:`ImageService` answers the image endpoints (list, inspect, history,
tag, remove, prune, save, load, import, commit, pull and push through
:mod:`pymoby.daemon.distribution`) and gives containers their images and
read-write layers. The container side plugs in through
:class:`ContainerUsage` and :class:`ContainerCommitter`.
"""

from ._backends import CommitSource, ContainerCommitter, ContainerUsage, ImageUser
from ._changes import InvalidChange, apply_changes
from ._commit import EMPTY_LAYER_DIFF_ID, merge_config
from ._delete import PRUNE_FILTERS, ImageConflict
from ._list import LIST_FILTERS
from ._service import ImageService, NoSuchImage

__all__ = [
    "EMPTY_LAYER_DIFF_ID",
    "LIST_FILTERS",
    "PRUNE_FILTERS",
    "CommitSource",
    "ContainerCommitter",
    "ContainerUsage",
    "ImageConflict",
    "ImageService",
    "ImageUser",
    "InvalidChange",
    "NoSuchImage",
    "apply_changes",
    "merge_config",
]
