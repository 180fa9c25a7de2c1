"""`update_request` and reading a request back, against the fake desk over loopback HTTP."""

from __future__ import annotations

import pytest

from bot.serviceops import (
    ApiKey,
    OutcomeUnknownError,
    RequestNotFoundError,
    RequestRejectedError,
    ServiceOpsClient,
    ServiceUnavailableError,
)
from tests.fakes.serviceops_api import FakeServiceOps, Patch
from tests.integration.conftest import API_KEY, MakeClient, new_request


async def test_status_change_is_a_patch_of_only_that_field(
    fake: FakeServiceOps, client: ServiceOpsClient
) -> None:
    created = await client.create_request(new_request())

    updated = await client.update_request(created.id, status_name="In Progress")

    call = fake.calls_of("update")[0]
    assert (call.method, call.path) == ("PATCH", f"/api/v1/request/{created.id}")
    assert call.json == {"statusName": "In Progress"}
    assert fake.patches == [Patch(created.id, {"statusName": "In Progress"})]
    assert updated.status_name == "In Progress"
    assert updated.subject == created.subject
    assert updated.updated_time is not None
    assert created.updated_time is not None
    assert updated.updated_time > created.updated_time


async def test_the_new_status_is_what_a_later_read_sees(client: ServiceOpsClient) -> None:
    created = await client.create_request(new_request())
    await client.update_request(created.id, status_name="Resolved", priority_name="High")

    fetched = await client.get_request(created.id)

    assert (fetched.status_name, fetched.priority_name) == ("Resolved", "High")
    assert fetched.updated_by_name == "Automation"


async def test_a_refused_transition_shows_the_servers_message(
    fake: FakeServiceOps, client: ServiceOpsClient
) -> None:
    fake.require_resolution_for("Resolved")
    created = await client.create_request(new_request())

    with pytest.raises(RequestRejectedError) as caught:
        await client.update_request(created.id, status_name="Resolved")

    error = caught.value
    assert error.status == 400
    assert error.server_message == "Resolution is required to change the status to Resolved."
    assert error.user_message == (
        "ServiceOps rejected the request: Resolution is required to change the status to Resolved."
    )
    assert not error.retryable
    assert len(fake.calls_of("update")) == 1
    assert fake.patches[0].refused == error.server_message
    assert (await client.get_request(created.id)).status_name == "Open"


async def test_a_transition_the_rule_allows_goes_through(
    fake: FakeServiceOps, client: ServiceOpsClient
) -> None:
    fake.require_resolution_for("Resolved")
    created = await client.create_request(new_request())
    fake.set_status(created.id, "In Progress", technician="Sam Lee", resolution="<p>Toner.</p>")

    updated = await client.update_request(created.id, status_name="Resolved")

    assert updated.status_name == "Resolved"
    assert (updated.model_extra or {})["resolution"] == "<p>Toner.</p>"


async def test_an_unknown_status_is_rejected(
    fake: FakeServiceOps, client: ServiceOpsClient
) -> None:
    created = await client.create_request(new_request())

    with pytest.raises(RequestRejectedError) as caught:
        await client.update_request(created.id, status_name="Done")

    assert caught.value.server_message == "Status 'Done' does not exist."


async def test_updating_an_unknown_request_is_not_found(client: ServiceOpsClient) -> None:
    with pytest.raises(RequestNotFoundError) as caught:
        await client.update_request(999, status_name="Resolved")

    assert caught.value.server_message == "Request 999 not found."


async def test_patch_answered_too_late_is_not_sent_again(
    fake: FakeServiceOps, make_client: MakeClient
) -> None:
    client = make_client(read_timeout=0.3)
    created = await client.create_request(new_request())
    fake.delay_reply("update", 1.0)

    with pytest.raises(OutcomeUnknownError) as caught:
        await client.update_request(created.id, status_name="Resolved")

    assert "the change may or may not have been made" in caught.value.user_message
    assert len(fake.calls_of("update")) == 1
    assert fake.stored_request(created.id)["statusName"] == "Resolved"  # it did happen


async def test_patch_whose_connection_drops_after_processing_is_not_sent_again(
    fake: FakeServiceOps, client: ServiceOpsClient
) -> None:
    created = await client.create_request(new_request())
    fake.drop_next("update", after_processing=True)

    with pytest.raises(OutcomeUnknownError):
        await client.update_request(created.id, status_name="Pending")

    assert len(fake.patches) == 1


async def test_patch_refused_with_503_is_not_sent_again(
    fake: FakeServiceOps, client: ServiceOpsClient
) -> None:
    created = await client.create_request(new_request())
    fake.fail_next("update", 503, retry_after=0)

    with pytest.raises(ServiceUnavailableError):
        await client.update_request(created.id, status_name="Pending")

    assert len(fake.calls_of("update")) == 1


async def test_an_expired_token_is_renewed_and_the_patch_sent_once_more(
    fake: FakeServiceOps, client: ServiceOpsClient
) -> None:
    created = await client.create_request(new_request())
    fake.revoke_tokens()

    updated = await client.update_request(created.id, status_name="Pending")

    assert updated.status_name == "Pending"
    assert len(fake.calls_of("update")) == 2  # the first was refused unprocessed (401)
    assert len(fake.patches) == 1
    assert fake.token_requests == 2


async def test_patch_with_the_api_key(fake: FakeServiceOps, make_client: MakeClient) -> None:
    client = make_client(auth=ApiKey(API_KEY))
    created = await client.create_request(new_request())

    updated = await client.update_request(created.id, status_name="Closed")

    assert updated.status_name == "Closed"
    assert fake.calls_of("update")[0].headers["Authorization"] == f"Apikey {API_KEY}"


async def test_the_technicians_changes_are_read_back(
    fake: FakeServiceOps, client: ServiceOpsClient
) -> None:
    created = await client.create_request(new_request())
    fake.stored_request(created.id)["groupName"] = "Hardware"
    fake.set_status(created.id, "Resolved", technician="Sam Lee", resolution="<p>Done.</p>")

    fetched = await client.get_request(created.id)

    assert fetched.status_name == "Resolved"
    assert fetched.group_name == "Hardware"
    assert fetched.model_extra == {"technicianName": "Sam Lee", "resolution": "<p>Done.</p>"}
    assert fetched.updated_at is not None
    assert created.updated_at is not None
    assert fetched.updated_at > created.updated_at
