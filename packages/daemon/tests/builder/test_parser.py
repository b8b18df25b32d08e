"""Reading Dockerfiles into instruction nodes: directives, comments, continuations, and each instruction's forms."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pymoby.daemon.builder import DockerfileSyntaxError, parse_dockerfile
from pymoby.daemon.builder._parser import parse_line


def nodes(text: str) -> list[tuple[str, list[str], bool, list[str], int, int]]:
    return [(n.value, n.args, n.json, n.flags, n.start_line, n.end_line) for n in parse_dockerfile(text).nodes]


def test_instructions_are_case_insensitive_and_comments_and_blank_lines_are_skipped() -> None:
    text = "# a comment\n\nfrom busybox\n   # indented comment\nRun echo hi\n\n"
    assert nodes(text) == [
        ("from", ["busybox"], False, [], 3, 3),
        ("run", ["echo hi"], False, [], 5, 5),
    ]


def test_backslash_continues_a_line_and_comments_inside_are_dropped() -> None:
    text = "FROM busybox\nRUN echo a \\\n# not part of it\n    && echo b \\\n\t&& echo c\nCMD x\n"
    result = parse_dockerfile(text)
    run = result.nodes[1]
    assert run.args == ["echo a     && echo b \t&& echo c"]
    assert (run.start_line, run.end_line) == (2, 5)
    assert run.original == "RUN echo a     && echo b \t&& echo c"
    assert result.nodes[2].start_line == 6
    assert result.warnings == []


def test_an_escaped_escape_at_the_end_does_not_continue() -> None:
    assert nodes("FROM a\nRUN echo \\\\\nCMD b\n")[1][1] == ["echo \\\\"]


def test_empty_continuation_lines_give_a_warning() -> None:
    result = parse_dockerfile("FROM a\nRUN echo a \\\n\n  echo b\n")
    assert result.nodes[1].args == ["echo a   echo b"]
    assert result.warnings == [
        "[WARNING]: Empty continuation line found in:\n    RUN echo a   echo b",
        "[WARNING]: Empty continuation lines will become errors in a future release.",
    ]


def test_escape_directive_makes_the_backtick_the_continuation_and_ignores_syntax() -> None:
    text = "# syntax=docker/dockerfile:1\n# escape=`\nFROM a\nRUN dir c:\\ `\n  && echo x\n"
    result = parse_dockerfile(text)
    assert result.escape == "`"
    assert result.nodes[1].args == ["dir c:\\   && echo x"]


def test_directives_only_count_at_the_very_top() -> None:
    # After a blank line the escape directive is an ordinary comment.
    result = parse_dockerfile("\n# escape=`\nFROM a\nRUN a \\\n b\n")
    assert result.escape == "\\"
    assert result.nodes[1].args == ["a  b"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# escape=`\n# escape=\\\nFROM a\n", "only one escape parser directive can be used"),
        ("# escape=x\nFROM a\n", "invalid escape token 'x' does not match ` or \\"),
        ("\n# only a comment\n", "file with no instructions"),
        ("FROM a\nENV FOO\n", "ENV must have two arguments"),
        ("FROM a\nLABEL a=1 b\n", 'Syntax error - can\'t find = in "b". Must be of the form: name=value'),
        ('FROM a\nCMD ["a", 1]\n', "when using JSON array syntax, arrays must be comprised of strings only"),
    ],
)
def test_syntax_errors_have_dockers_messages(text: str, message: str) -> None:
    with pytest.raises(DockerfileSyntaxError) as caught:
        parse_dockerfile(text)
    assert str(caught.value) == message


def test_a_byte_order_mark_and_crlf_line_ends_are_tolerated() -> None:
    assert nodes("\ufeffFROM a\r\nRUN b\r\n") == [("from", ["a"], False, [], 1, 1), ("run", ["b"], False, [], 2, 2)]


@pytest.mark.parametrize(
    ("line", "args", "is_json"),
    [
        ('RUN ["echo", "a b"]', ["echo", "a b"], True),
        ("RUN echo [ not json", ["echo [ not json"], False),
        ('RUN ["unterminated"', ['["unterminated"'], False),
        ('CMD ["a"] trailing', ["a"], True),
        ("CMD []", [], True),
        ("ENTRYPOINT top -b", ["top -b"], False),
        ('SHELL ["/bin/bash", "-c"]', ["/bin/bash", "-c"], True),
        ("COPY a b  c/", ["a", "b", "c/"], False),
        ('COPY ["a b", "c/"]', ["a b", "c/"], True),
        ("VOLUME /a /b", ["/a", "/b"], False),
        ("EXPOSE 80 443/udp", ["80", "443/udp"], False),
        ("USER  app:staff ", ["app:staff"], False),
        ("WORKDIR /a b", ["/a b"], False),
        ("MAINTAINER Jane <j@x>", ["Jane <j@x>"], False),
        ("STOPSIGNAL SIGKILL", ["SIGKILL"], False),
        ("FROM busybox AS build", ["busybox", "AS", "build"], False),
        ("UNKNOWNTHING a b", [], False),
    ],
)
def test_arguments_are_split_per_instruction(line: str, args: list[str], is_json: bool) -> None:
    node = parse_line(line)
    assert (node.args, node.json) == (args, is_json)


@pytest.mark.parametrize(
    ("line", "args"),
    [
        ("ENV A=1 B=two", ["A", "1", "B", "two"]),
        ("ENV A=\"a b\" C='x y'", ["A", '"a b"', "C", "'x y'"]),
        ("ENV A=a\\ b", ["A", "a\\ b"]),
        ("ENV OLD value with  spaces", ["OLD", "value with  spaces"]),
        ("LABEL version=1 \"description\"='the app'", ["version", "1", '"description"', "'the app'"]),
        ("ARG A B=2 C=", ["A", "B=2", "C="]),
        ('ARG X="a b"', ['X="a b"']),
    ],
)
def test_env_label_and_arg_keep_quotes_for_expansion(line: str, args: list[str]) -> None:
    assert parse_line(line).args == args


def test_flags_come_before_the_arguments() -> None:
    node = parse_line("COPY --from=build --chown=app:app a b")
    assert node.flags == ["--from=build", "--chown=app:app"]
    assert node.args == ["a", "b"]
    node = parse_line('COPY --chown="a b" -- --notaflag /x')
    assert node.flags == ["--chown=a b"]
    assert node.args == ["--notaflag", "/x"]


def test_healthcheck_keeps_its_type_then_the_command() -> None:
    node = parse_line("HEALTHCHECK --interval=5s CMD curl -f localhost")
    assert (node.flags, node.args, node.json) == (["--interval=5s"], ["CMD", "curl -f localhost"], False)
    node = parse_line('HEALTHCHECK CMD ["curl", "-f"]')
    assert (node.args, node.json) == (["CMD", "curl", "-f"], True)
    assert parse_line("HEALTHCHECK NONE").args == ["NONE"]


def test_onbuild_wraps_an_instruction() -> None:
    node = parse_line("ONBUILD RUN echo hi")
    assert node.child is not None
    assert node.child.value == "run"
    assert node.args == ["run", "echo hi"]


@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8), max_size=6))
def test_any_json_array_of_strings_is_the_exec_form(words: list[str]) -> None:
    node = parse_line("RUN " + json.dumps(words))
    assert node.json
    assert node.args == words
