"""pymoby and the docker CLI, the same commands against the same pymobyd: same output, same exit codes.

Outputs are masked (IDs, times, durations, the program's own name) before
they are compared; stateful scenarios give each CLI its own object names
(``{me}``). What the daemon itself answers is the daemon's business: these
tests check that pymoby asks the same and shows the answer the same way.
"""

from __future__ import annotations

import json
import tarfile
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.root


@pytest.fixture(scope="module")
def web(clis: Any) -> str:
    """A running container made once for the module's read-only comparisons."""
    made = clis.docker("run", "-d", "--network", "none", "--name", "web", "-l", "tier=front", "-l", "com.x.y=2",
                       "-e", "FOO=bar", "busybox", "sh", "-c", "echo out; echo err >&2; sleep 1000")  # fmt: skip
    assert made.code == 0, made.err
    return "web"


@pytest.mark.parametrize(
    "args",
    [
        ("version", "--format", "{{.Server.Version}} {{.Server.APIVersion}} {{json .Server.Components}}"),
        ("info", "--format", "{{.Driver}} {{.OSType}} {{.NCPU}} {{.Images}} {{json .Plugins}}"),
        ("images",),
        ("images", "-q"),
        ("images", "--no-trunc"),
        ("images", "--digests"),
        ("images", "--format", "{{json .}}"),
        ("images", "--format", "table {{.Repository}}:{{.Tag}}\t{{.Size}}\t{{.CreatedSince}}"),
        ("image", "ls", "busybox"),
        ("history", "busybox"),
        ("history", "--no-trunc", "--format", "{{.ID}} {{.CreatedBy}} {{.Size}}", "busybox"),
        ("image", "inspect", "busybox"),
        ("image", "inspect", "-f", "{{.Os}}/{{.Architecture}} {{json .Config.Env}} {{.RepoTags}}", "busybox"),
        ("system", "df", "--format", "{{.Type}} {{.TotalCount}}"),
        ("volume", "ls"),
        ("network", "ls"),
        ("network", "inspect", "-f", "{{.Name}} {{.Driver}} {{.Scope}}", "none", "host"),
    ],
)
def test_read_only_commands(clis: Any, args: tuple[str, ...]) -> None:
    clis.same(*args)


@pytest.mark.parametrize(
    "args",
    [
        ("ps", "--format", "{{.Names}} {{.Image}} {{.Command}} {{.State}} {{.Labels}} {{.Networks}} {{.Mounts}}"),
        ("ps", "--format", '{{.ID}}\t{{.Label "tier"}}\t{{.Label "com.x.y"}}\t{{.Ports}}'),
        ("ps", "--format", "json"),
        ("ps", "-q"),
        ("ps", "-a", "--no-trunc", "--filter", "label=tier=front", "--format", "{{.ID}} {{.Names}}"),
        ("ps", "--filter", "name=web", "--format", "table {{.Names}}\t{{.Status}}"),
        ("ps", "--filter", "bogus=1"),
        ("ps", "--format", "{{.Foo}}"),
        ("ps", "--format", "{{.ID"),
        ("inspect", "web"),
        ("inspect", "--format", "{{.State.Status}} {{.Name}} {{.Config.Image}} {{json .Config.Labels}}", "web"),
        ("inspect", "-f", '{{index .Config.Labels "tier"}} {{.Config.Labels.missing}} {{join .Config.Env ","}}', "web"),
        ("inspect", "-f", "{{range .Config.Env}}[{{.}}]{{end}} {{len .Args}} {{.HostConfig.NetworkMode}}", "web"),
        ("inspect", "-f", "{{.Nope}}", "web"),
        ("inspect", "-f", "{{.Id", "web"),
        ("inspect", "-f", "{{.Id}} {{.ID}} {{json .State.Running}} {{json .HostConfig.RestartPolicy}}", "web"),
        ("inspect", "web", "nosuch"),
        ("container", "inspect", "nosuch"),
        ("inspect", "--type", "bogus", "web"),
        ("logs", "web"),
        ("logs", "--tail", "1", "web"),
        ("top", "web", "-o", "pid,args"),
        ("port", "web"),
        ("port", "web", "80"),
        ("diff", "web"),
        ("exec", "web", "echo", "hello"),
        ("exec", "-e", "X=1", "-w", "/tmp", "web", "sh", "-c", "pwd; echo $X $FOO"),
        ("exec", "web", "sh", "-c", "exit 7"),
        ("exec", "web", "nosuchcommand"),
        ("exec", "-u", "nobody", "web", "id", "-u"),
        ("stats", "--no-stream", "--format", "{{.Name}} {{.ID}}", "web"),
    ],
)
def test_container_read_commands(clis: Any, web: str, args: tuple[str, ...]) -> None:
    clis.same(*args)


@pytest.mark.parametrize(
    "args",
    [
        ("logs", "nosuch"), ("stop", "nosuch"), ("start", "nosuch"), ("kill", "nosuch"), ("rm", "nosuch", "other"),
        ("restart", "nosuch"), ("pause", "nosuch"), ("wait", "nosuch"), ("top", "nosuch"),
        ("rename", "nosuch", "x"), ("exec", "nosuch", "true"), ("attach", "nosuch"), ("diff", "nosuch"),
        ("export", "nosuch"), ("update", "--cpu-shares", "2", "nosuch"), ("rmi", "nosuch"),
        ("history", "nosuch"), ("image", "inspect", "nosuch"), ("volume", "inspect", "nosuch"),
        ("volume", "rm", "nosuch"), ("tag", "nosuch", "x"), ("port", "nosuch"),
    ],
)  # fmt: skip
def test_missing_objects_fail_alike(clis: Any, args: tuple[str, ...]) -> None:
    outcome = clis.same(*args)
    assert outcome.code != 0


def test_forced_removal_of_a_missing_container_is_not_an_error(clis: Any) -> None:
    outcome = clis.same("rm", "-f", "nosuch")
    assert (outcome.code, outcome.err) == (0, "Error response from daemon: No such container: nosuch\n")


@pytest.mark.parametrize(
    "args",
    [
        ("run",), ("stop",), ("ps", "extra"), ("logs",), ("run", "--bogus", "busybox"), ("ps", "--bogus"),
        ("bogus",), ("container", "bogus"), ("run", "--network", "none", "-m", "12x", "busybox"),
        ("run", "--network", "none", "--pull", "bogus", "busybox"), ("run", "--rm", "--restart", "always", "busybox"),
        ("run", "-it", "--network", "none", "busybox", "sh"), ("update", "web"),
    ],
)  # fmt: skip
def test_usage_errors_alike(clis: Any, web: str, args: tuple[str, ...]) -> None:
    outcome = clis.same(*args)
    assert outcome.code in (1, 125)


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("run", "--rm", "--network", "none", "busybox", "echo", "hello", "world"), 0),
        (("run", "--rm", "--network", "none", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3"), 3),
        (("run", "--rm", "--network", "none", "-e", "A=1", "-w", "/tmp", "-u", "nobody", "busybox", "sh", "-c",
          "echo $A $(pwd) $(id -u)"), 0),
        (("run", "--rm", "--network", "none", "--entrypoint", "echo", "busybox", "entry"), 0),
        (("run", "--network", "none", "busybox", "nosuch"), 127),
        (("run", "--network", "none", "busybox", "/etc"), 126),
        (("run", "--rm", "--network", "none", "--pull", "never", "nosuchimage:1"), 125),
        (("run", "--rm", "--network", "none", "-i", "busybox", "cat"), 0),
        (("run", "--rm", "--network", "none", "-a", "stderr", "busybox", "sh", "-c", "echo o; echo e >&2"), 0),
    ],
)  # fmt: skip
def test_run_alike(clis: Any, args: tuple[str, ...], code: int) -> None:
    outcome = clis.same(*args, input=b"piped in\n")
    assert outcome.code == code


def test_run_detached_then_the_life_cycle(clis: Any) -> None:
    for tool in ("docker", "pymoby"):
        started = clis.run(tool, "run", "-d", "--network", "none", "--name", "life-{me}", "busybox", "sleep", "1000")
        assert (started.code, started.out) == (0, "<ID>\n"), started
    clis.same("ps", "--filter", "name=life-{me}", "--format", "{{.Names}} {{.State}} {{.Command}}")
    clis.same("pause", "life-{me}")
    clis.same("inspect", "-f", "{{.State.Status}} {{.State.Paused}}", "life-{me}")
    clis.same("pause", "life-{me}")
    clis.same("unpause", "life-{me}")
    clis.same("update", "--cpu-shares", "512", "--memory", "64m", "--restart", "on-failure:2", "life-{me}")
    clis.same("inspect", "-f", "{{.HostConfig.CpuShares}} {{.HostConfig.Memory}} {{json .HostConfig.RestartPolicy}}",
              "life-{me}")  # fmt: skip
    clis.same("rename", "life-{me}", "renamed-{me}")
    clis.same("kill", "-s", "KILL", "renamed-{me}")
    clis.same("wait", "renamed-{me}")
    clis.same("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "renamed-{me}")
    clis.same("start", "renamed-{me}")
    clis.same("restart", "-t", "1", "renamed-{me}")
    clis.same("stop", "-t", "1", "renamed-{me}")
    clis.same("rm", "renamed-{me}")
    clis.same("rm", "renamed-{me}")


def test_create_start_attached_and_rm(clis: Any) -> None:
    for tool in ("docker", "pymoby"):
        assert clis.run(tool, "create", "--network", "none", "--name", "made-{me}", "busybox", "sh", "-c",
                        "echo made; exit 4").code == 0  # fmt: skip
    clis.same("ps", "-a", "--filter", "name=made-{me}", "--format", "{{.Names}} {{.State}} {{.Status}}")
    clis.same("start", "-a", "made-{me}")
    clis.same("logs", "made-{me}")
    clis.same("wait", "made-{me}")
    clis.same("container", "prune", "--filter", "label=none", "-f")
    clis.same("rm", "-v", "made-{me}")


def test_export_and_commit(clis: Any, tmp_path: Path) -> None:
    for tool in ("docker", "pymoby"):
        made = clis.run(tool, "run", "-d", "--network", "none", "--name", "files-{me}", "busybox", "sleep", "1000")
        assert made.code == 0
    clis.same("exec", "files-{me}", "sh", "-c", "echo changed > /tmp/greeting.txt")
    exported = {}
    for tool in ("docker", "pymoby"):
        out = tmp_path / f"{tool}.tar"
        assert clis.run(tool, "export", "-o", str(out), "files-{me}").code == 0
        with tarfile.open(out) as tar:
            exported[tool] = sorted(n for n in tar.getnames() if not n.startswith(("etc/hostname", "etc/hosts")))
    assert exported["pymoby"] == exported["docker"]
    for tool in ("docker", "pymoby"):
        committed = clis.run(tool, "commit", "-m", "snap", "-c", "ENV SNAP=1", "files-{me}", "snap-{me}:v1")
        assert (committed.code, committed.out) == (0, "<ID>\n"), committed
    clis.same("image", "inspect", "-f", "{{.Comment}} {{json .Config.Env}} {{.RepoTags}}", "snap-{me}:v1")
    clis.same("rm", "-f", "files-{me}")
    for tool in ("docker", "pymoby"):  # a layer both commits made alike goes with the image removed last
        removed = clis.run(tool, "rmi", "snap-{me}:v1")
        assert (removed.code, removed.out.splitlines()[:2]) == (0, ["Untagged: snap-{me}:v1", "Deleted: <ID>"]), removed


def test_tag_save_load_and_rmi(clis: Any, tmp_path: Path) -> None:
    clis.same("tag", "busybox", "copy-{me}:1")
    clis.same("images", "--format", "{{.Repository}}:{{.Tag}}", "copy-{me}")
    for tool in ("docker", "pymoby"):
        assert clis.run(tool, "save", "-o", str(tmp_path / f"{tool}.tar"), "copy-{me}:1").code == 0
    assert clis.same("rmi", "copy-{me}:1").out == "Untagged: copy-{me}:1\n"
    for tool in ("docker", "pymoby"):
        loaded = clis.run(tool, "load", "-i", str(tmp_path / f"{tool}.tar"))
        assert (loaded.code, loaded.out) == (0, "Loaded image: copy-{me}:1\n"), loaded
    with tarfile.open(tmp_path / "pymoby.tar") as ours, tarfile.open(tmp_path / "docker.tar") as theirs:
        assert sorted(ours.getnames()) == sorted(theirs.getnames())
    clis.same("rmi", "copy-{me}:1")
    clis.same("tag", "busybox", "bad@sha256:" + "1" * 64)


def test_events_alike(clis: Any) -> None:
    for tool in ("docker", "pymoby"):
        assert clis.run(tool, "create", "--network", "none", "--name", "evt-{me}", "busybox").code == 0
    # Both CLIs send `--until 0s` as whole seconds (Go's GetTimestamp): the creates must be a second old.
    time.sleep(1.1)
    docker_events = clis.docker("events", "--since", "5m", "--until", "0s", "--filter", "container=evt-d",
                                "--format", "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}")  # fmt: skip
    pymoby_events = clis.pymoby("events", "--since", "5m", "--until", "0s", "--filter", "container=evt-p",
                                "--format", "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}")  # fmt: skip
    assert pymoby_events == docker_events
    assert pymoby_events.out == "container create evt-{me}\n"
    plain = clis.pymoby("events", "--since", "5m", "--until", "0s", "--filter", "container=evt-p")
    assert plain.out.startswith("<TIME> container create <ID> (image=busybox, name=evt-{me})")
    clis.same("rm", "evt-{me}")


def test_json_of_ps_names_every_docker_field(clis: Any, web: str) -> None:
    ours = json.loads(clis.pymoby("ps", "--filter", "name=web", "--format", "{{json .}}").out)
    theirs = json.loads(clis.docker("ps", "--filter", "name=web", "--format", "{{json .}}").out)
    assert sorted(ours) == sorted(theirs)
    assert ours == theirs
