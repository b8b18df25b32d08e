"""Basic auth (htpasswd), token auth (signed JWTs), config.json, credential helpers, login."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from support.registry import RegistryServer, TokenServer

from pymoby import errdefs
from pymoby.registry import (
    Credentials,
    RegistryClient,
    RegistryOptions,
    Unauthorized,
    copy_image,
    pull_to_layout,
    push_from_layout,
)

from .conftest import USERS

pytestmark = pytest.mark.anyio


def _with(options: RegistryOptions, **changes: Any) -> RegistryOptions:
    from dataclasses import replace

    return replace(options, **changes)


async def test_basic_auth_push_and_pull_with_the_right_password(
    basic_registry: RegistryServer, images: dict[str, Any], options: RegistryOptions, tmp_path: Path
) -> None:
    ref = f"{basic_registry.host}/basic/app:v1"
    creds = {basic_registry.host: Credentials("alice", USERS["alice"])}
    async with RegistryClient(_with(options, credentials=creds)) as client:
        assert await push_from_layout(client, images["layout"], ref, name="v1") == images["v1"]["digest"]
        assert (await pull_to_layout(client, ref, tmp_path / "out")).digest == images["v1"]["digest"]


@pytest.mark.parametrize("credentials", [Credentials("alice", "wrong"), Credentials("mallory", "x"), Credentials()])
async def test_basic_auth_refuses_wrong_or_missing_credentials_with_401(
    basic_registry: RegistryServer, options: RegistryOptions, credentials: Credentials
) -> None:
    async with RegistryClient(_with(options, credentials={basic_registry.host: credentials})) as client:
        with pytest.raises(Unauthorized) as info:
            await client.get_manifest(f"{basic_registry.host}/basic/app:v1")
    assert info.value.status == 401
    assert errdefs.is_unauthorized(info.value)
    assert "authentication required" in str(info.value)


async def test_credentials_come_from_config_json(
    basic_registry: RegistryServer, images: dict[str, Any], options: RegistryOptions, tmp_path: Path
) -> None:
    config = tmp_path / "config.json"
    auth = base64.b64encode(f"bob:{USERS['bob']}".encode()).decode()
    config.write_text(json.dumps({"auths": {f"http://{basic_registry.host}/v1/": {"auth": auth}}}))
    async with RegistryClient(_with(options, config_path=config)) as client:
        await push_from_layout(client, images["layout"], f"{basic_registry.host}/config/app:v1", name="v1")


async def test_credentials_come_from_a_credential_helper(
    basic_registry: RegistryServer,
    images: dict[str, Any],
    options: RegistryOptions,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    helper = bin_dir / "docker-credential-pymobytest"
    helper.write_text(
        "#!/bin/sh\n"
        "read server\n"
        f'echo "$1 $server" >> {tmp_path}/helper.log\n'
        f'[ "$server" = "{basic_registry.host}" ] || {{ echo "credentials not found in native keychain"; exit 1; }}\n'
        f'echo \'{{"ServerURL":"{basic_registry.host}","Username":"alice","Secret":"{USERS["alice"]}"}}\'\n'
    )
    helper.chmod(helper.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"credsStore": "pymobytest"}))
    async with RegistryClient(_with(options, config_path=config)) as client:
        await push_from_layout(client, images["layout"], f"{basic_registry.host}/helper/app:v1", name="v1")
    assert (tmp_path / "helper.log").read_text().split() == ["get", basic_registry.host]


async def test_token_auth_with_credentials_and_a_cached_token(
    token_registry: RegistryServer,
    token_server: TokenServer,
    images: dict[str, Any],
    options: RegistryOptions,
    tmp_path: Path,
) -> None:
    ref = f"{token_registry.host}/token/app:v1"
    creds = {token_registry.host: Credentials("alice", USERS["alice"])}
    token_server.requests.clear()
    async with RegistryClient(_with(options, credentials=creds)) as client:
        await push_from_layout(client, images["layout"], ref, name="v1")
        for _ in range(5):
            await client.get_manifest(ref)
        await pull_to_layout(client, ref, tmp_path / "out")
    pulls = [r for r in token_server.requests if r.scopes == ["repository:token/app:pull"]]
    pushes = [r for r in token_server.requests if r.scopes == ["repository:token/app:pull,push"]]
    assert len(pulls) == 1, token_server.requests
    assert len(pushes) == 1, token_server.requests
    assert {r.account for r in token_server.requests} == {"alice"}


async def test_token_auth_refuses_anonymous_pushes_and_wrong_passwords(
    token_registry: RegistryServer, token_server: TokenServer, images: dict[str, Any], options: RegistryOptions
) -> None:
    ref = f"{token_registry.host}/token/denied:v1"
    async with RegistryClient(options) as client:
        with pytest.raises(errdefs.PymobyError) as anonymous:
            await push_from_layout(client, images["layout"], ref, name="v1")
    assert errdefs.is_unauthorized(anonymous.value)
    wrong = {token_registry.host: Credentials("alice", "not-her-password")}
    async with RegistryClient(_with(options, credentials=wrong)) as client:
        with pytest.raises(Unauthorized, match="incorrect username or password") as info:
            await client.get_manifest(ref)
    assert info.value.status == 401


async def test_login_returns_an_identity_token_that_later_authenticates(
    token_registry: RegistryServer, token_server: TokenServer, images: dict[str, Any], options: RegistryOptions
) -> None:
    async with RegistryClient(options) as client:
        identity = await client.login(token_registry.host, Credentials("bob", USERS["bob"]))
        with pytest.raises(Unauthorized):
            await client.login(token_registry.host, Credentials("bob", "nope"))
    assert identity
    token_server.requests.clear()
    creds = {token_registry.host: Credentials(identity_token=identity)}
    async with RegistryClient(_with(options, credentials=creds)) as client:
        await push_from_layout(client, images["layout"], f"{token_registry.host}/identity/app:v1", name="v1")
    assert {(r.method, r.account) for r in token_server.requests} == {("POST", "bob")}


async def test_registry_token_from_x_registry_auth_is_sent_as_is(
    token_registry: RegistryServer, token_server: TokenServer, images: dict[str, Any], options: RegistryOptions
) -> None:
    async with RegistryClient(_with(options, credentials={token_registry.host: Credentials("bob", USERS["bob"])})) as c:
        await push_from_layout(c, images["layout"], f"{token_registry.host}/regtoken/app:v1", name="v1")
    token = await _token_for(token_server, "repository:regtoken/app:pull")
    header = base64.urlsafe_b64encode(json.dumps({"registrytoken": token}).encode()).decode()
    credentials = Credentials.from_registry_auth(header)
    token_server.requests.clear()
    async with RegistryClient(_with(options, credentials={token_registry.host: credentials})) as client:
        manifest = await client.get_manifest(f"{token_registry.host}/regtoken/app:v1")
    assert manifest.digest == images["v1"]["digest"]
    assert token_server.requests == []


async def _token_for(server: TokenServer, scope: str) -> str:
    import httpx

    async with httpx.AsyncClient() as http:
        response = await http.get(
            server.realm, params={"service": "pymoby-test-registry", "scope": scope}, auth=("bob", USERS["bob"])
        )
    return str(response.json()["token"])


async def test_mount_asks_for_pull_on_the_source_repository(
    token_registry: RegistryServer, token_server: TokenServer, images: dict[str, Any], options: RegistryOptions
) -> None:
    creds = {token_registry.host: Credentials("alice", USERS["alice"])}
    log: list[str] = []
    async with RegistryClient(_with(options, credentials=creds)) as client:
        await push_from_layout(client, images["layout"], f"{token_registry.host}/tm/source:v1", name="v1")
        token_server.requests.clear()
        await copy_image(
            client,
            f"{token_registry.host}/tm/source:v1",
            f"{token_registry.host}/tm/target:v1",
            on_blob=lambda d, how: log.append(how),
        )
    assert log == ["mounted"] * 4
    scopes = [sorted(r.scopes) for r in token_server.requests]
    assert ["repository:tm/source:pull", "repository:tm/target:pull,push"] in scopes
