"""Container records: create, get, list, update, delete."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._proto import containers_pb2 as cpb
from ._proto import runc_pb2
from ._stubs import Stubs
from ._types import RUNC_V2, ContainerInfo, RuncOptions
from ._wire import SPEC_TYPE_URL, field_mask, pack_json, pack_message, to_datetime, type_name, unpack_json

__all__ = ["ContainerCalls", "runc_options_message"]

_RUNC_OPTIONS = "containerd.runc.v1.Options"


def runc_options_message(options: RuncOptions) -> runc_pb2.Options:
    """The ``containerd.runc.v1.Options`` message for ``options``."""
    return runc_pb2.Options(
        binary_name=options.binary_name,
        root=options.root,
        systemd_cgroup=options.systemd_cgroup,
        no_pivot_root=options.no_pivot_root,
        no_new_keyring=options.no_new_keyring,
        shim_cgroup=options.shim_cgroup,
        io_uid=options.io_uid,
        io_gid=options.io_gid,
        criu_path=options.criu_path,
    )


def _runc_options(packed: Any) -> RuncOptions | None:
    if not packed.type_url or type_name(packed) != _RUNC_OPTIONS:
        return None
    message = runc_pb2.Options.FromString(packed.value)
    return RuncOptions(
        binary_name=message.binary_name,
        root=message.root,
        systemd_cgroup=message.systemd_cgroup,
        no_pivot_root=message.no_pivot_root,
        no_new_keyring=message.no_new_keyring,
        shim_cgroup=message.shim_cgroup,
        io_uid=message.io_uid,
        io_gid=message.io_gid,
        criu_path=message.criu_path,
    )


def _container_info(container: cpb.Container) -> ContainerInfo:
    return ContainerInfo(
        id=container.id,
        runtime=container.runtime.name,
        spec=unpack_json(container.spec),
        labels=dict(container.labels),
        image=container.image,
        runtime_options=_runc_options(container.runtime.options),
        snapshotter=container.snapshotter,
        snapshot_key=container.snapshot_key,
        created_at=to_datetime(container.created_at),
        updated_at=to_datetime(container.updated_at),
    )


class ContainerCalls:
    """The container-record methods of :class:`Client`."""

    _stubs: Stubs
    namespace: str

    async def create_container(
        self,
        container_id: str,
        spec: Mapping[str, Any],
        *,
        runtime: str = RUNC_V2,
        runtime_options: RuncOptions | None = None,
        labels: Mapping[str, str] | None = None,
        image: str = "",
    ) -> ContainerInfo:
        """Record a container: its OCI runtime ``spec`` (a dict, sent as JSON) and runtime.

        ``runtime_options`` defaults to plain runc with cgroupfs
        (``SystemdCgroup=false``). Raises :class:`AlreadyExistsError` (a
        Conflict) when the ID is taken in this namespace.
        """
        options = runtime_options if runtime_options is not None else RuncOptions()
        container = cpb.Container(
            id=container_id,
            labels=dict(labels or {}),
            image=image,
            runtime=cpb.Container.Runtime(name=runtime, options=pack_message(runc_options_message(options))),
            spec=pack_json(SPEC_TYPE_URL, spec),
        )
        response = await self._stubs.container_create(
            cpb.CreateContainerRequest(container=container),
            self.namespace,
            action=f"create container {container_id}",
        )
        return _container_info(response.container)

    async def get_container(self, container_id: str) -> ContainerInfo:
        """The container record; raises :class:`NotFoundError` when there is none."""
        response = await self._stubs.container_get(
            cpb.GetContainerRequest(id=container_id), self.namespace, action=f"get container {container_id}"
        )
        return _container_info(response.container)

    async def list_containers(self, *filters: str) -> list[ContainerInfo]:
        """Every container record of the namespace, or those matching any of ``filters``.

        Filters use containerd's syntax, e.g. ``labels."com.example"==x`` or ``id~=^web``.
        """
        response = await self._stubs.container_list(
            cpb.ListContainersRequest(filters=list(filters)), self.namespace, action="list containers"
        )
        return [_container_info(c) for c in response.containers]

    async def update_container(
        self,
        container_id: str,
        *,
        spec: Mapping[str, Any] | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> ContainerInfo:
        """Replace the spec or the labels of a container record (the runtime is fixed at creation).

        Only the fields given are changed; a new spec applies to the next task.
        Raises :class:`NotFoundError`.
        """
        container = cpb.Container(id=container_id)
        paths: list[str] = []
        if spec is not None:
            container.spec.CopyFrom(pack_json(SPEC_TYPE_URL, spec))
            paths.append("spec")
        if labels is not None:
            container.labels.update(labels)
            paths.append("labels")
        response = await self._stubs.container_update(
            cpb.UpdateContainerRequest(container=container, update_mask=field_mask(paths)),
            self.namespace,
            action=f"update container {container_id}",
        )
        return _container_info(response.container)

    async def delete_container(self, container_id: str) -> None:
        """Remove the container record; raises :class:`NotFoundError` when there is none.

        Its task must have been deleted first (:class:`FailedPreconditionError` otherwise).
        """
        await self._stubs.container_delete(
            cpb.DeleteContainerRequest(id=container_id), self.namespace, action=f"delete container {container_id}"
        )
