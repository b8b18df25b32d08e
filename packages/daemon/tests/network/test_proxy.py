"""The userland proxy relays TCP and UDP between loopback sockets (no root needed)."""

from __future__ import annotations

import hashlib
import os
import socket
import threading
from collections.abc import Iterator

import pytest

from pymoby.daemon.network._proxy import TCPProxy, UDPProxy


@pytest.fixture
def echo_server() -> Iterator[tuple[str, int]]:
    """A TCP server that sends back the SHA-256 of everything it got, once the client half-closes."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                digest = hashlib.sha256()
                while chunk := conn.recv(1 << 16):
                    digest.update(chunk)
                conn.sendall(digest.hexdigest().encode())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()
    stop.set()
    server.shutdown(socket.SHUT_RDWR)
    server.close()
    thread.join(5)


def listener() -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the port table binds them
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


def test_tcp_bytes_arrive_whole_both_ways_with_half_close(echo_server: tuple[str, int]) -> None:
    sock = listener()
    proxy = TCPProxy(sock, echo_server)
    proxy.start()
    try:
        payload = os.urandom(8 << 20)
        with socket.create_connection(sock.getsockname(), timeout=10) as client:
            client.sendall(payload)
            client.shutdown(socket.SHUT_WR)
            answer = b""
            while chunk := client.recv(4096):
                answer += chunk
        assert answer.decode() == hashlib.sha256(payload).hexdigest()
    finally:
        proxy.close()


def test_closing_the_proxy_cuts_connections_and_frees_the_port(echo_server: tuple[str, int]) -> None:
    sock = listener()
    address = sock.getsockname()
    proxy = TCPProxy(sock, echo_server)
    proxy.start()
    with socket.create_connection(address, timeout=10) as client:
        client.sendall(b"partial")
        proxy.close()
        try:
            assert client.recv(100) == b""
        except ConnectionResetError:
            pass  # cut with unread data: a reset rather than an end of stream
    with socket.socket() as again:
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(address)


def test_a_backend_that_refuses_closes_the_client() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        dead = unused.getsockname()
    sock = listener()
    proxy = TCPProxy(sock, dead)
    proxy.start()
    try:
        with socket.create_connection(sock.getsockname(), timeout=10) as client:
            assert client.recv(10) == b""
    finally:
        proxy.close()


def test_udp_datagrams_and_answers_are_relayed_per_client() -> None:
    backend = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    backend.bind(("127.0.0.1", 0))
    front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    front.bind(("127.0.0.1", 0))
    proxy = UDPProxy(front, backend.getsockname())
    proxy.start()
    clients = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]
    try:
        for index, client in enumerate(clients):
            client.settimeout(5)
            client.sendto(f"ping {index}".encode(), front.getsockname())
        backend.settimeout(5)
        for _ in clients:
            data, peer = backend.recvfrom(100)
            backend.sendto(data.replace(b"ping", b"pong"), peer)
        assert sorted(c.recv(100) for c in clients) == [b"pong 0", b"pong 1"]
    finally:
        proxy.close()
        for client in clients:
            client.close()
        backend.close()
