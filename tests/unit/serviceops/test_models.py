"""Models: the vendor's JSON in, camelCase JSON out, people's typos rejected."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from bot.serviceops import AssetLink, FileAttachment, Request, RequestCreate, SearchResult
from bot.serviceops.models import TokenResponse

VENDOR_EXAMPLE = {
    "id": 1,
    "createdTime": 1584699527485,
    "updatedTime": 1584699528033,
    "requesterEmail": "a@b.com",
    "requesterName": "utsav",
    "ccEmailSet": ["a@b.com"],
    "subject": "asdasd",
    "impactName": "Low",
    "priorityName": "Low",
    "statusName": "Open",
    "urgencyName": "Low",
    "tags": [],
    "customField": {},
    "source": "Technician Portal",
    "spam": False,
    "departmentName": "IT",
    "supportLevel": "tier1",
    "name": "INC-1",
}

REAL_RESPONSE = {
    "id": 65,
    "name": "INC-46",
    "subject": "Incident Summary",
    "description": "Incident Description",
    "statusName": "Open",
    "categoryName": "Incident Category",
    "locationName": "Ahmedabad",
    "requesterEmail": "snehashis.paul@motadata.com",
    "createdByName": "Automation",
    "updatedByName": "Automation",
    "source": "Email",
    "supportLevel": "tier0",
    "fileAttachments": [],
    "customField": {"New Datetime": 1756304676767},
    "createdTime": 1756304677751,
    "updatedTime": 1756304677751,
    "dueBy": 1756391077751,
}


def test_vendor_example_response_parses() -> None:
    request = Request.model_validate(VENDOR_EXAMPLE)

    assert (request.id, request.name) == (1, "INC-1")
    assert request.requester_email == "a@b.com"
    assert request.cc_email_set == ["a@b.com"]


def test_real_response_keeps_unknown_fields_and_round_trips() -> None:
    request = Request.model_validate(REAL_RESPONSE)

    assert (request.id, request.name) == (65, "INC-46")
    assert request.model_extra == {"dueBy": 1756391077751}
    assert request.to_json() == REAL_RESPONSE


def test_epoch_milliseconds_become_aware_utc_datetimes() -> None:
    request = Request.model_validate(REAL_RESPONSE)

    assert request.created_at == datetime(2025, 8, 27, 14, 24, 37, 751000, tzinfo=UTC)
    assert request.updated_at is not None
    assert request.updated_at.tzinfo is UTC
    assert Request(id=1, name="INC-1").created_at is None


def test_create_body_is_camel_case_without_none_fields() -> None:
    body = RequestCreate(
        subject="Printer on fire",
        requester_email="ada@example.com",
        cc_email_set=["bob@example.com"],
        file_attachments=[FileAttachment(ref_file_name="e6d8bed7", real_name="fire.png")],
        link_asset_ids=[AssetLink(asset_model="asset_hardware", asset_id=1)],
        support_level="tier2",
        spam=False,
        group_name="Hardware",
    )

    assert body.to_json() == {
        "subject": "Printer on fire",
        "requesterEmail": "ada@example.com",
        "ccEmailSet": ["bob@example.com"],
        "fileAttachments": [{"refFileName": "e6d8bed7", "realName": "fire.png"}],
        "linkAssetIds": [{"assetModel": "asset_hardware", "assetId": 1}],
        "supportLevel": "tier2",
        "spam": False,
        "groupName": "Hardware",
    }


def test_create_body_accepts_wire_names_too() -> None:
    body = RequestCreate.model_validate(
        {"subject": "x", "requesterEmail": "a@b.com", "priorityName": "Low"}
    )

    assert body.priority_name == "Low"


def test_subject_is_stripped() -> None:
    assert RequestCreate(subject="  Hi  ", requester_email="a@b.com").subject == "Hi"


@pytest.mark.parametrize("subject", ["", "   ", "\n\t"])
def test_blank_subject_is_rejected(subject: str) -> None:
    with pytest.raises(ValidationError, match="subject"):
        RequestCreate(subject=subject, requester_email="a@b.com")


@pytest.mark.parametrize(
    "email", ["", "ada", "ada@", "@example.com", "ada@example", "a b@example.com", "a@b@c.com"]
)
def test_bad_requester_email_is_rejected(email: str) -> None:
    with pytest.raises(ValidationError, match="not a valid e-mail"):
        RequestCreate(subject="x", requester_email=email)


def test_bad_cc_email_is_rejected() -> None:
    with pytest.raises(ValidationError, match="not a valid e-mail"):
        RequestCreate(subject="x", requester_email="a@b.com", cc_email_set=["ok@b.com", "nope"])


def test_unknown_create_field_is_a_programming_error() -> None:
    with pytest.raises(ValidationError):
        RequestCreate(subject="x", requester_email="a@b.com", priority="High")  # type: ignore[call-arg]


def test_search_result_reads_object_list_and_total_count() -> None:
    result = SearchResult.model_validate(
        {"objectList": [VENDOR_EXAMPLE, REAL_RESPONSE], "totalCount": 7}
    )

    assert [item.name for item in result.items] == ["INC-1", "INC-46"]
    assert result.total_count == 7


def test_token_response_tolerates_extras_and_hides_secrets() -> None:
    token = TokenResponse.model_validate(
        {
            "access_token": "eyJ.access",
            "token_type": "bearer",
            "refresh_token": "eyJ.refresh",
            "expires_in": 43199,
            "scope": "other-api-scope",
            "jti": "22b4e72f",
        }
    )

    assert token.access_token.get_secret_value() == "eyJ.access"
    assert token.expires_in == 43199
    assert "eyJ" not in repr(token)
    assert "eyJ" not in str(token)
