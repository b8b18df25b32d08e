"""``X-Registry-Auth``: the client's registry credentials, as the image and distribution routers read them."""

from __future__ import annotations

from pymoby import errdefs
from pymoby.registry import Credentials

from ..._request import Request

__all__ = ["registry_credentials"]


def registry_credentials(request: Request) -> Credentials | None:
    """The ``X-Registry-Auth`` credentials; an unreadable header counts as none, as dockerd treats it."""
    header = request.headers.get("x-registry-auth", "")
    if not header:
        return None
    try:
        return Credentials.from_registry_auth(header)
    except errdefs.InvalidParameter:
        return None
