"""Turn HTTP answers and transport failures into typed errors, and read JSON bodies."""

from __future__ import annotations

import json
import ssl
from typing import Any

import httpx2

from bot.serviceops.errors import (
    AuthenticationError,
    OutcomeUnknownError,
    RequestNotFoundError,
    RequestRejectedError,
    ServiceOpsError,
    ServiceUnavailableError,
    TLSError,
    UnexpectedResponseError,
)
from bot.serviceops.retry import BEFORE_SEND, RETRY_STATUSES, tls_failure

__all__ = ["error_for_response", "error_for_token_response", "error_for_transport", "read_json"]

CLIENT_HINT = (
    "Check SERVICEOPS_CLIENT_ID and SERVICEOPS_CLIENT_SECRET: they must match a REST "
    "integration client (Admin > Automation > Integrations > Rest Integration)."
)
USER_HINT = (
    "Check SERVICEOPS_USERNAME and SERVICEOPS_PASSWORD: the user must exist, be active and "
    "be the one the REST integration client is bound to."
)
API_KEY_HINT = (
    "The API key was refused. Check SERVICEOPS_API_KEY (Admin > Automation > Integrations > "
    "API Integration); it may have been revoked or copied incompletely."
)
BUSY = "The service desk is busy right now. Please try again in a minute."
TOKEN_REFUSED_HINT = (
    "ServiceOps refused a freshly issued token. Check that SERVICEOPS_USERNAME may use the "
    "REST API and that SERVICEOPS_URL points at the server that issued it."
)


TLS_HINT = (
    "For a self-signed or internal-CA certificate, set SERVICEOPS_CA_BUNDLE to the CA's PEM "
    "file; check that SERVICEOPS_URL names the host the certificate is for."
)


TLS_FAILED = (
    "The bot could not make a secure (TLS) connection to the service desk. Please tell your "
    "IT admin."
)


def _tls_reason(exc: ssl.SSLError) -> str:
    """`certificate not trusted: self-signed certificate`, or what else failed."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate not trusted: {exc.verify_message or exc.reason}"
    return str(exc.reason or type(exc).__name__)


def read_json(response: httpx2.Response, *, operation: str) -> Any:
    """The decoded JSON body of a successful answer, or `UnexpectedResponseError`."""
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise UnexpectedResponseError(
            f"{operation}: HTTP {response.status_code} with a body that is not JSON "
            f"(content-type {response.headers.get('content-type', 'none')!r})",
            status=response.status_code,
            operation=operation,
        ) from None


def _error_body(response: httpx2.Response) -> dict[str, Any] | None:
    """The vendor's `{code, userMessage, cause}` error body, if that is what came back."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    if isinstance(body, dict) and ("userMessage" in body or "code" in body):
        return body
    return None


def error_for_response(response: httpx2.Response, *, operation: str) -> ServiceOpsError:
    """The error for a non-2xx answer other than 401 (which the client handles itself)."""
    status = response.status_code
    body = None if status in RETRY_STATUSES else _error_body(response)
    if body is not None and (400 <= status < 500 or status == 500):
        code = body.get("code")
        server_message = body.get("userMessage")
        kind = RequestNotFoundError if status == 404 else RequestRejectedError
        return kind(
            f"{operation}: HTTP {status}, code {code!r}",
            status=status,
            code=None if code is None else str(code),
            server_message=str(server_message) if server_message else None,
            operation=operation,
        )
    if 300 <= status < 400:
        return UnexpectedResponseError(
            f"{operation}: HTTP {status} redirect to {response.headers.get('location', '?')!r}; "
            "check SERVICEOPS_URL and SERVICEOPS_API_PATH",
            status=status,
            operation=operation,
        )
    if status == 404:
        return RequestNotFoundError(
            f"{operation}: HTTP 404 (no such request, or a wrong SERVICEOPS_API_PATH)",
            status=status,
            operation=operation,
        )
    if 400 <= status < 500 and status not in RETRY_STATUSES:
        return RequestRejectedError(
            f"{operation}: HTTP {status} without an error body", status=status, operation=operation
        )
    return ServiceUnavailableError(
        f"{operation}: HTTP {status} ({response.headers.get('content-type', 'no content-type')})",
        user_message=BUSY if status == 429 else None,
        status=status,
        operation=operation,
    )


def error_for_token_response(response: httpx2.Response) -> ServiceOpsError:
    """The error for a failed password grant, naming the settings an admin should check."""
    status = response.status_code
    if status >= 500 or status == 429:
        return error_for_response(response, operation="token")
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if status == 401 or error in ("invalid_client", "unauthorized"):
        return AuthenticationError(
            f"token request refused: HTTP {status} {error or ''}".rstrip(),
            admin_hint=CLIENT_HINT,
            status=status,
            operation="token",
        )
    if error == "invalid_grant":
        return AuthenticationError(
            f"token request refused: HTTP {status} invalid_grant",
            admin_hint=USER_HINT,
            status=status,
            operation="token",
        )
    if status == 404:
        return AuthenticationError(
            "token endpoint not found: HTTP 404",
            admin_hint="Check SERVICEOPS_URL and SERVICEOPS_TOKEN_PATH (default /api/oauth/token).",
            status=status,
            operation="token",
        )
    return AuthenticationError(
        f"token request refused: HTTP {status} {error or ''}".rstrip(),
        admin_hint=f"{CLIENT_HINT} {USER_HINT}",
        status=status,
        operation="token",
    )


def error_for_transport(
    exc: httpx2.TransportError, *, operation: str, idempotent: bool
) -> ServiceOpsError:
    """The error for a request that got no answer; a write sent without answer is ambiguous."""
    kind = type(exc).__name__
    tls = tls_failure(exc)
    if tls is not None:  # nothing is sent before the handshake succeeds
        return TLSError(
            f"{operation}: TLS failed ({_tls_reason(tls)}). {TLS_HINT}",
            user_message=None if isinstance(tls, ssl.SSLCertVerificationError) else TLS_FAILED,
            operation=operation,
        )
    if not idempotent and not isinstance(exc, BEFORE_SEND):
        return OutcomeUnknownError(
            f"{operation}: sent, then {kind}; it may or may not have been carried out",
            operation=operation,
        )
    return ServiceUnavailableError(f"{operation}: {kind}", operation=operation)
