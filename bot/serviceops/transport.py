"""The shared `httpx.AsyncClient`: pooled connections, explicit timeouts, TLS always verified."""

from __future__ import annotations

import ipaddress
import logging
import ssl
import urllib.parse
from pathlib import Path

import httpx

__all__ = ["build_http_client", "is_loopback", "warn_if_plain_http"]

log = logging.getLogger("bot.serviceops")

LIMITS = httpx.Limits(max_connections=20, max_keepalive_connections=10, keepalive_expiry=30.0)
USER_AGENT = "serviceops-bot"


def build_http_client(
    *,
    connect_timeout: float,
    read_timeout: float,
    ca_bundle: str | Path | None,
    transport: httpx.AsyncBaseTransport | None,
) -> httpx.AsyncClient:
    """An AsyncClient for ServiceOps calls.

    Args:
        connect_timeout: seconds to open a connection, also the wait for a free pooled one.
        read_timeout: seconds to wait for the answer (and to write the body).
        ca_bundle: PEM file of the CA(s) to trust instead of the system store (self-signed
            on-prem servers). Verification is never turned off.
        transport: replaces the network transport (tests).
    """
    verify: ssl.SSLContext | bool = True
    if ca_bundle is not None:
        verify = ssl.create_default_context(cafile=str(ca_bundle))
    return httpx.AsyncClient(
        timeout=httpx.Timeout(
            connect=connect_timeout, read=read_timeout, write=read_timeout, pool=connect_timeout
        ),
        limits=LIMITS,
        verify=verify,
        transport=transport,
        follow_redirects=False,
        headers={"Accept": "application/json", "User-Agent": USER_AGENT},
    )


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine (localhost, 127.0.0.0/8, ::1)."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def warn_if_plain_http(base_url: str) -> bool:
    """Log a warning when credentials would travel unencrypted to another machine."""
    parsed = urllib.parse.urlsplit(base_url)
    if parsed.scheme != "http" or is_loopback(parsed.hostname or ""):
        return False
    log.warning(
        "serviceops_plain_http",
        extra={
            "host": parsed.hostname,
            "hint": "credentials and tickets travel unencrypted; use https:// in SERVICEOPS_URL",
        },
    )
    return True
