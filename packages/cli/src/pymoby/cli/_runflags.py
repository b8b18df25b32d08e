"""The flags of ``run`` and ``create`` (Docker's container flags) and their value types.

:func:`container_flags` adds them to a command; :class:`MemBytes`
(``512m``), :class:`GoDuration` (``1m30s``) and :class:`NanoCPUs`
(``1.5``) parse values as the docker CLI does, with its error messages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from ._clickext import DockerParamType
from ._specs import (
    SpecError,
    parse_cpus,
)
from ._units import InvalidSize, parse_go_duration, parse_ram

__all__ = ["GoDuration", "MemBytes", "NanoCPUs", "container_flags"]


class MemBytes(DockerParamType):
    """A size in bytes: ``512m`` (binary units); ``-1`` allowed for swap."""

    name = "bytes"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        text = str(value)
        if text == "-1":
            return -1
        try:
            return parse_ram(text)
        except InvalidSize as exc:
            self.fail_value(text, str(exc), param, ctx)
            raise  # unreachable


class GoDuration(DockerParamType):
    """A Go duration (``30s``, ``1m30s``) in nanoseconds."""

    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        text = str(value)
        try:
            return parse_go_duration(text)
        except SpecError as exc:
            self.fail_value(text, str(exc), param, ctx)
        except Exception as exc:
            self.fail_value(text, str(exc), param, ctx)
        raise AssertionError("unreachable")


class NanoCPUs(DockerParamType):
    """``--cpus``: a decimal number of CPUs, as nano-CPUs."""

    name = "decimal"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        try:
            return parse_cpus(str(value))
        except SpecError as exc:
            self.fail_value(str(value), str(exc), param, ctx)
        raise AssertionError("unreachable")


def _opt(*names: str, **kwargs: Any) -> Callable[[Any], Any]:
    if kwargs.pop("many", False):
        kwargs["multiple"] = True
        kwargs.setdefault("metavar", "list")
    return click.option(*names, **kwargs)


_FLAGS: list[Callable[[Any], Any]] = [
    _opt("--add-host", many=True, help="Add a custom host-to-IP mapping (host:ip)"),
    _opt("--annotation", many=True, help="Add an annotation to the container (passed through to the OCI runtime)"),
    _opt("-a", "--attach", many=True, help="Attach to STDIN, STDOUT or STDERR"),
    _opt(
        "--blkio-weight", type=int, default=0, help="Block IO (relative weight), between 10 and 1000, or 0 to disable"
    ),
    _opt("--blkio-weight-device", many=True, help="Block IO weight (relative device weight)"),
    _opt("--cap-add", many=True, help="Add Linux capabilities"),
    _opt("--cap-drop", many=True, help="Drop Linux capabilities"),
    _opt("--cgroup-parent", default="", help="Optional parent cgroup for the container"),
    _opt("--cgroupns", default="", help="Cgroup namespace to use (host|private)"),
    _opt("--cidfile", default="", help="Write the container ID to the file"),
    _opt("--cpu-period", type=int, default=0, help="Limit CPU CFS (Completely Fair Scheduler) period"),
    _opt("--cpu-quota", type=int, default=0, help="Limit CPU CFS (Completely Fair Scheduler) quota"),
    _opt("--cpu-rt-period", type=int, default=0, help="Limit CPU real-time period in microseconds"),
    _opt("--cpu-rt-runtime", type=int, default=0, help="Limit CPU real-time runtime in microseconds"),
    _opt("-c", "--cpu-shares", type=int, default=0, help="CPU shares (relative weight)"),
    _opt("--cpus", type=NanoCPUs(), default=0, help="Number of CPUs"),
    _opt("--cpuset-cpus", default="", help="CPUs in which to allow execution (0-3, 0,1)"),
    _opt("--cpuset-mems", default="", help="MEMs in which to allow execution (0-3, 0,1)"),
    _opt("--device", many=True, help="Add a host device to the container"),
    _opt("--device-cgroup-rule", many=True, help="Add a rule to the cgroup allowed devices list"),
    _opt("--device-read-bps", many=True, help="Limit read rate (bytes per second) from a device"),
    _opt("--device-read-iops", many=True, help="Limit read rate (IO per second) from a device"),
    _opt("--device-write-bps", many=True, help="Limit write rate (bytes per second) to a device"),
    _opt("--device-write-iops", many=True, help="Limit write rate (IO per second) to a device"),
    _opt("--dns", many=True, help="Set custom DNS servers"),
    _opt("--dns-option", "--dns-opt", "dns_option", many=True, help="Set DNS options"),
    _opt("--dns-search", many=True, help="Set custom DNS search domains"),
    _opt("--domainname", default="", help="Container NIS domain name"),
    _opt("--entrypoint", default=None, help="Overwrite the default ENTRYPOINT of the image"),
    _opt("-e", "--env", many=True, help="Set environment variables"),
    _opt("--env-file", many=True, help="Read in a file of environment variables"),
    _opt("--expose", many=True, help="Expose a port or a range of ports"),
    _opt("--gpus", default="", help="GPU devices to add to the container ('all' to pass all GPUs)"),
    _opt("--group-add", many=True, help="Add additional groups to join"),
    _opt("--health-cmd", default="", help="Command to run to check health"),
    _opt("--health-interval", type=GoDuration(), default=0, help="Time between running the check (ms|s|m|h)"),
    _opt("--health-retries", type=int, default=0, help="Consecutive failures needed to report unhealthy"),
    _opt(
        "--health-start-interval",
        type=GoDuration(),
        default=0,
        help="Time between running the check during the start period (ms|s|m|h)",
    ),
    _opt(
        "--health-start-period",
        type=GoDuration(),
        default=0,
        help="Start period for the container to initialize before starting health-retries countdown (ms|s|m|h)",
    ),
    _opt("--health-timeout", type=GoDuration(), default=0, help="Maximum time to allow one check to run (ms|s|m|h)"),
    _opt("-h", "--hostname", default="", help="Container host name"),
    _opt(
        "--init",
        is_flag=True,
        default=False,
        help="Run an init inside the container that forwards signals and reaps processes",
    ),
    _opt("-i", "--interactive", is_flag=True, default=False, help="Keep STDIN open even if not attached"),
    _opt("--ip", default="", help="IPv4 address (e.g., 172.30.100.104)"),
    _opt("--ip6", default="", help="IPv6 address (e.g., 2001:db8::33)"),
    _opt("--ipc", default="", help="IPC mode to use"),
    _opt("--isolation", default="", help="Container isolation technology"),
    _opt("--kernel-memory", type=MemBytes(), default=0, help="Kernel memory limit"),
    _opt("-l", "--label", many=True, help="Set meta data on a container"),
    _opt("--label-file", many=True, help="Read in a line delimited file of labels"),
    _opt("--link", many=True, help="Add link to another container"),
    _opt("--link-local-ip", many=True, help="Container IPv4/IPv6 link-local addresses"),
    _opt("--log-driver", default="", help="Logging driver for the container"),
    _opt("--log-opt", many=True, help="Log driver options"),
    _opt("--mac-address", default="", help="Container MAC address (e.g., 92:d0:c6:0a:29:33)"),
    _opt("-m", "--memory", type=MemBytes(), default=0, help="Memory limit"),
    _opt("--memory-reservation", type=MemBytes(), default=0, help="Memory soft limit"),
    _opt(
        "--memory-swap",
        type=MemBytes(),
        default=0,
        help="Swap limit equal to memory plus swap: '-1' to enable unlimited swap",
    ),
    _opt("--memory-swappiness", type=int, default=-1, help="Tune container memory swappiness (0 to 100)"),
    _opt("--mount", many=True, help="Attach a filesystem mount to the container"),
    _opt("--network", "--net", "network", many=True, help="Connect a container to a network"),
    _opt(
        "--network-alias", "--net-alias", "network_alias", many=True, help="Add network-scoped alias for the container"
    ),
    _opt("--no-healthcheck", is_flag=True, default=False, help="Disable any container-specified HEALTHCHECK"),
    _opt("--oom-kill-disable", is_flag=True, default=False, help="Disable OOM Killer"),
    _opt("--oom-score-adj", type=int, default=0, help="Tune host's OOM preferences (-1000 to 1000)"),
    _opt("--pid", default="", help="PID namespace to use"),
    _opt("--pids-limit", type=int, default=0, help="Tune container pids limit (set -1 for unlimited)"),
    _opt("--platform", default="", help="Set platform if server is multi-platform capable"),
    _opt("--privileged", is_flag=True, default=False, help="Give extended privileges to this container"),
    _opt("-p", "--publish", many=True, help="Publish a container's port(s) to the host"),
    _opt("-P", "--publish-all", is_flag=True, default=False, help="Publish all exposed ports to random ports"),
    _opt("--pull", default="missing", help='Pull image before running ("always", "missing", "never")'),
    _opt("-q", "--quiet", is_flag=True, default=False, help="Suppress the pull output"),
    _opt("--read-only", is_flag=True, default=False, help="Mount the container's root filesystem as read only"),
    _opt("--restart", default="no", help="Restart policy to apply when a container exits"),
    _opt(
        "--rm",
        is_flag=True,
        default=False,
        help="Automatically remove the container and its associated anonymous volumes when it exits",
    ),
    _opt("--runtime", default="", help="Runtime to use for this container"),
    _opt("--security-opt", many=True, help="Security Options"),
    _opt("--shm-size", type=MemBytes(), default=0, help="Size of /dev/shm"),
    _opt("--stop-signal", default="", help="Signal to stop the container"),
    _opt("--stop-timeout", type=int, default=0, help="Timeout (in seconds) to stop a container"),
    _opt("--storage-opt", many=True, help="Storage driver options for the container"),
    _opt("--sysctl", many=True, help="Sysctl options"),
    _opt("--tmpfs", many=True, help="Mount a tmpfs directory"),
    _opt("-t", "--tty", is_flag=True, default=False, help="Allocate a pseudo-TTY"),
    _opt("--ulimit", many=True, help="Ulimit options"),
    _opt("-u", "--user", default="", help="Username or UID (format: <name|uid>[:<group|gid>])"),
    _opt("--userns", default="", help="User namespace to use"),
    _opt("--uts", default="", help="UTS namespace to use"),
    _opt("-v", "--volume", many=True, help="Bind mount a volume"),
    _opt("--volume-driver", default="", help="Optional volume driver for the container"),
    _opt("--volumes-from", many=True, help="Mount volumes from the specified container(s)"),
    _opt("-w", "--workdir", default="", help="Working directory inside the container"),
]


def container_flags(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the container flags of ``run``/``create`` to ``command``."""
    for decorate in reversed(_FLAGS):
        command = decorate(command)
    return command
