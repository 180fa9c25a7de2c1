"""`ServiceOpsClient`: the request API calls the bot needs, over one pooled HTTP client."""

from __future__ import annotations

import logging
import string
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx
from aiocache import Cache
from aiocache.serializers import JsonSerializer
from pydantic import ValidationError

from bot.serviceops.auth import ApiKey, Auth, PasswordGrant, TokenCache
from bot.serviceops.errors import (
    AuthenticationError,
    OutcomeUnknownError,
    ServiceOpsError,
    UnexpectedResponseError,
)
from bot.serviceops.models import Request, RequestCreate, SearchResult, TokenResponse
from bot.serviceops.responses import (
    API_KEY_HINT,
    TOKEN_REFUSED_HINT,
    error_for_response,
    error_for_token_response,
    read_json,
)
from bot.serviceops.searches import qual_details, subject_equals
from bot.serviceops.transport import Observer, Sender, build_http_client, warn_if_plain_http

__all__ = ["Observer", "ServiceOpsClient"]

log = logging.getLogger("bot.serviceops")

GATEWAY_AFTER_SENDING = frozenset({502, 504})
"""Statuses a gateway gives for a forwarded create that ServiceOps may have processed."""
PORTAL_FIELDS = frozenset({"base", "id", "name"})
CREATED_UNREADABLE = (
    "The service desk accepted the ticket but sent an answer the bot does not understand, "
    "so its number is unknown. Please check the service desk before trying again, and tell "
    "your IT admin."
)

M = TypeVar("M", Request, SearchResult, TokenResponse)


class ServiceOpsClient:
    """Client for the ServiceOps request API (`/api/v1`).

    Args:
        base_url: server root, e.g. `https://desk.example.com`.
        auth: `PasswordGrant` or `ApiKey`.
        cache: aiocache backend (JSON serializer) for the access token; in-memory if None.
        connect_timeout: seconds to connect.
        read_timeout: seconds to wait for an answer.
        ca_bundle: CA file to trust for self-signed servers.
        portal_url_template: link to a request in the portal; `{base}`, `{id}`, `{name}`.
        token_path: path of the OAuth token endpoint.
        api_path: prefix of the REST API.
        transport: replaces the network (tests).
        retry_attempts: most attempts per call for transient failures.
        retry_wait_initial: first backoff in seconds (also the jitter bound).
        retry_wait_max: longest backoff between attempts.
        retry_after_max: longest `Retry-After` honoured; a longer one ends retrying.
        observer: `observer(operation, outcome, seconds)` after each HTTP attempt (metrics).

    Raises:
        ValueError: the portal template uses an unknown placeholder.
    """

    def __init__(
        self,
        base_url: str,
        *,
        auth: Auth,
        cache: Any = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        ca_bundle: str | Path | None = None,
        portal_url_template: str = "{base}/t/request/view/{id}",
        token_path: str = "/api/oauth/token",  # noqa: S107 (a URL path)
        api_path: str = "/api/v1",
        transport: httpx.AsyncBaseTransport | None = None,
        retry_attempts: int = 4,
        retry_wait_initial: float = 0.2,
        retry_wait_max: float = 5.0,
        retry_after_max: float = 30.0,
        observer: Observer | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._auth = auth
        self._token_url = self.base_url + "/" + token_path.strip("/")
        self._api_url = self.base_url + "/" + api_path.strip("/")
        self._portal_template = _checked_template(portal_url_template)
        self._sender = Sender(
            build_http_client(
                connect_timeout=connect_timeout,
                read_timeout=read_timeout,
                ca_bundle=ca_bundle,
                transport=transport,
            ),
            attempts=retry_attempts,
            wait_initial=retry_wait_initial,
            wait_max=retry_wait_max,
            retry_after_max=retry_after_max,
            observer=observer,
        )
        self._tokens: TokenCache | None = None
        if isinstance(auth, PasswordGrant):
            if cache is None:
                cache = Cache(Cache.MEMORY, serializer=JsonSerializer())
            self._tokens = TokenCache.for_grant(
                auth,
                base_url=self.base_url,
                cache=cache,
                fetch=self._fetch_token,
            )
        warn_if_plain_http(self.base_url)

    # ------------------------------------------------------------------ public API

    async def create_request(self, request: RequestCreate) -> Request:
        """Create a request (incident); never sent twice for one call.

        Raises:
            OutcomeUnknownError: it was sent but no answer came; search before retrying.
            UnexpectedResponseError: accepted, but the answer was unreadable (it most
                likely exists; its user_message says to check first).
            ServiceOpsError: any other failure (see `errors`).
        """
        response = await self._call(
            "create_request", "POST", "/request", json=request.to_json(), idempotent=False
        )
        try:
            return _parse(
                Request, read_json(response, operation="create_request"), "create_request"
            )
        except UnexpectedResponseError as exc:
            exc.user_message = CREATED_UNREADABLE
            raise

    async def get_request(self, request_id: int) -> Request:
        """One request by its numeric `id` (not its `INC-n` name)."""
        response = await self._call("get_request", "GET", f"/request/{int(request_id)}")
        return _parse(Request, read_json(response, operation="get_request"), "get_request")

    async def search_requests(
        self,
        qual: dict[str, Any] | None = None,
        *,
        offset: int = 0,
        size: int = 25,
        sort_by: str | None = None,
    ) -> SearchResult:
        """One page of requests matching `qual` (the vendor's `qualDetails` body; None: all)."""
        params: dict[str, str | int] = {"offset": offset, "size": size}
        if sort_by:
            params["sort_by"] = sort_by
        response = await self._call(
            "search_requests", "POST", "/request/search/byqual", json=qual or {}, params=params
        )
        body = read_json(response, operation="search_requests")
        return _parse(SearchResult, body, "search_requests")

    async def find_requests(
        self,
        *,
        subject: str,
        requester: str | None = None,
        since: datetime | None = None,
        size: int = 50,
    ) -> list[Request]:
        """Requests with exactly this subject, optionally of one requester and recent enough.

        Searches once (the first `size` results, `sort_by=createdTime`) with a subject
        qualification, then keeps only the requests matching every criterion below itself:
        how the server matches is unverified (the `request.subject` key, the case-sensitivity
        of `equal`: VERIFY).

        Args:
            subject: the subject, compared exactly.
            requester: e-mail of the requester, compared case-insensitively; None: anyone.
            since: aware datetime; requests created before it are left out (a request
                without `createdTime` is kept). None: any age.
            size: how many search results to look at.

        Raises:
            ValueError: `since` is naive.
            ServiceOpsError: the search failed (see `errors`).
        """
        if since is not None and since.utcoffset() is None:
            raise ValueError("find_requests: since must be timezone-aware")
        result = await self.search_requests(
            qual_details(subject_equals(subject)), size=size, sort_by="createdTime"
        )
        wanted = None if requester is None else requester.lower()
        found = []
        for request in result.items:
            created_at = request.created_at
            if (
                request.subject == subject
                and (wanted is None or (request.requester_email or "").lower() == wanted)
                and (since is None or created_at is None or created_at >= since)
            ):
                found.append(request)
        return found

    async def add_note(
        self, request_id: int, text: str, *, conversation_type: str = "note"
    ) -> dict[str, Any]:
        """Add a published conversation entry (`details` may be HTML); never sent twice."""
        body = {
            "conversationType": conversation_type,
            "details": text,
            "conversationState": "published",
        }
        path = f"/request/{int(request_id)}/conversation"
        response = await self._call("add_note", "POST", path, json=body, idempotent=False)
        if not response.content.strip():
            return {}
        result = read_json(response, operation="add_note")
        if not isinstance(result, dict):
            raise UnexpectedResponseError(
                "add_note: answer is not a JSON object", status=response.status_code
            )
        return result

    def portal_url(self, request_id: int, *, name: str | None = None) -> str:
        """Link to the request in the ServiceOps portal."""
        return self._portal_template.format(base=self.base_url, id=request_id, name=name or "")

    async def check_auth(self) -> None:
        """Prove the credentials work: a fresh token, or (API key) one small search.

        Raises:
            AuthenticationError: refused; `admin_hint` says which setting to check.
            ServiceOpsError: the server could not be asked.
        """
        if self._tokens is not None:
            await self._tokens.renew()
        else:
            await self.search_requests(size=1)

    async def aclose(self) -> None:
        await self._sender.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"ServiceOpsClient({self.base_url!r}, auth={self._auth!r})"

    # ------------------------------------------------------------------ internals

    async def _call(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str | int] | None = None,
        idempotent: bool = True,
    ) -> httpx.Response:
        """One API call: authenticate, send with retries, re-authenticate once on 401."""
        try:
            return await self._call_once_reauthenticated(
                operation, method, self._api_url + path, json, params, idempotent
            )
        except AuthenticationError as exc:
            log.error("serviceops_auth_refused", extra={"operation": operation, "hint": str(exc)})
            raise
        except ServiceOpsError as exc:
            log.warning(
                "serviceops_call_failed",
                extra={"operation": operation, "error": type(exc).__name__, "status": exc.status},
            )
            raise

    async def _call_once_reauthenticated(
        self,
        operation: str,
        method: str,
        url: str,
        json: Any,
        params: dict[str, str | int] | None,
        idempotent: bool,
    ) -> httpx.Response:
        for auth_attempt in (1, 2):
            header, token = await self._authorization()
            response = await self._sender.send(
                operation,
                method,
                url,
                headers={"Authorization": header},
                json=json,
                params=params,
                idempotent=idempotent,
            )
            if response.status_code != 401:
                if response.is_success:
                    return response
                if not idempotent and response.status_code in GATEWAY_AFTER_SENDING:
                    # A proxy answered for ServiceOps after forwarding the request: the
                    # server may have processed it (502: its answer was lost; 504: too slow).
                    raise OutcomeUnknownError(
                        f"{operation}: HTTP {response.status_code} from a gateway after sending",
                        status=response.status_code,
                        operation=operation,
                    )
                raise error_for_response(response, operation=operation)
            if isinstance(self._auth, ApiKey):
                raise AuthenticationError(
                    f"{operation}: HTTP 401 with the API key",
                    admin_hint=API_KEY_HINT,
                    status=401,
                    operation=operation,
                )
            if auth_attempt == 1 and self._tokens is not None and token is not None:
                log.warning("serviceops_token_refused", extra={"operation": operation})
                await self._tokens.invalidate(token)
        raise AuthenticationError(
            f"{operation}: HTTP 401 twice, also with a new token",
            admin_hint=TOKEN_REFUSED_HINT,
            status=401,
            operation=operation,
        )

    async def _authorization(self) -> tuple[str, str | None]:
        if isinstance(self._auth, ApiKey):
            return self._auth.header(), None
        assert self._tokens is not None
        token = await self._tokens.get()
        return f"Bearer {token}", token

    async def _fetch_token(self) -> TokenResponse:
        assert isinstance(self._auth, PasswordGrant)
        response = await self._sender.send(
            "token",
            "POST",
            self._token_url,
            headers={"Authorization": self._auth.basic_header()},
            data=self._auth.form(),
            idempotent=True,
        )
        if not response.is_success:
            raise error_for_token_response(response)
        return _parse(TokenResponse, read_json(response, operation="token"), "token")


def _parse(model: type[M], body: Any, operation: str) -> M:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise UnexpectedResponseError(
            f"{operation}: answer does not match the expected shape "
            f"({exc.error_count()} problems, first at {_first_location(exc)})",
            operation=operation,
        ) from None


def _first_location(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False, include_input=False)
    if not errors:
        return "?"
    return ".".join(str(part) for part in errors[0]["loc"]) or "top level"


def _checked_template(template: str) -> str:
    fields = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    unknown = fields - PORTAL_FIELDS
    if unknown:
        raise ValueError(
            f"portal URL template uses unknown placeholder(s) {sorted(unknown)}; "
            "use {base}, {id} and {name}"
        )
    return template
