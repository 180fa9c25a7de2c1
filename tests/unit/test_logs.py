"""Logging: secrets are scrubbed wherever they hide, and both formats print the event's fields."""

from __future__ import annotations

import inspect
import io
import json
import logging
import re
from collections.abc import Iterator

import pytest

from bot.logs import (
    LEVEL_CHECKED,
    REDACTED,
    JsonFormatter,
    RedactingFilter,
    TextFormatter,
    setup_logging,
)
from bot.teams import auth

CONFIGURED = "s3cr3t-client-value"


def record(
    msg: str = "event",
    *args: object,
    extra: dict[str, object] | None = None,
    exc: BaseException | None = None,
) -> logging.LogRecord:
    """A record as `logger.info(msg, *args, extra=extra, exc_info=exc)` would make it."""
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    made = logging.getLogger("bot.test").makeRecord(
        "bot.test", logging.INFO, __file__, 1, msg, args, exc_info, extra=extra
    )
    return made


def scrubbed(made: logging.LogRecord, secrets: tuple[str, ...] = (CONFIGURED,)) -> str:
    """Everything a formatter could print from `made`, after the filter ran."""
    assert RedactingFilter(secrets).filter(made) is True
    return JsonFormatter().format(made) + "\n" + TextFormatter().format(made)


@pytest.mark.parametrize(
    "secret",
    [
        "xoxb-1234-5678-AbCdEf",
        "xoxp-1234-5678-AbCdEf",
        "xapp-1-A0123-4567-abcdef",
        "Bearer abc",
        "bearer eyJhbGciOi.JIUzI1NiJ9.sig",
        "Apikey 0a1b2c3d4e",
        "Basic Ym90OnBhc3N3b3Jk",
    ],
)
def test_token_shapes_are_removed_from_the_message(secret: str) -> None:
    shown = scrubbed(record(f"calling with {secret} now"))

    assert secret not in shown
    assert f"calling with {REDACTED} now" in shown


def test_configured_secret_is_removed_from_message_and_args() -> None:
    shown = scrubbed(record("login as %s with %s", "bot@example.com", CONFIGURED))

    assert CONFIGURED not in shown
    assert f"login as bot@example.com with {REDACTED}" in shown


def test_token_in_args_is_removed() -> None:
    shown = scrubbed(record("header %s", "Authorization: Bearer abc.def"))

    assert "abc.def" not in shown
    assert "Authorization: [redacted]" in shown


def test_extra_fields_are_scrubbed() -> None:
    made = record("token_refreshed", extra={"header": "Apikey k-123456", "note": CONFIGURED})

    shown = scrubbed(made)

    assert "k-123456" not in shown
    assert CONFIGURED not in shown
    assert vars(made)["header"] == REDACTED
    assert vars(made)["note"] == REDACTED


def test_exception_text_is_scrubbed() -> None:
    try:
        raise RuntimeError(f"server said: bad token xoxb-999-secret and {CONFIGURED}")
    except RuntimeError as exc:
        made = record("call_failed", exc=exc)

    shown = scrubbed(made)

    assert "xoxb-999-secret" not in shown
    assert CONFIGURED not in shown
    assert "RuntimeError: server said: bad token [redacted]" in shown
    assert "Traceback (most recent call last)" in shown


def test_short_or_empty_secrets_are_ignored() -> None:
    """A one-letter "secret" would shred every message."""
    shown = scrubbed(record("a b c"), secrets=("", "a", "b"))

    assert "a b c" in shown


def test_longer_secret_wins_over_its_prefix() -> None:
    shown = scrubbed(record("pw=hunter2-extended"), secrets=("hunter2", "hunter2-extended"))

    assert "pw=[redacted]" in shown
    assert "extended" not in shown


def test_ordinary_fields_survive() -> None:
    made = record("ticket %s filed for %s", "INC-12", "dana@example.com", extra={"channel": "C1"})

    RedactingFilter([CONFIGURED]).filter(made)

    assert made.getMessage() == "ticket INC-12 filed for dana@example.com"
    assert vars(made)["channel"] == "C1"


def test_json_formatter_prints_one_object_per_line_with_fields() -> None:
    made = record("ticket_created", extra={"ticket": "INC-12", "seconds": 0.25, "user": "U1"})

    line = JsonFormatter().format(made)

    assert "\n" not in line
    data = json.loads(line)
    assert data["event"] == "ticket_created"
    assert data["level"] == "info"
    assert data["logger"] == "bot.test"
    assert data["ticket"] == "INC-12"
    assert data["seconds"] == 0.25
    assert data["user"] == "U1"
    assert data["time"].endswith("+00:00")


def test_json_formatter_keeps_exception_in_the_same_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError as exc:
        made = record("call_failed", exc=exc)
    RedactingFilter().filter(made)

    line = JsonFormatter().format(made)

    assert "\n" not in line
    assert "ValueError: boom" in json.loads(line)["exception"]


def test_json_formatter_prints_unserialisable_fields_as_text() -> None:
    made = record("odd", extra={"where": object.__new__(type("Spot", (), {}))})

    assert json.loads(JsonFormatter().format(made))["where"].startswith("<")


def test_text_formatter_prints_extras_as_key_value() -> None:
    made = record("ticket_created", extra={"ticket": "INC-12", "channel": "C1"})

    line = TextFormatter().format(made)

    assert "INFO" in line
    assert "bot.test: ticket_created" in line
    assert line.endswith("ticket=INC-12 channel=C1")


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    levels = {name: logging.getLogger(name).level for name in LEVEL_CHECKED}
    yield root
    root.handlers[:], level = saved
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)


def test_loggers_that_test_their_own_level_get_the_level_they_inherit(
    root_logger: logging.Logger,
) -> None:
    # slack_sdk builds each call's DEBUG line (the whole payload) when its logger's own level
    # is NOTSET, whatever the effective level: set, it builds none below DEBUG.
    setup_logging("info")

    assert logging.getLogger("slack_sdk.web.async_base_client").level == logging.WARNING
    assert logging.getLogger("bot.slack.bolt").level == logging.INFO

    for name in LEVEL_CHECKED:
        logging.getLogger(name).setLevel(logging.NOTSET)
    setup_logging("debug")  # DEBUG asked for: every payload line is built and logged

    assert [logging.getLogger(name).level for name in LEVEL_CHECKED] == [logging.NOTSET] * 2


def test_setup_logging_installs_the_filter(
    root_logger: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)

    setup_logging("info", "json", secrets=[CONFIGURED])
    logging.getLogger("bot.anything").warning("sent %s", CONFIGURED, extra={"auth": "Bearer x1"})

    (line,) = stream.getvalue().splitlines()
    data = json.loads(line)
    assert data["event"] == f"sent {REDACTED}"
    assert data["auth"] == REDACTED
    assert root_logger.level == logging.INFO
    assert logging.getLogger("slack_bolt").level == logging.WARNING


def test_why_a_teams_request_was_refused_is_logged_as_said() -> None:
    """The reasons `teams_request_refused` logs name no token, so none is blanked out
    (an admin reads them to find what is wrong with the Bot Connector's requests)."""
    source = inspect.getsource(auth)
    reasons = re.findall(r'Unauthorized\(\s*"([^"]+)"', source)
    assert "no token in the Authorization header" in reasons
    scrub = RedactingFilter([CONFIGURED]).scrub
    assert [reason for reason in reasons if scrub(reason) != reason] == []
