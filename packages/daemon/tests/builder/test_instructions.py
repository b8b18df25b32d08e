"""Typed instructions and stages: what each instruction holds, and the errors dockerd reports for bad ones."""

from __future__ import annotations

import pytest

from pymoby.daemon.builder import (
    ArgCommand,
    CmdCommand,
    CopyCommand,
    EntrypointCommand,
    ExposeCommand,
    HealthcheckCommand,
    InstructionError,
    OnbuildCommand,
    RunCommand,
    parse_command,
    parse_dockerfile,
    parse_stages,
)
from pymoby.daemon.builder._parser import parse_line


def stages_of(text: str):  # type: ignore[no-untyped-def]
    return parse_stages(parse_dockerfile(text).nodes)


def test_stages_meta_args_and_commands() -> None:
    stages, meta = stages_of(
        "ARG BASE=busybox\nFROM $BASE AS Build\nRUN make\n"
        "FROM --platform=linux/amd64 busybox\nCOPY --from=build /a /b\n"
    )
    assert [str(m) for m in meta] == ["ARG BASE=busybox"]
    assert [(s.base_name, s.name, s.platform, s.line) for s in stages] == [
        ("$BASE", "build", "", 2),
        ("busybox", "", "linux/amd64", 4),
    ]
    assert [str(c) for c in stages[0].commands] == ["RUN make"]
    copy = stages[1].commands[0]
    assert isinstance(copy, CopyCommand)
    assert (copy.source_from, copy.sources, copy.dest) == ("build", ("/a",), "/b")


def test_shell_and_exec_forms() -> None:
    run = parse_command(parse_line("RUN echo $HOME"))
    assert isinstance(run, RunCommand)
    assert (run.cmd_line, run.prepend_shell) == (("echo $HOME",), True)
    cmd = parse_command(parse_line('CMD ["a", "b"]'))
    assert isinstance(cmd, CmdCommand)
    assert (cmd.cmd_line, cmd.prepend_shell) == (("a", "b"), False)
    entrypoint = parse_command(parse_line("ENTRYPOINT []"))
    assert isinstance(entrypoint, EntrypointCommand)
    assert entrypoint.cmd_line is None


def test_healthcheck_options_become_durations() -> None:
    check = parse_command(parse_line("HEALTHCHECK --interval=1m30s --timeout=500ms --retries=3 CMD true"))
    assert isinstance(check, HealthcheckCommand)
    health = check.health
    assert (health.test, health.interval, health.timeout, health.retries) == (
        ["CMD-SHELL", "true"],
        90_000_000_000,
        500_000_000,
        3,
    )
    none = parse_command(parse_line("HEALTHCHECK NONE"))
    assert isinstance(none, HealthcheckCommand)
    assert none.health.test == ["NONE"]


def test_expose_ports_are_sorted_and_arg_defaults_are_optional() -> None:
    expose = parse_command(parse_line("EXPOSE 80 443 53/udp"))
    assert isinstance(expose, ExposeCommand)
    assert expose.ports == ("443", "53/udp", "80")
    arg = parse_command(parse_line("ARG A B=1 C="))
    assert isinstance(arg, ArgCommand)
    assert [(a.key, a.value) for a in arg.args] == [("A", None), ("B", "1"), ("C", "")]


def test_onbuild_keeps_the_trigger_as_written() -> None:
    onbuild = parse_command(parse_line("onbuild  ADD . /app/src"))
    assert isinstance(onbuild, OnbuildCommand)
    assert onbuild.expression == "ADD . /app/src"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("FROM a\nFOO bar\n", "dockerfile parse error line 2: unknown instruction: FOO"),
        (
            "FROM a AS 1x\n",
            'dockerfile parse error line 1: invalid name for build stage: "1x", '
            "name can't start with a number or contain symbols",
        ),
        ("FROM a b\n", "dockerfile parse error line 1: FROM requires either one or three arguments"),
        (
            "FROM a\nCOPY x\n",
            "dockerfile parse error line 2: COPY requires at least two arguments, "
            "but only one was provided. Destination could not be determined",
        ),
        ("FROM a\nCOPY --foo=1 a b\n", "dockerfile parse error line 2: Unknown flag: foo"),
        ("FROM a\nCOPY --from a b\n", "dockerfile parse error line 2: Missing a value on flag: from"),
        ("FROM a\nCOPY --from=x --from=y a b\n", "dockerfile parse error line 2: Duplicate flag specified: from"),
        ("FROM a\nSHELL /bin/bash\n", "dockerfile parse error line 2: SHELL requires the arguments to be in JSON form"),
        ("FROM a\nWORKDIR\n", "dockerfile parse error line 2: WORKDIR requires exactly one argument"),
        ("FROM a\nUSER\n", "dockerfile parse error line 2: USER requires exactly one argument"),
        ("FROM a\nEXPOSE\n", "dockerfile parse error line 2: EXPOSE requires at least one argument"),
        (
            "FROM a\nONBUILD ONBUILD RUN x\n",
            "dockerfile parse error line 2: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed",
        ),
        ("FROM a\nONBUILD FROM b\n", "dockerfile parse error line 2: FROM isn't allowed as an ONBUILD trigger"),
        (
            "FROM a\nHEALTHCHECK --interval=1ms --retries=0 CMD x\n",
            "dockerfile parse error line 2: --retries must be at least 1 (not 0)",
        ),
        (
            "FROM a\nHEALTHCHECK --interval=10us CMD x\n",
            'dockerfile parse error line 2: Interval "interval" cannot be less than 1ms',
        ),
        ("FROM a\nHEALTHCHECK --interval=soon CMD x\n", 'dockerfile parse error line 2: time: invalid duration "soon"'),
        ("FROM a\nHEALTHCHECK FOO x\n", 'dockerfile parse error line 2: Unknown type "FOO" in HEALTHCHECK (try CMD)'),
        ("FROM a\nHEALTHCHECK CMD\n", "dockerfile parse error line 2: Missing command after HEALTHCHECK CMD"),
        ("FROM a\nARG =x\n", "dockerfile parse error line 2: ARG names can not be blank"),
        ("RUN echo hi\n", "no build stage in current context"),
    ],
)
def test_bad_instructions_are_reported_with_their_line(text: str, message: str) -> None:
    with pytest.raises(InstructionError) as caught:
        stages_of(text)
    assert str(caught.value) == message


def test_run_accepts_buildkit_flags_to_refuse_them_later() -> None:
    run = parse_command(parse_line("RUN --mount=type=cache,target=/x true"))
    assert isinstance(run, RunCommand)
    assert run.flags_used == ("mount",)
