"""``GET /containers/json``: the summary of a container and Docker's list filters.

Pure functions over containers: :class:`ListQuery` validates the filters
and folds them (as Docker's ``foldFilter``), :meth:`ListQuery.select` walks
the containers newest first and keeps those that pass (``before``/``since``
cut the walk, ``limit`` ends it), and :func:`summary` builds the entry.
``name`` and ``id`` match as regular expressions (searched), as Docker's
``filters.Match`` does; ``health`` and ``label`` match exactly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from pymoby import api, errdefs

from ._container import Container
from ._state import HEALTH_STATES, STATES

__all__ = ["LIST_FILTERS", "ListQuery", "command_string", "mount_points", "summary"]

#: The filters ``GET /containers/json`` accepts.
LIST_FILTERS = frozenset(
    {"ancestor", "before", "exited", "id", "isolation", "label", "name", "status", "health", "since",
     "volume", "network", "is-task", "publish", "expose"}
)  # fmt: skip

_TRUE = frozenset({"1", "true", "True", "TRUE"})
_FALSE = frozenset({"0", "false", "False", "FALSE"})


def _regex_match(wanted: frozenset[str], value: str) -> bool:
    if value in wanted:
        return True
    for pattern in wanted:
        try:
            if re.search(pattern, value):
                return True
        except re.error:
            continue
    return False


def command_string(container: Container) -> str:
    """``Command`` of the summary: the path and the arguments, quoting those with spaces."""
    if not container.args:
        return container.path
    args = [f"'{a}'" if " " in a else a for a in container.args]
    return f"{container.path} {' '.join(args)}"


def mount_points(container: Container) -> list[api.MountPoint]:
    """``Mounts`` of inspect and list."""
    return [point.to_api() for point in container.mount_points.values()]


def _ports(container: Container) -> list[api.Port]:
    ports: list[api.Port] = []
    for port, bindings in (container.network_settings.ports or {}).items():
        number, _, proto = port.partition("/")
        if not number.isdigit():
            continue
        if not bindings:
            ports.append(api.Port(private_port=int(number), type=proto or "tcp"))
            continue
        for binding in bindings:
            host_port = binding.get("HostPort", "")
            if not host_port.isdigit():
                continue
            ports.append(
                api.Port(
                    private_port=int(number),
                    type=proto or "tcp",
                    ip=binding.get("HostIp", ""),
                    public_port=int(host_port),
                )
            )
    return ports


def summary(container: Container, image: str, now: int | None = None) -> api.ContainerSummary:
    """The list entry of ``container``; ``image`` is the name to show (the ID when the name moved on)."""
    networks: dict[str, api.EndpointSettings] = {}
    for name, endpoint in (container.network_settings.networks or {}).items():
        networks[name] = api.EndpointSettings(
            ipam_config=endpoint.ipam_config,
            network_id=endpoint.network_id,
            endpoint_id=endpoint.endpoint_id,
            gateway=endpoint.gateway,
            ip_address=endpoint.ip_address,
            ip_prefix_len=endpoint.ip_prefix_len,
            ipv6_gateway=endpoint.ipv6_gateway,
            global_ipv6_address=endpoint.global_ipv6_address,
            global_ipv6_prefix_len=endpoint.global_ipv6_prefix_len,
            mac_address=endpoint.mac_address,
        )
    return api.ContainerSummary(
        id=container.id,
        names=[container.name],
        image=image,
        image_id=container.image_id,
        command=command_string(container),
        created=container.created // 1_000_000_000,
        ports=_ports(container),
        labels=container.config.labels or {},
        state=container.state.status(),
        status=container.state.describe(now),
        host_config=api.SummaryHostConfig(network_mode=container.host_config.network_mode),
        network_settings=api.SummaryNetworkSettings(networks=networks),
        mounts=mount_points(container),
    )


def _health(container: Container) -> str:
    health = container.state.health
    if health is None:
        return "none"
    return health.status or "unhealthy"


@dataclass(slots=True)
class ListQuery:
    """A folded ``GET /containers/json`` query; build with :meth:`fold`."""

    filters: api.Filters
    all: bool = False
    limit: int = 0
    exited: list[int] = field(default_factory=list)
    before: Container | None = None
    since: Container | None = None
    is_task: bool | None = None
    #: Image IDs the ``ancestor`` filter accepts (``None``: no such filter).
    images: set[str] | None = None

    @classmethod
    def fold(
        cls,
        filters: api.Filters,
        *,
        all: bool,  # noqa: A002 - the query's name
        limit: int,
        find: Callable[[str], Container | None],
        ancestors: Callable[[str], set[str]],
    ) -> ListQuery:
        """Validate ``filters`` and resolve what they name.

        ``find`` looks a container up by ID, prefix or name (``before`` and
        ``since``); ``ancestors`` gives the image IDs an ``ancestor`` value
        stands for (the image and its descendants; empty when unknown).
        Raises ``InvalidParameter`` (an ``InvalidFilter``) with Docker's messages.
        """
        filters.validate(LIST_FILTERS)
        query = cls(filters, all=all, limit=limit)
        for value in filters.get("exited"):
            try:
                query.exited.append(int(value))
            except ValueError:
                raise api.InvalidFilter(
                    f"invalid filter 'exited={value}': strconv.Atoi: parsing \"{value}\": invalid syntax"
                ) from None
        for value in filters.get("status"):
            if value not in STATES:
                raise api.InvalidFilter(f"invalid filter 'status={value}'")
            query.all = True
        for value in filters.get("health"):
            if value not in HEALTH_STATES:
                raise api.InvalidFilter(f"unrecognized filter value for health: {value}")
        if "is-task" in filters:
            values = filters.get("is-task")
            if values <= _TRUE:
                query.is_task = True
            elif values <= _FALSE:
                query.is_task = False
            else:
                raise api.InvalidFilter(f"invalid filter 'is-task={sorted(values)[0]}'")
        for name in ("before", "since"):
            for value in filters.get(name):
                found = find(value)
                if found is None:
                    raise errdefs.NotFound(f"No such container: {value}")
                setattr(query, name, found)
        if "ancestor" in filters:
            query.images = set()
            for value in filters.get("ancestor"):
                query.images |= ancestors(value)
        for name in ("publish", "expose"):
            for value in filters.get(name):
                if ":" in value:
                    raise api.InvalidFilter(f"filter for '{name}' should not contain ':': {value}")
        return query

    def select(self, containers: Iterable[Container]) -> list[Container]:
        """The containers that pass, newest first."""
        ordered = sorted(containers, key=lambda c: c.created, reverse=True)
        names, ids = self.filters.get("name"), self.filters.get("id")
        if ids:
            ordered = [c for c in ordered if any(c.id.startswith(i) for i in ids)]
        selected: list[Container] = []
        before = self.before
        for container in ordered:
            if before is not None:
                if container.id == before.id:
                    before = None
                continue
            if self.since is not None and container.id == self.since.id:
                break
            state = container.state
            if not state.running and not self.all and self.limit <= 0:
                continue
            if names and not (_regex_match(names, container.name) or _regex_match(names, container.name[1:])):
                continue
            if self.is_task is not None and self.is_task:
                continue  # pymoby has no swarm tasks
            if not self.filters.matches_labels("label", container.config.labels or {}):
                continue
            if self.limit > 0 and len(selected) == self.limit:
                break
            if self.exited and not (not state.running and state.started_at != 0 and state.exit_code in self.exited):
                continue
            if not self.filters.matches("status", state.status()):
                continue
            if not self.filters.matches("health", _health(container)):
                continue
            if not self._volume(container) or not self._network(container) or not self._ports(container):
                continue
            if self.images is not None and container.image_id not in self.images:
                continue
            if not self.filters.matches("isolation", container.host_config.isolation or "default"):
                continue
            selected.append(container)
        return selected

    def _volume(self, container: Container) -> bool:
        wanted = self.filters.get("volume")
        if not wanted:
            return True
        for record in container.mount_points.values():
            if record.destination in wanted or (record.name or record.source) in wanted:
                return True
        return False

    def _network(self, container: Container) -> bool:
        wanted = self.filters.get("network")
        if not wanted:
            return True
        for name, endpoint in (container.network_settings.networks or {}).items():
            if name in wanted or any(endpoint.network_id and endpoint.network_id.startswith(w) for w in wanted):
                return True
        return False

    def _ports(self, container: Container) -> bool:
        publish, expose = self.filters.get("publish"), self.filters.get("expose")
        if not publish and not expose:
            return True
        for port in _ports(container):
            if f"{port.public_port}/{port.type}" in publish or f"{port.private_port}/{port.type}" in expose:
                return True
            if str(port.public_port) in publish or str(port.private_port) in expose:
                return True
        return False
