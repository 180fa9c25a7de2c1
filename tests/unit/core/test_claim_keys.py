"""Claim keys are stable across releases: Slack's are the literals written before core
learned about other platforms, so records in a shared cache keep meaning the same across an
upgrade; every other platform's keys carry its name, so no two platforms share a key."""

from __future__ import annotations

import pytest

from bot.core.claims import ClaimKey
from bot.core.model import Origin


def origin(**fields: str | None) -> Origin:
    values: dict[str, str | None] = {
        "platform": "slack",
        "entry": "message",
        "user": "U1",
        "workspace": "T1",
        "conversation": "C1",
        "thread": "1.2",
        "message": "1.2",
    }
    values.update(fields)
    return Origin.model_validate(values)


def test_slack_event_keys_are_unchanged() -> None:
    assert ClaimKey.event("Ev0123") == "event:Ev0123"
    assert ClaimKey.event("Ev0123", platform="slack") == "event:Ev0123"


def test_other_platforms_event_keys_are_prefixed() -> None:
    assert ClaimKey.event("f:0123", platform="teams") == "event:teams:f:0123"
    assert ClaimKey.event("Ev0123", platform="teams") != ClaimKey.event("Ev0123")


def test_slack_source_keys_are_unchanged() -> None:
    assert ClaimKey.source(origin()) == "source:T1:C1:1.2"
    assert ClaimKey.source(origin(workspace=None)) == "source:-:C1:1.2"


def test_the_thread_and_user_are_not_part_of_the_source() -> None:
    assert ClaimKey.source(origin(thread=None, user="U2")) == "source:T1:C1:1.2"


def test_other_platforms_source_keys_are_prefixed() -> None:
    teams = origin(
        platform="teams",
        workspace="tenant-1",
        conversation="19:help@thread.tacv2",
        message="1700000000100",
    )
    assert ClaimKey.source(teams) == "source:teams:tenant-1:19:help@thread.tacv2:1700000000100"
    assert ClaimKey.source(origin(platform="teams", workspace=None)) == "source:teams:-:C1:1.2"
    assert ClaimKey.source(origin(platform="teams")) != ClaimKey.source(origin())


@pytest.mark.parametrize(
    "fields",
    [
        {"message": None},
        {"conversation": None},
        {"conversation": None, "message": None, "entry": "global"},
        {"platform": "teams", "message": None},
    ],
)
def test_no_message_no_source_key(fields: dict[str, str | None]) -> None:
    assert ClaimKey.source(origin(**fields)) is None


def test_attempt_and_announcement_keys_are_unchanged() -> None:
    assert ClaimKey.attempt("pZ3k-x_Q1") == "attempt:pZ3k-x_Q1"
    assert ClaimKey.announced("pZ3k-x_Q1") == "announced:pZ3k-x_Q1"
