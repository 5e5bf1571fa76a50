"""TLS and proxies over real loopback sockets: verification always on through the OS trust
store (so a call centre's own inspection root works), certifi as the fallback, and the
environment's proxy honoured and named when it fails.

The certificates are made per run with the ``openssl`` command (a test CA and a ``localhost``
server certificate it signed); the TLS server is a real ``ssl``-wrapped HTTP server.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from app.api import transport
from app.api.auth import TokenAuth
from app.api.client import DeepCallClient, Timeouts
from app.api.errors import ConnectionRefused, TlsFailure
from app.core.contact import Contact
from app.sandbox import accounts
from app.sandbox.seed import DEMO_KNOWN_NUMBER
from app.sandbox.server import SandboxServer

AUTH = TokenAuth(accounts.DEMO_USER_ID, accounts.DEMO_TOKEN)
KNOWN = "+" + DEMO_KNOWN_NUMBER
FOUND = {"status": "success", "message": {"Cu": {"mobile": int(DEMO_KNOWN_NUMBER),
                                                 "Name": "Aarav Mehta"}}}
PROXY_ENV = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY",
             "http_proxy", "https_proxy", "all_proxy", "no_proxy")


@dataclass
class Certificates:
    ca: Path
    cert: Path
    key: Path


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make test certificates")
    folder = tmp_path_factory.mktemp("tls")
    curve = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    _openssl("req", "-x509", *curve, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=Call Centre Inspection Root (test)",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=folder)
    _openssl("req", *curve, "-keyout", "server.key", "-out", "server.csr",
             "-subj", "/CN=localhost", cwd=folder)
    (folder / "ext.cnf").write_text(
        "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n"
        "keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf",
             cwd=folder)
    return Certificates(folder / "ca.pem", folder / "server.pem", folder / "server.key")


@dataclass
class Recorder:
    """What a test server saw: connections accepted and HTTP request lines read."""

    connections: int = 0
    request_lines: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(recorder: Recorder) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with recorder.lock:
                recorder.request_lines.append(self.requestline)
            body = json.dumps(FOUND).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_CONNECT(self) -> None:  # a tunnel to a remote host: seen, then refused
            with recorder.lock:
                recorder.request_lines.append(self.requestline)
            self.send_response(502)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, recorder: Recorder, tls: ssl.SSLContext | None) -> None:
        super().__init__(("127.0.0.1", 0), _handler(recorder))
        self.recorder, self.tls = recorder, tls

    def get_request(self) -> tuple[Any, Any]:
        connection, address = super().get_request()
        with self.recorder.lock:
            self.recorder.connections += 1
        return connection, address

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.tls is not None:
            try:
                request = self.tls.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return  # the client refused our certificate: exactly what some tests expect
        super().finish_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client hanging up is not a test failure; assertions look at the recorder


@pytest.fixture
def fresh_ssl_context() -> Iterator[None]:
    """The client's context is cached per process; a test that changes trust gets its own."""
    transport.ssl_context.cache_clear()
    yield
    transport.ssl_context.cache_clear()


def _serve(tls: ssl.SSLContext | None) -> Iterator[tuple[int, Recorder]]:
    recorder = Recorder()
    server = _Server(recorder, tls)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], recorder
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


@pytest.fixture
def tls_server(certificates: Certificates) -> Iterator[tuple[int, Recorder]]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificates.cert, certificates.key)
    yield from _serve(context)


@pytest.fixture
def plain_server() -> Iterator[tuple[int, Recorder]]:
    """A plain-HTTP server: as a forward proxy it answers every request it is sent."""
    yield from _serve(None)


@pytest.fixture
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in PROXY_ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def lookup(brand: str) -> object:
    async def scenario() -> object:
        async with DeepCallClient(brand, AUTH, timeouts=Timeouts(connect=2, total=5)) as client:
            return await client.contact_info(KNOWN)

    return asyncio.run(scenario())


# --- TLS ---------------------------------------------------------------------------------------

def test_an_untrusted_certificate_is_refused_plainly_and_not_retried(
        tls_server: tuple[int, Recorder], fresh_ssl_context: None,
        no_proxy_env: pytest.MonkeyPatch) -> None:
    port, recorder = tls_server
    with pytest.raises(TlsFailure) as caught:
        lookup(f"https://localhost:{port}")
    assert "could not be verified" in caught.value.user_message
    assert "certificate" in caught.value.user_message
    assert recorder.request_lines == []  # nothing was sent over the unverified connection
    assert recorder.connections == 1  # a TLS failure is not retried


def test_a_root_in_the_os_trust_store_is_trusted(
        tls_server: tuple[int, Recorder], certificates: Certificates, fresh_ssl_context: None,
        no_proxy_env: pytest.MonkeyPatch) -> None:
    # SSL_CERT_FILE stands in for the OS store a call centre's IT adds its inspection root to;
    # truststore reads it, certifi's fixed bundle would not.
    port, recorder = tls_server
    no_proxy_env.setenv("SSL_CERT_FILE", str(certificates.ca))
    result = lookup(f"https://localhost:{port}")
    assert isinstance(result, Contact)
    assert recorder.request_lines == ["POST /api/v2/agentDashboard/contactInfo HTTP/1.1"]


def test_the_hostname_is_checked_too(
        tls_server: tuple[int, Recorder], certificates: Certificates, fresh_ssl_context: None,
        no_proxy_env: pytest.MonkeyPatch) -> None:
    port, _recorder = tls_server
    no_proxy_env.setenv("SSL_CERT_FILE", str(certificates.ca))
    with pytest.raises(TlsFailure):
        lookup(f"https://127.0.0.1:{port}")  # the same server, but not a name in its cert


def test_a_host_name_written_with_its_trailing_dot_still_verifies(
        tls_server: tuple[int, Recorder], certificates: Certificates, fresh_ssl_context: None,
        no_proxy_env: pytest.MonkeyPatch) -> None:
    # "host." is the same DNS name, but the certificate names "host": the dot once passed the
    # address check and then failed every request with "could not be verified".
    port, recorder = tls_server
    no_proxy_env.setenv("SSL_CERT_FILE", str(certificates.ca))
    assert isinstance(lookup(f"https://localhost.:{port}"), Contact)
    assert recorder.request_lines == ["POST /api/v2/agentDashboard/contactInfo HTTP/1.1"]


def test_truststore_is_the_context_and_certifi_the_fallback(
        tls_server: tuple[int, Recorder], certificates: Certificates, fresh_ssl_context: None,
        no_proxy_env: pytest.MonkeyPatch) -> None:
    import truststore

    assert isinstance(transport.ssl_context(), truststore.SSLContext)
    transport.ssl_context.cache_clear()
    no_proxy_env.setitem(sys.modules, "truststore", None)  # "import truststore" now fails
    fallback = transport.ssl_context()
    assert not isinstance(fallback, truststore.SSLContext)
    assert fallback.verify_mode is ssl.CERT_REQUIRED
    assert fallback.check_hostname
    assert fallback.cert_store_stats()["x509_ca"] > 50  # certifi's bundle is loaded
    # Verification stays on: certifi does not know the test root, even with SSL_CERT_FILE.
    no_proxy_env.setenv("SSL_CERT_FILE", str(certificates.ca))
    port, _recorder = tls_server
    with pytest.raises(TlsFailure):
        lookup(f"https://localhost:{port}")


def test_https_to_a_plain_http_port_says_so_not_install_a_certificate(
        sandbox: SandboxServer, no_proxy_env: pytest.MonkeyPatch) -> None:
    with pytest.raises(TlsFailure) as caught:
        lookup(sandbox.base_url.replace("http://", "https://"))
    message = caught.value.user_message
    assert "did not set up a secure (HTTPS) connection" in message
    assert "host and port" in message
    assert "install" not in message


# --- proxies from the environment --------------------------------------------------------------

REMOTE = "https://api.deepcall.test"  # .test never resolves: only a proxy can take it


def test_the_environment_proxy_carries_a_call_to_a_remote_host(
        plain_server: tuple[int, Recorder], no_proxy_env: pytest.MonkeyPatch) -> None:
    proxy_port, recorder = plain_server
    no_proxy_env.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy_port}")
    with pytest.raises(ConnectionRefused) as caught:  # this proxy refuses every tunnel
        lookup(REMOTE)
    # (a read is tried again once on a transport fault: through the same proxy)
    assert set(recorder.request_lines) == {"CONNECT api.deepcall.test:443 HTTP/1.1"}
    assert f"The proxy 127.0.0.1:{proxy_port} refused" in caught.value.user_message


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"])
def test_loopback_never_goes_through_the_environment_proxy(
        sandbox: SandboxServer, plain_server: tuple[int, Recorder],
        no_proxy_env: pytest.MonkeyPatch, variable: str) -> None:
    # The demo's and the self-test's embedded sandbox, a local test server: an office proxy
    # cannot reach this computer's 127.0.0.1, and must not be asked to.
    proxy_port, recorder = plain_server
    no_proxy_env.setenv(variable, f"http://127.0.0.1:{proxy_port}")
    assert isinstance(lookup(sandbox.base_url), Contact)
    assert recorder.request_lines == []
    assert transport.env_proxy_for(sandbox.base_url) is None  # messages agree


@pytest.mark.parametrize(("url", "host"), [
    ("http://127.0.0.1:8080", "127.0.0.1"), ("http://localhost:8080", "localhost"),
    ("http://[::1]:8080", "[::1]"), ("http://127.0.0.2:8080", "127.0.0.2"),
    ("http://[0:0:0:0:0:0:0:1]:8080", "[0:0:0:0:0:0:0:1]")])
def test_every_loopback_host_is_mounted_direct(url: str, host: str) -> None:
    mounts = transport.direct_mounts(url)
    assert mounts[f"all://{host}"] is None
    assert {"all://localhost", "all://127.0.0.1", "all://[::1]"} <= set(mounts)


def test_a_remote_host_gets_no_mount_of_its_own() -> None:
    assert set(transport.direct_mounts(REMOTE)) == {"all://localhost", "all://127.0.0.1",
                                                    "all://[::1]"}


def test_no_proxy_is_honoured(no_proxy_env: pytest.MonkeyPatch) -> None:
    no_proxy_env.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    assert transport.env_proxy_for(REMOTE) == "127.0.0.1:9"
    no_proxy_env.setenv("NO_PROXY", "example.test,deepcall.test")
    assert transport.env_proxy_for(REMOTE) is None


def test_an_unreachable_proxy_is_named_without_its_password(
        no_proxy_env: pytest.MonkeyPatch) -> None:
    port = _closed_port()
    no_proxy_env.setenv("HTTPS_PROXY", f"http://agent:proxy-pw-91@127.0.0.1:{port}")
    with pytest.raises(ConnectionRefused) as caught:
        lookup(REMOTE)
    message = caught.value.user_message
    assert f"proxy 127.0.0.1:{port}" in message
    assert "HTTPS_PROXY" in message
    assert "DeepCall address" not in message  # the address is fine; the proxy is not
    assert "proxy-pw-91" not in str(caught.value) + repr(caught.value)


def test_without_a_proxy_a_refusal_points_at_the_address(
        no_proxy_env: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConnectionRefused) as caught:
        lookup(f"http://127.0.0.1:{_closed_port()}")
    assert "DeepCall address" in caught.value.user_message
    assert "proxy" not in caught.value.user_message
