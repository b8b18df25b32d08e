"""Credentials from a Docker ``config.json``, as the docker CLI keeps them.

``auths`` holds ``{"auth": base64("user:password"), "identitytoken": ...}``
per registry; ``credsStore`` names a helper for all registries and
``credHelpers`` one per registry. A helper is the program
``docker-credential-NAME`` speaking the credential helper protocol (``get``,
``store``, ``erase`` over stdin/stdout). Docker Hub's key is
``https://index.docker.io/v1/``.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import anyio

from pymoby import errdefs

from ._auth import Credentials
from ._endpoints import DOCKER_HUB_AUTH_KEY, DOCKER_IO

__all__ = ["CredentialHelperError", "DockerConfig", "auth_key", "convert_to_hostname", "default_config_path"]

_TOKEN_USERNAME = "<token>"


class CredentialHelperError(errdefs.Unavailable):
    """A ``docker-credential-*`` helper failed (not installed, or it reported an error)."""


def default_config_path() -> Path:
    """``$DOCKER_CONFIG/config.json``, else ``~/.docker/config.json``."""
    base = os.environ.get("DOCKER_CONFIG")
    return Path(base) / "config.json" if base else Path.home() / ".docker" / "config.json"


def convert_to_hostname(key: str) -> str:
    """The registry host of a config.json key (``https://host/v1/`` -> ``host``)."""
    stripped = key.removeprefix("http://").removeprefix("https://")
    return stripped.split("/", 1)[0]


def auth_key(domain: str) -> str:
    """The config.json key for a registry domain (Docker Hub's is its legacy URL)."""
    return DOCKER_HUB_AUTH_KEY if domain in (DOCKER_IO, "index.docker.io", "registry-1.docker.io") else domain


def _hostname_of(domain: str) -> str:
    return "index.docker.io" if domain in (DOCKER_IO, "index.docker.io", "registry-1.docker.io") else domain


class DockerConfig:
    """A ``config.json`` and the credentials it leads to. Missing file: no credentials."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            data: Any = json.loads(path.read_text()) if path.exists() else {}
        except (OSError, ValueError) as exc:
            raise errdefs.InvalidParameter(f"invalid Docker config file {path}: {exc}") from exc
        self.data: dict[str, Any] = data if isinstance(data, dict) else {}

    def _helper_for(self, domain: str) -> str:
        helpers = self.data.get("credHelpers") or {}
        for key in (domain, auth_key(domain), _hostname_of(domain)):
            if isinstance(helpers.get(key), str):
                return str(helpers[key])
        return str(self.data.get("credsStore") or "")

    def _auth_entry(self, domain: str) -> dict[str, Any] | None:
        auths = self.data.get("auths") or {}
        key = auth_key(domain)
        if isinstance(auths.get(key), dict):
            return dict(auths[key])
        wanted = _hostname_of(domain)
        for other, entry in auths.items():
            if convert_to_hostname(other) == wanted and isinstance(entry, dict):
                return dict(entry)
        return None

    async def credentials_for(self, domain: str) -> Credentials:
        """The credentials stored for ``domain`` (anonymous when none).

        Raises :class:`CredentialHelperError` when a configured helper fails.
        """
        helper = self._helper_for(domain)
        if helper:
            return await _helper_get(helper, auth_key(domain))
        entry = self._auth_entry(domain)
        if entry is None:
            return Credentials()
        username = str(entry.get("username") or "")
        password = str(entry.get("password") or "")
        if entry.get("auth"):
            try:
                decoded = base64.b64decode(str(entry["auth"])).decode()
            except (binascii.Error, UnicodeDecodeError) as exc:
                raise errdefs.InvalidParameter(f"invalid auth entry for {domain} in {self.path}") from exc
            username, _, password = decoded.partition(":")
        return Credentials(username, password, identity_token=str(entry.get("identitytoken") or ""))

    async def store(self, domain: str, credentials: Credentials) -> None:
        """Save credentials for ``domain``: in its helper if one is configured, else in ``auths``."""
        key = auth_key(domain)
        auths = self.data.setdefault("auths", {})
        helper = self._helper_for(domain)
        if helper:
            username, secret = credentials.username, credentials.password
            if credentials.identity_token:
                username, secret = _TOKEN_USERNAME, credentials.identity_token
            payload = json.dumps({"ServerURL": key, "Username": username, "Secret": secret})
            await _run_helper(helper, "store", payload)
            auths[key] = {}
        else:
            entry: dict[str, str] = {}
            password = "" if credentials.identity_token else credentials.password
            entry["auth"] = base64.b64encode(f"{credentials.username}:{password}".encode()).decode()
            if credentials.identity_token:
                entry["identitytoken"] = credentials.identity_token
            auths[key] = entry
        await anyio.to_thread.run_sync(self._save)

    async def erase(self, domain: str) -> bool:
        """Remove the credentials of ``domain``; whether there were any."""
        key = auth_key(domain)
        helper = self._helper_for(domain)
        auths = self.data.get("auths") or {}
        found = False
        for other in list(auths):
            if other == key or convert_to_hostname(other) == _hostname_of(domain):
                del auths[other]
                found = True
        if helper:
            try:
                await _run_helper(helper, "erase", key)
                found = True
            except CredentialHelperError:
                pass
        await anyio.to_thread.run_sync(self._save)
        return found

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".config.json-", dir=self.path.parent)
        done = False
        try:
            with os.fdopen(fd, "w") as file:
                json.dump(self.data, file, indent="\t")
                file.flush()
                os.fsync(file.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
            done = True
        finally:
            if not done:
                os.unlink(tmp)


async def _run_helper(helper: str, action: str, stdin: str) -> str:
    program = f"docker-credential-{helper}"

    # subprocess.run in a thread, not anyio.run_process: a helper that exits without reading its
    # input (an erase that needs nothing, an early error) must not turn into a broken pipe; its
    # exit status says what happened, as with Go's os/exec, which ignores EPIPE on stdin.
    def run() -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([program, action], input=stdin.encode(), capture_output=True, check=False)

    try:
        result = await anyio.to_thread.run_sync(run)
    except FileNotFoundError as exc:
        raise CredentialHelperError(f"credential helper {program} is not installed") from exc
    except subprocess.SubprocessError as exc:
        raise CredentialHelperError(f"credential helper {program} failed: {exc}") from exc
    if result.returncode != 0:
        message = (result.stdout or result.stderr).decode(errors="replace").strip()
        raise CredentialHelperError(
            f"error {action} credentials - err: exit status {result.returncode}, out: `{message}`"
        )
    return result.stdout.decode()


async def _helper_get(helper: str, server_url: str) -> Credentials:
    try:
        out = await _run_helper(helper, "get", server_url)
    except CredentialHelperError as exc:
        if "credentials not found" in str(exc):
            return Credentials()
        raise
    try:
        data = json.loads(out)
    except ValueError as exc:
        raise CredentialHelperError(f"credential helper docker-credential-{helper} answered invalid JSON") from exc
    username, secret = str(data.get("Username") or ""), str(data.get("Secret") or "")
    if username == _TOKEN_USERNAME:
        return Credentials(identity_token=secret)
    return Credentials(username, secret)
