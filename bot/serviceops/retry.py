"""When a failed HTTP attempt may be sent again, and after how long.

Reads (and the token call) are retried on anything transient. Writes (create, update,
conversation entries) are retried only when the failure happened before the request left this
process, so one call never creates two tickets or changes a request twice.
"""

from __future__ import annotations

import email.utils
import ssl
import time
from collections.abc import Callable

import httpx2

__all__ = [
    "BEFORE_SEND",
    "RETRY_STATUSES",
    "RetryableStatus",
    "outcome_of",
    "parse_retry_after",
    "retry_hook",
    "tls_failure",
]

RETRY_STATUSES = frozenset({429, 502, 503, 504})

BEFORE_SEND: tuple[type[httpx2.TransportError], ...] = (
    httpx2.ConnectError,
    httpx2.ConnectTimeout,
    httpx2.PoolTimeout,
)
"""Failures that prove the request never reached the server."""

TRANSIENT: tuple[type[httpx2.TransportError], ...] = (
    httpx2.TimeoutException,
    httpx2.NetworkError,
    httpx2.RemoteProtocolError,
)


def tls_failure(exc: BaseException) -> ssl.SSLError | None:
    """The TLS error behind `exc` (an untrusted certificate, a failed handshake), if any."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


class RetryableStatus(Exception):
    """Raised inside a retry attempt for a 429/502/503/504 answer; carries the response."""

    def __init__(self, response: httpx2.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response
        self.retry_after = parse_retry_after(response.headers.get("Retry-After"))


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)  # RFC 9110 says whole seconds; fractions are tolerated
    except ValueError:
        pass
    else:
        return seconds if seconds >= 0 and seconds != float("inf") else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - (time.time() if now is None else now), 0.0)


def retry_hook(
    *, idempotent: bool, max_retry_after: float, deadline: float | None = None
) -> Callable[[Exception], bool | float]:
    """A stamina backoff hook: False to give up, True to back off, a float to wait that long.

    Args:
        idempotent: the call may be repeated (reads, token); otherwise only failures before
            sending are retried.
        max_retry_after: longest server-requested wait honoured; a longer one ends retrying.
        deadline: `time.monotonic()` after which no attempt starts: a wait that would end
            later (a long `Retry-After`) ends retrying at once instead of keeping a person
            waiting for an answer that comes too late anyway.
    """

    def hook(exc: Exception) -> bool | float:
        if deadline is not None and time.monotonic() >= deadline:
            return False
        if tls_failure(exc) is not None:  # the same certificate will fail the same way
            return False
        if isinstance(exc, BEFORE_SEND):
            return True
        if not idempotent:
            return False
        if isinstance(exc, TRANSIENT):
            return True
        if isinstance(exc, RetryableStatus):
            if exc.retry_after is None:
                return True
            if exc.retry_after > max_retry_after:
                return False
            if deadline is not None and time.monotonic() + exc.retry_after > deadline:
                return False
            return exc.retry_after
        return False

    return hook


def outcome_of(result: httpx2.Response | BaseException) -> str:
    """Short label of one attempt's result for metrics: `ok`, `503`, `connect_error`, …"""
    if isinstance(result, httpx2.Response):
        return "ok" if result.is_success else str(result.status_code)
    if isinstance(result, httpx2.ConnectTimeout):
        return "connect_timeout"
    if tls_failure(result) is not None:
        return "tls_error"
    if isinstance(result, httpx2.PoolTimeout):
        return "pool_timeout"
    if isinstance(result, httpx2.ConnectError):
        return "connect_error"
    if isinstance(result, httpx2.TimeoutException):
        return "timeout"
    if isinstance(result, httpx2.NetworkError | httpx2.RemoteProtocolError):
        return "connection_lost"
    return "error"
