"""Docker's ``--format`` machinery: table, raw, json and custom Go templates.

``table`` formats print a header (the template run over the column names,
with Docker's header functions) and align the rows with the tab writer;
``json`` is ``{{json .}}``; anything else is a template run once per item,
each followed by a newline. ``\\t`` and ``\\n`` typed literally in a format
become a tab and a newline, as in Docker.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from ._errors import CLIError
from ._gofmt import MISSING, GoMap, TemplateObject
from ._gotemplate import HEADER_FUNCS, Template, TemplateError
from ._tabwriter import tabulate

__all__ = [
    "JSON_FORMAT",
    "as_template_data",
    "RAW_FORMAT",
    "TABLE_FORMAT",
    "Formatter",
    "HeaderContext",
    "is_table",
    "parse_template",
    "render",
]

TABLE_FORMAT = "table"
RAW_FORMAT = "raw"
JSON_FORMAT = "json"


def is_table(fmt: str) -> bool:
    """Whether ``fmt`` is a table format (``table`` or ``table {{...}}``)."""
    return fmt.startswith(TABLE_FORMAT)


class HeaderContext(TemplateObject):
    """The column names a table header is rendered from (Docker's ``SubHeaderContext``).

    An unknown field is ``<no value>``, as a Go map's; ``.Label "a.b-c"``
    gives ``b c``, as Docker's header does.
    """

    go_type: ClassVar[str] = "formatter.SubHeaderContext"

    def __init__(self, headers: Mapping[str, str]) -> None:
        self.headers = dict(headers)

    def has_field(self, name: str) -> bool:
        return True

    def template_field(self, name: str, args: Sequence[Any]) -> Any:
        if name == "Label" and len(args) == 1 and isinstance(args[0], str):
            return args[0].split(".")[-1].replace("-", " ").replace("_", " ")
        return self.headers.get(name, MISSING)


def parse_template(source: str, wrap: str = "template parsing error") -> Template:
    """Parse a Go template; a parse error is a :class:`CLIError` prefixed by ``wrap``."""
    try:
        return Template(source)
    except TemplateError as exc:
        raise CLIError(f"{wrap}: {exc}") from exc


class Formatter:
    """One ``--format`` value, ready to render items (Docker's ``formatter.Context``)."""

    def __init__(self, fmt: str) -> None:
        self.format = fmt
        self.table = is_table(fmt)
        final = fmt
        if self.table:
            final = final[len(TABLE_FORMAT) :]
        elif fmt == JSON_FORMAT:
            final = "{{json .}}"
        final = final.strip(" ").replace("\\t", "\t").replace("\\n", "\n")
        self.template = parse_template(final)

    def render(self, items: Iterable[Any], header: Mapping[str, str] | None = None) -> str:
        """Render every item (a :class:`TemplateObject` or plain data); the table when it is one."""
        rows: list[str] = []
        for item in items:
            try:
                rows.append(self.template.execute(item))
            except TemplateError as exc:
                raise CLIError(f"template parsing error: {exc}") from exc
            rows.append("\n")
        if not self.table:
            return "".join(rows)
        try:
            head = self.template.execute(HeaderContext(header or {}), HEADER_FUNCS)
        except TemplateError:
            head = ""
        return tabulate(head + "\n" + "".join(rows))


def render(fmt: str, items: Iterable[Any], header: Mapping[str, str] | None = None) -> str:
    """Render ``items`` with format ``fmt`` (see :class:`Formatter`)."""
    return Formatter(fmt).render(items, header)


def _as_maps(value: Any, key: str = "") -> Any:
    """Mark the JSON objects that are Go maps (labels, details, options) for template semantics."""
    if isinstance(value, dict):
        converted = {k: _as_maps(v, k) for k, v in value.items()}
        if key in _MAP_FIELDS:
            return GoMap(converted)
        return converted
    if isinstance(value, list):
        items = [_as_maps(v, key) for v in value]
        if key == "Mounts":
            for item in items:
                if isinstance(item, dict) and "Destination" in item:
                    # A ``MountPoint`` struct: its omitempty fields are there for a template, empty.
                    item.setdefault("Name", "")
                    item.setdefault("Driver", "")
        return items
    return value


_MAP_FIELDS = frozenset(
    {
        "Labels", "Options", "Details", "Attributes", "Data", "DriverOpts", "ExposedPorts", "Volumes", "Ports",
        "PortBindings", "Networks", "Sysctls", "Tmpfs", "StorageOpt", "Annotations", "Containers", "Status",
        "IndexConfigs", "Runtimes", "Mirrors",
    }
)  # fmt: skip


def as_template_data(value: Any) -> Any:
    """Daemon JSON prepared for a template: maps that are Go maps are :class:`GoMap`."""
    return _as_maps(value)
