"""TLS contexts per registry, from Docker's ``certs.d`` directory.

``certs.d/HOST[:PORT]/`` holds ``*.crt`` files (CAs added to the system's),
and ``NAME.cert`` + ``NAME.key`` pairs (client certificates), as dockerd
reads them.
"""

from __future__ import annotations

import ssl
from pathlib import Path

from pymoby import errdefs

__all__ = ["CertificateError", "tls_context"]


class CertificateError(errdefs.InvalidParameter):
    """A ``certs.d`` directory is inconsistent (a key without its certificate) or unreadable."""


def _directory(certs_dir: Path | None, host: str) -> Path | None:
    if certs_dir is None:
        return None
    directory = certs_dir / host
    return directory if directory.is_dir() else None


def tls_context(host: str, certs_dir: Path | None, *, verify: bool = True) -> ssl.SSLContext:
    """An SSL context for ``host`` (``host[:port]``) with its ``certs.d`` files loaded.

    ``verify=False`` is for insecure registries: no certificate or hostname
    check (client certificates are still presented). Raises
    :class:`CertificateError` for a ``.key`` without its ``.cert`` (or the
    reverse) or a file that cannot be loaded.
    """
    context = ssl.create_default_context()
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    directory = _directory(certs_dir, host)
    if directory is None:
        return context
    try:
        for ca in sorted(directory.glob("*.crt")):
            context.load_verify_locations(cafile=str(ca))
        for cert in sorted(directory.glob("*.cert")):
            key = cert.with_suffix(".key")
            if not key.exists():
                raise CertificateError(f"missing key {key.name} for client certificate {cert.name}")
            context.load_cert_chain(str(cert), str(key))
        for key in sorted(directory.glob("*.key")):
            if not key.with_suffix(".cert").exists():
                raise CertificateError(f"missing client certificate {key.stem}.cert for key {key.name}")
    except (ssl.SSLError, OSError) as exc:
        raise CertificateError(f"invalid certificates in {directory}: {exc}") from exc
    return context
