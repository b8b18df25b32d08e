"""HTTPS registries: certificate verification with a CA and client certificates from certs.d."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from support.registry import RegistryServer, TLSFiles

from pymoby import errdefs
from pymoby.registry import CertificateError, RegistryClient, RegistryOptions, push_from_layout

pytestmark = pytest.mark.anyio


def _certs_dir(root: Path, host: str, tls: TLSFiles, *, ca: bool = True, client: bool = True) -> Path:
    directory = root / "certs.d" / host
    directory.mkdir(parents=True)
    if ca:
        shutil.copy(tls.ca_cert, directory / "ca.crt")
    if client:
        shutil.copy(tls.client_cert, directory / "client.cert")
        shutil.copy(tls.client_key, directory / "client.key")
    return root / "certs.d"


async def test_https_with_the_ca_and_client_certificate_from_certs_d(
    tls_registry: RegistryServer, tls_files: TLSFiles, images: dict[str, Any], tmp_path: Path
) -> None:
    certs = _certs_dir(tmp_path, tls_registry.host, tls_files)
    # verification on, even on loopback, so the CA really is what makes it work
    options = RegistryOptions(certs_dir=certs, insecure_loopback=False, retries=0)
    ref = f"{tls_registry.host}/tls/app:v1"
    async with RegistryClient(options) as client:
        assert await push_from_layout(client, images["layout"], ref, name="v1") == images["v1"]["digest"]
        assert (await client.get_manifest(ref)).digest == images["v1"]["digest"]


async def test_an_unknown_ca_is_refused(tls_registry: RegistryServer, tls_files: TLSFiles, tmp_path: Path) -> None:
    certs = _certs_dir(tmp_path, tls_registry.host, tls_files, ca=False)
    options = RegistryOptions(certs_dir=certs, insecure_loopback=False, retries=0)
    async with RegistryClient(options) as client:
        with pytest.raises(errdefs.PymobyError) as info:
            await client.get_manifest(f"{tls_registry.host}/tls/app:v1")
    assert errdefs.is_unavailable(info.value)
    assert "CERTIFICATE_VERIFY_FAILED" in str(info.value)


async def test_without_a_client_certificate_the_handshake_fails(
    tls_registry: RegistryServer, tls_files: TLSFiles, tmp_path: Path
) -> None:
    certs = _certs_dir(tmp_path, tls_registry.host, tls_files, client=False)
    options = RegistryOptions(certs_dir=certs, insecure_loopback=False, retries=0)
    async with RegistryClient(options) as client:
        with pytest.raises(errdefs.PymobyError) as info:
            await client.get_manifest(f"{tls_registry.host}/tls/app:v1")
    assert errdefs.is_unavailable(info.value)


async def test_a_key_without_its_certificate_is_reported(
    tls_registry: RegistryServer, tls_files: TLSFiles, tmp_path: Path
) -> None:
    certs = _certs_dir(tmp_path, tls_registry.host, tls_files)
    (certs / tls_registry.host / "client.cert").unlink()
    async with RegistryClient(RegistryOptions(certs_dir=certs, insecure_loopback=False, retries=0)) as client:
        with pytest.raises(CertificateError, match=r"missing client certificate client\.cert for key client\.key"):
            await client.get_manifest(f"{tls_registry.host}/tls/app:v1")
