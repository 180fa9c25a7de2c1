"""Who may call `/api/messages`: only the Bot Connector, proven by a signed token.

Every activity carries `Authorization: Bearer <JWT>`. It is accepted only when it is signed
(RS256) by a key the cloud's OpenID metadata publishes, issued by the Bot Framework
(`iss`), meant for this bot (`aud` = the app id), not expired (5 minutes of clock skew, as
Microsoft allows), and names the same `serviceUrl` the activity gives (`serviceurl`
claim), so a token cannot be replayed to make the bot call another address.

The keys are read asynchronously (never blocking the event loop), cached, and read again
when a token names a key the bot has not seen (keys rotate), at most once a minute.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import httpx2
import jwt

log = logging.getLogger("bot.teams.auth")

CLOCK_SKEW = 300
"""Seconds of clock difference tolerated (Microsoft's documented five minutes)."""
KEYS_MAX_AGE = 24 * 3600
"""Keys are read again after a day even when every token names a known one."""
REFRESH_MIN_INTERVAL = 60.0
"""An unknown key id makes the bot read the keys again, at most this often."""
MAX_TOKEN_LENGTH = 16 * 1024


class Unauthorized(Exception):
    """The request is not from the Bot Connector for this bot; `reason` is for the log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SigningKeys:
    """The signing keys the OpenID metadata at `metadata_url` publishes, cached."""

    def __init__(self, metadata_url: str, http: httpx2.AsyncClient) -> None:
        self._metadata_url = metadata_url
        self._http = http
        self._keys: dict[str, jwt.PyJWK] = {}
        self._read_at = -float("inf")
        self._lock = asyncio.Lock()

    @property
    def count(self) -> int:
        """How many keys were read (0 before the first read)."""
        return len(self._keys)

    async def key(self, kid: str) -> jwt.PyJWK:
        """The key named `kid`.

        Raises:
            Unauthorized: no published key has that id.
        """
        if kid not in self._keys or time.monotonic() - self._read_at > KEYS_MAX_AGE:
            await self.refresh(force=kid not in self._keys)
        found = self._keys.get(kid)
        if found is None:
            raise Unauthorized("unknown signing key")
        return found

    async def refresh(self, *, force: bool = False) -> None:
        """Read the metadata and its keys (once at a time; not more than once a minute when
        forced by an unknown key id)."""
        async with self._lock:
            age = time.monotonic() - self._read_at
            if age < REFRESH_MIN_INTERVAL or (not force and age < KEYS_MAX_AGE):
                return
            self._read_at = time.monotonic()  # a failed read also waits a minute
            metadata = await self._get_json(self._metadata_url)
            jwks_uri = metadata.get("jwks_uri")
            if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
                raise Unauthorized("the OpenID metadata names no jwks_uri")
            keys = (await self._get_json(jwks_uri)).get("keys")
            if not isinstance(keys, list):
                raise Unauthorized("the key set has no keys")
            found: dict[str, jwt.PyJWK] = {}
            for entry in keys:
                if isinstance(entry, dict) and isinstance(entry.get("kid"), str):
                    try:
                        found[entry["kid"]] = jwt.PyJWK.from_dict(entry)
                    except jwt.PyJWTError:
                        continue  # a key type this bot does not use
            self._keys = found
            log.info("teams_signing_keys_read", extra={"keys": len(found)})

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = await self._http.get(url)
            response.raise_for_status()
            data = response.json()
        except (httpx2.HTTPError, json.JSONDecodeError) as exc:
            log.warning("teams_signing_keys_unavailable", extra={"error": type(exc).__name__})
            raise Unauthorized("the signing keys could not be read") from exc
        if not isinstance(data, dict):
            raise Unauthorized("unexpected signing key document")
        return data


class ActivityVerifier:
    """Checks the bearer token of an inbound activity (see the module docstring)."""

    def __init__(self, *, app_id: str, issuer: str, keys: SigningKeys) -> None:
        self._app_id = app_id
        self._issuer = issuer
        self.keys = keys

    async def verify(self, authorization: str | None) -> dict[str, Any]:
        """The claims of a valid token for this bot (the service URL is checked apart, once
        the body that names it is read: `check_service_url`).

        Raises:
            Unauthorized: missing, malformed, forged, expired, or for another bot.
        """
        if not authorization or not authorization.startswith("Bearer "):
            raise Unauthorized("no token in the Authorization header")
        token = authorization.removeprefix("Bearer ").strip()
        if not token or len(token) > MAX_TOKEN_LENGTH:
            raise Unauthorized("malformed token")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthorized("malformed token") from exc
        if header.get("alg") != "RS256" or not isinstance(header.get("kid"), str):
            raise Unauthorized("not an RS256 token with a key id")
        key = await self.keys.key(header["kid"])
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=["RS256"],
                audience=self._app_id,
                issuer=self._issuer,
                leeway=CLOCK_SKEW,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized(type(exc).__name__) from exc
        return claims

    @staticmethod
    def check_service_url(claims: dict[str, Any], service_url: object) -> None:
        """The token was issued for the `serviceUrl` the activity names.

        Raises:
            Unauthorized: it names another one, or none.
        """
        claimed = claims.get("serviceurl")
        if not isinstance(claimed, str) or not isinstance(service_url, str) or not service_url:
            raise Unauthorized("no service URL to compare")
        if claimed.rstrip("/") != service_url.rstrip("/"):
            raise Unauthorized("token for another service URL")
