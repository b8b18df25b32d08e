"""Real runc containers with our specs: capabilities, seccomp, masked paths, read-only root, privileged."""

from __future__ import annotations

from pathlib import Path

import pytest
from oci.runner import RunContainer

from pymoby.api import HostConfig
from pymoby.daemon.oci import DEFAULT_CAPABILITIES, DEFAULT_MASKED_PATHS, KNOWN_CAPABILITIES, SpecSettings

pytestmark = [pytest.mark.root, pytest.mark.anyio]


def mask(capabilities: list[str] | tuple[str, ...]) -> int:
    return sum(1 << KNOWN_CAPABILITIES.index(c) for c in capabilities)


def status_field(status: str, name: str) -> str:
    for line in status.splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"{name} not in /proc/self/status")


async def test_default_capabilities_are_dockers(run_container: RunContainer) -> None:
    result = await run_container("cat /proc/self/status")
    assert result.code == 0, result.stderr
    assert int(status_field(result.stdout, "CapEff"), 16) == mask(DEFAULT_CAPABILITIES)
    assert int(status_field(result.stdout, "CapBnd"), 16) == mask(DEFAULT_CAPABILITIES)
    assert int(status_field(result.stdout, "CapInh"), 16) == 0


async def test_dropped_capability_is_gone_and_its_operation_refused(run_container: RunContainer) -> None:
    script = "grep CapEff /proc/self/status; touch /scratch/f; chown 1 /scratch/f && echo chowned"
    dropped = await run_container(script, host_config=HostConfig(cap_drop=["chown"], tmpfs={"/scratch": ""}))
    kept = await run_container(script, host_config=HostConfig(tmpfs={"/scratch": ""}))
    effective = int(dropped.stdout.split()[1], 16)
    assert effective == mask([c for c in DEFAULT_CAPABILITIES if c != "CAP_CHOWN"])
    assert "chowned" not in dropped.stdout
    assert "Operation not permitted" in dropped.stderr
    assert "chowned" in kept.stdout


async def test_added_capability_is_granted(run_container: RunContainer) -> None:
    result = await run_container("grep CapEff /proc/self/status", host_config=HostConfig(cap_add=["NET_ADMIN"]))
    assert int(result.stdout.split()[1], 16) == mask([*DEFAULT_CAPABILITIES, "CAP_NET_ADMIN"])


async def test_default_seccomp_filter_blocks_unshare_that_unconfined_allows(run_container: RunContainer) -> None:
    # Creating a user namespace needs no capability, so only the seccomp filter refuses it.
    script = "grep Seccomp: /proc/self/status; unshare -U true && echo unshared"
    filtered = await run_container(script)
    unconfined = await run_container(script, host_config=HostConfig(security_opt=["seccomp=unconfined"]))
    assert "Seccomp:\t2" in filtered.stdout
    assert "unshared" not in filtered.stdout
    assert "Operation not permitted" in filtered.stderr
    assert "Seccomp:\t0" in unconfined.stdout
    assert "unshared" in unconfined.stdout


async def test_mount_is_refused_by_default_and_works_privileged_without_seccomp(run_container: RunContainer) -> None:
    script = "mkdir -p /tmp/m && mount -t tmpfs none /tmp/m && echo mounted; unshare -m true && echo unshared"
    default = await run_container(script)
    privileged = await run_container(
        script, host_config=HostConfig(privileged=True, security_opt=["seccomp=unconfined"])
    )
    assert "mounted" not in default.stdout
    assert "unshared" not in default.stdout
    assert privileged.code == 0, privileged.stderr
    assert "mounted" in privileged.stdout
    assert "unshared" in privileged.stdout


async def test_privileged_gets_every_capability_the_daemon_holds(
    run_container: RunContainer, settings: SpecSettings
) -> None:
    result = await run_container(
        "grep CapEff /proc/self/status; ls /dev | wc -l", host_config=HostConfig(privileged=True)
    )
    assert result.code == 0, result.stderr
    assert settings.available_capabilities is not None
    assert int(result.stdout.split()[1], 16) == mask(settings.available_capabilities)
    assert int(result.stdout.split()[2]) > 20  # the host's devices, not the default handful


async def test_read_only_rootfs_refuses_writes_but_tmpfs_accepts_them(run_container: RunContainer) -> None:
    script = "touch /newfile || echo refused; touch /run/ok && echo tmpfs-ok; grep ' / ' /proc/mounts"
    result = await run_container(script, host_config=HostConfig(readonly_rootfs=True, tmpfs={"/run": "size=1m"}))
    assert "Read-only file system" in result.stderr
    assert "refused" in result.stdout
    assert "tmpfs-ok" in result.stdout


async def test_masked_paths_are_hidden_and_proc_sys_read_only(run_container: RunContainer) -> None:
    # runc masks only what exists; this host's kernel, for one, has no /proc/kcore.
    present = [p for p in DEFAULT_MASKED_PATHS if Path(p).exists()]  # noqa: ASYNC240 - /proc and /sys
    files = [p for p in present if Path(p).is_file()]  # noqa: ASYNC240
    assert present, "no maskable path on this host"
    script = (
        f'for p in {" ".join(present)}; do grep -c " $p " /proc/self/mountinfo; done; '
        f"for f in {' '.join(files)}; do wc -c < $f; done; echo 1 > /proc/sys/kernel/panic"
    )
    result = await run_container(script)
    counts = [int(n) for n in result.stdout.split()]
    assert counts[: len(present)] == [1] * len(present)  # each one is covered by a mount
    assert counts[len(present) :] == [0] * len(files)  # and a masked file reads as empty
    assert "Read-only file system" in result.stderr


async def test_systempaths_unconfined_unmasks(run_container: RunContainer) -> None:
    script = "grep -c ' /proc/keys ' /proc/self/mountinfo; grep -c ' /proc/sys ' /proc/self/mountinfo"
    result = await run_container(script, host_config=HostConfig(security_opt=["systempaths=unconfined"]))
    assert result.stdout.split() == ["0", "0"]


async def test_no_new_privileges(run_container: RunContainer) -> None:
    default = await run_container("grep NoNewPrivs /proc/self/status")
    set_ = await run_container(
        "grep NoNewPrivs /proc/self/status", host_config=HostConfig(security_opt=["no-new-privileges"])
    )
    assert default.stdout.split() == ["NoNewPrivs:", "0"]
    assert set_.stdout.split() == ["NoNewPrivs:", "1"]
