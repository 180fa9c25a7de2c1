"""The fake Slack Web API enforces Slack's rules, driven by the real `slack_sdk` client.

Using `AsyncWebClient` (not hand-made requests) proves the fake understands the request
shapes the SDK really sends: GET query strings, POST query strings, JSON bodies.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes import slack_requests
from tests.fakes.slack_api import DEFAULT_SCOPES, FakeSlack


class Clock:
    """A hand-driven monotonic clock, so expiry is tested without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def modal(title: str = "Create ticket", **extra: Any) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "ticket_form",
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Create"},
        "blocks": [
            {
                "type": "input",
                "block_id": "subject",
                "label": {"type": "plain_text", "text": "Subject"},
                "element": {"type": "plain_text_input", "action_id": "subject"},
            }
        ],
        **extra,
    }


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def slack(clock: Clock) -> AsyncIterator[FakeSlack]:
    async with FakeSlack(clock=clock) as fake:
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)


async def error_of(call: Any) -> str:
    with pytest.raises(SlackApiError) as raised:
        await call
    return str(raised.value.response["error"])


async def test_auth_test_reports_bot_and_scopes(slack: FakeSlack, client: AsyncWebClient) -> None:
    response = await client.auth_test()
    assert response["user_id"] == "UBOT"
    assert response["team_id"] == "T1"
    assert set(response.headers["x-oauth-scopes"].split(",")) == set(DEFAULT_SCOPES)
    [call] = slack.calls_to("auth.test")
    assert call.headers["Authorization"] == f"Bearer {slack.bot_token}"


async def test_wrong_token_is_invalid_auth(slack: FakeSlack) -> None:
    client = AsyncWebClient(token="xoxb-wrong", base_url=slack.api_url)
    assert await error_of(client.auth_test()) == "invalid_auth"


async def test_trigger_id_is_single_use(slack: FakeSlack, client: AsyncWebClient) -> None:
    trigger_id = slack.new_trigger_id()
    opened = await client.views_open(trigger_id=trigger_id, view=modal())
    view = slack.views[opened["view"]["id"]]
    assert view["callback_id"] == "ticket_form"
    assert view["state"] == {"values": {}}
    assert await error_of(client.views_open(trigger_id=trigger_id, view=modal())) == (
        "exchanged_trigger_id"
    )
    assert await error_of(client.views_open(trigger_id="1.2.nope", view=modal())) == (
        "invalid_trigger_id"
    )


async def test_trigger_id_expires_after_three_seconds(
    slack: FakeSlack, client: AsyncWebClient, clock: Clock
) -> None:
    trigger_id = slack.new_trigger_id()
    clock.now += 3.1
    assert await error_of(client.views_open(trigger_id=trigger_id, view=modal())) == (
        "expired_trigger_id"
    )


async def test_title_of_25_chars_is_rejected_like_slack(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    with pytest.raises(SlackApiError) as raised:
        await client.views_open(trigger_id=slack.new_trigger_id(), view=modal("x" * 25))
    assert raised.value.response["error"] == "invalid_arguments"
    [message] = raised.value.response["response_metadata"]["messages"]
    assert "/view/title/text" in message


async def test_input_block_needs_submit(slack: FakeSlack, client: AsyncWebClient) -> None:
    view = modal()
    del view["submit"]
    assert await error_of(client.views_open(trigger_id=slack.new_trigger_id(), view=view)) == (
        "invalid_arguments"
    )


async def test_views_update_honours_hash(slack: FakeSlack, client: AsyncWebClient) -> None:
    opened = (await client.views_open(trigger_id=slack.new_trigger_id(), view=modal()))["view"]
    updated = await client.views_update(
        view_id=opened["id"], hash=opened["hash"], view=modal("Creating…")
    )
    assert updated["view"]["id"] == opened["id"]
    assert slack.views[opened["id"]]["title"]["text"] == "Creating…"
    stale = client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal("Done"))
    assert await error_of(stale) == "hash_conflict"


async def test_views_update_by_external_id(slack: FakeSlack, client: AsyncWebClient) -> None:
    view = modal(external_id="draft-1")
    opened = (await client.views_open(trigger_id=slack.new_trigger_id(), view=view))["view"]
    await client.views_update(external_id="draft-1", view=modal("Done", external_id="draft-1"))
    assert slack.views[opened["id"]]["title"]["text"] == "Done"
    again = client.views_open(trigger_id=slack.new_trigger_id(), view=view)
    assert await error_of(again) == "duplicate_external_id"


async def test_views_push_stack_is_limited_to_three(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    root = (await client.views_open(trigger_id=slack.new_trigger_id(), view=modal()))["view"]
    for _ in range(2):
        await client.views_push(trigger_id=slack.new_trigger_id(view_id=root["id"]), view=modal())
    fourth = client.views_push(trigger_id=slack.new_trigger_id(view_id=root["id"]), view=modal())
    assert await error_of(fourth) == "push_limit_reached"


async def test_not_in_channel_unless_chat_write_public(clock: Clock) -> None:
    scopes = set(DEFAULT_SCOPES) - {"chat:write.public"}
    async with FakeSlack(scopes=scopes, clock=clock) as slack:
        slack.add_channel("C1", member=False)
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
        assert await error_of(client.chat_postMessage(channel="C1", text="hi")) == "not_in_channel"
        slack.scopes.add("chat:write.public")
        posted = await client.chat_postMessage(channel="C1", text="hi", thread_ts="1.000100")
        assert posted["channel"] == "C1"
        assert slack.messages_in("C1", thread_ts="1.000100")[0]["text"] == "hi"


async def test_private_channel_and_dm_between_people_are_invisible(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    slack.add_channel("G1", member=False)
    slack.add_channel("D1", member=False)
    slack.add_user("U1", email="ada@example.com")
    for channel in ("G1", "D1", "C404"):
        assert await error_of(client.chat_postMessage(channel=channel, text="x")) == (
            "channel_not_found"
        )
    dm = (await client.conversations_open(users="U1"))["channel"]["id"]
    assert dm.startswith("D")
    assert (await client.conversations_open(users=["U1"]))["channel"]["id"] == dm
    await client.chat_postMessage(channel=dm, text="INC-12 filed")


async def test_ephemeral_needs_recipient_in_channel(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    slack.add_user("U1")
    slack.add_user("U2")
    slack.add_channel("C1", members={"U1"})
    assert (await client.chat_postEphemeral(channel="C1", user="U1", text="x"))["message_ts"]
    assert await error_of(client.chat_postEphemeral(channel="C1", user="U2", text="x")) == (
        "user_not_in_channel"
    )


async def test_message_needs_text_or_blocks(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.add_channel("C1")
    with pytest.warns(UserWarning, match="text"):  # slack_sdk warns too
        assert await error_of(client.chat_postMessage(channel="C1")) == "no_text"


async def test_timestamps_are_unique_and_increasing(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    slack.add_channel("C1")
    stamps = [(await client.chat_postMessage(channel="C1", text="x"))["ts"] for _ in range(3)]
    assert stamps == sorted(stamps, key=float)
    assert len(set(stamps)) == 3
    link = await client.chat_getPermalink(channel="C1", message_ts=stamps[0])
    assert link["permalink"].endswith(f"/archives/C1/p{stamps[0].replace('.', '')}")


async def test_users_info_without_email(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.add_user("U1", email="ada@example.com", real_name="Ada Lovelace")
    slack.add_user("U2", real_name="No Mail")
    assert (await client.users_info(user="U1"))["user"]["profile"]["email"] == "ada@example.com"
    assert "email" not in (await client.users_info(user="U2"))["user"]["profile"]
    assert await error_of(client.users_info(user="U404")) == "user_not_found"
    slack.scopes.discard("users:read.email")
    assert "email" not in (await client.users_info(user="U1"))["user"]["profile"]


async def test_rate_limit_answers_429_with_retry_after(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    slack.add_channel("C1")
    slack.rate_limit_next("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel="C1", text="x")
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "7"
    assert raised.value.response["error"] == "ratelimited"
    assert (await client.chat_postMessage(channel="C1", text="x"))["ok"]


async def test_sdk_rate_limit_handler_retries_after_429(slack: FakeSlack) -> None:
    client = AsyncWebClient(
        token=slack.bot_token,
        base_url=slack.api_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)],
    )
    slack.add_channel("C1")
    slack.rate_limit_next("chat.postMessage", retry_after=0)
    assert (await client.chat_postMessage(channel="C1", text="x"))["ok"]
    assert [call.status for call in slack.calls_to("chat.postMessage")] == [429, 200]


async def test_fail_next_injects_an_error(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.add_channel("C1")
    slack.fail_next("chat.postMessage", "is_archived")
    assert await error_of(client.chat_postMessage(channel="C1", text="x")) == "is_archived"
    assert slack.calls_to("chat.postMessage")[0].error == "is_archived"


async def test_wait_for_returns_when_the_call_arrives(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    slack.add_channel("C1")

    async def later() -> None:
        await asyncio.sleep(0)
        await client.chat_postMessage(channel="C1", text="first")
        await client.chat_postMessage(channel="C1", text="INC-12")

    task = asyncio.create_task(later())
    [call] = await slack.wait_for("chat.postMessage", where=lambda c: "INC" in c.args["text"])
    assert call.ok
    await task
    with pytest.raises(AssertionError, match=r"views\.open"):
        await slack.wait_for("views.open", timeout=0.05)


async def test_response_url_takes_five_posts(slack: FakeSlack) -> None:

    url = slack.response_url()
    async with aiohttp.ClientSession() as session:
        for _ in range(5):
            async with session.post(url, json={"text": "INC-12"}) as response:
                assert response.status == 200
        async with session.post(url, json={"text": "again"}) as response:
            assert response.status == 404
    assert slack.count("response_url") == 6
    assert slack.calls_to("response_url")[0].args["text"] == "INC-12"


async def test_counts_new_connections(slack: FakeSlack) -> None:

    async with aiohttp.ClientSession() as session:
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url, session=session)
        for _ in range(3):
            await client.auth_test()
    assert slack.connections_opened == 1
    fresh = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
    await fresh.auth_test()
    await fresh.auth_test()
    assert slack.connections_opened == 3


# --------------------------------------------------------------------------- request builders


def test_signature_is_what_slack_sdk_verifies() -> None:
    body, headers = slack_requests.slash_command(
        "VPN down", user_id="U1", channel_id="C1", trigger_id="1.2.3", response_url="http://x"
    )
    verifier = SignatureVerifier(slack_requests.SIGNING_SECRET)
    assert verifier.is_valid_request(body, headers)
    assert not SignatureVerifier("other-secret").is_valid_request(body, headers)


def test_event_retry_headers() -> None:
    first = slack_requests.event_callback(
        slack_requests.dm_event("help", user_id="U1", channel_id="D1"), event_id="Ev1"
    )
    retry = slack_requests.event_callback(first.payload()["event"], event_id="Ev1", retry_num=1)
    assert "X-Slack-Retry-Num" not in first.headers
    assert retry.headers["X-Slack-Retry-Num"] == "1"
    assert retry.headers["X-Slack-Retry-Reason"] == "http_timeout"
    assert retry.payload()["event_id"] == first.payload()["event_id"]


async def test_bolt_routes_built_requests(slack: FakeSlack, client: AsyncWebClient) -> None:
    """The builders' payloads are what Bolt expects: it verifies, parses and routes them."""
    app = AsyncApp(client=client, signing_secret=slack_requests.SIGNING_SECRET)
    seen: dict[str, Any] = {}

    @app.command("/ticket")
    async def on_command(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        seen["text"] = body["text"]
        await client.views_open(trigger_id=body["trigger_id"], view=modal())

    @app.shortcut("ticket_from_message")
    async def on_shortcut(ack: Any, shortcut: dict[str, Any]) -> None:
        await ack()
        seen["message"] = shortcut["message"]["text"]

    @app.view("ticket_form")
    async def on_submit(ack: Any, view: dict[str, Any]) -> None:
        await ack()
        seen["subject"] = view["state"]["values"]["subject"]["subject"]["value"]
        seen["view_id"] = view["id"]

    async def dispatch(request: slack_requests.SlackRequest) -> int:
        response = await app.async_dispatch(
            AsyncBoltRequest(body=request.body.decode(), headers={**request.headers})
        )
        return int(response.status)

    command = slack_requests.slash_command(
        "VPN down",
        user_id="U1",
        channel_id="C1",
        trigger_id=slack.new_trigger_id(),
        response_url=slack.response_url(),
    )
    assert await dispatch(command) == 200
    [opened] = await slack.wait_for("views.open")
    assert opened.ok
    view = slack.views[opened.response["view"]["id"]]

    shortcut = slack_requests.message_shortcut(
        slack_requests.chat_message("printer on fire"),
        user_id="U1",
        channel_id="C1",
        trigger_id=slack.new_trigger_id(),
        response_url=slack.response_url(),
    )
    assert await dispatch(shortcut) == 200

    values = slack_requests.form_values(subject="VPN down", view=view)
    assert values == {"subject": {"type": "plain_text_input", "value": "VPN down"}}
    assert await dispatch(slack_requests.view_submission(view, values, user_id="U1")) == 200

    stale = slack_requests.slash_command(
        "x", user_id="U1", channel_id="C1", trigger_id="t", response_url="u", timestamp=1
    )
    assert await dispatch(stale) == 401
    assert seen == {
        "text": "VPN down",
        "message": "printer on fire",
        "subject": "VPN down",
        "view_id": view["id"],
    }


def test_form_values_shapes() -> None:
    values = slack_requests.form_values(
        subject="VPN down",
        priority="High",
        department="Finance",
        department_type="external_select",
        tags=["vpn", "laptop"],
    )
    assert values == {
        "subject": {"type": "plain_text_input", "value": "VPN down"},
        "priority": {
            "type": "static_select",
            "selected_option": {
                "text": {"type": "plain_text", "text": "High", "emoji": True},
                "value": "High",
            },
        },
        "department": {
            "type": "external_select",
            "selected_option": {
                "text": {"type": "plain_text", "text": "Finance", "emoji": True},
                "value": "Finance",
            },
        },
        "tags": {"type": "plain_text_input", "value": "vpn, laptop"},
    }
