"""Pydantic models of the ServiceOps request API's JSON.

Python names are snake_case; the wire names are the vendor's camelCase (`requesterEmail`).
Build bodies with either spelling and send `to_json()` (camelCase, no `None` fields).
Records are referred to by name (`departmentName`), never by id.

Times: a request's `createdTime`/`updatedTime` are epoch milliseconds; a conversation's are
display strings such as `"Wed, Jul 16, 2025 04:33 pm"` (see `parse_display_time`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

__all__ = [
    "TIME_ZONE_CONTEXT",
    "AssetLink",
    "Conversation",
    "FileAttachment",
    "Request",
    "RequestCreate",
    "RequestUpdate",
    "SearchResult",
    "TokenResponse",
    "parse_display_time",
]

TIME_ZONE_CONTEXT = "time_zone"
"""Validation-context key of the `tzinfo` display strings are read in (`Conversation`)."""

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}
_DISPLAY_TIME = re.compile(
    r"""^\s*
    (?:[a-z]+\.?,?\s+)?                           # weekday, ignored: "Wed, "
    (?P<month>[a-z]{3,9})\.?\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4}),?\s+
    (?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?
    \s*(?P<half>[ap])?(?:\.?\s*m\.?)?
    \s*$""",
    re.IGNORECASE | re.VERBOSE,
)

EMAIL = re.compile(r"^[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[^@\s<>()\[\],;:\"]+$")
"""Deliberately loose: one `@`, a dot in the domain, no spaces or address-list punctuation."""


def _check_email(value: str) -> str:
    value = value.strip()
    if len(value) > 254 or not EMAIL.match(value):
        raise ValueError("is not a valid e-mail address")
    return value


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )

    def to_json(self) -> dict[str, Any]:
        """The JSON body ServiceOps expects: camelCase keys, unset (`None`) fields left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class FileAttachment(_Model):
    """An uploaded file: `refFileName` from the upload call, `realName` shown to people."""

    ref_file_name: str
    real_name: str


class AssetLink(_Model):
    """An asset to link, e.g. `AssetLink(asset_model="asset_hardware", asset_id=1)`."""

    asset_model: str
    asset_id: int


class _RequestFields(_Model):
    """The fields a request body may carry on create and on update (camelCase on the wire)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    description: str | None = None
    """HTML allowed; ServiceOps stores it as the request's rich text."""
    category_name: str | None = None
    cc_email_set: list[str] | None = None
    tags: list[str] | None = None
    impact_name: str | None = None
    priority_name: str | None = None
    urgency_name: str | None = None
    department_name: str | None = None
    location_name: str | None = None
    support_level: str | None = None
    spam: bool | None = None
    source: str | None = None
    file_attachments: list[FileAttachment] | None = None
    link_asset_ids: list[AssetLink] | None = None
    custom_field: dict[str, Any] | None = None
    """Keyed by the custom field's display name; datetimes as epoch milliseconds."""
    assignee_email: str | None = None
    group_name: str | None = None
    """Technician group. The JSON key `groupName` is unconfirmed by the vendor's docs."""

    @field_validator("cc_email_set")
    @classmethod
    def _cc_emails(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else [_check_email(value) for value in values]


class RequestCreate(_RequestFields):
    """Body of `POST /api/v1/request`. Only `subject` and `requester_email` are required."""

    subject: str = Field(min_length=1)
    requester_email: str
    status_name: str | None = None

    @field_validator("requester_email")
    @classmethod
    def _requester_email(cls, value: str) -> str:
        return _check_email(value)


class RequestUpdate(_RequestFields):
    """Body of `PATCH /api/v1/request/{id}`: only the fields given are sent.

    The vendor's PATCH table lists the create fields plus `statusName` and marks `subject`
    required; that mark looks copied from the create table, so a partial body is sent
    (GUESS/VERIFY). `None` means "leave unchanged": a field cannot be cleared this way.
    """

    status_name: str | None = Field(default=None, min_length=1)
    """Open, In Progress, Pending, Resolved, Closed by default; tenants rename and add."""
    subject: str | None = Field(default=None, min_length=1)


class Request(_Model):
    """A request as ServiceOps returns it. Unknown fields are kept (`model_extra`).

    `id` goes into API paths; `name` (`INC-46`) is what people see. They differ.
    The assigned technician's name and the resolution text stay in `model_extra` under
    `technicianName` and `resolution` (both keys GUESS: not in the vendor's samples).
    """

    model_config = ConfigDict(extra="allow")

    id: int
    name: str = ""
    """Display number such as `INC-46` or `SR-47`; empty if the server left it out."""
    subject: str | None = None
    description: str | None = None
    status_name: str | None = None
    priority_name: str | None = None
    urgency_name: str | None = None
    impact_name: str | None = None
    category_name: str | None = None
    department_name: str | None = None
    location_name: str | None = None
    requester_name: str | None = None
    requester_email: str | None = None
    created_by_name: str | None = None
    updated_by_name: str | None = None
    assignee_email: str | None = None
    group_name: str | None = None
    source: str | None = None
    spam: bool | None = None
    support_level: str | None = None
    tags: list[str] | None = None
    cc_email_set: list[str] | None = None
    file_attachments: list[dict[str, Any]] | None = None
    custom_field: dict[str, Any] | None = None
    created_time: int | None = None
    """Epoch milliseconds, as sent; see `created_at`."""
    updated_time: int | None = None

    @property
    def created_at(self) -> datetime | None:
        """`createdTime` as an aware UTC datetime."""
        return _from_epoch_ms(self.created_time)

    @property
    def updated_at(self) -> datetime | None:
        """`updatedTime` as an aware UTC datetime."""
        return _from_epoch_ms(self.updated_time)


class SearchResult(_Model):
    """One page of `POST …/request/search/byqual`."""

    model_config = ConfigDict(extra="allow")

    items: list[Request] = Field(default_factory=list, alias="objectList")
    total_count: int = 0


class Conversation(_Model):
    """One entry of a request's conversation: a note, a reply, a collaboration message.

    Unknown fields are kept (`model_extra`). Unlike a request's, a conversation's times come
    as display strings (`"Wed, Jul 16, 2025 04:33 pm"`): `created_time`/`updated_time` are
    those read as aware datetimes in the validation context's `TIME_ZONE_CONTEXT` zone (UTC
    without one), or None when unreadable; `created_time_raw`/`updated_time_raw` keep the
    strings as sent. Epoch milliseconds, should a server send them, are read as UTC.
    """

    model_config = ConfigDict(extra="allow")

    id: int
    conversation_type: str | None = None
    """`note`, `collaborate`, `technician_to_requester`, `requestor_to_technician` (docs)."""
    details: str | None = None
    """The message as HTML."""
    subject: str | None = None
    """Defaults server-side to `"[INC-104]: <request subject>"`."""
    created_by_name: str | None = None
    created_by_email: str | None = None
    conversation_state: str | None = None
    email_ids: list[str] | None = None
    cc_email_ids: list[str] | None = None
    file_attachments: list[dict[str, Any]] | None = None
    created_time: datetime | None = None
    """Aware datetime (minute precision), or None if the display string was unreadable."""
    created_time_raw: str | None = None
    """`createdTime` exactly as sent."""
    updated_time: datetime | None = None
    updated_time_raw: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _read_display_times(cls, data: Any, info: ValidationInfo) -> Any:
        if not isinstance(data, dict):
            return data
        context = info.context if isinstance(info.context, dict) else {}
        zone = context.get(TIME_ZONE_CONTEXT) or UTC
        data = dict(data)
        for name, alias in (("created_time", "createdTime"), ("updated_time", "updatedTime")):
            key = alias if alias in data else name
            value = data.get(key)
            if value is None or isinstance(value, datetime):
                continue
            raw_alias, raw_name = alias + "Raw", name + "_raw"
            if raw_alias not in data and raw_name not in data:
                data[raw_alias] = str(value)
            if isinstance(value, str):
                data[key] = parse_display_time(value, zone)
            elif isinstance(value, int | float) and not isinstance(value, bool):
                data[key] = _from_epoch_ms(int(value))
            else:
                data[key] = None
        return data


class _ConversationPage(_Model):
    """One page of `POST …/request/{id}/conversation/search/byqual`."""

    model_config = ConfigDict(extra="allow")

    items: list[Conversation] = Field(default_factory=list, alias="objectList")
    total_count: int = 0


class TokenResponse(BaseModel):
    """The password grant's answer (Spring OAuth2 shape; `jti` and other extras tolerated)."""

    model_config = ConfigDict(extra="allow")

    access_token: SecretStr = Field(min_length=1)
    token_type: str = "bearer"
    expires_in: int | None = Field(default=None, ge=0)
    refresh_token: SecretStr | None = None
    scope: str | None = None


def parse_display_time(text: str, zone: tzinfo = UTC) -> datetime | None:
    """A ServiceOps display time (`"Wed, Jul 16, 2025 04:33 pm"`) as an aware datetime.

    Read in `zone`, since the string names none: which zone the server formats in (the API
    user's preference, the server's) is unknown (GUESS/VERIFY), so callers pass the one they
    configured. English month names, 12-hour (`am`/`pm`, any case) or 24-hour clock; the
    weekday is ignored. None for anything else, such as a day-first numeric date.
    """
    match = _DISPLAY_TIME.match(text)
    if match is None:
        return None
    month = _MONTHS.get(match["month"][:3].lower())
    if month is None:
        return None
    hour = int(match["hour"])
    if match["half"] is not None:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match["half"].lower() == "p" else 0)
    try:
        return datetime(
            int(match["year"]),
            month,
            int(match["day"]),
            hour,
            int(match["minute"]),
            int(match["second"] or 0),
            tzinfo=zone,
        )
    except ValueError:
        return None


def _from_epoch_ms(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value / 1000, tz=UTC)
