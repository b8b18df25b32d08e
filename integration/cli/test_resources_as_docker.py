"""Volumes, networks, published ports, cp and build: pymoby and the docker CLI against one pymobyd.

Each scenario runs the same commands through both CLIs (``{me}`` names
their own objects) and compares what a user sees: output, exit status and
the state left in the daemon.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.root


def test_volume_life_cycle_alike(clis: Any) -> None:
    for tool in ("docker", "pymoby"):
        made = clis.run(tool, "volume", "create", "--label", "k=v", "-o", "type=tmpfs", "-o", "device=tmpfs",
                        "vol-{me}")  # fmt: skip
        assert (made.code, made.out) == (0, "vol-{me}\n"), made
    clis.same("volume", "ls", "--filter", "name=vol-{me}")
    clis.same("volume", "ls", "-q", "--filter", "label=k=v", "--filter", "name=vol-{me}")
    clis.same("volume", "ls", "--format", "{{.Name}} {{.Driver}} {{.Labels}} {{.Mountpoint}}", "-f", "name=vol-{me}")
    clis.same("volume", "inspect", "-f", "{{.Name}} {{.Driver}} {{json .Labels}} {{json .Options}}", "vol-{me}")
    theirs, ours = clis.both("volume", "inspect", "vol-{me}")
    assert ours.code == theirs.code == 0
    assert ours.out.replace("/p/", "/d/") == theirs.out.replace("/p/", "/d/")
    clis.same("volume", "create", "--name", "a", "b")
    clis.same("volume", "rm", "vol-{me}")
    clis.same("volume", "rm", "vol-{me}")
    clis.same("volume", "ls", "-q", "--filter", "name=vol-{me}")


def test_volume_prune_alike(clis: Any) -> None:
    for tool in ("docker", "pymoby"):
        assert clis.run(tool, "volume", "create", "--label", "prune={me}", "gone-{me}").code == 0
    clis.same("volume", "prune", "-f", "--filter", "label=prune={me}")
    clis.same("volume", "ls", "-q", "--filter", "label=prune={me}")


def test_run_with_volumes_and_mounts_alike(clis: Any, tmp_path: Path) -> None:
    host = tmp_path / "shared"
    host.mkdir()
    (host / "hello.txt").write_text("from the host\n")
    for tool in ("docker", "pymoby"):
        assert clis.run(tool, "volume", "create", "data-{me}").code == 0
    clis.same("run", "--rm", "--network", "none", "-v", "data-{me}:/data", "busybox", "sh", "-c",
              "echo kept > /data/f; cat /data/f")  # fmt: skip
    clis.same("run", "--rm", "--network", "none", "--mount", "type=volume,source=data-{me},target=/v,readonly",
              "busybox", "sh", "-c", "cat /v/f; touch /v/x 2>/dev/null || echo read-only")  # fmt: skip
    clis.same("run", "--rm", "--network", "none", "-v", f"{host}:/h:ro", "busybox", "cat", "/h/hello.txt")
    clis.same("run", "--rm", "--network", "none", "--mount", f"type=bind,src={host},dst=/b", "busybox", "ls", "/b")
    clis.same("run", "--rm", "--network", "none", "--mount", "type=tmpfs,dst=/t,tmpfs-size=1m", "busybox", "sh",
              "-c", "grep -c ' /t tmpfs' /proc/mounts")  # fmt: skip
    for tool in ("docker", "pymoby"):
        made = clis.run(tool, "create", "--network", "none", "--name", "mnt-{me}", "-v", "data-{me}:/data",
                        "-v", f"{host}:/h", "--mount", "type=tmpfs,dst=/t", "busybox")  # fmt: skip
        assert made.code == 0, made
    mounts = {}
    for tool in ("docker", "pymoby"):  # the daemon lists mounts in no particular order
        template = "{{range .Mounts}}{{.Type}} {{.Name}} {{.Destination}} {{.RW}};{{end}}"
        listed = clis.run(tool, "inspect", "-f", template, "mnt-{me}")
        assert listed.code == 0, listed
        mounts[tool] = sorted(listed.out.strip().split(";"))
    assert (
        mounts["pymoby"] == mounts["docker"] == ["", "bind  /h true", "tmpfs  /t true", "volume data-{me} /data true"]
    )
    binds = {}
    for tool in ("docker", "pymoby"):  # the docker CLI sends its -v binds in (Go map) random order
        listed = clis.run(tool, "inspect", "-f", "{{range .HostConfig.Binds}}{{.}} {{end}}{{len .HostConfig.Mounts}}",
                          "mnt-{me}")  # fmt: skip
        binds[tool] = sorted(listed.out.split())
    assert binds["pymoby"] == binds["docker"] == sorted(["1", f"{host}:/h", "data-{me}:/data"])
    shown = {}
    for tool in ("docker", "pymoby"):
        listed = clis.run(tool, "ps", "-a", "--filter", "name=mnt-{me}", "--format", "{{.Mounts}}")
        shown[tool] = sorted(listed.out.strip().split(","))
    assert shown["pymoby"] == shown["docker"]
    clis.same("volume", "rm", "data-{me}")
    clis.same("rm", "-v", "mnt-{me}")
    clis.same("volume", "rm", "data-{me}")
    clis.same("run", "--rm", "--network", "none", "--mount", "type=bogus,dst=/x", "busybox")
    clis.same("run", "--rm", "--network", "none", "-v", "relative/path:/x", "busybox")


def test_network_life_cycle_alike(clis: Any) -> None:
    subnets = {"docker": "10.231.1.0/24", "pymoby": "10.231.2.0/24"}
    for tool in ("docker", "pymoby"):
        made = clis.run(tool, "network", "create", "--subnet", subnets[tool], "--label", "n=lab-{me}", "net-{me}")
        assert (made.code, made.out) == (0, "<ID>\n"), made
    clis.same("network", "ls", "--filter", "name=net-{me}", "--format", "{{.Name}} {{.Driver}} {{.Scope}} {{.Labels}}")
    theirs, ours = clis.both("network", "ls", "--filter", "label=n=lab-{me}")
    assert (ours.code, ours.out, ours.err) == (theirs.code, theirs.out, theirs.err)
    clis.same("network", "inspect", "-f", "{{.Name}} {{.Driver}} {{.Internal}} {{json .Labels}} {{len .IPAM.Config}}",
              "net-{me}")  # fmt: skip
    clis.same("network", "create", "net-{me}")
    for tool in ("docker", "pymoby"):
        made = clis.run(tool, "run", "-d", "--network", "none", "--name", "joiner-{me}", "busybox", "sleep", "1000")
        assert made.code == 0, made
    clis.same("network", "connect", "net-{me}", "joiner-{me}")
    clis.same("network", "connect", "--alias", "again", "none", "joiner-{me}")
    clis.same("inspect", "-f", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}", "joiner-{me}")
    clis.same("network", "rm", "net-{me}")
    clis.same("network", "disconnect", "net-{me}", "joiner-{me}")
    clis.same("network", "disconnect", "net-{me}", "joiner-{me}")
    clis.same("network", "disconnect", "nosuchnet", "joiner-{me}")
    clis.same("rm", "-f", "joiner-{me}")
    clis.same("network", "rm", "net-{me}")
    clis.same("network", "rm", "net-{me}")
    clis.same("network", "rm", "-f", "net-{me}")
    clis.same("network", "inspect", "nosuch")


def test_network_prune_alike(clis: Any) -> None:
    for tool in ("docker", "pymoby"):
        assert clis.run(tool, "network", "create", "--label", "prune={me}", "spare-{me}").code == 0
    clis.same("network", "prune", "-f", "--filter", "label=prune={me}")
    clis.same("network", "ls", "-q", "--filter", "label=prune={me}")


def test_published_ports_and_port_alike(clis: Any) -> None:
    for tool in ("docker", "pymoby"):
        made = clis.run(tool, "run", "-d", "--name", "pub-{me}", "-p", "127.0.0.1::80", "-p", "127.0.0.1::53/udp",
                        "--expose", "7000", "busybox", "sleep", "1000")  # fmt: skip
        assert made.code == 0, made
    shapes = {}
    for tool in ("docker", "pymoby"):
        outcome = clis.run(tool, "port", "pub-{me}")
        assert outcome.code == 0, outcome
        shapes[tool] = [line.rsplit(":", 1)[0] for line in outcome.out.splitlines()]
    assert shapes["pymoby"] == shapes["docker"] == ["53/udp -> 127.0.0.1", "80/tcp -> 127.0.0.1"]
    for tool in ("docker", "pymoby"):
        one = clis.run(tool, "port", "pub-{me}", "80")
        assert (one.code, one.out[:10]) == (0, "127.0.0.1:"), one
    clis.same("port", "pub-{me}", "81")
    clis.same("port", "pub-{me}", "53/tcp")
    clis.same("port", "pub-{me}", "bad/proto")
    clis.same("inspect", "-f", "{{json .HostConfig.PortBindings}}", "pub-{me}")
    ours = clis.pymoby("ps", "--filter", "name=pub-p", "--format", "{{.Ports}}").out
    theirs = clis.docker("ps", "--filter", "name=pub-d", "--format", "{{.Ports}}").out
    strip = __import__("re").compile(r":\d+->")
    assert strip.sub(":N->", ours) == strip.sub(":N->", theirs)
    clis.same("run", "--rm", "-p", "99999:80", "busybox")
    clis.same("rm", "-f", "pub-{me}")


def test_cp_both_ways_alike(clis: Any, tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("alpha\n")
    (src / "sub" / "b.bin").write_bytes(bytes(range(256)) * 4096)
    for tool in ("docker", "pymoby"):
        made = clis.run(tool, "run", "-d", "--network", "none", "--name", "cp-{me}", "busybox", "sleep", "1000")
        assert made.code == 0, made
    clis.same("cp", str(src), "cp-{me}:/in")
    clis.same("cp", str(src / "a.txt"), "cp-{me}:/in/renamed.txt")
    clis.same("exec", "cp-{me}", "sh", "-c", "cd /in && find . | sort && md5sum sub/b.bin renamed.txt")
    clis.same("cp", str(src / "nosuch"), "cp-{me}:/in")
    clis.same("cp", "cp-{me}:/nosuch", str(tmp_path))
    theirs, ours = clis.both("cp", str(src / "a.txt"), "cp-{me}:/nosuchdir/x/")
    # docker's own upload races with the refusal and logs its broken pipe; the verdict is the same.
    last_line = theirs.err.splitlines(keepends=True)[-1]
    assert (ours.code, ours.err) == (theirs.code, last_line) == (1, "no such directory\n")
    for tool in ("docker", "pymoby"):
        out = tmp_path / tool
        got = clis.run(tool, "cp", "cp-{me}:/in", str(out))
        assert got.code == 0, got
        assert (out / "sub" / "b.bin").read_bytes() == (src / "sub" / "b.bin").read_bytes()
        assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == [
            "a.txt", "renamed.txt", "sub", "sub/b.bin"]  # fmt: skip
        single = clis.run(tool, "cp", "cp-{me}:/in/a.txt", str(tmp_path / f"{tool}.txt"))
        assert single.code == 0, single
        assert (tmp_path / f"{tool}.txt").read_text() == "alpha\n"
    streams = {tool: clis.stdout_bytes(tool, "cp", "cp-{me}:/in/sub", "-") for tool in ("docker", "pymoby")}
    names = {}
    for tool, data in streams.items():
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            names[tool] = sorted(tar.getnames())
    assert names["pymoby"] == names["docker"] == ["sub", "sub/b.bin"]
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        info = tarfile.TarInfo("piped.txt")
        info.size = 6
        tar.addfile(info, io.BytesIO(b"piped\n"))
    clis.same("cp", "-", "cp-{me}:/in", input=archive.getvalue())
    clis.same("exec", "cp-{me}", "cat", "/in/piped.txt")
    clis.same("rm", "-f", "cp-{me}")


@pytest.fixture
def context(tmp_path: Path) -> Path:
    """A build context with a Dockerfile, another Dockerfile, a file and a .dockerignore."""
    root = tmp_path / "ctx"
    root.mkdir()
    (root / "Dockerfile").write_text(
        "FROM busybox\nARG GREETING=hi\nENV GREETING=$GREETING\nCOPY hello.txt /hello.txt\n"
        'RUN echo "$GREETING" > /greeting\nLABEL built=yes\nCMD ["cat", "/greeting"]\n'
    )
    (root / "Other.dockerfile").write_text("FROM busybox\nCOPY . /ctx/\nRUN ls /ctx | sort > /listing\n")
    (root / "hello.txt").write_text("hello\n")
    (root / "secret.key").write_text("nope\n")
    (root / ".dockerignore").write_text("secret.key\n")
    return root


def test_build_alike(clis: Any, context: Path) -> None:
    for tool in ("docker", "pymoby"):
        built = clis.run(
            tool, "build", "--no-cache", "-t", "built-{me}:1", "--build-arg", "GREETING=bonjour", str(context)
        )
        assert built.code == 0, built
    clis.same("run", "--rm", "--network", "none", "built-{me}:1")
    clis.same("image", "inspect", "-f", "{{json .Config.Labels}} {{json .Config.Cmd}} {{.RepoTags}}", "built-{me}:1")
    for tool in ("docker", "pymoby"):
        built = clis.run(tool, "build", "--no-cache", "-q", "-f", str(context / "Other.dockerfile"), "-t", "other-{me}",
                         str(context))  # fmt: skip
        assert (built.code, built.out) == (0, "<ID>\n"), built
    clis.same("run", "--rm", "--network", "none", "other-{me}", "cat", "/listing")
    for args in (("-t", "bad-{me}", str(context / "nosuchdir")), ("-f", "Nope", str(context))):
        theirs, ours = clis.both("build", *args)
        assert (ours.code, ours.out, ours.err) == (theirs.code, theirs.out, _without_buildx_warning(theirs.err))
    for tool in ("docker", "pymoby"):  # which layers go with them is the daemon's business
        removed = clis.run(tool, "rmi", "built-{me}:1", "other-{me}")
        assert removed.code == 0, removed
        assert [line for line in removed.out.splitlines() if line.startswith("Untagged")] == [
            "Untagged: built-{me}:1", "Untagged: other-{me}:latest"]  # fmt: skip


def test_build_output_like_docker(clis: Any, context: Path) -> None:
    outputs = {}
    for tool in ("docker", "pymoby"):
        built = clis.run(tool, "build", "--no-cache", "--build-arg", "GREETING=x", "-t", "shown-{me}", str(context))
        assert built.code == 0, built
        outputs[tool] = built
    assert outputs["pymoby"].out == outputs["docker"].out
    # docker 28 without buildx warns that its legacy builder is deprecated: the classic builder is pymoby's only one.
    assert outputs["pymoby"].err == _without_buildx_warning(outputs["docker"].err) == ""
    failing = context / "Failing.dockerfile"
    failing.write_text("FROM busybox\nRUN echo about to fail && exit 3\n")
    theirs, ours = clis.both("build", "--no-cache", "-f", str(failing), str(context))
    assert (ours.code, ours.out, ours.err) == (theirs.code, theirs.out, _without_buildx_warning(theirs.err))
    assert ours.code == 3  # the failed RUN's status, as Docker's
    assert "about to fail" in ours.out
    for tool in ("docker", "pymoby"):
        removed = clis.run(tool, "rmi", "shown-{me}")
        assert (removed.code, removed.out.splitlines()[0]) == (0, "Untagged: shown-{me}:latest"), removed


def test_build_from_stdin_alike(clis: Any, context: Path) -> None:
    dockerfile = b"FROM busybox\nRUN echo piped > /p\n"
    theirs, ours = clis.both("build", "--no-cache", "-q", "-t", "stdin-{me}", "-", input=dockerfile)
    assert ours.code == theirs.code == 0, (theirs, ours)
    clis.same("run", "--rm", "--network", "none", "stdin-{me}", "cat", "/p")
    for tool in ("docker", "pymoby"):  # layers the two images share go with the last one removed
        removed = clis.run(tool, "rmi", "stdin-{me}")
        assert (removed.code, removed.out.splitlines()[0]) == (0, "Untagged: stdin-{me}:latest"), removed


def _without_buildx_warning(err: str) -> str:
    if err.startswith("DEPRECATED: The legacy builder"):
        return err.split("\n", 4)[4] if err.count("\n") >= 4 else ""
    return err
