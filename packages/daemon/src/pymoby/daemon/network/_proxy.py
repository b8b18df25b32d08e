"""The userland proxy: host address and port -> container address and port.

Docker runs a ``docker-proxy`` process per published port so that
connections the DNAT rules never see (to 127.0.0.1, from the host itself)
still reach the container. pymoby runs the same relay inside the daemon, off
the event loop: one thread per published port accepts (TCP) or receives
(UDP), and a TCP connection is relayed with ``splice(2)`` through a pipe in
each direction, so the bytes never enter Python (as Go's io.Copy does for
docker-proxy). The listening socket is also the port's reservation.

A proxy is owned by the endpoint that published it: :meth:`close` stops the
accept thread, cuts every relayed connection and joins all threads.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import select
import socket
import threading
import time

__all__ = ["TCPProxy", "UDPProxy"]

log = logging.getLogger("pymoby.daemon.network")

_CHUNK = 1 << 20
_PIPE_SIZE = 1 << 20
_F_SETPIPE_SZ = 1031
_CONNECT_TIMEOUT = 10.0
_UDP_IDLE = 90.0  # Docker's UDPConnTrackTimeout
_UDP_BUFFER = 65535


class _Relay:
    """One client connection relayed to the container, both directions."""

    def __init__(self, client: socket.socket, backend: tuple[str, int], done: _RelaySet) -> None:
        self.client = client
        self.backend_address = backend
        self.upstream: socket.socket | None = None
        self._set = done
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._finished = 0
        self._cut = False

    def start(self) -> None:
        thread = threading.Thread(target=self._run, name="pymoby-proxy-conn", daemon=True)
        self._threads.append(thread)
        thread.start()

    def _run(self) -> None:
        try:
            upstream = socket.create_connection(self.backend_address, timeout=_CONNECT_TIMEOUT)
        except OSError as exc:
            log.debug("proxy: cannot reach %s: %s", self.backend_address, exc)
            self.client.close()
            self._set.discard(self)
            return
        upstream.settimeout(None)
        upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._lock:
            if self._cut:
                upstream.close()
                self.client.close()
                self._set.discard(self)
                return
            self.upstream = upstream
            back = threading.Thread(
                target=self._pump, args=(upstream, self.client), name="pymoby-proxy-back", daemon=True
            )
            self._threads.append(back)
            back.start()
        self._pump(self.client, upstream)

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        read_end, write_end = os.pipe2(os.O_CLOEXEC)
        with contextlib.suppress(OSError):
            fcntl.fcntl(write_end, _F_SETPIPE_SZ, _PIPE_SIZE)
        try:
            src, dst = source.fileno(), sink.fileno()
            while True:
                moved = os.splice(src, write_end, _CHUNK)
                if moved == 0:
                    break
                while moved:
                    moved -= os.splice(read_end, dst, moved)
        except OSError as exc:
            if exc.errno not in (errno.ECONNRESET, errno.EPIPE, errno.EBADF, errno.ENOTCONN, errno.EINVAL):
                log.debug("proxy: relay error: %s", exc)
        finally:
            os.close(read_end)
            os.close(write_end)
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)
            self._one_done()

    def _one_done(self) -> None:
        with self._lock:
            self._finished += 1
            last = self._finished == 2
        if last:
            self.client.close()
            if self.upstream is not None:
                self.upstream.close()
            self._set.discard(self)

    def cut(self) -> None:
        """Shut both sockets down (the relay threads then end, closing them)."""
        with self._lock:
            self._cut = True
            sockets = [self.client, self.upstream]
        for sock in sockets:
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def join(self, timeout: float) -> None:
        """Wait for the relay's threads."""
        while True:
            with self._lock:
                pending = [t for t in self._threads if t.is_alive() and t is not threading.current_thread()]
            if not pending:
                return
            for thread in pending:
                thread.join(timeout)
                if thread.is_alive():
                    return


class _RelaySet:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._relays: set[_Relay] = set()

    def add(self, relay: _Relay) -> None:
        with self._lock:
            self._relays.add(relay)

    def discard(self, relay: _Relay) -> None:
        with self._lock:
            self._relays.discard(relay)

    def snapshot(self) -> list[_Relay]:
        with self._lock:
            return list(self._relays)


class TCPProxy:
    """Relays connections accepted on ``listener`` (bound, listening) to ``backend``."""

    def __init__(self, listener: socket.socket, backend: tuple[str, int]) -> None:
        self.listener = listener
        self.backend = backend
        self._relays = _RelaySet()
        self._closed = False
        self._thread = threading.Thread(target=self._accept_loop, name="pymoby-proxy-accept", daemon=True)

    def start(self) -> None:
        """Start accepting."""
        self._thread.start()

    def _accept_loop(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError as exc:
                if self._closed or exc.errno in (errno.EINVAL, errno.EBADF):
                    return
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    time.sleep(0.05)
                continue
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            relay = _Relay(client, self.backend, self._relays)
            self._relays.add(relay)
            relay.start()

    def close(self) -> None:
        """Stop accepting, cut every relayed connection, wait for the threads, release the port."""
        self._closed = True
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        if self._thread.is_alive() or self._thread.ident is not None:
            self._thread.join(5)
        self.listener.close()
        for relay in self._relays.snapshot():
            relay.cut()
        for relay in self._relays.snapshot():
            relay.join(5)


class UDPProxy:
    """Relays datagrams received on ``sock`` (bound) to ``backend``, and the answers back."""

    def __init__(self, sock: socket.socket, backend: tuple[str, int]) -> None:
        self.sock = sock
        self.backend = backend
        self._wake_r, self._wake_w = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="pymoby-proxy-udp", daemon=True)

    def start(self) -> None:
        """Start relaying."""
        self._thread.start()

    def _loop(self) -> None:
        backend_family = socket.AF_INET6 if ":" in self.backend[0] else socket.AF_INET
        clients: dict[tuple[object, ...], socket.socket] = {}
        by_fd: dict[int, tuple[tuple[object, ...], socket.socket]] = {}
        last_seen: dict[tuple[object, ...], float] = {}
        poller = select.poll()
        poller.register(self.sock.fileno(), select.POLLIN)
        poller.register(self._wake_r, select.POLLIN)
        try:
            while not self._closed:
                for fd, _event in poller.poll(5000):
                    if fd == self._wake_r:
                        return
                    if fd == self.sock.fileno():
                        try:
                            data, client = self.sock.recvfrom(_UDP_BUFFER)
                        except OSError:
                            continue
                        upstream = clients.get(client)
                        if upstream is None:
                            upstream = socket.socket(backend_family, socket.SOCK_DGRAM)
                            try:
                                upstream.connect(self.backend)
                            except OSError:
                                upstream.close()
                                continue
                            clients[client] = upstream
                            by_fd[upstream.fileno()] = (client, upstream)
                            poller.register(upstream.fileno(), select.POLLIN)
                        last_seen[client] = time.monotonic()
                        with contextlib.suppress(OSError):
                            upstream.send(data)
                    elif fd in by_fd:
                        client, upstream = by_fd[fd]
                        try:
                            data = upstream.recv(_UDP_BUFFER)
                        except OSError:
                            continue
                        last_seen[client] = time.monotonic()
                        with contextlib.suppress(OSError):
                            self.sock.sendto(data, client)
                now = time.monotonic()
                for client in [c for c, seen in last_seen.items() if now - seen > _UDP_IDLE]:
                    upstream = clients.pop(client)
                    del last_seen[client]
                    del by_fd[upstream.fileno()]
                    poller.unregister(upstream.fileno())
                    upstream.close()
        finally:
            for upstream in clients.values():
                upstream.close()

    def close(self) -> None:
        """Stop relaying, wait for the thread, release the port."""
        self._closed = True
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"x")
        if self._thread.ident is not None:
            self._thread.join(5)
        self.sock.close()
        os.close(self._wake_r)
        os.close(self._wake_w)
