"""A real registry (Debian ``docker-registry``, the CNCF distribution 2.8) for tests and benchmarks.

- :func:`start_registry`: a registry on 127.0.0.1 and a free port, storage in
  a directory, in one of three set-ups: open, htpasswd (Basic auth, bcrypt),
  or token auth against a :class:`TokenServer`; optionally over TLS (with
  client certificates required or not).
- :class:`TokenServer`: a small token service as Docker Hub's auth service
  behaves: ``GET /token`` with Basic credentials, ``POST /token`` (OAuth2
  password and refresh_token grants), RS256 JWTs whose ``x5c`` chains to the
  registry's ``rootcertbundle``, refresh (identity) tokens with
  ``offline_token=true``. It records every request.
- :func:`make_tls`: a CA, a server certificate for localhost/127.0.0.1 and a
  client certificate, written as PEM files.
- :class:`ChaosProxy`: a TCP proxy that cuts a connection or flips a byte
  after N bytes from the server, once.

Plain code (no pytest); fixtures wrap it.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import ipaddress
import json
import secrets
import select
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

REGISTRY = "/usr/bin/docker-registry"
SERVICE = "pymoby-test-registry"
ISSUER = "pymoby-test-issuer"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes] | None, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


# --- TLS material --------------------------------------------------------------------------


@dataclass(frozen=True)
class TLSFiles:
    """PEM files: the CA, the server's certificate and key, a client certificate and key."""

    ca_cert: Path
    ca_key: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def _name(common_name: str) -> Any:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem_key(key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        )
    )


def _issue(
    subject: str,
    issuer_key: Any,
    issuer_name: Any,
    *,
    ca: bool,
    sans: list[str] = (),
    client: bool = False,  # type: ignore[assignment]
) -> tuple[Any, Any]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer_name or _name(subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
        )
    else:
        usage = ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if sans:
        names: list[Any] = []
        for san in sans:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(san)))
            except ValueError:
                names.append(x509.DNSName(san))
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    signer = issuer_key or key
    return key, builder.sign(signer, hashes.SHA256())


def make_tls(directory: Path, hostnames: tuple[str, ...] = ("localhost", "127.0.0.1")) -> TLSFiles:
    """Write a CA, a server certificate for ``hostnames`` and a client certificate into ``directory``."""
    from cryptography.hazmat.primitives import serialization

    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert = _issue("pymoby test CA", None, None, ca=True)
    server_key, server_cert = _issue("localhost", ca_key, ca_cert.subject, ca=False, sans=list(hostnames))
    client_key, client_cert = _issue("pymoby test client", ca_key, ca_cert.subject, ca=False, client=True)
    files = TLSFiles(
        directory / "ca.crt",
        directory / "ca.key",
        directory / "server.crt",
        directory / "server.key",
        directory / "client.cert",
        directory / "client.key",
    )
    pem = serialization.Encoding.PEM
    files.ca_cert.write_bytes(ca_cert.public_bytes(pem))
    files.ca_key.write_bytes(_pem_key(ca_key))
    files.server_cert.write_bytes(server_cert.public_bytes(pem))
    files.server_key.write_bytes(_pem_key(server_key))
    files.client_cert.write_bytes(client_cert.public_bytes(pem))
    files.client_key.write_bytes(_pem_key(client_key))
    return files


# --- token server ----------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class TokenRequest:
    """One request the token server answered."""

    method: str
    account: str
    scopes: list[str]
    status: int
    offline: bool = False


@dataclass
class TokenServer:
    """A token service for the registry's ``auth.token`` (see the module docstring).

    ``users`` maps names to passwords; authenticated users get every action
    they ask for; anonymous users get ``pull`` only when ``anonymous_pull``.
    """

    directory: Path
    users: dict[str, str] = field(default_factory=dict)
    anonymous_pull: bool = False
    expires_in: int = 300
    port: int = 0
    requests: list[TokenRequest] = field(default_factory=list)
    _refresh: dict[str, str] = field(default_factory=dict)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _key: Any = None
    _x5c: str = ""

    @property
    def realm(self) -> str:
        """The token endpoint URL for the registry's configuration."""
        return f"http://127.0.0.1:{self.port}/token"

    @property
    def root_bundle(self) -> Path:
        """The CA certificate the registry trusts for tokens."""
        return self.directory / "token-root.crt"

    def start(self) -> TokenServer:
        """Make the signing keys and serve on a free port."""
        from cryptography.hazmat.primitives import serialization

        self.directory.mkdir(parents=True, exist_ok=True)
        ca_key, ca_cert = _issue("pymoby token CA", None, None, ca=True)
        self._key, leaf = _issue("pymoby token signer", ca_key, ca_cert.subject, ca=False)
        self.root_bundle.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
        self._x5c = base64.b64encode(leaf.public_bytes(serialization.Encoding.DER)).decode()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                query = parse_qs(urlsplit(self.path).query)
                server._answer(self, "GET", query, self.headers.get("Authorization", ""))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                server._answer(self, "POST", form, "")

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="token-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _sign(self, claims: dict[str, Any]) -> str:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        header = {"typ": "JWT", "alg": "RS256", "x5c": [self._x5c]}
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        signature = self._key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64(signature)}"

    def _grant(self, account: str, scopes: list[str]) -> list[dict[str, Any]]:
        access = []
        for scope in scopes:
            for one in scope.split(" "):
                parts = one.split(":")
                if len(parts) < 3:
                    continue
                kind, name, actions = parts[0], ":".join(parts[1:-1]), parts[-1].split(",")
                if not account:
                    actions = [a for a in actions if a == "pull"] if self.anonymous_pull else []
                if actions:
                    access.append({"type": kind, "name": name, "actions": actions})
        return access

    def _answer(self, handler: BaseHTTPRequestHandler, method: str, params: dict[str, list[str]], auth: str) -> None:
        scopes = params.get("scope", [])
        if method == "POST":
            scopes = [s for scope in scopes for s in scope.split(" ") if s]
        offline = params.get("offline_token", ["false"])[0] == "true" or params.get("access_type", [""])[0] == "offline"
        account = ""
        refused = False
        if method == "GET" and auth.startswith("Basic "):
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            refused = self.users.get(user) != password
            account = user
        elif method == "POST":
            grant = params.get("grant_type", [""])[0]
            if grant == "refresh_token":
                account = self._refresh.get(params.get("refresh_token", [""])[0], "")
                refused = not account
            elif grant == "password":
                account = params.get("username", [""])[0]
                refused = self.users.get(account) != params.get("password", [""])[0]
            else:
                refused = True
        status = 401 if refused else 200
        self.requests.append(TokenRequest(method, account, scopes, status, offline))
        if refused:
            body = json.dumps({"details": "incorrect username or password"}).encode()
        else:
            now = int(time.time())
            claims = {
                "iss": ISSUER,
                "sub": account,
                "aud": SERVICE,
                "exp": now + self.expires_in,
                "nbf": now - 10,
                "iat": now,
                "jti": secrets.token_hex(8),
                "access": self._grant(account, scopes),
            }
            token = self._sign(claims)
            answer: dict[str, Any] = {
                "token": token,
                "access_token": token,
                "expires_in": self.expires_in,
                "issued_at": datetime.datetime.now(datetime.UTC).isoformat(),
            }
            if offline and account:
                refresh = secrets.token_hex(16)
                self._refresh[refresh] = account
                answer["refresh_token"] = refresh
            body = json.dumps(answer).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def __enter__(self) -> TokenServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- the registry ------------------------------------------------------------------------------


def write_htpasswd(path: Path, users: dict[str, str]) -> Path:
    """An htpasswd file with bcrypt hashes (apache2-utils' ``htpasswd -B``)."""
    if shutil.which("htpasswd") is None:
        raise FileNotFoundError("htpasswd is not installed (Debian apache2-utils): run tools/install-system-deps")
    lines = []
    for user, password in users.items():
        out = subprocess.run(["htpasswd", "-Bbn", user, password], check=True, capture_output=True, text=True)
        lines.append(out.stdout.strip())
    path.write_text("\n".join(lines) + "\n")
    return path


@dataclass
class RegistryServer:
    """A running registry. Use as a context manager, or call :meth:`stop`."""

    base: Path
    port: int
    process: subprocess.Popen[bytes]
    tls: TLSFiles | None = None
    token_server: TokenServer | None = None

    @property
    def host(self) -> str:
        """``127.0.0.1:PORT``: the registry part of references."""
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The base URL."""
        return f"{'https' if self.tls else 'http'}://{self.host}"

    @property
    def storage(self) -> Path:
        """Where the registry keeps its data."""
        return self.base / "storage"

    def log(self) -> str:
        """What the registry printed."""
        return (self.base / "registry.log").read_text(errors="replace")

    def stop(self) -> None:
        """Stop the registry and remove its files."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> RegistryServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_registry(
    base: Path,
    *,
    htpasswd: dict[str, str] | None = None,
    token_server: TokenServer | None = None,
    tls: TLSFiles | None = None,
    require_client_cert: bool = False,
    port: int = 0,
    timeout: float = 30,
) -> RegistryServer:
    """Start ``docker-registry`` on 127.0.0.1 (a free port unless ``port``), data under ``base``.

    Open by default; ``htpasswd`` users give Basic auth, ``token_server`` token
    auth (the two are exclusive). ``tls`` serves HTTPS with its server
    certificate, requiring a client certificate of its CA when
    ``require_client_cert``. Raises RuntimeError with the registry's log if
    it does not come up.
    """
    if not Path(REGISTRY).exists():
        raise FileNotFoundError("docker-registry is not installed (Debian docker-registry)")
    base.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    http: dict[str, Any] = {"addr": f"127.0.0.1:{port}", "secret": secrets.token_hex(16)}
    if tls is not None:
        http["tls"] = {"certificate": str(tls.server_cert), "key": str(tls.server_key)}
        if require_client_cert:
            http["tls"]["clientcas"] = [str(tls.ca_cert)]
    config: dict[str, Any] = {
        "version": 0.1,
        "log": {"level": "warn", "accesslog": {"disabled": True}},
        "storage": {
            "filesystem": {"rootdirectory": str(base / "storage")},
            "delete": {"enabled": True},
            "maintenance": {"uploadpurging": {"enabled": False}},
        },
        "http": http,
    }
    if htpasswd is not None:
        config["auth"] = {
            "htpasswd": {"realm": "pymoby-test", "path": str(write_htpasswd(base / "htpasswd", htpasswd))}
        }
    elif token_server is not None:
        config["auth"] = {
            "token": {
                "realm": token_server.realm,
                "service": SERVICE,
                "issuer": ISSUER,
                "rootcertbundle": str(token_server.root_bundle),
            }
        }
    # JSON is YAML: no YAML library needed.
    (base / "config.yml").write_text(json.dumps(config, indent=2))
    with (base / "registry.log").open("wb") as log:
        process = subprocess.Popen(
            [REGISTRY, "serve", str(base / "config.yml")], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = RegistryServer(base, port, process, tls, token_server)
    try:
        _wait_for_port(port, process, timeout)
    except RuntimeError as exc:
        log_text = server.log()[-3000:]
        server.stop()
        raise RuntimeError(f"docker-registry did not come up: {exc}\n{log_text}") from exc
    return server


# --- a proxy that misbehaves ----------------------------------------------------------------------


@dataclass
class ChaosProxy:
    """A TCP proxy to ``127.0.0.1:target``; misbehaves once, on the first connection that gets far enough.

    ``cut_after``: close the connection after that many bytes from the
    server. ``corrupt_at``: flip the byte at that offset of the server's
    stream. ``upstream`` records what clients sent (for assertions on
    requests, e.g. ``Range`` headers).
    """

    target: int
    cut_after: int | None = None
    corrupt_at: int | None = None
    port: int = 0
    cuts: int = 0
    corruptions: int = 0
    upstream: bytearray = field(default_factory=bytearray)
    _listener: socket.socket | None = None
    _threads: list[threading.Thread] = field(default_factory=list)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def host(self) -> str:
        """``127.0.0.1:PORT`` of the proxy."""
        return f"127.0.0.1:{self.port}"

    def start(self) -> ChaosProxy:
        """Listen on a free port and serve in background threads."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.2)
        self._listener = listener
        self.port = listener.getsockname()[1]
        thread = threading.Thread(target=self._accept, name="chaos-proxy", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def _accept(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._pipe, args=(client,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _pipe(self, client: socket.socket) -> None:
        try:
            server = socket.create_connection(("127.0.0.1", self.target))
        except OSError:
            client.close()
            return
        downstream = 0
        with client, server:
            while not self._stopping.is_set():
                ready, _, _ = select.select([client, server], [], [], 0.2)
                if client in ready:
                    data = client.recv(65536)
                    if not data:
                        return
                    with self._lock:
                        if len(self.upstream) < 1 << 20:
                            self.upstream += data
                    server.sendall(data)
                if server in ready:
                    data = server.recv(65536)
                    if not data:
                        return
                    start, downstream = downstream, downstream + len(data)
                    with self._lock:
                        if self.corrupt_at is not None and start <= self.corrupt_at < downstream:
                            buffer = bytearray(data)
                            buffer[self.corrupt_at - start] ^= 0xFF
                            data = bytes(buffer)
                            self.corrupt_at = None
                            self.corruptions += 1
                        if self.cut_after is not None and downstream >= self.cut_after:
                            client.sendall(data[: max(0, self.cut_after - start)])
                            self.cut_after = None
                            self.cuts += 1
                            client.shutdown(socket.SHUT_RDWR)
                            return
                    client.sendall(data)

    def stop(self) -> None:
        """Stop accepting and close every connection."""
        self._stopping.set()
        if self._listener is not None:
            self._listener.close()
        for thread in self._threads:
            thread.join(timeout=2)

    def __enter__(self) -> ChaosProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- test images ----------------------------------------------------------------------------------


def _layer_tar(size: int, seed: int, name: str) -> bytes:
    """A tar with one file of ``size`` incompressible bytes (deterministic from ``seed``)."""
    import io
    import random
    import tarfile

    content = random.Random(seed).randbytes(size)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo(name)
        info.size = size
        info.mtime = 0
        info.mode = 0o644
        tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


class LayoutWriter:
    """Writes test images into an OCI image layout with nothing but the standard library."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
        (root / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
        self.entries: list[dict[str, Any]] = []
        self._save()

    def blob(self, data: bytes, media_type: str) -> dict[str, Any]:
        """Store ``data``; return its descriptor."""
        import hashlib

        digest = hashlib.sha256(data).hexdigest()
        (self.root / "blobs" / "sha256" / digest).write_bytes(data)
        return {"mediaType": media_type, "digest": f"sha256:{digest}", "size": len(data)}

    def image(
        self,
        layer_sizes: list[int],
        *,
        seed: int = 0,
        platform: tuple[str, str, str] = ("linux", "amd64", ""),
        compress: bool = True,
    ) -> dict[str, Any]:
        """An image of random layers; returns its manifest's descriptor (with platform)."""
        import gzip

        layers, diff_ids = [], []
        for i, size in enumerate(layer_sizes):
            tar = _layer_tar(size, seed * 1000 + i, f"layer{i}.bin")
            diff_ids.append(self.blob(tar, "")["digest"])
            if compress:
                layers.append(self.blob(gzip.compress(tar, 1, mtime=0), "application/vnd.oci.image.layer.v1.tar+gzip"))
            else:
                layers.append(self.blob(tar, "application/vnd.oci.image.layer.v1.tar"))
        os_name, arch, variant = platform
        config: dict[str, Any] = {
            "architecture": arch,
            "os": os_name,
            "config": {"Cmd": ["/bin/sh"], "Env": [f"SEED={seed}"]},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": [{"created_by": f"layer {i}"} for i in range(len(layer_sizes))],
        }
        if variant:
            config["variant"] = variant
        config_descriptor = self.blob(json.dumps(config).encode(), "application/vnd.oci.image.config.v1+json")
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": config_descriptor,
            "layers": layers,
        }
        descriptor = self.blob(json.dumps(manifest).encode(), manifest["mediaType"])
        descriptor["platform"] = {"architecture": arch, "os": os_name} | ({"variant": variant} if variant else {})
        return descriptor

    def index(self, manifests: list[dict[str, Any]]) -> dict[str, Any]:
        """An OCI index of ``manifests``; returns its descriptor."""
        index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests}
        return self.blob(json.dumps(index).encode(), index["mediaType"])

    def tag(self, descriptor: dict[str, Any], name: str) -> None:
        """Name ``descriptor`` in index.json."""
        entry = {k: v for k, v in descriptor.items() if k != "platform"}
        entry["annotations"] = {"org.opencontainers.image.ref.name": name}
        self.entries = [e for e in self.entries if e["annotations"]["org.opencontainers.image.ref.name"] != name]
        self.entries.append(entry)
        self._save()

    def _save(self) -> None:
        index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": self.entries}
        (self.root / "index.json").write_text(json.dumps(index))
