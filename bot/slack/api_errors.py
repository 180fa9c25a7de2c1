"""Reading a refused Slack Web API call: its error code, counted in the metrics."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

from bot.metrics import SLACK_API_ERRORS


def slack_error(exc: SlackApiError) -> str:
    """The error code of a refused Slack call (`not_in_channel`, …), or "unknown"."""
    response = exc.response
    return str(response.get("error", "unknown")) if response is not None else "unknown"


def count_error(method: str, exc: SlackApiError) -> str:
    """Count a refused call of `method` in the metrics; its error code."""
    error = slack_error(exc)
    SLACK_API_ERRORS.labels(method=method, error=error).inc()
    return error
