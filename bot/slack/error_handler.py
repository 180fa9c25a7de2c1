"""The app's last line of defence: an error no listener handled.

Listeners report the failures a person can meet themselves (see `filing.py`); what reaches
this handler is a bug or an outage of Slack itself. It is logged with a short reference the
person is shown, never with the raw exception text.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.slack.requests import slack_owned

log = logging.getLogger("bot.slack.errors")

MESSAGE = (
    "Sorry, something went wrong on my side (reference {ref}). Please try again; if it keeps "
    "happening, tell your IT admin the reference."
)


def error_handler(api_url: str) -> Callable[[Exception, dict[str, Any]], Awaitable[None]]:
    """Bolt's global error handler; it answers only through Slack-owned response URLs."""

    async def handle_error(error: Exception, body: dict[str, Any]) -> None:
        ref = secrets.token_hex(4)
        log.error(
            "unhandled_error",
            exc_info=error,
            extra={"ref": ref, "payload_type": body.get("type") or body.get("command")},
        )
        response_url = body.get("response_url")
        if not isinstance(response_url, str) or not slack_owned(response_url, api_url):
            return
        try:
            await AsyncWebhookClient(response_url, timeout=10).send(
                response_type="ephemeral", replace_original=False, text=MESSAGE.format(ref=ref)
            )
        except Exception:  # noqa: BLE001 (nothing left to tell; the log line above has it all)
            log.warning("error_report_failed", extra={"ref": ref})

    return handle_error
