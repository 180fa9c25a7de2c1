"""The load benchmark runs end to end with tiny numbers and prints every figure, on every
surface: Slack over HTTP and over Socket Mode, Teams, and both in one process.

No performance figure is asserted: only that the run completes, reports everything, and that
the counts which do not depend on the machine (creates, duplicates, token, Slack and Teams
calls) are what one bot process must produce.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit import benchmark_runs

PEOPLE, ROUNDS = 3, 2

COST_FIGURES = (
    "tickets_per_second",
    "cpu_ms_per_ticket",
    "driver_cpu_ms_per_ticket",
    "peak_rss_mb",
    "startup_to_ready_s",
    "growth",
)
COST_LABELS = (
    "tickets per second",
    "CPU per ticket (bot)",
    "CPU per ticket (driver, fakes)",
    "peak RSS (bot)",
    "start-up to /readyz 200",
    "CPU per ticket, first/last 1 round(s)",
    "RSS: ready, after, end",
    "cache entries: ready, after, end",
)

FIGURES = (
    "command_ack_ms",
    "submission_ack_ms",
    "tickets_per_second",
    "cpu_ms_per_ticket",
    "peak_rss_mb",
    "serviceops_token_requests",
    "users_info_calls",
    "creates",
    "duplicates",
    "slack_calls",
    "slack_new_connections",
    "serviceops_calls",
    "serviceops_new_connections",
    "bot_exit_code",
)
LABELS = (
    "command_ack_ms",
    "submission_ack_ms",
    "p50",
    "p95",
    "p99",
    "tickets per second",
    "CPU per ticket (bot)",
    "peak RSS (bot)",
    "ServiceOps token requests",
    "users.info calls",
    "creates",
    "duplicates",
    "Slack: new connections",
    "ServiceOps: new connections",
    "bot exit code after SIGTERM",
)


TEAMS_FIGURES = (
    "open_answer_ms",
    "submit_answer_ms",
    "tickets_per_second",
    "cpu_ms_per_ticket",
    "driver_cpu_ms_per_ticket",
    "peak_rss_mb",
    "login_token_requests",
    "members_calls",
    "members_calls_per_person",
    "serviceops_token_requests",
    "submit_answers",
    "creates",
    "announcements",
    "duplicates",
    "teams_calls_by_kind",
    "serviceops_new_connections",
    "bot_exit_code",
)
TEAMS_LABELS = (
    "Teams:",
    "open_answer_ms",
    "submit_answer_ms",
    "p99",
    "tickets per second",
    "CPU per ticket (bot)",
    "CPU per ticket (driver, fakes)",
    "peak RSS (bot)",
    "login token requests",
    "members calls",
    "ServiceOps token requests",
    "submit answers",
    "creates",
    "announcements",
    "duplicates",
    "Teams calls by kind",
    "bot exit code after SIGTERM",
)


def run_benchmark(*options: str) -> tuple[dict[str, Any], str]:
    """Run `benchmarks/load.py` with tiny numbers; its JSON figures and its printed table."""
    return benchmark_runs.run_benchmark(
        "load.py",
        *options,
        *("--people", str(PEOPLE), "--rounds", str(ROUNDS), "--timeout", "60"),
    )


def assert_costs(result: dict[str, Any], printed: str) -> None:
    """The figures every surface reports: CPU, RSS, start-up, and their growth by round."""
    assert [name for name in COST_FIGURES if name not in result] == [], result
    assert [label for label in COST_LABELS if label not in printed] == [], printed
    assert result["startup_to_ready_s"] > 0
    growth = result["growth"]
    assert growth["rounds_compared"] == 1
    assert len(growth["cpu_ms_per_ticket"]) == len(growth["driver_cpu_ms_per_ticket"]) == 2
    assert len(growth["rss_mb"]) == len(growth["cache_entries"]) == 3
    # The in-process cache (its size read from /metrics) holds the people's profiles at least.
    assert growth["cache_entries"][-1] >= PEOPLE


def assert_slack(result: dict[str, Any]) -> None:
    tickets = PEOPLE * ROUNDS
    for spread in (result["command_ack_ms"], result["submission_ack_ms"]):
        assert set(spread) == {"p50", "p95", "p99", "max", "mean"}
        assert 0 < spread["p50"] <= spread["p99"] <= spread["max"]
    assert result["submissions"] == tickets
    assert result["users_info_calls"] == PEOPLE  # cached after each person's first ticket
    # The warm-up's auth.test serves Bolt's authorization too: none while taking traffic.
    assert "auth.test" not in result["slack_calls_by_method"]
    assert result["slack_calls_by_method"]["chat.postMessage"] == tickets
    assert result["slack_calls_by_method"]["views.update"] == tickets


@pytest.mark.parametrize("surface", ["slack", "socket"])
def test_benchmark_runs_and_prints_every_figure(surface: str) -> None:
    result, printed = run_benchmark("--surface", surface, "--latency", "0")
    assert [name for name in FIGURES if name not in result] == [], result
    assert [label for label in LABELS if label not in printed] == [], printed
    assert_costs(result, printed)

    tickets = PEOPLE * ROUNDS
    assert result["surface"] == surface
    assert result["errors"] == []
    assert result["bot_exit_code"] == 0  # SIGTERM: drained and stopped cleanly
    assert_slack(result)
    assert result["creates"] == tickets
    assert result["duplicates"] == 0
    assert result["serviceops_token_requests"] == 1
    if surface == "socket":  # the acks came over the one WebSocket the bot opened
        assert "Socket Mode connections" in printed
        assert result["socket_mode_connections"] == 1


def test_teams_benchmark_runs_and_prints_every_figure() -> None:
    result, printed = run_benchmark("--surface", "teams", "--latency", "0.05")
    assert [name for name in TEAMS_FIGURES if name not in result] == [], result
    assert [label for label in TEAMS_LABELS if label not in printed] == [], printed
    assert_costs(result, printed)

    tickets = PEOPLE * ROUNDS
    assert result["surface"] == "teams"
    assert result["errors"] == []
    assert result["bot_exit_code"] == 0  # SIGTERM: drained and stopped cleanly
    for spread in (result["open_answer_ms"], result["submit_answer_ms"]):
        assert set(spread) == {"p50", "p95", "p99", "max", "mean"}
        assert 0 < spread["p50"] <= spread["p99"] <= spread["max"]
    assert result["submissions"] == tickets
    # Whether the outcome came in time depends on the machine: only that each got an answer.
    assert sum(result["submit_answers"].values()) == tickets
    assert set(result["submit_answers"]) <= {"Ticket created", "New ticket"}
    assert result["creates"] == tickets
    assert result["announcements"] == tickets
    assert result["duplicates"] == 0
    assert result["serviceops_token_requests"] == 1
    # The warm-up's login serves every call; each person is looked up once (then cached).
    assert result["login_token_requests"] == 1
    assert result["members_calls"] == PEOPLE
    calls = result["teams_calls_by_kind"]
    assert calls["send"] == tickets
    assert calls["openid"] == calls["keys"] == 1
    assert result["teams_failed_calls"] == 0


def test_both_surfaces_in_one_bot() -> None:
    result, printed = run_benchmark("--surface", "both", "--latency", "0.05")
    assert_costs(result, printed)

    assert result["surface"] == "both"
    assert result["errors"] == []
    assert result["bot_exit_code"] == 0
    assert_slack(result["slack"])
    teams = result["teams"]
    assert teams["announcements"] == teams["submissions"] == PEOPLE * ROUNDS
    assert result["creates"] == 2 * PEOPLE * ROUNDS
    assert result["duplicates"] == 0
    assert result["serviceops_token_requests"] == 1  # one token for both surfaces


def test_soak_option_reports_growth() -> None:
    # --soak's 5,000 tickets with the tiny numbers given instead: only that it runs.
    result, printed = run_benchmark("--soak", "--ramp", "0", "--latency", "0")
    assert_costs(result, printed)
    assert result["errors"] == []
    assert result["creates"] == PEOPLE * ROUNDS
