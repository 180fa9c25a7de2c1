"""Models for following a request after filing: updates, conversations, display times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

import bot.serviceops
from bot.serviceops import (
    Conversation,
    FileAttachment,
    Request,
    RequestUpdate,
    parse_display_time,
)
from bot.serviceops.models import TIME_ZONE_CONTEXT, _ConversationPage

IST = timezone(timedelta(hours=5, minutes=30))

DOCUMENTED_CONVERSATION = {
    "id": 2,
    "conversationType": "note",
    "details": "<p>Please take this request on priority.</p>",
    "createdByName": "Adam",
    "createdByEmail": "adam@motadata.com",
    "createdTime": "Wed, Jul 16, 2025 04:33 pm",
    "updatedTime": "Wed, Jul 16, 2025 06:30 pm",
    "subject": "[INC-104]: Email Server is Down",
    "conversationState": "published",
    "emailIds": [],
    "ccEmailIds": [],
    "updatable": True,
    "deletable": True,
    "fileAttachments": [],
}


# ---------------------------------------------------------------- display times


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wed, Jul 16, 2025 04:33 pm", datetime(2025, 7, 16, 16, 33, tzinfo=UTC)),
        ("Wed, Jul 16, 2025 04:33 PM", datetime(2025, 7, 16, 16, 33, tzinfo=UTC)),
        ("Thu, Jul 17, 2025 12:05 am", datetime(2025, 7, 17, 0, 5, tzinfo=UTC)),
        ("Thu, Jul 17, 2025 12:05 pm", datetime(2025, 7, 17, 12, 5, tzinfo=UTC)),
        ("Fri, May 29, 2026 05:41 pm", datetime(2026, 5, 29, 17, 41, tzinfo=UTC)),
        ("Jul 6, 2025 9:05 am", datetime(2025, 7, 6, 9, 5, tzinfo=UTC)),
        ("Wed, Jul 16, 2025 16:33", datetime(2025, 7, 16, 16, 33, tzinfo=UTC)),
        ("Wed, Jul 16, 2025 04:33:09 pm", datetime(2025, 7, 16, 16, 33, 9, tzinfo=UTC)),
        ("Thursday, September 4, 2025 9:05 p.m.", datetime(2025, 9, 4, 21, 5, tzinfo=UTC)),
        ("  Wed, Jul 16, 2025 04:33 pm  ", datetime(2025, 7, 16, 16, 33, tzinfo=UTC)),
    ],
)
def test_display_times_are_read(text: str, expected: datetime) -> None:
    assert parse_display_time(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "yesterday",
        "16-07-2025 16:33",
        "16/07/2025 04:33 pm",
        "Wed, Jul 32, 2025 04:33 pm",
        "Wed, Feb 30, 2025 04:33 pm",
        "Wed, Jul 16, 2025 13:33 pm",
        "Wed, Jul 16, 2025 00:33 am",
        "Wed, Foo 16, 2025 04:33 pm",
        "Wed, Jul 16, 2025 25:00",
    ],
)
def test_unreadable_display_times_are_none(text: str) -> None:
    assert parse_display_time(text) is None


def test_display_time_is_read_in_the_given_zone() -> None:
    when = parse_display_time("Wed, Jul 16, 2025 04:33 pm", IST)

    assert when == datetime(2025, 7, 16, 11, 3, tzinfo=UTC)
    assert when is not None
    assert when.utcoffset() == timedelta(hours=5, minutes=30)


# ---------------------------------------------------------------- Conversation


def test_documented_conversation_parses() -> None:
    conversation = Conversation.model_validate(DOCUMENTED_CONVERSATION)

    assert conversation.id == 2
    assert conversation.conversation_type == "note"
    assert conversation.details == "<p>Please take this request on priority.</p>"
    assert conversation.subject == "[INC-104]: Email Server is Down"
    assert (conversation.created_by_name, conversation.created_by_email) == (
        "Adam",
        "adam@motadata.com",
    )
    assert conversation.created_time == datetime(2025, 7, 16, 16, 33, tzinfo=UTC)
    assert conversation.created_time_raw == "Wed, Jul 16, 2025 04:33 pm"
    assert conversation.updated_time == datetime(2025, 7, 16, 18, 30, tzinfo=UTC)
    assert conversation.updated_time_raw == "Wed, Jul 16, 2025 06:30 pm"
    assert conversation.model_extra == {"updatable": True, "deletable": True}


def test_conversation_times_use_the_context_zone() -> None:
    conversation = Conversation.model_validate(
        DOCUMENTED_CONVERSATION, context={TIME_ZONE_CONTEXT: IST}
    )

    assert conversation.created_time == datetime(2025, 7, 16, 11, 3, tzinfo=UTC)


def test_unreadable_conversation_time_is_none_and_kept_raw() -> None:
    conversation = Conversation.model_validate(
        {"id": 1, "createdTime": "16.07.2025 16:33", "updatedTime": None}
    )

    assert conversation.created_time is None
    assert conversation.created_time_raw == "16.07.2025 16:33"
    assert conversation.updated_time is None
    assert conversation.updated_time_raw is None


def test_epoch_milliseconds_are_read_as_utc() -> None:
    conversation = Conversation.model_validate({"id": 1, "createdTime": 1756304677751})

    assert conversation.created_time == datetime(2025, 8, 27, 14, 24, 37, 751000, tzinfo=UTC)
    assert conversation.created_time_raw == "1756304677751"


def test_conversation_accepts_python_names_and_datetimes() -> None:
    when = datetime(2025, 7, 16, 16, 33, tzinfo=UTC)

    conversation = Conversation(id=3, conversation_type="note", created_time=when)

    assert conversation.created_time == when
    assert conversation.created_time_raw is None


def test_conversation_needs_an_id() -> None:
    with pytest.raises(ValidationError, match="id"):
        Conversation.model_validate({"conversationType": "note"})


def test_conversation_page_reads_object_list_and_total_count() -> None:
    page = _ConversationPage.model_validate(
        {"objectList": [DOCUMENTED_CONVERSATION], "totalCount": 9},
        context={TIME_ZONE_CONTEXT: IST},
    )

    assert [item.id for item in page.items] == [2]
    assert page.total_count == 9
    assert page.items[0].created_time == datetime(2025, 7, 16, 11, 3, tzinfo=UTC)


# ---------------------------------------------------------------- RequestUpdate


def test_update_body_has_only_the_given_fields_in_camel_case() -> None:
    body = RequestUpdate(
        status_name=" Resolved ",
        priority_name="High",
        custom_field={"Floor": 3},
        file_attachments=[FileAttachment(ref_file_name="e6d8", real_name="log.txt")],
    )

    assert body.to_json() == {
        "statusName": "Resolved",
        "priorityName": "High",
        "customField": {"Floor": 3},
        "fileAttachments": [{"refFileName": "e6d8", "realName": "log.txt"}],
    }


def test_update_body_accepts_wire_names() -> None:
    body = RequestUpdate.model_validate({"statusName": "Pending", "groupName": "Hardware"})

    assert body.to_json() == {"statusName": "Pending", "groupName": "Hardware"}


def test_empty_update_is_an_empty_body() -> None:
    assert RequestUpdate().to_json() == {}


@pytest.mark.parametrize("field", ["status_name", "subject"])
def test_blank_status_or_subject_is_refused(field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        RequestUpdate.model_validate({field: "  "})


def test_unknown_update_field_is_refused() -> None:
    with pytest.raises(ValidationError, match="status"):
        RequestUpdate.model_validate({"status": "Resolved"})


def test_update_requester_email_is_not_a_field() -> None:
    with pytest.raises(ValidationError):
        RequestUpdate.model_validate({"requester_email": "ada@example.com"})


def test_update_cc_emails_are_checked() -> None:
    with pytest.raises(ValidationError, match="not a valid e-mail"):
        RequestUpdate(cc_email_set=["nope"])


# ---------------------------------------------------------------- Request additions


def test_technician_and_resolution_stay_in_the_extras() -> None:
    request = Request.model_validate(
        {
            "id": 65,
            "name": "INC-46",
            "statusName": "Resolved",
            "technicianName": "Sam Lee",
            "groupName": "Hardware",
            "resolution": "<p>Replaced the toner.</p>",
        }
    )

    assert request.group_name == "Hardware"
    assert request.model_extra == {
        "technicianName": "Sam Lee",
        "resolution": "<p>Replaced the toner.</p>",
    }


def test_new_models_are_exported_by_the_package() -> None:
    assert bot.serviceops.Conversation is Conversation
    assert bot.serviceops.RequestUpdate is RequestUpdate
    assert bot.serviceops.parse_display_time is parse_display_time
