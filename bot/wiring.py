"""Start-up: the pieces every surface shares, built once per process from the settings.

One cache backend (memory or Redis), one ServiceOps client, and core's services over them.
Each configured surface (Slack; Teams later) is then built on this `Core` and gets its own
directory and messenger, so tickets from every platform share the same claims and drafts.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from bot.cache import build_cache
from bot.config import FormConfig, Settings, load_form_config
from bot.core.attachments import Attacher, FileLimits
from bot.core.claims import Claims
from bot.core.drafts import StateStore
from bot.core.filing import Filing
from bot.core.follow import Follower, Statuses
from bot.core.inflight import InFlight
from bot.core.links import LinkStore
from bot.core.my_requests import MyRequests
from bot.core.ports import Directory, FileSource, Messenger
from bot.core.tickets import TicketService
from bot.metrics import observe_serviceops, watch_memory_cache
from bot.serviceops import ApiKey, PasswordGrant, ServiceOpsClient, ServiceOpsError
from bot.state import build_link_store

log = logging.getLogger("bot.wiring")

READY_TIMEOUT = 10.0
"""Longest a readiness check waits for ServiceOps."""
CACHE_READY_TIMEOUT = 2.0
"""Longest a readiness check waits for Redis to answer PING."""
REDIS_SCHEMES = frozenset({"redis", "rediss"})


@dataclass
class Core:
    """What every surface shares. `aclose` closes the connections it owns (once)."""

    settings: Settings
    form: FormConfig
    cache: Any
    serviceops: ServiceOpsClient
    claims: Claims
    tickets: TicketService
    drafts: StateStore
    inflight: InFlight
    links: LinkStore
    """Where filed tickets' links to their conversations live (durable)."""
    follower: Follower
    """Keeps tickets and their threads in step; surfaces register their messengers."""
    _closed: bool = field(default=False, repr=False)

    async def readiness(self) -> dict[str, str]:
        """`{"serviceops": "ok"}`, or what is wrong with ServiceOps in words; with a Redis
        cache, `"cache"` too (every ticket needs it, so it is down, the bot is not ready).

        ServiceOps is asked with the token in use (`ServiceOpsClient.probe`), so a probe never
        logs in while a valid token is cached; the server reuses the answer for a few seconds
        and runs one check at a time (`bot.server`).
        """
        checks: dict[str, str] = {}

        async def serviceops() -> None:
            checks["serviceops"] = await self._serviceops_ready()

        async def cache() -> None:
            checks["cache"] = await self._cache_ready()

        shared = urllib.parse.urlsplit(self.settings.cache.url).scheme in REDIS_SCHEMES
        await asyncio.gather(serviceops(), *([cache()] if shared else []))
        return checks

    async def _serviceops_ready(self) -> str:
        try:
            await asyncio.wait_for(self.serviceops.probe(), READY_TIMEOUT)
        except ServiceOpsError as exc:
            return exc.user_message
        except TimeoutError:
            return "timed out"
        return "ok"

    async def _cache_ready(self) -> str:
        """A PING to Redis: "ok", or the kind of failure (never the URL, which may hold a
        password)."""
        try:
            await asyncio.wait_for(self.cache.raw("ping"), CACHE_READY_TIMEOUT)
        except TimeoutError:
            return "Redis timed out"
        except Exception as exc:  # noqa: BLE001 (any failure means not ready; say which kind)
            return f"Redis unreachable ({type(exc).__name__})"
        return "ok"

    def filing(
        self,
        platform: str,
        *,
        directory: Directory,
        messenger: Messenger,
        reply_privately: bool = False,
        files: FileSource | None = None,
    ) -> Filing:
        """The filing flow for one platform on the shared services; its messenger also
        posts that platform's follow-through."""
        self.follower.register(platform, messenger)
        return Filing(
            self.tickets,
            self.claims,
            self.drafts,
            directory=directory,
            messenger=messenger,
            inflight=self.inflight,
            reply_privately=reply_privately,
            links=self.links,
            files=files,
        )

    def my_requests(self, directory: Directory) -> MyRequests:
        """ "My requests" for one platform (whose directory gives people's e-mails)."""
        desk = self.settings.serviceops
        return MyRequests(
            self.serviceops,
            self.cache,
            directory,
            closed_status=desk.closed_status,
            requester_key=desk.requester_key,
            method=desk.my_requests_search,
            limit=desk.my_requests_limit,
            changed=self.follower.changed,
        )

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self.follower.aclose()
        await self.serviceops.aclose()
        await self.links.close()
        await self.cache.close()


def build_core(
    settings: Settings,
    *,
    form: FormConfig | None = None,
    cache: Any = None,
    links: LinkStore | None = None,
) -> Core:
    """Build the shared pieces. Must run inside the event loop that will use them."""
    if cache is None:
        cache = build_cache(settings.cache.url)
        if urllib.parse.urlsplit(settings.cache.url).scheme not in REDIS_SCHEMES:
            watch_memory_cache(cache)
    form = form if form is not None else load_form_config(settings.bot_config)
    serviceops = build_serviceops_client(settings, cache=cache)
    claims = Claims(cache)
    links = links if links is not None else build_link_store(settings.state.url)
    desk = settings.serviceops
    chosen = form

    def sync_replies(platform: str, conversation: str) -> bool:
        return chosen.defaults_for(conversation, platform=platform).sync_replies  # type: ignore[arg-type]

    follower = Follower(
        serviceops,
        links,
        claims,
        statuses=Statuses(
            resolved=desk.resolved_status,
            closed=desk.closed_status,
            reopened=desk.reopened_status,
            finished=frozenset({desk.closed_status}),
        ),
        sync_replies=sync_replies,
    )
    return Core(
        settings=settings,
        form=form,
        cache=cache,
        serviceops=serviceops,
        claims=claims,
        tickets=TicketService(
            serviceops,
            claims,
            form=form,
            source=settings.serviceops.source,
            attacher=Attacher(
                serviceops,
                cache,
                FileLimits(
                    per_file=settings.files.max_file_bytes,
                    per_ticket=settings.files.max_ticket_bytes,
                ),
            ),
        ),
        drafts=StateStore(cache, seal_key=seal_key(settings)),
        inflight=InFlight(),
        links=links,
        follower=follower,
    )


def seal_key(settings: Settings) -> bytes:
    """The key that seals drafts handed to people's clients (`bot.core.drafts`).

    Derived from the chat platforms' secrets, which every replica shares and no person
    knows; rotating one of them makes forms that are open at the time say they expired.
    """
    secrets = [
        value.get_secret_value()
        for value in (
            settings.slack_bot_token,
            settings.slack_signing_secret,
            settings.slack_app_token,
            settings.teams_app_password,
        )
        if value is not None
    ]
    material = "\0".join(secrets).encode()
    return hmac.digest(material, b"serviceops-bot draft seal v1", hashlib.sha256)


def build_serviceops_client(settings: Settings, *, cache: Any = None) -> ServiceOpsClient:
    """A client for `SERVICEOPS_URL` with API-key or password-grant auth, as configured."""
    desk = settings.serviceops
    auth: ApiKey | PasswordGrant
    if desk.api_key is not None:
        auth = ApiKey(desk.api_key.get_secret_value())
    else:
        # Settings validation guarantees all four when there is no API key.
        assert desk.client_id is not None
        assert desk.username is not None
        assert desk.client_secret is not None
        assert desk.password is not None
        auth = PasswordGrant(
            client_id=desk.client_id,
            client_secret=desk.client_secret.get_secret_value(),
            username=desk.username,
            password=desk.password.get_secret_value(),
        )
    return ServiceOpsClient(
        desk.url,
        auth=auth,
        cache=cache,
        connect_timeout=desk.connect_timeout,
        read_timeout=desk.read_timeout,
        ca_bundle=desk.ca_bundle,
        portal_url_template=desk.portal_url_template,
        token_path=desk.token_path,
        api_path=desk.api_path,
        observer=observe_serviceops,
        upload_path=desk.upload_path,
        upload_field=desk.upload_field,
    )
