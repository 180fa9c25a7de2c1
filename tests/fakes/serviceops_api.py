"""FakeServiceOps: a real HTTP server on 127.0.0.1 that speaks the ServiceOps request API.

It follows the reference contract (password grant at `/api/oauth/token`, `Bearer` or `Apikey`
authorization, `/api/v1/request…` endpoints, `{code, userMessage, cause}` errors), records
every call, and injects faults per test:

    async with FakeServiceOps(departments=["IT"]) as fake:
        fake.fail_next("create", 503, retry_after=0)
        fake.drop_next("search")                      # close the connection, no answer
        fake.delay_reply("create", 1.0)               # process now, answer a second later
        ...
        assert fake.token_requests == 1 and len(fake.created) == 1

Kinds name endpoints: "token", "create", "get", "update" (PATCH), "search", "note" (adding a
conversation), "conversations" (searching them); "api" matches all but token.

Tests play the technician with `set_status`, `reply_to_requester` and desk rules such as
`require_resolution_for("Resolved")`, and look at `patches` and `conversations(request_id)`.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import itertools
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any, Self

from aiohttp import BodyPartReader, web

from tests.fakes.loopback import LoopbackServer

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PatchRule = Callable[[dict[str, Any], dict[str, Any]], str | None]
"""`rule(request, body)`: the `userMessage` refusing a PATCH, or None to allow it."""

STATUSES = ("Open", "In Progress", "Pending", "Resolved", "Closed")
CONVERSATION_TYPES = frozenset(
    {"note", "collaborate", "technician_to_requester", "requestor_to_technician"}
)
PATCHABLE = frozenset(
    {
        "subject",
        "description",
        "statusName",
        "categoryName",
        "ccEmailSet",
        "tags",
        "impactName",
        "priorityName",
        "urgencyName",
        "departmentName",
        "locationName",
        "supportLevel",
        "spam",
        "source",
        "fileAttachments",
        "linkAssetIds",
        "customField",
        "assigneeEmail",
        "groupName",
        "resolution",  # GUESS: not in the vendor's PATCH table
    }
)
"""Request fields a PATCH changes; others are ignored (recorded in `patches` all the same)."""
_HTML_PAGE = "<html><head><title>{0}</title></head><body><h1>{0}</h1><hr>nginx</body></html>"


@dataclass
class Call:
    """One request the fake received."""

    kind: str
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any = None
    form: dict[str, str] | None = None
    at: float = field(default_factory=time.monotonic)


_CALL = web.RequestKey("call", Call)


@dataclass
class Patch:
    """One PATCH of a request the fake received (authorized, known request)."""

    request_id: int
    body: dict[str, Any]
    refused: str | None = None
    """The `userMessage` it was refused with, or None if applied."""


UPLOAD_PATH = "/api/v1/attachment/upload"
"""Where this fake takes uploads unless told otherwise (the bot's default, a GUESS)."""


@dataclass
class Upload:
    """One file the fake received (its content is hashed, not kept)."""

    ref: str
    field: str
    filename: str
    content_type: str
    size: int
    sha256: str


@dataclass
class _Fault:
    kind: str
    times: int
    status: int = 0
    body: Any = None
    html: bool = False
    retry_after: float | None = None
    drop: bool = False
    after_processing: bool = False


class FakeServiceOps:
    """The fake server; configure credentials and known names in the constructor."""

    def __init__(
        self,
        *,
        client_id: str = "Bot-client",
        client_secret: str = "s3cret-client",
        username: str = "automation",
        password: str = "pa55word",
        api_keys: set[str] | frozenset[str] = frozenset(),
        expires_in: int = 43199,
        departments: list[str] | None = None,
        locations: list[str] | None = None,
        statuses: tuple[str, ...] = STATUSES,
        api_user_name: str = "Automation",
        api_user_email: str = "automation@example.com",
        time_zone: tzinfo = UTC,
        upload_path: str = UPLOAD_PATH,
        upload_field: str = "file",
    ) -> None:
        self.upload_path, self.upload_field = upload_path, upload_field
        self.uploads: dict[str, Upload] = {}
        """Files uploaded, by the `refFileName` handed out."""
        self.upload_peak = 0
        """Most uploads in progress at once."""
        self._uploading = 0
        self.client_id, self.client_secret = client_id, client_secret
        self.username, self.password = username, password
        self.api_keys = set(api_keys)
        self.expires_in = expires_in
        self.departments, self.locations = departments, locations
        self.statuses = statuses
        self.api_user_name, self.api_user_email = api_user_name, api_user_email
        self.time_zone = time_zone
        """Zone of the display times it writes on conversations (`Wed, Jul 16, 2025 04:33 pm`)."""
        self.latency = 0.0
        """Seconds every API call (not the token call) waits before being processed."""
        self.strict_search_keys = False
        """Refuse (HTTP 400) a search qualified on a key it does not know, instead of
        ignoring the qual as a lenient server does."""
        self.calls: list[Call] = []
        self.created: list[dict[str, Any]] = []
        self.notes: list[dict[str, Any]] = []
        """Conversations added through the API (what the bot posted)."""
        self.patches: list[Patch] = []
        self.rules: list[PatchRule] = []
        self.tokens: dict[str, float] = {}
        """Valid access tokens and when they expire (monotonic seconds)."""
        self.token_requests = 0
        self.issued: list[str] = []
        """Every access and refresh token handed out (lets tests look for leaks)."""
        self._faults: list[_Fault] = []
        self._delays: dict[str, float] = {}
        self._protocols: set[object] = set()
        self._ids = itertools.count(60)
        self._numbers = itertools.count(40)
        self._conversation_ids = itertools.count(1)
        self._conversations: dict[int, list[dict[str, Any]]] = {}
        self._server = LoopbackServer(shutdown_timeout=0.2)
        self.url = ""

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        app = web.Application(middlewares=[self._record_and_inject])
        app.router.add_post("/api/oauth/token", self._token)
        app.router.add_post(self.upload_path, self._upload)
        app.router.add_post("/api/v1/request", self._create)
        app.router.add_get("/api/v1/request/{id:\\d+}", self._get)
        app.router.add_patch("/api/v1/request/{id:\\d+}", self._patch)
        app.router.add_post("/api/v1/request/search/byqual", self._search)
        app.router.add_post("/api/v1/request/{id:\\d+}/conversation", self._note)
        app.router.add_post(
            "/api/v1/request/{id:\\d+}/conversation/search/byqual", self._search_conversations
        )
        await self._server.start(app)
        self.url = self._server.url

    async def stop(self) -> None:
        await self._server.stop()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ fault injection

    def fail_next(
        self,
        kind: str,
        status: int,
        *,
        body: Any = None,
        html: bool = False,
        retry_after: float | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls of `kind` with `status` (JSON `body`, or an HTML page)."""
        self._faults.append(
            _Fault(kind, times, status, body=body, html=html, retry_after=retry_after)
        )

    def drop_next(self, kind: str, *, after_processing: bool = False, times: int = 1) -> None:
        """Close the connection without answering (optionally after doing the work)."""
        self._faults.append(_Fault(kind, times, drop=True, after_processing=after_processing))

    def delay_reply(self, kind: str, seconds: float) -> None:
        """Do the work at once but answer `seconds` later (provokes client read timeouts)."""
        self._delays[kind] = seconds

    def revoke_tokens(self) -> None:
        """Make every issued access token invalid (as if the server restarted)."""
        self.tokens.clear()

    @property
    def connections_opened(self) -> int:
        """How many TCP connections clients opened so far."""
        return len(self._protocols)

    def calls_of(self, kind: str) -> list[Call]:
        return [call for call in self.calls if call.kind == kind]

    # ------------------------------------------------------------------ the technician's side

    def stored_request(self, request_id: int) -> dict[str, Any]:
        """The stored request (live: changes show in later answers). KeyError if unknown."""
        for created in self.created:
            if created["id"] == request_id:
                return created
        raise KeyError(request_id)

    def seed_request(
        self,
        requester_email: str,
        subject: str,
        *,
        status: str = "Open",
        priority: str = "Medium",
        updated_ago: float = 3600.0,
    ) -> dict[str, Any]:
        """A request filed in the portal (not through the bot), last changed `updated_ago`
        seconds ago; searches, reads and PATCHes see it like any other."""
        changed = int((time.time() - updated_ago) * 1000)
        seeded = {
            "id": next(self._ids),
            "name": f"INC-{next(self._numbers)}",
            "subject": subject,
            "statusName": status,
            "priorityName": priority,
            "requesterEmail": requester_email,
            "requesterName": requester_email.split("@")[0].title(),
            "createdTime": changed,
            "updatedTime": changed,
        }
        self.created.append(seeded)
        return seeded

    def set_status(
        self,
        request_id: int,
        status: str,
        *,
        technician: str | None = None,
        resolution: str | None = None,
    ) -> dict[str, Any]:
        """A technician changes the status (and optionally assigns or resolves) in the portal.

        Sets `statusName`, `technicianName` and `resolution` (both keys GUESS) and moves
        `updatedTime` on; no rule applies (rules guard the API only).
        """
        request = self.stored_request(request_id)
        request["statusName"] = status
        if technician is not None:
            request["technicianName"] = technician
        if resolution is not None:
            request["resolution"] = resolution
        self._touch(request, by=technician or "Technician")
        return request

    def reply_to_requester(
        self, request_id: int, text: str, *, by: str = "Sam Lee"
    ) -> dict[str, Any]:
        """A technician replies to the requester: a `technician_to_requester` conversation.

        `text` is stored as `<p>…</p>` (escaped), as the portal's editor would, unless it
        already starts with `<` (taken as HTML). The request's `updatedTime` is left alone:
        whether a reply moves it on a real server is unknown.
        """
        self.stored_request(request_id)
        details = text if text.lstrip().startswith("<") else f"<p>{html.escape(text)}</p>"
        email = ".".join(by.lower().split()) + "@example.com"
        return self._add_conversation(
            request_id,
            {"conversationType": "technician_to_requester", "details": details},
            by=(by, email),
        )

    def conversations(self, request_id: int) -> list[dict[str, Any]]:
        """Every conversation of the request, oldest first (live list: tests may edit it)."""
        return self._conversations.setdefault(request_id, [])

    def add_rule(self, rule: PatchRule) -> None:
        """Refuse PATCHes: `rule(request, body)` returns a `userMessage` to refuse (HTTP 400)."""
        self.rules.append(rule)

    def require_resolution_for(self, *statuses: str) -> None:
        """A tenant rule: moving to one of `statuses` needs a resolution on the request first
        (one already stored, or a `resolution` in the same PATCH)."""
        wanted = {status.lower() for status in statuses}

        def rule(request: dict[str, Any], body: dict[str, Any]) -> str | None:
            target = str(body.get("statusName") or "")
            if target.lower() not in wanted:
                return None
            if str(body.get("resolution") or request.get("resolution") or "").strip():
                return None
            return f"Resolution is required to change the status to {target}."

        self.add_rule(rule)

    # ------------------------------------------------------------------ plumbing

    @web.middleware
    async def _record_and_inject(
        self, request: web.Request, handler: _Handler
    ) -> web.StreamResponse:
        self._protocols.add(request.protocol)
        kind = "upload" if request.path == self.upload_path else _kind_of(request)
        call = Call(kind, request.method, request.path, dict(request.query), dict(request.headers))
        if request.content_type == "application/json" and request.can_read_body:
            call.json = await request.json()
        elif kind != "upload" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):  # an upload is streamed by its handler, never read whole
            call.form = {k: str(v) for k, v in (await request.post()).items()}
        self.calls.append(call)
        if kind != "token" and self.latency:
            await asyncio.sleep(self.latency)
        fault = self._take_fault(kind)
        if fault is not None and not (fault.drop and fault.after_processing):
            return self._faulty(request, fault)
        request[_CALL] = call
        response = await handler(request)
        if fault is not None:
            return self._faulty(request, fault)
        delay = self._delays.get(kind, 0.0 if kind == "token" else self._delays.get("api", 0.0))
        if delay:
            await asyncio.sleep(delay)
        return response

    def _take_fault(self, kind: str) -> _Fault | None:
        for fault in self._faults:
            if fault.kind == kind or (fault.kind == "api" and kind != "token"):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _faulty(self, request: web.Request, fault: _Fault) -> web.StreamResponse:
        if fault.drop:
            assert request.transport is not None
            request.transport.abort()
            raise asyncio.CancelledError  # nothing more to say on a dead connection
        headers = {} if fault.retry_after is None else {"Retry-After": f"{fault.retry_after:g}"}
        if fault.html:
            title = f"{fault.status} {_reason(fault.status)}"
            return web.Response(
                status=fault.status,
                text=_HTML_PAGE.format(title),
                content_type="text/html",
                headers=headers,
            )
        body = fault.body if fault.body is not None else _error(str(fault.status), "Fault.")
        return web.json_response(body, status=fault.status, headers=headers)

    def _authorized(self, request: web.Request) -> bool:
        scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
        if scheme == "Apikey":
            return credential in self.api_keys
        expires = self.tokens.get(credential) if scheme.lower() == "bearer" else None
        return expires is not None and time.monotonic() < expires

    # ------------------------------------------------------------------ endpoints

    async def _token(self, request: web.Request) -> web.Response:
        self.token_requests += 1
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        expected = f"{self.client_id}:{self.client_secret}".encode()
        if scheme != "Basic" or base64.b64decode(encoded or "=") != expected:
            return web.json_response({"error": "unauthorized"}, status=401)
        form = request[_CALL].form or {}
        if form.get("grant_type") != "password":
            return web.json_response({"error": "unsupported_grant_type"}, status=400)
        if (form.get("username"), form.get("password")) != (self.username, self.password):
            return web.json_response(
                {"error": "invalid_grant", "error_description": "Bad credentials"}, status=400
            )
        token, refresh = "eyJ." + secrets.token_urlsafe(24), "eyJ.r" + secrets.token_urlsafe(24)
        self.tokens[token] = time.monotonic() + self.expires_in
        self.issued += [token, refresh]
        return web.json_response(
            {
                "access_token": token,
                "token_type": "bearer",
                "refresh_token": refresh,
                "expires_in": self.expires_in,
                "scope": "other-api-scope",
                "jti": secrets.token_hex(8),
            }
        )

    async def _create(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.json_response(_error("401", "Session has timed out."), status=401)
        body = request[_CALL].json
        if not isinstance(body, dict):
            return web.json_response(_error("400", "Invalid Input Data."), status=400)
        if not str(body.get("subject") or "").strip():
            return web.json_response(_error("400", "Subject is required."), status=400)
        if "@" not in str(body.get("requesterEmail") or ""):
            return web.json_response(_error("400", "Requester email is required."), status=400)
        problem = _seed_shape_problem(body)
        if problem is not None:
            return web.json_response(_error("400", problem), status=400)
        for key, known, label in (
            ("departmentName", self.departments, "Department"),
            ("locationName", self.locations, "Location"),
        ):
            if key in body and known is not None and body[key] not in known:
                message = f"{label} '{body[key]}' does not exist."
                return web.json_response(_error("400", message), status=400)
        for attachment in body.get("fileAttachments") or []:
            ref = attachment.get("refFileName") if isinstance(attachment, dict) else None
            if ref not in self.uploads or not str(attachment.get("realName") or "").strip():
                return web.json_response(_error("400", "Invalid attachment."), status=400)
        now = int(time.time() * 1000)
        created = {
            "statusName": "Open",
            "priorityName": "Low",
            "urgencyName": "Low",
            "impactName": "Low",
            "source": "External",
            "spam": False,
            "supportLevel": "tier1",
            "tags": [],
            "customField": {},
            "fileAttachments": [],
            "createdByName": "Automation",
            **body,
            "id": next(self._ids),
            "name": f"INC-{next(self._numbers)}",
            "requesterName": body["requesterEmail"].split("@")[0].title(),
            "createdTime": now,
            "updatedTime": now,
        }
        self.created.append(created)
        return web.json_response(created)

    async def _upload(self, request: web.Request) -> web.Response:
        """Multipart upload: the file in `upload_field`; answers `{"refFileName": uuid}`."""
        if not self._authorized(request):
            return web.json_response(_error("401", "Session has timed out."), status=401)
        if request.content_type != "multipart/form-data":
            return web.json_response(_error("400", "Multipart body expected."), status=400)
        self._uploading += 1
        self.upload_peak = max(self.upload_peak, self._uploading)
        try:
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, BodyPartReader) or part.name != self.upload_field:
                    continue
                sha, size = hashlib.sha256(), 0
                while chunk := await part.read_chunk(64 * 1024):
                    sha.update(chunk)
                    size += len(chunk)
                ref = str(uuid.uuid4())
                self.uploads[ref] = Upload(
                    ref,
                    part.name,
                    part.filename or "",
                    part.headers.get("Content-Type", ""),
                    size,
                    sha.hexdigest(),
                )
                return web.json_response({"refFileName": ref})
        finally:
            self._uploading -= 1
        message = f"File is required in field '{self.upload_field}'."
        return web.json_response(_error("400", message), status=400)

    async def _get(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.json_response(_error("401", "Session has timed out."), status=401)
        wanted = int(request.match_info["id"])
        for created in self.created:
            if created["id"] == wanted:
                return web.json_response(created)
        return web.json_response(_error("404", f"Request {wanted} not found."), status=404)

    async def _search(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.json_response(_error("401", "Session has timed out."), status=401)
        offset = int(request.query.get("offset", 0))
        size = int(request.query.get("size", 25))
        body = request[_CALL].json
        unknown = _unknown_keys(body)
        if unknown and self.strict_search_keys:
            message = f"Invalid qualification key {unknown[0]}."
            return web.json_response(_error("400", message), status=400)
        found = [item for item in self.created if _matches(item, body)]
        return web.json_response(
            {"objectList": found[offset : offset + size], "totalCount": len(found)}
        )

    async def _patch(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.json_response(_error("401", "Session has timed out."), status=401)
        wanted = int(request.match_info["id"])
        try:
            stored = self.stored_request(wanted)
        except KeyError:
            return web.json_response(_error("404", f"Request {wanted} not found."), status=404)
        body = request[_CALL].json
        if not isinstance(body, dict) or not body:
            return web.json_response(_error("400", "Invalid Input Data."), status=400)
        patch = Patch(wanted, body)
        self.patches.append(patch)
        refused = self._refusal(stored, body)
        if refused is not None:
            patch.refused = refused
            return web.json_response(_error("400", refused), status=400)
        for key, value in body.items():
            if key not in PATCHABLE:
                continue
            if key == "customField" and isinstance(value, dict):
                stored["customField"] = {**stored.get("customField", {}), **value}
            else:
                stored[key] = value
        self._touch(stored, by=self.api_user_name)
        return web.json_response(stored)

    def _refusal(self, stored: dict[str, Any], body: dict[str, Any]) -> str | None:
        if "subject" in body and not str(body["subject"] or "").strip():
            return "Subject is required."
        status = body.get("statusName")
        if status is not None and status not in self.statuses:
            return f"Status '{status}' does not exist."
        problem = _seed_shape_problem(body)
        if problem is not None:
            return web.json_response(_error("400", problem), status=400)
        for key, known, label in (
            ("departmentName", self.departments, "Department"),
            ("locationName", self.locations, "Location"),
        ):
            if key in body and known is not None and body[key] not in known:
                return f"{label} '{body[key]}' does not exist."
        for rule in self.rules:
            message = rule(stored, body)
            if message:
                return message
        return None

    def _touch(self, request: dict[str, Any], *, by: str) -> None:
        """Move `updatedTime` on (strictly, even within one millisecond)."""
        now = int(time.time() * 1000)
        request["updatedTime"] = max(now, int(request.get("updatedTime") or 0) + 1)
        request["updatedByName"] = by

    async def _note(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.json_response(_error("401", "Session has timed out."), status=401)
        wanted = int(request.match_info["id"])
        if not any(created["id"] == wanted for created in self.created):
            return web.json_response(_error("404", f"Request {wanted} not found."), status=404)
        body = request[_CALL].json or {}
        kind = str(body.get("conversationType") or "")
        if kind.lower() not in CONVERSATION_TYPES:
            message = f"Conversation type '{kind}' is not valid."
            return web.json_response(_error("400", message), status=400)
        if not str(body.get("details") or "").strip():
            return web.json_response(_error("400", "Details is required."), status=400)
        note = self._add_conversation(wanted, body, by=(self.api_user_name, self.api_user_email))
        self.notes.append(note)
        return web.json_response(note)

    def _add_conversation(
        self, request_id: int, body: dict[str, Any], *, by: tuple[str, str]
    ) -> dict[str, Any]:
        """Store a conversation the way the docs show one (times as display strings)."""
        request = self.stored_request(request_id)
        stamp = display_time(datetime.now(self.time_zone))
        conversation = {
            "subject": f"[{request['name']}]: {request.get('subject', '')}",
            "conversationState": "published",
            "emailIds": [],
            "ccEmailIds": [],
            "fileAttachments": [],
            "updatable": True,
            "deletable": True,
            **body,
            "id": next(self._conversation_ids),
            "requestId": request_id,
            "createdByName": by[0],
            "createdByEmail": by[1],
            "createdTime": stamp,
            "updatedTime": stamp,
        }
        self.conversations(request_id).append(conversation)
        return conversation

    async def _search_conversations(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.json_response(_error("401", "Session has timed out."), status=401)
        wanted = int(request.match_info["id"])
        if not any(created["id"] == wanted for created in self.created):
            return web.json_response(_error("404", f"Request {wanted} not found."), status=404)
        offset = int(request.query.get("offset", 0))
        size = int(request.query.get("size", 25))
        found = [
            item
            for item in self.conversations(wanted)
            if _conversation_matches(item, request[_CALL].json)
        ]
        return web.json_response(
            {"objectList": found[offset : offset + size], "totalCount": len(found)}
        )


def _kind_of(request: web.Request) -> str:
    path = request.path
    if path == "/api/oauth/token":
        return "token"
    if path.endswith("/conversation/search/byqual"):
        return "conversations"
    if path.endswith("/search/byqual"):
        return "search"
    if path.endswith("/conversation"):
        return "note"
    if request.method == "PATCH":
        return "update"
    return "create" if request.method == "POST" else "get"


SEARCH_KEYS = ("subject", "requesterEmail", "name")
"""The `request.<key>` qualification keys the fake applies."""


def _unknown_keys(body: Any) -> list[str]:
    quals = (body or {}).get("qualDetails", {}).get("quals", []) if isinstance(body, dict) else []
    keys = [str(qual.get("leftOperand", {}).get("key", "")) for qual in quals]
    return [key for key in keys if key.removeprefix("request.") not in SEARCH_KEYS]


def _matches(item: dict[str, Any], body: Any) -> bool:
    """Supports `equal`/`contains` quals on `request.subject`, `request.requesterEmail` and
    `request.name`; like a lenient server, all ignore case."""
    quals = (body or {}).get("qualDetails", {}).get("quals", [])
    for qual in quals:
        key = qual.get("leftOperand", {}).get("key", "").removeprefix("request.")
        value = qual.get("rightOperand", {}).get("value", {}).get("value")
        if key not in SEARCH_KEYS or not isinstance(value, str):
            continue
        actual = str(item.get(key, ""))
        if qual.get("operator") == "equal" and actual.lower() != value.lower():
            return False
        if qual.get("operator") == "contains" and value.lower() not in actual.lower():
            return False
    return True


def _conversation_matches(conversation: dict[str, Any], body: Any) -> bool:
    """Honours quals on `.conversation.conversationType`: `equal` (the documented
    `EnumValueRest` with one type) and `in`/`not_in` (a list of types, any value type)."""
    quals = (body or {}).get("qualDetails", {}).get("quals", []) if isinstance(body, dict) else []
    actual = str(conversation.get("conversationType", "")).lower()
    for qual in quals:
        if qual.get("leftOperand", {}).get("key") != ".conversation.conversationType":
            continue
        value = qual.get("rightOperand", {}).get("value", {}).get("value")
        values = value if isinstance(value, list) else [value]
        wanted = {str(one).lower() for one in values}
        operator = qual.get("operator")
        if operator in ("equal", "in") and actual not in wanted:
            return False
        if operator in ("not_equal", "not_in") and actual in wanted:
            return False
    return True


def display_time(when: datetime) -> str:
    """ServiceOps' display format, English whatever the locale: `Wed, Jul 16, 2025 04:33 pm`."""
    days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    hour = when.hour % 12 or 12
    half = "pm" if when.hour >= 12 else "am"
    return (
        f"{days[when.weekday()]}, {months[when.month - 1]} {when.day:02d}, {when.year} "
        f"{hour:02d}:{when.minute:02d} {half}"
    )


def _error(code: str, message: str) -> dict[str, Any]:
    return {"code": code, "userMessage": message, "cause": None}


def _reason(status: int) -> str:
    return {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}.get(
        status, "Error"
    )


_STRING_FIELDS = (
    "subject",
    "description",
    "categoryName",
    "impactName",
    "priorityName",
    "urgencyName",
    "departmentName",
    "locationName",
    "supportLevel",
    "source",
    "statusName",
    "groupName",
)


def _seed_shape_problem(body: dict[str, Any]) -> str | None:
    """What in a create body breaks the types of the vendor's create table, if anything:
    names are strings, `ccEmailSet`/`tags` arrays of strings, `linkAssetIds` objects with
    `assetModel` and a numeric `assetId`, `customField` a map."""
    for key in _STRING_FIELDS:
        if key in body and not isinstance(body[key], str):
            return f"{key} must be a string."
    for key in ("ccEmailSet", "tags"):
        if key in body and not (
            isinstance(body[key], list) and all(isinstance(v, str) for v in body[key])
        ):
            return f"{key} must be an array of strings."
    assets = body.get("linkAssetIds", [])
    if not isinstance(assets, list) or not all(
        isinstance(a, dict)
        and isinstance(a.get("assetModel"), str)
        and isinstance(a.get("assetId"), int)
        for a in assets
    ):
        return "linkAssetIds must be objects with assetModel and assetId."
    if "customField" in body and not isinstance(body["customField"], dict):
        return "customField must be a map."
    return None
