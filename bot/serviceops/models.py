"""Pydantic models of the ServiceOps request API's JSON.

Python names are snake_case; the wire names are the vendor's camelCase (`requesterEmail`).
Build bodies with either spelling and send `to_json()` (camelCase, no `None` fields).
Records are referred to by name (`departmentName`), never by id.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic.alias_generators import to_camel

__all__ = [
    "AssetLink",
    "FileAttachment",
    "Request",
    "RequestCreate",
    "SearchResult",
    "TokenResponse",
]

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


class RequestCreate(_Model):
    """Body of `POST /api/v1/request`. Only `subject` and `requester_email` are required."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    subject: str = Field(min_length=1)
    requester_email: str
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
    status_name: str | None = None
    link_asset_ids: list[AssetLink] | None = None
    custom_field: dict[str, Any] | None = None
    """Keyed by the custom field's display name; datetimes as epoch milliseconds."""
    assignee_email: str | None = None
    group_name: str | None = None
    """Technician group. The JSON key `groupName` is unconfirmed by the vendor's docs."""

    @field_validator("requester_email")
    @classmethod
    def _requester_email(cls, value: str) -> str:
        return _check_email(value)

    @field_validator("cc_email_set")
    @classmethod
    def _cc_emails(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else [_check_email(value) for value in values]


class Request(_Model):
    """A request as ServiceOps returns it. Unknown fields are kept (`model_extra`).

    `id` goes into API paths; `name` (`INC-46`) is what people see. They differ.
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


class TokenResponse(BaseModel):
    """The password grant's answer (Spring OAuth2 shape; `jti` and other extras tolerated)."""

    model_config = ConfigDict(extra="allow")

    access_token: SecretStr = Field(min_length=1)
    token_type: str = "bearer"
    expires_in: int | None = Field(default=None, ge=0)
    refresh_token: SecretStr | None = None
    scope: str | None = None


def _from_epoch_ms(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value / 1000, tz=UTC)
