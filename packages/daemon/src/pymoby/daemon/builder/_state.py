"""What a build is asked to do (:class:`BuildOptions`) and what it carries between steps and stages."""

from __future__ import annotations

from dataclasses import dataclass, field

from pymoby import api
from pymoby.image import ContainerConfig

from ._buildargs import BuildArgs
from ._errors import BuildStepError

__all__ = ["BuildOptions", "DispatchState", "StageResults"]


@dataclass(frozen=True, slots=True)
class BuildOptions:
    """The query of ``POST /build``, decoded (dockerd's ``ImageBuildOptions``)."""

    dockerfile: str = "Dockerfile"
    tags: tuple[str, ...] = ()
    #: ``--build-arg``: a value, or None for a name given without one (and not in the client's environment).
    build_args: dict[str, str | None] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    target: str = ""
    no_cache: bool = False
    pull: bool = False
    remove: bool = True
    force_remove: bool = False
    quiet: bool = False
    platform: str = ""
    network_mode: str = ""
    extra_hosts: tuple[str, ...] = ()
    shm_size: int = 0
    memory: int = 0
    memory_swap: int = 0
    cpu_shares: int = 0
    cpu_period: int = 0
    cpu_quota: int = 0
    cpuset_cpus: str = ""
    cpuset_mems: str = ""
    cgroup_parent: str = ""
    ulimits: tuple[api.Ulimit, ...] = ()
    #: ``remote``: a URL or Git repository to take the context from.
    remote: str = ""
    #: ``X-Registry-Config``: credentials by registry, for the pulls of FROM.
    auth_configs: dict[str, api.AuthConfig] = field(default_factory=dict)

    def host_config(self) -> api.HostConfig:
        """The host configuration of RUN containers: the build's resources, its network, no log."""
        network = self.network_mode if self.network_mode not in ("", "default") else "default"
        return api.HostConfig(
            cpu_shares=self.cpu_shares,
            memory=self.memory,
            memory_swap=self.memory_swap,
            cpu_period=self.cpu_period,
            cpu_quota=self.cpu_quota,
            cpuset_cpus=self.cpuset_cpus,
            cpuset_mems=self.cpuset_mems,
            cgroup_parent=self.cgroup_parent,
            ulimits=list(self.ulimits) or None,
            network_mode=network,
            shm_size=self.shm_size,
            extra_hosts=list(self.extra_hosts) or None,
            log_config=api.LogConfig(type="none", config={}),
        )


@dataclass(slots=True)
class DispatchState:
    """The state of the stage being built: its image so far and the configuration the next step starts from."""

    run_config: ContainerConfig
    build_args: BuildArgs
    image_id: str = ""
    stage_name: str = ""
    maintainer: str = ""
    cmd_set: bool = False
    has_from: bool = False
    os: str = "linux"

    def update_run_config(self) -> None:
        """After a step: the configuration names the image it starts from."""
        self.run_config.image = self.image_id


class StageResults:
    """The stages built so far, for ``COPY --from`` and ``FROM <stage>``: by name, or by index."""

    def __init__(self) -> None:
        self.flat: list[ContainerConfig] = []
        self.by_name: dict[str, ContainerConfig] = {}

    def get_by_name(self, name: str) -> ContainerConfig | None:
        """The stage named ``name`` (case-insensitive)."""
        return self.by_name.get(name.lower())

    def get(self, name_or_index: str) -> ContainerConfig | None:
        """The stage named or numbered ``name_or_index``; None when it names no stage (an image, then).

        Raises :class:`BuildStepError` for an index that is not a finished stage.
        """
        found = self.get_by_name(name_or_index)
        if found is not None:
            return found
        try:
            index = int(name_or_index, 10)
        except ValueError:
            return None
        if index == len(self.flat):
            raise BuildStepError("refers to current build stage")
        if index < 0 or index > len(self.flat):
            raise BuildStepError("index out of bounds")
        return self.flat[index]

    def check_available(self, name: str) -> None:
        """Raise :class:`BuildStepError` when a stage of that name was built already."""
        if name and self.get_by_name(name) is not None:
            raise BuildStepError(f"{name} stage name already used")

    def commit(self, name: str, config: ContainerConfig) -> None:
        """Record a finished stage."""
        self.check_available(name)
        if name:
            self.by_name[name.lower()] = config
        self.flat.append(config)
