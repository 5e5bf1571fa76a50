"""Content-Encoding undone without ever holding more than the size cap.

The client asks for ``identity``, but a server or proxy may compress anyway. httpx would inflate
each received chunk in one go (a 64 KiB gzip chunk of zeros is 64 MiB), so the client reads the
raw bytes and inflates them here, never producing more than the room left under the cap.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS,
          "deflate": zlib.MAX_WBITS}


class UnsupportedEncoding(Exception):
    """The body is compressed in a way this client does not read (e.g. br, zstd)."""


class BoundedDecoder:
    """Inflates one body; ``feed`` yields decoded pieces, at most ``room`` bytes in total."""

    def __init__(self, content_encoding: str) -> None:
        codings = [c.strip().lower() for c in content_encoding.split(",")]
        codings = [c for c in codings if c and c != "identity"]
        if len(codings) > 1 or (codings and codings[0] not in _WBITS):
            raise UnsupportedEncoding(content_encoding[:40])
        self._coding = codings[0] if codings else ""
        self._inflater = zlib.decompressobj(_WBITS[self._coding]) if codings else None
        self._retried_raw = False

    @property
    def passthrough(self) -> bool:
        return self._inflater is None

    def feed(self, data: bytes, room: int) -> Iterator[bytes]:
        """Decoded bytes of ``data``; stops once ``room`` + 1 bytes were produced (over cap)."""
        if self._inflater is None:
            yield data
            return
        produced = 0
        while data and produced <= room:
            try:
                piece = self._inflater.decompress(data, room + 1 - produced)
            except zlib.error:
                if self._coding != "deflate" or self._retried_raw or produced:
                    raise
                # "deflate" is often sent without its zlib header (as httpx also allows).
                self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
                self._retried_raw = True
                continue
            produced += len(piece)
            yield piece
            data = self._inflater.unconsumed_tail
