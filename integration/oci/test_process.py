"""Real runc containers with our specs: users, --init, sysctls, names, namespaces."""

from __future__ import annotations

from pathlib import Path

import pytest
from oci.runner import RunContainer

from pymoby.api import HostConfig
from pymoby.daemon.oci import UnknownUser, resolve_user

pytestmark = [pytest.mark.root, pytest.mark.anyio]


async def test_user_uid_gid_resolved_through_the_image(run_container: RunContainer, busybox_rootfs: Path) -> None:
    user = resolve_user(busybox_rootfs, "1:1", ["nogroup"])
    result = await run_container("id", user=user)
    assert result.stdout.strip() == "uid=1(daemon) gid=1(daemon) groups=1(daemon),65534(nogroup)"


async def test_user_by_name(run_container: RunContainer, busybox_rootfs: Path) -> None:
    result = await run_container("id -u; id -g", user=resolve_user(busybox_rootfs, "nobody"))
    assert result.stdout.split() == ["65534", "65534"]


def test_unknown_user_is_dockers_error(busybox_rootfs: Path) -> None:
    with pytest.raises(UnknownUser, match=r"^unable to find user ghost: no matching entries in passwd file$"):
        resolve_user(busybox_rootfs, "ghost")


async def test_init_runs_as_pid_1_and_reaps(run_container: RunContainer) -> None:
    result = await run_container("cat /proc/1/cmdline | tr '\\0' ' '; echo; echo $$", host_config=HostConfig(init=True))
    assert result.code == 0, result.stderr
    first, own_pid = result.stdout.splitlines()[:2]
    assert first.startswith("/sbin/docker-init -- sh -c")
    assert own_pid != "1"


async def test_without_init_the_command_is_pid_1(run_container: RunContainer) -> None:
    result = await run_container("echo $$")
    assert result.stdout.strip() == "1"


async def test_sysctl_in_the_containers_network_namespace(run_container: RunContainer) -> None:
    script = "cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv4/ip_unprivileged_port_start"
    result = await run_container(script, host_config=HostConfig(sysctls={"net.ipv4.ip_forward": "1"}))
    assert result.code == 0, result.stderr
    # ip_unprivileged_port_start 0 is Docker's default for a container's own network namespace.
    assert result.stdout.split() == ["1", "0"]


async def test_hostname_and_domainname(run_container: RunContainer) -> None:
    result = await run_container("hostname; cat /proc/sys/kernel/domainname", hostname="web")
    assert result.stdout.split()[0] == "web"


async def test_pid_host_sees_the_hosts_processes(run_container: RunContainer) -> None:
    result = await run_container("ps -o pid | wc -l; echo $$", host_config=HostConfig(pid_mode="host"))
    lines, own_pid = result.stdout.split()
    assert int(lines) > 3
    assert own_pid != "1"


async def test_cgroupns_private_hides_the_host_cgroup_path(run_container: RunContainer) -> None:
    private = await run_container("grep memory /proc/self/cgroup", host_config=HostConfig(cgroupns_mode="private"))
    host = await run_container("grep memory /proc/self/cgroup", host_config=HostConfig(cgroupns_mode="host"))
    assert private.stdout.strip().endswith(":/")
    assert "/pymoby-oci-" in host.stdout
