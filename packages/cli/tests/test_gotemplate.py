"""The Go-template evaluator: the forms people put in --format, and Go's error messages."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pymoby.cli import Template, TemplateError
from pymoby.cli._gofmt import GoMap, TemplateObject

DATA: dict[str, Any] = {
    "Id": "abc123",
    "Name": "/web",
    "State": {"Status": "running", "Running": True, "Pid": 4242, "ExitCode": 0, "Health": None},
    "Config": {
        "Env": ["A=1", "PATH=/bin"],
        "Cmd": ["sleep", "100"],
        "Labels": GoMap({"tier": "front", "com.example.x": "y"}),
        "Empty": [],
    },
    "NetworkSettings": {"Networks": GoMap({"none": {"IPAddress": ""}, "bridge": {"IPAddress": "172.17.0.2"}})},
    "Sizes": [1, 2, 3],
    "Ratio": 1.5,
}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{.ID}}", "abc123"),
        ("{{.State.Status}}", "running"),
        ("{{.State.Pid}}", "4242"),
        ("{{.State.Running}}", "true"),
        ("{{.Ratio}}", "1.5"),
        ("plain text", "plain text"),
        ("{{json .Config.Env}}", '["A=1","PATH=/bin"]'),
        ("{{json .Config.Labels}}", '{"com.example.x":"y","tier":"front"}'),
        ("{{json .State}}", '{"Status":"running","Running":true,"Pid":4242,"ExitCode":0,"Health":null}'),
        ("{{.Config.Env}}", "[A=1 PATH=/bin]"),
        ("{{.Config.Labels}}", "map[com.example.x:y tier:front]"),
        ("{{.Config.Labels.tier}}", "front"),
        ("{{.Config.Labels.missing}}", "<no value>"),
        ('{{index .Config.Labels "tier"}}', "front"),
        ('{{index .Config.Labels "missing"}}', ""),
        ("{{index .Config.Cmd 1}}", "100"),
        ('{{join .Config.Env ","}}', "A=1,PATH=/bin"),
        ('{{split "a,b,c" ","}}', "[a b c]"),
        ('{{upper "abc"}} {{lower "ABC"}} {{title "hello world-x"}}', "ABC abc Hello World-X"),
        ('{{pad "x" 2 1}}|{{pad "" 2 1}}|', "  x ||"),
        ('{{truncate "abcdef" 3}} {{truncate "ab" 3}}', "abc ab"),
        (
            '{{printf "%s=%d %q %5.2f|%-4s|%x %t %v" "a" 7 "q" 3.14159 "ab" 255 true .Config.Env}}',
            'a=7 "q"  3.14|ab  |ff true [A=1 PATH=/bin]',
        ),
        ('{{printf "%s"}} {{printf "%d" "x"}}', "%!s(MISSING) %!d(string=x)"),
        ("{{len .Config.Env}} {{len .ID}} {{len .Config.Labels}}", "2 6 2"),
        ("{{if .State.Running}}up{{else}}down{{end}}", "up"),
        ("{{if .Config.Empty}}x{{else if .State.Pid}}pid{{else}}none{{end}}", "pid"),
        ("{{if not .State.Health}}no health{{end}}", "no health"),
        ("{{if and .State.Running .ID}}both{{end}} {{or .Config.Empty .ID}}", "both abc123"),
        ('{{if eq .State.Status "running" "paused"}}yes{{end}}', "yes"),
        ("{{if ne .State.Pid 0}}{{.State.Pid}}{{end}} {{lt 1 2}} {{ge 2 2}} {{gt 1.5 2}}", "4242 true true false"),
        ("{{with .State}}{{.Status}}/{{$.ID}}{{end}}", "running/abc123"),
        ("{{with .Config.Empty}}x{{else}}empty{{end}}", "empty"),
        ("{{range .Config.Cmd}}[{{.}}]{{end}}", "[sleep][100]"),
        ("{{range $i, $c := .Config.Cmd}}{{if $i}},{{end}}{{$i}}:{{$c}}{{end}}", "0:sleep,1:100"),
        ("{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.IPAddress}};{{end}}", "bridge=172.17.0.2;none=;"),
        ("{{range .Config.Empty}}x{{else}}nothing{{end}}", "nothing"),
        ("{{range .Sizes}}{{if eq . 2}}{{break}}{{end}}{{.}}{{end}}", "1"),
        ("{{range .Sizes}}{{if eq . 2}}{{continue}}{{end}}{{.}}{{end}}", "13"),
        ('{{$x := .ID}}{{$x}}{{$x = "new"}} {{$x}}', "abc123 new"),
        ('{{.ID | printf "%s!"}} {{"x" | upper}}', "abc123! X"),
        ("{{(index .Config.Cmd 0) | upper}}", "SLEEP"),
        ('{{- " a " -}}  {{/* a comment */}} b', " a  b"),
        ("a {{- /* trimmed */ -}} b", "ab"),
        ("{{`raw\\n`}}", "raw\\n"),
        ('{{"tab\\there"}}', "tab\there"),
        ('{{print 1 2 "a" "b" 3}}', "1 2ab3"),
        ('{{println "x" 1}}', "x 1\n"),
        ('{{html "<a&b>"}} {{urlquery "a b&c"}}', "&lt;a&amp;b&gt; a+b%26c"),
        ("{{slice .ID 1 3}}", "bc"),
        ("{{1e6}} {{0.000001}} {{123456.0}} {{0x1F}}", "1e+06 1e-06 123456 31"),
        ("{{.State.Health}}", "<no value>"),
    ],
)
def test_template_renders_as_go_does(source: str, expected: str) -> None:
    assert Template(source).execute(DATA) == expected


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{.ID", "template: :1: unclosed action"),
        ("{{nosuch .}}", 'template: :1: function "nosuch" not defined'),
        ("{{if .ID}}x", "template: :1: unexpected EOF"),
        ("{{end}}", "template: :1: unexpected {{end}}"),
        ("{{$undefined}}", 'template: :1: undefined variable "$undefined"'),
        ('{{define "x"}}y{{end}}', "not supported in a --format template"),
        ("{{break}}", "{{break}} outside {{range}}"),
    ],
)
def test_parse_errors_say_what_go_says(source: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message.replace("{", "\\{").replace("$", "\\$")):
        Template(source)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{.Nope}}", 'template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type struct'),
        ("{{.Id}}", "can't evaluate field Id in type struct"),
        ("{{.State.Health.Status}}", 'template: :1:8: executing "" at <.State.Health.Status>: nil pointer evaluating'),
        ('{{eq "a" 1}}', 'template: :1:2: executing "" at <eq "a" 1>: error calling eq: incompatible types'),
        ("{{.Config.Cmd 1}}", "at <.Config.Cmd>: Cmd is not a method but has arguments"),
        ("{{index .Config.Cmd 5}}", "error calling index: index out of range: 5"),
        ("{{upper 5}}", "wrong type for value; expected string; got int"),
        ("{{range .ID}}{{end}}", "range can't iterate over abc123"),
    ],
)
def test_execution_errors_say_what_go_says(source: str, message: str) -> None:
    with pytest.raises(TemplateError) as caught:
        Template(source).execute(DATA)
    assert message in str(caught.value)


def test_raw_json_mode_is_dockers_inspect_fallback() -> None:
    from pymoby.cli._gofmt import as_go_maps

    raw = as_go_maps(DATA)
    assert Template("{{.Id}} {{json .State}}").execute(raw, missing_key_error=True) == (
        'abc123 {"ExitCode":0,"Health":null,"Pid":4242,"Running":true,"Status":"running"}'
    )
    with pytest.raises(TemplateError, match='map has no entry for key "Nope"'):
        Template("{{.Nope}}").execute(raw, missing_key_error=True)
    assert Template("{{.State}}").execute(raw) == "map[ExitCode:0 Health:<nil> Pid:4242 Running:true Status:running]"


class Row(TemplateObject):
    go_type: ClassVar[str] = "*formatter.ContainerContext"
    fields: ClassVar[frozenset[str]] = frozenset({"ID", "Names", "Label"})

    def ID(self) -> str:
        return "abc"

    def Names(self) -> str:
        return "web<1>"

    def Label(self, name: str) -> str:
        return {"tier": "front"}.get(name, "")


def test_methods_with_arguments_and_json_of_a_context() -> None:
    assert Template('{{.ID}} {{.Label "tier"}} {{.Label "x"}}|').execute(Row()) == "abc front |"
    # Docker's MarshalJSON of a formatter context escapes HTML characters.
    assert Template("{{json .}}").execute(Row()) == '{"ID":"abc","Names":"web\\u003c1\\u003e"}'


def test_unknown_field_of_a_context_names_its_go_type() -> None:
    with pytest.raises(TemplateError, match=r"can't evaluate field Foo in type \*formatter.ContainerContext"):
        Template("{{.Foo}}").execute(Row())


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**12), 10**12) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=10,
)


@given(json_values)
def test_json_function_round_trips(value: Any) -> None:
    assert json.loads(Template("{{json .}}").execute(value)) == value
