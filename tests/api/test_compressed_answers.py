"""Compressed answers over real loopback HTTP: decoded, and still bounded by the size cap.

The client asks for ``identity``; a server or a proxy may compress anyway. (respx cannot show
this: it inflates the body itself before the client sees it.)
"""

from __future__ import annotations

import asyncio
import gzip
import json
import threading
import tracemalloc
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from app.api.auth import TokenAuth
from app.api.client import DeepCallClient
from app.api.errors import BadResponse, ResponseTooLarge
from app.core.contact import Contact

FOUND = {"status": "success", "message": {"Cu": {"mobile": 918302390884, "Name": "Asha"}}}
AUTH = TokenAuth("710042", "unit-token-abcdef")


class Answer:
    """What the server sends next: body bytes and a Content-Encoding."""

    body: bytes = b""
    encoding: str = ""


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, type[Answer]]]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Encoding", Answer.encoding)
            self.send_header("Content-Length", str(len(Answer.body)))
            self.end_headers()
            self.wfile.write(Answer.body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", Answer
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)


def compressed(body: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.compress(body)
    deflater = zlib.compressobj(wbits=-zlib.MAX_WBITS if encoding == "raw-deflate" else 15)
    return deflater.compress(body) + deflater.flush()


def lookup(brand: str, **kwargs: Any) -> object:
    async def scenario() -> object:
        async with DeepCallClient(brand, AUTH, **kwargs) as client:
            return await client.contact_info("+918302390884")

    return asyncio.run(scenario())


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw-deflate"])
def test_a_compressed_answer_is_decoded(server: tuple[str, type[Answer]], encoding: str) -> None:
    brand, answer = server
    answer.body = compressed(json.dumps(FOUND).encode(), encoding)
    answer.encoding = "deflate" if encoding == "raw-deflate" else encoding
    result = lookup(brand)
    assert isinstance(result, Contact)
    assert result.groups[0].get("mobile") == 918302390884


def test_a_gzip_bomb_is_stopped_at_the_cap_without_inflating_it(
        server: tuple[str, type[Answer]]) -> None:
    brand, answer = server
    answer.body = compressed(b"0" * (64 << 20), "gzip")  # 64 MiB of digits in ~64 KiB
    answer.encoding = "gzip"
    assert len(answer.body) < 1 << 20  # under the cap as sent: only decoding can exceed it
    tracemalloc.start()
    try:
        with pytest.raises(ResponseTooLarge):
            lookup(brand, max_body_bytes=1 << 20)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20, f"peak {peak / (1 << 20):.1f} MiB while reading a 1 MiB-capped body"


@pytest.mark.parametrize(("body", "encoding", "words"), [
    (b"\x1f\x8b\x08\x00garbage-not-gzip", "gzip", "damaged"),
    (b"anything", "br", "compressed in a way"),
    (b"anything", "gzip, br", "compressed in a way"),
])
def test_unreadable_compression_is_a_bad_response(server: tuple[str, type[Answer]],
                                                  body: bytes, encoding: str,
                                                  words: str) -> None:
    brand, answer = server
    answer.body, answer.encoding = body, encoding
    with pytest.raises(BadResponse, match=words):
        lookup(brand)
