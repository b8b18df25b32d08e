"""Interactive use from a real terminal (a pty driven by pexpect).

``run -it``, ``start -ai``, ``attach``, ``exec -it``, detach keys.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pexpect
import pytest
from support.pymobyd import Pymobyd

pytestmark = pytest.mark.root

PROMPT = "READY> "


def spawn(daemon: Pymobyd, *args: str) -> pexpect.spawn:
    child = pexpect.spawn("docker", list(args), env=daemon.env(), timeout=20, encoding="utf-8", dimensions=(30, 100))
    return child


@pytest.fixture
def terminal() -> Iterator[list[pexpect.spawn]]:
    children: list[pexpect.spawn] = []
    yield children
    for child in children:
        child.close(force=True)


def _state(daemon: Pymobyd, name: str) -> dict[str, object]:
    data: dict[str, object] = json.loads(daemon.docker("inspect", "-f", "{{json .State}}", name).stdout)
    return data


def test_run_it_gives_a_shell_with_a_tty(daemon: Pymobyd, terminal: list[pexpect.spawn]) -> None:
    child = spawn(daemon, "run", "-it", "--rm", "--network", "none", "-e", f"PS1={PROMPT}", "busybox", "sh")
    terminal.append(child)
    child.expect_exact(PROMPT)
    child.sendline("tty; stty size; echo $TERM")
    child.expect(r"/dev/pts/\d+")
    child.expect(r"30 100")
    child.expect_exact("xterm")
    child.expect_exact(PROMPT)
    child.sendline("exit 5")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 5


def test_detach_keys_leave_the_container_running(daemon: Pymobyd, terminal: list[pexpect.spawn]) -> None:
    child = spawn(
        daemon, "run", "-it", "--name", "detach-me", "--network", "none", "-e", f"PS1={PROMPT}", "busybox", "sh"
    )
    terminal.append(child)
    try:
        child.expect_exact(PROMPT)
        child.send("\x10\x11")  # ctrl-p ctrl-q
        child.expect(pexpect.EOF)
        assert _state(daemon, "detach-me")["Running"] is True
        # docker attach brings the same shell back; custom keys detach it again.
        again = spawn(daemon, "attach", "--detach-keys", "ctrl-x,x", "detach-me")
        terminal.append(again)
        again.sendline("echo back-$((40+2))")
        again.expect_exact("back-42")
        again.send("\x18x")
        again.expect(pexpect.EOF)
        assert _state(daemon, "detach-me")["Running"] is True
    finally:
        daemon.docker("rm", "-f", "detach-me")


def test_start_ai_attaches_stdin_and_output(daemon: Pymobyd, terminal: list[pexpect.spawn]) -> None:
    daemon.docker("create", "-it", "--name", "startai", "--network", "none", "-e", f"PS1={PROMPT}", "busybox", "sh")
    try:
        child = spawn(daemon, "start", "-ai", "startai")
        terminal.append(child)
        child.expect_exact(PROMPT)
        child.sendline("echo hello-from-start")
        child.expect_exact("hello-from-start")
        child.sendline("exit 0")
        child.expect(pexpect.EOF)
        deadline = time.monotonic() + 10
        while _state(daemon, "startai")["Running"] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _state(daemon, "startai")["ExitCode"] == 0
    finally:
        daemon.docker("rm", "-f", "startai")


def test_exec_it_in_a_running_container(daemon: Pymobyd, terminal: list[pexpect.spawn]) -> None:
    daemon.docker("run", "-d", "--name", "execit", "--network", "none", "busybox", "sleep", "1000")
    try:
        child = spawn(daemon, "exec", "-it", "-e", f"PS1={PROMPT}", "-w", "/tmp", "execit", "sh")
        terminal.append(child)
        child.expect_exact(PROMPT)
        child.sendline("pwd; tty")
        child.expect_exact("/tmp")
        child.expect(r"/dev/pts/\d+")
        child.sendline("exit 4")
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 4
    finally:
        daemon.docker("rm", "-f", "execit")
