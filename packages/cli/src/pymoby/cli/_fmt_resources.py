"""Formatter contexts of volumes, networks, container stats and ``system df``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from ._errors import CLIError
from ._fmt_containers import CONTAINER_HEADERS, ContainerContext, truncate_id
from ._fmt_images import IMAGE_HEADERS, ImageContext
from ._formatter import Formatter
from ._gofmt import TemplateObject
from ._units import bytes_size, go_time_string, human_size, seconds_from_iso

__all__ = [
    "NETWORK_HEADERS",
    "STATS_HEADERS",
    "VOLUME_HEADERS",
    "NetworkContext",
    "StatsContext",
    "VolumeContext",
    "disk_usage_text",
    "stats_entry",
]

VOLUME_HEADERS = {
    "ID": "ID", "Name": "VOLUME NAME", "Group": "GROUP", "Driver": "DRIVER", "Scope": "SCOPE",
    "Availability": "AVAILABILITY", "Mountpoint": "MOUNTPOINT", "Labels": "LABELS", "Links": "LINKS",
    "Size": "SIZE", "Status": "STATUS",
}  # fmt: skip


def _labels(labels: Mapping[str, str] | None) -> str:
    return ",".join(sorted(f"{k}={v}" for k, v in (labels or {}).items()))


class VolumeContext(TemplateObject):
    """One ``volume ls`` row."""

    go_type: ClassVar[str] = "*formatter.volumeContext"
    fields: ClassVar[frozenset[str]] = frozenset(VOLUME_HEADERS) | {"Label"}

    def __init__(self, volume: Mapping[str, Any] | None = None) -> None:
        self.v: Mapping[str, Any] = volume or {}

    def ID(self) -> str:
        return "N/A"

    def Name(self) -> str:
        return str(self.v.get("Name") or "")

    def Driver(self) -> str:
        return str(self.v.get("Driver") or "")

    def Scope(self) -> str:
        return str(self.v.get("Scope") or "")

    def Mountpoint(self) -> str:
        return str(self.v.get("Mountpoint") or "")

    def Labels(self) -> str:
        return _labels(self.v.get("Labels"))

    def Label(self, name: str) -> str:
        return str((self.v.get("Labels") or {}).get(name, ""))

    def Links(self) -> str:
        usage = self.v.get("UsageData")
        return "N/A" if not usage else str(usage.get("RefCount", 0))

    def Size(self) -> str:
        usage = self.v.get("UsageData")
        return "N/A" if not usage else human_size(int(usage.get("Size", 0)))

    def Group(self) -> str:
        return "N/A"

    def Availability(self) -> str:
        return "N/A"

    def Status(self) -> str:
        return "N/A"


NETWORK_HEADERS = {
    "ID": "NETWORK ID", "Name": "NAME", "Driver": "DRIVER", "Scope": "SCOPE", "IPv4": "IPV4", "IPv6": "IPV6",
    "Internal": "INTERNAL", "Labels": "LABELS", "CreatedAt": "CREATED AT",
}  # fmt: skip


class NetworkContext(TemplateObject):
    """One ``network ls`` row."""

    go_type: ClassVar[str] = "*network.networkContext"
    fields: ClassVar[frozenset[str]] = frozenset(NETWORK_HEADERS) | {"Label"}

    def __init__(self, network: Mapping[str, Any] | None = None, trunc: bool = True) -> None:
        self.n: Mapping[str, Any] = network or {}
        self.trunc = trunc

    def ID(self) -> str:
        value = str(self.n.get("Id") or "")
        return truncate_id(value) if self.trunc else value

    def Name(self) -> str:
        return str(self.n.get("Name") or "")

    def Driver(self) -> str:
        return str(self.n.get("Driver") or "")

    def Scope(self) -> str:
        return str(self.n.get("Scope") or "")

    def IPv4(self) -> str:
        return "true" if self.n.get("EnableIPv4", True) else "false"

    def IPv6(self) -> str:
        return "true" if self.n.get("EnableIPv6") else "false"

    def Internal(self) -> str:
        return "true" if self.n.get("Internal") else "false"

    def Labels(self) -> str:
        return _labels(self.n.get("Labels"))

    def Label(self, name: str) -> str:
        return str((self.n.get("Labels") or {}).get(name, ""))

    def CreatedAt(self) -> str:
        seconds = seconds_from_iso(str(self.n.get("Created") or ""))
        return go_time_string(seconds or 0, utc=True)


STATS_HEADERS = {
    "Container": "CONTAINER", "Name": "NAME", "ID": "CONTAINER ID", "CPUPerc": "CPU %",
    "MemUsage": "MEM USAGE / LIMIT", "MemPerc": "MEM %", "NetIO": "NET I/O", "BlockIO": "BLOCK I/O",
    "PIDs": "PIDS",
}  # fmt: skip


def stats_entry(container: str, stats: Mapping[str, Any]) -> dict[str, Any]:
    """Docker's ``StatsEntry`` from one ``/containers/{id}/stats`` document (Linux formulas)."""
    cpu = stats.get("cpu_stats") or {}
    pre = stats.get("precpu_stats") or {}
    cpu_delta = float((cpu.get("cpu_usage") or {}).get("total_usage", 0)) - float(
        (pre.get("cpu_usage") or {}).get("total_usage", 0)
    )
    system_delta = float(cpu.get("system_cpu_usage", 0) or 0) - float(pre.get("system_cpu_usage", 0) or 0)
    online = float(cpu.get("online_cpus") or len((cpu.get("cpu_usage") or {}).get("percpu_usage") or []))
    cpu_percent = cpu_delta / system_delta * online * 100.0 if system_delta > 0 and cpu_delta > 0 else 0.0
    memory = stats.get("memory_stats") or {}
    usage = int(memory.get("usage") or 0)
    details = memory.get("stats") or {}
    mem = float(usage)
    if "total_inactive_file" in details and details["total_inactive_file"] < usage:
        mem = float(usage - details["total_inactive_file"])
    elif int(details.get("inactive_file", 0)) < usage:
        mem = float(usage - int(details.get("inactive_file", 0)))
    limit = float(memory.get("limit") or 0)
    read = write = 0
    for entry in (stats.get("blkio_stats") or {}).get("io_service_bytes_recursive") or []:
        op = str(entry.get("op") or "")[:1].lower()
        if op == "r":
            read += int(entry.get("value") or 0)
        elif op == "w":
            write += int(entry.get("value") or 0)
    rx = sum(float(n.get("rx_bytes") or 0) for n in (stats.get("networks") or {}).values())
    tx = sum(float(n.get("tx_bytes") or 0) for n in (stats.get("networks") or {}).values())
    return {
        "Container": container, "Name": str(stats.get("name") or ""), "ID": str(stats.get("id") or ""),
        "CPUPercentage": cpu_percent, "Memory": mem, "MemoryLimit": limit,
        "MemoryPercentage": mem / limit * 100.0 if limit else 0.0, "NetworkRx": rx, "NetworkTx": tx,
        "BlockRead": float(read), "BlockWrite": float(write),
        "PidsCurrent": int((stats.get("pids_stats") or {}).get("current") or 0), "IsInvalid": False,
    }  # fmt: skip


def invalid_stats_entry(container: str) -> dict[str, Any]:
    """The entry of a container whose stats could not be read."""
    return {"Container": container, "Name": "", "ID": "", "IsInvalid": True}


class StatsContext(TemplateObject):
    """One ``stats`` row."""

    go_type: ClassVar[str] = "*container.statsContext"
    fields: ClassVar[frozenset[str]] = frozenset(STATS_HEADERS)

    def __init__(self, entry: Mapping[str, Any] | None = None, trunc: bool = True) -> None:
        self.s: Mapping[str, Any] = entry or {"IsInvalid": True}
        self.trunc = trunc

    def _invalid(self) -> bool:
        return bool(self.s.get("IsInvalid"))

    def Container(self) -> str:
        return str(self.s.get("Container") or "")

    def Name(self) -> str:
        name = str(self.s.get("Name") or "")
        return name[1:] if len(name) > 1 else "--"

    def ID(self) -> str:
        value = str(self.s.get("ID") or "")
        return truncate_id(value) if self.trunc else value

    def CPUPerc(self) -> str:
        return "--" if self._invalid() else f"{self.s['CPUPercentage']:.2f}%"

    def MemUsage(self) -> str:
        if self._invalid():
            return "-- / --"
        return f"{bytes_size(self.s['Memory'])} / {bytes_size(self.s['MemoryLimit'])}"

    def MemPerc(self) -> str:
        return "--" if self._invalid() else f"{self.s['MemoryPercentage']:.2f}%"

    def NetIO(self) -> str:
        if self._invalid():
            return "--"
        return f"{human_size(self.s['NetworkRx'], 3)} / {human_size(self.s['NetworkTx'], 3)}"

    def BlockIO(self) -> str:
        if self._invalid():
            return "--"
        return f"{human_size(self.s['BlockRead'], 3)} / {human_size(self.s['BlockWrite'], 3)}"

    def PIDs(self) -> str:
        return "--" if self._invalid() else str(self.s.get("PidsCurrent", 0))


# -- system df -------------------------------------------------------------------------

_DU_HEADERS = {"Type": "TYPE", "TotalCount": "TOTAL", "Active": "ACTIVE", "Size": "SIZE", "Reclaimable": "RECLAIMABLE"}


class _UsageRow(TemplateObject):
    go_type: ClassVar[str] = "*formatter.diskUsageContext"
    fields: ClassVar[frozenset[str]] = frozenset(_DU_HEADERS)

    def __init__(self, kind: str, total: int, active: int, size: int, reclaimable: int, percent: bool) -> None:
        self.kind, self.total, self.active, self.size, self.reclaim = kind, total, active, size, reclaimable
        self.percent = percent

    def Type(self) -> str:
        return self.kind

    def TotalCount(self) -> str:
        return str(self.total)

    def Active(self) -> str:
        return str(self.active)

    def Size(self) -> str:
        return human_size(self.size)

    def Reclaimable(self) -> str:
        if self.percent and self.size > 0:
            return f"{human_size(self.reclaim)} ({self.reclaim * 100 // self.size}%)"
        return human_size(self.reclaim)


_ACTIVE_STATES = {"running", "paused", "restarting"}


def _usage_rows(usage: Mapping[str, Any]) -> list[_UsageRow]:
    images: Sequence[Mapping[str, Any]] = usage.get("Images") or []
    containers: Sequence[Mapping[str, Any]] = usage.get("Containers") or []
    volumes: Sequence[Mapping[str, Any]] = usage.get("Volumes") or []
    cache: Sequence[Mapping[str, Any]] = usage.get("BuildCache") or []
    layers = int(usage.get("LayersSize") or 0)
    used = sum(int(i.get("Size", 0)) - int(i.get("SharedSize", 0)) for i in images
               if i.get("Containers") and i.get("Size", 0) != -1 and i.get("SharedSize", 0) != -1)  # fmt: skip
    rows = [_UsageRow("Images", len(images), sum(1 for i in images if (i.get("Containers") or 0) > 0), layers,
                      layers - used, True)]  # fmt: skip
    sizes = [int(c.get("SizeRw") or 0) for c in containers]
    active = [c.get("State") in _ACTIVE_STATES for c in containers]
    rows.append(_UsageRow("Containers", len(containers), sum(active), sum(sizes),
                          sum(s for s, a in zip(sizes, active, strict=True) if not a), True))  # fmt: skip
    vol_data = [v.get("UsageData") or {} for v in volumes]
    vol_sizes = [int(d.get("Size", -1)) for d in vol_data]
    rows.append(_UsageRow("Local Volumes", len(volumes), sum(1 for d in vol_data if int(d.get("RefCount", 0)) > 0),
                          sum(s for s in vol_sizes if s != -1),
                          sum(s for s, d in zip(vol_sizes, vol_data, strict=True) if s != -1 and not d.get("RefCount")),
                          True))  # fmt: skip
    builder = int(usage.get("BuilderSize") or sum(int(c.get("Size") or 0) for c in cache))
    in_use = sum(int(c.get("Size") or 0) for c in cache if c.get("InUse") and not c.get("Shared"))
    rows.append(_UsageRow("Build Cache", len(cache), sum(1 for c in cache if c.get("InUse")), builder,
                          builder - in_use, False))  # fmt: skip
    return rows


def disk_usage_text(usage: Mapping[str, Any], fmt: str, verbose: bool) -> str:
    """``system df`` output: the summary table (or format), or the verbose sections."""
    if not verbose:
        if fmt == "table":
            fmt = "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}"
        elif fmt == "raw":
            fmt = ("type: {{.Type}}\ntotal: {{.TotalCount}}\nactive: {{.Active}}\nsize: {{.Size}}\n"
                   "reclaimable: {{.Reclaimable}}\n")  # fmt: skip
        return Formatter(fmt).render(_usage_rows(usage), _DU_HEADERS)
    if fmt != "table":
        raise CLIError("the verbose --format of system df is not supported; use --format with the summary")
    out = ["Images space usage:\n\n"]
    images = []
    for image in usage.get("Images") or []:
        repo, tag = "<none>", "<none>"
        tags = image.get("RepoTags") or []
        if tags and tags != ["<none>:<none>"]:
            name, _, tag_part = tags[0].rpartition(":")
            repo, tag = name, tag_part
        images.append(ImageContext(image, repo, tag, "", True))
    out.append(Formatter("table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t"
                         "{{.UniqueSize}}\t{{.Containers}}").render(images, IMAGE_HEADERS))  # fmt: skip
    out.append("\nContainers space usage:\n\n")
    containers = [ContainerContext({**c, "SizeRootFs": 0}) for c in usage.get("Containers") or []]
    out.append(Formatter("table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t"
                         "{{.Status}}\t{{.Names}}").render(containers, CONTAINER_HEADERS))  # fmt: skip
    out.append("\nLocal Volumes space usage:\n\n")
    volumes = [VolumeContext(v) for v in usage.get("Volumes") or []]
    out.append(Formatter("table {{.Name}}\t{{.Links}}\t{{.Size}}").render(volumes, VOLUME_HEADERS))
    builder = int(usage.get("BuilderSize") or 0)
    out.append(f"\nBuild cache usage: {human_size(builder)}\n\n")
    cache_headers = {"ID": "CACHE ID", "CacheType": "CACHE TYPE", "Size": "SIZE", "CreatedSince": "CREATED",
                     "LastUsedSince": "LAST USED", "UsageCount": "USAGE", "Shared": "SHARED"}  # fmt: skip
    out.append(Formatter("table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t"
                         "{{.UsageCount}}\t{{.Shared}}").render([], cache_headers))  # fmt: skip
    return "".join(out)
