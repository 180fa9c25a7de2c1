"""What the bot accepts from Slack over HTTP, checked before anything else happens.

A request to `POST /slack/events` is refused unless it carries a valid signature over its
raw bytes (`X-Slack-Signature`, `X-Slack-Request-Timestamp` within five minutes, the app's
signing secret): nothing is decoded, parsed or answered for an unsigned, stale, tampered or
malformed request. Compressed bodies are refused (Slack never compresses), so a small
request cannot inflate into a large one.

A signed body must also be one Bolt can read (`bolt_request`): text in its declared charset
holding a JSON object, or form fields whose `payload` is one, nested a sane depth. Slack
never sends anything else, so anything else is a quiet 400, not a 500 and a traceback. The
body is parsed once and checked as Bolt parsed it. An interaction (`payload=` and a view's
whole JSON, percent-encoded: several KB with a `%XX` every few characters) is decoded here, in
C (`percent_decode`): urllib's decoding, which Bolt uses, was the largest single cost of a
submission.

Response URLs arrive in signed payloads, but the bot still posts only to Slack's own hosts
(`hooks.slack.com`, GovSlack's, or the configured Web API host), never to an address a
payload names.
"""

from __future__ import annotations

import codecs
import email.message
import json
import urllib.parse
from collections.abc import Mapping
from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

SLACK_HOOK_HOSTS = frozenset({"hooks.slack.com", "hooks.slack-gov.com"})
JSON_DEPTH_MAX = 64
"""Deepest nesting accepted in a payload (Slack's go about a dozen levels deep)."""
FORM_PAYLOAD = "payload="


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


def bolt_request(
    body: bytes, headers: Mapping[str, str], query: str = ""
) -> AsyncBoltRequest | None:
    """`body` as Bolt reads a Slack request, or None when Bolt cannot read it.

    Bolt's own parsing: the text in the declared charset (UTF-8 by default); a JSON body
    (`application/json`, or text starting with `{`) must be an object; form fields must hold
    a JSON object in `payload` when they have one. Nesting deeper than `JSON_DEPTH_MAX` is
    refused too.
    """
    declared = headers.get("Content-Type", "")
    parsed = email.message.Message()
    parsed["Content-Type"] = declared or "application/octet-stream"
    charset = parsed.get_param("charset")
    try:
        text = body.decode(charset if isinstance(charset, str) else "utf-8")
    except (LookupError, UnicodeDecodeError):
        return None
    try:
        # Bolt parses the body, then reads its fields as an object's (AttributeError or
        # TypeError for JSON that is not one). The headers go as Bolt's own aiohttp adapter
        # passes them (a multidict).
        payload = _form_payload(text, declared.split(";")[0].strip())
        if payload is None:
            request = AsyncBoltRequest(body=text, query=query, headers=headers)  # type: ignore[arg-type]
        else:
            request = _Parsed(text, json.loads(payload), query=query, headers=headers)
    except (ValueError, RecursionError, AttributeError, TypeError):
        return None
    return request if _object(request.body) else None


class _Parsed(AsyncBoltRequest):
    """A Bolt request whose body was parsed here: the same fields and context as Bolt's own
    parsing gives (`AsyncBoltRequest.__init__`), `raw_body` still the signed text."""

    def __init__(self, text: str, body: Any, *, query: str, headers: Mapping[str, str]) -> None:
        super().__init__(body="", query=query, headers=headers)  # type: ignore[arg-type]
        self.raw_body = text
        self.body = body
        self.context = build_async_context(AsyncBoltContext({}), body)


def _form_payload(text: str, content_type: str) -> str | None:
    """The JSON text of a form body that is one `payload` field, as Slack sends
    interactions (what Bolt's parsing would find there); None for any other body."""
    if content_type == "application/json" or not text.startswith(FORM_PAYLOAD) or "&" in text:
        return None
    return percent_decode(text.removeprefix(FORM_PAYLOAD).replace("+", " "))


def percent_decode(value: str) -> str:
    """`urllib.parse.unquote(value)` (UTF-8, undecodable bytes replaced), done in C.

    Each `%` becomes the `\\x` of Python's bytes-escape decoder (the backslashes already
    there doubled, so they stay themselves); a `%` not followed by two hex digits makes that
    decoder refuse, and urllib then decodes the value the slow way.
    """
    escaped = value.encode().replace(b"\\", b"\\\\").replace(b"%", b"\\x")
    try:
        decoded, _ = codecs.escape_decode(escaped)
    except ValueError:
        return urllib.parse.unquote(value)
    return bytes(decoded).decode("utf-8", "replace")


def well_formed(body: bytes, headers: Mapping[str, str]) -> bool:
    """Whether Bolt can read `body` the way it reads Slack's requests (`bolt_request`)."""
    return bolt_request(body, headers) is not None


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
