"""What an operator sees: health and readiness probes, Prometheus metrics, and the logs.

All through the real web app in HTTP mode (the harness), with the fakes on either side.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import stamina
from prometheus_client.parser import text_string_to_metric_families

from bot import cli, server
from bot.logs import setup_logging
from tests.e2e.harness import CHANNEL, USER, Harness
from tests.fakes import slack_requests as sr

SUBJECT = "Badge reader at door B is dead"
DESCRIPTION = "It beeps twice and flashes orange when Ada taps her badge"
COMMAND = {"platform": "slack", "entry": "command"}
REJECTED = {"platform": "slack", "reason": "rejected"}


async def file_ticket(app: Harness, **fields: Any) -> None:
    """`/ticket`, the modal submitted, and the filing finished (announced or reported)."""
    await app.command(SUBJECT)
    view = await app.opened_view()
    typed = {"subject": SUBJECT, "description": DESCRIPTION, "priority": "High", **fields}
    answer = await app.submit(view, **typed)
    assert answer.status_code == 200
    assert await app.bot.deps.inflight.drain(5)


async def metrics(app: Harness) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """`GET /metrics`, parsed: {(sample name, labels): value}."""
    response = await app.http.get(app.url + "/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


# --------------------------------------------------------------------------- probes


async def test_healthz(app: Harness) -> None:
    response = await app.http.get(app.url + "/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_ok_when_desk_and_slack_answer(app: Harness) -> None:
    response = await app.http.get(app.url + "/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"serviceops": "ok", "slack": "ok"}}
    assert app.desk.token_requests == 1
    assert app.slack.count("auth.test") == 1


async def test_readyz_answer_is_cached_between_probes(app: Harness) -> None:
    for _ in range(3):
        assert (await app.http.get(app.url + "/readyz")).status_code == 200

    # A probe every few seconds must not mint a ServiceOps token every time.
    assert app.desk.token_requests == 1
    assert app.slack.count("auth.test") == 1


async def test_readyz_503_when_the_desk_refuses_the_credentials(
    app: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server, "READY_CACHE_SECONDS", 0.0)
    assert (await app.http.get(app.url + "/readyz")).status_code == 200

    app.desk.password = "rotated-by-the-desk-admin"
    app.desk.revoke_tokens()  # a probe uses the token in use: only a refused one logs in again
    response = await app.http.get(app.url + "/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["slack"] == "ok"
    assert "refused the bot's credentials" in body["checks"]["serviceops"]
    assert "rotated-by-the-desk-admin" not in response.text


async def test_readyz_503_when_the_desk_is_down(app: Harness) -> None:
    await app.desk.stop()

    with stamina.set_testing(True):  # no backoff between connection attempts
        response = await app.http.get(app.url + "/readyz")

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["slack"] == "ok"
    assert "unreachable" in checks["serviceops"]


async def test_readyz_503_when_slack_refuses_the_token(app: Harness) -> None:
    app.slack.fail_next("auth.test", "invalid_auth")

    response = await app.http.get(app.url + "/readyz")

    assert response.status_code == 503
    # Slack's own error, not the exception's class name.
    assert response.json()["checks"] == {"serviceops": "ok", "slack": "invalid_auth"}


# --------------------------------------------------------------------------- metrics


async def test_metrics_count_a_created_ticket_and_time_the_desk(app: Harness) -> None:
    before = await metrics(app)

    await file_ticket(app)

    after = await metrics(app)
    created = "serviceops_bot_tickets_created_total"
    assert value(after, created, **COMMAND) == value(before, created, **COMMAND) + 1
    latency = "serviceops_bot_serviceops_call_seconds_count"
    for operation in ("token", "create_request"):
        labels = {"operation": operation, "outcome": "ok"}
        assert value(after, latency, **labels) == value(before, latency, **labels) + 1
    buckets = [
        key
        for key in after
        if key[0] == "serviceops_bot_serviceops_call_seconds_bucket"
        and ("operation", "create_request") in key[1]
        and ("outcome", "ok") in key[1]
    ]
    assert {dict(labels)["le"] for _, labels in buckets} >= {"0.05", "1.0", "30.0", "+Inf"}


async def test_metrics_count_a_failed_ticket_by_reason(app: Harness) -> None:
    before = await metrics(app)
    rejected = {"code": "400", "userMessage": "Impact 'Galactic' does not exist.", "cause": None}
    app.desk.fail_next("create", 400, body=rejected)

    await file_ticket(app)

    after = await metrics(app)
    assert app.desk.created == []
    failed = "serviceops_bot_tickets_failed_total"
    assert value(after, failed, **REJECTED) == value(before, failed, **REJECTED) + 1
    created = "serviceops_bot_tickets_created_total"
    assert value(after, created, **COMMAND) == value(before, created, **COMMAND)
    latency = "serviceops_bot_serviceops_call_seconds_count"
    labels = {"operation": "create_request", "outcome": "400"}
    assert value(after, latency, **labels) == value(before, latency, **labels) + 1


async def test_metrics_count_a_refused_slack_post(app: Harness) -> None:
    before = await metrics(app)
    app.slack.fail_next("chat.postMessage", "not_in_channel")

    await file_ticket(app)

    after = await metrics(app)
    errors = "serviceops_bot_slack_api_errors_total"
    labels = {"method": "chat.postMessage", "error": "not_in_channel"}
    assert value(after, errors, **labels) == value(before, errors, **labels) + 1
    # The ticket still reached the person, privately.
    [ephemeral] = app.slack.calls_to("response_url")
    assert app.desk.created[0]["name"] in json.dumps(ephemeral.args)


# --------------------------------------------------------------------------- logs


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """`setup_logging` configures the process-wide root logger: put everything back after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    noisy = {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in noisy.items():
        logging.getLogger(name).setLevel(old)


def capture_json_logs(secrets: list[str]) -> io.StringIO:
    """The process's logging (JSON, secrets configured, DEBUG so that every line is seen),
    its stream swapped for a buffer."""
    setup_logging("DEBUG", "json", secrets=secrets)
    [handler] = logging.getLogger().handlers
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    handler.setStream(stream)
    return stream


@pytest.mark.usefixtures("restore_logging")
async def test_json_logs_of_a_journey_carry_facts_not_secrets_or_text(app: Harness) -> None:
    settings = app.bot.deps.settings
    stream = capture_json_logs(cli._secrets(settings))

    await file_ticket(app)
    app.slack.fail_next("chat.postMessage", "not_in_channel")
    await file_ticket(app, description=DESCRIPTION + " (again)")

    output = stream.getvalue()
    lines = [json.loads(line) for line in output.splitlines()]  # one JSON object per line
    assert all(isinstance(line, dict) for line in lines)
    assert all({"time", "level", "logger", "event"} <= line.keys() for line in lines)

    created = [line for line in lines if line["event"] == "ticket_created"]
    assert [line["ticket"] for line in created] == [t["name"] for t in app.desk.created]
    for line in created:
        assert line["level"] == "info"
        assert line["platform"] == "slack"
        assert line["conversation"] == CHANNEL
        assert line["user"] == USER
        assert isinstance(line["serviceops_seconds"], float)
        assert line["serviceops_seconds"] >= 0
    assert any(
        line["event"] == "post_refused" and line["error"] == "not_in_channel" for line in lines
    )

    assert len(app.desk.issued) >= 2
    secrets = [
        settings.slack_bot_token.get_secret_value(),
        sr.SIGNING_SECRET,
        app.desk.client_secret,
        app.desk.password,
        *app.desk.issued,  # access and refresh tokens the desk handed out
    ]
    for secret in secrets:
        assert secret not in output, f"a secret reached the logs: {secret[:6]}…"

    loud = "\n".join(
        json.dumps(line, ensure_ascii=False) for line in lines if line["level"] != "debug"
    )
    assert "ticket_created" in loud
    assert DESCRIPTION not in loud
    assert SUBJECT not in loud
