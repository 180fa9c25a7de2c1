"""A fake of the Microsoft services a Teams bot talks to: one aiohttp server on loopback that
plays three of them, each under its own path prefix so URLs look like the real ones.

- **Login** (Entra ID), `login_url` = `{url}/login`: the bot's own token by OAuth 2 client
  credentials, `POST {login_url}/{tenant}/oauth2/v2.0/token` (form `grant_type=client_credentials`,
  `client_id`, `client_secret`, `scope`). Wrong tenant, client, secret, grant or scope get the
  AADSTS error Entra answers (`{"error", "error_description", "error_codes", ...}`, 400/401).
  Access tokens are JWTs (like Entra's: RS256, `aud` the Bot Framework, `appid`, `tid`, `exp`)
  with a random `uti`; only the ones issued here, unexpired, open the connector.
- **OpenID metadata and keys** of the Bot Framework, `openid_metadata_url` =
  `{url}/botframework/v1/.well-known/openidconfiguration` (`issuer`, `jwks_uri`, algorithms)
  and `{url}/botframework/v1/.well-known/keys`: a JWKS of RSA keys made at start-up, each with
  a `kid` and `endorsements: ["msteams"]`. `sign()` makes the inbound JWTs the Bot Connector
  sends with activities (and forged ones); `rotate_key()` publishes another key.
- **Bot Connector**, `service_url` = `{url}/smba/amer/` (trailing slash, as Teams sends it):
  `POST /v3/conversations/{id}/activities` (send), `POST …/activities/{activityId}` (reply),
  `PUT …/activities/{activityId}` (update), `DELETE …/activities/{activityId}`,
  `POST /v3/conversations` (a 1:1 chat with a person, or a new thread in a channel) and
  `GET /v3/conversations/{id}/members/{userId}` (a `TeamsChannelAccount`). Every call needs
  `Authorization: Bearer <a token issued here, not expired>`, else 401
  `{"message": "Authorization has been denied for this request."}`. Errors are
  `{"error": {"code", "message"}}` with the codes Teams uses (`BotNotInConversationRoster`,
  `ActivityNotFoundInConversation`, `MemberNotFoundInConversation`, `BadArgument`, `ServiceError`).
  Conversation ids are taken as sent, plain or percent-encoded; `…;messageid=<root>` (a channel
  thread) is recorded as its base conversation id and its thread root.

Every request is recorded as a `Call` (`calls`), with a `kind`: `token`, `openid`, `keys`,
`send`, `reply`, `update`, `delete`, `create_conversation`, `member`, or `unknown` (a path none
of the three serves: 404). `wait_for(kind, ...)` waits for calls like `FakeSlack.wait_for`.

Failure injection: `refuse_posting(conversation)` (403 `BotNotInConversationRoster`: the bot is
not in that conversation), `fail_next(times, status=5xx, kind=...)`, `set_latency(seconds)`,
`expire_tokens()`.

The server runs on the test's event loop, like the other fakes. An app that fetches the JWKS
with a blocking call (pyjwt's `PyJWKClient` uses urllib) on that same loop blocks the loop and
never gets an answer: the fake makes that bug visible instead of hiding it.

Usage::

    async with FakeTeams() as teams:
        ada = teams.add_user("29:1ada", name="Ada Lovelace", email="ada@example.com")
        activity = teams_requests.personal_message("VPN is down", bot=teams.bot, sender=ada)
        await teams_requests.post_activity(http, bot_url, activity, teams.sign())
        [call] = await teams.wait_for("send")
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from multidict import CIMultiDict

from tests.fakes import teams_requests as tr
from tests.fakes.chat_files import FileHost
from tests.fakes.loopback import LoopbackServer

JSON = dict[str, Any]

ISSUER = "https://api.botframework.com"
"""`iss` of the tokens the Bot Connector sends with activities (public cloud)."""
BOT_SCOPE = "https://api.botframework.com/.default"
"""The scope a bot asks its own token for (public cloud)."""
TOKEN_AUDIENCE = "https://api.botframework.com"
DEFAULT_EXPIRES_IN = 3599
"""Seconds an access token lives (what Entra typically answers)."""

LOGIN_PREFIX = "/login"
OPENID_PREFIX = "/botframework/v1/.well-known"
SERVICE_PREFIX = "/smba/amer"

CONNECTOR_KINDS = frozenset({"send", "reply", "update", "delete", "create_conversation", "member"})
POSTING_KINDS = frozenset({"send", "reply", "update", "delete", "create_conversation"})
DENIED = {"message": "Authorization has been denied for this request."}


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Call:
    """One request the fake received.

    `conversation` is the base conversation id (without `;messageid=`), `thread_root` the
    thread's root message id: from `;messageid=` in the conversation id, or for a reply in a
    channel (`POST …/activities/{activityId}`) the activity replied to; for
    `create_conversation`, the conversation created and the thread it started. (The SDK's
    `reply_to_activity` posts to `…;messageid=<root>/activities` with `replyToId` in the body:
    a `send`.) `activity_id` is the activity the
    call addressed (update, reply, delete), or the new one it created (send, and a
    conversation created with an activity). `body` is the JSON body (the form for `token`).
    """

    kind: str
    method: str
    path: str
    conversation: str | None
    thread_root: str | None
    activity_id: str | None
    body: Any
    headers: Mapping[str, str]
    query: Mapping[str, str]
    time: float
    status: int
    response: Any

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def error(self) -> str | None:
        """The error code: Connector's `error.code`, Entra's `error`, or None."""
        if self.ok or not isinstance(self.response, dict):
            return None
        error = self.response.get("error")
        if isinstance(error, dict):
            return str(error.get("code"))
        return str(error) if error is not None else "Unauthorized"

    @property
    def activity(self) -> JSON:
        """The activity the bot sent (for `create_conversation`: the one it started with)."""
        body = self.body if isinstance(self.body, dict) else {}
        if self.kind == "create_conversation":
            started = body.get("activity")
            return started if isinstance(started, dict) else {}
        return body

    @property
    def text(self) -> str:
        return str(self.activity.get("text") or "")

    @property
    def attachments(self) -> list[JSON]:
        return list(self.activity.get("attachments") or [])

    @property
    def cards(self) -> list[JSON]:
        """The Adaptive Cards attached (their `content`)."""
        return [
            a.get("content") or {}
            for a in self.attachments
            if a.get("contentType") == tr.ADAPTIVE_CARD
        ]

    @property
    def card(self) -> JSON | None:
        """The first Adaptive Card attached, or None."""
        cards = self.cards
        return cards[0] if cards else None


@dataclass(frozen=True)
class SigningKey:
    """An RSA key the fake signs tokens with; `kid` names it in JWT headers and the JWKS."""

    kid: str
    private_key: rsa.RSAPrivateKey

    @classmethod
    def generate(cls) -> SigningKey:
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        der = private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        kid = base64.urlsafe_b64encode(hashlib.sha1(der).digest()).decode().rstrip("=")
        return cls(kid, private_key)

    def public_jwk(self) -> JSON:
        jwk: JSON = RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        return {**jwk, "use": "sig", "kid": self.kid, "x5t": self.kid, "endorsements": ["msteams"]}

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


@dataclass
class Member:
    """A person in the tenant, as `GET …/members/{id}` returns them (`TeamsChannelAccount`).

    Found by their `29:` id or their Entra object id. `installed`: the bot is installed for
    them, so `POST /v3/conversations` can open a 1:1 chat.
    """

    id: str
    name: str
    aad_object_id: str
    email: str | None
    upn: str | None
    tenant_id: str
    user_role: str
    installed: bool = True

    def to_json(self) -> JSON:
        """Microsoft's documented REST shape: the Entra object id is `objectId` on the wire
        (the SDK's `TeamsChannelAccount` reads `objectId` or `aadObjectId`); no `email`
        key when the account has none (guests, some accounts)."""
        given, _, surname = self.name.partition(" ")
        data: JSON = {
            "id": self.id,
            "name": self.name,
            "objectId": self.aad_object_id,
            "givenName": given,
            "surname": surname or None,
        }
        if self.email is not None:
            data["email"] = self.email
        if self.upn is not None:
            data["userPrincipalName"] = self.upn
        data["tenantId"] = self.tenant_id
        data["userRole"] = self.user_role
        return data


class ConnectorError(Exception):
    """Raised inside handlers to answer `status` with `body` (default: the Connector's
    `{"error": {"code", "message"}}`)."""

    def __init__(
        self,
        status: int,
        code: str = "",
        message: str = "",
        *,
        body: JSON | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.body = body if body is not None else {"error": {"code": code, "message": message}}
        self.headers = dict(headers or {})


def _aad_error(status: int, error: str, code: int, description: str) -> ConnectorError:
    """An Entra (AADSTS) error answer from the token endpoint."""
    trace_id = str(uuid.uuid4())
    correlation_id = str(uuid.uuid4())
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    return ConnectorError(
        status,
        body={
            "error": error,
            "error_description": (
                f"AADSTS{code}: {description} Trace ID: {trace_id} "
                f"Correlation ID: {correlation_id} Timestamp: {stamp}"
            ),
            "error_codes": [code],
            "timestamp": stamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": f"https://login.microsoftonline.com/error?code={code}",
        },
    )


@dataclass
class _Failure:
    status: int
    kind: str | None
    retry_after: int | None


@dataclass
class _Refusal:
    members: bool


@dataclass
class _Route:
    kind: str
    conversation: str | None = None
    thread_root: str | None = None
    activity_id: str | None = None
    extra: JSON = field(default_factory=dict)


# --------------------------------------------------------------------------- the server


class FakeTeams:
    """The fake login, OpenID metadata/keys and Bot Connector. Public attributes are for tests.

    Parameters:
        app_id, app_password, tenant_id: the bot's Entra app registration (single tenant);
            the token endpoint accepts only these.
        bot_name: the bot's display name in activities.
        expires_in: seconds each access token lives (settable at any time, for new tokens).
        clock: wall-clock seconds, for access-token expiry only (JWT claims use real time).
    """

    def __init__(
        self,
        *,
        app_id: str = tr.APP_ID,
        app_password: str | None = None,
        tenant_id: str = tr.TENANT_ID,
        bot_name: str = tr.BOT_NAME,
        issuer: str = ISSUER,
        bot_scope: str = BOT_SCOPE,
        expires_in: int = DEFAULT_EXPIRES_IN,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.app_id = app_id
        self.app_password = app_password or "Xq8~" + secrets.token_urlsafe(27)
        self.tenant_id = tenant_id
        self.bot_name = bot_name
        self.issuer = issuer
        self.bot_scope = bot_scope
        self.expires_in = expires_in
        self.clock = clock

        self.calls: list[Call] = []
        self.users: dict[str, Member] = {}
        self.activities: dict[tuple[str, str], JSON] = {}
        """What the bot posted, by (base conversation id, activity id), as last updated."""
        self.keys: list[SigningKey] = []
        """Keys published in the JWKS; `sign()` uses the last one by default."""
        self._signing_key: SigningKey | None = None
        self._login_key: SigningKey | None = None
        self._tokens: dict[str, float] = {}  # access token -> expiry (by `clock`)
        self._refused: dict[str, _Refusal] = {}
        self._failures: list[_Failure] = []
        self._latency: dict[str | None, float] = {}
        self._condition: asyncio.Condition | None = None
        self._server = LoopbackServer()
        self.attachments = FileHost(
            authorized=self._connector_token_ok, prefix=f"{SERVICE_PREFIX}/v3/attachments"
        )
        """Images pasted into messages, on the Bot Connector: the bot's token needed."""
        self.sharepoint = FileHost(prefix="/sharepoint/personal/download")
        """Files sent to the bot: pre-authorized download links, no token."""

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        if not self.keys:
            self.rotate_key()
        if self._login_key is None:
            self._login_key = _login_key()
        app = web.Application()
        login = f"{LOGIN_PREFIX}/{{tenant}}/oauth2/v2.0/token"
        app.router.add_post(login, self._wrap("token", self._token))
        app.router.add_get(
            f"{OPENID_PREFIX}/openidconfiguration", self._wrap("openid", self._openid)
        )
        app.router.add_get(f"{OPENID_PREFIX}/keys", self._wrap("keys", self._keys))
        conversations = f"{SERVICE_PREFIX}/v3/conversations"
        activities = conversations + "/{conversation}/activities"
        one = activities + "/{activity}"
        app.router.add_post(conversations, self._wrap("create_conversation", self._create))
        app.router.add_post(activities, self._wrap("send", self._send))
        app.router.add_post(one, self._wrap("reply", self._reply))
        app.router.add_put(one, self._wrap("update", self._update))
        app.router.add_delete(one, self._wrap("delete", self._delete))
        app.router.add_get(
            conversations + "/{conversation}/members/{member}", self._wrap("member", self._member)
        )
        self.attachments.mount(app)
        self.sharepoint.mount(app)
        app.router.add_route("*", "/{tail:.*}", self._wrap("unknown", self._unknown))
        self._condition = asyncio.Condition()
        await self._server.start(app)
        self.attachments.base_url = self.sharepoint.base_url = self.url

    async def stop(self) -> None:
        await self._server.stop()

    async def __aenter__(self) -> FakeTeams:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---------------------------------------------------------------- addresses

    @property
    def url(self) -> str:
        """`http://127.0.0.1:PORT`, the server all three services share."""
        return self._server.url

    @property
    def login_url(self) -> str:
        """The login authority host: `{login_url}/{tenant}/oauth2/v2.0/token` is the token
        endpoint (`TEAMS_LOGIN_URL`)."""
        return self.url + LOGIN_PREFIX

    @property
    def token_url(self) -> str:
        return f"{self.login_url}/{self.tenant_id}/oauth2/v2.0/token"

    @property
    def openid_metadata_url(self) -> str:
        """`TEAMS_OPENID_METADATA_URL`; the JWKS is the same URL ending in `/keys`."""
        return f"{self.url}{OPENID_PREFIX}/openidconfiguration"

    @property
    def jwks_url(self) -> str:
        return f"{self.url}{OPENID_PREFIX}/keys"

    @property
    def service_url(self) -> str:
        """The Bot Connector's URL as activities carry it: a region segment, trailing slash."""
        return f"{self.url}{SERVICE_PREFIX}/"

    @property
    def bot(self) -> tr.Bot:
        """This fake's bot, for the `teams_requests` builders (`bot=teams.bot`)."""
        return tr.Bot(self.app_id, self.bot_name, self.service_url, self.tenant_id)

    @property
    def bot_id(self) -> str:
        return f"28:{self.app_id}"

    def environment(self) -> dict[str, str]:
        """The bot's Teams settings pointing at this fake, as environment variables."""
        return {
            "TEAMS_APP_ID": self.app_id,
            "TEAMS_APP_PASSWORD": self.app_password,
            "TEAMS_TENANT_ID": self.tenant_id,
            "TEAMS_OPENID_METADATA_URL": self.openid_metadata_url,
            "TEAMS_LOGIN_URL": self.login_url,
        }

    # ---------------------------------------------------------------- people

    def add_user(
        self,
        user_id: str,
        *,
        name: str,
        email: str | None = None,
        upn: str | None = None,
        aad_object_id: str | None = None,
        tenant_id: str | None = None,
        user_role: str | None = None,
        installed: bool = True,
    ) -> Member:
        """A person `GET …/members/{id}` knows (by `user_id` or `aad_object_id`).

        `upn` defaults to `email`. A guest: `email=None`,
        `upn="ada_example.com#EXT#@contoso.onmicrosoft.com"` (role `guest` is then implied).
        The returned `Member` can be a builder's `sender` or `author`.
        """
        principal = upn if upn is not None else email
        role = user_role or ("guest" if principal and "#EXT#" in principal else "user")
        member = Member(
            id=user_id,
            name=name,
            aad_object_id=aad_object_id or str(uuid.uuid5(uuid.NAMESPACE_URL, user_id)),
            email=email,
            upn=principal,
            tenant_id=tenant_id or self.tenant_id,
            user_role=role,
            installed=installed,
        )
        self.users[user_id] = member
        return member

    def find_user(self, user_id: str) -> Member | None:
        """By `29:` id or Entra object id (the members API accepts both)."""
        if user_id in self.users:
            return self.users[user_id]
        return next((u for u in self.users.values() if u.aad_object_id == user_id), None)

    # ---------------------------------------------------------------- failure injection

    def refuse_posting(self, conversation_id: str, *, members: bool = False) -> None:
        """The bot is not in `conversation_id` (a base id, `;messageid=` is dropped): sending,
        replying, updating, deleting there, or starting a thread there, get 403
        `BotNotInConversationRoster`; with `members=True` member look-ups there too."""
        base, _ = tr.split_thread(conversation_id)
        self._refused[base] = _Refusal(members)

    def fail_next(
        self,
        times: int = 1,
        *,
        status: int = 500,
        kind: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        """The next `times` calls of `kind` (default: any Bot Connector call) fail with
        `status` (a 429 with `retry_after` carries `Retry-After`). Checked after auth."""
        self._failures.extend(_Failure(status, kind, retry_after) for _ in range(times))

    def set_latency(self, seconds: float, *, kind: str | None = None) -> None:
        """Answer calls of `kind` (default: every call) `seconds` late."""
        self._latency[kind] = seconds

    def expire_tokens(self) -> None:
        """Every access token issued so far expires now."""
        now = self.clock()
        for token in self._tokens:
            self._tokens[token] = min(self._tokens[token], now)

    # ---------------------------------------------------------------- keys and signing

    def rotate_key(self) -> SigningKey:
        """Publish a new key in the JWKS (the old ones stay) and sign with it from now on."""
        key = SigningKey.generate()
        self.keys.append(key)
        self._signing_key = key
        return key

    def new_key(self, *, publish: bool = False) -> SigningKey:
        """A fresh key; unpublished by default (a token it signs has an unknown `kid`)."""
        key = SigningKey.generate()
        if publish:
            self.keys.append(key)
        return key

    def retire_key(self, kid: str) -> None:
        """Remove a key from the JWKS."""
        self.keys = [key for key in self.keys if key.kid != kid]

    def sign(
        self,
        claims_overrides: Mapping[str, Any] | None = None,
        *,
        key: SigningKey | str | None = None,
        expires_in: int = 3600,
        alg: str = "RS256",
        headers: Mapping[str, Any] | None = None,
    ) -> str:
        """A JWT as the Bot Connector sends with each activity: RS256, `kid` header,
        `iss` = `issuer`, `aud` = the app id, `serviceurl` = `service_url`, `nbf`/`iat`/`exp`.

        Forge bad ones with `claims_overrides` (a value of None removes the claim: e.g.
        `{"aud": "other"}`, `{"serviceurl": None}`), `expires_in` ≤ 0 (expired: pyjwt allows
        300 s of skew, so go past it), `key` (a `SigningKey`, maybe unpublished, or a
        published key's kid), `headers` (e.g. a published `kid` over another key's signature),
        `alg="none"` (unsigned) or `alg="HS256"` (HMAC keyed with the public key's PEM: the
        algorithm-confusion attack).
        """
        now = int(time.time())
        issued = now if expires_in > 0 else now + expires_in - 3600
        claims: JSON = {
            "serviceurl": self.service_url,
            "nbf": issued,
            "exp": now + expires_in,
            "iat": issued,
            "iss": self.issuer,
            "aud": self.app_id,
        }
        for name, value in (claims_overrides or {}).items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        signing_key = self._resolve_key(key)
        header: JSON = {"alg": alg, "typ": "JWT", "kid": signing_key.kid, "x5t": signing_key.kid}
        header.update(headers or {})
        if alg == "RS256":
            extra = {k: v for k, v in header.items() if k not in ("alg", "typ")}
            return jwt.encode(claims, signing_key.private_key, algorithm="RS256", headers=extra)
        if alg == "none":
            return _compact(header, claims, b"")
        if alg == "HS256":
            signing_input = _signing_input(header, claims)
            mac = hmac.new(signing_key.public_pem(), signing_input, hashlib.sha256).digest()
            return _compact(header, claims, mac)
        raise ValueError(f"sign() forges RS256, none or HS256, not {alg}")

    def _resolve_key(self, key: SigningKey | str | None) -> SigningKey:
        if isinstance(key, SigningKey):
            return key
        if key is None:
            assert self._signing_key is not None, "FakeTeams is not started"
            return self._signing_key
        for known in self.keys:
            if known.kid == key:
                return known
        raise KeyError(f"no published key {key!r}")

    def jwks(self) -> JSON:
        return {"keys": [key.public_jwk() for key in self.keys]}

    # ---------------------------------------------------------------- inspection

    def calls_of(self, kind: str) -> list[Call]:
        return [call for call in self.calls if call.kind == kind]

    def count(self, kind: str) -> int:
        return len(self.calls_of(kind))

    @property
    def token_requests(self) -> int:
        """Requests to the token endpoint, answered or refused."""
        return self.count("token")

    @property
    def tokens_issued(self) -> int:
        return sum(1 for call in self.calls_of("token") if call.ok)

    @property
    def openid_fetches(self) -> int:
        return self.count("openid")

    @property
    def jwks_fetches(self) -> int:
        return self.count("keys")

    @property
    def members_calls(self) -> list[Call]:
        return self.calls_of("member")

    def posted(self, conversation: str | None = None) -> list[Call]:
        """Activities the bot posted successfully (sends, replies, and conversations it
        created with an activity), oldest first. `conversation`: only there; a base id
        matches every thread in it, `…;messageid=<root>` only that thread."""
        calls = [
            call
            for call in self.calls
            if call.ok
            and (
                call.kind in ("send", "reply")
                or (call.kind == "create_conversation" and call.activity_id is not None)
            )
        ]
        return [call for call in calls if _in_conversation(call, conversation)]

    def updated(self, conversation: str | None = None) -> list[Call]:
        """Activities the bot updated successfully, oldest first."""
        return [
            call
            for call in self.calls_of("update")
            if call.ok and _in_conversation(call, conversation)
        ]

    def activity(self, conversation_id: str, activity_id: str) -> JSON | None:
        """An activity the bot posted, as last updated (None if unknown or deleted)."""
        base, _ = tr.split_thread(conversation_id)
        return self.activities.get((base, activity_id))

    async def new_calls(self, seen: int, *, timeout: float) -> list[Call]:
        """The calls answered after the first `seen`, once there is one (for following every
        call as it comes: unlike `wait_for`, nothing already seen is looked at again)."""
        assert self._condition is not None, "FakeTeams is not started"
        async with asyncio.timeout(timeout), self._condition:
            await self._condition.wait_for(lambda: len(self.calls) > seen)
        return self.calls[seen:]

    async def wait_for(
        self,
        kind: str,
        *,
        count: int = 1,
        timeout: float = 5,
        where: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        """Wait until at least `count` calls of `kind` (matching `where`) were answered;
        return all matching calls so far. Raises AssertionError on timeout, listing what came."""
        assert self._condition is not None, "FakeTeams is not started"

        def matching() -> list[Call]:
            return [c for c in self.calls_of(kind) if where is None or where(c)]

        try:
            async with asyncio.timeout(timeout), self._condition:
                await self._condition.wait_for(lambda: len(matching()) >= count)
        except TimeoutError:
            seen = [f"{c.kind} {c.method} {c.path} -> {c.status}" for c in self.calls]
            raise AssertionError(
                f"expected {count} {kind} call(s) within {timeout}s, got {len(matching())}; "
                f"calls so far: {seen}"
            ) from None
        return matching()

    # ---------------------------------------------------------------- HTTP plumbing

    def _wrap(
        self, kind: str, handler: Callable[[web.Request, _Route, Any], Any]
    ) -> Callable[[web.Request], Any]:
        async def serve(request: web.Request) -> web.Response:
            return await self._serve(request, kind, handler)

        return serve

    async def _serve(
        self, request: web.Request, kind: str, handler: Callable[[web.Request, _Route, Any], Any]
    ) -> web.Response:
        received = self.clock()
        route = _Route(kind)
        conversation = request.match_info.get("conversation")
        if conversation is not None:
            route.conversation, route.thread_root = tr.split_thread(conversation)
        route.activity_id = request.match_info.get("activity")
        status, headers = 200, {}
        body, unreadable = await self._read_body(request, kind)
        try:
            if kind in CONNECTOR_KINDS:
                self._authorize(request)
            if unreadable is not None:
                raise unreadable
            self._inject_failure(kind)
            response = handler(request, route, body)
        except ConnectorError as exc:
            status, response, headers = exc.status, exc.body, exc.headers
        delay = self._latency.get(kind, self._latency.get(None, 0.0))
        if delay:
            await asyncio.sleep(delay)
        await self._record(
            Call(
                kind=kind,
                method=request.method,
                path=request.path,
                conversation=route.conversation,
                thread_root=route.thread_root,
                activity_id=route.activity_id,
                body=body,
                headers=CIMultiDict(request.headers),
                query=dict(request.query),
                time=received,
                status=status,
                response=response,
            )
        )
        return web.json_response(response, status=status, headers=headers)

    async def _read_body(
        self, request: web.Request, kind: str
    ) -> tuple[Any, ConnectorError | None]:
        """The form (token endpoint) or JSON body; a body that is not JSON is kept as text,
        with the 400 to answer once the caller is authorized."""
        if kind == "token":
            form = await request.post()
            return {k: str(v) for k, v in form.items()}, None
        raw = await request.read()
        if not raw:
            return None, None
        try:
            return json.loads(raw), None
        except (json.JSONDecodeError, UnicodeDecodeError):
            text = raw.decode(errors="replace")
            return text, ConnectorError(400, "BadArgument", "The request body is not JSON.")

    async def _record(self, call: Call) -> None:
        self.calls.append(call)
        if self._condition is not None:
            async with self._condition:
                self._condition.notify_all()

    def sent_file(self, name: str, *, size: int = 1000) -> JSON:
        """A file sent in the 1:1 chat, as the bot receives it (`supportsFiles`): an attachment
        `application/vnd.microsoft.teams.file.download.info` with a pre-authorized link."""
        hosted = self.sharepoint.add(name, size=size, tail=f"{name}?tempauth=v1.{uuid.uuid4().hex}")
        return {
            "contentType": "application/vnd.microsoft.teams.file.download.info",
            "contentUrl": f"https://contoso-my.sharepoint.com/personal/ada/Documents/{name}",
            "name": name,
            "content": {
                "downloadUrl": hosted.url,
                "uniqueId": hosted.id,
                "fileType": name.rpartition(".")[2],
            },
        }

    def pasted_image(self, *, size: int = 1000, media_type: str = "image/png") -> JSON:
        """An image pasted into a message: its `contentUrl` on the Bot Connector."""
        hosted = self.attachments.add(
            "image", size=size, media_type=media_type, tail="views/original"
        )
        return {"contentType": media_type, "contentUrl": hosted.url}

    def _connector_token_ok(self, header: str | None) -> bool:
        scheme, _, token = (header or "").partition(" ")
        expiry = self._tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        return expiry is not None and self.clock() < expiry

    def _authorize(self, request: web.Request) -> None:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        expiry = self._tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if expiry is None or self.clock() >= expiry:
            raise ConnectorError(401, body=DENIED)

    def _inject_failure(self, kind: str) -> None:
        for i, failure in enumerate(self._failures):
            if failure.kind == kind or (failure.kind is None and kind in CONNECTOR_KINDS):
                del self._failures[i]
                headers = {}
                if failure.retry_after is not None:
                    headers["Retry-After"] = str(failure.retry_after)
                if kind in CONNECTOR_KINDS or kind == "unknown":
                    raise ConnectorError(failure.status, "ServiceError", "Unknown", headers=headers)
                raise ConnectorError(
                    failure.status,
                    body={"error": "temporarily_unavailable", "error_description": "Injected."},
                    headers=headers,
                )

    def _check_roster(self, conversation: str, *, members: bool = False) -> None:
        refusal = self._refused.get(conversation)
        if refusal is not None and (not members or refusal.members):
            raise ConnectorError(
                403, "BotNotInConversationRoster", "The bot is not part of the conversation roster."
            )

    # ---------------------------------------------------------------- login

    def _token(self, request: web.Request, route: _Route, form: JSON) -> JSON:
        tenant = request.match_info["tenant"]
        if tenant.lower() != self.tenant_id.lower():
            raise _aad_error(
                400,
                "invalid_request",
                90002,
                f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant "
                "ID and are signing into the correct cloud.",
            )
        for name in ("grant_type", "client_id"):
            if not form.get(name):
                raise _aad_error(
                    400,
                    "invalid_request",
                    900144,
                    f"The request body must contain the following parameter: '{name}'.",
                )
        if form["grant_type"] != "client_credentials":
            raise _aad_error(
                400,
                "unsupported_grant_type",
                70003,
                f"The app requested an unsupported grant type '{form['grant_type']}'.",
            )
        if form["client_id"] != self.app_id:
            raise _aad_error(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{form['client_id']}' was not found in the "
                f"directory '{self.tenant_id}'.",
            )
        if not form.get("client_secret"):
            raise _aad_error(
                401,
                "invalid_client",
                7000216,
                "'client_assertion', 'client_secret' or 'request' is required for the "
                "'client_credentials' grant type.",
            )
        if not hmac.compare_digest(form["client_secret"], self.app_password):
            raise _aad_error(
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request "
                f"is the client secret value, not the client secret ID, for a secret added "
                f"to app '{self.app_id}'.",
            )
        if form.get("scope") != self.bot_scope:
            raise _aad_error(
                400,
                "invalid_scope",
                1002012,
                f"The provided value for scope {form.get('scope', '')} is not valid. Client "
                "credential flows must have a scope value with /.default suffixed to the "
                "resource identifier (application ID URI).",
            )
        expires_in = int(self.expires_in)
        token = self._access_token(expires_in)
        self._tokens[token] = self.clock() + expires_in
        return {
            "token_type": "Bearer",
            "expires_in": expires_in,
            "ext_expires_in": expires_in,
            "access_token": token,
        }

    def _access_token(self, expires_in: int) -> str:
        assert self._login_key is not None
        now = int(time.time())
        claims = {
            "aud": TOKEN_AUDIENCE,
            "iss": f"https://sts.windows.net/{self.tenant_id}/",
            "iat": now,
            "nbf": now,
            "exp": now + expires_in,
            "appid": self.app_id,
            "appidacr": "1",
            "idp": f"https://sts.windows.net/{self.tenant_id}/",
            "tid": self.tenant_id,
            "uti": secrets.token_urlsafe(16),
            "ver": "1.0",
        }
        key = self._login_key
        return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})

    # ---------------------------------------------------------------- OpenID metadata

    def _openid(self, request: web.Request, route: _Route, body: Any) -> JSON:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": "https://invalid.botframework.com",
            "jwks_uri": self.jwks_url,
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        }

    def _keys(self, request: web.Request, route: _Route, body: Any) -> JSON:
        return self.jwks()

    # ---------------------------------------------------------------- Bot Connector

    def _checked_activity(self, body: Any) -> JSON:
        if not isinstance(body, dict):
            raise ConnectorError(400, "BadArgument", "The activity is missing.")
        if not body.get("type"):
            raise ConnectorError(400, "BadArgument", "The activity type is missing.")
        for attachment in body.get("attachments") or []:
            content = attachment.get("content") if isinstance(attachment, dict) else None
            if (
                isinstance(attachment, dict)
                and attachment.get("contentType") == tr.ADAPTIVE_CARD
                and not (isinstance(content, dict) and content.get("type") == "AdaptiveCard")
            ):
                raise ConnectorError(
                    400, "BadArgument", "An Adaptive Card attachment has no AdaptiveCard content."
                )
        return body

    def _store(self, conversation: str, activity: JSON) -> str | None:
        """Keep a posted activity; its new id (None for typing, which Teams does not keep)."""
        if activity.get("type") == "typing":
            return None
        activity_id = tr.new_message_id()
        self.activities[(conversation, activity_id)] = {**activity, "id": activity_id}
        return activity_id

    def _send(self, request: web.Request, route: _Route, body: Any) -> JSON:
        assert route.conversation is not None
        self._check_roster(route.conversation)
        activity = self._checked_activity(body)
        route.activity_id = self._store(route.conversation, activity)
        return {"id": route.activity_id} if route.activity_id else {}

    def _reply(self, request: web.Request, route: _Route, body: Any) -> JSON:
        assert route.conversation is not None
        self._check_roster(route.conversation)
        activity = self._checked_activity(body)
        if route.thread_root is None and _is_channel(route.conversation):
            route.thread_root = route.activity_id
        new_id = self._store(route.conversation, activity)
        return {"id": new_id} if new_id else {}

    def _known_activity(self, route: _Route) -> tuple[str, str]:
        assert route.conversation is not None
        assert route.activity_id is not None
        key = (route.conversation, route.activity_id)
        if key not in self.activities:
            raise ConnectorError(
                404, "ActivityNotFoundInConversation", "Message does not exist in the thread."
            )
        return key

    def _update(self, request: web.Request, route: _Route, body: Any) -> JSON:
        assert route.conversation is not None
        self._check_roster(route.conversation)
        activity = self._checked_activity(body)
        key = self._known_activity(route)
        self.activities[key] = {**activity, "id": key[1]}
        return {"id": key[1]}

    def _delete(self, request: web.Request, route: _Route, body: Any) -> JSON:
        assert route.conversation is not None
        self._check_roster(route.conversation)
        del self.activities[self._known_activity(route)]
        return {}

    def _member(self, request: web.Request, route: _Route, body: Any) -> JSON:
        assert route.conversation is not None
        self._check_roster(route.conversation, members=True)
        member = self.find_user(request.match_info["member"])
        if member is None:
            raise ConnectorError(
                404, "MemberNotFoundInConversation", "The member is not part of the conversation."
            )
        return member.to_json()

    def _create(self, request: web.Request, route: _Route, body: Any) -> JSON:
        """`POST /v3/conversations`: a 1:1 chat with one person (`members: [{id}]`; the bot
        must be installed for them), or a new thread in a channel (`channelData.channel.id`
        and an `activity`). Optional `activity` is posted there."""
        if not isinstance(body, dict):
            raise ConnectorError(400, "BadArgument", "The conversation parameters are missing.")
        channel_data = body.get("channelData") or {}
        channel_id = (channel_data.get("channel") or {}).get("id")
        started = body.get("activity")
        if channel_id:
            if started is None:
                raise ConnectorError(400, "BadArgument", "A channel thread needs an activity.")
            route.conversation = str(channel_id)
            self._check_roster(route.conversation)
            route.activity_id = self._store(route.conversation, self._checked_activity(started))
            route.thread_root = route.activity_id
            assert route.activity_id is not None
            return {
                "id": tr.thread_id(route.conversation, route.activity_id),
                "activityId": route.activity_id,
            }
        members = body.get("members")
        if not isinstance(members, list) or len(members) != 1 or body.get("isGroup"):
            raise ConnectorError(400, "BadArgument", "A 1:1 conversation needs exactly one member.")
        wanted = members[0].get("id") if isinstance(members[0], dict) else None
        member = self.find_user(str(wanted or ""))
        if member is None or not member.installed:
            raise ConnectorError(
                403, "BotNotInConversationRoster", "The bot is not part of the conversation roster."
            )
        route.conversation = tr.personal_conversation_id(member.id, self.app_id)
        self._check_roster(route.conversation)
        answer: JSON = {"id": route.conversation}
        if started is not None:
            route.activity_id = self._store(route.conversation, self._checked_activity(started))
            if route.activity_id:
                answer["activityId"] = route.activity_id
        return answer

    def _unknown(self, request: web.Request, route: _Route, body: Any) -> JSON:
        raise ConnectorError(404, "NotFound", f"No such resource: {request.method} {request.path}")


# --------------------------------------------------------------------------- helpers


@functools.cache
def _login_key() -> SigningKey:
    """The key access tokens are signed with: nobody verifies it (the fake looks tokens up),
    so every fake shares one and starts faster."""
    return SigningKey.generate()


def _is_channel(conversation_id: str) -> bool:
    """Channel conversations have threads; 1:1 chats (`a:…`) and group chats
    (`…@thread.v2`) do not."""
    return conversation_id.endswith(("@thread.tacv2", "@thread.skype"))


def _in_conversation(call: Call, conversation: str | None) -> bool:
    if conversation is None:
        return True
    base, root = tr.split_thread(conversation)
    return call.conversation == base and (root is None or call.thread_root == root)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _signing_input(header: Mapping[str, Any], claims: Mapping[str, Any]) -> bytes:
    encode = lambda part: _b64(json.dumps(part, separators=(",", ":")).encode())  # noqa: E731
    return f"{encode(header)}.{encode(claims)}".encode()


def _compact(header: Mapping[str, Any], claims: Mapping[str, Any], signature: bytes) -> str:
    return f"{_signing_input(header, claims).decode()}.{_b64(signature)}"
