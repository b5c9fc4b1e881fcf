"""Content-Encoding against a real local server: bombs are cut while decoding, in little memory.

``Content-Encoding: gzip, gzip`` lets a few KB decode to gigabytes. The size limit must
hold for the bytes on the wire and after every decoding layer, with decoding stopped as
soon as it is passed, so peak memory stays near the limit whatever the bomb decodes to.
Memory is measured with tracemalloc (zlib's and brotli's output buffers are Python bytes,
which it traces). Bodies are zeros and synthetic text: no personal data.
"""
from __future__ import annotations

import gzip
import struct
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

import pytest

from sources.codings import ACCEPT_ENCODING, SUPPORTED, BodyDecoder
from sources.errors import ContentEncodingError, FetchError, HttpStatusError, TooLarge
from sources.http import build_client
from sources_testserver import LocalServer, Reply, server, synthetic_rows, test_settings  # noqa: F401

MIB = 1 << 20
BOMB_BYTES = 5 * 1024 * MIB  # what the bombs decode to: 5 GiB
LIMIT = 10 * MIB
PEAK_MAX = 100 * MIB


def _deflate_zeros(size: int) -> bytes:
    """A raw deflate stream of ``size`` zero bytes (a multiple of 1 MiB), built in milliseconds.

    After a full flush the compressor starts afresh, so every further MiB compresses to
    the same bytes: the stream is the first block, the repeated block, and the end.
    """
    block = bytes(MIB)
    c = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    first = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    return first + again * (size // MIB - 1) + c.flush()


def _crc32_zeros(size: int) -> int:
    crc, block = 0, bytes(MIB)
    for _ in range(size // MIB):
        crc = zlib.crc32(block, crc)
    return crc


def gzip_zeros(size: int) -> bytes:
    """A complete, valid gzip member of ``size`` zero bytes."""
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return header + _deflate_zeros(size) + struct.pack("<II", _crc32_zeros(size), size & 0xFFFFFFFF)


def zlib_zeros(size: int) -> bytes:
    """A complete, valid zlib stream (HTTP "deflate") of ``size`` zero bytes."""
    adler = ((size % 65521) << 16) | 1  # Adler-32 of zeros: a stays 1, b grows by 1 a byte
    return b"\x78\xda" + _deflate_zeros(size) + struct.pack(">I", adler)


@cache
def gzip_gzip_bomb() -> bytes:
    return gzip.compress(gzip_zeros(BOMB_BYTES), compresslevel=9)


def _peak(action: Callable[[], Any]) -> tuple[int, BaseException | None]:
    """Peak traced memory while ``action`` runs, and what it raised."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    raised: BaseException | None = None
    try:
        action()
    except Exception as exc:  # noqa: BLE001 - returned to the test
        raised = exc
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak, raised


def _serve(server: LocalServer, path: str, body: bytes | list[bytes], coding: str, status: int = 200) -> str:  # noqa: F811
    headers = {"Content-Type": "text/plain", "Content-Encoding": coding}
    server.route(path, Reply(status, body if isinstance(body, bytes) else iter(body), headers))
    return server.url(path)


def test_the_bomb_builders_make_valid_streams() -> None:
    assert gzip.decompress(gzip_zeros(4 * MIB)) == bytes(4 * MIB)
    assert zlib.decompress(zlib_zeros(3 * MIB)) == bytes(3 * MIB)
    assert len(gzip_gzip_bomb()) < 64 * 1024  # a few KB on the wire


def test_gzip_of_gzip_bomb_is_cut_while_decoding(server: LocalServer) -> None:  # noqa: F811
    url = _serve(server, "/bomb", gzip_gzip_bomb(), "gzip, gzip")
    with build_client(test_settings(max_bytes=LIMIT)) as c:
        peak, raised = _peak(lambda: c.fetch(url))
    assert isinstance(raised, TooLarge) and "after decoding gzip, layer 2 of 2" in str(raised)
    assert peak < PEAK_MAX, f"peak {peak / MIB:.0f} MiB"


def test_deflate_bomb_is_cut_while_decoding(server: LocalServer) -> None:  # noqa: F811
    url = _serve(server, "/bomb", zlib_zeros(1024 * MIB), "deflate")
    with build_client(test_settings(max_bytes=LIMIT)) as c:
        peak, raised = _peak(lambda: c.fetch(url))
    assert isinstance(raised, TooLarge) and "after decoding deflate" in str(raised)
    assert peak < PEAK_MAX, f"peak {peak / MIB:.0f} MiB"


@pytest.mark.skipif("br" not in SUPPORTED, reason="needs brotli >= 1.2 (a decoder with an output limit)")
def test_brotli_bomb_is_cut_while_decoding(server: LocalServer) -> None:  # noqa: F811
    import brotli  # type: ignore[import-not-found, unused-ignore]

    url = _serve(server, "/bomb", brotli.compress(bytes(256 * MIB), quality=5), "br")
    with build_client(test_settings(max_bytes=MIB)) as c:
        peak, raised = _peak(lambda: c.fetch(url))
        normal = synthetic_rows(200).encode()
        assert c.fetch(_serve(server, "/br", brotli.compress(normal), "br")).content == normal
    assert isinstance(raised, TooLarge) and "after decoding br" in str(raised)
    assert peak < PEAK_MAX, f"peak {peak / MIB:.0f} MiB"


def test_an_error_body_is_drained_without_decoding(server: LocalServer) -> None:  # noqa: F811
    # A 404 whose short body is the bomb: read to reuse the connection, never decoded.
    url = _serve(server, "/gone", gzip_gzip_bomb(), "gzip, gzip", status=404)
    with build_client(test_settings(max_bytes=LIMIT)) as c:
        peak, raised = _peak(lambda: c.fetch(url))
    assert isinstance(raised, HttpStatusError) and raised.status == 404
    assert peak < PEAK_MAX, f"peak {peak / MIB:.0f} MiB"


def test_three_codings_are_refused(server: LocalServer) -> None:  # noqa: F811
    body = gzip.compress(gzip.compress(gzip.compress(b"three layers")))
    with build_client(test_settings()) as c:
        with pytest.raises(ContentEncodingError, match="3 content codings; at most 2") as info:
            c.fetch(_serve(server, "/three", body, "gzip, gzip, gzip"))
    assert info.value.failure_class == "content_encoding" and isinstance(info.value, FetchError)


@pytest.mark.parametrize("coding", ["zstd", "compress", "x-bogus"])
def test_an_unsupported_coding_is_refused_not_scanned_as_is(server: LocalServer, coding: str) -> None:  # noqa: F811
    with build_client(test_settings()) as c:
        with pytest.raises(ContentEncodingError, match="unsupported Content-Encoding"):
            c.fetch(_serve(server, "/odd", b"\x28\xb5\x2f\xfd whatever", coding))


def test_corrupt_compressed_data_is_an_error_and_not_retried(server: LocalServer) -> None:  # noqa: F811
    with build_client(test_settings()) as c:
        with pytest.raises(ContentEncodingError, match="corrupt gzip data"):
            c.fetch(_serve(server, "/corrupt", b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xffnot deflate", "gzip"))
    assert len(server.hits("/corrupt")) == 1


def _raw_deflate(data: bytes) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return c.compress(data) + c.flush()


def _chunks(data: bytes, size: int) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


@pytest.mark.parametrize(
    ("coding", "encode"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", _raw_deflate),  # raw deflate, as some servers send it
        ("gzip, gzip", lambda d: gzip.compress(gzip.compress(d))),
        ("deflate, gzip", lambda d: gzip.compress(zlib.compress(d))),
        ("identity", lambda d: d),
        ("GZIP", gzip.compress),
    ],
)
def test_ordinary_encoded_bodies_still_decode(server: LocalServer, coding: str, encode: Callable[[bytes], bytes]) -> None:  # noqa: F811
    text = synthetic_rows(3000).encode()  # ~100 KB: several pieces per layer
    with build_client(test_settings()) as c:
        whole = c.fetch(_serve(server, "/whole", encode(text), coding))
        streamed = c.fetch(_serve(server, "/streamed", _chunks(encode(text), 777), coding))
    assert whole.content == text and streamed.content == text
    assert whole.headers["content-encoding"] == coding  # the answer's headers are kept as sent


def test_a_body_right_at_the_limit_passes_and_one_byte_more_does_not(server: LocalServer) -> None:  # noqa: F811
    with build_client(test_settings(max_bytes=2 * MIB)) as c:
        assert c.fetch(_serve(server, "/at", gzip_zeros(2 * MIB), "gzip")).content == bytes(2 * MIB)
        with pytest.raises(TooLarge):
            c.fetch(_serve(server, "/over", gzip.compress(bytes(2 * MIB + 1)), "gzip"))


def test_only_decodable_codings_are_asked_for(server: LocalServer) -> None:  # noqa: F811
    server.route("/a", Reply(200, b"plain", {"Content-Type": "text/plain"}))
    with build_client(test_settings()) as c:
        c.fetch(server.url("/a"))
    assert server.hits("/a")[0].headers["accept-encoding"] == ACCEPT_ENCODING
    assert {c.strip() for c in ACCEPT_ENCODING.split(",")} <= {"gzip", "deflate", "br"}


def _decode_all(decoder: BodyDecoder, body: bytes, step: int) -> Iterator[bytes]:
    for i in range(0, len(body), step):
        yield from decoder.feed(body[i:i + step])
    yield from decoder.finish()


def test_decoder_counts_every_layer_and_stops_at_the_limit() -> None:
    text = bytes(200_000)
    ok = BodyDecoder(["gzip", "gzip"], 10**6, "u")
    assert b"".join(_decode_all(ok, gzip.compress(gzip.compress(text)), 10)) == text
    wire, inner, decoded = ok.decoded_sizes
    assert wire < inner < decoded == len(text)
    cut = BodyDecoder(["gzip"], 50_000, "u")
    with pytest.raises(TooLarge):
        b"".join(_decode_all(cut, gzip.compress(text), 10**6))
    assert cut.decoded_sizes[1] <= 50_000 + 64 * 1024  # stopped within one piece of the limit
