"""Arbitrary HTTP answers (status, content type, body, compression) through the client's decode
path: only typed results or typed errors, and the decoder never yields more than the cap."""

from __future__ import annotations

import asyncio
import gzip
import itertools
import zlib
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.api.auth import SsidAuth
from app.api.client import DeepCallClient
from app.api.decoding import BoundedDecoder
from app.api.errors import DeepCallApiError
from app.api.parse import parse_contact_info
from app.core.contact import Contact, UnknownCaller
from app.core.error_messages import ApiGroup

bodies = (st.binary(max_size=200)
          | st.sampled_from([b'{"status":"error","code":1014,"message":"Invalid token"}',
                             b'{"status":"success","message":{"Cu":{"Name":"A"}}}',
                             b'{"status":"success","message":{}}', b"<html>502</html>",
                             b'{"status":"error","code":"1012"}', b"null", b"[]"]))


@pytest.fixture(scope="module")
def client() -> Iterator[DeepCallClient]:
    instance = DeepCallClient("https://brand.example.test", SsidAuth("hypothesis-ssid-1"))
    yield instance
    asyncio.run(instance.aclose())


@settings(max_examples=400, deadline=None)
@given(status=st.integers(100, 599), content_type=st.sampled_from(
    ["application/json", "text/plain", "text/html; charset=utf-8", ""]), body=bodies,
    location=st.none() | st.text(max_size=30))
def test_any_http_answer_gives_a_typed_result_or_error(client: DeepCallClient, status: int,
                                                       content_type: str, body: bytes,
                                                       location: str | None) -> None:
    failure: DeepCallApiError | None = None
    try:
        data = client._decode(status, content_type, location, body,
                              ApiGroup.AGENT_DASHBOARD, "contactInfo")
        result: object = parse_contact_info(data, "+918302390884")
    except DeepCallApiError as error:
        failure, result = error, None
    if failure is not None:
        assert failure.user_message
        assert "hypothesis-ssid-1" not in str(failure)
    else:
        assert isinstance(result, Contact | UnknownCaller)


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=5000), cap=st.integers(0, 6000),
       encoding=st.sampled_from(["gzip", "deflate", "identity", ""]),
       cuts=st.lists(st.integers(0, 6000), max_size=6))
def test_the_decoder_restores_the_body_and_never_passes_the_cap(
        body: bytes, cap: int, encoding: str, cuts: list[int]) -> None:
    sent = (gzip.compress(body) if encoding == "gzip"
            else zlib.compress(body) if encoding == "deflate" else body)
    points = sorted({min(c, len(sent)) for c in cuts} | {0, len(sent)})
    decoder = BoundedDecoder(encoding)
    out = bytearray()
    for start, end in itertools.pairwise(points):
        for piece in decoder.feed(sent[start:end], cap - len(out)):
            out += piece
        if len(out) > cap:
            break
    if len(out) <= cap:
        assert bytes(out) == body
    elif not decoder.passthrough:
        assert len(out) == cap + 1  # it stopped one byte past the cap: enough to say "too big"
