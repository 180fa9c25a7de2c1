"""What the bot accepts from Slack over HTTP, checked before anything else happens.

A request to `POST /slack/events` is refused unless it carries a valid signature over its
raw bytes (`X-Slack-Signature`, `X-Slack-Request-Timestamp` within five minutes, the app's
signing secret): nothing is decoded, parsed or answered for an unsigned, stale, tampered or
malformed request. Compressed bodies are refused (Slack never compresses), so a small
request cannot inflate into a large one.

A signed body must also be one Bolt can read (`well_formed`): text in its declared charset
holding a JSON object, or form fields whose `payload` is one, nested a sane depth. Slack
never sends anything else, so anything else is a quiet 400, not a 500 and a traceback.

Response URLs arrive in signed payloads, but the bot still posts only to Slack's own hosts
(`hooks.slack.com`, GovSlack's, or the configured Web API host), never to an address a
payload names.
"""

from __future__ import annotations

import email.message
import json
import urllib.parse
from collections.abc import Mapping
from typing import Any

from slack_sdk.signature import SignatureVerifier

SLACK_HOOK_HOSTS = frozenset({"hooks.slack.com", "hooks.slack-gov.com"})
JSON_DEPTH_MAX = 64
"""Deepest nesting accepted in a payload (Slack's go about a dozen levels deep)."""


def signed_by_slack(
    verifier: SignatureVerifier | None, body: bytes, headers: Mapping[str, str]
) -> bool:
    """Whether `body` was signed by Slack for this app (False for anything malformed)."""
    if verifier is None:
        return False
    try:
        return verifier.is_valid_request(body, dict(headers))
    except (ValueError, UnicodeDecodeError):  # a timestamp like "abc", a body not UTF-8
        return False


def well_formed(body: bytes, headers: Mapping[str, str]) -> bool:
    """Whether Bolt can read `body` the way it reads Slack's requests.

    Mirrors `slack_bolt`'s parsing: the text in the declared charset (UTF-8 by default); a
    JSON body (`application/json`, or text starting with `{`) must be an object; form fields
    must hold a JSON object in `payload` when they have one. Nesting deeper than
    `JSON_DEPTH_MAX` is refused too.
    """
    declared = headers.get("Content-Type", "")
    parsed = email.message.Message()
    parsed["Content-Type"] = declared or "application/octet-stream"
    charset = parsed.get_param("charset")
    try:
        text = body.decode(charset if isinstance(charset, str) else "utf-8")
    except (LookupError, UnicodeDecodeError):
        return False
    if not text:
        return True
    try:
        if declared.split(";")[0] == "application/json" or text.startswith("{"):
            return _object(json.loads(text))
        if "payload" in text:
            payload = dict(urllib.parse.parse_qsl(text, keep_blank_values=True)).get("payload")
            return payload is None or _object(json.loads(payload))
    except (ValueError, RecursionError):
        return False
    return True


def _object(value: Any) -> bool:
    """A JSON object nested at most `JSON_DEPTH_MAX` deep (measured without recursion)."""
    if not isinstance(value, dict):
        return False
    level: list[Any] = [value]
    for _ in range(JSON_DEPTH_MAX):
        level = [
            child
            for item in level
            for child in (item.values() if isinstance(item, dict) else item)
            if isinstance(child, dict | list)
        ]
        if not level:
            return True
    return False


def compressed(headers: Mapping[str, str]) -> bool:
    return headers.get("Content-Encoding", "identity").strip().lower() not in ("", "identity")


def slack_owned(url: str | None, api_url: str) -> bool:
    """Whether `url` is an https URL on one of Slack's hosts (or the configured API host)."""
    if not url:
        return False
    parsed = urllib.parse.urlsplit(url)
    api = urllib.parse.urlsplit(api_url)
    if parsed.hostname in SLACK_HOOK_HOSTS:
        return parsed.scheme == "https"
    return (parsed.scheme, parsed.hostname, parsed.port) == (api.scheme, api.hostname, api.port)
