"""Token reuse, renewal, single-flight fetching, re-authentication and API keys."""

from __future__ import annotations

import asyncio

import pytest
from aiocache import Cache
from aiocache.serializers import JsonSerializer

from bot.serviceops import ApiKey, AuthenticationError, ServiceOpsClient
from tests.fakes.serviceops_api import FakeServiceOps
from tests.integration.conftest import API_KEY, MakeClient, grant, new_request


async def test_token_is_fetched_once_and_reused(
    fake: FakeServiceOps, client: ServiceOpsClient
) -> None:
    for n in range(3):
        await client.create_request(new_request(f"Ticket {n}"))

    assert fake.token_requests == 1
    token_call = fake.calls_of("token")[0]
    assert token_call.form == {
        "username": "automation",
        "password": "pa55word",
        "grant_type": "password",
    }
    assert token_call.headers["Content-Type"] == "application/x-www-form-urlencoded"
    bearer = {call.headers["Authorization"] for call in fake.calls_of("create")}
    assert bearer == {f"Bearer {fake.issued[0]}"}


async def test_token_is_renewed_shortly_before_it_expires(make_client: MakeClient) -> None:
    async with FakeServiceOps(expires_in=2) as fake:
        client = make_client(base_url=fake.url)
        await client.create_request(new_request())
        await asyncio.sleep(1.85)  # past the renewal point (1.8 s), before server expiry (2 s)
        await client.create_request(new_request())

    assert fake.token_requests == 2
    assert len(fake.created) == 2
    assert len(fake.calls_of("create")) == 2  # renewed up front, no 401 round trip


async def test_one_token_request_for_a_hundred_concurrent_calls(
    fake: FakeServiceOps, client: ServiceOpsClient
) -> None:
    fake.latency = 0.01
    created = await asyncio.gather(
        *(client.create_request(new_request(f"Ticket {n}")) for n in range(100))
    )

    assert fake.token_requests == 1
    assert len(fake.created) == 100
    assert len({request.id for request in created}) == 100


async def test_clients_sharing_a_cache_share_the_token(
    fake: FakeServiceOps, make_client: MakeClient
) -> None:
    shared = Cache(Cache.MEMORY, serializer=JsonSerializer())
    first, second = make_client(cache=shared), make_client(cache=shared)
    other_user = make_client(cache=shared, auth=grant(username="someone-else"))

    await first.search_requests()
    await second.search_requests()
    with pytest.raises(AuthenticationError):
        await other_user.search_requests()  # its own token request (refused: unknown user)

    assert fake.token_requests == 2


async def test_revoked_token_is_replaced_once_and_the_call_retried(
    fake: FakeServiceOps, client: ServiceOpsClient
) -> None:
    await client.create_request(new_request("first"))
    fake.revoke_tokens()

    created = await client.create_request(new_request("second"))

    assert created.subject == "second"
    assert fake.token_requests == 2
    assert len(fake.created) == 2
    assert len(fake.calls_of("create")) == 3


async def test_second_401_raises_authentication_error(
    fake: FakeServiceOps, client: ServiceOpsClient
) -> None:
    fake.fail_next("create", 401, times=2)

    with pytest.raises(AuthenticationError) as caught:
        await client.create_request(new_request())

    assert fake.token_requests == 2
    assert len(fake.created) == 0
    assert "SERVICEOPS_USERNAME" in caught.value.admin_hint


async def test_api_key_is_sent_as_given_without_a_token_call(
    fake: FakeServiceOps, make_client: MakeClient
) -> None:
    client = make_client(auth=ApiKey(API_KEY))

    created = await client.create_request(new_request())

    assert created.name == "INC-40"
    assert fake.token_requests == 0
    assert fake.calls_of("create")[0].headers["Authorization"] == f"Apikey {API_KEY}"


async def test_refused_api_key_fails_at_once(fake: FakeServiceOps, make_client: MakeClient) -> None:
    client = make_client(auth=ApiKey("revoked-key"))

    with pytest.raises(AuthenticationError) as caught:
        await client.search_requests()

    assert len(fake.calls) == 1
    assert "SERVICEOPS_API_KEY" in caught.value.admin_hint
    assert caught.value.user_message == (
        "The service desk refused the bot's credentials. Please tell your IT admin."
    )


async def test_check_auth_fetches_a_fresh_token(
    fake: FakeServiceOps, client: ServiceOpsClient
) -> None:
    await client.search_requests()
    await client.check_auth()

    assert fake.token_requests == 2


async def test_check_auth_with_an_api_key_makes_one_small_read(
    fake: FakeServiceOps, make_client: MakeClient
) -> None:
    await make_client(auth=ApiKey(API_KEY)).check_auth()

    assert [(call.kind, call.query.get("size")) for call in fake.calls] == [("search", "1")]


@pytest.mark.parametrize(
    ("changes", "setting"),
    [
        ({"client_secret": "wrong"}, "SERVICEOPS_CLIENT_SECRET"),
        ({"client_id": "Nobody-client"}, "SERVICEOPS_CLIENT_ID"),
        ({"password": "wrong"}, "SERVICEOPS_PASSWORD"),
        ({"username": "nobody"}, "SERVICEOPS_USERNAME"),
    ],
)
async def test_check_auth_names_the_setting_to_fix(
    fake: FakeServiceOps, make_client: MakeClient, changes: dict[str, str], setting: str
) -> None:
    client = make_client(auth=grant(**changes))

    with pytest.raises(AuthenticationError) as caught:
        await client.check_auth()

    assert setting in caught.value.admin_hint
    assert setting in str(caught.value)
    assert caught.value.user_message == (
        "The service desk refused the bot's credentials. Please tell your IT admin."
    )
    assert not caught.value.retryable
    assert fake.token_requests == 1  # refusals are not retried


async def test_refused_credentials_are_logged_with_the_admin_hint(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client(auth=grant(client_secret="wrong"))

    with pytest.raises(AuthenticationError):
        await client.create_request(new_request())

    refused = [r for r in caplog.records if r.getMessage() == "serviceops_auth_refused"]
    assert len(refused) == 1
    assert refused[0].levelname == "ERROR"
    assert "SERVICEOPS_CLIENT_SECRET" in refused[0].__dict__["hint"]
