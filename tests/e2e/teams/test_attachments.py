"""Teams files become attachments: a file sent in the 1:1 chat (its pre-authorized download
link, no token) and a pasted image (on the Bot Connector, with the bot's token); files in a
channel, which only Microsoft Graph could read, are linked in the ticket instead."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.core.model import ChatFile
from bot.teams import ids
from tests.e2e.teams.harness import TeamsHarness, button, dialog_card, submit_data, texts
from tests.fakes import teams_requests as tr

MB = 1024 * 1024


def uploaded(bot: TeamsHarness, created: dict[str, Any]) -> list[tuple[str, str, str]]:
    """`(realName, uploaded file name, sha256)` of each attachment of `created`."""
    return [
        (
            a["realName"],
            bot.desk.uploads[a["refFileName"]].filename,
            bot.desk.uploads[a["refFileName"]].sha256,
        )
        for a in created.get("fileAttachments") or []
    ]


async def file_from_chat(bot: TeamsHarness, attachments: list[dict[str, Any]]) -> dict[str, Any]:
    """Write to the bot with `attachments`, press "Create ticket", submit the form: the request."""
    message = tr.personal_message("Outlook crashes on start", bot=bot.bot)
    message["attachments"] = attachments
    await bot.send(message)
    [prompt] = await bot.teams.wait_for("send")
    assert prompt.card is not None
    create = button(prompt.card, ids.OPEN_FORM)
    form = dialog_card(await bot.invoke(tr.task_fetch(create["data"], bot=bot.bot)))
    answer = await bot.invoke(tr.task_submit(submit_data(form), bot=bot.bot))
    assert "Ticket created" in texts(answer)
    [created] = bot.desk.created
    return created


async def test_a_sent_file_and_a_pasted_image_are_attached(
    bot: TeamsHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")
    sent = bot.teams.sent_file("crash.log", size=2 * MB + 3)
    image = bot.teams.pasted_image(size=40_000)

    created = await file_from_chat(bot, [sent, image])

    log_file = bot.teams.sharepoint.files[sent["content"]["uniqueId"]]
    [pasted] = bot.teams.attachments.files.values()
    assert uploaded(bot, created) == [
        ("crash.log", "crash.log", log_file.sha256),
        ("image-2.png", "image-2.png", pasted.sha256),
    ]
    [log_download] = bot.teams.sharepoint.downloads
    assert log_download.authorization is None  # a pre-authorized link: no token sent there
    [image_download] = bot.teams.attachments.downloads
    assert image_download.authorization is not None
    assert image_download.authorization.startswith("Bearer ")
    assert image_download.status == 200
    logged = "\n".join(
        f"{r.getMessage()} {r.__dict__}" for r in caplog.records if r.name.startswith("bot")
    )
    assert "file_uploaded" in logged
    assert sent["content"]["downloadUrl"] not in logged  # a pre-authorized link is a secret
    assert image_download.authorization.removeprefix("Bearer ") not in logged


async def test_a_file_over_the_limit_is_listed_and_the_person_told(bot: TeamsHarness) -> None:
    sent = bot.teams.sent_file("video.mp4", size=21 * MB)  # Teams gives no size: read, then cut

    created = await file_from_chat(bot, [sent])

    assert created.get("fileAttachments") in (None, [])
    assert "video.mp4 (larger than the 20 MB limit per file)" in created["description"]
    assert bot.desk.uploads == {}
    await bot.settle()
    told = [c for c in bot.teams.posted() if "video.mp4" in c.text]
    assert len(told) == 1
    assert f"{created['name']} is filed, but 1 file is not attached" in told[0].text


async def test_channel_files_are_linked_not_attached(bot: TeamsHarness) -> None:
    where = tr.channel()
    fetch = tr.message_action_fetch("<p>The report is wrong</p>", conversation=where, bot=bot.bot)
    link = "https://contoso.sharepoint.com/sites/it/Shared%20Documents/report.xlsx"
    fetch["value"]["messagePayload"]["attachments"] = [
        {"id": "a1", "contentType": "reference", "contentUrl": link, "name": "report.xlsx"}
    ]
    form = dialog_card(await bot.invoke(fetch))
    submit = tr.message_action_submit(
        submit_data(form), payload=fetch["value"]["messagePayload"], conversation=where, bot=bot.bot
    )
    await bot.invoke(submit)

    [created] = bot.desk.created
    assert f"report.xlsx (it could not be read from the chat): {link}" in created["description"]
    assert bot.desk.uploads == {}


@pytest.mark.parametrize("forgery", ["files", "endpoint"])
async def test_a_state_rewritten_in_the_client_is_refused(bot: TeamsHarness, forgery: str) -> None:
    """A card's data comes back from the person's client: a state token changed there can
    make the bot neither fetch a URL of its choosing nor post, with its token, to a
    `serviceUrl` of its choosing. The seal no longer matches: the form reads as expired."""
    await bot.send(tr.personal_message("Printer jammed", bot=bot.bot))
    [prompt] = await bot.teams.wait_for("send")
    assert prompt.card is not None
    create = button(prompt.card, ids.OPEN_FORM)
    form = dialog_card(await bot.invoke(tr.task_fetch(create["data"], bot=bot.bot)))
    data = submit_data(form)
    loaded = await bot.app.deps.drafts.load(str(data[ids.STATE]))
    assert loaded is not None
    if forgery == "files":
        secret = bot.teams.attachments.add("secret", size=10, tail="views/original")
        files = [ChatFile(id="x", name="x", url=secret.url, credentials=True)]
        forged = loaded.model_copy(update={"files": files})
    else:
        origin = loaded.origin.model_copy(update={"endpoint": "https://attacker.example/"})
        forged = loaded.model_copy(update={"origin": origin})
    token = str(data[ids.STATE])
    data[ids.STATE] = token[: token.index("{")] + forged.encode()  # the old seal kept

    answer = await bot.invoke(tr.task_submit(data, bot=bot.bot))
    await bot.settle()

    assert "can no longer be submitted" in texts(answer)
    assert bot.desk.created == []
    assert bot.teams.attachments.downloads == []
