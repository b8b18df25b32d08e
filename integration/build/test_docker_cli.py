"""``docker build`` (the unmodified docker CLI 28, classic builder) against pymobyd, and beside dockerd 20.10.

RUN steps use ``--network none``, so that these tests do not depend on the
bridge network (the networks tests cover it); a build's RUN uses the
default network otherwise, as with dockerd.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import pytest
from support.dockerd import Dockerd
from support.pymobyd import Pymobyd

from .conftest import Context

pytestmark = pytest.mark.root

MULTI_STAGE = """\
# syntax=docker/dockerfile:1
ARG BASE=busybox
FROM $BASE AS build
ARG GREETING=hi
ENV APP=/app \\
    MODE="fast mode"
WORKDIR $APP
COPY src/ ./src/
RUN echo "$GREETING from $MODE" > out.txt && cat src/*.txt >> out.txt \\
    && echo "app:x:1000:1000::/home/app:/bin/sh" >> /etc/passwd && echo "app:x:1000:" >> /etc/group

FROM busybox
COPY --from=build /etc/passwd /etc/group /etc/
COPY --from=build --chown=app:app /app/out.txt /home/app/greeting
WORKDIR /home/app
USER app
ENV GREETING_FILE=/home/app/greeting
CMD ["sh", "-c", "cat $GREETING_FILE; id -u; pwd"]
"""

FILES: dict[str, str | bytes] = {
    "Dockerfile": MULTI_STAGE,
    ".dockerignore": "**/*.log\nsecret/\n",
    "src/a.txt": "from a\n",
    "src/debug.log": "excluded\n",
    "secret/key": "excluded\n",
}


def build(daemon: Pymobyd | Dockerd, path: Path, *args: str, check: bool = True):  # type: ignore[no-untyped-def]
    return daemon.docker("build", *args, str(path), check=check)


def test_multi_stage_build_then_run(daemon: Pymobyd, context: Context) -> None:
    ctx = context(FILES)
    result = build(
        daemon, ctx, "--network", "none", "--build-arg", "GREETING=hello", "-t", "greeter:1", "-t", "greeter:latest"
    )
    out = result.stdout.decode()
    assert "Step 1/14 : ARG BASE=busybox" in out
    assert "Step 7/14 : RUN echo" in out
    assert re.search(
        r"Successfully built [0-9a-f]{12}\nSuccessfully tagged greeter:1\nSuccessfully tagged greeter:latest\n", out
    )
    run = daemon.docker("run", "--rm", "--network", "none", "greeter:1")
    assert run.stdout.decode() == "hello from fast mode\nfrom a\n1000\n/home/app\n"
    inspect = json.loads(daemon.docker("image", "inspect", "greeter:latest").stdout)[0]
    assert inspect["Config"]["User"] == "app"
    assert inspect["Config"]["WorkingDir"] == "/home/app"
    assert "GREETING_FILE=/home/app/greeting" in inspect["Config"]["Env"]
    listing = daemon.docker("run", "--rm", "--network", "none", "--entrypoint", "ls", "greeter:1", "-ln", "/home/app")
    assert re.search(r"-rw-r--r-- +1 1000 +1000 .* greeting", listing.stdout.decode())
    # .dockerignore kept the log and the secret out of the context.
    history = daemon.docker("history", "--no-trunc", "--format", "{{.CreatedBy}}", "greeter:1").stdout.decode()
    assert "COPY --chown=app:app file:" in history


def test_second_build_hits_the_cache(daemon: Pymobyd, context: Context) -> None:
    ctx = context(FILES)
    first = build(daemon, ctx, "--network", "none", "-q").stdout.decode().strip()
    again = build(daemon, ctx, "--network", "none")
    out = again.stdout.decode()
    assert out.count(" ---> Using cache") == 11
    assert " ---> Running in" not in out
    assert f"Successfully built {first.removeprefix('sha256:')[:12]}" in out
    (ctx / "src" / "a.txt").write_text("changed\n")
    changed = build(daemon, ctx, "--network", "none").stdout.decode()
    assert (
        changed.count(" ---> Using cache") == 4
    )  # ARG, ENV, WORKDIR; then COPY /etc/passwd /etc/group (same files) in stage 2
    assert " ---> Running in" in changed


def test_plain_docker_build_picks_the_classic_builder(daemon: Pymobyd, context: Context) -> None:
    ctx = context({"Dockerfile": "FROM busybox\nLABEL plain=yes\nCOPY . /ctx/\n", "f": "x"})
    result = build(daemon, ctx, "-t", "plain")
    assert b"Successfully tagged plain:latest" in result.stdout
    assert b"legacy builder is deprecated" in result.stderr
    labels = daemon.docker("image", "inspect", "-f", "{{json .Config.Labels}}", "plain").stdout
    assert json.loads(labels) == {"plain": "yes"}


def test_dockerfiles_from_outside_the_context_and_from_stdin(daemon: Pymobyd, context: Context, tmp_path: Path) -> None:
    ctx = context({"inside.txt": "in\n"})
    dockerfile = tmp_path / "elsewhere.Dockerfile"
    dockerfile.write_text("FROM busybox\nCOPY . /ctx/\n")
    build(daemon, ctx, "-f", str(dockerfile), "-t", "outside")
    listing = daemon.docker("run", "--rm", "--network", "none", "outside", "ls", "-A", "/ctx").stdout.decode()
    assert listing.split() == ["inside.txt"]  # the CLI's renamed Dockerfile and its .dockerignore entry are gone
    piped = daemon.docker("build", "-t", "piped", "-f", "-", str(ctx), input=b"FROM busybox\nCOPY inside.txt /\n")
    assert b"Successfully tagged piped:latest" in piped.stdout
    alone = daemon.docker("build", "-t", "alone", "-", input=b"FROM busybox\nLABEL from=stdin\n")
    assert b"Successfully tagged alone:latest" in alone.stdout


def _image_ids(daemon: Pymobyd) -> set[str]:
    return set(daemon.docker("images", "-a", "-q", "--no-trunc").stdout.decode().split())


def _containers(daemon: Pymobyd) -> list[str]:
    return daemon.docker("ps", "-a", "-q", "--no-trunc").stdout.decode().split()


def test_errors_and_what_they_leave(daemon: Pymobyd, context: Context) -> None:
    images_before = _image_ids(daemon)
    unknown = build(daemon, context({"Dockerfile": "FROM busybox\nFOO bar\n"}), check=False)
    assert unknown.returncode == 1
    assert b"Error response from daemon: dockerfile parse error line 2: unknown instruction: FOO" in unknown.stderr
    missing = build(daemon, context({"Dockerfile": "FROM busybox\nCOPY missing.txt /\n"}), "-t", "never", check=False)
    assert missing.returncode == 1
    assert (
        b"COPY failed: file not found in build context or excluded by .dockerignore: "
        b"stat missing.txt: file does not exist" in missing.stderr
    )
    assert _image_ids(daemon) == images_before
    assert daemon.docker("image", "inspect", "never", check=False).returncode == 1

    failing = context({"Dockerfile": "FROM busybox\nENV X=1\nRUN echo before; exit 3\n"})
    forced = build(daemon, failing, "--network", "none", "--force-rm", check=False)
    assert forced.returncode == 3
    assert b"The command '/bin/sh -c echo before; exit 3' returned a non-zero code: 3" in forced.stderr
    assert b"before\n" in forced.stdout
    assert _containers(daemon) == []
    kept = build(daemon, failing, "--network", "none", check=False)
    assert kept.returncode == 3
    # As dockerd does, --rm (the default) keeps the failed step's container for inspection.
    left = _containers(daemon)
    assert len(left) == 1
    state = json.loads(daemon.docker("inspect", left[0]).stdout)[0]["State"]
    assert (state["Status"], state["ExitCode"]) == ("exited", 3)
    daemon.docker("rm", left[0])
    assert list((daemon.data_root / "tmp").glob("build-*")) == []


def test_a_client_that_goes_away_cancels_the_build(daemon: Pymobyd, context: Context) -> None:
    ctx = context({"Dockerfile": "FROM busybox\nRUN echo started; sleep 60\n"})
    command = ["docker", "build", "--network", "none", str(ctx)]
    with subprocess.Popen(command, env=daemon.env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as cli:
        try:
            assert cli.stdout is not None
            for line in cli.stdout:
                if line == b"started\n":
                    break
            assert len(_containers(daemon)) == 1
        finally:
            cli.kill()
    deadline = time.monotonic() + 30
    while (_containers(daemon) or list((daemon.data_root / "tmp").glob("build-*"))) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _containers(daemon) == []
    assert list((daemon.data_root / "tmp").glob("build-*")) == []


def test_builder_prune_removes_what_rebuilds_left(daemon: Pymobyd, context: Context) -> None:
    ctx = context({"Dockerfile": "FROM busybox\nCOPY f /f\n", "f": "one"})
    old = build(daemon, ctx, "-q", "-t", "moving").stdout.decode().strip()
    (ctx / "f").write_text("two")
    new = build(daemon, ctx, "-q", "-t", "moving").stdout.decode().strip()
    pruned = daemon.docker("builder", "prune", "-f").stdout.decode()
    assert old in pruned
    assert old not in _image_ids(daemon)
    assert new in _image_ids(daemon)


def _steps(output: str) -> list[str]:
    """The build's lines with the IDs that differ between daemons taken out."""
    lines = []
    for line in output.splitlines():
        line = re.sub(r"[0-9a-f]{12}", "<id>", line)
        if line.startswith((" ---> Running in", "Removing intermediate container")):
            continue  # dockerd runs a container for every metadata step too
        lines.append(line)
    return lines


def test_same_output_and_history_as_dockerd(daemon: Pymobyd, dockerd: Dockerd, context: Context) -> None:
    ctx = context(FILES)
    ours = build(daemon, ctx, "--no-cache", "--network", "none", "--build-arg", "GREETING=hello", "-t", "parity")
    theirs = build(dockerd, ctx, "--no-cache", "--network", "none", "--build-arg", "GREETING=hello", "-t", "parity")
    assert _steps(ours.stdout.decode()) == _steps(theirs.stdout.decode())

    def history(target: Pymobyd | Dockerd) -> list[str]:
        text = target.docker("history", "--no-trunc", "--format", "{{.CreatedBy}}|{{.Size}}", "parity").stdout
        return [re.sub(r"\|[0-9.]+[kM]?B$", "", line) for line in text.decode().splitlines()]

    # Same steps, and the same content names for COPY sources (context and --from). dockerd 20.10 writes
    # "--chown=app:appfile:..." (no space); later moby, and pymobyd, write "--chown=app:app file:...".
    theirs_fixed = [re.sub(r"(--chown=\S+?)(file:|dir:|multi:)", r"\1 \2", line) for line in history(dockerd)]
    assert history(daemon) == theirs_fixed
