"""The fake itself keeps to the documented contract (so client tests mean something)."""

from __future__ import annotations

import httpx2

from tests.fakes.serviceops_api import FakeServiceOps

FORM = {"username": "automation", "password": "pa55word", "grant_type": "password"}


async def test_token_endpoint_accepts_multipart_like_the_vendor_docs() -> None:
    async with FakeServiceOps() as fake, httpx2.AsyncClient() as http:
        response = await http.post(
            fake.url + "/api/oauth/token",
            auth=("Bot-client", "s3cret-client"),
            data=FORM,
            files={"unused": ("", b"")},
        )

    assert response.status_code == 200
    assert set(response.json()) == {
        "access_token",
        "token_type",
        "refresh_token",
        "expires_in",
        "scope",
        "jti",
    }
    assert fake.calls_of("token")[0].headers["Content-Type"].startswith("multipart/form-data")


async def test_tokens_really_expire_server_side() -> None:
    async with FakeServiceOps(expires_in=0) as fake, httpx2.AsyncClient() as http:
        token = await http.post(
            fake.url + "/api/oauth/token", auth=("Bot-client", "s3cret-client"), data=FORM
        )
        answer = await http.post(
            fake.url + "/api/v1/request/search/byqual",
            json={},
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        )

    assert answer.status_code == 401


async def test_latency_delays_api_calls() -> None:
    async with FakeServiceOps(api_keys={"k"}) as fake, httpx2.AsyncClient() as http:
        fake.latency = 0.2
        response = await http.post(
            fake.url + "/api/v1/request/search/byqual",
            json={},
            headers={"Authorization": "Apikey k"},
        )

    assert response.elapsed.total_seconds() >= 0.2
    assert response.json() == {"objectList": [], "totalCount": 0}
