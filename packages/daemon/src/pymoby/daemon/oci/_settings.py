"""Daemon-wide inputs of the spec builder: daemon.json options and facts about the host.

:class:`SpecSettings` is built once at daemon start (:func:`detect_spec_settings`
reads the host: blocking, run it in a worker thread) and passed to every
:func:`~pymoby.daemon.oci.build_spec` call, so the builder itself reads nothing.
"""

from __future__ import annotations

import os
import platform
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pymoby.api import Ulimit

from ._defaults import DEFAULT_SHM_SIZE, KNOWN_CAPABILITIES

__all__ = ["DEFAULT_INIT_BINARY", "SpecSettings", "detect_spec_settings", "kernel_version", "process_capabilities"]

DEFAULT_INIT_BINARY = "/usr/bin/tini-static"
"""Debian's static tini: what ``--init`` runs unless ``--init-path`` says otherwise.

(Debian's ``/usr/bin/tini`` is dynamically linked against glibc, so it cannot
run in an image without one, such as busybox; Docker's ``docker-init`` is
the static build too.)
"""

_GO_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386", "i386": "386"}


@dataclass(frozen=True, slots=True)
class SpecSettings:
    """The daemon's side of every container spec.

    - ``cgroup_parent``: parent of ``<parent>/<id>`` (``--cgroup-parent``), cgroupfs driver.
    - ``seccomp_profile``: ``""`` for Docker's built-in default, ``"unconfined"``,
      or the JSON text of ``--seccomp-profile``.
    - ``no_new_privileges``: ``--no-new-privileges`` (containers may override).
    - ``default_ulimits``: ``--default-ulimit`` by name.
    - ``init``/``init_path``: ``--init`` by default, and the binary bind-mounted at /sbin/docker-init.
    - ``default_shm_size``: ``--default-shm-size``, bytes.
    - ``available_capabilities``: what the daemon holds (``None``: all known);
      privileged and ``CapAdd: ALL`` get exactly these.
    - host facts: ``go_arch``, ``kernel_version``, ``seccomp_enabled``,
      ``apparmor_enabled``, ``net_sysctls`` (Docker's default network
      sysctls that exist on this kernel), ``cgroup_version``.
    """

    cgroup_parent: str = "/pymoby"
    seccomp_profile: str = ""
    no_new_privileges: bool = False
    default_ulimits: Mapping[str, Ulimit] = field(default_factory=dict)
    init: bool = False
    init_path: str = DEFAULT_INIT_BINARY
    default_shm_size: int = DEFAULT_SHM_SIZE
    available_capabilities: tuple[str, ...] | None = None
    go_arch: str = "amd64"
    kernel_version: tuple[int, int, int] = (5, 10, 0)
    seccomp_enabled: bool = True
    apparmor_enabled: bool = False
    net_sysctls: tuple[str, ...] = ("net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start")
    cgroup_version: str = "1"


def kernel_version(release: str | None = None) -> tuple[int, int, int]:
    """(major, minor, patch) of a kernel release string such as ``6.1.0-18-amd64``."""
    numbers: list[int] = []
    for piece in (release or platform.release()).split("-", 1)[0].split(".")[:3]:
        digits = ""
        for ch in piece:
            if not ch.isdigit():
                break
            digits += ch
        numbers.append(int(digits or 0))
    numbers += [0] * (3 - len(numbers))
    return numbers[0], numbers[1], numbers[2]


def process_capabilities(status: str | None = None) -> tuple[str, ...] | None:
    """The capabilities in this process's effective set (``CapEff`` of /proc/self/status).

    ``None`` when they cannot be read (then every known capability is assumed).
    """
    try:
        text = status if status is not None else Path("/proc/self/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("CapEff:"):
            mask = int(line.split()[1], 16)
            return tuple(name for bit, name in enumerate(KNOWN_CAPABILITIES) if mask & (1 << bit))
    return None


def detect_spec_settings(
    *,
    cgroup_parent: str = "/pymoby",
    seccomp_profile: str = "",
    no_new_privileges: bool = False,
    default_ulimits: Mapping[str, Ulimit] | None = None,
    init: bool = False,
    init_path: str = "",
    default_shm_size: int = DEFAULT_SHM_SIZE,
) -> SpecSettings:
    """:class:`SpecSettings` from the daemon's options and this host (blocking: a worker thread).

    ``seccomp_profile`` is ``""``, ``"unconfined"`` or the profile's JSON
    text (the daemon reads ``--seccomp-profile`` once). ``init_path`` empty
    means ``docker-init``, ``tini-static`` or ``tini`` from ``PATH`` (in that
    order, symlinks resolved), else /usr/bin/tini-static.
    """
    machine = platform.machine()
    try:
        seccomp = "Seccomp:" in Path("/proc/self/status").read_text()
    except OSError:
        seccomp = False
    try:
        apparmor = Path("/sys/module/apparmor/parameters/enabled").read_text().strip() == "Y"
    except OSError:
        apparmor = False
    sysctls = tuple(
        name
        for name in ("net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start")
        if os.path.exists("/proc/sys/" + name.replace(".", "/"))
    )
    if not init_path:
        found = shutil.which("docker-init") or shutil.which("tini-static") or shutil.which("tini")
        init_path = os.path.realpath(found) if found else DEFAULT_INIT_BINARY
    return SpecSettings(
        cgroup_parent=cgroup_parent,
        seccomp_profile=seccomp_profile,
        no_new_privileges=no_new_privileges,
        default_ulimits=dict(default_ulimits or {}),
        init=init,
        init_path=init_path,
        default_shm_size=default_shm_size,
        available_capabilities=process_capabilities(),
        go_arch=_GO_ARCH.get(machine, machine),
        kernel_version=kernel_version(),
        seccomp_enabled=seccomp,
        apparmor_enabled=apparmor,
        net_sysctls=sysctls,
        cgroup_version="2" if Path("/sys/fs/cgroup/cgroup.controllers").exists() else "1",
    )
