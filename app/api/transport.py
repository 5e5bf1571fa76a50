"""The HTTP layer under the client: TLS context, brand URL checks, httpx faults -> typed errors.

Every error built here comes from redacted text only; the httpx exception is never chained
(its ``.request`` holds the body with the token/ssid).
"""

from __future__ import annotations

import functools
import ipaddress
import re
import ssl
import urllib.request
from collections.abc import Iterable
from typing import Final
from urllib.parse import urlsplit

import certifi
import httpx

from app.api.errors import (
    BadResponse,
    ConnectionDropped,
    ConnectionRefused,
    DeepCallApiError,
    InvalidBrandUrl,
    RequestTimedOut,
    ResponseTooLarge,
    ServerError,
    TlsFailure,
    TransportError,
)
from app.api.parse import redact

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


@functools.cache
def ssl_context() -> ssl.SSLContext:
    """Verification always on: the OS trust store (so a call centre's TLS-inspection root
    works), or certifi's bundle where truststore cannot be used."""
    try:
        import truststore

        context: ssl.SSLContext = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    except Exception:  # truststore unsupported on this OS/Python build: certifi still verifies
        context = ssl.create_default_context(cafile=certifi.where())
    return context


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)")
_BRACKETED_HOST = re.compile(r"\[[^\[\]]+\](:[0-9]+)?")
_FIX = "Correct it in Settings (or --brand)."


def _invalid(reason: str) -> InvalidBrandUrl:
    return InvalidBrandUrl(
        f"The DeepCall address {reason}. It must look like https://v4-api.deepcall.com.",
        reason, fix=_FIX)


def _check_host(text: str, host: str) -> None:
    """Refuse what DNS or httpx would only refuse later, as an "internal error" mid-lookup."""
    if ":" in host:
        _check_ipv6(text, host)
        return
    try:
        url = httpx.URL(text)  # IDNA-encodes a Unicode name into raw_host
        _ = url.host  # and decoding it back checks the punycode (xn--) labels
        ascii_host = url.raw_host.decode("ascii")
    except (httpx.InvalidURL, ValueError):  # idna's errors are UnicodeErrors (ValueErrors)
        ascii_host = ""
    labels = ascii_host.removesuffix(".").split(".")  # one final dot: a fully qualified name
    if not ascii_host or len(ascii_host) > 253 or not all(
            _HOST_LABEL.fullmatch(label) for label in labels):
        raise _invalid("has a host name that is not a valid internet name")


def _check_ipv6(text: str, host: str) -> None:
    """An IPv6 literal alone in its brackets, then at most a port: urlsplit takes the first
    [...] anywhere in the host part, so ``a*::1[::1]`` would pass on its own."""
    host_and_port = urlsplit(text).netloc.rpartition("@")[2]
    try:
        ipaddress.ip_address(host.split("%")[0])  # a zone (%eth0) is the link's, not checked
    except ValueError:
        raise _invalid("has an IPv6 address that is not valid") from None
    if not _BRACKETED_HOST.fullmatch(host_and_port):
        raise _invalid("has an IPv6 address that is not valid (or text around its brackets)")


def _without_trailing_dot(text: str, netloc: str, host: str) -> tuple[str, str]:
    """``host.`` is the same DNS name as ``host``, but certificates name it without the dot,
    so TLS would refuse every request: the address and its host without it."""
    if ":" in host or not host.endswith("."):
        return text, host
    start = text.index("//") + 2  # the netloc follows the scheme's "//" (no user info here)
    name, colon, port = netloc.partition(":")
    return text[:start] + name[:-1] + colon + port + text[start + len(netloc):], host[:-1]


def unusable_address() -> InvalidBrandUrl:
    """An address httpx refuses (``httpx.InvalidURL``), in plain words."""
    return _invalid("is not a web address this app can use")


def api_base(brand_url: str) -> str:
    """``https://host[/prefix]`` -> ``https://host[/prefix]/api/v2``; plain http only to loopback.

    The one check of a DeepCall address, wherever one is given (--brand, Settings, the saved
    file): InvalidBrandUrl with a plain reason for anything the client could not use.
    Tokens travel in the body, so a remote plain-http address would send them in clear text.
    """
    text = brand_url.strip().rstrip("/")
    if any(ch.isspace() or not ch.isprintable() for ch in text):
        raise _invalid("has a space or control character in it")
    try:
        parts = urlsplit(text)
    except ValueError:  # the one urlsplit raises: "Invalid IPv6 URL"
        raise _invalid("has a [ without its closing bracket (or the other way round)") from None
    if parts.scheme not in {"https", "http"} or not parts.hostname:
        raise _invalid("is not an http(s) address with a host name")
    if "@" in parts.netloc:
        raise _invalid("has a user name (or an @) before the host")
    # Even an empty "?" or "#" counts: "...com#" + "/api/v2" would send every request to "/".
    if "?" in text or "#" in text:
        raise _invalid("has a ?query or #fragment in it")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0 or parts.netloc.endswith(":"):
        raise _invalid("has a port that is not a number from 1 to 65535")
    _check_host(text, parts.hostname)
    text, host = _without_trailing_dot(text, parts.netloc, parts.hostname)
    if parts.scheme == "http" and not _is_loopback(host):
        raise InvalidBrandUrl(
            "The DeepCall address must start with https:// so your token is not sent in clear "
            "text.", "plain http to a remote host", fix=_FIX)
    for suffix in ("/api/v2", "/api"):
        if text.endswith(suffix):
            text = text[: -len(suffix)]
            break
    base = f"{text}/api/v2"
    try:
        httpx.URL(base)  # the last word: what httpx refuses would fail every request later
    except httpx.InvalidURL:
        raise unusable_address() from None
    return base


def _bypassed(host: str, no_proxy: str) -> bool:
    """NO_PROXY as httpx and curl read it: ``*``, or hosts/domains, comma-separated."""
    host = host.lower()
    for entry in (part.strip().lower() for part in no_proxy.split(",")):
        entry = entry.split("://")[-1].split(":")[0].lstrip(".") if entry != "*" else entry
        if entry == "*" or (entry and (host == entry or host.endswith("." + entry))):
            return True
    return False


# Loopback never goes through a proxy: an office proxy cannot reach this computer's own
# 127.0.0.1 (the self-test's and --demo's embedded sandbox, a local test server), and a
# dead or strict proxy in the environment must not fail them. httpx mount patterns name
# hosts, not networks: these three, plus the client's own host when it is another loopback
# address (see direct_mounts).
_ALWAYS_DIRECT: Final = ("localhost", "127.0.0.1", "[::1]")


def direct_mounts(url: str) -> dict[str, None]:
    """httpx ``mounts`` that send loopback hosts past any proxy (None: httpx's own direct
    transport), whatever HTTP(S)_PROXY / ALL_PROXY or the Windows registry say."""
    hosts = list(_ALWAYS_DIRECT)
    host = (urlsplit(url).hostname or "").lower()
    if _is_loopback(host):
        host = f"[{host}]" if ":" in host else host
        if host not in hosts:
            hosts.append(host)
    return {f"all://{host}": None for host in hosts}


def env_proxy_for(url: str) -> str | None:
    """``host:port`` of the proxy the environment sets for ``url``, or None.

    httpx routes through the same HTTP(S)_PROXY / ALL_PROXY / NO_PROXY variables (loopback
    always direct: :func:`direct_mounts`); this only names the proxy in messages, so an agent
    behind a broken proxy is not told to check the DeepCall address. Never the proxy's user
    or password.
    """
    parts = urlsplit(url)
    if _is_loopback(parts.hostname or ""):
        return None
    proxies = urllib.request.getproxies()  # what httpx reads (env; registry on Windows)
    if not proxies or _bypassed(parts.hostname or "", proxies.get("no", "")):
        return None
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if not proxy:
        return None
    proxy_parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    try:
        port = proxy_parts.port
    except ValueError:
        port = None
    if not proxy_parts.hostname:
        return None
    return f"{proxy_parts.hostname}:{port}" if port else proxy_parts.hostname


def seconds_text(seconds: float) -> str:
    return f"{seconds:g} second" + ("" if seconds == 1 else "s")


def size_text(limit: int) -> str:
    if limit % (1 << 20) == 0:
        return f"{limit >> 20} MB"
    if limit % 1024 == 0:
        return f"{limit >> 10} KB"
    return f"{limit} bytes"


def _causes(exc: BaseException) -> Iterable[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _detail(exc: BaseException, secrets: Iterable[str]) -> str:
    return redact(f"{type(exc).__name__}: {exc}"[:300], secrets)


def _is_certificate_failure(chain: list[BaseException]) -> bool:
    return any(isinstance(cause, ssl.SSLCertVerificationError | ssl.CertificateError)
               or "CERTIFICATE_VERIFY_FAILED" in str(cause) for cause in chain)


def transport_error(exc: httpx.HTTPError, host: str, total: float,
                    secrets: Iterable[str], proxy: str | None = None) -> DeepCallApiError:
    """The typed error for an httpx fault (not chained to it). ``proxy``: the environment's
    proxy for this host, if any (see :func:`env_proxy_for`)."""
    detail = _detail(exc, secrets)
    chain = list(_causes(exc))
    if isinstance(exc, httpx.TimeoutException):
        return RequestTimedOut(
            f"DeepCall ({host}) did not answer within {seconds_text(total)}. The network or "
            "DeepCall may be slow; try again in a moment.", detail,
            request_sent=not isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout))
    if _is_certificate_failure(chain):
        return TlsFailure(
            f"The secure connection to {host} could not be verified. If your office inspects "
            "HTTPS traffic, ask IT to install its certificate on this computer; otherwise "
            "check the DeepCall address in Settings.", detail)
    if any(isinstance(cause, ssl.SSLError) for cause in chain) or (
            isinstance(exc, httpx.ConnectError) and "SSL" in str(exc)):
        # Not a certificate problem: the other end does not speak HTTPS at all (a plain-http
        # port, a captive portal, a proxy or firewall cutting in).
        return TlsFailure(
            f"{host} did not set up a secure (HTTPS) connection. Check the DeepCall address "
            "in Settings, its host and port; if it is right, a proxy or firewall may be "
            "interfering: ask IT.", detail)
    if isinstance(exc, httpx.ProxyError):
        return ConnectionRefused(
            f"The proxy{f' {proxy}' if proxy else ''} refused the connection to {host}. "
            "Check the proxy settings (HTTPS_PROXY) or ask IT.", detail)
    if isinstance(exc, httpx.ConnectError) and proxy is not None:
        return ConnectionRefused(
            f"Could not reach the proxy {proxy} this computer uses for {host}. Check the "
            "proxy settings (HTTPS_PROXY / HTTP_PROXY) or ask IT.", detail)
    if isinstance(exc, httpx.ConnectError):
        if any(isinstance(cause, OSError) and "name" in str(cause).lower() for cause in chain) \
                or "name or service" in str(exc).lower() or "getaddrinfo" in str(exc).lower():
            return ConnectionRefused(
                f"The DeepCall server {host} could not be found. Check the DeepCall address "
                "in Settings and your internet connection.", detail)
        return ConnectionRefused(
            f"Could not connect to DeepCall at {host}. Check the DeepCall address in "
            "Settings and your network, then try again.", detail)
    if isinstance(exc, httpx.DecodingError):
        return BadResponse("DeepCall's answer arrived damaged and could not be read. "
                           "Try again.", detail)
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError
                  | httpx.CloseError | httpx.NetworkError):
        return ConnectionDropped(
            f"The connection to DeepCall ({host}) was cut off before an answer arrived. "
            "Try again.", detail)
    return TransportError(f"Talking to DeepCall ({host}) failed. Try again.", detail)


def deadline_error(host: str, total: float) -> RequestTimedOut:
    return RequestTimedOut(
        f"DeepCall ({host}) did not answer within {seconds_text(total)}. The network or "
        "DeepCall may be slow; try again in a moment.", f"overall deadline of {total:g} s")


def too_large(limit: int, seen: int) -> ResponseTooLarge:
    return ResponseTooLarge(
        limit, f"DeepCall's answer was larger than {size_text(limit)}, so this app stopped "
        "reading it. Check the DeepCall address; if it is right, tell your administrator.",
        f"body over {limit} bytes (stopped at {seen})")


def damaged_body() -> BadResponse:
    return BadResponse("DeepCall's answer arrived damaged and could not be read. Try again.",
                       "corrupt compressed body")


def unreadable_encoding() -> BadResponse:
    return BadResponse(
        "DeepCall's answer was compressed in a way this app cannot read. If your office uses "
        "a proxy that compresses traffic, ask IT; otherwise tell your administrator.",
        "unsupported Content-Encoding")


def server_error(status: int, host: str) -> ServerError:
    return ServerError(
        status, f"DeepCall's server ({host}) had a problem (HTTP {status}). This is on "
        "DeepCall's side or a proxy's; try again in a minute.", f"HTTP {status}")


def unexpected_status(status: int, location: str | None) -> BadResponse:
    if location is not None:
        return BadResponse(
            f"The DeepCall address redirects elsewhere ({location[:100]}). Put the final "
            "address in Settings.", f"HTTP {status} redirect")
    known = _STATUS_MESSAGES.get(status)
    if known is not None:
        return BadResponse(known, f"HTTP {status}")
    return BadResponse(
        f"DeepCall answered with HTTP {status} and no readable result. Check the DeepCall "
        "address in Settings.", f"HTTP {status}")


# Statuses that come from something between the app and DeepCall, or that say what to do:
# "check the address" would send the agent the wrong way.
_STATUS_MESSAGES: dict[int, str] = {
    401: "The server at the DeepCall address refused access before DeepCall could check your "
         "token (HTTP 401). Check the DeepCall address in Settings; if it is right, ask IT "
         "whether a gateway blocks it.",
    403: "The server at the DeepCall address refused access (HTTP 403): a firewall or gateway "
         "may block this computer. Check the DeepCall address in Settings, or ask IT.",
    404: "There is no DeepCall API at this address (HTTP 404). Check the DeepCall address in "
         "Settings: it is your account's API host, like https://v4-api.deepcall.com.",
    407: "Your office's proxy wants a sign-in (HTTP 407). Ask IT for the proxy settings "
         "(HTTPS_PROXY) this app should use.",
    429: "DeepCall is limiting how often this account may ask (HTTP 429). Wait a minute, then "
         "try again.",
}
