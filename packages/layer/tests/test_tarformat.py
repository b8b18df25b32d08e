"""The tar reader and writer: formats written by other tools, numbers, pax records, compression."""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import lzma
import subprocess
import tarfile
from pathlib import Path

import pytest
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

from pymoby.layer import (
    Compression,
    InvalidTar,
    UnsupportedTarEntry,
    WhiteoutFormat,
    apply_tar,
    chain_id,
    chain_ids,
    detect_compression,
    encode_header,
)
from pymoby.layer._source import ChunkSource
from pymoby.layer._tarformat import parse_number
from pymoby.layer._tarreader import TarReader
from pymoby.layer.testing import TarItem, build_tar, digest_of


def _entries(data: bytes) -> list[tuple[str, bytes, int, str]]:
    out = []
    with ChunkSource(io.BytesIO(data)) as source:
        reader = TarReader(source.next_chunk)
        while (entry := reader.next_entry()) is not None:
            out.append((entry.name, entry.type, entry.size, entry.linkname))
    return out


@pytest.mark.parametrize("fmt", [tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT])
def test_reads_what_python_tarfile_writes(fmt: int) -> None:
    buf = io.BytesIO()
    long = "dir/" + "n" * 150
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as archive:
        for name, data in (("a", b"x"), (long if fmt != tarfile.USTAR_FORMAT else "b", b"yy")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("l")
        link.type = tarfile.SYMTYPE
        link.linkname = "t" * (120 if fmt != tarfile.USTAR_FORMAT else 10)
        archive.addfile(link)
    entries = _entries(buf.getvalue())
    assert [e[0] for e in entries] == ["a", long if fmt != tarfile.USTAR_FORMAT else "b", "l"]
    assert entries[2][3] == link.linkname


def test_reads_what_gnu_tar_writes(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / ("d" * 90) / ("e" * 90)).mkdir(parents=True)
    (src / ("d" * 90) / ("e" * 90) / ("f" * 90)).write_text("deep")
    subprocess.run(["tar", "-cf", str(tmp_path / "t.tar"), "-C", str(src), "."], check=True)
    data = (tmp_path / "t.tar").read_bytes()
    names = [e[0] for e in _entries(data)]
    assert f"./{'d' * 90}/{'e' * 90}/{'f' * 90}" in names
    dest = tmp_path / "out"
    dest.mkdir()
    result = apply_tar(io.BytesIO(data), dest, whiteouts=WhiteoutFormat.DELETE)
    assert result.diff_id == "sha256:" + hashlib.sha256(data).hexdigest()
    assert (dest / ("d" * 90) / ("e" * 90) / ("f" * 90)).read_text() == "deep"


def test_base256_numbers() -> None:
    assert parse_number(b"\x80" + (8 << 30).to_bytes(11, "big")) == 8 << 30
    assert parse_number(b"0000644\x00") == 0o644
    assert parse_number(b"  644 \x00") == 0o644
    assert parse_number(b"\x00" * 8) == 0
    assert parse_number(b"\xff" * 8) == -1


def test_checksum_mismatch_is_refused() -> None:
    tar = bytearray(build_tar([TarItem("a", data=b"x")]))
    tar[0] = ord("b")
    with pytest.raises(InvalidTar, match="checksum"):
        _entries(bytes(tar))


def test_truncated_header_is_refused() -> None:
    with pytest.raises(InvalidTar, match="unexpected EOF"):
        _entries(build_tar([TarItem("a", data=b"x")])[:300])


def test_sparse_files_are_unsupported() -> None:
    header = bytearray(encode_header("sparse", b"0"))
    header[156:157] = b"S"
    header[148:156] = b"        "
    header[148:156] = b"%06o\x00 " % sum(header)
    with pytest.raises(UnsupportedTarEntry, match="sparse"):
        _entries(bytes(header) + bytes(1024))


def test_an_empty_stream_is_an_empty_layer(tmp_path: Path) -> None:
    result = apply_tar(io.BytesIO(b""), tmp_path)
    assert result.diff_id == digest_of(b"")


@settings(max_examples=50, deadline=None)
@given(
    name=st.text(
        st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="/\x00."), min_size=1, max_size=200
    ),
    size=st.integers(0, 3000),
    uid=st.integers(0, 2**32 - 2),
)
def test_written_headers_read_back(name: str, size: int, uid: int) -> None:
    data = build_tar([TarItem(name, data=b"z" * size, uid=uid, xattrs={"user.k": b"\x00\xff"})])
    entries = _entries(data)
    assert entries == [(name, b"0", size, "")]


def test_headers_are_deterministic() -> None:
    assert encode_header("a" * 300, b"0", size=5, mtime=7) == encode_header("a" * 300, b"0", size=5, mtime=7)


@pytest.mark.parametrize(
    ("pack", "kind"),
    [
        (gzip.compress, Compression.GZIP),
        (bz2.compress, Compression.BZIP2),
        (lzma.compress, Compression.XZ),
        (lambda d: zstandard.ZstdCompressor().compress(d), Compression.ZSTD),
        (lambda d: d, Compression.NONE),
    ],
)
def test_compression_is_detected_and_hashed_uncompressed(tmp_path: Path, pack: object, kind: Compression) -> None:
    tar = build_tar([TarItem("f", data=bytes(range(256)) * 1000)])
    packed = pack(tar)  # type: ignore[operator]
    assert detect_compression(packed[:6]) is kind
    result = apply_tar(io.BytesIO(packed), tmp_path)
    assert (result.diff_id, result.compression, result.tar_size) == (digest_of(tar), kind, len(tar))


def test_multi_member_gzip_and_padding(tmp_path: Path) -> None:
    tar = build_tar([TarItem("f", data=b"q" * 5000)])
    packed = gzip.compress(tar[:1024]) + gzip.compress(tar[1024:]) + bytes(512)
    assert apply_tar(io.BytesIO(packed), tmp_path).diff_id == digest_of(tar)


def test_corrupt_gzip_is_refused(tmp_path: Path) -> None:
    packed = bytearray(gzip.compress(build_tar([TarItem("f", data=b"q" * 5000)])))
    packed[-8] ^= 0xFF
    with pytest.raises(InvalidTar, match="gzip"):
        apply_tar(io.BytesIO(bytes(packed)), tmp_path)


def test_truncated_gzip_is_refused(tmp_path: Path) -> None:
    packed = gzip.compress(build_tar([TarItem("f", data=bytes(range(256)) * 100)]))
    with pytest.raises(InvalidTar):
        apply_tar(io.BytesIO(packed[: len(packed) // 2]), tmp_path)


def test_chain_ids_follow_the_oci_definition() -> None:
    a, b = "sha256:" + "a" * 64, "sha256:" + "b" * 64
    expected = "sha256:" + hashlib.sha256(f"{a} {b}".encode()).hexdigest()
    assert chain_id(None, a) == a
    assert chain_ids([a, b]) == [a, expected]
