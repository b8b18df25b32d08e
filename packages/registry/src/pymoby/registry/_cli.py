"""The ``pymoby-registry`` command line: inspect, copy, pull and push images like crane or skopeo.

Exit codes (documented in the README): 0 success, 1 any other error,
2 invalid usage or input, 3 not found, 4 authentication or authorisation
refused, 5 registry unreachable (network, TLS, timeout, 5xx),
6 content that does not match its digest.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import anyio
import click

from pymoby import errdefs

from ._auth import Credentials
from ._client import RegistryClient, as_reference, login_domain
from ._dockerconfig import DockerConfig, default_config_path
from ._image import copy_image, pull_to_layout, push_from_layout
from ._manifest import Descriptor
from ._options import DEFAULT_CERTS_DIR, RegistryOptions
from ._platform import Platform
from ._progress import ProgressView

__all__ = ["EXIT_CODES", "cli", "main"]

T = TypeVar("T")

#: errdefs kind -> exit code.
EXIT_CODES: dict[type[errdefs.PymobyError], int] = {
    errdefs.InvalidParameter: 2,
    errdefs.NotFound: 3,
    errdefs.Unauthorized: 4,
    errdefs.Forbidden: 4,
    errdefs.Unavailable: 5,
    errdefs.DeadlineExceeded: 5,
    errdefs.DataLoss: 6,
}


@dataclass
class State:
    """What the global options set, passed to every command."""

    options: RegistryOptions
    as_json: bool
    platform: Platform | None
    quiet: bool


def _fail(state: State | None, exc: BaseException) -> NoReturn:
    kind = errdefs.kind_of(exc)
    code = EXIT_CODES.get(kind, 1) if kind is not None else 1
    if state is not None and state.as_json:
        click.echo(
            json.dumps({"error": str(exc), "kind": kind.__name__ if kind else None, "exit_code": code}), err=True
        )
    else:
        click.echo(f"pymoby-registry: error: {exc}", err=True)
    sys.exit(code)


def _run(state: State, action: Callable[[RegistryClient], Awaitable[T]]) -> T:
    async def main() -> T:
        async with RegistryClient(state.options) as client:
            return await action(client)

    try:
        return anyio.run(main, backend="asyncio")
    except errdefs.PymobyError as exc:
        _fail(state, exc)
    except (OSError, ValueError) as exc:
        _fail(state, exc)


def _emit(state: State, text: str, data: Any) -> None:
    click.echo(json.dumps(data, indent=2) if state.as_json else text)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--insecure-registry", "insecure", multiple=True, metavar="HOST|CIDR", help="Allow HTTP / unverified TLS."
)
@click.option("--registry-mirror", "mirrors", multiple=True, metavar="URL", help="Mirror tried first for docker.io.")
@click.option(
    "--certs-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=DEFAULT_CERTS_DIR,
    show_default=True,
    help="certs.d directory: HOST[:PORT]/{ca.crt,client.cert,client.key}.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Docker config.json for credentials [default: $DOCKER_CONFIG/config.json or ~/.docker/config.json].",
)
@click.option("--platform", default=None, metavar="OS/ARCH[/VARIANT]", help="Platform to select from an index.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars.")
@click.pass_context
def cli(
    ctx: click.Context,
    insecure: tuple[str, ...],
    mirrors: tuple[str, ...],
    certs_dir: Path,
    config_path: Path | None,
    platform: str | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Talk to OCI / Docker registries: inspect, copy, pull and push images."""
    try:
        wanted = Platform.parse(platform) if platform else None
    except errdefs.InvalidParameter as exc:
        _fail(None, exc)
    options = RegistryOptions(
        mirrors=mirrors,
        insecure_registries=insecure,
        certs_dir=certs_dir,
        config_path=config_path or default_config_path(),
    )
    ctx.obj = State(options, as_json, wanted, quiet)


@cli.command()
@click.argument("ref")
@click.pass_obj
def manifest(state: State, ref: str) -> None:
    """Print the manifest (or index) of REF as the registry serves it."""
    result = _run(state, lambda c: c.get_manifest(ref, platform=state.platform))
    data = {"reference": str(as_reference(ref)), "digest": result.digest, "mediaType": result.media_type}
    if state.as_json:
        click.echo(json.dumps(data | {"manifest": result.data}, indent=2))
    else:
        click.echo(result.raw.decode())


@cli.command()
@click.argument("ref")
@click.pass_obj
def config(state: State, ref: str) -> None:
    """Print the image configuration of REF (for --platform, this machine's by default)."""
    raw = _run(state, lambda c: c.get_config(ref, platform=state.platform))
    click.echo(json.dumps(json.loads(raw), indent=2) if state.as_json else raw.decode())


@cli.command()
@click.argument("ref")
@click.pass_obj
def digest(state: State, ref: str) -> None:
    """Print the digest REF points at."""
    descriptor = _run(state, lambda c: c.resolve(ref))
    _emit(state, descriptor.digest, descriptor.to_json())


async def _collect(iterator: Any) -> list[str]:
    return [item async for item in iterator]


@cli.command()
@click.argument("repository")
@click.option("--page-size", type=int, default=None, help="Ask the registry for pages of this size.")
@click.pass_obj
def tags(state: State, repository: str, page_size: int | None) -> None:
    """List the tags of REPOSITORY."""
    found = _run(state, lambda c: _collect(c.tags(repository, page_size=page_size)))
    _emit(state, "\n".join(found), found)


@cli.command()
@click.argument("registry")
@click.option("--page-size", type=int, default=None, help="Ask the registry for pages of this size.")
@click.pass_obj
def catalog(state: State, registry: str, page_size: int | None) -> None:
    """List the repositories of REGISTRY (host[:port])."""
    found = _run(state, lambda c: _collect(c.catalog(registry, page_size=page_size)))
    _emit(state, "\n".join(found), found)


def _view(state: State) -> ProgressView:
    return ProgressView(enabled=not (state.quiet or state.as_json))


_WORDS = {"exists": "Already exists", "mounted": "Mounted", "uploaded": "Pushed", "downloaded": "Downloaded"}


def _on_blob(view: ProgressView, log: list[dict[str, str]]) -> Callable[[Descriptor, str], None]:
    def on_blob(blob: Descriptor, how: str) -> None:
        log.append({"digest": blob.digest, "result": how})
        view.status(blob.digest, _WORDS.get(how, how))

    return on_blob


@cli.command()
@click.argument("source")
@click.argument("destination")
@click.option("--all-platforms/--one-platform", default=True, show_default=True, help="Copy the whole index.")
@click.pass_obj
def copy(state: State, source: str, destination: str, all_platforms: bool) -> None:
    """Copy an image from SOURCE to DESTINATION (mounting blobs within a registry)."""
    view, log = _view(state), list[dict[str, str]]()
    pushed = _run(
        state,
        lambda c: copy_image(
            c,
            source,
            destination,
            platform=state.platform,
            all_platforms=all_platforms and state.platform is None,
            progress=view.update,
            on_blob=_on_blob(view, log),
        ),
    )
    view.close()
    _emit(state, pushed, {"digest": pushed, "blobs": log})


@cli.command()
@click.argument("ref")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.option("--all-platforms", is_flag=True, help="Keep the whole index, not one platform.")
@click.pass_obj
def pull(state: State, ref: str, directory: Path, all_platforms: bool) -> None:
    """Pull REF into DIRECTORY as an OCI image layout."""
    view, log = _view(state), list[dict[str, str]]()
    descriptor = _run(
        state,
        lambda c: pull_to_layout(
            c,
            ref,
            directory,
            platform=state.platform,
            all_platforms=all_platforms,
            progress=view.update,
            on_blob=_on_blob(view, log),
        ),
    )
    view.close()
    _emit(state, descriptor.digest, descriptor.to_json() | {"blobs": log})


@cli.command()
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.argument("ref")
@click.option("--name", default="", help="The index.json entry to push (by its ref.name annotation).")
@click.pass_obj
def push(state: State, directory: Path, ref: str, name: str) -> None:
    """Push the image of the OCI layout DIRECTORY to REF."""
    view, log = _view(state), list[dict[str, str]]()
    pushed = _run(
        state,
        lambda c: push_from_layout(c, directory, ref, name=name, progress=view.update, on_blob=_on_blob(view, log)),
    )
    view.close()
    _emit(state, pushed, {"digest": pushed, "blobs": log})


@cli.command()
@click.argument("ref")
@click.pass_obj
def delete(state: State, ref: str) -> None:
    """Delete the manifest REF points at."""
    deleted = _run(state, lambda c: c.delete_manifest(ref))
    _emit(state, f"Deleted: {deleted}", {"deleted": deleted})


@cli.command()
@click.argument("server", required=False)
@click.option("-u", "--username", default="", help="Username.")
@click.option("-p", "--password", default="", help="Password.")
@click.option("--password-stdin", is_flag=True, help="Take the password from stdin.")
@click.pass_obj
def login(state: State, server: str | None, username: str, password: str, password_stdin: bool) -> None:
    """Log in to SERVER (Docker Hub by default) and store the credentials in config.json."""
    if password_stdin:
        password = sys.stdin.read().rstrip("\r\n")
    if not username:
        username = click.prompt("Username")
    if not password:
        password = click.prompt("Password", hide_input=True)
    domain = login_domain(server or "")
    credentials = Credentials(username, password)

    async def action(client: RegistryClient) -> str:
        identity = await client.login(domain, credentials)
        assert state.options.config_path is not None
        stored = Credentials(username, password, identity_token=identity)
        await DockerConfig(state.options.config_path).store(domain, stored)
        return identity

    _run(state, action)
    _emit(state, "Login Succeeded", {"status": "Login Succeeded", "server": domain})


@cli.command()
@click.argument("server", required=False)
@click.pass_obj
def logout(state: State, server: str | None) -> None:
    """Remove the credentials of SERVER (Docker Hub by default) from config.json."""
    domain = login_domain(server or "")

    async def action(_: RegistryClient) -> bool:
        assert state.options.config_path is not None
        return await DockerConfig(state.options.config_path).erase(domain)

    found = _run(state, action)
    text = f"Removing login credentials for {domain}" if found else f"Not logged in to {domain}"
    _emit(state, text, {"server": domain, "removed": found})


def main() -> None:
    """The ``pymoby-registry`` entry point."""
    cli(prog_name="pymoby-registry")
