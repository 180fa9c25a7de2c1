"""Every field of ServiceOps' create API the bot can fill, from Teams: Category, Location and
CC (typed addresses) in the form when `BOT_CONFIG` offers them, and each place's defaults."""

from __future__ import annotations

import tomllib

import pytest

from bot.config import FormConfig
from tests.e2e.teams.harness import (
    GRACE_EMAIL,
    TeamsHarness,
    dialog_card,
    initial_values,
    inputs,
    submit_data,
    texts,
)
from tests.fakes import teams_requests as tr

SEED = FormConfig.model_validate(
    tomllib.loads(
        f"""
        departments = ["IT", "Facilities", "HR"]
        categories = ["Network", "Hardware", "Software"]
        locations = ["Head office", "Plant"]
        cc_field = true
        category = "Software"
        source = "Chat"
        custom_fields = {{ "Floor" = 3 }}

        [platforms.teams]
        source = "Teams"
        support_level = "tier1"

        [channels."teams:{tr.CHANNEL_ID}"]
        location = "Plant"
        support_level = "tier3"
        group = "Facilities team"
        status = "Pending"
        custom_fields = {{ "Floor" = 2, "Shift" = "night" }}
        link_assets = [{{ asset_model = "asset_hardware", asset_id = 42 }}]
        """
    )
)


@pytest.mark.parametrize("form_config", [SEED])
async def test_form_fields_and_channel_defaults_reach_the_request(bot: TeamsHarness) -> None:
    where = tr.channel()
    fetch = tr.message_action_fetch(
        "<p>Door badge reader broken</p>", conversation=where, bot=bot.bot
    )
    form = dialog_card(await bot.invoke(fetch))
    shown = initial_values(form)
    assert shown["category"] == "Software"
    assert shown["location"] == "Plant"
    assert inputs(form)["cc"]["type"] == "Input.Text"

    typed = submit_data(
        form, category="Hardware", cc="grace@example.com; Pat@Example.com, pat@example.com"
    )
    answer = await bot.invoke(
        tr.message_action_submit(
            typed, payload=fetch["value"]["messagePayload"], conversation=where, bot=bot.bot
        )
    )

    assert "Ticket created" in texts(answer)
    [created] = bot.desk.created
    assert created["categoryName"] == "Hardware"
    assert created["locationName"] == "Plant"
    assert created["ccEmailSet"] == ["grace@example.com", "Pat@Example.com"]
    assert created["source"] == "Teams"
    assert created["supportLevel"] == "tier3"
    assert created["groupName"] == "Facilities team"
    assert created["statusName"] == "Pending"
    assert created["customField"] == {"Floor": 2, "Shift": "night"}
    assert created["linkAssetIds"] == [{"assetModel": "asset_hardware", "assetId": 42}]


@pytest.mark.parametrize("form_config", [SEED])
async def test_in_a_chat_the_platform_and_file_defaults_apply(bot: TeamsHarness) -> None:
    chat = tr.group_chat()
    fetch = tr.message_action_fetch("<p>Need a new mouse</p>", conversation=chat, bot=bot.bot)
    form = dialog_card(await bot.invoke(fetch))

    submit = tr.message_action_submit(
        submit_data(form), payload=fetch["value"]["messagePayload"], conversation=chat, bot=bot.bot
    )
    assert "Ticket created" in texts(await bot.invoke(submit))

    [created] = bot.desk.created
    assert created["categoryName"] == "Software"
    assert created["source"] == "Teams"
    assert created["supportLevel"] == "tier1"
    assert created["customField"] == {"Floor": 3}
    for key in ("locationName", "ccEmailSet", "groupName", "linkAssetIds"):
        assert key not in created, key


@pytest.mark.parametrize("form_config", [SEED])
async def test_a_wrong_cc_address_is_named_under_cc_and_nothing_typed_is_lost(
    bot: TeamsHarness,
) -> None:
    fetch = tr.message_action_fetch("<p>Laptop will not boot</p>", bot=bot.bot)
    form = dialog_card(await bot.invoke(fetch))

    typed = submit_data(
        form, description="It beeps", location="Head office", cc="grace@example.com, grace"
    )
    again = dialog_card(await bot.invoke(tr.message_action_submit(typed, bot=bot.bot)))

    assert "“grace” isn't an e-mail address" in texts(again)
    kept = initial_values(again)
    assert kept["cc"] == "grace@example.com, grace"
    assert kept["description"] == "It beeps"
    assert kept["location"] == "Head office"
    assert bot.desk.created == []

    fixed = submit_data(again, cc="grace@example.com")
    await bot.invoke(tr.message_action_submit(fixed, bot=bot.bot))
    [created] = bot.desk.created
    assert created["ccEmailSet"] == ["grace@example.com"]
    assert created["locationName"] == "Head office"


async def test_without_configuration_the_form_and_the_request_have_none_of_them(
    bot: TeamsHarness,
) -> None:
    fetch = tr.message_action_fetch("<p>Need a new mouse</p>", bot=bot.bot)
    form = dialog_card(await bot.invoke(fetch))
    assert set(inputs(form)) == {
        "subject",
        "description",
        "priority",
        "urgency",
        "impact",
        "department",
        "tags",
    }

    await bot.invoke(tr.message_action_submit(submit_data(form), bot=bot.bot))

    [created] = bot.desk.created
    for key in ("categoryName", "locationName", "ccEmailSet", "groupName", "linkAssetIds"):
        assert key not in created, key


STRANGER = "0b7e5f0e-1111-4c2b-9d7e-5a1f00000001"
"""A directory object id the conversation's members do not include."""


@pytest.mark.parametrize("form_config", [SEED])
async def test_people_picked_in_a_channel_are_copied_by_their_email(bot: TeamsHarness) -> None:
    where = tr.channel()
    fetch = tr.message_action_fetch("<p>Projector dead</p>", conversation=where, bot=bot.bot)
    form = dialog_card(await bot.invoke(fetch))
    picker = inputs(form)["cc_people"]
    assert picker["choices.data"]["dataset"] == "graph.microsoft.com/users"
    assert inputs(form)["cc"]["label"] == "CC by e-mail"

    typed = submit_data(form, cc_people=tr.GRACE.aad_object_id, cc="pat@example.com")
    payload = fetch["value"]["messagePayload"]
    answer = await bot.invoke(
        tr.message_action_submit(typed, payload=payload, conversation=where, bot=bot.bot)
    )

    assert "Ticket created" in texts(answer)
    [created] = bot.desk.created
    assert created["ccEmailSet"] == ["pat@example.com", GRACE_EMAIL]


@pytest.mark.parametrize("form_config", [SEED])
async def test_someone_the_conversation_cannot_look_up_is_named_and_kept_for_removal(
    bot: TeamsHarness,
) -> None:
    where = tr.channel()
    fetch = tr.message_action_fetch("<p>Projector dead</p>", conversation=where, bot=bot.bot)
    form = dialog_card(await bot.invoke(fetch))
    payload = fetch["value"]["messagePayload"]

    typed = submit_data(
        form, description="Room 4", cc_people=f"{tr.GRACE.aad_object_id},{STRANGER}"
    )
    again = dialog_card(
        await bot.invoke(
            tr.message_action_submit(typed, payload=payload, conversation=where, bot=bot.bot)
        )
    )

    assert (
        "I can't see an e-mail address for 1 person you picked, so the service desk can't "
        "copy them. Please remove them, and type their addresses under CC by e-mail instead."
    ) in texts(again)
    assert bot.desk.created == []
    picker = inputs(again)["cc_people"]
    assert picker["value"] == f"{tr.GRACE.aad_object_id},{STRANGER}"
    assert picker["choices"] == [
        {"title": tr.GRACE.name, "value": tr.GRACE.aad_object_id},
        {"title": "Someone you picked", "value": STRANGER},
    ]
    assert initial_values(again)["description"] == "Room 4"

    fixed = submit_data(again, cc_people=tr.GRACE.aad_object_id, cc="stranger@example.com")
    answer = await bot.invoke(
        tr.message_action_submit(fixed, payload=payload, conversation=where, bot=bot.bot)
    )
    assert "Ticket created" in texts(answer)
    [created] = bot.desk.created
    assert created["ccEmailSet"] == ["stranger@example.com", GRACE_EMAIL]


@pytest.mark.parametrize("form_config", [SEED])
async def test_in_a_one_to_one_chat_cc_is_typed_only(bot: TeamsHarness) -> None:
    chat = tr.personal_chat(tr.ADA, bot=bot.bot)
    fetch = tr.message_action_fetch("<p>Need a new mouse</p>", conversation=chat, bot=bot.bot)
    form = dialog_card(await bot.invoke(fetch))

    assert "cc_people" not in inputs(form)
    assert inputs(form)["cc"]["label"] == "CC"
