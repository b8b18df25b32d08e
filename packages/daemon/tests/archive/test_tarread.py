"""The streaming tar reader: formats, compressions, and refusal of damaged streams."""

from __future__ import annotations

import bz2
import io
import lzma
import tarfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pymoby.daemon.archive import ExtractError, TarStream, UnsupportedArchive, decompressed

from .conftest import feeder, make_tar


def read_all(data: bytes, chunk: int = 100) -> list[tuple[str, bytes, bytes]]:
    stream = TarStream(decompressed(feeder(data, chunk)))  # type: ignore[arg-type]
    out = []
    while (entry := stream.next()) is not None:
        payload = bytearray()
        stream.copy_payload(payload.extend)
        out.append((entry.name, entry.type, bytes(payload)))
    return out


def test_pax_records_xattrs_big_ids_and_times() -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("caps")
        info.size = 2
        info.uid = 10_000_000  # beyond ustar's 7 octal digits
        info.mtime = 1_700_000_000.5
        info.pax_headers = {"SCHILY.xattr.security.capability": "\x01\x00", "SCHILY.xattr.user.k": "v"}
        tar.addfile(info, io.BytesIO(b"ok"))
    stream = TarStream(feeder(buf.getvalue()))  # type: ignore[arg-type]
    entry = stream.next()
    assert entry is not None
    assert entry.uid == 10_000_000
    assert entry.mtime_ns == 1_700_000_000_500_000_000
    assert entry.xattrs == {"security.capability": b"\x01\x00", "user.k": b"v"}


def test_gnu_base256_numbers() -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        info = tarfile.TarInfo("big-uid")
        info.uid = 1 << 40
        tar.addfile(info, io.BytesIO(b""))
    entry = TarStream(feeder(buf.getvalue())).next()  # type: ignore[arg-type]
    assert entry is not None
    assert entry.uid == 1 << 40


@pytest.mark.parametrize("compress", [bz2.compress, lzma.compress])
def test_bzip2_and_xz(compress: object) -> None:
    data = compress(make_tar(("a", "1"), ("b", None)))  # type: ignore[operator]
    assert read_all(data) == [("a", b"0", b"1"), ("b/", b"5", b"")]


def test_global_headers_are_ignored() -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT, pax_headers={"comment": "x"}) as tar:
        info = tarfile.TarInfo("f")
        tar.addfile(info, io.BytesIO(b""))
    assert [n for n, _, _ in read_all(buf.getvalue())] == ["f"]


def test_bad_checksum_and_truncation_are_errors() -> None:
    data = bytearray(make_tar(("file", "x" * 1000)))
    damaged = bytes(data)
    damaged = damaged[:148] + b"0000000\x00" + damaged[156:]
    if damaged != bytes(data):
        with pytest.raises(ExtractError, match="checksum"):
            read_all(damaged)
    with pytest.raises(ExtractError, match="unexpected EOF"):
        read_all(bytes(data[:1200]))


@pytest.mark.parametrize("keep", [512 + 1000, 512 + 1010, 512 + 1024, 512 + 1024 + 512])
def test_a_stream_ending_after_the_last_files_data_is_complete(keep: int) -> None:
    # No end-of-archive blocks, and the padding cut anywhere: Go's reader (and so dockerd) takes it, and
    # the docker CLI sends such tars.
    data = make_tar(("file", "x" * 1000))
    for chunk in (7, 512, 4096):
        assert read_all(data[:keep], chunk) == [("file", b"0", b"x" * 1000)]


def test_an_unread_entry_may_end_the_stream_in_its_padding() -> None:
    data = make_tar(("a", "a" * 10), ("b", "b" * 1000))
    stream = TarStream(decompressed(feeder(data[: 512 + 512 + 512 + 1000], 64)))  # type: ignore[arg-type]
    names = []
    while (entry := stream.next()) is not None:
        names.append(entry.name)  # payloads left unread: next() skips them
    assert names == ["a", "b"]


def test_zstd_is_refused_clearly() -> None:
    with pytest.raises(UnsupportedArchive, match="zstd"):
        read_all(b"\x28\xb5\x2f\xfd" + bytes(100))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.text(alphabet="abcé/_-", min_size=1, max_size=120), st.binary(max_size=3000)), max_size=6),
    st.integers(min_value=1, max_value=5000),
)
def test_whatever_python_writes_reads_back(files: list[tuple[str, bytes]], chunk: int) -> None:
    clean = [(n.strip("/") or "x", d) for n, d in files]
    clean = [(n.replace("//", "/"), d) for n, d in clean]
    data = make_tar(*clean)
    assert read_all(data, chunk) == [(n, b"0", d) for n, d in clean]
