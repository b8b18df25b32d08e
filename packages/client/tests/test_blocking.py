"""The blocking transport and client against a real threaded HTTP server on a unix socket (or TLS over TCP)."""

from __future__ import annotations

import json
import os
import socket
import socketserver
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import trustme

from pymoby import api, errdefs
from pymoby.client import API_VERSION, BlockingClient, Client, TLSConfig

PING = {"Api-Version": "1.40", "Ostype": "linux", "Docker-Experimental": "true", "Builder-Version": "2"}

Answer = Callable[[str, str, dict[str, str], bytes], "bytes | None"]


def _http(status: int, body: bytes = b"", headers: dict[str, str] | None = None, length: bool = True) -> bytes:
    lines = [f"HTTP/1.1 {status} X", *(f"{k}: {v}" for k, v in (headers or {}).items())]
    if length and "Transfer-Encoding" not in (headers or {}):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _chunked(*parts: bytes) -> bytes:
    data = b"".join(b"%x;ext=1\r\n%b\r\n" % (len(p), p) for p in parts) + b"0\r\nX-Trailer: t\r\n\r\n"
    return _http(200, data, {"Transfer-Encoding": "chunked"})


class Server:
    """A threaded HTTP/1.1 server: ``answer(method, target, headers, body)`` gives each whole raw answer."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.seen: list[tuple[str, str, dict[str, str], bytes]] = []
        self.connections = 0
        self.close_after_each = False


def _handler(server: Server) -> type[socketserver.BaseRequestHandler]:
    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            server.connections += 1
            while True:
                head = b""
                while not head.endswith(b"\r\n\r\n"):
                    byte = self.rfile.read(1)
                    if not byte:
                        return
                    head += byte
                lines = head.decode().rstrip("\r\n").split("\r\n")
                method, target, _ = lines[0].split(" ")
                headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
                body = self.rfile.read(int(headers.get("content-length", "0")))
                server.seen.append((method, target, headers, body))
                reply = server.answer(method, target, headers, body)
                if reply is None:
                    return  # hang up without answering
                self.wfile.write(reply)
                self.wfile.flush()
                if server.close_after_each or (
                    b"Content-Length" not in reply.split(b"\r\n\r\n")[0]
                    and (b"chunked" not in reply.split(b"\r\n\r\n")[0])
                ):
                    return

    return Handler


class _QuietErrors:
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timed out, refused our certificate) breaks the pipe: expected here.
        if not isinstance(sys.exc_info()[1], OSError):
            raise


class _UnixServer(_QuietErrors, socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class _TLSServer(_QuietErrors, socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    context: ssl.SSLContext

    def get_request(self) -> tuple[Any, Any]:
        sock, address = super().get_request()
        return self.context.wrap_socket(sock, server_side=True), address


@contextmanager
def _serving(server: socketserver.BaseServer) -> Iterator[None]:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def unix_server(tmp_path: Path) -> Callable[[Answer], Any]:
    @contextmanager
    def run(answer: Answer) -> Iterator[tuple[Server, str]]:
        state = Server(answer)
        path = str(tmp_path / "d.sock")
        with _serving(_UnixServer(path, _handler(state))):
            yield state, f"unix://{path}"

    return run


def answer(method: str, target: str, headers: dict[str, str], body: bytes) -> bytes | None:
    path = target.split("?")[0]
    if path == "/_ping":
        return _http(200, b"OK", PING)
    if path.endswith("/version"):
        return _http(200, api.encode(api.SystemVersion(version="1.2.3", api_version="1.40")))
    if path.endswith("/containers/json"):
        return _chunked(
            b'[{"Id": "abc", "Names": ["/one"], "Image": "busy',
            b'box", "ImageID": "sha256:1", "Command": "sh", "Created": 1, "Ports": [], "Labels": {"a": "b"}}]',
        )
    if path.endswith("/containers/create"):
        return _http(201, b'{"Id": "new", "Warnings": []}')
    if "/containers/missing" in path:
        return _http(404, b'{"message": "No such container: missing"}')
    if path.endswith("/conflict"):
        return _http(409, b'{"message": "name in use"}')
    if path.endswith("/teapot"):
        return _http(418, b"short and stout\n")
    if path.endswith("/broken"):
        return _http(500, b"")
    if path.endswith("/continue"):
        return b"HTTP/1.1 100 Continue\r\n\r\n" + _http(200, b"after continue")
    if path.endswith("/until-close"):
        return _http(200, b"all of it", {"Connection": "close"}, length=False)
    if path.endswith("/head"):
        return _http(200, b"", {"Content-Length": "42", "X-Docker-Container-Path-Stat": "e30="}, length=False)
    if path.endswith("/hangup"):
        return None
    if path.endswith("/slow"):
        time.sleep(1.0)
        return _http(200, b"late")
    if path.endswith("/echo"):
        return _http(200, json.dumps({"type": headers.get("content-type"), "body": body.decode()}).encode())
    return _http(404, b'{"message": "page not found"}')


def test_negotiates_the_daemons_older_version_and_prefixes_requests(unix_server: Any) -> None:
    with unix_server(answer) as (server, host), BlockingClient(host) as client:
        assert client.api_version() == "1.40"
        ping = client.ping()
        assert (ping.os_type, ping.experimental, ping.builder_version) == ("linux", True, "2")
        response, content = client.request("GET", "/version")
        assert response.status == 200
        assert json.loads(content)["Version"] == "1.2.3"
        assert server.seen[-1][1] == "/v1.40/version"
        assert server.seen[-1][2]["host"] == "api.moby.localhost"


def test_a_newer_daemon_is_spoken_to_in_our_version(unix_server: Any) -> None:
    def newer(method: str, target: str, headers: dict[str, str], body: bytes) -> bytes | None:
        if target == "/_ping":
            return _http(200, b"OK", {"Api-Version": "1.99"})
        return answer(method, target, headers, body)

    with unix_server(newer) as (_, host), BlockingClient(host) as client:
        assert client.api_version() == API_VERSION == api.API_VERSION


def test_our_version_constants_are_the_apis() -> None:
    from pymoby.client._blocking import MIN_API_VERSION

    assert (API_VERSION, MIN_API_VERSION) == (api.API_VERSION, api.MIN_API_VERSION)


def test_a_pinned_version_skips_the_ping_and_connections_are_reused(unix_server: Any) -> None:
    with unix_server(answer) as (server, host), BlockingClient(host, version="1.44") as client:
        for _ in range(3):
            client.request("GET", "/version")
        assert [target for _, target, _, _ in server.seen] == ["/v1.44/version"] * 3
        assert server.connections == 1


def test_bodies_framed_by_length_chunks_or_the_connections_end(unix_server: Any) -> None:
    with unix_server(answer) as (server, host), BlockingClient(host, version="1.44") as client:
        _, content = client.request("GET", "/containers/json", query={"all": True, "limit": None})
        assert json.loads(content)[0]["Image"] == "busybox"
        assert server.seen[-1][1] == "/v1.44/containers/json?all=1"
        assert client.request("GET", "/continue")[1] == b"after continue"
        assert client.request("GET", "/until-close")[1] == b"all of it"
        response, content = client.request("HEAD", "/head")
        assert (content, response.headers["x-docker-container-path-stat"]) == (b"", "e30=")
        assert client.request("GET", "/version")[0].status == 200


def test_a_json_body_is_sent_with_its_type_and_length(unix_server: Any) -> None:
    with unix_server(answer) as (server, host), BlockingClient(host, version="1.44") as client:
        _, content = client.request("POST", "/echo", body={"Image": "busybox", "Cmd": ["é"]})
        echoed = json.loads(content)
        assert echoed["type"] == "application/json"
        assert json.loads(echoed["body"]) == {"Image": "busybox", "Cmd": ["é"]}
        assert server.seen[-1][2]["content-length"] == str(len(server.seen[-1][3]))
        _, content = client.request("POST", "/echo", body=api.ExecStartConfig(tty=True))
        assert json.loads(json.loads(content)["body"])["Tty"] is True
        _, content = client.request("POST", "/echo", body=b"raw", headers={"Content-Type": "application/x-tar"})
        assert json.loads(content) == {"type": "application/x-tar", "body": "raw"}


@pytest.mark.parametrize(
    ("path", "kind", "message"),
    [
        ("/containers/missing/json", errdefs.NotFound, "No such container: missing"),
        ("/conflict", errdefs.Conflict, "name in use"),
        ("/teapot", errdefs.InvalidParameter, "short and stout"),
        ("/broken", errdefs.System, "request failed with status 500"),
    ],
)
def test_error_statuses_are_errdefs_kinds_with_the_daemons_message(
    unix_server: Any, path: str, kind: type[errdefs.PymobyError], message: str
) -> None:
    with unix_server(answer) as (_, host), BlockingClient(host, version="1.44") as client:
        with pytest.raises(kind) as caught:
            client.request("GET", path)
        assert str(caught.value) == message


def test_a_daemon_that_hangs_up_is_unavailable(unix_server: Any) -> None:
    with (
        unix_server(answer) as (_, host),
        BlockingClient(host, version="1.44") as client,
        pytest.raises(errdefs.Unavailable),
    ):
        client.request("GET", "/hangup")


def test_a_kept_alive_connection_the_daemon_closed_is_replaced(unix_server: Any) -> None:
    with unix_server(answer) as (server, host), BlockingClient(host, version="1.44") as client:
        server.close_after_each = True  # the server hangs up after each answer, though it said keep-alive
        for _ in range(3):
            assert client.request("GET", "/version")[0].status == 200
        assert server.connections == 3


def test_no_daemon_is_unavailable_with_dockers_wording(tmp_path: Path) -> None:
    with (
        BlockingClient(f"unix://{tmp_path}/none.sock", version="1.44") as client,
        pytest.raises(errdefs.Unavailable, match="Cannot connect to the Docker daemon at unix://"),
    ):
        client.request("GET", "/info")


def test_an_answer_that_does_not_come_in_time_times_out(unix_server: Any) -> None:
    with (
        unix_server(answer) as (_, host),
        BlockingClient(host, version="1.44", timeout=0.2) as client,
        pytest.raises(TimeoutError),
    ):
        client.request("GET", "/slow")


def test_tls_with_a_client_certificate(tmp_path: Path) -> None:
    ca = trustme.CA()
    server_cert = ca.issue_cert("127.0.0.1")
    client_cert = ca.issue_cert("client")
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    client_cert.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    client_cert.cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_cert.configure_cert(context)
    ca.configure_trust(context)
    context.verify_mode = ssl.CERT_REQUIRED
    state = Server(answer)
    tcp = _TLSServer(("127.0.0.1", 0), _handler(state))
    tcp.context = context
    port = tcp.server_address[1]
    with _serving(tcp):
        tls = TLSConfig.from_cert_path(tmp_path)
        with BlockingClient(f"tcp://127.0.0.1:{port}", tls=tls) as client:
            assert client.api_version() == "1.40"
            assert client.request("GET", "/version")[0].status == 200
        assert state.seen[-1][2]["host"] == f"127.0.0.1:{port}"
        untrusted = TLSConfig(cert=str(tmp_path / "cert.pem"), key=str(tmp_path / "key.pem"))
        with (
            BlockingClient(f"tcp://127.0.0.1:{port}", tls=untrusted) as client,
            pytest.raises(errdefs.Unavailable, match="Cannot connect"),
        ):
            client.ping()


def test_unreadable_tls_files_are_invalid_parameters(tmp_path: Path) -> None:
    with pytest.raises(errdefs.InvalidParameter, match="could not load TLS files"):
        BlockingClient("tcp://127.0.0.1:1", tls=TLSConfig.from_cert_path(tmp_path))


def test_the_sync_facade_answers_plain_calls_without_an_event_loop(unix_server: Any) -> None:
    with unix_server(answer) as (_, host), Client(host) as client:
        assert client.api_version() == "1.40"
        assert client.version().version == "1.2.3"
        assert [c.id for c in client.containers(all=True)] == ["abc"]
        assert client.create_container(api.ContainerCreateRequest(image="busybox"), name="x").id == "new"
        with pytest.raises(errdefs.NotFound, match="No such container: missing"):
            client.inspect_container("missing")
        assert client._started is None  # no portal thread was needed


def test_the_sync_facade_streams_through_its_event_loop(unix_server: Any) -> None:
    events = (b'{"Type":"daemon","Action":"reload","Actor":{"ID":"D","Attributes":{}},"scope":"local",'
              b'"time":1,"timeNano":1000000000}\n')  # fmt: skip

    def streaming(method: str, target: str, headers: dict[str, str], body: bytes) -> bytes | None:
        if target.split("?")[0].endswith("/events"):
            return _chunked(events)
        return answer(method, target, headers, body)

    with unix_server(streaming) as (_, host), Client(host) as client:
        assert [e.actor.id for e in client.events(until=2)] == ["D"]
        assert client._started is not None
        assert client.version().version == "1.2.3"


def test_a_blocking_call_loads_no_async_machinery(unix_server: Any) -> None:
    code = (
        "import sys\n"
        "from pymoby.client import BlockingClient\n"
        "with BlockingClient(sys.argv[1]) as c:\n"
        "    c.request('GET', '/version')\n"
        "print(sorted(m for m in ('asyncio', 'anyio', 'h11', 'msgspec') if m in sys.modules))\n"
    )
    with unix_server(answer) as (_, host):
        env = {**os.environ, "PYTHONWARNINGS": "error"}
        done = subprocess.run([sys.executable, "-c", code, host], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_blocking_calls_from_several_threads_at_once(unix_server: Any) -> None:
    with unix_server(answer) as (server, host), BlockingClient(host, version="1.44") as client:
        results: list[int] = []

        def call() -> None:
            results.append(client.request("GET", "/version")[0].status)

        threads = [threading.Thread(target=call) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert results == [200] * 8
        assert len(server.seen) == 8


def test_a_socket_path_and_tcp_addresses_are_described_as_docker_does(tmp_path: Path) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()  # nothing listens there now
    with (
        BlockingClient(f"tcp://127.0.0.1:{port}", version="1.44") as client,
        pytest.raises(errdefs.Unavailable, match=f"at tcp://127.0.0.1:{port}. Is the docker daemon running"),
    ):
        client.request("GET", "/info")


def test_clients_wait_while_the_daemons_listen_queue_is_full(tmp_path: Path) -> None:
    # A busy daemon accepts late; a unix socket's queue then refuses connects at once (EAGAIN):
    # the client waits for room instead of saying the daemon is not running.
    path = str(tmp_path / "busy.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)
    reply = _http(200, api.encode(api.SystemVersion(version="1.2.3", api_version="1.40")))
    results: list[int] = []

    def serve() -> None:
        time.sleep(0.5)  # every client is connecting by now: the queue holds two
        for _ in range(5):
            conn, _ = listener.accept()
            with conn:
                conn.recv(65536)
                conn.sendall(reply)

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    with BlockingClient(f"unix://{path}", version="1.44", timeout=10) as client:

        def call() -> None:
            results.append(client.request("GET", "/version", headers={"Connection": "close"})[0].status)

        threads = [threading.Thread(target=call) for _ in range(5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    server.join(5)
    listener.close()
    assert results == [200] * 5
