"""Forged or misdirected activities get 401 and nothing happens: no reply, no ticket.

Each case is a request a real attacker could make to a public `/api/messages`: no token,
someone else's bot, an expired token, an unsigned or HMAC-forged one, a key Teams never
published, and a genuine token replayed with another `serviceUrl` (which would make the
bot call an address of the sender's choosing).
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.teams import auth
from tests.e2e.teams.harness import TeamsHarness, dialog_card, submit_data
from tests.fakes import teams_requests as tr
from tests.fakes.teams_api import SigningKey


def forged(bot: TeamsHarness, case: str) -> str | None:
    teams = bot.teams
    cases: dict[str, Any] = {
        "missing": lambda: None,
        "wrong audience": lambda: teams.sign({"aud": "00000000-0000-0000-0000-000000000000"}),
        "wrong issuer": lambda: teams.sign({"iss": "https://evil.example.com"}),
        "expired": lambda: teams.sign(expires_in=-1000),
        "no expiry": lambda: teams.sign({"exp": None}),
        "unsigned": lambda: teams.sign(alg="none"),
        "hmac with the public key": lambda: teams.sign(alg="HS256"),
        "unpublished key": lambda: teams.sign(key=SigningKey.generate()),
        "other serviceurl": lambda: teams.sign({"serviceurl": "http://127.0.0.1:9/evil/"}),
        "no serviceurl": lambda: teams.sign({"serviceurl": None}),
        "not a jwt": lambda: "not-a-token",
    }
    token: str | None = cases[case]()
    return token


CASES = [
    "missing",
    "wrong audience",
    "wrong issuer",
    "expired",
    "no expiry",
    "unsigned",
    "hmac with the public key",
    "unpublished key",
    "other serviceurl",
    "no serviceurl",
    "not a jwt",
]


@pytest.mark.parametrize("case", CASES)
async def test_a_forged_message_is_refused_and_ignored(bot: TeamsHarness, case: str) -> None:
    response = await bot.send(tr.personal_message("VPN down", bot=bot.bot), token=forged(bot, case))

    assert response.status_code == 401
    await bot.settle()
    assert bot.teams.posted() == []
    assert bot.teams.members_calls == []


@pytest.mark.parametrize("case", ["wrong audience", "other serviceurl", "unsigned"])
async def test_a_forged_submission_files_nothing(bot: TeamsHarness, case: str) -> None:
    form = dialog_card(await bot.invoke(tr.message_action_fetch("<p>VPN</p>", bot=bot.bot)))
    submit = tr.message_action_submit(submit_data(form), bot=bot.bot)

    response = await bot.send(submit, token=forged(bot, case))

    assert response.status_code == 401
    await bot.settle()
    assert bot.desk.created == []
    assert bot.desk.calls == [] or all(call.kind == "token" for call in bot.desk.calls)


async def test_a_genuine_token_for_the_activity_s_own_service_url_passes(bot: TeamsHarness) -> None:
    response = await bot.send(tr.personal_message("VPN down", bot=bot.bot))

    assert response.status_code == 200
    await bot.teams.wait_for("send")


async def test_keys_rotated_by_microsoft_are_picked_up(
    bot: TeamsHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The bot reads the keys again for an unknown key id at most once a minute (a flood of
    # forged key ids costs one read a minute); here that minute has passed.
    monkeypatch.setattr(auth, "REFRESH_MIN_INTERVAL", 0.0)
    new = bot.teams.rotate_key()
    message = tr.personal_message("VPN down", bot=bot.bot)

    response = await bot.send(message, token=bot.teams.sign(key=new))

    assert response.status_code == 200


async def test_unknown_key_ids_read_the_keys_at_most_once_a_minute(bot: TeamsHarness) -> None:
    before = bot.teams.jwks_fetches
    for _ in range(20):
        stranger = bot.teams.sign(key=SigningKey.generate())
        response = await bot.send(tr.personal_message("x", bot=bot.bot), token=stranger)
        assert response.status_code == 401

    assert bot.teams.jwks_fetches == before  # read at start-up, less than a minute ago


async def test_malformed_bodies_after_a_valid_token_are_400(bot: TeamsHarness) -> None:
    token = bot.teams.sign()
    for body in (b"not json", b"[1, 2]", b"{" * 5000, b'"text"'):
        response = await bot.http.post(
            bot.url + "/api/messages",
            content=body,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        assert response.status_code in (400, 401), body[:20]
    assert bot.teams.posted() == []


async def test_compressed_and_oversized_bodies_are_refused_before_reading(
    bot: TeamsHarness,
) -> None:
    token = bot.teams.sign()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    compressed = {**headers, "Content-Encoding": "gzip"}
    gzip = await bot.http.post(bot.url + "/api/messages", content=b"\x1f\x8b", headers=compressed)
    large = await bot.http.post(bot.url + "/api/messages", content=b" " * 300_000, headers=headers)

    assert gzip.status_code == 415
    assert large.status_code == 413
