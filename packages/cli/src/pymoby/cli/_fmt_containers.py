"""Formatter contexts of containers: ``ps`` rows, ports, ``diff`` changes.

:class:`ContainerContext` is Docker's ``formatter.ContainerContext``: the
fields users put in ``--format`` (``.ID``, ``.Names``, ``.Image``,
``.Command``, ``.CreatedAt``, ``.RunningFor``, ``.Ports``, ``.State``,
``.Status``, ``.Size``, ``.Labels``, ``.Label "k"``, ``.Mounts``,
``.LocalVolumes``, ``.Networks``, ``.Platform``) computed from a
``GET /containers/json`` entry as Docker computes them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any, ClassVar

from pymoby import errdefs

from ._familiar import official_name_tag
from ._gofmt import NIL_POINTER, TemplateObject, go_quote
from ._tabwriter import display_width
from ._units import go_time_string, human_size, since

__all__ = [
    "CONTAINER_HEADERS",
    "DEFAULT_PS_FORMAT",
    "ContainerContext",
    "DiffContext",
    "display_ports",
    "ellipsis",
    "ps_format",
    "truncate_id",
]

DEFAULT_PS_FORMAT = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"

CONTAINER_HEADERS = {
    "ID": "CONTAINER ID",
    "Names": "NAMES",
    "Image": "IMAGE",
    "Command": "COMMAND",
    "CreatedAt": "CREATED AT",
    "RunningFor": "CREATED",
    "Ports": "PORTS",
    "State": "STATE",
    "Status": "STATUS",
    "Size": "SIZE",
    "Labels": "LABELS",
    "Mounts": "MOUNTS",
    "LocalVolumes": "LOCAL VOLUMES",
    "Networks": "NETWORKS",
    "Platform": "PLATFORM",
}


def truncate_id(value: str) -> str:
    """Docker's ``stringid.TruncateID``: the first 12 hex digits, without ``sha256:``."""
    if ":" in value:
        value = value.split(":", 1)[1]
    return value[:12]


def ellipsis(text: str, width: int) -> str:
    """Docker's ``Ellipsis``: cut ``text`` to ``width`` columns, ending with ``…``."""
    if width <= 0:
        return ""
    if width == 1:
        return text[:1]
    if display_width(text) <= width:
        return text
    out = []
    used = 0
    for ch in text:
        w = display_width(ch)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def ps_format(source: str, quiet: bool, size: bool) -> str:
    """Docker's ``NewContainerFormat``: the format string ``ps`` renders."""
    if source in ("table", ""):
        if quiet:
            return "{{.ID}}"
        return DEFAULT_PS_FORMAT + ("\\t{{.Size}}" if size else "")
    if source == "raw":
        if quiet:
            return "container_id: {{.ID}}"
        fmt = ("container_id: {{.ID}}\nimage: {{.Image}}\ncommand: {{.Command}}\ncreated_at: {{.CreatedAt}}\n"
               "state: {{- pad .State 1 0}}\nstatus: {{- pad .Status 1 0}}\nnames: {{.Names}}\n"
               "labels: {{- pad .Labels 1 0}}\nports: {{- pad .Ports 1 0}}\n")  # fmt: skip
        return fmt + ("size: {{.Size}}\\n" if size else "")
    if quiet:
        return "{{.ID}}"
    return source


def _port_key(port: Mapping[str, Any]) -> tuple[int, str, int, str]:
    return (int(port.get("PrivatePort") or 0), str(port.get("IP") or ""), int(port.get("PublicPort") or 0),
            str(port.get("Type") or ""))  # fmt: skip


def _join_host_port(host: str, port: str) -> str:
    try:
        if ipaddress.ip_address(host).version == 6:
            return f"[{host}]:{port}"
    except ValueError:
        if ":" in host:
            return f"[{host}]:{port}"
    return f"{host}:{port}"


def _form_group(key: str, first: int, last: int) -> str:
    ip, sep, kind = key.rpartition("/")
    group = str(first) if first == last else f"{first}-{last}"
    if sep and ip:
        group = f"{_join_host_port(ip, group)}->{group}"
    return f"{group}/{kind}"


def display_ports(ports: list[Mapping[str, Any]] | None) -> str:
    """Docker's ``DisplayablePorts``: ``0.0.0.0:8080->80/tcp, 53/udp``, ranges grouped."""
    groups: dict[str, list[int]] = {}
    order: list[str] = []
    result: list[str] = []
    mappings: list[str] = []
    for port in sorted(ports or [], key=_port_key):
        current = int(port.get("PrivatePort") or 0)
        kind = str(port.get("Type") or "")
        key = kind
        ip = str(port.get("IP") or "")
        if ip:
            public = int(port.get("PublicPort") or 0)
            if public != current:
                mappings.append(f"{_join_host_port(ip, str(public))}->{current}/{kind}")
                continue
            key = f"{ip}/{kind}"
        group = groups.get(key)
        if group is None:
            groups[key] = [current, current]
            order.append(key)
            continue
        if current == group[1] + 1:
            group[1] = current
            continue
        result.append(_form_group(key, group[0], group[1]))
        groups[key] = [current, current]
    for key in order:
        result.append(_form_group(key, *groups[key]))
    return ", ".join(result + mappings)


class ContainerContext(TemplateObject):
    """One ``ps`` row."""

    go_type: ClassVar[str] = "*formatter.ContainerContext"
    fields: ClassVar[frozenset[str]] = frozenset(CONTAINER_HEADERS) | {"Label"}

    def __init__(self, summary: Mapping[str, Any] | None = None, trunc: bool = True) -> None:
        self.c: Mapping[str, Any] = summary or {}
        self.trunc = trunc
        self.fields_used: set[str] = set()

    def ID(self) -> str:
        value = str(self.c.get("Id") or "")
        return truncate_id(value) if self.trunc else value

    def Names(self) -> str:
        names = [n[1:] if n.startswith("/") else n for n in self.c.get("Names") or []]
        if self.trunc:
            for name in names:
                if "/" not in name:
                    names = [name]
                    break
        return ",".join(names)

    def Image(self) -> str:
        image = str(self.c.get("Image") or "")
        if not image:
            return "<no image>"
        if self.trunc:
            image_id = str(self.c.get("ImageID") or "")
            short = truncate_id(image_id)
            if short == truncate_id(image):
                return short
            if official_name_tag(image) is not None:
                return image  # already familiar
            from pymoby import reference

            try:
                ref = reference.parse_normalized_named(image)
            except errdefs.InvalidParameter:
                return image
            if ref.tag is not None:
                return reference.familiar_string(reference.Reference(ref.domain, ref.path, ref.tag))
            return reference.familiar_string(reference.Reference(ref.domain, ref.path))
        return image

    def Command(self) -> str:
        command = str(self.c.get("Command") or "")
        if self.trunc:
            command = ellipsis(command, 20)
        return go_quote(command)

    def CreatedAt(self) -> str:
        return go_time_string(int(self.c.get("Created") or 0))

    def RunningFor(self) -> str:
        return since(int(self.c.get("Created") or 0))

    def Ports(self) -> str:
        return display_ports(self.c.get("Ports"))

    def State(self) -> str:
        return str(self.c.get("State") or "")

    def Status(self) -> str:
        return str(self.c.get("Status") or "")

    def Size(self) -> str:
        self.fields_used.add("Size")
        size_rw = human_size(int(self.c.get("SizeRw") or 0), 3)
        root = int(self.c.get("SizeRootFs") or 0)
        return f"{size_rw} (virtual {human_size(root, 3)})" if root > 0 else size_rw

    def Labels(self) -> str:
        labels = self.c.get("Labels") or {}
        return ",".join(sorted(f"{k}={v}" for k, v in labels.items()))

    def Label(self, name: str) -> str:
        return str((self.c.get("Labels") or {}).get(name, ""))

    def Mounts(self) -> str:
        names = []
        for mount in self.c.get("Mounts") or []:
            name = str(mount.get("Name") or mount.get("Source") or "")
            names.append(ellipsis(name, 15) if self.trunc else name)
        return ",".join(names)

    def LocalVolumes(self) -> str:
        return str(sum(1 for m in self.c.get("Mounts") or [] if m.get("Driver") == "local"))

    def Networks(self) -> str:
        settings = self.c.get("NetworkSettings") or {}
        return ",".join(sorted((settings.get("Networks") or {}).keys()))

    def Platform(self) -> Any:
        descriptor = self.c.get("ImageManifestDescriptor") or {}
        platform = descriptor.get("platform") or descriptor.get("Platform")
        if not platform:
            return NIL_POINTER
        text = f"{platform.get('os', '')}/{platform.get('architecture', '')}"
        if platform.get("variant"):
            text += "/" + platform["variant"]
        return text


class DiffContext(TemplateObject):
    """One ``diff`` row: ``C /etc``."""

    go_type: ClassVar[str] = "*container.diffContext"
    fields: ClassVar[frozenset[str]] = frozenset({"Type", "Path"})
    headers: ClassVar[dict[str, str]] = {"Type": "CHANGE TYPE", "Path": "PATH"}

    def __init__(self, change: Mapping[str, Any]) -> None:
        self.change = change

    def Type(self) -> str:
        return {0: "C", 1: "A", 2: "D"}.get(int(self.change.get("Kind", -1)), "")

    def Path(self) -> str:
        return str(self.change.get("Path") or "")
