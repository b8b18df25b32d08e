"""The client's ``config.json``: credentials, detach keys, default formats, proxies.

The same file the docker CLI keeps (``$DOCKER_CONFIG/config.json``, else
``~/.docker/config.json``, or ``--config DIR``), so a ``docker login`` is
honoured by ``pymoby`` and the other way round. Credentials live in
``auths`` (``auth`` is base64 of ``user:password``; ``identitytoken``), or
in a credential helper (``credsStore`` for all registries, ``credHelpers``
per registry): the program ``docker-credential-NAME`` speaking ``get``,
``store`` and ``erase`` over stdin/stdout. Docker Hub's key is
``https://index.docker.io/v1/``.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pymoby import errdefs

from ._errors import CLIError

__all__ = [
    "INDEX_SERVER",
    "AuthEntry",
    "ConfigFile",
    "convert_to_hostname",
    "default_config_dir",
    "encode_auth_header",
    "registry_key_for_image",
]

INDEX_SERVER = "https://index.docker.io/v1/"
_TOKEN_USERNAME = "<token>"


def default_config_dir() -> Path:
    """``$DOCKER_CONFIG``, else ``~/.docker``."""
    base = os.environ.get("DOCKER_CONFIG")
    return Path(base) if base else Path.home() / ".docker"


def convert_to_hostname(key: str) -> str:
    """The registry host of a config key (``https://host/v1/`` -> ``host``)."""
    stripped = key.removeprefix("http://").removeprefix("https://")
    return stripped.split("/", 1)[0]


def registry_key_for_image(image: str) -> str:
    """The config key of the registry an image lives on (Docker Hub's legacy URL for ``docker.io``)."""
    from pymoby import reference

    try:
        ref = reference.parse_normalized_named(image)
    except errdefs.InvalidParameter:
        return INDEX_SERVER
    return INDEX_SERVER if ref.domain in ("docker.io", "index.docker.io") else ref.domain


@dataclass(slots=True)
class AuthEntry:
    """Credentials for one registry, in the shape of the Engine API's ``AuthConfig``."""

    username: str = ""
    password: str = ""
    server_address: str = ""
    identity_token: str = ""
    email: str = ""

    def to_api(self) -> dict[str, str]:
        """The ``AuthConfig`` JSON object (empty fields left out)."""
        data = {
            "username": self.username,
            "password": self.password,
            "serveraddress": self.server_address,
            "identitytoken": self.identity_token,
            "email": self.email,
        }
        return {k: v for k, v in data.items() if v}


def encode_auth_header(entry: AuthEntry | None) -> str:
    """The ``X-Registry-Auth`` value: URL-safe base64 of the JSON ``AuthConfig`` (``e30=`` for none)."""
    payload = json.dumps(entry.to_api() if entry else {}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(payload).decode()


class ConfigFile:
    """One ``config.json``. A missing file is an empty configuration."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / "config.json"
        try:
            text = self.path.read_text() if self.path.exists() else ""
            data: Any = json.loads(text) if text.strip() else {}
        except (OSError, ValueError) as exc:
            raise CLIError(f"loading config file: {self.path}: {exc}") from exc
        self.data: dict[str, Any] = data if isinstance(data, dict) else {}

    def _str(self, key: str) -> str:
        value = self.data.get(key)
        return value if isinstance(value, str) else ""

    @property
    def detach_keys(self) -> str:
        """``detachKeys``: the default detach sequence for attach, run and exec."""
        return self._str("detachKeys")

    def format_for(self, key: str) -> str:
        """A default format: ``psFormat``, ``imagesFormat``, ``volumesFormat``, ``networksFormat``, ``statsFormat``."""
        return self._str(key)

    def proxy_env(self, host: str) -> dict[str, str]:
        """``proxies`` for ``host`` (else ``default``) as the environment ``run`` adds (both cases)."""
        proxies = self.data.get("proxies") or {}
        config = proxies.get(host) if isinstance(proxies.get(host), dict) else proxies.get("default")
        if not isinstance(config, dict):
            return {}
        names = {"HTTP_PROXY": "httpProxy", "HTTPS_PROXY": "httpsProxy", "NO_PROXY": "noProxy"}
        names |= {"FTP_PROXY": "ftpProxy", "ALL_PROXY": "allProxy"}
        env: dict[str, str] = {}
        for variable, key in names.items():
            value = config.get(key)
            if isinstance(value, str) and value:
                env[variable] = value
                env[variable.lower()] = value
        return env

    # -- credentials ----------------------------------------------------------------
    def _helper_for(self, key: str) -> str:
        helpers = self.data.get("credHelpers") or {}
        hostname = convert_to_hostname(key)
        for candidate in (key, hostname):
            if isinstance(helpers.get(candidate), str):
                return str(helpers[candidate])
        return self._str("credsStore")

    def _entry(self, key: str) -> dict[str, Any] | None:
        auths = self.data.get("auths") or {}
        if isinstance(auths.get(key), dict):
            return dict(auths[key])
        hostname = convert_to_hostname(key)
        for other, entry in auths.items():
            if convert_to_hostname(other) == hostname and isinstance(entry, dict):
                return dict(entry)
        return None

    async def get_auth(self, key: str) -> AuthEntry:
        """The stored credentials for registry ``key`` (empty when there are none).

        Raises :class:`CLIError` when a credential helper fails.
        """
        helper = self._helper_for(key)
        if helper:
            return await _helper_get(helper, key)
        entry = self._entry(key)
        if entry is None:
            return AuthEntry(server_address=key)
        username = str(entry.get("username") or "")
        password = str(entry.get("password") or "")
        if entry.get("auth"):
            try:
                decoded = base64.b64decode(str(entry["auth"])).decode()
            except (binascii.Error, UnicodeDecodeError) as exc:
                raise CLIError(f"invalid auth configuration file: {self.path}") from exc
            username, sep, password = decoded.partition(":")
            if not sep:
                raise CLIError("invalid auth configuration file")
        return AuthEntry(username, password.strip("\x00"), key, str(entry.get("identitytoken") or ""),
                         str(entry.get("email") or ""))  # fmt: skip

    async def store_auth(self, entry: AuthEntry) -> bool:
        """Save credentials (in a helper if configured); whether a password went to the file unencrypted."""
        key = entry.server_address
        helper = self._helper_for(key)
        auths = self.data.setdefault("auths", {})
        if helper:
            username, secret = entry.username, entry.password
            if entry.identity_token:
                username, secret = _TOKEN_USERNAME, entry.identity_token
            payload = json.dumps({"ServerURL": key, "Username": username, "Secret": secret})
            await _run_helper(helper, "store", payload)
            auths[key] = {}
            plain = False
        else:
            stored: dict[str, str] = {"auth": base64.b64encode(f"{entry.username}:{entry.password}".encode()).decode()}
            if entry.identity_token:
                stored["identitytoken"] = entry.identity_token
            auths[key] = stored
            plain = bool(entry.password)
        await _save(self)
        return plain

    async def erase_auth(self, key: str) -> None:
        """Remove the credentials of ``key``; raises :class:`CLIError` when there were none to erase."""
        auths = self.data.get("auths") or {}
        helper = self._helper_for(key)
        found = key in auths
        auths.pop(key, None)
        if helper:
            await _run_helper(helper, "erase", key)
            found = True
        if not found:
            raise CLIError(f"credentials not found for {key}")
        await _save(self)

    def save(self) -> None:
        """Write the file atomically (mode 0600), as the docker CLI does."""
        self.directory.mkdir(parents=True, exist_ok=True)
        import tempfile

        fd, tmp = tempfile.mkstemp(prefix=".config.json-", dir=self.directory)
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


async def _save(config: ConfigFile) -> None:
    import anyio  # commands that write config.json (login, logout) run on the event loop

    await anyio.to_thread.run_sync(config.save)


async def _run_helper(helper: str, action: str, stdin: str) -> str:
    import subprocess

    import anyio

    program = f"docker-credential-{helper}"

    # In a thread, not anyio.run_process: a helper that exits without reading its input must not
    # become a broken pipe (Go's os/exec ignores EPIPE on stdin too); its exit status tells.
    def run() -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([program, action], input=stdin.encode(), capture_output=True, check=False)

    try:
        result = await anyio.to_thread.run_sync(run)
    except FileNotFoundError as exc:
        raise CLIError(f"error getting credentials - err: exec: \"{program}\": executable file not found in $PATH, "
                       "out: ``") from exc  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        raise CLIError(f"error {action} credentials - err: {exc}") from exc
    if result.returncode != 0:
        message = (result.stdout or result.stderr).decode(errors="replace").strip()
        if action == "get" and "credentials not found" in message:
            return ""
        raise CLIError(f"error {action} credentials - err: exit status {result.returncode}, out: `{message}`")
    return result.stdout.decode()


async def _helper_get(helper: str, key: str) -> AuthEntry:
    out = await _run_helper(helper, "get", key)
    if not out.strip():
        return AuthEntry(server_address=key)
    try:
        data = json.loads(out)
    except ValueError as exc:
        raise CLIError(f"credential helper docker-credential-{helper} answered invalid JSON") from exc
    username, secret = str(data.get("Username") or ""), str(data.get("Secret") or "")
    if username == _TOKEN_USERNAME:
        return AuthEntry(server_address=key, identity_token=secret)
    return AuthEntry(username, secret, key)
