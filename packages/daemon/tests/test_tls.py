"""TLS with client-certificate verification (--tlsverify)."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Sequence
from pathlib import Path

import anyio
import pytest
import trustme

from pymoby import errdefs
from pymoby.client import AsyncClient, TLSConfig
from pymoby.daemon.server import (
    Request,
    Response,
    Route,
    Server,
    ServerConfig,
    TLSOptions,
    get,
    load_listeners,
    parse_host,
)

pytestmark = pytest.mark.anyio


class Hello:
    def routes(self) -> Sequence[Route]:
        return [get("/_ping", self.get_ping)]

    async def get_ping(self, request: Request) -> Response:
        return Response(200, b"OK", "text/plain", b"Api-Version: 1.45\r\n")


@pytest.fixture
def pki(tmp_path: Path) -> dict[str, str]:
    ca = trustme.CA()
    server = ca.issue_cert("127.0.0.1", "localhost")
    client = ca.issue_cert("client")
    files = {
        "ca": tmp_path / "ca.pem",
        "cert": tmp_path / "server-cert.pem",
        "key": tmp_path / "server-key.pem",
        "client_cert": tmp_path / "cert.pem",
        "client_key": tmp_path / "key.pem",
    }
    ca.cert_pem.write_to_path(files["ca"])
    server.cert_chain_pems[0].write_to_path(files["cert"])
    server.private_key_pem.write_to_path(files["key"])
    client.cert_chain_pems[0].write_to_path(files["client_cert"])
    client.private_key_pem.write_to_path(files["client_key"])
    return {k: str(v) for k, v in files.items()}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_tlsverify_serves_clients_with_a_certificate_and_refuses_others(pki: dict[str, str]) -> None:
    port = _free_port()
    listeners = load_listeners(
        [parse_host(f"tcp://127.0.0.1:{port}", "")],
        tls=TLSOptions(cert=pki["cert"], key=pki["key"], ca=pki["ca"], verify=True),
    )
    server = Server(ServerConfig(), [Hello()])
    async with anyio.create_task_group() as tg:
        await tg.start(server.serve, listeners)
        good = TLSConfig(ca=pki["ca"], cert=pki["client_cert"], key=pki["client_key"])
        async with AsyncClient(f"tcp://127.0.0.1:{port}", tls=good) as client:
            assert (await client.ping()).api_version == "1.45"
        anonymous = TLSConfig(ca=pki["ca"])
        async with AsyncClient(f"tcp://127.0.0.1:{port}", tls=anonymous) as client:
            with pytest.raises((errdefs.Unavailable, ssl.SSLError, anyio.BrokenResourceError, OSError)):
                await client.ping()
        tg.cancel_scope.cancel()
