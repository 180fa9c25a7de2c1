"""Motadata ServiceOps REST client: typed models, cached authentication, typed errors.

Knows nothing of chat platforms and imports nothing else from `bot`; everything it needs
comes in through `ServiceOpsClient`'s constructor.
"""

from __future__ import annotations

from bot.serviceops.auth import ApiKey, Auth, PasswordGrant
from bot.serviceops.client import Observer, ServiceOpsClient
from bot.serviceops.errors import (
    AuthenticationError,
    OutcomeUnknownError,
    RequestNotFoundError,
    RequestRejectedError,
    ServiceOpsError,
    ServiceUnavailableError,
    TLSError,
    UnexpectedResponseError,
)
from bot.serviceops.models import (
    AssetLink,
    Conversation,
    FileAttachment,
    Request,
    RequestCreate,
    RequestUpdate,
    SearchResult,
    TokenResponse,
    parse_display_time,
)
from bot.serviceops.searches import (
    conversation_type_equals,
    enum_qual,
    name_equals,
    qual_details,
    requester_equals,
    string_qual,
    subject_equals,
)

__all__ = [
    "ApiKey",
    "AssetLink",
    "Auth",
    "AuthenticationError",
    "Conversation",
    "FileAttachment",
    "Observer",
    "OutcomeUnknownError",
    "PasswordGrant",
    "Request",
    "RequestCreate",
    "RequestNotFoundError",
    "RequestRejectedError",
    "RequestUpdate",
    "SearchResult",
    "ServiceOpsClient",
    "ServiceOpsError",
    "ServiceUnavailableError",
    "TLSError",
    "TokenResponse",
    "UnexpectedResponseError",
    "conversation_type_equals",
    "enum_qual",
    "name_equals",
    "parse_display_time",
    "qual_details",
    "requester_equals",
    "string_qual",
    "subject_equals",
]
