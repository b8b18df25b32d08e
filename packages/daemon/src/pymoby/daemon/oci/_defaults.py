"""Docker's defaults for a Linux container's runtime spec (moby ``oci/defaults.go``).

Each function returns fresh mutable data, so a builder can edit it in place.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "DEFAULT_CAPABILITIES",
    "DEFAULT_MASKED_PATHS",
    "DEFAULT_READONLY_PATHS",
    "DEFAULT_SHM_SIZE",
    "IN_CONTAINER_INIT_PATH",
    "KNOWN_CAPABILITIES",
    "OCI_VERSION",
    "default_device_rules",
    "default_mounts",
]

# runc 1.1 speaks runtime-spec 1.0.2; dockerd on Debian 12 sends the same.
OCI_VERSION = "1.0.2-dev"

DEFAULT_SHM_SIZE = 64 * 1024 * 1024
"""``/dev/shm`` size when neither the container nor the daemon sets one (``--default-shm-size``)."""

IN_CONTAINER_INIT_PATH = "/sbin/docker-init"
"""Where ``--init`` bind-mounts the init binary (tini), the path Docker uses."""

DEFAULT_CAPABILITIES: tuple[str, ...] = (
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
)
"""The capabilities a non-privileged container starts with, in Docker's order."""

# By capability number (linux/capability.h), CAP_CHOWN = 0 .. CAP_CHECKPOINT_RESTORE = 40.
KNOWN_CAPABILITIES: tuple[str, ...] = (
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
)
"""Every capability name Docker knows, indexed by its number."""

DEFAULT_MASKED_PATHS: tuple[str, ...] = (
    "/proc/asound",
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
)
"""Paths hidden from a non-privileged container (Docker 26; powercap since the 2024 advisory)."""

DEFAULT_READONLY_PATHS: tuple[str, ...] = (
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
)
"""Paths a non-privileged container sees read-only."""


def default_mounts() -> list[dict[str, Any]]:
    """The mounts every container gets: /proc, /dev, /dev/pts, /sys, cgroup, /dev/mqueue, /dev/shm.

    ``/dev/shm`` has no size yet; the builder adds ``size=`` from ShmSize.
    """
    return [
        {"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid", "noexec", "nodev"]},
        {
            "destination": "/dev",
            "type": "tmpfs",
            "source": "tmpfs",
            "options": ["nosuid", "strictatime", "mode=755", "size=65536k"],
        },
        {
            "destination": "/dev/pts",
            "type": "devpts",
            "source": "devpts",
            "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
        },
        {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
        {
            "destination": "/sys/fs/cgroup",
            "type": "cgroup",
            "source": "cgroup",
            "options": ["ro", "nosuid", "noexec", "nodev"],
        },
        {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
        {
            "destination": "/dev/shm",
            "type": "tmpfs",
            "source": "shm",
            "options": ["nosuid", "noexec", "nodev", "mode=1777"],
        },
    ]


def _char(major: int, minor: int, allow: bool = True) -> dict[str, Any]:
    return {"allow": allow, "type": "c", "major": major, "minor": minor, "access": "rwm"}


def default_device_rules() -> list[dict[str, Any]]:
    """The device cgroup: deny all, then allow null, zero, full, random, urandom, tty, console, ptmx.

    ``/dev/net/tun`` (10:229) is denied explicitly, as Docker does.
    """
    return [
        {"allow": False, "access": "rwm"},
        _char(1, 5),  # /dev/zero
        _char(1, 3),  # /dev/null
        _char(1, 9),  # /dev/urandom
        _char(1, 8),  # /dev/random
        _char(5, 0),  # /dev/tty
        _char(5, 1),  # /dev/console
        _char(10, 229, allow=False),  # /dev/net/tun
    ]
