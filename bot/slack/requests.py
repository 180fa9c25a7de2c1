"""What the bot accepts from Slack over HTTP, checked before anything else happens.

A request to `POST /slack/events` is refused unless it carries a valid signature over its
raw bytes (`X-Slack-Signature`, `X-Slack-Request-Timestamp` within five minutes, the app's
signing secret): nothing is decoded, parsed or answered for an unsigned, stale, tampered or
malformed request. Compressed bodies are refused (Slack never compresses), so a small
request cannot inflate into a large one.

Response URLs arrive in signed payloads, but the bot still posts only to Slack's own hosts
(`hooks.slack.com`, GovSlack's, or the configured Web API host), never to an address a
payload names.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping

from slack_sdk.signature import SignatureVerifier

SLACK_HOOK_HOSTS = frozenset({"hooks.slack.com", "hooks.slack-gov.com"})


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
