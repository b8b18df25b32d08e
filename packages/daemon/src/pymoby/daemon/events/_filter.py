"""Which events a ``GET /events`` subscriber asked for (Docker's events filter rules).

All filter names must match (AND), the values of one name are alternatives
(OR). ``container``, ``daemon``, ``network``, ``volume``, ``plugin`` ...
match the actor's ID or its ``name`` attribute, by exact value or ID
prefix; any of them excludes events about other objects.
"""

from __future__ import annotations

from pymoby import api

__all__ = ["EVENT_FILTERS", "event_matches"]

#: The filter names ``GET /events`` accepts.
EVENT_FILTERS = frozenset(
    {"config", "container", "daemon", "event", "image", "label", "network", "node", "plugin", "scope",
     "secret", "service", "type", "volume"}
)  # fmt: skip

_NAMED = ("config", "container", "daemon", "network", "node", "plugin", "secret", "service", "volume")


def _fuzzy(filters: api.Filters, name: str, *sources: str) -> bool:
    wanted = filters.get(name)
    if not wanted:
        return True
    return any(source and (source in wanted or any(source.startswith(w) for w in wanted)) for source in sources)


def _image_without_tag(image: str) -> str:
    slash = image.rfind("/")
    colon = image.rfind(":")
    return image[:colon] if colon > slash else image


def event_matches(filters: api.Filters, event: api.EventMessage) -> bool:
    """Whether ``event`` passes ``filters``."""
    if not filters:
        return True
    action = event.action
    if not (filters.matches("event", action) or (":" in action and filters.matches("event", action.split(":")[0]))):
        return False
    if not filters.matches("type", event.type) or not filters.matches("scope", event.scope):
        return False
    actor_id = event.actor.id
    attributes = event.actor.attributes
    name = attributes.get("name", "")
    for kind in _NAMED:
        if not _fuzzy(filters, kind, actor_id, name):
            return False
    image = attributes.get("image", "")
    if not filters.matches("image", actor_id, image, _image_without_tag(image)):
        return False
    return filters.matches_labels("label", attributes)
