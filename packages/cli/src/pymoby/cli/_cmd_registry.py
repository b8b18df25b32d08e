"""``login`` and ``logout``: registry credentials in ``config.json`` (or its credential helper).

The daemon checks the credentials (``POST /auth``); what is stored is what
the docker CLI stores, so either CLI can use a login made by the other.
"""

from __future__ import annotations

import getpass

import anyio
import click

from pymoby import errdefs

from ._clickext import command
from ._dockerconfig import INDEX_SERVER, AuthEntry, convert_to_hostname
from ._errors import CLIError
from ._session import Session
from ._tree import root

__all__: list[str] = []

_UNENCRYPTED = """
WARNING! Your credentials are stored unencrypted in '{path}'.
Configure a credential helper to remove this warning. See
https://docs.docker.com/go/credential-store/
"""


async def _prompt(session: Session, message: str, secret: bool) -> str:
    if secret:
        return await anyio.to_thread.run_sync(getpass.getpass, message)
    session.out.write(message)
    line = await anyio.to_thread.run_sync(session.stdin.binary.readline)
    return line.decode(errors="replace").strip()


@command(root, name="login", use="login [OPTIONS] [SERVER]", help="Authenticate to a registry", max_args=1)
@click.argument("server", required=False, default="")
@click.option("-p", "--password", default="", help="Password or Personal Access Token (PAT)")
@click.option("--password-stdin", is_flag=True, help="Take the Password or Personal Access Token (PAT) from stdin")
@click.option("-u", "--username", default="", help="Username")
async def login(session: Session, server: str, password: str, password_stdin: bool, username: str) -> None:
    """Authenticate to a registry."""
    changed = session.changed
    if password_stdin:
        if "password" in changed:
            raise CLIError("conflicting options: cannot specify both --password and --password-stdin")
        if "username" not in changed:
            raise CLIError("the --password-stdin option requires --username to be set")
    if "username" in changed and not username:
        raise CLIError("username is empty")
    if "password" in changed and not password:
        raise CLIError("password is empty")
    if password:
        session.err.write("WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n")
    if password_stdin:
        data = await anyio.to_thread.run_sync(session.stdin.binary.read)
        password = data.decode(errors="replace").removesuffix("\n").removesuffix("\r")
    address = server if server and server != "docker.io" else INDEX_SERVER
    key = address if address == INDEX_SERVER else convert_to_hostname(address)
    engine = session.engine()
    entry: AuthEntry | None = None
    if not username and not password:
        stored = await session.config.get_auth(key)
        if stored.username and (stored.password or stored.identity_token):
            session.err.write(f"Authenticating with existing credentials... [Username: {stored.username}]\n")
            entry = stored
    if entry is None:
        if (not username or not password) and not session.stdin.isatty():
            raise CLIError("Error: Cannot perform an interactive login from a non TTY device")
        if not username:
            username = await _prompt(session, "Username: ", secret=False)
            if not username:
                raise CLIError("Error: Non-null Username Required")
        if not password:
            password = await _prompt(session, "Password: ", secret=True)
            if not password:
                raise CLIError("Error: Password Required")
        entry = AuthEntry(username.strip(), password, key)
    try:
        answer = await engine.login(entry.to_api())
    except errdefs.PymobyError:
        raise
    if answer.get("IdentityToken"):
        entry.password = ""
        entry.identity_token = str(answer["IdentityToken"])
    try:
        plain = await session.config.store_auth(entry)
    except OSError as exc:
        raise CLIError(f"Error saving credentials: {exc}") from exc
    if plain:
        session.err.write(_UNENCRYPTED.format(path=session.config.path) + "\n")
    session.out.write(str(answer.get("Status") or "Login Succeeded") + "\n")


@command(root, name="logout", use="logout [SERVER]", help="Log out from a registry", max_args=1)
@click.argument("server", required=False, default="")
async def logout(session: Session, server: str) -> None:
    """Log out from a registry."""
    default = not server
    address = server or INDEX_SERVER
    keys = [address]
    hostname = address
    if not default:
        hostname = convert_to_hostname(address)
        keys += [hostname, "http://" + hostname, "https://" + hostname]
    session.out.write(f"Removing login credentials for {hostname}\n")
    errors: dict[str, str] = {}
    for key in dict.fromkeys(keys):
        try:
            await session.config.erase_auth(key)
        except CLIError as exc:
            errors[key] = str(exc)
    if len(errors) == len(dict.fromkeys(keys)):
        found_any = any("credentials not found" not in e for e in errors.values())
        if found_any:
            session.err.write("WARNING: could not erase credentials:\n")
            for key, error in errors.items():
                session.err.write(f"{key}: {error}\n")
