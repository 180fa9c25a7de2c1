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
    UnexpectedResponseError,
)
from bot.serviceops.models import (
    AssetLink,
    FileAttachment,
    Request,
    RequestCreate,
    SearchResult,
    TokenResponse,
)
from bot.serviceops.searches import qual_details, string_qual, subject_equals

__all__ = [
    "ApiKey",
    "AssetLink",
    "Auth",
    "AuthenticationError",
    "FileAttachment",
    "Observer",
    "OutcomeUnknownError",
    "PasswordGrant",
    "Request",
    "RequestCreate",
    "RequestNotFoundError",
    "RequestRejectedError",
    "SearchResult",
    "ServiceOpsClient",
    "ServiceOpsError",
    "ServiceUnavailableError",
    "TokenResponse",
    "UnexpectedResponseError",
    "qual_details",
    "string_qual",
    "subject_equals",
]
