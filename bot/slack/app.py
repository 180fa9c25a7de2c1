"""The Slack surface: the Bolt app on core's services. No module-level app: tests build their own.

`create_app` builds it on a `Core` (shared with other surfaces), or on one of its own. The
server mounts it (`POST /slack/events`) or connects it over Socket Mode (`SocketModeIntake`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.config import FormConfig, Settings
from bot.server import StartupError
from bot.slack.api_errors import slack_error
from bot.slack.deps import Deps
from bot.slack.directory import SlackDirectory
from bot.slack.error_handler import error_handler
from bot.slack.files import SlackFiles
from bot.slack.listeners import register_all
from bot.slack.messenger import SlackMessenger
from bot.slack.requests import bolt_request, compressed, signed_by_slack
from bot.wiring import Core, build_core

log = logging.getLogger("bot.slack")

EVENTS_PATH = "/slack/events"


@dataclass
class BotApp:
    """The running Slack surface: the Bolt app, its services, what must be closed at exit."""

    app: AsyncApp
    deps: Deps
    web_client: AsyncWebClient
    core: Core
    _session: aiohttp.ClientSession
    _workspace: _Workspace
    _owns_core: bool

    async def warm_up(self) -> None:
        """Ask Slack now what listeners would otherwise learn on the first request.

        Servers call this before taking traffic, so no Slack call happens between a
        person's first `/ticket` and `views.open`, nor before the first acks. Slack out of
        reach is no reason not to start (requests ask again); a bot token Slack refuses is.

        Raises:
            StartupError: Slack refused SLACK_BOT_TOKEN (`invalid_auth`, `account_inactive`,
                `token_revoked`): no request could ever be answered.
        """
        if await self._workspace.authorization() is None:
            refusal = self._workspace.refusal
            if refusal in TOKEN_REFUSALS:
                raise StartupError(
                    f"Slack refused SLACK_BOT_TOKEN ({refusal}): {TOKEN_REFUSALS[refusal]}"
                )

    def mount(self, web_app: web.Application) -> None:
        """Serve Slack's HTTP mode: `POST /slack/events`, signature checked first
        (`bot.slack.requests`)."""
        slack = self.deps.settings.slack
        secret = slack.signing_secret if slack is not None else None
        verifier = SignatureVerifier(secret.get_secret_value()) if secret else None

        async def slack_events(request: web.Request) -> web.StreamResponse:
            if compressed(request.headers):
                return web.Response(status=415)
            body = await request.read()
            if not signed_by_slack(verifier, body, request.headers):
                return web.Response(status=401)
            readable = bolt_request(body, request.headers, request.query_string)
            if readable is None:
                return web.Response(status=400)  # signed, yet not a payload Bolt can read
            return await to_aiohttp_response(await self.app.async_dispatch(readable))

        web_app.router.add_post(EVENTS_PATH, slack_events)

    async def start(self) -> None:
        """Nothing to start in HTTP mode: Slack calls in."""

    async def stop(self) -> None:
        """Nothing to stop in HTTP mode: the server stops taking requests."""

    async def readiness(self) -> dict[str, str]:
        """`{"slack": "ok"}`, or the kind of failure."""
        try:
            await asyncio.wait_for(self.web_client.auth_test(), 10)
        except TimeoutError:
            return {"slack": "timed out"}
        except SlackApiError as exc:
            return {"slack": slack_error(exc)}  # what Slack said: invalid_auth, …
        except Exception as exc:  # noqa: BLE001 (any failure means not ready; say which kind)
            return {"slack": type(exc).__name__}
        return {"slack": "ok"}

    async def live_checks(self) -> dict[str, str]:
        """None: HTTP mode holds no connection to Slack."""
        return {}

    async def aclose(self) -> None:
        """Close Slack connections, and core's when this surface built it."""
        await self._session.close()
        if self._owns_core:
            await self.core.aclose()


async def create_app(
    settings: Settings,
    *,
    form: FormConfig | None = None,
    cache: Any = None,
    view_settle_seconds: float = 1.0,
    core: Core | None = None,
) -> BotApp:
    """Build the Slack surface. Must run inside the event loop that will serve it.

    Without `core`, builds one of its own from `settings` (with `form` and `cache`) and
    closes it with the surface.
    """
    owns_core = core is None
    core = core if core is not None else build_core(settings, form=form, cache=cache)
    slack = settings.slack
    assert slack is not None, "the Slack surface needs SLACK_BOT_TOKEN"
    token = slack.bot_token.get_secret_value()

    # One aiohttp session for every Slack call, so connections are reused. Bolt copies its
    # client per request (keeping the session) and gives each copy the token `authorize`
    # returns; our own calls use `web_client`, which has the token from the start.
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
    retry_handlers = [
        AsyncConnectionErrorRetryHandler(max_retry_count=1),
        # Slack answers 429 with Retry-After; chat.postMessage allows ~1/s per channel.
        AsyncRateLimitErrorRetryHandler(max_retry_count=2),
    ]
    web_client = AsyncWebClient(
        token=token, base_url=slack.api_url, session=session, retry_handlers=retry_handlers
    )
    bolt_client = AsyncWebClient(
        base_url=slack.api_url, session=session, retry_handlers=retry_handlers
    )
    directory = SlackDirectory(web_client, core.cache)
    messenger = SlackMessenger(web_client, api_url=slack.api_url)
    deps = Deps(
        settings=settings,
        form=core.form,
        filing=core.filing(
            "slack",
            directory=directory,
            messenger=messenger,
            reply_privately=slack.reply_privately,
            files=SlackFiles(session, token, api_url=slack.api_url, proxy=web_client.proxy),
        ),
        directory=directory,
        messenger=messenger,
        claims=core.claims,
        cache=core.cache,
        follower=core.follower,
        my_requests=core.my_requests(directory),
        view_settle_seconds=view_settle_seconds,
    )
    workspace = _Workspace(web_client, token)

    async def authorize() -> AuthorizeResult | None:
        """Bolt's `authorize` hook (it passes the arguments a function names: none here).
        None makes Bolt refuse the request, as for an app not installed."""
        return await workspace.authorization()

    signing_secret = slack.signing_secret
    bolt_log = logging.getLogger("bot.slack.bolt")
    # Bolt reads SLACK_BOT_TOKEN from the environment when given no token, then warns that it
    # is unused because a client is given: true and intended (the client is tokenless,
    # `authorize` gives each request the token), so that one warning is dropped.
    bolt_log.addFilter(_drop_token_unused_warning)
    try:
        app = AsyncApp(
            client=bolt_client,
            authorize=authorize,  # type: ignore[arg-type]  # None: see authorize
            signing_secret=signing_secret.get_secret_value() if signing_secret else "unused",
            # Socket Mode requests are not signed; Bolt skips verification for them.
            request_verification_enabled=True,
            logger=bolt_log,
        )
    finally:
        bolt_log.removeFilter(_drop_token_unused_warning)

    async def inject_deps(context: Any, next: Any) -> None:
        context["deps"] = deps
        await next()

    app.use(inject_deps)
    app.error(error_handler(slack.api_url))
    register_all(app)
    return BotApp(
        app=app,
        deps=deps,
        web_client=web_client,
        core=core,
        _session=session,
        _workspace=workspace,
        _owns_core=owns_core,
    )


TOKEN_REFUSALS = {
    "invalid_auth": "copy the Bot User OAuth Token (xoxb-…) from your Slack app's OAuth & "
    "Permissions page.",
    "account_inactive": "the app was uninstalled or its bot user deactivated: reinstall the app "
    "to the workspace and copy the new Bot User OAuth Token.",
    "token_revoked": "reinstall the app to the workspace and copy the new Bot User OAuth Token "
    "(OAuth & Permissions page).",
}
"""`auth.test` errors that mean the bot token will never work, and the fix for each."""


def _drop_token_unused_warning(record: logging.LogRecord) -> bool:
    return warning_client_prioritized_and_token_skipped() not in record.getMessage()


class _Workspace:
    """The one workspace the bot serves, as Bolt's `authorize` hook: `auth.test` once per
    process (at warm-up), its answer (ids, and the workspace URL for permalinks) reused
    for every request. A failed `auth.test` is asked again on the next request."""

    def __init__(self, client: AsyncWebClient, token: str) -> None:
        self._client = client
        self._token = token
        self._result: AuthorizeResult | None = None
        self._lock = asyncio.Lock()
        self.refusal: str | None = None
        """Slack's error code when it refused the last `auth.test` (`invalid_auth`, …)."""

    async def authorization(self) -> AuthorizeResult | None:
        """Slack's answer for the bot token, or None when Slack could not be asked."""
        if self._result is not None:
            return self._result
        async with self._lock:  # a burst of first requests makes one call
            if self._result is None:
                try:
                    response: AsyncSlackResponse = await self._client.auth_test()
                except SlackApiError as exc:
                    self.refusal = slack_error(exc)
                    log.warning("workspace_url_unknown", extra={"error": self.refusal})
                    return None
                except (aiohttp.ClientError, TimeoutError) as exc:
                    self.refusal = None
                    log.warning("workspace_url_unknown", extra={"error": type(exc).__name__})
                    return None
                self.refusal = None
                self._result = AuthorizeResult.from_auth_test_response(
                    auth_test_response=response, bot_token=self._token
                )
        return self._result
