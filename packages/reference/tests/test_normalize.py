"""Docker's normalisation and familiar forms, ParseDockerRef, ParseAnyReference and FamiliarMatch."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from pymoby import errdefs, reference
from pymoby.reference import Reference

E66 = "e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582"

# input, normalised string, familiar name, familiar string
NORMALISED = [
    ("docker/docker", "docker.io/docker/docker", "docker/docker", "docker/docker"),
    ("library/debian", "docker.io/library/debian", "debian", "debian"),
    ("debian", "docker.io/library/debian", "debian", "debian"),
    ("debian:12", "docker.io/library/debian:12", "debian", "debian:12"),
    ("docker.io/docker/docker", "docker.io/docker/docker", "docker/docker", "docker/docker"),
    ("docker.io/library/debian", "docker.io/library/debian", "debian", "debian"),
    ("docker.io/debian", "docker.io/library/debian", "debian", "debian"),
    ("index.docker.io/docker/docker", "docker.io/docker/docker", "docker/docker", "docker/docker"),
    ("index.docker.io/debian", "docker.io/library/debian", "debian", "debian"),
    ("localhost/library/debian", "localhost/library/debian", "localhost/library/debian", "localhost/library/debian"),
    ("localhost/debian", "localhost/debian", "localhost/debian", "localhost/debian"),
    ("localhost:5000/debian:1", "localhost:5000/debian:1", "localhost:5000/debian", "localhost:5000/debian:1"),
    ("127.0.0.1:5000/docker/docker", "127.0.0.1:5000/docker/docker", "127.0.0.1:5000/docker/docker", None),
    ("127.0.0.1:5000/library/debian", "127.0.0.1:5000/library/debian", "127.0.0.1:5000/library/debian", None),
    ("127.0.0.1:5000/debian", "127.0.0.1:5000/debian", "127.0.0.1:5000/debian", None),
    ("192.168.0.1", "docker.io/library/192.168.0.1", "192.168.0.1", "192.168.0.1"),
    ("example.com/library/a/b", "example.com/library/a/b", "example.com/library/a/b", None),
    ("library/a/b", "docker.io/library/a/b", "library/a/b", "library/a/b"),
    ("Foo/bar", "Foo/bar", "Foo/bar", "Foo/bar"),
    (
        "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
        "docker.io/library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
        "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
        None,
    ),
    (f"busybox:1@sha256:{E66}", f"docker.io/library/busybox:1@sha256:{E66}", "busybox", f"busybox:1@sha256:{E66}"),
    ("[::1]:5000/app", "[::1]:5000/app", "[::1]:5000/app", None),
]


@pytest.mark.parametrize(("text", "normalised", "name", "familiar"), NORMALISED, ids=[n[0][:40] for n in NORMALISED])
def test_normalisation_and_familiar_forms(text: str, normalised: str, name: str, familiar: str | None) -> None:
    ref = reference.parse_normalized_named(text)
    assert str(ref) == normalised
    assert reference.familiar_name(ref) == name
    assert reference.familiar_string(ref) == (familiar or text)


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [
        ("docker/Docker", reference.NameContainsUppercase, "repository name (docker/Docker) must be lowercase"),
        (
            "docker.io/docker/Docker",
            reference.NameContainsUppercase,
            "repository name (docker/Docker) must be lowercase",
        ),
        ("FOO", reference.NameContainsUppercase, "repository name (library/FOO) must be lowercase"),
        ("docker///docker", reference.InvalidReferenceFormat, "invalid reference format"),
        ("docker.io/docker///docker", reference.InvalidReferenceFormat, "invalid reference format"),
        ("", reference.InvalidReferenceFormat, "invalid reference format"),
        (
            "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
            reference.InvalidReferenceFormat,
            "cannot specify 64-byte hexadecimal strings",
        ),
        ("foo:bar:baz", reference.InvalidReferenceFormat, "invalid reference format"),
    ],
)
def test_normalisation_refuses_what_docker_refuses(text: str, kind: type[Exception], message: str) -> None:
    with pytest.raises(kind, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        reference.parse_normalized_named(text)
    assert errdefs.is_invalid_parameter(info.value)


def test_uppercase_in_the_lowercase_message_is_the_docker_wording() -> None:
    with pytest.raises(reference.NameContainsUppercase) as info:
        reference.parse_normalized_named("Busybox")
    assert str(info.value) == "invalid reference format: repository name (library/Busybox) must be lowercase"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("busybox", "docker.io/library/busybox:latest"),
        ("busybox:latest", "docker.io/library/busybox:latest"),
        (f"busybox@sha256:{E66}", f"docker.io/library/busybox@sha256:{E66}"),
        ("library/busybox", "docker.io/library/busybox:latest"),
        ("docker.io/busybox", "docker.io/library/busybox:latest"),
        ("docker.io/library/busybox", "docker.io/library/busybox:latest"),
        ("docker.io/busybox:latest", "docker.io/library/busybox:latest"),
        ("library/busybox:latest", "docker.io/library/busybox:latest"),
        ("docker.io/library/busybox:latest", "docker.io/library/busybox:latest"),
        ("gcr.io/library/busybox", "gcr.io/library/busybox:latest"),
        (f"gcr.io/library/busybox:latest@sha256:{E66}", f"gcr.io/library/busybox@sha256:{E66}"),
    ],
)
def test_parse_docker_ref(text: str, expected: str) -> None:
    assert str(reference.parse_docker_ref(text)) == expected


def test_parse_any_reference_takes_ids_and_digests() -> None:
    by_id = reference.parse_any_reference(E66)
    assert by_id == Reference("", "", None, f"sha256:{E66}")
    assert not by_id.is_named
    assert str(by_id) == f"sha256:{E66}"
    assert reference.familiar_string(by_id) == f"sha256:{E66}"
    assert reference.parse_any_reference(f"sha256:{E66}") == by_id
    assert str(reference.parse_any_reference("busybox")) == "docker.io/library/busybox"
    # an invalid digest is read as a name with a tag, as Go does
    assert str(reference.parse_any_reference("sha256:abc")) == "docker.io/library/sha256:abc"
    with pytest.raises(reference.InvalidReference):
        reference.familiar_name(by_id)
    with pytest.raises(reference.NameEmpty):
        reference.with_tag(by_id, "v1")


def test_parse_named_requires_the_canonical_form() -> None:
    assert str(reference.parse_named("docker.io/library/busybox:1")) == "docker.io/library/busybox:1"
    for familiar in ("busybox", "library/busybox", "docker.io/busybox", "index.docker.io/library/busybox"):
        with pytest.raises(reference.NameNotCanonical, match=r"^repository name must be canonical$"):
            reference.parse_named(familiar)


def test_tag_name_only_adds_latest_only_to_bare_names() -> None:
    assert reference.tag_name_only(reference.parse_normalized_named("busybox")).tag == "latest"
    assert reference.tag_name_only(reference.parse_normalized_named("busybox:1")).tag == "1"
    with_digest = reference.parse_normalized_named(f"busybox@sha256:{E66}")
    assert reference.tag_name_only(with_digest) == with_digest


@pytest.mark.parametrize(
    ("text", "pattern", "expected"),
    [
        ("foo", "foo/**/ba[rz]", False),
        ("foo/any/bat", "foo/**/ba[rz]", False),
        ("foo/a/bar", "foo/**/ba[rz]", True),
        ("foo/b/baz", "foo/**/ba[rz]", True),
        ("foo/c/baz:tag", "foo/**/ba[rz]", True),
        ("foo/c/baz:tag", "foo/*/baz:tag", True),
        ("foo/c/baz:tag", "foo/c/baz:tag", True),
        ("example.com/foo/c/baz:tag", "*/foo/c/baz", True),
        ("example.com/foo/c/baz:tag", "example.com/foo/c/baz", True),
        ("busybox:latest", "busy*", True),
        ("busybox:latest", "busybox:l?test", True),
        ("busybox:latest", "busybox:[^a-k]atest", True),
        ("busybox:latest", "busybox:[^l]atest", False),
        ("busybox:latest", "busybox:[z-a]atest", False),
        ("busybox:latest", r"busybox:\latest", True),
        ("busybox:latest", "docker.io/library/busybox", False),
        ("user/app", "*", False),
        ("user/app", "*/*", True),
    ],
)
def test_familiar_match_as_docker(text: str, pattern: str, expected: bool) -> None:
    assert reference.familiar_match(pattern, reference.parse_normalized_named(text)) is expected


@pytest.mark.parametrize("pattern", ["[", "[]", "[^]", "[a-]", "[-a]", "a\\", "[a", "x[]a]", "[\\"])
def test_a_malformed_pattern_is_an_error_even_without_a_match(pattern: str) -> None:
    with pytest.raises(reference.BadPattern, match=r"^syntax error in pattern$"):
        reference.familiar_match(pattern, reference.parse_normalized_named("zzz"))


# --- property: familiar -> normalised -> familiar round-trips -------------------------------

_alnum = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8)
_separator = st.sampled_from([".", "_", "__", "-", "--"])


@st.composite
def _component(draw: st.DrawFn) -> str:
    parts = [draw(_alnum)]
    for _ in range(draw(st.integers(0, 2))):
        parts += [draw(_separator), draw(_alnum)]
    return "".join(parts)


_domains = st.sampled_from(
    ["", "example.com", "localhost", "localhost:5000", "registry.io:443", "10.0.0.1:5000", "[::1]:5000"]
)
_tags = st.one_of(st.none(), st.from_regex(r"[0-9A-Za-z_][0-9A-Za-z_.-]{0,20}", fullmatch=True))
_digests = st.one_of(st.none(), st.from_regex(r"sha256:[0-9a-f]{64}", fullmatch=True))


@st.composite
def familiar_refs(draw: st.DrawFn) -> str:
    domain = draw(_domains)
    path = "/".join(draw(st.lists(_component(), min_size=1, max_size=3)))
    if not domain:
        first = path.partition("/")[0]
        # a familiar Docker Hub name never starts with a domain-looking or 'library' component
        assume("." not in first or "/" not in path)
        assume(not (path.startswith("library/") and path.count("/") == 1))
        assume(first != "localhost" or "/" not in path)
    text = f"{domain}/{path}" if domain else path
    tag, digest = draw(_tags), draw(_digests)
    if tag is not None:
        text += f":{tag}"
    if digest is not None:
        text += f"@{digest}"
    return text


@given(familiar_refs())
def test_familiar_to_normalised_to_familiar_round_trips(text: str) -> None:
    ref = reference.parse_normalized_named(text)
    assert reference.familiar_string(ref) == text
    assert reference.parse_normalized_named(str(ref)) == ref
    assert reference.parse(str(ref)) == ref
    if ref.digest is None and ref.tag is None:
        assert reference.familiar_name(ref) == text
