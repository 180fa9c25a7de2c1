"""Every field of ServiceOps' create API the bot can fill, from Slack: Category, Location
and CC in the form when `BOT_CONFIG` offers them, and each place's defaults for the rest."""

from __future__ import annotations

import tomllib

import pytest

from bot.config import FormConfig
from tests.e2e.harness import (
    CHANNEL,
    OTHER_USER,
    Harness,
    block_of,
    initial_values,
    submit_as_shown,
    submitted_ticket,
)

OTHER_CHANNEL = "C0RANDOM"
NO_EMAIL_USER = "U0NOMAIL"
SEED = FormConfig.model_validate(
    tomllib.loads(
        f"""
        departments = ["IT", "Facilities", "HR"]
        categories = ["Network", "Hardware", "Software"]
        locations = ["Head office", "Plant"]
        cc_field = true
        category = "Software"
        source = "Chat"
        custom_fields = {{ "Floor" = 3, "Asset tag" = "A-1" }}

        [platforms.slack]
        source = "Slack"
        support_level = "tier1"

        [channels.{CHANNEL}]
        location = "Plant"
        support_level = "tier2"
        group = "Network team"
        status = "In Progress"
        custom_fields = {{ "Floor" = 4, "VIP" = true, "Budget" = 12.5, "Days" = ["Mon", "Fri"] }}
        link_assets = [{{ asset_model = "asset_hardware", asset_id = 7 }}]
        """
    )
)


@pytest.mark.parametrize("form_config", [SEED])
async def test_form_fields_and_channel_defaults_reach_the_request(app: Harness) -> None:
    await app.command("VPN drops", channel=CHANNEL)
    view = await app.opened_view()
    shown = initial_values(view)
    assert shown["category"] == "Software"  # the file's default
    assert shown["location"] == "Plant"  # the channel's
    assert shown["cc_people"] is None
    assert block_of(view, "cc_people")["element"]["type"] == "multi_users_select"

    answer = await app.submit(
        view,
        subject="VPN drops",
        category="Network",
        location="Head office",
        cc_people=[OTHER_USER],
    )
    assert answer.json()["response_action"] == "update"
    created = await submitted_ticket(app)

    assert created["categoryName"] == "Network"
    assert created["locationName"] == "Head office"
    assert created["ccEmailSet"] == ["grace@example.com"]
    assert created["source"] == "Slack"  # [platforms.slack] over the file's
    assert created["supportLevel"] == "tier2"  # the channel's over [platforms.slack]
    assert created["groupName"] == "Network team"
    assert created["statusName"] == "In Progress"
    assert created["customField"] == {
        "Floor": 4,
        "Asset tag": "A-1",
        "VIP": True,
        "Budget": 12.5,
        "Days": ["Mon", "Fri"],
    }
    assert created["linkAssetIds"] == [{"assetModel": "asset_hardware", "assetId": 7}]


@pytest.mark.parametrize("form_config", [SEED])
async def test_elsewhere_the_platform_and_file_defaults_apply(app: Harness) -> None:
    app.slack.add_channel(OTHER_CHANNEL)
    await app.command("New mouse", channel=OTHER_CHANNEL)
    view = await app.opened_view()

    await submit_as_shown(app, view)
    created = await submitted_ticket(app)

    assert created["categoryName"] == "Software"
    assert "locationName" not in created
    assert "ccEmailSet" not in created
    assert created["source"] == "Slack"
    assert created["supportLevel"] == "tier1"
    assert created["customField"] == {"Floor": 3, "Asset tag": "A-1"}
    assert "groupName" not in created
    assert "linkAssetIds" not in created
    # Nothing sent: the fake desk's own defaults.
    assert created["statusName"] == "Open"


@pytest.mark.parametrize("form_config", [SEED])
async def test_cc_without_an_email_is_named_on_the_field_and_nothing_is_filed(
    app: Harness,
) -> None:
    app.slack.add_user(NO_EMAIL_USER, real_name="Nemo Nobody", name="Nemo Nobody")
    await app.command("Printer on fire", channel=CHANNEL)
    view = await app.opened_view()

    answer = await app.submit(
        view,
        subject="Printer on fire",
        description="Floor 3",
        cc_people=[OTHER_USER, NO_EMAIL_USER],
    )

    assert answer.json() == {
        "response_action": "errors",
        "errors": {
            "cc_people": "I can't see an e-mail address for Nemo Nobody, so the service desk "
            "can't copy them. Please remove them from CC."
        },
    }  # Slack keeps the modal open, with everything typed
    assert app.desk.created == []

    answer = await app.submit(
        view, subject="Printer on fire", description="Floor 3", cc_people=[OTHER_USER]
    )
    assert answer.json()["response_action"] == "update"
    created = await submitted_ticket(app)
    assert created["ccEmailSet"] == ["grace@example.com"]
    # Each person was looked up once: the second submission used the directory's cache.
    looked_up = [call.args.get("user") for call in app.slack.calls_to("users.info")]
    assert looked_up.count(OTHER_USER) == 1


@pytest.mark.parametrize("form_config", [SEED])
async def test_a_category_no_longer_offered_is_refused_on_its_field(app: Harness) -> None:
    await app.command("VPN drops", channel=CHANNEL)
    view = await app.opened_view()

    answer = await app.submit(view, subject="VPN drops", category="Printers")

    assert answer.json()["errors"] == {
        "category": "That choice is no longer available. Please pick again."
    }
    assert app.desk.created == []


async def test_without_configuration_the_form_and_the_request_have_none_of_them(
    app: Harness,
) -> None:
    await app.command("VPN drops", channel=CHANNEL)
    view = await app.opened_view()

    assert [b["block_id"] for b in view["blocks"] if b["type"] == "input"] == [
        "subject",
        "description",
        "priority",
        "urgency",
        "impact",
        "department",
        "tags",
        "files",  # every form takes files (not a seed field)
    ]
    await submit_as_shown(app, view)
    created = await submitted_ticket(app)
    for key in ("categoryName", "locationName", "ccEmailSet", "groupName", "linkAssetIds"):
        assert key not in created, key


@pytest.mark.parametrize("form_config", [SEED])
async def test_a_failed_cc_lookup_asks_to_submit_again_and_then_files(app: Harness) -> None:
    await app.command("Printer on fire", channel=CHANNEL)
    view = await app.opened_view()
    app.slack.fail_next("users.info", "fatal_error")

    answer = await app.submit(view, subject="Printer on fire", cc_people=[OTHER_USER])

    assert answer.json() == {
        "response_action": "errors",
        "errors": {
            "cc_people": "I couldn't look up grace just now. Please press Create ticket again."
        },
    }
    assert app.desk.created == []
    answer = await app.submit(view, subject="Printer on fire", cc_people=[OTHER_USER])
    assert answer.json()["response_action"] == "update"
    assert (await submitted_ticket(app))["ccEmailSet"] == ["grace@example.com"]
