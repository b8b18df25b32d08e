"""Container commands over the fake Engine API: output, requests sent, exit codes."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest


def _run_detached(cli: Any, *args: str) -> str:
    result = cli("run", "-d", *args)
    assert result.exit_code == 0, result.stderr
    return str(result.stdout.strip())


def test_run_detached_prints_the_id_and_sends_dockers_create_body(cli: Any, engine: Any) -> None:
    container_id = _run_detached(cli, "--name", "web", "-e", "A=1", "-p", "8080:80", "busybox", "sleep", "9")
    assert len(container_id) == 64
    create = engine.seen("POST", "/containers/create")[0]
    assert create.q("name") == "web"
    body = create.json()
    assert (body["Image"], body["Cmd"], body["Env"]) == ("busybox", ["sleep", "9"], ["A=1"])
    assert (body["AttachStdout"], body["AttachStderr"]) == (False, False)
    assert body["HostConfig"]["PortBindings"] == {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}
    assert engine.seen("POST", f"/containers/{container_id}/start")


def test_run_attached_streams_output_and_exits_with_the_containers_code(cli: Any, engine: Any) -> None:
    result = cli("run", "--name", "hello", "busybox", "echo", "hello", "world")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "hello world\n", "")
    failing = cli("run", "busybox", "fail", "3")
    assert (failing.exit_code, failing.stdout, failing.stderr) == (3, "", "failing\n")
    # The wait was registered (next-exit) before the container was started.
    paths = [(r.method, r.path) for r in engine.requests if r.path.startswith("/containers/fake_")]
    assert not paths
    order = [r.path.rsplit("/", 1)[-1] for r in engine.requests if r.method == "POST" and "/containers/" in r.path]
    assert order[:4] == ["create", "attach", "wait", "start"]
    assert engine.seen("POST", r"/containers/[0-9a-f]+/wait")[0].q("condition") == "next-exit"


def test_run_with_stdin_and_rm(cli: Any, engine: Any) -> None:
    result = cli("run", "-i", "--rm", "busybox", "cat", input="line one\nline two\n")
    assert (result.exit_code, result.stdout) == (0, "line one\nline two\n")
    assert engine.seen("POST", r"/containers/[0-9a-f]+/wait")[0].q("condition") == "removed"
    assert engine.containers == {}


@pytest.mark.parametrize(
    ("command", "status", "text"),
    [("nosuch", 127, "executable file not found"), ("/etc", 126, "permission denied")],
)
def test_run_exit_codes_for_commands_that_cannot_run(cli: Any, command: str, status: int, text: str) -> None:
    result = cli("run", "busybox", command)
    assert result.exit_code == status
    assert result.stderr.startswith("pymoby: Error response from daemon: ")
    assert text in result.stderr
    assert result.stderr.endswith("\n\nRun 'pymoby run --help' for more information\n")


def test_run_pulls_a_missing_image_then_runs(cli: Any, engine: Any) -> None:
    result = cli("run", "alpine:3", "echo", "pulled")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "pulled\n"
    assert result.stderr.startswith("Unable to find image 'alpine:3' locally\n3: Pulling from library/alpine\n")
    assert "Status: Downloaded newer image for alpine:3\n" in result.stderr
    assert engine.pulled == ["docker.io/library/alpine:3|e30="]
    assert len(engine.seen("POST", "/containers/create")) == 2


def test_run_with_pull_never_and_bad_policy(cli: Any, engine: Any) -> None:
    missing = cli("run", "--pull", "never", "alpine", "true")
    assert missing.exit_code == 125
    assert "No such image: alpine:latest" in missing.stderr
    assert engine.pulled == []
    bad = cli("run", "--pull", "bogus", "busybox", "true")
    assert bad.exit_code == 125
    assert bad.stderr.startswith("""pymoby: invalid pull option: 'bogus': must be one of "always", "missing" or""")


def test_run_usage_errors(cli: Any) -> None:
    assert cli("run").stderr == (
        "pymoby: 'pymoby run' requires at least 1 argument\n\nUsage:  pymoby run [OPTIONS] IMAGE [COMMAND] [ARG...]"
        "\n\nSee 'pymoby run --help' for more information\n"
    )
    assert cli("run").exit_code == 1
    unknown = cli("run", "--bogus", "busybox")
    assert unknown.exit_code == 125
    assert unknown.stderr.startswith("unknown flag: --bogus\n\nUsage:  pymoby run [OPTIONS] IMAGE")
    bad_value = cli("run", "-m", "12x", "busybox")
    assert bad_value.exit_code == 125
    assert bad_value.stderr.startswith('invalid argument "12x" for "-m, --memory" flag: invalid suffix: \'x\'')
    conflict = cli("run", "--rm", "--restart", "always", "busybox")
    assert conflict.exit_code == 125
    assert "conflicting options: cannot specify both --restart and --rm" in conflict.stderr
    tty = cli("run", "-it", "busybox", "sh")
    assert (tty.exit_code, tty.stderr) == (1, "the input device is not a TTY\n")


def test_run_accepts_pflag_style_booleans_and_interspersed_command_flags(cli: Any, engine: Any) -> None:
    result = cli("run", "--rm=true", "--sig-proxy=false", "busybox", "echo", "-n", "--flag")
    assert (result.exit_code, result.stdout) == (0, "-n --flag\n")
    assert engine.seen("POST", "/containers/create")[0].json()["HostConfig"]["AutoRemove"] is True


def test_create_prints_the_id_and_warnings(cli: Any, engine: Any) -> None:
    result = cli("create", "--name", "warn", "busybox")
    assert result.exit_code == 0
    assert len(result.stdout.strip()) == 64
    assert result.stderr == "WARNING: fake create warning\n"
    conflict = cli("create", "--name", "warn", "busybox")
    assert conflict.exit_code == 1
    assert conflict.stderr.startswith('Error response from daemon: Conflict. The container name "/warn"')


def test_ps_table_quiet_json_and_formats(cli: Any, engine: Any) -> None:
    first = _run_detached(cli, "--name", "one", "-l", "tier=front", "busybox", "sleep", "9")
    cli("create", "--name", "two", "busybox")
    table = cli("ps").stdout.splitlines()
    assert table[0].split() == ["CONTAINER", "ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]
    assert len(table) == 2
    assert table[1].startswith(first[:12] + '   busybox   "sleep 9"')
    assert cli("ps", "-aq").stdout.split() == [c[:12] for c in sorted(engine.containers, reverse=True)]
    assert cli("ps", "-a", "--no-trunc", "-q").stdout.split() == sorted(engine.containers, reverse=True)
    rows = [json.loads(line) for line in cli("ps", "--format", "json").stdout.splitlines()]
    assert rows[0]["Names"] == "one"
    assert rows[0]["Labels"] == "tier=front"
    assert rows[0]["Platform"] is None
    custom = cli("ps", "-a", "--format", 'table {{.Names}}\t{{.Label "tier"}}\t{{.State}}')
    # Docker's header for .Label "k" is the label's last dotted part, as typed.
    assert custom.stdout == "NAMES     tier      STATE\ntwo                 created\none       front     running\n"
    assert engine.seen("GET", "/containers/json")[-1].q("size") == ""
    cli("ps", "--format", "{{.Size}}")
    assert engine.seen("GET", "/containers/json")[-1].q("size") == "1"
    warn = cli("ps", "-q", "--format", "{{.Names}}")
    assert warn.stderr == "WARNING: Ignoring custom format, because both --format and --quiet are set.\n"


def test_ps_template_errors(cli: Any) -> None:
    bad_field = cli("ps", "--format", "{{.Foo}}")
    assert bad_field.exit_code == 1
    assert bad_field.stderr == (
        'failed to execute template: template: :1:2: executing "" at <.Foo>: can\'t evaluate field Foo in type '
        "*formatter.ContainerContext\n"
    )
    unclosed = cli("ps", "--format", "{{.ID")
    assert unclosed.stderr == "failed to parse template: template: :1: unclosed action\n"
    bad_filter = cli("ps", "--filter", "nope")
    assert bad_filter.exit_code == 125


def test_lifecycle_commands_over_several_containers(cli: Any, engine: Any) -> None:
    _run_detached(cli, "--name", "a", "busybox", "sleep", "9")
    _run_detached(cli, "--name", "b", "busybox", "sleep", "9")
    result = cli("stop", "-t", "3", "a", "missing", "b")
    assert (result.exit_code, result.stdout) == (1, "a\nb\n")
    assert result.stderr == "Error response from daemon: No such container: missing\n"
    assert engine.seen("POST", r"/containers/a/stop")[0].q("t") == "3"
    assert cli("start", "a", "b").stdout == "a\nb\n"
    start_missing = cli("start", "a", "nope")
    assert start_missing.stderr == (
        "Error response from daemon: No such container: nope\nError: failed to start containers: nope\n"
    )
    assert cli("kill", "-s", "HUP", "a").stdout == "a\n"
    assert engine.seen("POST", r"/containers/a/kill")[0].q("signal") == "HUP"
    assert cli("restart", "a").stdout == "a\n"
    remove = cli("rm", "a", "b", "ghost")
    assert remove.exit_code == 1
    assert remove.stderr.startswith("Error response from daemon: You cannot remove a running container")
    assert "No such container: ghost" in remove.stderr
    forced = cli("rm", "-f", "-v", "a", "ghost")
    assert (forced.exit_code, forced.stdout) == (0, "a\n")
    assert forced.stderr == "Error response from daemon: No such container: ghost\n"
    assert engine.seen("DELETE", r"/containers/a")[-1].q("v") == "1"
    assert cli("pause", "b").stdout == "b\n"
    twice = cli("pause", "b")
    assert twice.exit_code == 1
    assert "is not running" in twice.stderr
    assert cli("unpause", "b").stdout == "b\n"
    assert cli("rename", "b", "c").exit_code == 0
    failed = cli("rename", "b", "d")
    assert (
        failed.stderr == "Error response from daemon: No such container: b\nError: failed to rename container named b\n"
    )
    update = cli("update", "--memory", "64m", "--restart", "on-failure:2", "c")
    assert update.stdout == "c\n"
    body = engine.seen("POST", r"/containers/c/update")[0].json()
    assert (body["Memory"], body["RestartPolicy"]) == (64 << 20, {"Name": "on-failure", "MaximumRetryCount": 2})
    no_flags = cli("update", "c")
    assert no_flags.stderr == "you must provide one or more flags when using this command\n"


def test_logs_wait_top_port_diff_and_inspect(cli: Any, engine: Any) -> None:
    cli("run", "--name", "done", "busybox", "fail", "4")
    logs = cli("logs", "done")
    assert (logs.stdout, logs.stderr) == ("", "failing\n")
    assert engine.seen("GET", r"/containers/[0-9a-f]+/logs")[0].query["tail"] == ["all"]
    cli("logs", "-f", "-t", "--since", "1700000000", "--tail", "5", "done")
    query = engine.seen("GET", r"/containers/[0-9a-f]+/logs")[-1].query
    assert (query["follow"], query["timestamps"], query["since"], query["tail"]) == (
        ["1"],
        ["1"],
        ["1700000000"],
        ["5"],
    )
    assert cli("wait", "done").stdout == "4\n"
    assert cli("wait", "nope").stderr == "Error response from daemon: No such container: nope\n"
    assert cli("top", "done").stdout == (
        "UID                 PID                 PPID                C                   STIME               TTY"
        "                 TIME                CMD\nroot                4242                4200                0"
        "                   10:00               ?                   00:00:00            fail 4\n"
    )
    assert cli("port", "done").stdout == "80/tcp -> 0.0.0.0:8080\n"
    assert cli("port", "done", "80").stdout == "0.0.0.0:8080\n"
    assert cli("port", "done", "53/udp").stderr == "Error: No public port '53/udp' published for done\n"
    assert cli("diff", "done").stdout == "C /etc\nA /etc/new\nD /tmp/gone\n"
    inspected = json.loads(cli("inspect", "done").stdout)
    assert inspected[0]["Name"] == "/done"
    assert cli("inspect", "-f", "{{.State.ExitCode}} {{.Name}}", "done").stdout == "4 /done\n"
    missing = cli("inspect", "done", "nope")
    assert missing.exit_code == 1
    assert missing.stderr == "Error: No such object: nope\n"
    typed = cli("container", "inspect", "nope")
    assert (typed.stdout, typed.stderr) == ("[]\n", "Error response from daemon: No such container: nope\n")
    assert cli("inspect", "-f", "{{.Bogus}}", "done").stderr.startswith("template parsing error: template: :1:2:")
    assert cli("inspect", "-f", "{{.Id", "done").exit_code == 64


def test_exec_streams_and_exits_with_the_exec_code(cli: Any, engine: Any) -> None:
    _run_detached(cli, "--name", "svc", "busybox", "sleep", "9")
    result = cli("exec", "-e", "X=1", "-w", "/tmp", "svc", "echo", "hi", "there")
    assert (result.exit_code, result.stdout) == (0, "hi there\n")
    create = engine.seen("POST", r"/containers/svc/exec")[0].json()
    assert (create["Cmd"], create["Env"], create["WorkingDir"], create["AttachStdin"]) == (
        ["echo", "hi", "there"], ["X=1"], "/tmp", False)  # fmt: skip
    assert cli("exec", "svc", "fail", "7").exit_code == 7
    assert cli("exec", "svc", "nosuch").exit_code == 127
    assert cli("exec", "-i", "svc", "cat", input="piped\n").stdout == "piped\n"
    detached = cli("exec", "-d", "svc", "echo", "x")
    assert (detached.exit_code, detached.stdout) == (0, "")
    assert engine.seen("POST", r"/exec/[x0-9]+/start")[-1].json() == {"Detach": True, "Tty": False}
    missing = cli("exec", "ghost", "true")
    assert missing.stderr == "Error response from daemon: No such container: ghost\n"
    assert not engine.seen("POST", r"/containers/ghost/exec")
    assert cli("exec", "svc").exit_code == 1


def test_attach_to_a_running_container(cli: Any, engine: Any) -> None:
    stopped = cli("create", "--name", "idle", "busybox")
    assert stopped.exit_code == 0
    refused = cli("attach", "idle")
    assert refused.stderr == "You cannot attach to a stopped container, start it first\n"
    cli("run", "-d", "-i", "--name", "echoer", "busybox", "cat")
    result = cli("attach", "echoer", input="typed\n")
    assert (result.exit_code, result.stdout) == (0, "typed\n")


def test_stats_no_stream(cli: Any, engine: Any) -> None:
    _run_detached(cli, "--name", "busy", "busybox", "sleep", "9")
    result = cli("stats", "--no-stream", "busy")
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["CONTAINER", "ID", "NAME", "CPU", "%", "MEM", "USAGE", "/", "LIMIT", "MEM", "%",
                                "NET", "I/O", "BLOCK", "I/O", "PIDS"]  # fmt: skip
    assert lines[1].split()[1:] == ["busy", "40.00%", "2MiB", "/", "1GiB", "0.20%", "1.5kB", "/", "500B", "4.1kB",
                                    "/", "8.19kB", "3"]  # fmt: skip
    everything = cli("stats", "--no-stream", "--format", "{{.Name}}: {{.CPUPerc}}")
    assert everything.stdout == "busy: 40.00%\n"
    missing = cli("stats", "--no-stream", "ghost")
    assert missing.stderr == "Error response from daemon: No such container: ghost\n"


def test_cp_both_ways(cli: Any, engine: Any, tmp_path: Path) -> None:
    _run_detached(cli, "--name", "box", "busybox", "sleep", "9")
    out = tmp_path / "hostname"
    assert cli("cp", "box:/etc/hostname", str(out)).exit_code == 0
    assert out.read_bytes() == b"fake\n"
    into_dir = tmp_path / "dir"
    into_dir.mkdir()
    assert cli("cp", "box:/etc", str(into_dir)).exit_code == 0
    assert (into_dir / "etc" / "hostname").read_bytes() == b"fake\n"
    stream = cli("cp", "box:/etc/hostname", "-")
    with tarfile.open(fileobj=io.BytesIO(stream.stdout_bytes)) as tar:
        assert tar.getnames() == ["hostname"]
    local = tmp_path / "local.txt"
    local.write_text("from host\n")
    assert cli("cp", str(local), "box:/etc").exit_code == 0
    assert engine.containers[next(iter(engine.containers))].files["/etc/local.txt"] == b"from host\n"
    assert cli("cp", str(local), "box:/etc/renamed.txt").exit_code == 0
    assert engine.containers[next(iter(engine.containers))].files["/etc/renamed.txt"] == b"from host\n"
    missing = cli("cp", str(tmp_path / "nope"), "box:/etc")
    assert missing.exit_code == 1
    assert "no such file or directory" in missing.stderr
    assert cli("cp", "a:/x", "b:/y").stderr == "copying between containers is not supported\n"
    assert cli("cp", "/a", "/b").stderr == "must specify at least one container source\n"


def test_export_and_commit(cli: Any, engine: Any, tmp_path: Path) -> None:
    _run_detached(cli, "--name", "src", "busybox", "sleep", "9")
    assert cli("export", "src").stdout_bytes == b"TARDATA" * 10
    target = tmp_path / "out.tar"
    assert cli("export", "-o", str(target), "src").exit_code == 0
    assert target.read_bytes() == b"TARDATA" * 10
    result = cli("commit", "-m", "msg", "-c", 'CMD ["sh"]', "src", "me/snap:v1")
    assert result.stdout == "sha256:" + "e" * 64 + "\n"
    query = engine.seen("POST", "/commit")[0].query
    assert (query["repo"], query["tag"], query["comment"], query["changes"]) == (
        ["docker.io/me/snap"], ["v1"], ["msg"], ['CMD ["sh"]'])  # fmt: skip


def test_container_prune_asks_first(cli: Any, engine: Any) -> None:
    cli("run", "busybox", "echo", "x")
    declined = cli("container", "prune", input="n\n")
    assert declined.exit_code == 1
    assert (
        declined.stdout
        == "WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] "
    )
    assert len(engine.containers) == 1
    gone = next(iter(engine.containers))
    accepted = cli("container", "prune", input="y\n")
    assert f"Deleted Containers:\n{gone}\n" in accepted.stdout
    assert "Total reclaimed space: 1kB\n" in accepted.stdout
    assert engine.containers == {}
    forced = cli("container", "prune", "-f")
    assert forced.stdout == "Total reclaimed space: 0B\n"


def test_management_group_aliases(cli: Any, engine: Any) -> None:
    cli("create", "--name", "x", "busybox")
    for args in (("container", "ls", "-aq"), ("container", "list", "-aq"), ("container", "ps", "-aq"), ("ps", "-aq")):
        assert len(cli(*args).stdout.split()) == 1
    assert cli("container", "rm", "x").stdout == "x\n"
    unknown = cli("container", "bogus")
    assert unknown.stderr == (
        "pymoby: unknown command: pymoby container bogus\n\nUsage:  pymoby container\n\n"
        "Run 'pymoby container --help' for more information\n"
    )
