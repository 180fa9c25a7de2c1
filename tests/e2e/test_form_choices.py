"""What the form offers: the channel's defaults preselected, free-text department when none
are configured, and a type-ahead department select (options from the app) past 100."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.config import ChannelDefaults, FormConfig
from tests.e2e.harness import (
    CHANNEL,
    USER,
    Harness,
    block_of,
    initial_values,
    message_shortcut,
    submitted_ticket,
)
from tests.fakes import slack_requests as sr
from tests.fakes.serviceops_api import FakeServiceOps

OTHER_CHANNEL = "C0RANDOM"
BRANCHES = [f"Branch {n:03d}" for n in range(1, 121)] + ["IT Service Desk"]
HELP_DEFAULTS = ChannelDefaults(
    priority="High",
    urgency="Urgent",
    impact="On Business",
    department="Facilities",
    tags=["printer", "floor-3"],
)
CONFIGURED = FormConfig(
    departments=["IT", "Facilities", "HR"],
    default_priority="Low",
    channels={CHANNEL: HELP_DEFAULTS},
)


@pytest.fixture
async def desk() -> AsyncIterator[FakeServiceOps]:
    """A desk that knows every department name (this module is about the form's side)."""
    async with FakeServiceOps(departments=None) as fake:
        yield fake


# --------------------------------------------------------------------------- channel defaults


@pytest.mark.parametrize("form_config", [CONFIGURED])
async def test_channel_defaults_are_preselected_and_filed(app: Harness) -> None:
    await app.command("printer jammed", channel=CHANNEL)
    view = await app.opened_view()

    prefilled = initial_values(view)
    assert prefilled == {
        "subject": "printer jammed",
        "description": None,
        "priority": "High",
        "urgency": "Urgent",
        "impact": "On Business",
        "department": "Facilities",
        "tags": "printer, floor-3",
    }
    await app.submit(view, **{k: v for k, v in prefilled.items() if v is not None})
    created = await submitted_ticket(app)
    assert created["priorityName"] == "High"
    assert created["urgencyName"] == "Urgent"
    assert created["impactName"] == "On Business"
    assert created["departmentName"] == "Facilities"
    assert created["tags"] == ["printer", "floor-3"]


@pytest.mark.parametrize("form_config", [CONFIGURED])
async def test_message_shortcut_in_the_channel_gets_its_defaults_too(app: Harness) -> None:
    await message_shortcut(app, sr.chat_message("toner empty", user=USER), channel=CHANNEL)
    view = await app.opened_view()

    assert initial_values(view)["priority"] == "High"
    assert initial_values(view)["department"] == "Facilities"


@pytest.mark.parametrize("form_config", [CONFIGURED])
async def test_other_channels_get_only_the_global_defaults(app: Harness) -> None:
    app.slack.add_channel(OTHER_CHANNEL)
    await app.command("printer jammed", channel=OTHER_CHANNEL)
    view = await app.opened_view()

    prefilled = initial_values(view)
    assert prefilled["priority"] == "Low"  # default_priority
    assert prefilled["urgency"] is None
    assert prefilled["department"] is None
    assert prefilled["tags"] is None


# --------------------------------------------------------------------------- departments


@pytest.mark.parametrize("form_config", [FormConfig()])
async def test_department_is_free_text_when_none_are_configured(app: Harness) -> None:
    await app.command("new desk chair")
    view = await app.opened_view()

    department = block_of(view, "department")
    assert department["element"]["type"] == "plain_text_input"
    await app.submit(view, subject="new desk chair", department="  Facilities   West ")
    created = await submitted_ticket(app)
    assert created["departmentName"] == "Facilities West"


@pytest.mark.parametrize(
    "form_config",
    [
        FormConfig(
            departments=BRANCHES, channels={CHANNEL: ChannelDefaults(department="Branch 007")}
        )
    ],
)
async def test_many_departments_become_a_type_ahead_served_by_the_app(app: Harness) -> None:
    app.slack.add_channel(OTHER_CHANNEL)
    await app.command("ATM out of order", channel=OTHER_CHANNEL)
    view = await app.opened_view()
    element = block_of(view, "department")["element"]
    assert element["type"] == "external_select"
    assert "options" not in element  # Slack asks the app as the person types

    answer = await app.send(sr.block_suggestion("department", "branch 01", view=view, user_id=USER))
    assert answer.status_code == 200
    names = [option["value"] for option in answer.json()["options"]]
    assert names == [f"Branch {n:03d}" for n in range(10, 20)]

    answer = await app.send(sr.block_suggestion("department", "DESK", view=view, user_id=USER))
    assert [option["value"] for option in answer.json()["options"]] == ["IT Service Desk"]

    answer = await app.send(sr.block_suggestion("department", "b", view=view, user_id=USER))
    assert len(answer.json()["options"]) == 100  # Slack shows at most 100

    await app.submit(view, subject="ATM out of order", department="IT Service Desk")
    created = await submitted_ticket(app)
    assert created["departmentName"] == "IT Service Desk"


@pytest.mark.parametrize(
    "form_config",
    [
        FormConfig(
            departments=BRANCHES, channels={CHANNEL: ChannelDefaults(department="Branch 007")}
        )
    ],
)
async def test_type_ahead_department_preselects_the_channel_default(app: Harness) -> None:
    await app.command("ATM out of order", channel=CHANNEL)
    view = await app.opened_view()

    element = block_of(view, "department")["element"]
    assert element["type"] == "external_select"
    assert element["initial_option"]["value"] == "Branch 007"
    await app.submit(view, subject="ATM out of order", department="Branch 007")
    created = await submitted_ticket(app)
    assert created["departmentName"] == "Branch 007"
