"""`serviceops-bot check` says how "My requests" will find people's requests on the server."""

from __future__ import annotations

from tests.e2e.harness import USER_EMAIL
from tests.e2e.test_check import check
from tests.fakes.serviceops_api import FakeServiceOps
from tests.fakes.slack_api import FakeSlack

LINE = "ServiceOps search for My requests"
WRONG_KEY = "request.requester"


async def test_a_key_the_server_applies_is_reported_as_qualified(
    slack: FakeSlack, desk: FakeServiceOps
) -> None:
    desk.seed_request(USER_EMAIL, "VPN drops")
    desk.seed_request("grace@example.com", "Keyboard")

    outcome = await check(slack, desk)

    assert outcome.ok, outcome.text
    assert (
        outcome.line(LINE).what
        == f"{LINE}: qualified on request.requesterEmail (ServiceOps applies it)"
    )


async def test_an_ignored_key_falls_back_to_filtering_in_auto(
    slack: FakeSlack, desk: FakeServiceOps
) -> None:
    desk.seed_request(USER_EMAIL, "VPN drops")
    desk.seed_request("grace@example.com", "Keyboard")

    outcome = await check(slack, desk, serviceops_requester_key=WRONG_KEY)

    assert outcome.ok, outcome.text
    assert "ServiceOps ignored the key (request.requester)" in outcome.line(LINE).what
    assert "filters the most recent requests instead" in outcome.line(LINE).what


async def test_a_refused_key_with_qualified_is_a_failure_with_a_fix(
    slack: FakeSlack, desk: FakeServiceOps
) -> None:
    desk.strict_search_keys = True
    desk.seed_request(USER_EMAIL, "VPN drops")

    outcome = await check(
        slack,
        desk,
        serviceops_requester_key=WRONG_KEY,
        serviceops_my_requests_search="qualified",
    )

    [failed] = outcome.failed
    assert failed.what == f"{LINE}: ServiceOps refused the key (400) ({WRONG_KEY})"
    assert "SERVICEOPS_REQUESTER_KEY" in failed.fix


async def test_filtered_is_reported_without_a_search(
    slack: FakeSlack, desk: FakeServiceOps
) -> None:
    outcome = await check(slack, desk, serviceops_my_requests_search="filtered")

    assert outcome.ok, outcome.text
    assert "filtering the 200 most recent requests" in outcome.line(LINE).what
    assert desk.calls_of("search") == []
