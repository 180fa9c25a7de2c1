""" "My requests" in Teams: "my tickets" and "INC-12" in the 1:1 chat, and the card's actions.

Every card the bot sends or answers with passes the Teams SDK's models and the size limit.
"""

from __future__ import annotations

from typing import Any

from bot.teams import ids
from tests.e2e.teams.harness import (
    ADA_EMAIL,
    GRACE_EMAIL,
    TeamsHarness,
    dialog_card,
    inputs,
    texts,
)
from tests.fakes import teams_requests as tr
from tests.unit.teams.adaptive import check_card, check_message
from tests.unit.teams.adaptive import texts as block_texts

DAY = 86400.0


async def ask(bot: TeamsHarness, text: str, *, sender: tr.PersonLike = tr.ADA) -> Any:
    """Send `text` in the 1:1 chat; the card the bot answers with (checked)."""
    chat = tr.personal_chat(sender, bot=bot.bot)
    before = len(bot.teams.posted(chat.id))
    await bot.send(tr.personal_message(text, sender=sender, bot=bot.bot))
    await bot.settle()
    posts = bot.teams.posted(chat.id)
    assert len(posts) == before + 1
    check_message(posts[-1].activity)
    return posts[-1].card


def rows_of(card: dict[str, Any]) -> list[str]:
    """Request ids of the rows, top to bottom (from their "Send" buttons)."""
    found = []
    for item in card["body"]:
        for element in item.get("items", []):
            if element.get("type") == "ActionSet":
                comment = element["actions"][0]["card"]["actions"][0]
                found.append(comment["data"][ids.REQUEST])
    return found


def press(
    bot: TeamsHarness, verb: str, data: dict[str, Any], *, sender: tr.PersonLike = tr.ADA
) -> dict[str, Any]:
    chat = tr.personal_chat(sender, bot=bot.bot)
    return tr.card_action(verb, data, conversation=chat, sender=sender, bot=bot.bot)


async def test_my_tickets_lists_own_requests_as_a_card(bot: TeamsHarness) -> None:
    older = bot.desk.seed_request(ADA_EMAIL, "VPN drops", updated_ago=3 * DAY)
    newer = bot.desk.seed_request(ADA_EMAIL, "Printer **jammed** [x](http://evil)")
    closed = bot.desk.seed_request(ADA_EMAIL, "Mouse", status="Closed", updated_ago=DAY)
    bot.desk.seed_request(GRACE_EMAIL, "Grace's keyboard")

    card = await ask(bot, "my tickets")

    assert rows_of(card) == [newer["id"], older["id"], closed["id"]]
    shown = "\n".join(block_texts(card))
    assert "keyboard" not in shown
    assert "Printer \\*\\*jammed\\*\\* \\[x\\]\\(http://evil\\)" in shown  # not bold, no link
    assert "1 h ago" in shown
    assert bot.desk.created
    assert not bot.desk.patches


async def test_sixty_requests_are_paged_within_the_card_limit(bot: TeamsHarness) -> None:
    for number in range(60):
        bot.desk.seed_request(ADA_EMAIL, f"Request {number} " + "x" * 140)

    card = await ask(bot, "my tickets")
    assert len(rows_of(card)) == 10
    more = next(a for a in card["actions"] if a.get("title") == "Show more")

    answer = await bot.invoke(press(bot, ids.MY_MORE, more["data"]))

    assert answer["type"] == "application/vnd.microsoft.card.adaptive"
    check_card(answer["value"])
    assert "Showing 11–20 of 60" in texts(answer["value"])
    assert not set(rows_of(answer["value"])) & set(rows_of(card))


async def test_a_ticket_number_shows_the_request_and_its_public_replies(
    bot: TeamsHarness,
) -> None:
    mine = bot.desk.seed_request(ADA_EMAIL, "VPN drops")
    bot.desk.set_status(mine["id"], "In Progress", technician="Sam Lee")
    bot.desk.reply_to_requester(mine["id"], "Please try the _new_ profile")

    card = await ask(bot, mine["name"].lower())

    shown = "\n".join(block_texts(card))
    assert "In Progress" in shown
    assert "Handled by Sam Lee" in shown
    assert "Please try the \\_new\\_ profile" in shown


async def test_someone_elses_number_is_not_shown(bot: TeamsHarness) -> None:
    theirs = bot.desk.seed_request(GRACE_EMAIL, "Grace's keyboard")

    card = await ask(bot, theirs["name"])

    assert "isn't one of your requests" in texts(card)
    assert "keyboard" not in texts(card)


async def test_comment_adds_one_requester_reply(bot: TeamsHarness) -> None:
    mine = bot.desk.seed_request(ADA_EMAIL, "VPN drops")
    card = await ask(bot, "my tickets")
    send = card["body"][1]["items"][2]["actions"][0]["card"]["actions"][0]

    answer = await bot.invoke(
        press(bot, ids.MY_COMMENT, {**send["data"], "comment": "Still <broken>"})
    )

    check_card(answer["value"])
    assert f"Your comment was added to {mine['name']}." in texts(answer["value"])
    [entry] = bot.desk.conversations(mine["id"])
    assert entry["conversationType"] == "requestor_to_technician"
    assert "Still &lt;broken&gt;" in entry["details"]


async def test_close_own_patches_and_someone_elses_is_refused(bot: TeamsHarness) -> None:
    mine = bot.desk.seed_request(ADA_EMAIL, "VPN drops")
    theirs = bot.desk.seed_request(GRACE_EMAIL, "Grace's keyboard")

    refused = await bot.invoke(press(bot, ids.MY_CLOSE, {ids.REQUEST: theirs["id"]}))
    assert refused["value"] == "Only the requester can do that."
    assert bot.desk.patches == []

    closed = await bot.invoke(press(bot, ids.MY_CLOSE, {ids.REQUEST: mine["id"]}))
    check_card(closed["value"])
    assert f"{mine['name']} is closed." in texts(closed["value"])
    assert [(p.request_id, p.body) for p in bot.desk.patches] == [
        (mine["id"], {"statusName": "Closed"})
    ]


async def test_outage_says_so_with_retry(bot: TeamsHarness) -> None:
    mine = bot.desk.seed_request(ADA_EMAIL, "VPN drops")
    bot.desk.fail_next("search", 503, retry_after=0, times=20)

    card = await ask(bot, "my tickets")

    assert "can't load your requests right now" in texts(card)
    retry = next(a for a in card["actions"] if a.get("title") == "Retry")
    bot.desk._faults.clear()
    answer = await bot.invoke(press(bot, ids.MY_MORE, retry["data"]))
    assert rows_of(answer["value"]) == [mine["id"]]


async def test_my_tickets_in_a_channel_is_not_answered_with_the_list(bot: TeamsHarness) -> None:
    bot.desk.seed_request(ADA_EMAIL, "VPN drops")
    where = tr.channel()
    await bot.send(tr.channel_mention("my tickets", conversation=where, bot=bot.bot))
    await bot.settle()

    assert "My requests" not in texts([c.card for c in bot.teams.posted() if c.card])
    assert bot.desk.calls_of("search") == []


async def test_new_ticket_opens_the_form_whose_number_comes_to_this_chat(
    bot: TeamsHarness,
) -> None:
    card = await ask(bot, "my tickets")
    new_ticket = next(a for a in card["actions"] if a.get("title") == "New ticket")
    assert new_ticket["data"]["msteams"] == {"type": "task/fetch"}

    form = dialog_card(await bot.invoke(tr.task_fetch(new_ticket["data"], bot=bot.bot)))

    assert "subject" in inputs(form)
    assert "in this chat" in texts(form)
