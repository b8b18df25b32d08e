"""config.json credentials and helpers, certs.d, OCI layouts and progress output."""

from __future__ import annotations

import base64
import io
import json
import os
import stat
from pathlib import Path

import pytest

from pymoby import errdefs
from pymoby.registry import CertificateError, CredentialHelperError, Credentials, DockerConfig, OCILayout, tls_context
from pymoby.registry._progress import ProgressView, human_size

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _auth(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


async def test_auths_entries_by_key_and_by_legacy_url(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(
        json.dumps(
            {
                "auths": {
                    "https://index.docker.io/v1/": {"auth": _auth("hub", "pw")},
                    "https://example.com:5000/v1/": {"auth": _auth("ex", "pw2")},
                    "tok.example": {"auth": _auth("t", ""), "identitytoken": "refresh"},
                }
            }
        )
    )
    config = DockerConfig(path)
    assert await config.credentials_for("docker.io") == Credentials("hub", "pw")
    assert await config.credentials_for("example.com:5000") == Credentials("ex", "pw2")
    assert (await config.credentials_for("tok.example")).identity_token == "refresh"
    assert (await config.credentials_for("nowhere.example")).empty
    assert (await DockerConfig(tmp_path / "missing.json").credentials_for("docker.io")).empty


def _helper(bin_dir: Path, name: str, store: Path) -> None:
    script = bin_dir / f"docker-credential-{name}"
    script.write_text(
        "#!/bin/sh\n"
        'case "$1" in\n'
        f'  get) read s; if [ -f {store} ]; then cat {store}; else echo "credentials not found in native keychain";'
        " exit 1; fi ;;\n"
        f"  store) cat > {store} ;;\n"
        f"  erase) rm -f {store} ;;\n"
        "esac\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


async def test_credential_helpers_get_store_and_erase(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _helper(tmp_path, "unit", tmp_path / "secret.json")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"credHelpers": {"registry.example": "unit"}}))
    config = DockerConfig(path)
    assert (await config.credentials_for("registry.example")).empty
    await config.store("registry.example", Credentials("me", "secret"))
    stored = json.loads((tmp_path / "secret.json").read_text())
    assert stored == {"ServerURL": "registry.example", "Username": "me", "Secret": "secret"}
    assert await DockerConfig(path).credentials_for("registry.example") == Credentials("me", "secret")
    await config.store("registry.example", Credentials("me", identity_token="refresh-token"))
    assert (await DockerConfig(path).credentials_for("registry.example")).identity_token == "refresh-token"
    assert json.loads(path.read_text())["auths"] == {"registry.example": {}}
    assert await config.erase("registry.example")
    assert not (tmp_path / "secret.json").exists()


async def test_a_missing_helper_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"credsStore": "does-not-exist-anywhere"}))
    with pytest.raises(CredentialHelperError, match="not installed") as info:
        await DockerConfig(path).credentials_for("docker.io")
    assert errdefs.is_unavailable(info.value)


async def test_storing_in_auths_writes_a_private_file(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "config.json"
    config = DockerConfig(path)
    await config.store("docker.io", Credentials("hub", "pw"))
    data = json.loads(path.read_text())
    assert data["auths"]["https://index.docker.io/v1/"] == {"auth": _auth("hub", "pw")}
    assert path.stat().st_mode & 0o777 == 0o600
    assert await config.erase("docker.io")
    assert not await config.erase("docker.io")


def test_certs_d_key_without_certificate_is_an_error(tmp_path: Path) -> None:
    host = tmp_path / "registry.example:5000"
    host.mkdir()
    (host / "client.key").write_text("x")
    with pytest.raises(CertificateError, match=r"missing client certificate client\.cert for key client\.key"):
        tls_context("registry.example:5000", tmp_path)
    assert tls_context("other:5000", tmp_path).verify_mode.name == "CERT_REQUIRED"
    assert tls_context("other:5000", tmp_path, verify=False).check_hostname is False


def test_oci_layout_blobs_and_names(tmp_path: Path) -> None:
    layout = OCILayout.create(tmp_path / "layout")
    assert json.loads((tmp_path / "layout" / "oci-layout").read_text()) == {"imageLayoutVersion": "1.0.0"}
    first = layout.write_blob(b"one", "application/vnd.oci.image.manifest.v1+json")
    second = layout.write_blob(b"two", "application/vnd.oci.image.manifest.v1+json")
    assert layout.read_blob(first.digest) == b"one"
    layout.add(first, "v1")
    layout.add(second, "v1")  # replaces the entry named v1
    layout.add(first, "v2")
    assert layout.find("v1").digest == second.digest
    assert layout.find("v2").digest == first.digest
    with pytest.raises(errdefs.InvalidParameter):
        layout.find()
    with pytest.raises(errdefs.NotFound):
        layout.find("v3")
    with pytest.raises(errdefs.NotFound):
        OCILayout(tmp_path / "not-a-layout")


def test_progress_is_drawn_only_on_a_terminal() -> None:
    quiet = io.StringIO()
    view = ProgressView(quiet)
    view.update("sha256:" + "a" * 64, 10, 100)
    view.close()
    assert quiet.getvalue() == ""

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    view = ProgressView(terminal)
    view.update("sha256:" + "a" * 64, 50_000_000, 100_000_000)
    view.status("sha256:" + "b" * 64, "Mounted")
    view.close()
    assert "aaaaaaaaaaaa: [==============>               ] 50.0MB/100.0MB" in terminal.getvalue()
    assert "bbbbbbbbbbbb: Mounted" in terminal.getvalue()
    assert human_size(999) == "999B"
    assert human_size(1_500) == "1.5kB"
