"""Prometheus metrics, one registry per running app (so tests and the sandbox don't collide)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.slack_calls = Counter(
            "jobgate_slack_calls",
            "Slack Web API calls by the outbox, and failed calls made while someone waits",
            ["method", "result"],
            registry=self.registry,
        )
        self.webhooks = Counter(
            "jobgate_webhook_attempts",
            "Platform webhook attempts",
            ["result"],
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "jobgate_slack_rate_limited",
            "429 answers from Slack",
            ["method"],
            registry=self.registry,
        )
        self.decisions = Counter(
            "jobgate_decisions",
            "Decisions recorded",
            ["kind", "outcome", "via"],
            registry=self.registry,
        )
        self.refusals = Counter(
            "jobgate_refusals",
            "Actions refused (not allowed, other team)",
            ["why"],
            registry=self.registry,
        )
        self.ingested = Counter(
            "jobgate_ingested",
            "Requests received from the platform",
            ["kind", "result"],
            registry=self.registry,
        )
        self.inbound_rejected = Counter(
            "jobgate_inbound_rejected",
            "Inbound API calls rejected",
            ["status"],
            registry=self.registry,
        )
        self.outbox_pending = Gauge(
            "jobgate_outbox_pending", "Outbox items waiting", registry=self.registry
        )
        self.outbox_dead = Gauge(
            "jobgate_outbox_dead", "Outbox items given up on", registry=self.registry
        )
        self.ack_seconds = Histogram(
            "jobgate_slack_request_seconds",
            "Time to answer Slack's HTTP requests",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
