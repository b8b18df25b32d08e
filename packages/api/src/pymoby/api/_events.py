"""Wire types of ``GET /events``.

One JSON object per event, streamed. ``status``, ``id`` and ``from`` are the
pre-1.22 fields Docker still fills for container and image events; they are
left out when empty.
"""

from __future__ import annotations

import msgspec
from msgspec import field

__all__ = ["EventActor", "EventMessage"]


class EventActor(msgspec.Struct, rename="pascal"):
    """The object an event is about: its ID and attributes (name, image, labels ...)."""

    id: str = field(default="", name="ID")
    attributes: dict[str, str] = field(default_factory=dict)


class EventMessage(msgspec.Struct, omit_defaults=True):
    """One event: ``Type`` (container, image, daemon ...), ``Action`` and ``Actor``."""

    type: str = field(name="Type")
    action: str = field(name="Action")
    actor: EventActor = field(name="Actor")
    scope: str = field(name="scope")
    time: int = field(name="time")
    time_nano: int = field(name="timeNano")
    status: str = field(default="", name="status")
    id: str = field(default="", name="id")
    from_: str = field(default="", name="from")
