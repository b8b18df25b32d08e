"""pymoby.daemon.events: the daemon's event bus and the events filter."""

from ._events import Events
from ._filter import EVENT_FILTERS, event_matches
from ._timestamps import parse_timestamp

__all__ = ["EVENT_FILTERS", "Events", "event_matches", "parse_timestamp"]
