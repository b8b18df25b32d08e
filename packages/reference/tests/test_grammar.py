"""The strict grammar: valid references split as Go's library splits them, invalid ones fail as it fails."""

from __future__ import annotations

import pytest

from pymoby import errdefs, reference
from pymoby.reference import Reference

H64 = "f" * 64
H128 = "f" * 128
E66 = "e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582"

# input, domain, path, tag, digest
VALID = [
    ("test_com", "", "test_com", None, None),
    ("test.com:tag", "", "test.com", "tag", None),
    ("test.com:5000", "", "test.com", "5000", None),
    ("test.com/repo:tag", "test.com", "repo", "tag", None),
    ("test:5000/repo", "test:5000", "repo", None, None),
    ("test:5000/repo:tag", "test:5000", "repo", "tag", None),
    (f"test:5000/repo@sha256:{H64}", "test:5000", "repo", None, f"sha256:{H64}"),
    (f"test:5000/repo:tag@sha256:{H64}", "test:5000", "repo", "tag", f"sha256:{H64}"),
    ("lowercase:Uppercase", "", "lowercase", "Uppercase", None),
    ("a/" * 127 + "a:tag-puts-this-over-max", "a", "a/" * 126 + "a", "tag-puts-this-over-max", None),
    ("sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com", "bar/baz/quux", None, None),
    ("sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com", "bar/baz/quux", "some-long-tag", None),
    (
        "b.gcr.io/test.example.com/my-app:test.example.com",
        "b.gcr.io",
        "test.example.com/my-app",
        "test.example.com",
        None,
    ),
    ("xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com", "myimage", "xn--n3h.com", None),
    (f"xn--7o8h.com/myimage:xn--7o8h.com@sha512:{H128}", "xn--7o8h.com", "myimage", "xn--7o8h.com", f"sha512:{H128}"),
    ("foo_bar.com:8080", "", "foo_bar.com", "8080", None),
    ("foo/foo_bar.com:8080", "foo", "foo_bar.com", "8080", None),
    ("192.168.1.1", "", "192.168.1.1", None, None),
    ("192.168.1.1:tag", "", "192.168.1.1", "tag", None),
    ("192.168.1.1:5000", "", "192.168.1.1", "5000", None),
    ("192.168.1.1/repo", "192.168.1.1", "repo", None, None),
    ("192.168.1.1:5000/repo", "192.168.1.1:5000", "repo", None, None),
    ("192.168.1.1:5000/repo:5050", "192.168.1.1:5000", "repo", "5050", None),
    ("[2001:db8::1]/repo", "[2001:db8::1]", "repo", None, None),
    ("[2001:db8:1:2:3:4:5:6]/repo:tag", "[2001:db8:1:2:3:4:5:6]", "repo", "tag", None),
    ("[2001:db8::1]:5000/repo", "[2001:db8::1]:5000", "repo", None, None),
    ("[2001:db8::1]:5000/repo:tag", "[2001:db8::1]:5000", "repo", "tag", None),
    (f"[2001:db8::1]:5000/repo@sha256:{H64}", "[2001:db8::1]:5000", "repo", None, f"sha256:{H64}"),
    ("[2001:db8::]:5000/repo", "[2001:db8::]:5000", "repo", None, None),
    ("[::1]:5000/repo", "[::1]:5000", "repo", None, None),
    ("localhost:5000/foo/bar", "localhost:5000", "foo/bar", None, None),
    ("foo__bar", "", "foo__bar", None, None),
    ("foo--bar---baz", "", "foo--bar---baz", None, None),
    ("a.b_c-d", "", "a.b_c-d", None, None),
    ("Example.COM/repo", "Example.COM", "repo", None, None),
    ("repo:" + "t" * 128, "", "repo", "t" * 128, None),
    ("repo:_under.score-", "", "repo", "_under.score-", None),
]

# input, error class, message
INVALID = [
    ("", reference.NameEmpty, "repository name must have at least one component"),
    (":justtag", reference.InvalidReferenceFormat, "invalid reference format"),
    (f"@sha256:{H64}", reference.InvalidReferenceFormat, "invalid reference format"),
    (f"repo@sha256:{H64[:-1]}", reference.InvalidDigestFormat, "invalid checksum digest length"),
    (f"repo@sha256:{'F' * 64}", reference.InvalidDigestFormat, "invalid checksum digest format"),
    (f"validname@invaliddigest:{H64}", reference.UnsupportedDigest, "unsupported digest algorithm"),
    ("Uppercase:tag", reference.NameContainsUppercase, "repository name must be lowercase"),
    ("test:5000/Uppercase/lowercase:tag", reference.NameContainsUppercase, "repository name must be lowercase"),
    ("a/" * 128 + "a:tag", reference.NameTooLong, "repository name must not be more than 255 characters"),
    ("aa/asdf$$^/aa", reference.InvalidReferenceFormat, "invalid reference format"),
    ("[2001:db8::1]", reference.InvalidReferenceFormat, "invalid reference format"),
    ("[2001:db8::1]:5000", reference.InvalidReferenceFormat, "invalid reference format"),
    ("[2001:db8::1]:tag", reference.InvalidReferenceFormat, "invalid reference format"),
    ("[fe80::1%eth0]:5000/repo", reference.InvalidReferenceFormat, "invalid reference format"),
    ("[fe80::1%@invalidzone]:5000/repo", reference.InvalidReferenceFormat, "invalid reference format"),
    ("foo___bar", reference.InvalidReferenceFormat, "invalid reference format"),
    ("foo..bar", reference.InvalidReferenceFormat, "invalid reference format"),
    ("foo/", reference.InvalidReferenceFormat, "invalid reference format"),
    ("-foo", reference.InvalidReferenceFormat, "invalid reference format"),
    ("repo:" + "t" * 129, reference.InvalidReferenceFormat, "invalid reference format"),
    ("repo:.tag", reference.InvalidReferenceFormat, "invalid reference format"),
    ("repo\n", reference.InvalidReferenceFormat, "invalid reference format"),
    ("rep\u00f6", reference.InvalidReferenceFormat, "invalid reference format"),
    ("repo:t\u00e4g", reference.InvalidReferenceFormat, "invalid reference format"),
    ("-host.com/repo", reference.InvalidReferenceFormat, "invalid reference format"),
]


@pytest.mark.parametrize(("text", "domain", "path", "tag", "digest"), VALID, ids=[v[0][:40] for v in VALID])
def test_valid_references_split_into_domain_path_tag_and_digest(
    text: str, domain: str, path: str, tag: str | None, digest: str | None
) -> None:
    ref = reference.parse(text)
    assert ref == Reference(domain, path, tag, digest)
    assert str(ref) == text
    assert ref.name == (f"{domain}/{path}" if domain else path)


@pytest.mark.parametrize(("text", "kind", "message"), INVALID, ids=[v[0][:40] or "empty" for v in INVALID])
def test_invalid_references_fail_with_the_go_library_error(text: str, kind: type[Exception], message: str) -> None:
    with pytest.raises(kind) as info:
        reference.parse(text)
    assert str(info.value) == message
    assert errdefs.is_invalid_parameter(info.value)


def test_name_length_counts_domain_and_path() -> None:
    name = "example.com/" + "a" * (255 - len("example.com/"))
    assert reference.parse(name).name == name
    with pytest.raises(reference.NameTooLong):
        reference.parse(name + "a")


def test_with_name_checks_the_name() -> None:
    assert reference.with_name("example.com/foo/bar") == Reference("example.com", "foo/bar")
    with pytest.raises(reference.InvalidReferenceFormat):
        reference.with_name("foo:tag")
    with pytest.raises(reference.NameTooLong):
        reference.with_name("a" * 256)


def test_with_tag_keeps_the_digest_and_validates_the_tag() -> None:
    ref = reference.parse(f"example.com/foo@sha256:{E66}")
    tagged = reference.with_tag(ref, "v1")
    assert str(tagged) == f"example.com/foo:v1@sha256:{E66}"
    for bad in ("", ".v1", "-v1", "v" * 129, "a b"):
        with pytest.raises(reference.InvalidTagFormat, match=r"^invalid tag format$"):
            reference.with_tag(ref, bad)


def test_with_digest_keeps_the_tag_and_validates_the_digest() -> None:
    ref = reference.parse("example.com/foo:v1")
    assert str(reference.with_digest(ref, f"sha256:{E66}")) == f"example.com/foo:v1@sha256:{E66}"
    assert reference.with_digest(ref, reference.Digest("sha256", E66)).digest == f"sha256:{E66}"
    with pytest.raises(reference.InvalidDigestFormat, match=r"^invalid digest format$"):
        reference.with_digest(ref, "sha256:xyz")


def test_trim_named_and_name_only() -> None:
    ref = reference.parse(f"example.com/foo:v1@sha256:{E66}")
    assert reference.trim_named(ref) == Reference("example.com", "foo")
    assert reference.is_name_only(reference.trim_named(ref))
    assert not reference.is_name_only(ref)
    assert reference.split_hostname(ref) == ("example.com", "foo")


@pytest.mark.parametrize(
    ("digest", "error"),
    [
        (f"sha256:{E66}", None),
        (f"sha384:{'a' * 96}", None),
        (f"sha512:{'0' * 128}", None),
        (f"sha256:{E66[:-2]}", "invalid checksum digest length"),
        (f"sha512:{'0' * 64}", "invalid checksum digest length"),
        (f"sha256:{E66.upper()}", "invalid checksum digest format"),
        (f"sha256:{E66[:-1]}g", "invalid checksum digest format"),
        ("sha256:", "invalid checksum digest format"),
        (":abc", "invalid checksum digest format"),
        ("sha256", "invalid checksum digest format"),
        (f"md5:{'a' * 32}", "unsupported digest algorithm"),
        ("md5:zz", "invalid checksum digest format"),
    ],
)
def test_digest_validation_as_go_digest(digest: str, error: str | None) -> None:
    if error is None:
        assert reference.validate_digest(digest) == digest
        parsed = reference.Digest.parse(digest)
        assert str(parsed) == digest
        assert parsed.algorithm == digest.partition(":")[0]
        assert parsed.hex == parsed.encoded == digest.partition(":")[2]
    else:
        with pytest.raises(reference.InvalidReference) as info:
            reference.validate_digest(digest)
        assert str(info.value) == error


def test_digest_of_content_and_streaming_verification() -> None:
    digest = reference.Digest.from_bytes(b"hello")
    assert str(digest) == "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    hasher = digest.hasher()
    hasher.update(b"hel")
    hasher.update(b"lo")
    assert digest.matches(hasher)
    assert reference.Digest.from_bytes(b"x", "sha512").algorithm == "sha512"
    with pytest.raises(reference.UnsupportedDigest):
        reference.Digest.from_bytes(b"x", "md5")


def test_a_huge_input_fails_quickly_instead_of_backtracking() -> None:
    with pytest.raises(reference.InvalidReference):
        reference.parse("a" * 20000 + "!")
    with pytest.raises(reference.InvalidReference):
        reference.parse_normalized_named("a-" * 10000 + "!")
