"""``POST /containers/create``: validate, merge the image's config, make the read-write layer, record it.

In Docker's order (moby ``daemon/create.go``): defaults and checks of the
request, the image, the merge of the image's config (entrypoint/cmd, env,
labels, health check, working dir, stop signal), the log configuration,
the ID and name, the network settings (checked and remembered by the
network subsystem), the read-write layer with its init layer, the working
directory made inside it, the mount points (binds, named and anonymous
volumes, ``--volumes-from``, tmpfs: :class:`~pymoby.daemon.volume.ContainerMounts`),
the container's files, the ``create`` event. Whatever fails after the name
is reserved is undone: no name, network record, layer, volume reference,
mount or directory is left behind.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
import socket
import time
from collections.abc import Mapping
from pathlib import Path

import anyio
import msgspec

from pymoby import api, errdefs
from pymoby.image import Image

from ..container import Container, validate_name
from ..logger import LogConfig, merge_log_config
from ..network import ContainerNetworkSpec
from ..oci import (
    DEFAULT_MASKED_PATHS,
    DEFAULT_READONLY_PATHS,
    apply_host_config_defaults,
    scoped_path,
    validate_host_config,
)
from ..volume import MountPoint
from ._base import ServiceBase
from ._validate import InvalidContainerConfig, network_mode_name, validate_config

__all__ = ["CreateMixin", "image_container_config", "merge_image_config"]

log = logging.getLogger("pymoby.daemon")

_CONFIG_FIELDS = tuple(api.ContainerConfig.__struct_fields__)


def _str_slice(value: object) -> list[str] | None:
    if value is None or value is msgspec.UNSET:
        return None
    if isinstance(value, str):
        return [value]
    return list(value)  # type: ignore[call-overload]


def image_container_config(image: Image) -> api.ContainerConfig | None:
    """The image's runtime defaults as an API ``ContainerConfig``."""
    if image.config.config is None:
        return None
    return api.decode(api.encode(image.config.config), api.ContainerConfig)


def merge_image_config(user: api.ContainerConfig, image: api.ContainerConfig) -> None:
    """Fill ``user`` from the image's defaults, as Docker's ``merge`` does (``user`` wins)."""
    if not user.user:
        user.user = image.user
    image_ports = image.exposed_ports if isinstance(image.exposed_ports, dict) else None
    if not isinstance(user.exposed_ports, dict) or not user.exposed_ports:
        if image_ports:
            user.exposed_ports = dict(image_ports)
    elif image_ports:
        for port in image_ports:
            user.exposed_ports.setdefault(port, {})
    if not user.env:
        user.env = list(image.env) if image.env is not None else user.env
    else:
        keys = {entry.partition("=")[0] for entry in user.env}
        user.env = [*user.env, *(e for e in image.env or () if e.partition("=")[0] not in keys)]
    labels = dict(user.labels or {})
    for key, value in (image.labels or {}).items():
        labels.setdefault(key, value)
    user.labels = labels
    if not user.entrypoint:
        if not user.cmd:
            user.cmd = image.cmd
        if user.entrypoint is None:
            user.entrypoint = image.entrypoint
    image_health = image.healthcheck if isinstance(image.healthcheck, api.HealthConfig) else None
    if image_health is not None:
        health = user.healthcheck if isinstance(user.healthcheck, api.HealthConfig) else None
        if health is None:
            user.healthcheck = msgspec.structs.replace(image_health)
        else:
            if not health.test:
                health.test = image_health.test
            for name in ("interval", "timeout", "start_period", "start_interval", "retries"):
                if not getattr(health, name):
                    setattr(health, name, getattr(image_health, name))
    if not user.working_dir:
        user.working_dir = image.working_dir
    if not user.volumes:
        user.volumes = image.volumes
    elif image.volumes:
        user.volumes = {**user.volumes, **image.volumes}
    has_signal = isinstance(user.stop_signal, str) and user.stop_signal
    if not has_signal and isinstance(image.stop_signal, str) and image.stop_signal:
        user.stop_signal = image.stop_signal


def _normalize(config: api.ContainerConfig) -> None:
    config.cmd = _str_slice(config.cmd)
    config.entrypoint = _str_slice(config.entrypoint)
    shell = _str_slice(config.shell)
    config.shell = shell if shell else msgspec.UNSET
    # Go's omitempty: empty optional fields are left out of inspect.
    if config.exposed_ports is None or config.exposed_ports == {}:
        config.exposed_ports = msgspec.UNSET
    if config.healthcheck is None:
        config.healthcheck = msgspec.UNSET
    for name in ("args_escaped", "network_disabled"):
        if getattr(config, name) is False:
            setattr(config, name, msgspec.UNSET)
    for name in ("mac_address", "stop_signal"):
        if getattr(config, name) == "":
            setattr(config, name, msgspec.UNSET)
    if config.stop_timeout is None:
        config.stop_timeout = msgspec.UNSET


class CreateMixin(ServiceBase):
    """Container creation."""

    async def create(
        self, name: str, request: api.ContainerCreateRequest, *, platform: str = ""
    ) -> api.ContainerCreateResponse:
        """Create a container.

        Raises ``Conflict`` for a taken name, ``NotFound`` for an unknown
        image, network or ``container:`` target, ``InvalidParameter`` for a
        bad setting, mount or network option, the volume service's errors.
        """
        config = api.ContainerConfig(**{f: getattr(request, f) for f in _CONFIG_FIELDS})
        host_config = request.host_config or api.HostConfig()
        networking = request.networking_config or api.NetworkingConfig()
        _normalize(config)
        if host_config.log_config.type == "logentries":
            raise InvalidContainerConfig("the logentries logging driver has been deprecated and removed")
        if not host_config.restart_policy.name:
            host_config.restart_policy.name = "no"
        host_config.network_mode = network_mode_name(host_config.network_mode)
        if host_config.network_mode.startswith("container:") and config.hostname:
            raise InvalidContainerConfig("conflicting options: hostname and the network mode")
        validate_config(config)
        sysinfo, settings = await self.host_facts()
        warnings = validate_host_config(
            host_config,
            sysinfo,
            available_capabilities=settings.available_capabilities,
            apparmor_enabled=settings.apparmor_enabled,
        )
        if platform:
            os_name = platform.split("/")[0]
            if os_name != "linux":
                raise errdefs.InvalidParameter(f'"{platform}": unknown operating system or architecture')
        image: Image | None = None
        if config.image:
            image = self.images.get_image(config.image)
            image_config = image_container_config(image)
            if image_config is not None:
                merge_image_config(config, image_config)
        if config.entrypoint == [""]:
            config.entrypoint = None
        if not config.entrypoint and not config.cmd:
            raise InvalidContainerConfig("no command specified")
        daemon_log = LogConfig(self.config.log_driver, dict(self.config.log_opts))
        merged_log = merge_log_config(
            LogConfig(host_config.log_config.type, dict(host_config.log_config.config or {})), daemon_log
        )
        host_config.log_config = api.LogConfig(type=merged_log.type, config=dict(merged_log.config))
        self.mounts.validate(host_config)
        if host_config.network_mode.startswith("container:") and not host_config.network_mode.removeprefix(
            "container:"
        ):
            raise InvalidContainerConfig("Invalid network mode: invalid container format container:<name|id>")
        host_config = self._adapt_host_config(host_config, settings.cgroup_version, settings.default_shm_size)

        container_id = secrets.token_hex(32)
        while self.store.by_id(container_id) is not None or container_id[:12].isdigit():
            container_id = secrets.token_hex(32)
        if name:
            full_name = validate_name(name)
            self.store.names.reserve(full_name, container_id)
        else:
            full_name = self.store.names.reserve_random(container_id)
        created = False
        try:
            container = await self._new_container(container_id, full_name, config, host_config, networking, image)
            created = True
        finally:
            if not created:
                self.store.names.release(full_name)
        self.store.add(container)
        self.log_event(container, "create")
        return api.ContainerCreateResponse(id=container_id, warnings=warnings)

    def _adapt_host_config(self, hc: api.HostConfig, cgroup_version: str, shm_size: int) -> api.HostConfig:
        """Docker's defaults filled in at create (``adaptContainerSettings``), and the default masked paths."""
        hc = apply_host_config_defaults(
            hc, default_shm_size=shm_size, cgroup_version=cgroup_version, default_runtime=self.config.default_runtime
        )
        if not hc.privileged:
            if hc.masked_paths is None:
                hc.masked_paths = list(DEFAULT_MASKED_PATHS)
            if hc.readonly_paths is None:
                hc.readonly_paths = list(DEFAULT_READONLY_PATHS)
        if hc.console_size is None:
            hc.console_size = [0, 0]
        return hc

    def _network_target(self, mode: str, *, strict: bool = True) -> str:
        """The network mode for the network subsystem: ``container:<name>`` resolved to the container's ID
        (left as it is, when not ``strict``, for a container that does not exist)."""
        if not mode.startswith("container:"):
            return mode
        name = mode.removeprefix("container:")
        found = self.store.find(name) if not strict else self.get(name)
        return f"container:{found.id}" if found is not None else mode

    async def register_network(self, container: Container, *, strict: bool = True) -> api.NetworkSettings:
        """Hand the container's networking wishes (its ``NetworkSettings.Networks`` as requested) to the
        network subsystem; the settings it answers. Raises ``NotFound`` for an unknown network or
        ``container:`` target, the network subsystem's ``InvalidParameter`` and ``Forbidden`` errors."""
        endpoints: dict[str, api.EndpointSettings | None] = {
            name: api.EndpointSettings(
                ipam_config=e.ipam_config,
                links=e.links,
                aliases=e.aliases,
                mac_address=e.mac_address,
                driver_opts=e.driver_opts,
            )
            for name, e in (container.network_settings.networks or {}).items()
            if not name.startswith("container:")  # the mode itself, not a network
        }
        target = self._network_target(container.host_config.network_mode, strict=strict)
        return await self.networks.create_container(self._network_spec(container, endpoints, target))

    def mount_points_of(self, name_or_id: str) -> Mapping[str, MountPoint]:
        """``--volumes-from``: the mount points of another container; ``No such container``."""
        return self.get(name_or_id).mount_points

    @staticmethod
    def _network_spec(
        container: Container, endpoints: dict[str, api.EndpointSettings | None], mode: str
    ) -> ContainerNetworkSpec:
        config, hc = container.config, container.host_config
        exposed = config.exposed_ports if isinstance(config.exposed_ports, dict) else {}
        mac = config.mac_address if isinstance(config.mac_address, str) else ""
        return ContainerNetworkSpec(
            id=container.id,
            name=container.name,
            network_mode=mode,
            hostname=config.hostname,
            domainname=config.domainname,
            endpoints=endpoints,
            port_bindings=hc.port_bindings,
            publish_all_ports=hc.publish_all_ports,
            exposed_ports=tuple(exposed),
            dns=tuple(hc.dns or ()),
            dns_search=tuple(hc.dns_search or ()),
            dns_options=tuple(hc.dns_options or ()),
            extra_hosts=tuple(hc.extra_hosts or ()),
            links=tuple(hc.links or ()),
            mac_address=mac,
            files_dir=container.root,
        )

    async def _new_container(
        self,
        container_id: str,
        name: str,
        config: api.ContainerConfig,
        host_config: api.HostConfig,
        networking: api.NetworkingConfig,
        image: Image | None,
    ) -> Container:
        mode = host_config.network_mode
        if not config.hostname:
            config.hostname = socket.gethostname() if mode == "host" else container_id[:12]
        entrypoint, cmd = config.entrypoint or [], _str_slice(config.cmd) or []
        command = [*entrypoint, *cmd]
        container = Container(
            container_id,
            name,
            root=self.container_dir(container_id),
            created=time.time_ns(),
            path=command[0],
            args=command[1:],
            config=config,
            host_config=host_config,
            image_id=image.id if image is not None else "",
            driver=self.images.driver_name,
            # As requested; the network subsystem's view replaces it once it knows the container.
            # The docker CLI names the endpoint of the default network "default", as the mode.
            network_settings=api.NetworkSettings(
                networks={
                    network_mode_name(name): settings or api.EndpointSettings()
                    for name, settings in (networking.endpoints_config or {}).items()
                }
                or ({} if mode.startswith("container:") else {mode: api.EndpointSettings()})
            ),
        )
        images = self.images
        config_volumes = list(config.volumes or ())

        def prepare() -> Path | None:
            """The directories and the read-write layer; its mounted root when the mounts need to look in it."""
            root = container.root
            root.parent.mkdir(parents=True, exist_ok=True, mode=0o710)
            root.mkdir(mode=0o710)
            (root / "checkpoints").mkdir(mode=0o700)
            if image is None:
                return None
            layer = images.create_rw_layer(container_id, image)
            if not config.working_dir and not config_volumes:
                return None
            rootfs = layer.mount()
            made = False
            try:
                if config.working_dir:
                    _make_working_dir(rootfs, config.working_dir)
                made = True
            finally:
                if not made:
                    layer.unmount()
            return rootfs

        done = networked = mounted = False
        try:
            try:
                container.network_settings = await self.register_network(container, strict=False)
                networked = True
            except errdefs.NotFound as exc:
                # As Docker: a network (or container) that does not exist is the start's error, not
                # the create's (a 404 here would send the docker CLI pulling the image).
                log.debug("container %s: network settings deferred to its start: %s", container_id, exc)
            rootfs = await anyio.to_thread.run_sync(prepare)
            try:
                container.mount_points = await self.mounts.create(
                    container_id, host_config, config_volumes=config_volumes, volumes_from=self, rootfs=rootfs
                )
                mounted = True
            finally:
                if rootfs is not None:
                    with anyio.CancelScope(shield=True):
                        await anyio.to_thread.run_sync(lambda: images.get_rw_layer(container_id).unmount())
            await anyio.to_thread.run_sync(container.checkpoint)
            done = True
        finally:
            if not done:
                with anyio.CancelScope(shield=True):
                    if mounted:
                        await self.mounts.remove(container_id, container.mount_points, remove_volumes=True)
                    if networked:
                        await self.networks.remove_container(container_id)

                    def undo() -> None:
                        with contextlib.suppress(errdefs.PymobyError, OSError):
                            images.release_rw_layer(container_id)
                        shutil.rmtree(container.root, ignore_errors=True)

                    await anyio.to_thread.run_sync(undo)
        return container


def _make_working_dir(rootfs: Path, working_dir: str) -> None:
    """``mkdir -p`` the working dir inside the container's root (symlinks resolved inside it)."""
    target = scoped_path(rootfs, working_dir)
    if target.exists() and not target.is_dir():
        raise InvalidContainerConfig(f"Cannot mkdir: {working_dir} is not a directory")
    os.makedirs(target, mode=0o755, exist_ok=True)
