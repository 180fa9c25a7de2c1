"""Files become attachments: Slack files on the message, in the DM and in the form's file input
are downloaded with the bot token and uploaded to ServiceOps; what cannot be attached is
listed in the ticket and told to the person, and never stops the ticket."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.slack import ids
from tests.e2e.harness import (
    OTHER_USER,
    USER,
    Harness,
    button_value,
    initial_values,
    message_shortcut,
    submitted_ticket,
    text_of,
)
from tests.fakes import slack_requests as sr
from tests.fakes.slack_api import FakeSlack

MB = 1024 * 1024


async def shortcut_and_submit(
    app: Harness, message: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    """Use the shortcut on `message`, submit the form as prefilled (plus `extra`): the request."""
    await message_shortcut(app, message)
    view = await app.opened_view()
    values = {k: v for k, v in initial_values(view).items() if v is not None}
    answer = await app.submit(view, **values, **extra)
    assert answer.status_code == 200
    return await submitted_ticket(app)


def uploaded(app: Harness, created: dict[str, Any]) -> list[tuple[str, str, str]]:
    """`(realName, uploaded file name, sha256)` of each attachment of `created`."""
    found = []
    for attachment in created.get("fileAttachments") or []:
        upload = app.desk.uploads[attachment["refFileName"]]
        found.append((attachment["realName"], upload.filename, upload.sha256))
    return found


async def private_notes(slack: FakeSlack) -> list[str]:
    """Text of the ephemeral messages and response-URL posts the person got."""
    calls = [c for c in slack.calls if c.method in ("chat.postEphemeral", "response_url") and c.ok]
    return [str(c.args.get("text") or "") + text_of(c.args.get("blocks") or []) for c in calls]


async def test_a_shortcut_on_a_message_with_two_files_attaches_both(app: Harness) -> None:
    shot = app.slack.add_file("screen shot.png", size=150_000, mimetype="image/png")
    log = app.slack.add_file("vpn.log", size=3 * MB + 17, mimetype="text/plain")
    message = sr.chat_message("VPN drops", user=OTHER_USER, files=[shot, log])

    await message_shortcut(app, message)
    view = await app.opened_view()
    assert "screen shot.png" in text_of(view)
    assert "vpn.log" in text_of(view)
    # Nothing is downloaded before the form opens (the trigger id has 3 seconds).
    assert app.slack.file_host.downloads == []
    values = {k: v for k, v in initial_values(view).items() if v is not None}
    await app.submit(view, **values)
    created = await submitted_ticket(app)

    hosted = app.slack.file_host.files
    assert uploaded(app, created) == [
        ("screen shot.png", "screen_shot.png", hosted[shot["id"]].sha256),
        ("vpn.log", "vpn.log", hosted[log["id"]].sha256),
    ]
    assert [u.content_type for u in app.desk.uploads.values()] == ["image/png", "text/plain"]
    assert len(app.desk.calls_of("create")) == 1
    for download in app.slack.file_host.downloads:
        assert download.authorization == f"Bearer {app.slack.bot_token}"
    assert "not attached" not in created["description"]


async def test_a_file_over_the_limit_is_listed_and_the_person_told(app: Harness) -> None:
    big = app.slack.add_file("dump.zip", size=30 * MB, mimetype="application/zip")
    small = app.slack.add_file("note.txt", size=10, mimetype="text/plain")
    message = sr.chat_message("Crash dump attached", user=OTHER_USER, files=[big, small])

    created = await shortcut_and_submit(app, message)

    assert [name for name, _, _ in uploaded(app, created)] == ["note.txt"]
    assert "Files not attached" in created["description"]
    assert "dump.zip (larger than the 20 MB limit per file)" in created["description"]
    assert big["permalink"] in created["description"]
    assert app.slack.file_host.downloads_of(big["id"]) == []  # its size said enough
    await app.slack.wait_for("response_url", where=lambda c: "dump.zip" in str(c.args))
    [note] = [n for n in await private_notes(app.slack) if "dump.zip" in n]
    assert f"{created['name']} is filed, but 1 file is not attached" in note
    assert "larger than the 20 MB limit per file" in note


@pytest.mark.parametrize(
    "settings_overrides", [{"serviceops_upload_path": "/api/v1/no/such/upload"}]
)
async def test_an_upload_endpoint_that_answers_404_still_files_once(app: Harness) -> None:
    shot = app.slack.add_file("shot.png", size=2000, mimetype="image/png")
    message = sr.chat_message("Printer jammed", user=OTHER_USER, files=[shot])

    created = await shortcut_and_submit(app, message)

    assert created.get("fileAttachments") in (None, [])
    assert "shot.png (the service desk did not accept it)" in created["description"]
    await app.slack.wait_for("response_url", where=lambda c: "shot.png" in str(c.args))
    assert len(app.desk.created) == 1
    assert app.desk.uploads == {}


async def test_hostile_file_names_are_made_safe(app: Harness) -> None:
    passwd = app.slack.add_file("../../etc/passwd", size=100, mimetype="text/plain")
    control = app.slack.add_file("re\x00port\x1b[31m\u202egnp.exe", size=100, mimetype="bad type")
    message = sr.chat_message("see files", user=OTHER_USER, files=[passwd, control])

    created = await shortcut_and_submit(app, message)

    names = [(real, stored) for real, stored, _ in uploaded(app, created)]
    assert names == [("../../etc/passwd", "passwd"), ("report[31mgnp.exe", "report_31mgnp.exe")]
    assert [u.content_type for u in app.desk.uploads.values()] == [
        "text/plain",
        "application/octet-stream",
    ]


async def test_files_added_in_the_form_are_attached_too(app: Harness) -> None:
    shot = app.slack.add_file("shot.png", size=5000, mimetype="image/png")
    added = app.slack.add_file("extra.log", size=7000, mimetype="text/plain")
    message = sr.chat_message("Wi-Fi is slow", user=OTHER_USER, files=[shot])

    await message_shortcut(app, message)
    view = await app.opened_view()
    [block] = [b for b in view["blocks"] if b.get("block_id") == ids.FILES_BLOCK]
    assert block["element"] == {"type": "file_input", "action_id": "files", "max_files": 9}
    values = {k: v for k, v in initial_values(view).items() if v is not None}
    await app.submit(view, **values, files=[added, shot])  # one picked again: attached once
    created = await submitted_ticket(app)

    assert [name for name, _, _ in uploaded(app, created)] == ["shot.png", "extra.log"]


async def test_a_dm_with_a_file_attaches_it(app: Harness) -> None:
    dm = app.slack.dm_channel(USER)
    shot = app.slack.add_file("error.png", size=4000, mimetype="image/png", user=USER)
    ts = "1700000400.000100"
    await app.event(
        sr.dm_event("this error again", user_id=USER, channel_id=dm, ts=ts, files=[shot])
        | {"subtype": "file_share"}
    )
    await app.slack.wait_for(
        "chat.postMessage", where=lambda c: c.ok and c.args.get("thread_ts") == ts
    )
    [prompt] = app.slack.messages_in(dm, ts)
    value = button_value(prompt["blocks"], ids.OPEN_FORM_ACTION)
    await app.click(ids.OPEN_FORM_ACTION, value, channel=dm, message=prompt)
    view = await app.opened_view()
    values = {k: v for k, v in initial_values(view).items() if v is not None}
    await app.submit(view, **values)
    created = await submitted_ticket(app)

    assert [name for name, _, _ in uploaded(app, created)] == ["error.png"]


async def test_the_token_never_follows_a_redirect_to_another_host(app: Harness) -> None:
    shot = app.slack.add_file("shot.png", size=3000, mimetype="image/png", redirect=True)
    message = sr.chat_message("see screenshot", user=OTHER_USER, files=[shot])

    created = await shortcut_and_submit(app, message)

    assert [name for name, _, _ in uploaded(app, created)] == ["shot.png"]
    first, edge = app.slack.file_host.downloads_of(shot["id"])
    assert first.host.startswith("127.0.0.1")
    assert first.authorization is not None
    assert edge.host.startswith("localhost")
    assert edge.authorization is None


async def test_without_files_read_the_file_is_listed_not_attached(
    slack: FakeSlack, app: Harness
) -> None:
    slack.scopes.discard("files:read")  # Slack then answers downloads with its sign-in page
    shot = slack.add_file("shot.png", size=3000, mimetype="image/png")
    message = sr.chat_message("see screenshot", user=OTHER_USER, files=[shot])

    created = await shortcut_and_submit(app, message)

    assert "shot.png (it could not be read from the chat)" in created["description"]
    assert app.desk.uploads == {}


async def test_try_again_after_a_failed_create_does_not_upload_again(app: Harness) -> None:
    shot = app.slack.add_file("shot.png", size=3000, mimetype="image/png")
    message = sr.chat_message("Laptop fan loud", user=OTHER_USER, files=[shot])
    app.desk.fail_next("create", 503, retry_after=0)

    await message_shortcut(app, message)
    view = await app.opened_view()
    values = {k: v for k, v in initial_values(view).items() if v is not None}
    await app.submit(view, **values)
    await app.slack.wait_for("views.update", where=lambda c: c.ok and "Try again" in str(c.args))
    failed = app.slack.views[view["id"]]
    await app.click(ids.RETRY_ACTION, button_value(failed["blocks"], ids.RETRY_ACTION), view=failed)
    created = await submitted_ticket(app)

    assert [name for name, _, _ in uploaded(app, created)] == ["shot.png"]
    assert len(app.desk.uploads) == 1  # uploaded once, attached on the second create
    assert len(app.slack.file_host.downloads_of(shot["id"])) == 1


async def test_logs_of_downloads_and_uploads_carry_no_token_and_no_file_address(
    app: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """What the bot itself logs (before any redaction of known secrets) while it downloads,
    uploads and fails to upload: file ids and sizes, never the token or a file's URL."""
    caplog.set_level(logging.DEBUG, logger="bot")
    ok = app.slack.add_file("ok.png", size=3000, mimetype="image/png", redirect=True)
    missing = app.slack.add_file("gone.txt", size=10)
    app.slack.file_host.files.pop(missing["id"])  # deleted meanwhile: Slack answers 404
    message = sr.chat_message("two files", user=OTHER_USER, files=[ok, missing])
    app.desk.fail_next("upload", 500)

    created = await shortcut_and_submit(app, message)

    assert "gone.txt (it could not be read from the chat)" in created["description"]
    assert "ok.png (the service desk did not accept it)" in created["description"]
    logged = "\n".join(
        f"{record.getMessage()} {record.__dict__}"
        for record in caplog.records
        if record.name.startswith("bot")
    )
    assert "file_not_read" in logged
    assert "file_not_uploaded" in logged
    assert app.slack.bot_token not in logged
    for file in (ok, missing):
        assert file["url_private_download"] not in logged
