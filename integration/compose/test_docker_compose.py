"""docker-compose (Debian's 1.29, on docker-py) against a real pymobyd: a small two-service project
with a build, a user network, a named volume and a published port, from ``up`` to ``down -v``."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from pathlib import Path

import pytest
from support.pymobyd import Pymobyd, free_port

pytestmark = pytest.mark.root

COMPOSE_FILE = """\
version: "3.8"
services:
  web:
    build: ./web
    ports: ["127.0.0.1:{port}:80"]
    networks: [front]
    volumes: ["data:/data"]
    environment:
      GREETING: hello from compose
  client:
    image: busybox
    depends_on: [web]
    networks: [front]
    volumes: ["data:/data"]
    command: ["sh", "-c", "wget -q -O /data/fetched http://web/index.html && echo fetched && sleep 300"]
networks:
  front: {{}}
volumes:
  data: {{}}
"""

DOCKERFILE = """\
FROM busybox
COPY index.html /www/index.html
EXPOSE 80
CMD ["sh", "-c", "echo $GREETING > /www/greeting && exec httpd -f -p 80 -h /www"]
"""


def compose(daemon: Pymobyd, project: Path, *args: str, check: bool = True) -> str:
    """Run docker-compose in ``project`` against ``daemon``; its stdout (its progress goes to stderr)."""
    result = subprocess.run(
        ["docker-compose", "-p", "pmc", *args],
        cwd=project, env=daemon.env(), capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    if check:
        assert result.returncode == 0, f"docker-compose {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def http_get(port: int, path: str) -> str:
    """The body of ``GET path`` on 127.0.0.1:port, retried while the server comes up."""
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
                conn.sendall(f"GET {path} HTTP/1.0\r\n\r\n".encode())
                answer = b""
                while chunk := conn.recv(65536):
                    answer += chunk
            if answer:
                return answer.partition(b"\r\n\r\n")[2].decode()
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"nothing answered on 127.0.0.1:{port}")


def wait_for(predicate: object, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_compose_project_from_up_to_down(daemon: Pymobyd, tmp_path: Path) -> None:
    port = free_port()
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "Dockerfile").write_text(DOCKERFILE)
    (tmp_path / "web" / "index.html").write_text("<h1>composed</h1>\n")
    (tmp_path / "docker-compose.yml").write_text(COMPOSE_FILE.format(port=port))
    try:
        compose(daemon, tmp_path, "up", "-d", "--build")
        assert b"pmc_web" in daemon.docker("images", "--format", "{{.Repository}}").stdout

        states = compose(daemon, tmp_path, "ps").splitlines()
        assert any(line.startswith("pmc_web_1") and " Up " in line for line in states), states
        assert any(line.startswith("pmc_client_1") and " Up " in line for line in states), states
        assert http_get(port, "/index.html") == "<h1>composed</h1>\n"
        assert http_get(port, "/greeting") == "hello from compose\n"
        assert compose(daemon, tmp_path, "port", "web", "80").strip() == f"127.0.0.1:{port}"

        # The client reached web by its service name on the project's network, through the shared volume.
        wait_for(lambda: "fetched" in compose(daemon, tmp_path, "logs", "--no-color", "client"), "client's log")
        assert compose(daemon, tmp_path, "exec", "-T", "web", "cat", "/data/fetched") == "<h1>composed</h1>\n"
        assert compose(daemon, tmp_path, "run", "--rm", "-T", "client", "echo", "one-off") == "one-off\n"

        network = json.loads(daemon.docker("network", "inspect", "pmc_front").stdout)[0]
        assert sorted(c["Name"] for c in network["Containers"].values()) == ["pmc_client_1", "pmc_web_1"]
        volume = json.loads(daemon.docker("volume", "inspect", "pmc_data").stdout)[0]
        assert volume["Labels"]["com.docker.compose.project"] == "pmc"

        compose(daemon, tmp_path, "restart", "web")
        assert http_get(port, "/index.html") == "<h1>composed</h1>\n"
        compose(daemon, tmp_path, "stop")
        assert " Exit " in compose(daemon, tmp_path, "ps")
    finally:
        compose(daemon, tmp_path, "down", "-v", "--rmi", "local", "-t", "1", check=False)
    assert daemon.docker("ps", "-aq").stdout == b""
    assert b"pmc_front" not in daemon.docker("network", "ls").stdout
    assert b"pmc_data" not in daemon.docker("volume", "ls", "-q").stdout
    assert b"pmc_web" not in daemon.docker("images").stdout  # built by compose: --rmi local removes it
