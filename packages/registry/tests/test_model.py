"""Pure parts of the client: errors, challenges, credentials, endpoints, platforms, manifests."""

from __future__ import annotations

import base64
import json

import pytest

from pymoby import errdefs
from pymoby.registry import (
    DOCKER_MANIFEST,
    DOCKER_MANIFEST_LIST,
    OCI_INDEX,
    OCI_MANIFEST,
    BlobUnknown,
    Challenge,
    Credentials,
    Denied,
    Descriptor,
    ManifestInvalid,
    ManifestUnknown,
    NameUnknown,
    NotFoundError,
    Platform,
    RegistryOptions,
    RegistryProtocolError,
    RegistryUnavailable,
    Token,
    TooManyRequests,
    Unauthorized,
    Unsupported,
    UnsupportedManifest,
    endpoints_for,
    error_from_response,
    is_insecure,
    parse_challenges,
    parse_manifest,
    select_manifest,
)


def _body(code: str, message: str) -> bytes:
    return json.dumps({"errors": [{"code": code, "message": message, "detail": {"x": 1}}]}).encode()


@pytest.mark.parametrize(
    ("status", "code", "cls", "kind"),
    [
        (404, "MANIFEST_UNKNOWN", ManifestUnknown, errdefs.NotFound),
        (404, "BLOB_UNKNOWN", BlobUnknown, errdefs.NotFound),
        (404, "NAME_UNKNOWN", NameUnknown, errdefs.NotFound),
        (401, "UNAUTHORIZED", Unauthorized, errdefs.Unauthorized),
        (403, "DENIED", Denied, errdefs.Forbidden),
        (429, "TOOMANYREQUESTS", TooManyRequests, errdefs.Unavailable),
        (405, "UNSUPPORTED", Unsupported, errdefs.NotImplemented),
        (400, "MANIFEST_INVALID", ManifestInvalid, errdefs.InvalidParameter),
    ],
)
def test_registry_error_codes_map_to_typed_errors(status: int, code: str, cls: type, kind: type) -> None:
    error = error_from_response(status, _body(code, "the registry says so"), reference="app:v1")
    assert type(error) is cls
    assert errdefs.kind_of(error) is kind
    assert (error.code, error.status, error.reference, error.detail) == (code, status, "app:v1", {"x": 1})
    assert str(error) == f"{code.lower().replace('_', ' ')}: the registry says so"


@pytest.mark.parametrize(
    ("status", "body", "cls", "text"),
    [
        (404, b"", NotFoundError, "not found"),
        (401, b"", Unauthorized, "unauthorized: authentication required"),
        (403, b"<html>", Denied, "unexpected status 403: <html>"),
        (502, b"", RegistryUnavailable, "unexpected status 502"),
        (418, b"", RegistryProtocolError, "unexpected status 418"),
        (401, b'{"details":"incorrect username or password"}', Unauthorized, "incorrect username or password"),
    ],
)
def test_errors_without_a_code_map_by_status(status: int, body: bytes, cls: type, text: str) -> None:
    error = error_from_response(status, body, context="")
    assert type(error) is cls
    assert str(error) == text


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            [
                'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:a/b:pull,push"'
            ],
            [
                (
                    "bearer",
                    {
                        "realm": "https://auth.docker.io/token",
                        "service": "registry.docker.io",
                        "scope": "repository:a/b:pull,push",
                    },
                )
            ],
        ),
        (['Basic realm="Registry Realm"'], [("basic", {"realm": "Registry Realm"})]),
        (["Bearer realm=https://a/t, service=s"], [("bearer", {"realm": "https://a/t", "service": "s"})]),
        (
            ['Basic realm="a", Bearer realm="b",service="c"'],
            [("basic", {"realm": "a"}), ("bearer", {"realm": "b", "service": "c"})],
        ),
        (['Bearer realm="with \\"quote\\""'], [("bearer", {"realm": 'with "quote"'})]),
        ([""], []),
    ],
)
def test_www_authenticate_challenges_are_parsed(headers: list[str], expected: list[tuple[str, dict[str, str]]]) -> None:
    assert parse_challenges(headers) == [Challenge(scheme, params) for scheme, params in expected]


def test_x_registry_auth_header_decodes_as_the_docker_cli_encodes_it() -> None:
    payload = {"username": "u", "password": "p", "serveraddress": "example.com", "identitytoken": "it"}
    header = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    creds = Credentials.from_registry_auth(header)
    assert (creds.username, creds.password, creds.identity_token) == ("u", "p", "it")
    assert "p" not in repr(Credentials("u", "secret-password"))
    assert Credentials.from_registry_auth("").empty
    with pytest.raises(errdefs.InvalidParameter, match="X-Registry-Auth"):
        Credentials.from_registry_auth("!!!not base64")


def test_tokens_live_at_least_a_minute() -> None:
    short = Token.from_response({"token": "t", "expires_in": 5})
    assert short.valid
    assert Token.from_response({"access_token": "a", "refresh_token": "r"}).refresh_token == "r"
    with pytest.raises(errdefs.Unauthorized):
        Token.from_response({"nothing": 1})


def test_docker_io_goes_to_registry_1_with_mirrors_first_for_pulls_only() -> None:
    options = RegistryOptions(mirrors=("https://mirror.example:5000", "http://10.1.2.3:5000"))
    pull = endpoints_for("docker.io", options)
    assert [(e.url, e.mirror, e.secure) for e in pull] == [
        ("https://mirror.example:5000", True, True),
        ("http://10.1.2.3:5000", True, False),
        ("https://registry-1.docker.io", False, True),
    ]
    assert [e.url for e in endpoints_for("docker.io", options, push=True)] == ["https://registry-1.docker.io"]
    secure = endpoints_for("ghcr.io", options)
    assert [(e.url, e.secure, e.fallback_http) for e in secure] == [("https://ghcr.io", True, False)]


@pytest.mark.parametrize(
    ("host", "insecure"),
    [
        ("127.0.0.1:5000", True),
        ("127.8.9.10", True),
        ("localhost:5000", True),
        ("[::1]:5000", True),
        ("myregistry:5000", True),
        ("other:5000", False),
        ("10.20.30.40:443", True),
        ("10.21.0.1", False),
        ("plain.example", True),
        ("registry.example.com", False),
    ],
)
def test_insecure_registries_are_loopback_and_what_the_user_lists(host: str, insecure: bool) -> None:
    options = RegistryOptions(insecure_registries=("myregistry:5000", "10.20.0.0/16", "http://plain.example"))
    assert is_insecure(host, options) is insecure
    endpoint = endpoints_for(host, options)[0]
    assert (endpoint.secure, endpoint.fallback_http) == (not insecure, insecure)


def test_loopback_can_be_made_secure() -> None:
    assert not is_insecure("127.0.0.1:5000", RegistryOptions(insecure_loopback=False))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("linux/amd64", "linux/amd64"),
        ("linux/x86_64", "linux/amd64"),
        ("linux/arm64", "linux/arm64/v8"),
        ("linux/aarch64", "linux/arm64/v8"),
        ("linux/arm", "linux/arm/v7"),
        ("linux/arm/7", "linux/arm/v7"),
        ("arm64", "linux/arm64/v8"),
        ("Linux/AMD64", "linux/amd64"),
    ],
)
def test_platforms_are_normalised_as_containerd_does(text: str, expected: str) -> None:
    assert str(Platform.parse(text)) == expected


@pytest.mark.parametrize("text", ["", "linux/", "a/b/c/d"])
def test_malformed_platforms_are_refused(text: str) -> None:
    with pytest.raises(errdefs.InvalidParameter):
        Platform.parse(text)


def _entry(name: str, os: str, arch: str, variant: str = "") -> Descriptor:
    return Descriptor(OCI_MANIFEST, f"sha256:{name}", 1, Platform(os, arch, variant))


INDEX = [
    _entry("amd64", "linux", "amd64"),
    _entry("arm64", "linux", "arm64"),  # no variant: counts as v8
    _entry("armv7", "linux", "arm", "v7"),
    _entry("armv6", "linux", "arm", "v6"),
    _entry("windows", "windows", "amd64"),
    Descriptor(OCI_MANIFEST, "sha256:attestation", 1),
]


@pytest.mark.parametrize(
    ("wanted", "index", "chosen"),
    [
        ("linux/amd64", INDEX, "amd64"),
        ("linux/arm64/v8", INDEX, "arm64"),
        ("linux/arm64", INDEX, "arm64"),
        ("linux/arm/v7", INDEX, "armv7"),
        ("linux/arm/v6", INDEX, "armv6"),
        ("linux/arm/v8", INDEX, "armv7"),
        ("linux/arm64", [e for e in INDEX if e.digest != "sha256:arm64"], "armv7"),
        ("linux/amd64", [_entry("i386", "linux", "386")], "i386"),
        ("windows/amd64", INDEX, "windows"),
        ("linux/arm/v5", INDEX, None),
        ("linux/s390x", INDEX, None),
        ("linux/amd64", [_entry("first", "linux", "amd64"), _entry("second", "linux", "amd64")], "first"),
    ],
)
def test_platform_selection_follows_docker(wanted: str, index: list[Descriptor], chosen: str | None) -> None:
    result = select_manifest(index, Platform.parse(wanted))
    assert (result.digest.removeprefix("sha256:") if result else None) == chosen


def _manifest(media_type: str) -> bytes:
    config = {"mediaType": "x", "digest": "sha256:" + "a" * 64, "size": 2}
    if media_type in (OCI_INDEX, DOCKER_MANIFEST_LIST):
        return json.dumps({"schemaVersion": 2, "mediaType": media_type, "manifests": [config]}).encode()
    return json.dumps({"schemaVersion": 2, "mediaType": media_type, "config": config, "layers": [config]}).encode()


@pytest.mark.parametrize("media_type", [DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_MANIFEST, OCI_INDEX])
def test_the_four_manifest_formats_parse(media_type: str) -> None:
    manifest = parse_manifest(_manifest(media_type))
    assert manifest.media_type == media_type
    assert manifest.is_index is (media_type in (OCI_INDEX, DOCKER_MANIFEST_LIST))
    assert len(manifest.manifests if manifest.is_index else manifest.layers) == 1


def test_an_oci_manifest_without_media_type_is_recognised_from_content_type_or_shape() -> None:
    raw = json.dumps({"schemaVersion": 2, "config": {"digest": "sha256:" + "b" * 64, "size": 1}}).encode()
    assert parse_manifest(raw).media_type == OCI_MANIFEST
    assert parse_manifest(raw, f"{DOCKER_MANIFEST}; charset=utf-8").media_type == DOCKER_MANIFEST


def test_schema_1_is_refused_with_dockers_deprecation_notice() -> None:
    raw = json.dumps({"schemaVersion": 1, "name": "old", "fsLayers": []}).encode()
    with pytest.raises(UnsupportedManifest, match=r"^\[DEPRECATION NOTICE\] Docker Image Format v1") as info:
        parse_manifest(raw, "application/vnd.docker.distribution.manifest.v1+prettyjws", "old:latest")
    assert "Suggest the author of old:latest to upgrade the image" in str(info.value)
    assert errdefs.is_not_implemented(info.value)


@pytest.mark.parametrize(
    ("raw", "cls"),
    [
        (b"{not json", ManifestInvalid),
        (b"[]", ManifestInvalid),
        (json.dumps({"schemaVersion": 2, "mediaType": "application/x-weird"}).encode(), UnsupportedManifest),
        (
            json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": {"digest": 1}}).encode(),
            ManifestInvalid,
        ),
    ],
)
def test_malformed_manifests_are_refused(raw: bytes, cls: type) -> None:
    with pytest.raises(cls):
        parse_manifest(raw)


@pytest.mark.parametrize(
    ("server", "domain"),
    [
        ("", "docker.io"),
        ("index.docker.io", "docker.io"),
        ("https://index.docker.io/v1/", "docker.io"),
        ("myregistry", "myregistry"),
        ("http://localhost:5000/", "localhost:5000"),
        ("registry.example.com:443", "registry.example.com:443"),
    ],
)
def test_login_servers_name_registries_as_docker_login_does(server: str, domain: str) -> None:
    from pymoby.registry._client import login_domain

    assert login_domain(server) == domain
