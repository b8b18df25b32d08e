"""The containers the daemon knows, by ID and by name (Docker's ``container.Store`` and view DB).

Lookup follows Docker's ``GetContainer``: the full ID, then the name, then a
unique ID prefix. Not found is ``No such container: <what>``; a prefix that
matches several containers is an ``InvalidParameter``.
"""

from __future__ import annotations

from collections.abc import Iterator

from pymoby import errdefs

from ._container import Container
from ._names import NameRegistrar

__all__ = ["AmbiguousPrefix", "ContainerStore", "NoSuchContainer"]


class NoSuchContainer(errdefs.NotFound):
    """No container with that ID, name or ID prefix."""


class AmbiguousPrefix(errdefs.InvalidParameter):
    """An ID prefix that matches more than one container."""


class ContainerStore:
    """Containers by ID, with the name registrar beside them."""

    def __init__(self) -> None:
        self._by_id: dict[str, Container] = {}
        self.names = NameRegistrar()

    def add(self, container: Container) -> None:
        """Register a container (its name must already be reserved)."""
        self._by_id[container.id] = container

    def remove(self, container: Container) -> None:
        """Forget a container and release its name."""
        self._by_id.pop(container.id, None)
        if self.names.get(container.name) == container.id:
            self.names.release(container.name)

    def get(self, what: str) -> Container:
        """The container with this full ID, name, or unique ID prefix.

        Raises :class:`NoSuchContainer`, :class:`AmbiguousPrefix`, and
        ``InvalidParameter`` for an empty identifier.
        """
        if not what:
            raise errdefs.InvalidParameter(f'invalid name or ID supplied: "{what}"')
        found = self._by_id.get(what)
        if found is not None:
            return found
        by_name = self.names.get(what)
        if by_name is not None and by_name in self._by_id:
            return self._by_id[by_name]
        match: Container | None = None
        for container_id, container in self._by_id.items():
            if container_id.startswith(what):
                if match is not None:
                    raise AmbiguousPrefix(f"multiple IDs found with provided prefix: {what}")
                match = container
        if match is None:
            raise NoSuchContainer(f"No such container: {what}")
        return match

    def find(self, what: str) -> Container | None:
        """Like :meth:`get`, ``None`` instead of not found."""
        try:
            return self.get(what)
        except errdefs.NotFound:
            return None

    def by_id(self, container_id: str) -> Container | None:
        """The container with exactly this ID, if any."""
        return self._by_id.get(container_id)

    def __iter__(self) -> Iterator[Container]:
        return iter(list(self._by_id.values()))

    def __len__(self) -> int:
        return len(self._by_id)

    def counts(self) -> tuple[int, int, int]:
        """(running, paused, stopped), for ``/info``."""
        running = paused = stopped = 0
        for container in self._by_id.values():
            status = container.state.status()
            if status == "paused":
                paused += 1
            elif status == "running":
                running += 1
            else:
                stopped += 1
        return running, paused, stopped
