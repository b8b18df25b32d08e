"""The defaults dockerd writes into a new container's ``HostConfig`` (moby ``adaptContainerSettings``).

What ``docker inspect`` shows for a plain ``docker run`` (``ShmSize``
67108864, ``IpcMode`` private, ``CgroupnsMode`` host on cgroup v1,
``OomKillDisable`` false, ``MemorySwap`` twice ``Memory``, ``Runtime`` runc,
``RestartPolicy`` no) comes from here, applied once at create and stored.
"""

from __future__ import annotations

import msgspec

from pymoby.api import HostConfig, RestartPolicy

from ._defaults import DEFAULT_SHM_SIZE

__all__ = ["apply_host_config_defaults"]


def apply_host_config_defaults(
    host_config: HostConfig,
    *,
    default_shm_size: int = DEFAULT_SHM_SIZE,
    default_ipc_mode: str = "private",
    default_cgroupns_mode: str = "",
    cgroup_version: str = "1",
    default_runtime: str = "runc",
) -> HostConfig:
    """A copy of ``host_config`` with the daemon's defaults filled in where the client left them unset.

    ``default_cgroupns_mode`` is ``--default-cgroupns-mode``; empty means
    ``host`` on cgroup v1 and ``private`` on v2. Privileged containers on
    cgroup v1 always default to the host's cgroup namespace, as in Docker.
    """
    changes: dict[str, object] = {}
    if host_config.memory > 0 and host_config.memory_swap == 0:
        changes["memory_swap"] = host_config.memory * 2
    if host_config.shm_size == 0:
        changes["shm_size"] = default_shm_size
    if host_config.ipc_mode == "":
        changes["ipc_mode"] = default_ipc_mode
    if host_config.cgroupns_mode == "":
        if host_config.privileged and cgroup_version != "2":
            changes["cgroupns_mode"] = "host"
        else:
            changes["cgroupns_mode"] = default_cgroupns_mode or ("private" if cgroup_version == "2" else "host")
    if host_config.oom_kill_disable is None:
        changes["oom_kill_disable"] = False
    if host_config.restart_policy.name == "":
        changes["restart_policy"] = RestartPolicy(name="no", maximum_retry_count=0)
    if host_config.runtime is msgspec.UNSET or host_config.runtime == "":
        changes["runtime"] = default_runtime
    return msgspec.structs.replace(host_config, **changes)
