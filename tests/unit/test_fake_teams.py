"""The fake Microsoft services (login, OpenID keys, Bot Connector) behave as documented, over
real loopback HTTP; the activity builders produce what the Teams SDK's models accept.

Tokens from `FakeTeams.sign()` are checked with pyjwt against the JWKS the fake serves, and
with the Teams SDK's own `TokenValidator` (run in a thread: it fetches keys with a blocking
call, which on this event loop would wait on the fake forever).
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import httpx2
import jwt
import pytest
from aiohttp import web
from microsoft_teams.api import ApiClient
from microsoft_teams.api.activities import (
    ActivityTypeAdapter,
    AdaptiveCardInvokeActivity,
    MessageActivity,
    MessageActivityInput,
    MessageExtensionFetchTaskInvokeActivity,
    MessageExtensionSubmitActionInvokeActivity,
    TaskFetchInvokeActivity,
    TaskSubmitInvokeActivity,
)
from microsoft_teams.api.auth.cloud_environment import PUBLIC, with_overrides
from microsoft_teams.api.auth.json_web_token import JsonWebToken
from microsoft_teams.api.models import TeamsChannelAccount
from microsoft_teams.common.experimental import ExperimentalWarning
from microsoft_teams.common.http import ClientOptions

from bot.teams import ids
from tests.fakes import teams_requests as tr
from tests.fakes.loopback import LoopbackServer
from tests.fakes.teams_api import BOT_SCOPE, FakeTeams

with warnings.catch_warnings():
    # Importing `microsoft_teams.apps` 2.1.1 warns ExperimentalWarning (an HTML widget policy
    # built at import time), which this project's pytest settings turn into an error.
    warnings.simplefilter("ignore", ExperimentalWarning)
    from microsoft_teams.apps.auth.token_validator import TokenValidator

GUEST_UPN = "ada_example.com#EXT#@contoso.onmicrosoft.com"


class Clock:
    """Wall-clock seconds that a test moves by hand (token expiry without sleeping)."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def teams(clock: Clock) -> AsyncIterator[FakeTeams]:
    async with FakeTeams(clock=clock) as fake:
        yield fake


@pytest.fixture
async def http() -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(timeout=5) as client:
        yield client


def credentials(teams: FakeTeams, **changes: str) -> dict[str, str]:
    form = {
        "grant_type": "client_credentials",
        "client_id": teams.app_id,
        "client_secret": teams.app_password,
        "scope": BOT_SCOPE,
    }
    form.update(changes)
    return form


async def bot_token(http: httpx2.AsyncClient, teams: FakeTeams) -> str:
    response = await http.post(teams.token_url, data=credentials(teams))
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def activities_url(teams: FakeTeams, conversation: str, activity_id: str | None = None) -> str:
    url = f"{teams.service_url}v3/conversations/{conversation}/activities"
    return url if activity_id is None else f"{url}/{activity_id}"


def message(text: str) -> dict[str, Any]:
    return {"type": "message", "text": text}


# --------------------------------------------------------------------------- login


async def test_login_issues_a_bearer_token_and_counts_requests(
    teams: FakeTeams, http: httpx2.AsyncClient
) -> None:
    teams.expires_in = 1234
    response = await http.post(teams.token_url, data=credentials(teams))

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 1234
    assert body["access_token"] != await bot_token(http, teams)
    # Like Entra's, the token is a JWT: the SDK reads the app id and expiry out of it.
    assert JsonWebToken(body["access_token"]).app_id == teams.app_id
    assert teams.token_requests == 2
    assert teams.tokens_issued == 2
    first, _ = await teams.wait_for("token", count=2)
    assert first.body == credentials(teams)
    assert teams.token_url == f"{teams.login_url}/{teams.tenant_id}/oauth2/v2.0/token"


@pytest.mark.parametrize(
    ("changes", "tenant", "status", "error", "code"),
    [
        ({"client_secret": "wrong"}, None, 401, "invalid_client", 7000215),
        ({"client_secret": ""}, None, 401, "invalid_client", 7000216),
        (
            {"client_id": "00000000-0000-0000-0000-000000000000"},
            None,
            400,
            "unauthorized_client",
            700016,
        ),
        ({}, "11111111-2222-3333-4444-555555555555", 400, "invalid_request", 90002),
        ({"grant_type": "password"}, None, 400, "unsupported_grant_type", 70003),
        ({"scope": "https://graph.microsoft.com/.default"}, None, 400, "invalid_scope", 1002012),
    ],
    ids=["wrong secret", "no secret", "wrong client", "wrong tenant", "wrong grant", "wrong scope"],
)
async def test_login_refuses_what_entra_refuses(
    teams: FakeTeams,
    http: httpx2.AsyncClient,
    changes: dict[str, str],
    tenant: str | None,
    status: int,
    error: str,
    code: int,
) -> None:
    url = f"{teams.login_url}/{tenant or teams.tenant_id}/oauth2/v2.0/token"
    response = await http.post(url, data=credentials(teams, **changes))

    assert response.status_code == status
    body = response.json()
    assert body["error"] == error
    assert body["error_codes"] == [code]
    assert body["error_description"].startswith(f"AADSTS{code}: ")
    assert "access_token" not in body
    assert teams.token_requests == 1
    assert teams.tokens_issued == 0


# --------------------------------------------------------------------------- connector auth


async def test_connector_needs_a_token_the_login_issued(
    teams: FakeTeams, http: httpx2.AsyncClient
) -> None:
    url = activities_url(teams, tr.personal_chat().id)
    forged = teams.sign()  # an inbound-activity token is not a bot token

    missing = await http.post(url, json=message("hi"))
    wrong = await http.post(url, json=message("hi"), headers={"Authorization": "Bearer nope"})
    inbound = await http.post(
        url, json=message("hi"), headers={"Authorization": f"Bearer {forged}"}
    )

    for response in (missing, wrong, inbound):
        assert response.status_code == 401
        assert response.json() == {"message": "Authorization has been denied for this request."}
    assert teams.posted() == []
    assert [c.error for c in teams.calls_of("send")] == ["Unauthorized"] * 3


async def test_an_expired_token_is_refused(
    teams: FakeTeams, http: httpx2.AsyncClient, clock: Clock
) -> None:
    teams.expires_in = 60
    token = await bot_token(http, teams)
    headers = {"Authorization": f"Bearer {token}"}
    url = activities_url(teams, tr.personal_chat().id)

    clock.now += 59
    assert (await http.post(url, json=message("in time"), headers=headers)).status_code == 200
    clock.now += 1
    assert (await http.post(url, json=message("too late"), headers=headers)).status_code == 401

    fresh = {"Authorization": f"Bearer {await bot_token(http, teams)}"}
    assert (await http.post(url, json=message("fresh"), headers=fresh)).status_code == 200
    teams.expire_tokens()
    assert (await http.post(url, json=message("revoked"), headers=fresh)).status_code == 401
    assert [c.text for c in teams.posted()] == ["in time", "fresh"]


# --------------------------------------------------------------------------- connector calls


@pytest.fixture
async def auth(teams: FakeTeams, http: httpx2.AsyncClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {await bot_token(http, teams)}"}


async def test_send_reply_and_update_are_recorded_with_conversation_and_thread(
    teams: FakeTeams, http: httpx2.AsyncClient, auth: dict[str, str]
) -> None:
    chat = tr.personal_chat().id
    thread = tr.thread_id(tr.CHANNEL_ID, "1700000000001")

    sent = await http.post(activities_url(teams, chat), json=message("one"), headers=auth)
    in_thread = await http.post(activities_url(teams, thread), json=message("two"), headers=auth)
    reply = await http.post(
        activities_url(teams, tr.CHANNEL_ID, "1700000000002"), json=message("three"), headers=auth
    )
    sent_id = sent.json()["id"]
    updated = await http.put(
        activities_url(teams, chat, sent_id), json=message("one, edited"), headers=auth
    )
    unknown = await http.put(
        activities_url(teams, chat, "1234"), json=message("nothing"), headers=auth
    )

    assert sent.status_code == in_thread.status_code == reply.status_code == 200
    assert len({sent_id, in_thread.json()["id"], reply.json()["id"]}) == 3
    assert updated.status_code == 200
    assert updated.json() == {"id": sent_id}
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "ActivityNotFoundInConversation"

    [first, second] = await teams.wait_for("send", count=2)
    assert (first.conversation, first.thread_root, first.activity_id) == (chat, None, sent_id)
    assert (second.conversation, second.thread_root) == (tr.CHANNEL_ID, "1700000000001")
    [answer] = teams.calls_of("reply")
    assert (answer.conversation, answer.thread_root) == (tr.CHANNEL_ID, "1700000000002")
    assert [c.text for c in teams.posted()] == ["one", "two", "three"]
    assert [c.text for c in teams.posted(tr.CHANNEL_ID)] == ["two", "three"]
    assert [c.text for c in teams.posted(thread)] == ["two"]
    assert [c.text for c in teams.updated()] == ["one, edited"]
    assert teams.activity(chat, sent_id) == {**message("one, edited"), "id": sent_id}


async def test_percent_encoded_conversation_ids_are_the_same_conversation(
    teams: FakeTeams, http: httpx2.AsyncClient, auth: dict[str, str]
) -> None:
    thread = tr.thread_id(tr.CHANNEL_ID, "1700000000001")
    encoded = quote(thread, safe="")
    assert "%3B" in encoded

    response = await http.post(activities_url(teams, encoded), json=message("hi"), headers=auth)

    assert response.status_code == 200
    [call] = teams.posted(thread)
    assert call.conversation == tr.CHANNEL_ID
    assert call.thread_root == "1700000000001"


async def test_cards_and_bad_activities(
    teams: FakeTeams, http: httpx2.AsyncClient, auth: dict[str, str]
) -> None:
    card = {"type": "AdaptiveCard", "version": "1.5", "body": []}
    chat = tr.personal_chat().id
    good = {
        "type": "message",
        "attachments": [{"contentType": tr.ADAPTIVE_CARD, "content": card}],
    }
    no_card = {"type": "message", "attachments": [{"contentType": tr.ADAPTIVE_CARD}]}

    assert (await http.post(activities_url(teams, chat), json=good, headers=auth)).is_success
    bad = await http.post(activities_url(teams, chat), json=no_card, headers=auth)
    untyped = await http.post(activities_url(teams, chat), json={"text": "x"}, headers=auth)
    typing = await http.post(activities_url(teams, chat), json={"type": "typing"}, headers=auth)

    not_json = await http.post(activities_url(teams, chat), content=b"{oops", headers=auth)
    not_json_anonymous = await http.post(activities_url(teams, chat), content=b"{oops")

    assert teams.posted()[0].card == card
    assert not_json.status_code == 400
    assert not_json_anonymous.status_code == 401
    assert bad.status_code == untyped.status_code == 400
    assert bad.json()["error"]["code"] == "BadArgument"
    assert typing.status_code == 200


async def test_unknown_paths_are_404_and_recorded(
    teams: FakeTeams, http: httpx2.AsyncClient, auth: dict[str, str]
) -> None:
    # serviceUrl ends with "/": joining it with "/v3/..." makes "//v3", which is not served.
    doubled = f"{teams.service_url}/v3/conversations/{tr.personal_chat().id}/activities"
    response = await http.post(doubled, json=message("hi"), headers=auth)

    assert response.status_code == 404
    [call] = teams.calls_of("unknown")
    assert call.path.startswith("/smba/amer//v3/")
    assert teams.posted() == []


async def test_members_answer_teams_channel_accounts(
    teams: FakeTeams, http: httpx2.AsyncClient, auth: dict[str, str]
) -> None:
    ada = teams.add_user("29:1ada", name="Ada Lovelace", email="ada@example.com")
    guest = teams.add_user("29:1guest", name="Ada Guest", upn=GUEST_UPN)
    chat = tr.personal_chat(ada).id
    base = f"{teams.service_url}v3/conversations/{chat}/members"

    by_id = await http.get(f"{base}/{ada.id}", headers=auth)
    by_object_id = await http.get(f"{base}/{ada.aad_object_id}", headers=auth)
    of_guest = await http.get(f"{base}/{guest.id}", headers=auth)
    unknown = await http.get(f"{base}/29:1nobody", headers=auth)

    member = TeamsChannelAccount.model_validate(by_id.json())
    assert member.email == "ada@example.com"
    assert member.user_principal_name == "ada@example.com"
    assert member.aad_object_id == ada.aad_object_id
    assert member.tenant_id == teams.tenant_id
    assert member.user_role == "user"
    assert by_object_id.json() == by_id.json()

    guest_json = of_guest.json()
    assert "email" not in guest_json
    assert guest_json["userPrincipalName"] == GUEST_UPN
    assert guest_json["userRole"] == "guest"

    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "MemberNotFoundInConversation"
    assert [c.conversation for c in teams.members_calls] == [chat] * 4


async def test_create_conversation_opens_the_one_to_one_chat(
    teams: FakeTeams, http: httpx2.AsyncClient, auth: dict[str, str]
) -> None:
    ada = teams.add_user("29:1ada", name="Ada Lovelace", email="ada@example.com")
    teams.add_user("29:1new", name="Not Installed", installed=False)
    url = f"{teams.service_url}v3/conversations"

    def params(user_id: str, **extra: Any) -> dict[str, Any]:
        return {
            "isGroup": False,
            "bot": {"id": teams.bot_id},
            "members": [{"id": user_id}],
            "tenantId": teams.tenant_id,
            "channelData": {"tenant": {"id": teams.tenant_id}},
            **extra,
        }

    opened = await http.post(url, json=params(ada.id), headers=auth)
    by_object_id = await http.post(
        url, json=params(ada.aad_object_id, activity=message("hello")), headers=auth
    )
    refused = await http.post(url, json=params("29:1new"), headers=auth)
    thread = await http.post(
        url,
        json={"channelData": {"channel": {"id": tr.CHANNEL_ID}}, "activity": message("new")},
        headers=auth,
    )

    chat = tr.personal_conversation_id(ada.id, teams.app_id)
    assert opened.json() == {"id": chat}
    assert chat.startswith("a:1")
    assert by_object_id.json()["id"] == chat
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "BotNotInConversationRoster"
    root = thread.json()["activityId"]
    assert thread.json()["id"] == tr.thread_id(tr.CHANNEL_ID, root)
    assert [(c.conversation, c.thread_root, c.text) for c in teams.posted()] == [
        (chat, None, "hello"),
        (tr.CHANNEL_ID, root, "new"),
    ]


async def test_posting_is_refused_where_the_bot_is_not(
    teams: FakeTeams, http: httpx2.AsyncClient, auth: dict[str, str]
) -> None:
    ada = teams.add_user("29:1ada", name="Ada Lovelace", email="ada@example.com")
    teams.refuse_posting(tr.GROUP_CHAT_ID)
    members_url = f"{teams.service_url}v3/conversations/{tr.GROUP_CHAT_ID}/members/{ada.id}"

    refused = await http.post(
        activities_url(teams, tr.GROUP_CHAT_ID), json=message("x"), headers=auth
    )
    allowed = await http.post(activities_url(teams, tr.CHANNEL_ID), json=message("y"), headers=auth)
    member = await http.get(members_url, headers=auth)
    teams.refuse_posting(tr.GROUP_CHAT_ID, members=True)
    member_refused = await http.get(members_url, headers=auth)

    assert refused.status_code == 403
    assert refused.json() == {
        "error": {
            "code": "BotNotInConversationRoster",
            "message": "The bot is not part of the conversation roster.",
        }
    }
    assert allowed.status_code == 200
    assert member.status_code == 200
    assert member_refused.status_code == 403
    [call] = teams.calls_of("send")[:1]
    assert call.error == "BotNotInConversationRoster"
    assert [c.text for c in teams.posted()] == ["y"]


async def test_injected_failures_and_latency(
    teams: FakeTeams, http: httpx2.AsyncClient, auth: dict[str, str]
) -> None:
    url = activities_url(teams, tr.personal_chat().id)
    teams.fail_next(2, status=503)
    teams.fail_next(status=429, kind="member", retry_after=2)

    first = await http.post(url, json=message("1"), headers=auth)
    second = await http.post(url, json=message("2"), headers=auth)
    third = await http.post(url, json=message("3"), headers=auth)
    throttled = await http.get(
        f"{teams.service_url}v3/conversations/{tr.personal_chat().id}/members/29:1x", headers=auth
    )

    assert [first.status_code, second.status_code, third.status_code] == [503, 503, 200]
    assert first.json()["error"]["code"] == "ServiceError"
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "2"

    teams.set_latency(0.2, kind="send")
    loop = asyncio.get_running_loop()
    started = loop.time()
    await http.post(url, json=message("slow"), headers=auth)
    assert loop.time() - started >= 0.2


async def test_the_sdk_connector_client_works_against_the_fake(
    teams: FakeTeams, http: httpx2.AsyncClient
) -> None:
    ada = teams.add_user("29:1ada", name="Ada Lovelace", email="ada@example.com")
    api = ApiClient(teams.service_url, ClientOptions(token=await bot_token(http, teams)))
    chat = tr.personal_chat(ada).id
    thread = tr.thread_id(tr.CHANNEL_ID, "1700000000001")

    sent = await api.conversations.create_activity(chat, MessageActivityInput(text="one"))
    await api.conversations.update_activity(chat, sent.id, MessageActivityInput(text="edited"))
    await api.conversations.reply_to_activity(
        thread, "1700000000001", MessageActivityInput(text="in thread")
    )
    member = await api.conversations.get_member_by_id(chat, ada.id)

    assert member.email == "ada@example.com"
    assert member.aad_object_id == ada.aad_object_id
    assert [(c.conversation, c.thread_root, c.text) for c in teams.posted()] == [
        (chat, None, "one"),
        (tr.CHANNEL_ID, "1700000000001", "in thread"),
    ]
    assert teams.activity(chat, sent.id) == {"type": "message", "text": "edited", "id": sent.id}


async def test_wait_for_reports_what_came_on_timeout(teams: FakeTeams) -> None:
    with pytest.raises(AssertionError, match="expected 1 send call"):
        await teams.wait_for("send", timeout=0.05)


# --------------------------------------------------------------------------- OpenID keys


async def fetch_jwks(http: httpx2.AsyncClient, teams: FakeTeams) -> jwt.PyJWKSet:
    config = (await http.get(teams.openid_metadata_url)).json()
    assert config["issuer"] == "https://api.botframework.com"
    assert config["jwks_uri"] == teams.openid_metadata_url.replace("/openidconfiguration", "/keys")
    assert config["id_token_signing_alg_values_supported"] == ["RS256"]
    return jwt.PyJWKSet.from_dict((await http.get(config["jwks_uri"])).json())


def verify(token: str, keys: jwt.PyJWKSet, teams: FakeTeams) -> dict[str, Any]:
    """What a bot must check: signature by a published key, RS256 only, audience, issuer,
    expiry (5 minutes of skew), and the serviceurl claim against the activity's."""
    kid = jwt.get_unverified_header(token).get("kid")
    key = next((k for k in keys.keys if k.key_id == kid), None)
    if key is None:
        raise jwt.InvalidTokenError(f"unknown key {kid}")
    claims: dict[str, Any] = jwt.decode(
        token,
        key.key,
        algorithms=["RS256"],
        audience=teams.app_id,
        issuer=teams.issuer,
        leeway=300,
        options={"require": ["exp", "nbf", "iss", "aud"]},
    )
    if claims.get("serviceurl", "").rstrip("/") != teams.service_url.rstrip("/"):
        raise jwt.InvalidTokenError("serviceurl mismatch")
    return claims


async def test_the_jwks_verifies_signed_tokens(teams: FakeTeams, http: httpx2.AsyncClient) -> None:
    keys = await fetch_jwks(http, teams)

    claims = verify(teams.sign(), keys, teams)

    assert claims["aud"] == teams.app_id
    assert claims["iss"] == "https://api.botframework.com"
    assert claims["serviceurl"] == teams.service_url
    assert [k.key_id for k in keys.keys] == [teams.keys[0].kid]
    assert keys.keys[0]._jwk_data["endorsements"] == ["msteams"]
    assert (teams.openid_fetches, teams.jwks_fetches) == (1, 1)


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda t: t.sign({"aud": "another-app"}), id="wrong audience"),
        pytest.param(lambda t: t.sign({"iss": "https://evil.example.com"}), id="wrong issuer"),
        pytest.param(
            lambda t: t.sign({"serviceurl": "https://evil.example.com/"}), id="serviceurl"
        ),
        pytest.param(lambda t: t.sign({"serviceurl": None}), id="no serviceurl"),
        pytest.param(lambda t: t.sign(expires_in=-301), id="expired"),
        pytest.param(lambda t: t.sign({"nbf": 4_000_000_000}), id="not yet valid"),
        pytest.param(lambda t: t.sign(key=t.new_key()), id="unknown key"),
        pytest.param(
            lambda t: t.sign(key=t.new_key(), headers={"kid": t.keys[0].kid}), id="wrong signature"
        ),
        pytest.param(lambda t: t.sign(alg="none"), id="alg none"),
        pytest.param(lambda t: t.sign(alg="HS256"), id="HS256 with the public key"),
    ],
)
async def test_forged_tokens_fail(teams: FakeTeams, http: httpx2.AsyncClient, forge: Any) -> None:
    keys = await fetch_jwks(http, teams)
    token = forge(teams)

    with pytest.raises(jwt.InvalidTokenError):
        verify(token, keys, teams)


async def test_rotated_keys_are_published_beside_the_old(
    teams: FakeTeams, http: httpx2.AsyncClient
) -> None:
    old = teams.sign()
    rotated = teams.rotate_key()
    new = teams.sign()

    keys = await fetch_jwks(http, teams)
    assert {k.key_id for k in keys.keys} == {teams.keys[0].kid, rotated.kid}
    assert jwt.get_unverified_header(new)["kid"] == rotated.kid
    verify(old, keys, teams)
    verify(new, keys, teams)

    teams.retire_key(teams.keys[0].kid)
    keys = await fetch_jwks(http, teams)
    with pytest.raises(jwt.InvalidTokenError):
        verify(old, keys, teams)
    assert teams.jwks_fetches == 2


async def test_the_sdk_token_validator_accepts_signed_and_refuses_forged(
    teams: FakeTeams,
) -> None:
    cloud = with_overrides(PUBLIC, openid_metadata_url=teams.openid_metadata_url)
    validator = TokenValidator.for_service(teams.app_id, cloud=cloud)
    activity = tr.personal_message("hi", bot=teams.bot)

    def check(token: str) -> dict[str, Any]:
        # The SDK fetches keys with a blocking call: keep it off this loop, which serves them.
        return asyncio.run(validator.validate_token(token, activity["serviceUrl"]))

    claims = await asyncio.to_thread(check, teams.sign())
    assert claims["serviceurl"] == activity["serviceUrl"]
    for forged in (teams.sign({"aud": "x"}), teams.sign({"serviceurl": "https://evil/"})):
        with pytest.raises(jwt.InvalidTokenError):
            await asyncio.to_thread(check, forged)


# --------------------------------------------------------------------------- builders


def test_personal_message_is_an_sdk_message_activity() -> None:
    data = tr.personal_message("VPN is down", sender=tr.ADA)

    parsed = ActivityTypeAdapter.validate_python(data)

    assert isinstance(parsed, MessageActivity)
    assert parsed.text == "VPN is down"
    assert parsed.channel_id == "msteams"
    assert parsed.service_url == tr.SERVICE_URL
    assert parsed.from_.id == tr.ADA.id
    assert parsed.from_.aad_object_id == tr.ADA.aad_object_id
    assert parsed.recipient.id == f"28:{tr.APP_ID}"
    assert parsed.conversation.conversation_type == "personal"
    assert parsed.conversation.id == tr.personal_conversation_id(tr.ADA.id, tr.APP_ID)
    assert parsed.conversation.id.startswith("a:1")
    assert parsed.conversation.tenant_id == tr.TENANT_ID
    assert parsed.channel_data is not None
    assert parsed.channel_data.tenant is not None
    assert parsed.channel_data.tenant.id == tr.TENANT_ID
    assert parsed.timestamp is not None


def test_activities_have_unique_ids() -> None:
    built = [tr.personal_message("x") for _ in range(50)] + [tr.task_fetch({}) for _ in range(50)]
    assert len({a["id"] for a in built}) == 100


def test_channel_mention_starts_or_joins_a_thread() -> None:
    post = tr.channel_mention("VPN is down", bot_name="ServiceOps")
    reply = tr.channel_mention("still down", bot_name="ServiceOps", reply_to_root=post["id"])

    parsed = ActivityTypeAdapter.validate_python(post)
    assert isinstance(parsed, MessageActivity)
    assert parsed.text == "<at>ServiceOps</at> VPN is down\n"
    assert parsed.is_recipient_mentioned()
    assert parsed.conversation.conversation_type == "channel"
    assert parsed.conversation.id == tr.thread_id(tr.CHANNEL_ID, post["id"])
    assert parsed.channel_data is not None
    assert parsed.channel_data.channel is not None
    assert parsed.channel_data.channel.id == tr.CHANNEL_ID
    assert parsed.channel_data.team is not None
    assert parsed.channel_data.team.id == tr.TEAM_ID
    stripped = parsed.model_copy(deep=True).strip_mentions_text()
    assert stripped.text.strip() == "VPN is down"

    parsed_reply = ActivityTypeAdapter.validate_python(reply)
    assert tr.split_thread(parsed_reply.conversation.id) == (tr.CHANNEL_ID, post["id"])
    assert parsed_reply.reply_to_id == post["id"]

    group = ActivityTypeAdapter.validate_python(tr.group_chat_mention("help"))
    assert group.conversation.conversation_type == "groupChat"
    assert tr.split_thread(group.conversation.id) == (tr.GROUP_CHAT_ID, None)


def test_message_action_fetch_and_submit_are_sdk_invokes() -> None:
    fetch = tr.message_action_fetch(
        "<p>VPN <b>down</b></p>", author=tr.GRACE, link="https://teams.example/l/1"
    )
    submit = tr.message_action_submit(
        {"subject": "VPN down", "priority": "High"}, payload=fetch["value"]["messagePayload"]
    )

    opened = ActivityTypeAdapter.validate_python(fetch)
    assert isinstance(opened, MessageExtensionFetchTaskInvokeActivity)
    assert opened.value.command_id == ids.MESSAGE_ACTION
    assert opened.value.command_context == "message"
    payload = opened.value.message_payload
    assert payload is not None
    assert payload.body is not None
    assert payload.body.content_type == "html"
    assert payload.body.content == "<p>VPN <b>down</b></p>"
    assert payload.link_to_message == "https://teams.example/l/1"
    assert payload.from_ is not None
    assert payload.from_.user is not None
    assert payload.from_.user.id == tr.GRACE.aad_object_id
    assert payload.from_.user.display_name == "Grace Hopper"
    assert opened.from_.id == tr.ADA.id

    submitted = ActivityTypeAdapter.validate_python(submit)
    assert isinstance(submitted, MessageExtensionSubmitActionInvokeActivity)
    assert submitted.value.data == {"subject": "VPN down", "priority": "High"}
    assert submitted.value.message_payload is not None
    assert submitted.value.message_payload.id == payload.id


def test_message_action_on_a_thread_reply_names_the_root() -> None:
    fetch = tr.message_action_fetch(
        "<p>reply</p>", author=tr.GRACE, message_id="1700000000009", reply_to_id="1700000000001"
    )

    parsed = ActivityTypeAdapter.validate_python(fetch)

    assert isinstance(parsed, MessageExtensionFetchTaskInvokeActivity)
    payload = parsed.value.message_payload
    assert payload is not None
    assert (payload.id, payload.reply_to_id) == ("1700000000009", "1700000000001")
    assert payload.link_to_message is not None
    assert "parentMessageId=1700000000001" in payload.link_to_message


def test_dialog_and_card_invokes_are_sdk_invokes() -> None:
    button = {ids.ACTION: ids.OPEN_FORM, ids.STATE: "tok"}
    fetch = ActivityTypeAdapter.validate_python(tr.task_fetch(button, reply_to_id="17000"))
    submit = ActivityTypeAdapter.validate_python(
        tr.task_submit({"subject": "VPN", ids.ACTION: ids.SUBMIT})
    )
    retry = ActivityTypeAdapter.validate_python(
        tr.card_action(ids.RETRY, {ids.ACTION: ids.RETRY, ids.STATE: "tok"})
    )

    assert isinstance(fetch, TaskFetchInvokeActivity)
    assert fetch.value.data == {**button, "msteams": {"type": "task/fetch"}}
    assert fetch.reply_to_id == "17000"
    assert isinstance(submit, TaskSubmitInvokeActivity)
    assert submit.value.data["subject"] == "VPN"
    assert submit.value.context is not None
    assert submit.value.context.theme == "default"
    assert isinstance(retry, AdaptiveCardInvokeActivity)
    assert retry.value.action.type == "Action.Execute"
    assert retry.value.action.verb == ids.RETRY
    assert retry.value.action.data[ids.STATE] == "tok"
    assert retry.value.trigger == "manual"


def test_builders_use_the_fakes_bot() -> None:
    bot = tr.Bot("app-1", "Desk", "http://127.0.0.1:9/smba/amer/", "tenant-1")

    data = tr.channel_mention("hi", bot=bot)

    assert data["serviceUrl"] == bot.service_url
    assert data["recipient"] == {"id": "28:app-1", "name": "Desk"}
    assert data["conversation"]["tenantId"] == "tenant-1"
    assert data["entities"][0]["mentioned"] == {"id": "28:app-1", "name": "Desk"}


async def test_post_activity_sends_the_signed_json(
    teams: FakeTeams, http: httpx2.AsyncClient
) -> None:
    received: list[tuple[str, dict[str, Any]]] = []

    async def endpoint(request: web.Request) -> web.Response:
        received.append((request.headers.get("Authorization", ""), await request.json()))
        return web.json_response({}, status=200)

    app = web.Application()
    app.router.add_post(ids.ENDPOINT, endpoint)
    server = LoopbackServer()
    await server.start(app)
    try:
        activity = tr.personal_message("hi", bot=teams.bot)
        token = teams.sign()
        response = await tr.post_activity(http, server.url, activity, token)
        unsigned = await tr.post_activity(http, server.url + ids.ENDPOINT, activity, None)
    finally:
        await server.stop()

    assert response.status_code == unsigned.status_code == 200
    assert received == [(f"Bearer {token}", activity), ("", activity)]
