"""The HTTP layer: one pooled `httpx2.AsyncClient` (TLS always verified) and `Sender`,
which sends one call with bounded, jittered retries and reports every attempt."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import ssl
import time
import urllib.parse
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx2
import stamina

from bot.serviceops.responses import error_for_transport
from bot.serviceops.retry import RETRY_STATUSES, RetryableStatus, outcome_of, retry_hook

__all__ = ["Observer", "Sender", "build_http_client", "is_loopback", "warn_if_plain_http"]

log = logging.getLogger("bot.serviceops")

LIMITS = httpx2.Limits(max_connections=50, max_keepalive_connections=50, keepalive_expiry=30.0)
"""At most 50 calls in flight to ServiceOps; more wait their turn for a pooled connection
(up to the read timeout), so a burst of tickets queues instead of flooding the server."""
USER_AGENT = "serviceops-bot"
RETRY_WAIT_TOTAL = 10.0
"""Seconds one call may spend retrying before it gives up: someone is looking at
"Creating your ticket…" (and, for the token, everyone else waits behind that call), so a
desk asking to come back in 30 s gets a "busy, try again" now rather than an answer in 91 s."""

Observer = Callable[[str, str, float], None]
"""`observer(operation, outcome, seconds)`, called after every HTTP attempt."""


def build_http_client(
    *,
    connect_timeout: float,
    read_timeout: float,
    ca_bundle: str | Path | None,
    transport: httpx2.AsyncBaseTransport | None,
) -> httpx2.AsyncClient:
    """An AsyncClient for ServiceOps calls.

    Args:
        connect_timeout: seconds to open a connection.
        read_timeout: seconds to wait for the answer (and to write the body), and the longest
            wait for a free pooled connection during a burst.
        ca_bundle: PEM file of the CA(s) to trust instead of the system store (self-signed
            on-prem servers). Verification is never turned off.
        transport: replaces the network transport (tests).
    """
    verify: ssl.SSLContext | bool = True
    if ca_bundle is not None:
        verify = ssl.create_default_context(cafile=str(ca_bundle))
    return httpx2.AsyncClient(
        timeout=httpx2.Timeout(
            connect=connect_timeout, read=read_timeout, write=read_timeout, pool=read_timeout
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


class Sender:
    """Sends one call, retrying what is safe to retry (see `retry`), and reports attempts.

    Args:
        http: the shared client.
        attempts: most attempts per call.
        wait_initial: first backoff in seconds, also the jitter bound.
        wait_max: longest backoff.
        retry_after_max: longest `Retry-After` honoured.
        wait_total: longest a call goes on retrying, in seconds from its first attempt: no
            attempt starts later, and a `Retry-After` that would end later ends retrying (a
            person is waiting; `RETRY_WAIT_TOTAL`).
        observer: told `(operation, outcome, seconds)` after each attempt; its failures are
            logged and ignored.
    """

    def __init__(
        self,
        http: httpx2.AsyncClient,
        *,
        attempts: int,
        wait_initial: float,
        wait_max: float,
        retry_after_max: float,
        wait_total: float = RETRY_WAIT_TOTAL,
        observer: Observer | None,
    ) -> None:
        self.http = http
        self._attempts = max(1, attempts)
        self._wait_initial = wait_initial
        self._wait_max = wait_max
        self._retry_after_max = retry_after_max
        self._wait_total = wait_total
        self._observer = observer
        # Calls beyond the pool's size wait here rather than in httpcore's pool, whose
        # bookkeeping costs grow with every request queued in it.
        self._slots = asyncio.Semaphore(LIMITS.max_connections or 50)

    async def aclose(self) -> None:
        await self.http.aclose()

    @contextlib.asynccontextmanager
    async def _slot(self) -> AsyncIterator[None]:
        """A turn to call ServiceOps, waited for no longer than the pool timeout.

        Raises:
            httpx2.PoolTimeout: no turn in time (nothing was sent, so it may be retried).
        """
        try:
            async with asyncio.timeout(self.http.timeout.pool):
                await self._slots.acquire()
        except TimeoutError:
            raise httpx2.PoolTimeout("no free ServiceOps connection in time") from None
        try:
            yield
        finally:
            self._slots.release()

    async def send(
        self,
        operation: str,
        method: str,
        url: str,
        *,
        headers: dict[str, str],
        json: Any = None,
        data: dict[str, str] | None = None,
        params: dict[str, str | int] | None = None,
        idempotent: bool,
        files: dict[str, Any] | None = None,
    ) -> httpx2.Response:
        """Send with retries; returns the last answer, which may be an error status.

        `files` (multipart) are read from their start on every attempt."""
        hook = retry_hook(
            idempotent=idempotent,
            max_retry_after=self._retry_after_max,
            deadline=time.monotonic() + self._wait_total,
        )
        try:
            async for attempt in stamina.retry_context(
                on=hook,
                attempts=self._attempts,
                timeout=None,
                wait_initial=self._wait_initial,
                wait_max=self._wait_max,
                wait_jitter=self._wait_initial,
            ):
                with attempt:
                    response = await self._attempt(
                        operation,
                        method,
                        url,
                        headers=headers,
                        json=json,
                        data=data,
                        params=params,
                        files=files,
                    )
                    if response.status_code in RETRY_STATUSES:
                        raise RetryableStatus(response)
                    return response
        except RetryableStatus as exc:
            return exc.response
        except httpx2.TransportError as exc:
            raise error_for_transport(exc, operation=operation, idempotent=idempotent) from None
        raise AssertionError("unreachable: stamina either returns or re-raises")

    async def _attempt(
        self,
        operation: str,
        method: str,
        url: str,
        *,
        headers: dict[str, str],
        json: Any,
        data: dict[str, str] | None,
        params: dict[str, str | int] | None,
        files: dict[str, Any] | None = None,
    ) -> httpx2.Response:
        started = time.perf_counter()
        try:
            async with self._slot():
                response = await self.http.request(
                    method, url, headers=headers, json=json, data=data, params=params, files=files
                )
        except httpx2.TransportError as exc:
            self._observe(operation, outcome_of(exc), time.perf_counter() - started)
            log.debug(
                "serviceops_attempt_failed",
                extra={"operation": operation, "error": type(exc).__name__},
            )
            raise
        seconds = time.perf_counter() - started
        self._observe(operation, outcome_of(response), seconds)
        if log.isEnabledFor(logging.DEBUG):  # parsing the URL costs more than the line
            log.debug(
                "serviceops_attempt",
                extra={
                    "operation": operation,
                    "method": method,
                    "path": httpx2.URL(url).path,
                    "status": response.status_code,
                    "seconds": round(seconds, 3),
                },
            )
        return response

    def _observe(self, operation: str, outcome: str, seconds: float) -> None:
        if self._observer is None:
            return
        try:
            self._observer(operation, outcome, seconds)
        except Exception:  # noqa: BLE001 (metrics must never break a ticket)
            log.warning("serviceops_observer_failed", extra={"operation": operation})
