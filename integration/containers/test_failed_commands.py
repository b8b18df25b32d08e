"""Commands that cannot be run: ``docker run`` and ``docker exec`` of a missing or unusable executable.

What dockerd does (checked beside Debian's dockerd 20.10 with the docker
CLI 28.2): ``run`` exits 127 (not found) or 126 (not executable) with
runc's message; ``--rm`` removes the container, without it the container
stays ``created`` with that exit code and error. A failed ``exec`` exits
126 and its error arrives on the CLI's stdout in a proper stream frame
(the stream is not corrupted: no "Unrecognized input header").
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import docker
import pytest
from support.pymobyd import Pymobyd

pytestmark = pytest.mark.root

NOT_FOUND = 'exec: "nosuch": executable file not found in $PATH'
RUN_ERROR = (
    "docker: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: "
    "unable to start container process: {}: unknown"
)
EXEC_ERROR = "OCI runtime exec failed: exec failed: unable to start container process: {}: unknown\r\n"


def _run(daemon: Pymobyd, *args: str, api_version: str | None = None) -> subprocess.CompletedProcess[str]:
    env = daemon.env()
    if api_version is not None:
        env["DOCKER_API_VERSION"] = api_version
    # A timeout: the failure this guards against was a CLI waiting forever for a removal.
    done = subprocess.run(["docker", *args], env=env, capture_output=True, timeout=60, check=False)
    # Decoded by hand: text mode would turn the "\r\n" Docker sends into "\n".
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(), done.stderr.decode())


def _names(daemon: Pymobyd) -> list[str]:
    return daemon.docker("ps", "-a", "--format", "{{.Names}}").stdout.decode().split()


@pytest.mark.parametrize("detach", [False, True])
def test_run_rm_of_a_missing_command_exits_127_and_removes_the_container(daemon: Pymobyd, detach: bool) -> None:
    flags = ["-d"] if detach else []
    result = _run(daemon, "run", "--rm", *flags, "--name", "rmfail", "--network", "none", "busybox", "nosuch")
    assert result.returncode == 127
    assert result.stderr.splitlines()[0] == RUN_ERROR.format(NOT_FOUND)
    assert "rmfail" not in _names(daemon)
    missing = _run(daemon, "inspect", "rmfail")
    assert "No such object: rmfail" in missing.stderr


def test_run_of_a_missing_command_leaves_a_created_container_with_127(daemon: Pymobyd) -> None:
    result = _run(daemon, "run", "--name", "keepfail", "--network", "none", "busybox", "nosuch")
    try:
        assert result.returncode == 127
        assert result.stderr.splitlines()[0] == RUN_ERROR.format(NOT_FOUND)
        state = _run(daemon, "inspect", "-f", "{{.State.Status}} {{.State.ExitCode}} {{.State.Running}}", "keepfail")
        assert state.stdout == "created 127 false\n"
        error = _run(daemon, "inspect", "-f", "{{.State.Error}}", "keepfail").stdout
        assert NOT_FOUND in error
    finally:
        daemon.docker("rm", "-f", "keepfail")


def test_run_rm_of_a_directory_exits_126(daemon: Pymobyd) -> None:
    result = _run(daemon, "run", "--rm", "--name", "dirfail", "--network", "none", "busybox", "/etc")
    assert result.returncode == 126
    assert result.stderr.splitlines()[0] == RUN_ERROR.format('exec: "/etc": permission denied')
    assert "dirfail" not in _names(daemon)


@pytest.fixture(scope="module")
def web(daemon: Pymobyd) -> Iterator[str]:
    """A running container to exec in."""
    daemon.docker("run", "-d", "--name", "execweb", "--network", "none", "busybox", "sleep", "1000")
    try:
        yield "execweb"
    finally:
        daemon.docker("rm", "-f", "execweb")


@pytest.mark.parametrize("api_version", [None, "1.41"])  # multiplexed-stream content type, and the older raw one
@pytest.mark.parametrize("flags", [(), ("-i",), ("-t",)])
def test_exec_of_a_missing_command_exits_126_with_the_error_on_stdout(
    daemon: Pymobyd, web: str, flags: tuple[str, ...], api_version: str | None
) -> None:
    result = _run(daemon, "exec", *flags, web, "nosuch", api_version=api_version)
    assert (result.returncode, result.stdout, result.stderr) == (126, EXEC_ERROR.format(NOT_FOUND), "")


def test_exec_of_a_directory_exits_126(daemon: Pymobyd, web: str) -> None:
    result = _run(daemon, "exec", web, "/etc")
    assert (result.returncode, result.stdout) == (126, EXEC_ERROR.format('exec: "/etc": permission denied'))


def test_docker_py_exec_run_of_a_missing_command(daemon: Pymobyd, web: str) -> None:
    client = docker.DockerClient(base_url=daemon.host)
    try:
        container = client.containers.get(web)
        exit_code, output = container.exec_run("nosuch")
        assert (exit_code, output.decode()) == (126, EXEC_ERROR.format(NOT_FOUND))
        exit_code, (out, err) = container.exec_run("nosuch", demux=True)
        assert (exit_code, out.decode(), err) == (126, EXEC_ERROR.format(NOT_FOUND), None)
        created = client.api.exec_create(web, ["nosuch"])
        client.api.exec_start(created["Id"])
        inspected = client.api.exec_inspect(created["Id"])
        assert (inspected["ExitCode"], inspected["Running"], inspected["Pid"]) == (126, False, 0)
        assert container.exec_run("echo still fine") == (0, b"still fine\n")
    finally:
        client.close()
