"""Error mapping, retries and the no-duplicate rule for writes, over real HTTP."""

from __future__ import annotations

import pytest

from bot.serviceops import (
    OutcomeUnknownError,
    RequestNotFoundError,
    RequestRejectedError,
    ServiceOpsClient,
    ServiceUnavailableError,
    UnexpectedResponseError,
)
from tests.fakes.serviceops_api import FakeServiceOps
from tests.integration.conftest import MakeClient, new_request

UNAVAILABLE = "The service desk is unreachable right now. Please try again in a few minutes."


async def test_unknown_department_shows_the_servers_message(
    fake: FakeServiceOps, client: ServiceOpsClient
) -> None:
    with pytest.raises(RequestRejectedError) as caught:
        await client.create_request(new_request(department_name="Nope"))

    error = caught.value
    assert (
        error.user_message == "ServiceOps rejected the request: Department 'Nope' does not exist."
    )
    assert (error.status, error.code, error.server_message) == (
        400,
        "400",
        "Department 'Nope' does not exist.",
    )
    assert not error.retryable
    assert len(fake.calls_of("create")) == 1


async def test_500_with_an_error_body_is_a_rejection_not_an_outage(
    fake: FakeServiceOps, client: ServiceOpsClient
) -> None:
    body = {"code": "FDTx1.template", "userMessage": "Invalid Input Data.", "cause": None}
    fake.fail_next("create", 500, body=body)

    with pytest.raises(RequestRejectedError) as caught:
        await client.create_request(new_request())

    assert caught.value.code == "FDTx1.template"
    assert caught.value.user_message == "ServiceOps rejected the request: Invalid Input Data."
    assert len(fake.calls_of("create")) == 1


async def test_html_502_on_a_read_is_retried_then_reported_unavailable(
    fake: FakeServiceOps, make_client: MakeClient
) -> None:
    client = make_client(retry_attempts=3)
    fake.fail_next("search", 502, html=True, times=10)

    with pytest.raises(ServiceUnavailableError) as caught:
        await client.search_requests()

    assert caught.value.status == 502
    assert caught.value.retryable
    assert caught.value.user_message == UNAVAILABLE
    assert len(fake.calls_of("search")) == 3


async def test_html_502_on_create_is_not_sent_again(
    fake: FakeServiceOps, client: ServiceOpsClient
) -> None:
    fake.fail_next("create", 502, html=True)

    with pytest.raises(ServiceUnavailableError):
        await client.create_request(new_request())

    assert len(fake.calls_of("create")) == 1


async def test_503_retry_after_is_honoured(fake: FakeServiceOps, client: ServiceOpsClient) -> None:
    fake.fail_next("search", 503, retry_after=0.3)

    result = await client.search_requests()

    assert result.total_count == 0
    first, second = fake.calls_of("search")
    assert second.at - first.at >= 0.3  # backoff alone would be ≤ 0.02 s


async def test_retry_after_longer_than_allowed_ends_retrying(
    fake: FakeServiceOps, make_client: MakeClient
) -> None:
    client = make_client(retry_after_max=1.0)
    fake.fail_next("get", 429, retry_after=120)

    with pytest.raises(ServiceUnavailableError) as caught:
        await client.get_request(60)

    assert caught.value.status == 429
    assert len(fake.calls_of("get")) == 1


async def test_dropped_connection_on_a_read_is_retried(
    fake: FakeServiceOps, client: ServiceOpsClient
) -> None:
    created = await client.create_request(new_request())
    fake.drop_next("get")

    fetched = await client.get_request(created.id)

    assert fetched.name == created.name
    assert len(fake.calls_of("get")) == 2


async def test_read_timeouts_on_a_read_are_retried_then_unavailable(
    fake: FakeServiceOps, make_client: MakeClient
) -> None:
    client = make_client(read_timeout=0.2, retry_attempts=2)
    fake.delay_reply("search", 1.0)

    with pytest.raises(ServiceUnavailableError) as caught:
        await client.search_requests()

    assert not isinstance(caught.value, OutcomeUnknownError)
    assert len(fake.calls_of("search")) == 2


async def test_create_answered_too_late_is_not_sent_twice(
    fake: FakeServiceOps, make_client: MakeClient
) -> None:
    client = make_client(read_timeout=0.3)
    await client.search_requests()  # token and connection ready
    fake.delay_reply("create", 1.0)

    with pytest.raises(OutcomeUnknownError) as caught:
        await client.create_request(new_request())

    assert caught.value.retryable
    assert "may or may not have been created" in caught.value.user_message
    assert len(fake.calls_of("create")) == 1
    assert len(fake.created) == 1


async def test_create_whose_connection_drops_after_processing_is_not_sent_twice(
    fake: FakeServiceOps, client: ServiceOpsClient
) -> None:
    fake.drop_next("create", after_processing=True)

    with pytest.raises(OutcomeUnknownError):
        await client.create_request(new_request())

    assert len(fake.created) == 1


async def test_note_answered_too_late_is_not_sent_twice(
    fake: FakeServiceOps, make_client: MakeClient
) -> None:
    client = make_client(read_timeout=0.3)
    created = await client.create_request(new_request())
    fake.delay_reply("note", 1.0)

    with pytest.raises(OutcomeUnknownError):
        await client.add_note(created.id, "Still burning")

    assert len(fake.notes) == 1


async def test_success_with_a_body_that_is_not_json(
    fake: FakeServiceOps, client: ServiceOpsClient
) -> None:
    fake.fail_next("get", 200, html=True)

    with pytest.raises(UnexpectedResponseError) as caught:
        await client.get_request(60)

    assert caught.value.status == 200
    assert "text/html" in str(caught.value)
    assert "<html>" not in caught.value.user_message


async def test_unknown_request_id_is_not_found(
    fake: FakeServiceOps, client: ServiceOpsClient
) -> None:
    with pytest.raises(RequestNotFoundError) as caught:
        await client.get_request(999)

    assert caught.value.status == 404
    assert caught.value.server_message == "Request 999 not found."


async def test_nothing_listening_is_unavailable(make_client: MakeClient) -> None:
    async with FakeServiceOps() as gone:
        url = gone.url
    client = make_client(base_url=url, retry_attempts=2)

    with pytest.raises(ServiceUnavailableError) as caught:
        await client.create_request(new_request())

    assert not isinstance(caught.value, OutcomeUnknownError)
    assert caught.value.operation == "token"
