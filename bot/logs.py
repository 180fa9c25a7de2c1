"""Logging: one line per event, text or JSON (`LOG_FORMAT=json`), with secrets scrubbed.

Code logs an event name plus fields (`log.info("ticket_created", extra={...})`). The
formatters print those fields; the redacting filter removes every configured secret and
anything shaped like a Slack token or an Authorization header value, whatever logged it.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
_TOKEN_SHAPES = re.compile(
    r"(xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|(?i:bearer|apikey|basic)\s+[A-Za-z0-9._~+/=%@-]+)"
)
REDACTED = "[redacted]"
LEVEL_CHECKED = ("slack_sdk.web.async_base_client", "bot.slack.bolt")
"""Loggers whose users test `logger.level` itself (slack_sdk's Web API client, and Bolt's
logger as `bot.slack.app` names it)."""


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


class RedactingFilter(logging.Filter):
    """Replaces secrets in a record's message, arguments and extra fields."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return _TOKEN_SHAPES.sub(REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.scrub(record.getMessage())
        record.args = None
        for key, value in _fields(record).items():
            if isinstance(value, str):
                setattr(record, key, self.scrub(value))
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        line.update(_fields(record))
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        # time.strftime, not datetime's: that one imports a module on each call, which fails
        # for a line logged while the interpreter shuts down ("--- Logging error ---").
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(record.created))
        fields = " ".join(f"{k}={v}" for k, v in _fields(record).items())
        line = f"{stamp} {record.levelname:<7} {record.name}: {record.getMessage()} {fields}"
        if record.exc_text:
            line += "\n" + record.exc_text
        return line.rstrip()


def setup_logging(level: str = "INFO", fmt: str = "text", secrets: Iterable[str] = ()) -> None:
    """Configure the root logger once for the process."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Bolt and slack_sdk log payloads at DEBUG; keep them at WARNING unless asked.
    if level.upper() != "DEBUG":
        for noisy in ("slack_bolt", "slack_sdk", "aiohttp.access", "httpx2", "httpcore2"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
        # These decide whether to build a DEBUG line (the whole payload of every Slack call,
        # a line per Bolt middleware) from their logger's own level, where NOTSET passes:
        # they get the level they inherit, so no line is built only to be dropped.
        for checked in LEVEL_CHECKED:
            logger = logging.getLogger(checked)
            logger.setLevel(logger.getEffectiveLevel())
