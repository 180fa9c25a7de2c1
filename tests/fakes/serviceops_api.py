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

Kinds name endpoints: "token", "create", "get", "search", "note"; "api" matches all but token.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Self

from aiohttp import web

from tests.fakes.loopback import LoopbackServer

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
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
    ) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.username, self.password = username, password
        self.api_keys = set(api_keys)
        self.expires_in = expires_in
        self.departments, self.locations = departments, locations
        self.latency = 0.0
        """Seconds every API call (not the token call) waits before being processed."""
        self.calls: list[Call] = []
        self.created: list[dict[str, Any]] = []
        self.notes: list[dict[str, Any]] = []
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
        self._server = LoopbackServer(shutdown_timeout=0.2)
        self.url = ""

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        app = web.Application(middlewares=[self._record_and_inject])
        app.router.add_post("/api/oauth/token", self._token)
        app.router.add_post("/api/v1/request", self._create)
        app.router.add_get("/api/v1/request/{id:\\d+}", self._get)
        app.router.add_post("/api/v1/request/search/byqual", self._search)
        app.router.add_post("/api/v1/request/{id:\\d+}/conversation", self._note)
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

    # ------------------------------------------------------------------ plumbing

    @web.middleware
    async def _record_and_inject(
        self, request: web.Request, handler: _Handler
    ) -> web.StreamResponse:
        self._protocols.add(request.protocol)
        kind = _kind_of(request)
        call = Call(kind, request.method, request.path, dict(request.query), dict(request.headers))
        if request.content_type == "application/json" and request.can_read_body:
            call.json = await request.json()
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
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
        for key, known, label in (
            ("departmentName", self.departments, "Department"),
            ("locationName", self.locations, "Location"),
        ):
            if key in body and known is not None and body[key] not in known:
                message = f"{label} '{body[key]}' does not exist."
                return web.json_response(_error("400", message), status=400)
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
        found = [item for item in self.created if _matches(item, request[_CALL].json)]
        return web.json_response(
            {"objectList": found[offset : offset + size], "totalCount": len(found)}
        )

    async def _note(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.json_response(_error("401", "Session has timed out."), status=401)
        wanted = int(request.match_info["id"])
        if not any(created["id"] == wanted for created in self.created):
            return web.json_response(_error("404", f"Request {wanted} not found."), status=404)
        note = {"id": len(self.notes) + 1, "requestId": wanted, **(request[_CALL].json or {})}
        note["createdTime"] = time.strftime("%a, %b %d, %Y %I:%M %p")
        self.notes.append(note)
        return web.json_response(note)


def _kind_of(request: web.Request) -> str:
    path = request.path
    if path == "/api/oauth/token":
        return "token"
    if path.endswith("/search/byqual"):
        return "search"
    if path.endswith("/conversation"):
        return "note"
    return "create" if request.method == "POST" else "get"


def _matches(item: dict[str, Any], body: Any) -> bool:
    """Supports `equal`/`contains` quals on `request.subject` and `request.requesterEmail`."""
    quals = (body or {}).get("qualDetails", {}).get("quals", [])
    for qual in quals:
        key = qual.get("leftOperand", {}).get("key", "").removeprefix("request.")
        value = qual.get("rightOperand", {}).get("value", {}).get("value")
        if key not in ("subject", "requesterEmail") or not isinstance(value, str):
            continue
        actual = str(item.get(key, ""))
        if qual.get("operator") == "equal" and actual.lower() != value.lower():
            return False
        if qual.get("operator") == "contains" and value.lower() not in actual.lower():
            return False
    return True


def _error(code: str, message: str) -> dict[str, Any]:
    return {"code": code, "userMessage": message, "cause": None}


def _reason(status: int) -> str:
    return {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}.get(
        status, "Error"
    )
