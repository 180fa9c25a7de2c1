"""`ServiceOpsClient`: the request API calls the bot needs, over one pooled HTTP client."""

from __future__ import annotations

import logging
import string
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, Self, TypeVar

import httpx2
from aiocache import Cache
from aiocache.serializers import JsonSerializer
from pydantic import BaseModel, ValidationError

from bot.serviceops.auth import ApiKey, Auth, PasswordGrant, TokenCache
from bot.serviceops.errors import (
    AuthenticationError,
    OutcomeUnknownError,
    ServiceOpsError,
    TLSError,
    UnexpectedResponseError,
)
from bot.serviceops.models import (
    TIME_ZONE_CONTEXT,
    Conversation,
    Request,
    RequestCreate,
    RequestUpdate,
    SearchResult,
    TokenResponse,
    _ConversationPage,
)
from bot.serviceops.responses import (
    API_KEY_HINT,
    TOKEN_REFUSED_HINT,
    error_for_response,
    error_for_token_response,
    read_json,
)
from bot.serviceops.searches import (
    conversation_type_equals,
    name_equals,
    qual_details,
    subject_equals,
)
from bot.serviceops.transport import (
    RETRY_WAIT_TOTAL,
    Observer,
    Sender,
    build_http_client,
    warn_if_plain_http,
)

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

UPDATE_OUTCOME_UNKNOWN = (
    "The service desk did not answer in time, so the change may or may not have been made. "
    "Please check the ticket before trying again."
)
CONVERSATION_OUTCOME_UNKNOWN = (
    "The service desk did not answer in time, so the message may or may not have been added "
    "to the ticket. Please check the ticket before sending it again."
)
CONVERSATION_UNREADABLE = (
    "The service desk accepted the message but sent an answer the bot does not understand. "
    "Please check the ticket before sending it again, and tell your IT admin."
)
CONVERSATION_SORT = "createdTime"
"""`sort_by` sent with a conversation search. GUESS: documented for request searches only;
the client sorts the conversations itself too."""
FIND_BY_NUMBER_SIZE = 50
"""Search results `find_by_number` looks through (more than one if the server's `equal` is
lenient, e.g. a prefix match)."""

M = TypeVar("M", bound=BaseModel)


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
        retry_wait_total: longest one call goes on retrying (seconds from its first attempt);
            a `Retry-After` that would end later ends retrying at once.
        observer: `observer(operation, outcome, seconds)` after each HTTP attempt (metrics).
        display_time_zone: zone of the display-formatted times ServiceOps sends (conversation
            times such as `"Wed, Jul 16, 2025 04:33 pm"` name none); UTC if None. Which zone
            the server uses (the API user's preference?) is a GUESS/VERIFY.
        upload_path: where files are uploaded, from the server root (undocumented: a GUESS).
        upload_field: the multipart field carrying the file.

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
        transport: httpx2.AsyncBaseTransport | None = None,
        retry_attempts: int = 4,
        retry_wait_initial: float = 0.2,
        retry_wait_max: float = 5.0,
        retry_after_max: float = 30.0,
        retry_wait_total: float = RETRY_WAIT_TOTAL,
        observer: Observer | None = None,
        display_time_zone: tzinfo | None = None,
        upload_path: str = "/api/v1/attachment/upload",
        upload_field: str = "file",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._upload_url = self.base_url + "/" + upload_path.lstrip("/")
        self._upload_field = upload_field
        self._display_time_zone = display_time_zone or UTC
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
            wait_total=retry_wait_total,
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

    async def upload_file(
        self, content: BinaryIO, *, name: str, media_type: str = "application/octet-stream"
    ) -> str:
        """Upload one file (read from `content` in chunks, from its start); the `refFileName`
        the server gives it, for a request's `fileAttachments`.

        `name` is the multipart file name: pass a safe one (the server may store it). The
        endpoint and field are settings (`upload_path`, `upload_field`): undocumented.

        Raises:
            UnexpectedResponseError: the answer names no `refFileName`.
            ServiceOpsError: any other failure (a 404 when the path is wrong).
        """
        response = await self._call(
            "upload_file",
            "POST",
            self._upload_url,
            files={self._upload_field: (name, content, media_type)},
            idempotent=False,
            absolute=True,
        )
        answer = read_json(response, operation="upload_file")
        ref = _ref_file_name(answer)
        if ref is None:
            raise UnexpectedResponseError(
                "upload_file: the answer has no refFileName; check SERVICEOPS_UPLOAD_PATH",
                status=response.status_code,
                operation="upload_file",
            )
        return ref

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

    async def scan_requests(
        self,
        qual: dict[str, Any] | None = None,
        *,
        limit: int = 200,
        page_size: int = 100,
        sort_by: str | None = "createdTime",
    ) -> tuple[list[Request], bool]:
        """Up to `limit` requests matching `qual`, read page after page.

        Returns the requests (without repeats) and whether they are all there are: False when
        `limit` stopped the reading before `totalCount` was reached.

        Raises:
            ValueError: `limit` or `page_size` is below 1.
            ServiceOpsError: a search failed (see `errors`).
        """
        if limit < 1 or page_size < 1:
            raise ValueError("scan_requests: limit and page_size must be at least 1")
        found: dict[int, Request] = {}
        offset = 0
        while True:
            size = min(page_size, limit - offset)
            page = await self.search_requests(qual, offset=offset, size=size, sort_by=sort_by)
            new = [item for item in page.items if item.id not in found]
            for item in new:
                found[item.id] = item
            offset += len(page.items)
            if not new or offset >= page.total_count:
                return list(found.values()), True
            if offset >= limit:
                return list(found.values()), False

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
        """Add a published conversation entry (`details` may be HTML); never sent twice.

        Returns the server's answer as a dict ({} if empty); see `add_conversation` for a
        typed one.
        """
        response = await self._post_conversation(
            "add_note", request_id, conversation_type=conversation_type, details=text
        )
        return _answer_object(response, "add_note")

    async def update_request(
        self, request_id: int, *, status_name: str | None = None, **fields: Any
    ) -> Request:
        """Change a request: `PATCH` with only the given fields; never sent twice.

        Args:
            request_id: the numeric `id` (not the `INC-n` name).
            status_name: the new status, e.g. `Resolved`; None: unchanged.
            **fields: other `RequestUpdate` fields, snake_case or the wire's camelCase
                (`priority_name="High"`); None values are left out.

        Returns:
            The request as the server answered; read back with `get_request` when the answer
            is empty or not a request (the vendor shows no PATCH answer: GUESS).

        Raises:
            ValueError: nothing to change, an unknown field or a bad value (nothing is sent).
            RequestRejectedError: ServiceOps refused, e.g. a tenant rule such as a resolution
                required before `Resolved`; its `user_message` quotes the server's reason.
            RequestNotFoundError: no request with that id.
            OutcomeUnknownError: sent but not answered: check before changing it again.
            ServiceOpsError: any other failure (see `errors`).
        """
        if status_name is not None:
            fields = {**fields, "status_name": status_name}
        body = RequestUpdate.model_validate(fields).to_json()
        if not body:
            raise ValueError("update_request: no field to change")
        path = f"/request/{int(request_id)}"
        try:
            response = await self._call(
                "update_request", "PATCH", path, json=body, idempotent=False
            )
        except OutcomeUnknownError as exc:
            exc.user_message = UPDATE_OUTCOME_UNKNOWN
            raise
        if response.content.strip():
            try:
                return _parse(
                    Request, read_json(response, operation="update_request"), "update_request"
                )
            except UnexpectedResponseError as exc:
                log.warning(
                    "serviceops_update_answer_unreadable",
                    extra={"operation": "update_request", "error": str(exc)},
                )
        return await self.get_request(request_id)

    async def conversations(
        self,
        request_id: int,
        *,
        types: Sequence[str] | None = None,
        size: int = 50,
    ) -> list[Conversation]:
        """A request's conversation entries, oldest first, every page of them.

        With `types`, one search per type with the documented qual (`equal` on
        `.conversation.conversationType`, an `EnumValueRest`: VERIFY); the results are
        filtered on their type here too (case-insensitively), since how the server applies
        the qual is unverified. Pages are read until `totalCount` (or an empty page, or a
        page with nothing new). Sorted by `created_time` (minute precision; unreadable times
        last), ties by `id`; `sort_by=createdTime` is asked of the server too (GUESS).

        Args:
            request_id: the numeric `id`.
            types: conversation types to keep, e.g. `["technician_to_requester"]`; None: all.
            size: page size.

        Raises:
            TypeError: `types` is a single string (pass a list).
            ValueError: `types` is empty or `size` is below 1.
            RequestNotFoundError: no request with that id.
            ServiceOpsError: any other failure (see `errors`).
        """
        if isinstance(types, str):
            raise TypeError("conversations: types must be a sequence of type names, not a str")
        if size < 1:
            raise ValueError("conversations: size must be at least 1")
        wanted = None if types is None else list(dict.fromkeys(types))
        if wanted is not None and not wanted:
            raise ValueError("conversations: types is empty; pass None for every type")
        bodies: list[dict[str, Any]] = (
            [{}]
            if wanted is None
            else [qual_details(conversation_type_equals(kind)) for kind in wanted]
        )
        found: dict[int, Conversation] = {}
        for body in bodies:
            for conversation in await self._search_conversations(request_id, body, size):
                found.setdefault(conversation.id, conversation)
        kept = list(found.values())
        if wanted is not None:
            lowered = {kind.lower() for kind in wanted}
            kept = [c for c in kept if (c.conversation_type or "").lower() in lowered]
        return sorted(kept, key=_oldest_first)

    async def add_conversation(
        self,
        request_id: int,
        *,
        conversation_type: str,
        details_html: str,
        subject: str | None = None,
    ) -> Conversation:
        """Add a published conversation entry to a request; never sent twice.

        Args:
            request_id: the numeric `id`.
            conversation_type: `requestor_to_technician` (the requester's reply; GUESS that
                this is right for a reply relayed from chat), `note` (internal), or another
                documented type.
            details_html: the message as HTML; escape any text from people.
            subject: None leaves the server's default (`"[INC-n]: <request subject>"`).

        Raises:
            OutcomeUnknownError: sent but not answered: check before sending it again.
            UnexpectedResponseError: accepted, but the answer was unreadable.
            ServiceOpsError: any other failure (see `errors`).
        """
        try:
            response = await self._post_conversation(
                "add_conversation",
                request_id,
                conversation_type=conversation_type,
                details=details_html,
                subject=subject,
            )
        except OutcomeUnknownError as exc:
            exc.user_message = CONVERSATION_OUTCOME_UNKNOWN
            raise
        try:
            return _parse(
                Conversation,
                _answer_object(response, "add_conversation"),
                "add_conversation",
                context=self._validation_context(),
            )
        except UnexpectedResponseError as exc:
            exc.user_message = CONVERSATION_UNREADABLE
            raise

    async def find_by_number(self, number: str) -> Request | None:
        """The request whose display number is `number` (`INC-12`; case-insensitive), or None.

        Searches with a qual on `request.name` (`NAME_KEY`, a GUESS), then keeps only an
        exact match itself: the qual alone is never trusted. Looks at the first
        `FIND_BY_NUMBER_SIZE` results. The digits of `INC-12` are not the request's `id`.

        Raises:
            ValueError: `number` is blank.
            ServiceOpsError: the search failed (see `errors`).
        """
        wanted = number.strip()
        if not wanted:
            raise ValueError("find_by_number: number is blank")
        result = await self.search_requests(
            qual_details(name_equals(wanted)), size=FIND_BY_NUMBER_SIZE
        )
        matches = [item for item in result.items if item.name.strip().lower() == wanted.lower()]
        if len(matches) > 1:
            log.warning(
                "serviceops_number_ambiguous",
                extra={"number": wanted, "ids": [item.id for item in matches]},
            )
        return matches[0] if matches else None

    def portal_url(self, request_id: int, *, name: str | None = None) -> str:
        """Link to the request in the ServiceOps portal."""
        return self._portal_template.format(base=self.base_url, id=request_id, name=name or "")

    async def probe(self) -> None:
        """Prove ServiceOps answers the bot, as cheaply as possible (readiness): one small
        search with the token in use, logging in only when none is cached or the server
        refused it (never a new token per probe, unlike `check_auth`).

        Raises:
            AuthenticationError: the credentials are refused.
            ServiceOpsError: the server could not be asked.
        """
        await self.search_requests(size=1)

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

    async def _post_conversation(
        self,
        operation: str,
        request_id: int,
        *,
        conversation_type: str,
        details: str,
        subject: str | None = None,
    ) -> httpx2.Response:
        """POST one published conversation entry (never sent twice); the 2xx answer."""
        body: dict[str, Any] = {"conversationType": conversation_type}
        if subject is not None:
            body["subject"] = subject
        body["details"] = details
        body["conversationState"] = "published"
        path = f"/request/{int(request_id)}/conversation"
        return await self._call(operation, "POST", path, json=body, idempotent=False)

    async def _search_conversations(
        self, request_id: int, body: dict[str, Any], size: int
    ) -> list[Conversation]:
        """Every page of one conversation search, without repeats."""
        path = f"/request/{int(request_id)}/conversation/search/byqual"
        found: dict[int, Conversation] = {}
        offset = 0
        while True:
            params: dict[str, str | int] = {
                "offset": offset,
                "size": size,
                "sort_by": CONVERSATION_SORT,
            }
            response = await self._call(
                "search_conversations", "POST", path, json=body, params=params
            )
            page = _parse(
                _ConversationPage,
                read_json(response, operation="search_conversations"),
                "search_conversations",
                context=self._validation_context(),
            )
            new = [item for item in page.items if item.id not in found]
            for item in new:
                found[item.id] = item
            offset += len(page.items)
            if not new or offset >= page.total_count:
                return list(found.values())

    def _validation_context(self) -> dict[str, Any]:
        return {TIME_ZONE_CONTEXT: self._display_time_zone}

    async def _call(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str | int] | None = None,
        idempotent: bool = True,
        files: dict[str, Any] | None = None,
        absolute: bool = False,
    ) -> httpx2.Response:
        """One API call: authenticate, send with retries, re-authenticate once on 401.

        `path` is under the API prefix, or a whole URL when `absolute`."""
        url = path if absolute else self._api_url + path
        try:
            return await self._call_once_reauthenticated(
                operation, method, url, json, params, idempotent, files
            )
        except AuthenticationError as exc:
            log.error("serviceops_auth_refused", extra={"operation": operation, "hint": str(exc)})
            raise
        except TLSError as exc:
            log.error("serviceops_tls_failed", extra={"operation": operation, "hint": str(exc)})
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
        files: dict[str, Any] | None = None,
    ) -> httpx2.Response:
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
                files=files,
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


def _parse(
    model: type[M], body: Any, operation: str, *, context: dict[str, Any] | None = None
) -> M:
    try:
        return model.model_validate(body, context=context)
    except ValidationError as exc:
        raise UnexpectedResponseError(
            f"{operation}: answer does not match the expected shape "
            f"({exc.error_count()} problems, first at {_first_location(exc)})",
            operation=operation,
        ) from None


def _ref_file_name(answer: Any) -> str | None:
    """The reference name in an upload's answer: `{"refFileName": …}`, also when wrapped in
    a `result` or `data` object (the answer's shape is undocumented)."""
    for candidate in (
        answer,
        *(answer.get(k) for k in ("result", "data") if isinstance(answer, dict)),
    ):
        if isinstance(candidate, dict):
            ref = candidate.get("refFileName")
            if isinstance(ref, str) and ref.strip():
                return ref.strip()
    return None


def _answer_object(response: httpx2.Response, operation: str) -> dict[str, Any]:
    """A 2xx answer's JSON object; {} for an empty body."""
    if not response.content.strip():
        return {}
    result = read_json(response, operation=operation)
    if not isinstance(result, dict):
        raise UnexpectedResponseError(
            f"{operation}: answer is not a JSON object",
            status=response.status_code,
            operation=operation,
        )
    return result


def _oldest_first(conversation: Conversation) -> tuple[bool, datetime, int]:
    when = conversation.created_time
    return (when is None, when or datetime.min.replace(tzinfo=UTC), conversation.id)


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
