"""``inspect`` (any object) and ``container/image/volume/network inspect``.

Without ``--format`` the daemon's JSON is printed as a 4-space indented
array, byte for byte as it came (Go's ``json.Indent``); ``--format json``
compacts it; any other format is a Go template run on each object (its
output followed by a newline). Objects not found are reported after the
others are printed, each on its own line, with exit status 1.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import click

from pymoby import errdefs

from ._clickext import command
from ._engine import Engine, decode
from ._errors import CLIError, describe
from ._formatter import as_template_data
from ._gofmt import GoMap, as_go_maps
from ._gojson import go_indent, go_json
from ._gotemplate import Template, TemplateError
from ._session import Session
from ._tree import container, image, network, root, volume

__all__ = ["inspect_objects"]

Getter = Callable[[str], Awaitable[bytes]]


async def inspect_objects(session: Session, refs: Sequence[str], fmt: str, get: Getter) -> None:
    """Fetch each reference with ``get`` and print them as ``docker inspect`` does."""
    template: Template | None = None
    if fmt and fmt != "json":
        try:
            template = Template(fmt)
        except TemplateError as exc:
            raise CLIError(f"template parsing error: {exc}", 64) from exc
    raws: list[bytes] = []
    rendered: list[str] = []
    errors: list[BaseException] = []
    for ref in refs:
        try:
            raw = await get(ref)
        except (errdefs.PymobyError, CLIError) as exc:
            errors.append(exc)
            continue
        if template is None:
            raws.append(raw.strip())
            continue
        data = decode(raw)
        try:
            rendered.append(template.execute(as_template_data(data)) + "\n")
        except TemplateError:
            # As Docker: when the template does not fit the typed object, run it on the raw JSON.
            try:
                rendered.append(template.execute(as_go_maps(data), missing_key_error=True) + "\n")
            except TemplateError as exc:
                errors.append(CLIError(f"template parsing error: {exc}"))
    if template is not None:
        session.out.write("".join(rendered) or "\n")
    elif not raws:
        session.out.write("[]\n")
    else:
        joined = b"[" + b",".join(raws) + b"]"
        text = go_indent(joined, "") if fmt == "json" else go_indent(joined)
        if fmt == "json":
            text = text.replace("\n", "").replace(": ", ":")
        session.out.write(text + "\n")
    if errors:
        raise CLIError("\n".join(describe(e) for e in errors))


def _getter(engine: Engine, kind: str, size: bool = False, verbose: bool = False) -> Getter:
    async def get(ref: str) -> bytes:
        if kind == "container":
            path, query = f"/containers/{ref}/json", {"size": size or None}
        elif kind == "image":
            path, query = f"/images/{ref}/json", {}
        elif kind == "volume":
            path, query = f"/volumes/{ref}", {}
        else:
            path, query = f"/networks/{ref}", {"verbose": verbose or None}
        _, content = await engine.request("GET", path, query=query)
        return volume_as_docker(content) if kind == "volume" else content

    return get


#: The fields of Docker's ``volume.Volume`` in Go order, each with whether it is ``omitempty``.
_VOLUME_FIELDS = (
    ("ClusterVolume", True), ("CreatedAt", True), ("Driver", False), ("Labels", False), ("Mountpoint", False),
    ("Name", False), ("Options", False), ("Scope", False), ("Status", True), ("UsageData", True),
)  # fmt: skip


def volume_as_docker(raw: bytes) -> bytes:
    """A volume's JSON as the docker CLI prints it: decoded into its Go struct and encoded again.

    Docker's ``volume inspect`` does not keep the daemon's bytes: it marshals
    ``volume.Volume``, so the fields come in struct order, empty ``omitempty``
    fields are dropped and maps have sorted keys.
    """
    data = decode(raw)
    if not isinstance(data, dict):
        return raw
    struct: dict[str, object] = {}
    for name, omitempty in _VOLUME_FIELDS:
        value = data.get(name)
        if omitempty and not value:
            continue
        struct[name] = GoMap(value) if isinstance(value, dict) and name in ("Labels", "Options", "Status") else value
    return go_json(struct, escape_html=True).encode()


_FORMAT_HELP = "Format output using a custom template"


@command(root, name="inspect", use="inspect [OPTIONS] NAME|ID [NAME|ID...]",
         help="Return low-level information on pymoby objects", min_args=1, blocking=True)  # fmt: skip
@click.argument("refs", nargs=-1)
@click.option("-f", "--format", "fmt", default="", help=_FORMAT_HELP)
@click.option("-s", "--size", is_flag=True, help="Display total file sizes if the type is container")
@click.option("--type", "kind", default="", help="Only inspect objects of the given type")
async def inspect(session: Session, refs: tuple[str, ...], fmt: str, size: bool, kind: str) -> None:
    """Return low-level information on objects."""
    kinds = ("container", "image", "network", "volume")
    known = ("config", "container", "image", "network", "node", "plugin", "secret", "service", "task", "volume")
    if kind and kind not in known:
        raise CLIError(f'unknown type: "{kind}": must be one of ' + ", ".join(f'"{k}"' for k in known))
    engine = session.engine()
    if kind:
        if kind not in kinds:
            raise CLIError(f'"{kind}" is not supported by pymoby')
        await inspect_objects(session, refs, fmt, _getter(engine, kind, size))
        return

    async def autodetect(ref: str) -> bytes:
        for candidate in kinds:
            try:
                return await _getter(engine, candidate, size)(ref)
            except errdefs.NotFound:
                continue
            except errdefs.InvalidParameter:
                continue
        raise CLIError(f"Error: No such object: {ref}")

    await inspect_objects(session, refs, fmt, autodetect)


@command(container, name="inspect", use="inspect [OPTIONS] CONTAINER [CONTAINER...]",
         help="Display detailed information on one or more containers", min_args=1, blocking=True)  # fmt: skip
@click.argument("refs", nargs=-1)
@click.option("-f", "--format", "fmt", default="", help=_FORMAT_HELP)
@click.option("-s", "--size", is_flag=True, help="Display total file sizes")
async def container_inspect(session: Session, refs: tuple[str, ...], fmt: str, size: bool) -> None:
    """Display detailed information on one or more containers."""
    await inspect_objects(session, refs, fmt, _getter(session.engine(), "container", size))


@command(image, name="inspect", use="inspect [OPTIONS] IMAGE [IMAGE...]",
         help="Display detailed information on one or more images", min_args=1, blocking=True)  # fmt: skip
@click.argument("refs", nargs=-1)
@click.option("-f", "--format", "fmt", default="", help=_FORMAT_HELP)
async def image_inspect(session: Session, refs: tuple[str, ...], fmt: str) -> None:
    """Display detailed information on one or more images."""
    await inspect_objects(session, refs, fmt, _getter(session.engine(), "image"))


@command(volume, name="inspect", use="inspect [OPTIONS] VOLUME [VOLUME...]",
         help="Display detailed information on one or more volumes", min_args=1, blocking=True)  # fmt: skip
@click.argument("refs", nargs=-1)
@click.option("-f", "--format", "fmt", default="", help=_FORMAT_HELP)
async def volume_inspect(session: Session, refs: tuple[str, ...], fmt: str) -> None:
    """Display detailed information on one or more volumes."""
    await inspect_objects(session, refs, fmt, _getter(session.engine(), "volume"))


@command(network, name="inspect", use="inspect [OPTIONS] NETWORK [NETWORK...]",
         help="Display detailed information on one or more networks", min_args=1, blocking=True)  # fmt: skip
@click.argument("refs", nargs=-1)
@click.option("-f", "--format", "fmt", default="", help=_FORMAT_HELP)
@click.option("-v", "--verbose", is_flag=True, help="Verbose output for diagnostics")
async def network_inspect(session: Session, refs: tuple[str, ...], fmt: str, verbose: bool) -> None:
    """Display detailed information on one or more networks."""
    await inspect_objects(session, refs, fmt, _getter(session.engine(), "network", verbose=verbose))
