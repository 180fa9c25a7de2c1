"""ServiceOpsClient against httpx2.MockTransport: retries before sending, mapping, config."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import certifi
import httpx2
import pytest

from bot.serviceops import (
    ApiKey,
    AuthenticationError,
    OutcomeUnknownError,
    PasswordGrant,
    RequestCreate,
    ServiceOpsClient,
    ServiceUnavailableError,
    UnexpectedResponseError,
)
from bot.serviceops.retry import parse_retry_after

CREATED = {"id": 65, "name": "INC-46", "subject": "Printer", "createdTime": 1756304677751}
BODY = RequestCreate(subject="Printer", requester_email="ada@example.com")

Handler = Callable[[httpx2.Request], httpx2.Response]


@pytest.fixture
async def clients() -> AsyncIterator[Callable[..., ServiceOpsClient]]:
    made: list[ServiceOpsClient] = []

    def make(handler: Handler, base_url: str = "https://desk.example.com", **kw: Any) -> Any:
        client = ServiceOpsClient(
            base_url,
            auth=kw.pop("auth", ApiKey("key")),
            transport=httpx2.MockTransport(handler),
            retry_wait_initial=0.001,
            retry_wait_max=0.01,
            **kw,
        )
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


def failing_then(exc: Exception, times: int, then: httpx2.Response) -> tuple[Handler, list[str]]:
    seen: list[str] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request.url.path)
        if len(seen) <= times:
            raise exc
        return then

    return handler, seen


async def test_create_is_retried_when_the_connection_could_not_be_made(clients: Any) -> None:
    handler, seen = failing_then(
        httpx2.ConnectError("refused"), 1, httpx2.Response(200, json=CREATED)
    )

    created = await clients(handler).create_request(BODY)

    assert created.name == "INC-46"
    assert seen == ["/api/v1/request", "/api/v1/request"]


@pytest.mark.parametrize(
    "exc", [httpx2.ReadTimeout("slow"), httpx2.RemoteProtocolError("gone"), httpx2.ReadError("x")]
)
async def test_create_is_not_retried_once_sent(clients: Any, exc: Exception) -> None:
    handler, seen = failing_then(exc, 1, httpx2.Response(200, json=CREATED))

    with pytest.raises(OutcomeUnknownError):
        await clients(handler).create_request(BODY)

    assert len(seen) == 1


async def test_gateway_timeout_on_create_means_outcome_unknown(clients: Any) -> None:
    handler, seen = failing_then(ValueError(), 0, httpx2.Response(504, text="<html>"))

    with pytest.raises(OutcomeUnknownError) as caught:
        await clients(handler).create_request(BODY)

    assert caught.value.status == 504
    assert len(seen) == 1


async def test_connect_errors_exhaust_the_attempts(clients: Any) -> None:
    handler, seen = failing_then(httpx2.ConnectError("refused"), 99, httpx2.Response(200))

    with pytest.raises(ServiceUnavailableError) as caught:
        await clients(handler, retry_attempts=3).create_request(BODY)

    assert not isinstance(caught.value, OutcomeUnknownError)
    assert len(seen) == 3


async def test_created_response_of_the_wrong_shape_is_unexpected(clients: Any) -> None:
    handler, _ = failing_then(ValueError(), 0, httpx2.Response(200, json={"ok": True}))

    with pytest.raises(UnexpectedResponseError) as caught:
        await clients(handler).create_request(BODY)

    assert "id" in str(caught.value)
    assert "check the service desk before trying again" in caught.value.user_message


async def test_ca_bundle_is_loaded(clients: Any) -> None:
    client = clients(lambda r: httpx2.Response(200), ca_bundle=certifi.where())

    assert client.base_url == "https://desk.example.com"


def test_missing_ca_bundle_fails_at_construction(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        ServiceOpsClient(
            "https://d.example.com", auth=ApiKey("k"), ca_bundle=tmp_path / "missing.pem"
        )


async def test_token_answer_without_a_token_is_unexpected(clients: Any) -> None:
    grant = PasswordGrant("Bot-client", "s3cret", "automation", "pw")
    handler, _ = failing_then(ValueError(), 0, httpx2.Response(200, json={"expires_in": 60}))

    with pytest.raises(UnexpectedResponseError):
        await clients(handler, auth=grant).check_auth()


async def test_redirect_to_a_login_page_is_unexpected(clients: Any) -> None:
    response = httpx2.Response(302, headers={"Location": "/login?redirectFrom=%2Ft%2Frequest%2F"})
    handler, _ = failing_then(ValueError(), 0, response)

    with pytest.raises(UnexpectedResponseError, match="SERVICEOPS_URL"):
        await clients(handler).get_request(1)


async def test_api_key_401_names_the_setting(clients: Any) -> None:
    handler, seen = failing_then(ValueError(), 0, httpx2.Response(401, json={"error": "x"}))

    with pytest.raises(AuthenticationError, match="SERVICEOPS_API_KEY"):
        await clients(handler).search_requests()

    assert len(seen) == 1


def test_portal_url_fills_the_template(clients: Any) -> None:
    default = clients(lambda r: httpx2.Response(200), base_url="https://desk.example.com/")
    custom = clients(
        lambda r: httpx2.Response(200), portal_url_template="{base}/support-portal/{name}?i={id}"
    )

    assert default.portal_url(65) == "https://desk.example.com/t/request/view/65"
    assert custom.portal_url(65, name="INC-46") == (
        "https://desk.example.com/support-portal/INC-46?i=65"
    )


def test_portal_url_template_with_unknown_placeholder_is_refused() -> None:
    with pytest.raises(ValueError, match="ticket"):
        ServiceOpsClient("https://d.example.com", auth=ApiKey("k"), portal_url_template="{ticket}")


async def test_custom_api_path_is_used(clients: Any) -> None:
    seen: list[str] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(str(request.url))
        return httpx2.Response(200, json=CREATED)

    await clients(handler, base_url="https://d.example.com/desk", api_path="api/v2/").get_request(5)

    assert seen == ["https://d.example.com/desk/api/v2/request/5"]


@pytest.mark.parametrize(
    ("url", "warned"),
    [
        ("http://desk.example.com", True),
        ("http://10.0.0.5:8080", True),
        ("http://127.0.0.1:8080", False),
        ("http://127.1.2.3", False),
        ("http://localhost:3000", False),
        ("http://[::1]:8080", False),
        ("https://desk.example.com", False),
    ],
)
async def test_plain_http_is_warned_about_unless_loopback(
    url: str, warned: bool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.serviceops")

    await ServiceOpsClient(url, auth=ApiKey("k")).aclose()

    warnings = [r for r in caplog.records if r.getMessage() == "serviceops_plain_http"]
    assert len(warnings) == (1 if warned else 0)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("3", 3.0), ("0", 0.0), ("0.5", 0.5), ("soon", None), (None, None), ("-1", None)],
)
def test_retry_after_seconds(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header) == seconds


def test_retry_after_http_date() -> None:
    wait = parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now=1445412500.0)

    assert wait == pytest.approx(10.0)
