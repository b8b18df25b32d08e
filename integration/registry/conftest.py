"""Real registries (Debian docker-registry) for the registry client's end-to-end tests.

Each pytest-xdist worker starts its own registries on free ports with
storage under its own temporary directory: open, htpasswd, token auth (with
the test token server) and TLS with client certificates.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from support.registry import (
    LayoutWriter,
    RegistryServer,
    TLSFiles,
    TokenServer,
    make_tls,
    start_registry,
)

from pymoby.registry import RegistryOptions

USERS = {"alice": "wonderland", "bob": "builder"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def open_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    """A registry without authentication."""
    with start_registry(tmp_path_factory.mktemp("registry-open")) as server:
        yield server


@pytest.fixture(scope="session")
def basic_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    """A registry with htpasswd (bcrypt) Basic auth for USERS."""
    with start_registry(tmp_path_factory.mktemp("registry-basic"), htpasswd=USERS) as server:
        yield server


@pytest.fixture(scope="session")
def token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenServer]:
    """The test token service: USERS get what they ask for, anonymous users nothing."""
    with TokenServer(tmp_path_factory.mktemp("token-server"), users=dict(USERS)).start() as server:
        yield server


@pytest.fixture(scope="session")
def token_registry(tmp_path_factory: pytest.TempPathFactory, token_server: TokenServer) -> Iterator[RegistryServer]:
    """A registry with token auth through ``token_server``."""
    with start_registry(tmp_path_factory.mktemp("registry-token"), token_server=token_server) as server:
        yield server


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    """A CA, a server certificate for localhost/127.0.0.1 and a client certificate."""
    return make_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def tls_registry(tmp_path_factory: pytest.TempPathFactory, tls_files: TLSFiles) -> Iterator[RegistryServer]:
    """A registry over HTTPS that requires a client certificate of the test CA."""
    with start_registry(tmp_path_factory.mktemp("registry-tls"), tls=tls_files, require_client_cert=True) as server:
        yield server


@pytest.fixture(scope="session")
def images(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """An OCI layout with ``v1`` (three layers) and ``multi`` (an index of three platforms)."""
    root = tmp_path_factory.mktemp("images") / "layout"
    writer = LayoutWriter(root)
    single = writer.image([150_000, 1_500_000, 20_000], seed=1)
    writer.tag(single, "v1")
    platforms = [
        writer.image([30_000, 40_000], seed=2, platform=("linux", "amd64", "")),
        writer.image([30_000, 50_000], seed=3, platform=("linux", "arm64", "v8")),
        writer.image([30_000, 60_000], seed=4, platform=("linux", "arm", "v7")),
    ]
    multi = writer.index(platforms)
    writer.tag(multi, "multi")
    return {"layout": root, "v1": single, "multi": multi, "platforms": platforms}


@pytest.fixture
def options() -> RegistryOptions:
    """Client options for the local registries: fast retries, no system certs.d."""
    return RegistryOptions(certs_dir=None, retries=2, backoff=0.01, max_backoff=0.05, config_path=None)
