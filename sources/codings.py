"""Content-Encoding decoding that counts every layer against the size limit as it goes.

Why not httpx's own decoding: httpx hands each network chunk to zlib in one call and
returns whatever comes out, so 1.8 KB of ``Content-Encoding: gzip, gzip`` becomes
gigabytes in memory before the caller has counted a single byte. Here every layer
produces its output in pieces of at most ``PIECE`` bytes (zlib's ``max_length``,
brotli's ``output_buffer_limit``), each piece is counted before it is passed on, and
decoding stops as soon as any layer (the bytes on the wire included) has produced more
than the limit. Peak memory is the body itself (at most the limit) plus a few pieces.

Also refused, with ``ContentEncodingError``: more than ``MAX_CODINGS`` layers (no real
server stacks three; a stack is only a way to multiply a bomb's ratio), a coding we do
not decode (scanning still-compressed bytes would give a silent "clean"), and corrupt
compressed data. Data after the end of a compressed stream is ignored, as httpx does.
"""
from __future__ import annotations

import importlib
import zlib
from collections.abc import Iterator, Sequence
from typing import Any

from sources.errors import ContentEncodingError, TooLarge

PIECE = 64 * 1024  # the most any layer outputs in one step
MAX_CODINGS = 2


def _brotli_module() -> Any | None:
    """A brotli binding that can bound its output per call (brotli >= 1.2), else ``None``.

    Older bindings decode a whole input chunk in one call, however large the result,
    which is exactly the bomb this module exists to stop; without a bounded binding
    ``br`` is neither advertised nor accepted.
    """
    for name in ("brotli", "brotlicffi"):
        try:
            module = importlib.import_module(name)
            module.Decompressor().process(b"", output_buffer_limit=1)
        except Exception:  # noqa: BLE001 - missing, or an API without the output limit
            continue
        return module
    return None


_BROTLI = _brotli_module()

#: The codings this module decodes, in the order we ask for them.
SUPPORTED: tuple[str, ...] = ("gzip", "deflate", *(("br",) if _BROTLI is not None else ()))
#: The Accept-Encoding request header: only what we can decode with a bounded output.
ACCEPT_ENCODING = ", ".join(SUPPORTED)


class _Layer:
    """One content-coding decoder: ``feed`` and ``finish`` yield pieces of at most PIECE bytes."""

    name: str

    def feed(self, data: bytes) -> Iterator[bytes]:
        raise NotImplementedError

    def finish(self) -> Iterator[bytes]:
        raise NotImplementedError


class _Zlib(_Layer):
    """gzip (RFC 1952) or deflate (RFC 9110: zlib format, or raw deflate as some servers send)."""

    def __init__(self, name: str) -> None:
        self.name = name
        # deflate: which of the two formats is decided on the first two bytes.
        self._d: Any = zlib.decompressobj(zlib.MAX_WBITS | 16) if name == "gzip" else None
        self._head = b""
        self._pending = b""

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._d is None:
            self._head += data
            if len(self._head) < 2:
                return
            data, self._head = self._head, b""
            self._d = zlib.decompressobj(zlib.MAX_WBITS if _is_zlib_header(data) else -zlib.MAX_WBITS)
        yield from self._run(data)

    def finish(self) -> Iterator[bytes]:
        if self._d is None:
            if not self._head:
                return
            self._d = zlib.decompressobj(-zlib.MAX_WBITS)
            yield from self._run(self._head)
        yield from self._run(b"")
        if not self._d.eof:
            try:
                tail = self._d.flush()
            except zlib.error as exc:
                raise _corrupt(self.name, exc) from exc
            for start in range(0, len(tail), PIECE):
                yield tail[start:start + PIECE]

    def _run(self, data: bytes) -> Iterator[bytes]:
        data = self._pending + data
        self._pending = b""
        while not self._d.eof:
            try:
                out = self._d.decompress(data, PIECE)
            except zlib.error as exc:
                raise _corrupt(self.name, exc) from exc
            data = self._d.unconsumed_tail
            if out:
                yield out
                continue
            # No output: zlib consumed all input and waits for more. (Input left over
            # without output cannot happen; kept for the next call rather than spun on.)
            self._pending = data
            return
        # After the end of the stream: trailing bytes are ignored.


def _is_zlib_header(data: bytes) -> bool:
    """RFC 1950: method 8 (deflate) in the low nibble and a header checksum divisible by 31."""
    return (data[0] & 0x0F) == 8 and (data[0] * 256 + data[1]) % 31 == 0


class _Brotli(_Layer):
    """br (RFC 7932), decoded with brotli's per-call output limit."""

    name = "br"

    def __init__(self) -> None:
        assert _BROTLI is not None
        self._error: type[Exception] = getattr(_BROTLI, "error", Exception)
        self._d = _BROTLI.Decompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._d.is_finished():
            return
        try:
            out = self._d.process(data, output_buffer_limit=PIECE)
            while True:
                if out:
                    yield out
                # More output may be pending; until brotli says so, only empty input is allowed.
                if self._d.can_accept_more_data() or self._d.is_finished():
                    return
                out = self._d.process(b"", output_buffer_limit=PIECE)
        except self._error as exc:
            raise _corrupt(self.name, exc) from exc

    def finish(self) -> Iterator[bytes]:
        return iter(())


def _corrupt(name: str, exc: Exception) -> ContentEncodingError:
    return ContentEncodingError(f"corrupt {name} data in the body: {exc}")


def _layer(name: str) -> _Layer:
    if name in ("gzip", "x-gzip"):  # x-gzip: RFC 9110 section 8.4.1.3
        return _Zlib("gzip")
    if name == "deflate":
        return _Zlib("deflate")
    if name == "br" and _BROTLI is not None:
        return _Brotli()
    shown = name if len(name) <= 32 else name[:29] + "..."
    raise ContentEncodingError(
        f"unsupported Content-Encoding {shown!r}; decoded are: {', '.join(SUPPORTED)}"
    )


class BodyDecoder:
    """Decodes a body's content codings while counting each layer's output against ``limit``.

    ``codings`` are the Content-Encoding values in the order the server applied them
    (``gzip, br`` means gzip first); ``identity`` is no coding. Feed raw body bytes to
    ``feed``, then call ``finish``; both yield decoded pieces. ``TooLarge`` as soon as the
    wire bytes or any layer's output pass the limit; ``ContentEncodingError`` for more
    than ``MAX_CODINGS`` codings, an unsupported one, or corrupt data.
    """

    def __init__(self, codings: Sequence[str], limit: int, url: str) -> None:
        names = [c.strip().lower() for c in codings]
        names = [n for n in names if n and n != "identity"]
        if len(names) > MAX_CODINGS:
            raise ContentEncodingError(
                f"{url}: the body has {len(names)} content codings; at most {MAX_CODINGS} are decoded "
                "(a stack of codings multiplies a compression bomb)", url=url)
        try:
            self._layers = [_layer(n) for n in reversed(names)]  # the last applied is undone first
        except ContentEncodingError as exc:
            raise ContentEncodingError(f"{url}: {exc}", url=url) from None
        self._names = list(reversed(names))
        self._counts = [0] * (len(self._layers) + 1)
        self._limit = limit
        self._url = url

    @property
    def decoded_sizes(self) -> list[int]:
        """Bytes seen so far: on the wire, then after each decoded layer."""
        return list(self._counts)

    def feed(self, raw: bytes) -> Iterator[bytes]:
        yield from self._push(0, raw)

    def finish(self) -> Iterator[bytes]:
        for level, layer in enumerate(self._layers):
            for piece in self._guard(layer.finish()):
                yield from self._push(level + 1, piece)

    def _push(self, level: int, data: bytes) -> Iterator[bytes]:
        if not data:
            return
        self._counts[level] += len(data)
        if self._counts[level] > self._limit:
            detail = None if level == 0 else (
                f"after decoding {self._names[level - 1]}, layer {level} of {len(self._layers)}")
            raise TooLarge(self._url, self._limit, detail=detail)
        if level == len(self._layers):
            yield data
            return
        for piece in self._guard(self._layers[level].feed(data)):
            yield from self._push(level + 1, piece)

    def _guard(self, pieces: Iterator[bytes]) -> Iterator[bytes]:
        """Give corrupt-data errors this body's URL."""
        try:
            yield from pieces
        except ContentEncodingError as exc:
            if exc.url is None:
                raise ContentEncodingError(f"{self._url}: {exc}", url=self._url) from exc.__cause__
            raise
