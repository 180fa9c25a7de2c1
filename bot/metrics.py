"""Prometheus metrics, served at `GET /metrics` (HTTP mode) or on `HEALTH_PORT` (Socket Mode).

Ticket counters carry the chat `platform` (slack, teams) a ticket came from.
"""

from __future__ import annotations

import weakref
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

TICKETS_CREATED = Counter(
    "serviceops_bot_tickets_created",
    "Requests created in ServiceOps, by chat platform and entry point (command, message, …).",
    ["platform", "entry"],
    registry=REGISTRY,
)
TICKETS_FAILED = Counter(
    "serviceops_bot_tickets_failed",
    "Filing attempts that ended in an error shown to the person, by platform and reason.",
    ["platform", "reason"],
    registry=REGISTRY,
)
SERVICEOPS_SECONDS = Histogram(
    "serviceops_bot_serviceops_call_seconds",
    "Latency of ServiceOps HTTP calls, by operation and outcome.",
    ["operation", "outcome"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
    registry=REGISTRY,
)
SLACK_API_ERRORS = Counter(
    "serviceops_bot_slack_api_errors",
    "Slack Web API calls that failed, by method and error code.",
    ["method", "error"],
    registry=REGISTRY,
)

CACHE_ENTRIES = Gauge(
    "serviceops_bot_cache_entries",
    "Entries in the in-process cache (CACHE_URL=memory://; 0 with Redis): flat over time.",
    registry=REGISTRY,
)


def watch_memory_cache(cache: Any) -> None:
    """Publish the size of aiocache's in-process backend `cache` as `CACHE_ENTRIES`."""
    held = weakref.ref(cache)  # weak: tests build many caches in one process

    def count() -> float:
        current = held()
        return float(len(current._cache)) if current is not None else 0.0

    CACHE_ENTRIES.set_function(count)


def observe_serviceops(operation: str, outcome: str, seconds: float) -> None:
    """Observer handed to the ServiceOps client."""
    SERVICEOPS_SECONDS.labels(operation=operation, outcome=outcome).observe(seconds)
