"""run -it and exec -it in a real pseudo-terminal: typing, resize, detach keys, attach back, exit codes."""

from __future__ import annotations

import time
from typing import Any

import pexpect
import pytest

pytestmark = pytest.mark.root


def _spawn(clis: Any, python: str, *args: str, rows: int = 30, cols: int = 100) -> pexpect.spawn:
    return pexpect.spawn(python, ["-m", "pymoby.cli", *args], env=clis.env(), timeout=30, dimensions=(rows, cols))


def test_run_it_types_resizes_detaches_and_attaches_back(clis: Any, python: str) -> None:
    child = _spawn(clis, python, "run", "-it", "--name", "tty1", "--network", "none", "busybox", "sh")
    child.expect(r"# ")
    child.sendline("echo typed-$((6*7))")
    child.expect("typed-42")
    child.sendline("stty size")
    child.expect("30 100")
    child.setwinsize(42, 120)
    time.sleep(0.5)  # the SIGWINCH reaches us, then the resize reaches the container
    child.sendline("stty size")
    child.expect("42 120")
    child.sendcontrol("p")
    child.sendcontrol("q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert clis.pymoby("inspect", "-f", "{{.State.Running}}", "tty1").out == "true\n"
    back = _spawn(clis, python, "attach", "tty1")
    back.sendline("echo back-$((1+1))")
    back.expect("back-2")
    back.sendline("exit 3")
    back.expect(pexpect.EOF)
    back.close()
    assert back.exitstatus == 3
    assert clis.pymoby("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "tty1").out == "exited 3\n"
    assert clis.pymoby("rm", "tty1").code == 0


def test_custom_detach_keys_and_attach_detach_message(clis: Any, python: str) -> None:
    child = _spawn(clis, python, "run", "-it", "--detach-keys", "ctrl-x,x", "--name", "tty2", "--network", "none",
                   "busybox", "sh")  # fmt: skip
    child.expect(r"# ")
    child.sendcontrol("x")
    child.send("x")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    back = _spawn(clis, python, "attach", "tty2")
    # Only the container's answer proves pymoby is attached with the terminal raw (typed-ahead text is
    # echoed by the local terminal, and a ctrl-q typed before raw mode is eaten as XON).
    back.sendline("echo still-$((2+2))")
    back.expect("still-4")
    back.sendcontrol("p")
    back.sendcontrol("q")
    back.expect("read escape sequence")
    back.expect(pexpect.EOF)
    back.close()
    assert back.exitstatus == 1
    assert clis.pymoby("rm", "-f", "tty2").code == 0


def test_exec_it_and_run_rm_exit_code(clis: Any, python: str) -> None:
    assert clis.pymoby("run", "-d", "--name", "tty3", "--network", "none", "busybox", "sleep", "1000").code == 0
    child = _spawn(clis, python, "exec", "-it", "tty3", "sh", rows=25, cols=90)
    child.expect(r"# ")
    child.sendline("stty size; echo in-exec")
    child.expect("25 90")
    child.expect("in-exec")
    child.sendline("exit 5")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 5
    assert clis.pymoby("rm", "-f", "tty3").code == 0
    run = _spawn(clis, python, "run", "-it", "--rm", "--network", "none", "busybox", "sh", "-c", "exit 4")
    run.expect(pexpect.EOF)
    run.close()
    assert run.exitstatus == 4


def test_ctrl_c_without_a_tty_is_forwarded_to_the_container(clis: Any, python: str) -> None:
    child = pexpect.spawn(python, ["-m", "pymoby.cli", "run", "--rm", "--network", "none", "--name", "sig1",
                                   "busybox", "sh", "-c", "trap 'echo got-int; exit 9' INT; echo ready; "
                                   "while true; do sleep 0.1; done"], env=clis.env(), timeout=30)  # fmt: skip
    child.expect("ready")
    child.kill(2)  # SIGINT to pymoby, as Ctrl-C would
    child.expect("got-int")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 9
