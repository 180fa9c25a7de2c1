"""Errors raised by the ServiceOps client.

Callers catch `ServiceOpsError` and show `user_message` to the person; `str(error)` is the
technical account for logs. Neither ever contains a secret, a token or a request body.

    ServiceOpsError                  base; user_message, retryable, status, operation
    ├── AuthenticationError          credentials refused; admin_hint names the setting to fix
    ├── RequestRejectedError         ServiceOps said no (4xx, or 500 with its JSON error body)
    │   └── RequestNotFoundError     404: no such request (or a wrong SERVICEOPS_API_PATH)
    ├── ServiceUnavailableError      unreachable, timed out, 429/502/503/504, HTML error page;
    │   │                            retryable
    │   └── OutcomeUnknownError      a write (create, update, conversation entry) was sent but
    │                                no answer came back: it may or may not have happened;
    │                                check before trying again
    ├── TLSError                     the server's certificate is not trusted (or TLS failed):
    │                                not retried, an admin must fix SERVICEOPS_CA_BUNDLE or
    │                                SERVICEOPS_URL
    └── UnexpectedResponseError      a 2xx answer the client cannot read
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "AuthenticationError",
    "OutcomeUnknownError",
    "RequestNotFoundError",
    "RequestRejectedError",
    "ServiceOpsError",
    "ServiceUnavailableError",
    "TLSError",
    "UnexpectedResponseError",
]

SERVER_MESSAGE_LIMIT = 300
"""Longest server-provided `userMessage` quoted back to a person."""


class ServiceOpsError(Exception):
    """Base of every client error.

    Args:
        message: technical description for logs (no secrets).
        user_message: a sentence fit to show the person; defaults per class.
        status: HTTP status of the answer, when there was one.
        operation: the client operation that failed (`create_request`, `token`, …).
        retryable: whether trying again later may succeed; defaults per class.
    """

    default_user_message: ClassVar[str] = (
        "Something went wrong while talking to the service desk. Please try again later."
    )
    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        user_message: str | None = None,
        status: int | None = None,
        operation: str | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.user_message = user_message or self.default_user_message
        self.status = status
        self.operation = operation
        if retryable is not None:
            self.retryable = retryable


class AuthenticationError(ServiceOpsError):
    """ServiceOps refused the bot's credentials.

    `admin_hint` says which setting to check; it is meant for logs and `serviceops-bot check`,
    while `user_message` stays generic for the person in the chat.
    """

    default_user_message = (
        "The service desk refused the bot's credentials. Please tell your IT admin."
    )

    def __init__(
        self,
        message: str,
        *,
        admin_hint: str,
        status: int | None = None,
        operation: str | None = None,
    ) -> None:
        super().__init__(message, status=status, operation=operation)
        self.admin_hint = admin_hint

    def __str__(self) -> str:
        return f"{self.args[0]}. {self.admin_hint}"


class RequestRejectedError(ServiceOpsError):
    """ServiceOps understood the call and refused it; `server_message` is its `userMessage`."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        server_message: str | None = None,
        operation: str | None = None,
    ) -> None:
        if server_message:
            server_message = " ".join(server_message.split())
            if len(server_message) > SERVER_MESSAGE_LIMIT:
                server_message = server_message[: SERVER_MESSAGE_LIMIT - 1] + "…"
            user_message = f"ServiceOps rejected the request: {server_message}"
        else:
            user_message = f"ServiceOps rejected the request (HTTP {status})."
        super().__init__(message, user_message=user_message, status=status, operation=operation)
        self.code = code
        self.server_message = server_message


class RequestNotFoundError(RequestRejectedError):
    """404: the request (or, with a wrong API path, the endpoint) does not exist."""


class ServiceUnavailableError(ServiceOpsError):
    """ServiceOps could not be reached or did not answer usefully; worth trying again later."""

    default_user_message = (
        "The service desk is unreachable right now. Please try again in a few minutes."
    )
    retryable = True


class OutcomeUnknownError(ServiceUnavailableError):
    """A write (create, update, conversation entry) was sent, but the answer never came: it
    may have happened.

    Do not send it again blindly; check first. The default `user_message` speaks of a ticket
    being created; the client replaces it for updates and conversation entries.
    """

    default_user_message = (
        "The service desk did not answer in time, so the ticket may or may not have been "
        "created. Please wait a minute and check before trying again."
    )


class TLSError(ServiceOpsError):
    """No TLS connection could be made: most often a self-signed or internal-CA certificate
    the bot does not trust (`SERVICEOPS_CA_BUNDLE` unset). Nothing was sent; trying again
    cannot help until an admin fixes the settings, so it is not retried. `str()` says what to
    fix, for logs and `check`."""

    default_user_message = (
        "The bot could not make a secure (TLS) connection to the service desk: its "
        "certificate is not trusted. Please tell your IT admin."
    )
    retryable = False


class UnexpectedResponseError(ServiceOpsError):
    """ServiceOps answered with success but the body could not be read."""

    default_user_message = (
        "The service desk sent an answer the bot does not understand. Please tell your IT admin."
    )
