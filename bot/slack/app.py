"""Builds the Bolt app and the services behind it. No module-level app: tests build their own."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.middleware.authorization.async_single_team_authorization import (
    AsyncSingleTeamAuthorization,
)
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.cache import build_cache
from bot.config import FormConfig, Settings, load_form_config
from bot.core.dedupe import Claims
from bot.core.inflight import InFlight
from bot.core.tickets import TicketService
from bot.services import build_serviceops_client
from bot.slack.announce import Announcer
from bot.slack.deps import Deps
from bot.slack.errors import handle_error
from bot.slack.identity import SlackIdentity
from bot.slack.listeners import register_all
from bot.slack.states import StateStore

log = logging.getLogger("bot.slack")


@dataclass
class BotApp:
    """The running pieces: the Bolt app, its services, and what must be closed at exit."""

    app: AsyncApp
    deps: Deps
    web_client: AsyncWebClient
    _session: aiohttp.ClientSession
    _serviceops: Any
    _workspace: _WorkspaceUrl

    async def warm_up(self) -> None:
        """Ask Slack now what listeners would otherwise learn on the first request.

        Runners call this before taking traffic, so no Slack call happens between a
        person's first `/ticket` and `views.open`, nor before the first acks.
        """
        await self._workspace.url()
        if self._workspace.auth_test is not None:
            _prime_authorization(self.app, self._workspace.auth_test)

    async def aclose(self) -> None:
        """Close outbound connections (Slack and ServiceOps) and the cache."""
        await self._serviceops.aclose()
        await self._session.close()
        await self.deps.cache.close()


async def create_app(
    settings: Settings,
    *,
    form: FormConfig | None = None,
    cache: Any = None,
    view_settle_seconds: float = 1.0,
) -> BotApp:
    """Build the app from settings. Must run inside the event loop that will serve it."""
    cache = cache if cache is not None else build_cache(settings.cache_url)
    form = form if form is not None else load_form_config(settings.bot_config)

    # One aiohttp session for every Slack call, so connections are reused; Bolt copies
    # this client per request but keeps the session.
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
    web_client = AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        session=session,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=1),
            # Slack answers 429 with Retry-After; chat.postMessage allows ~1/s per channel.
            AsyncRateLimitErrorRetryHandler(max_retry_count=2),
        ],
    )
    serviceops = build_serviceops_client(settings, cache=cache)
    claims = Claims(cache)
    deps = Deps(
        settings=settings,
        form=form,
        tickets=TicketService(
            serviceops, claims, category=form.category, source=settings.serviceops_source
        ),
        claims=claims,
        identity=SlackIdentity(web_client, cache),
        states=StateStore(cache),
        announcer=Announcer(web_client, reply_privately=settings.reply_privately),
        cache=cache,
        inflight=InFlight(),
        view_settle_seconds=view_settle_seconds,
    )
    signing_secret = settings.slack_signing_secret
    app = AsyncApp(
        client=web_client,
        signing_secret=signing_secret.get_secret_value() if signing_secret else "unused",
        # Socket Mode requests are not signed; Bolt skips verification for them.
        request_verification_enabled=True,
        logger=logging.getLogger("bot.slack.bolt"),
    )

    workspace = _WorkspaceUrl(web_client)

    async def inject_deps(context: Any, next: Any) -> None:
        context["deps"] = deps
        result = context.get("authorize_result")
        if result is not None and not result.url:
            # Bolt's single-workspace authorization keeps auth.test's ids but drops its `url`,
            # which the listeners need to link a ticket to its Slack message.
            result["url"] = result.url = await workspace.url()
        await next()

    app.use(inject_deps)
    app.error(handle_error)
    register_all(app)
    return BotApp(
        app=app,
        deps=deps,
        web_client=web_client,
        _session=session,
        _serviceops=serviceops,
        _workspace=workspace,
    )


class _WorkspaceUrl:
    """The workspace's URL (`https://acme.slack.com/`), read with `auth.test` once per process."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self._url: str | None = None
        self.auth_test: AsyncSlackResponse | None = None
        """Slack's answer, once it gave one."""

    async def url(self) -> str | None:
        """The URL, or None when Slack could not tell (asked again next time)."""
        if self._url is None:
            try:
                response = await self._client.auth_test()
            except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
                log.warning("workspace_url_unknown", extra={"error": type(exc).__name__})
                return None
            self.auth_test = response
            self._url = str(response.get("url") or "")  # "" = Slack has none: don't ask again
        return self._url or None


def _prime_authorization(app: AsyncApp, auth_test: AsyncSlackResponse) -> None:
    """Hand Bolt's single-workspace authorization the warm-up's `auth.test` answer.

    Left alone, it calls auth.test before acking the first request, and again for every
    request that arrives while that call is out: a burst right after start-up made up to
    one call per request (100 in the load benchmark), each delaying its ack. Bolt has no
    public way to give it the answer, hence the private attribute.
    """
    for middleware in app._async_middleware_list:
        if (
            isinstance(middleware, AsyncSingleTeamAuthorization)
            and middleware.auth_test_result is None
        ):
            middleware.auth_test_result = auth_test
