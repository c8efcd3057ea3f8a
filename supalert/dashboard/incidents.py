"""The dashboard's active alerts as the on-call person reads them: the alerts of a grouped rule as one row per group
(monitoring.rules.group_by, the same key monitoring.enqueue_notifications gives their messages), and each alert's
response-time clock: when it must be acknowledged (its alert type's response time), how far past that it is, which
escalation step has paged and which is next (monitoring.escalation_steps)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import psycopg

from supalert.db import fetch_dicts
from supalert.durations import describe_interval


@dataclass(frozen=True)
class RuleFacts:
    title: str
    group_by: list[str] | None
    type_title: str | None
    response_time: timedelta | None  # None: no deadline (a digest type, or an alert without a type)


@dataclass(frozen=True)
class Step:
    step: int
    delay: timedelta  # after the response time has passed
    channels: list[str]


@dataclass
class Setup:
    rules: dict[str, RuleFacts] = field(default_factory=dict)
    steps: dict[str, list[Step]] = field(default_factory=dict)  # alert type key -> steps in order
    rule_type: dict[str, str] = field(default_factory=dict)  # rule key -> alert type key


def read_setup(conn: psycopg.Connection) -> Setup:
    """Read as the dashboard's database login (the monitoring schema is not the app users')."""
    setup = Setup()
    for row in fetch_dicts(
        conn,
        "select r.key, r.title, r.group_by, r.alert_type, t.title as type_title, t.response_time"
        " from monitoring.rules r left join monitoring.alert_types t on t.key = r.alert_type",
    ):
        setup.rules[row["key"]] = RuleFacts(row["title"], row["group_by"], row["type_title"], row["response_time"])
        if row["alert_type"]:
            setup.rule_type[row["key"]] = row["alert_type"]
    for row in fetch_dicts(
        conn,
        "select alert_type, step, delay, channels from monitoring.escalation_steps where enabled order by step",
    ):
        setup.steps.setdefault(row["alert_type"], []).append(Step(row["step"], row["delay"], row["channels"]))
    return setup


def _minutes(span: timedelta) -> str:
    return describe_interval(timedelta(minutes=max(round(span.total_seconds() / 60), 1)))


def clock(alert: dict[str, Any], setup: Setup, now: datetime) -> str:
    """One line: acknowledged by whom, or the time left (or past) to acknowledge and the escalation steps."""
    if alert["status"] == "acknowledged":
        return f"acknowledged by {alert.get('acknowledged_by') or 'someone'}"
    facts = setup.rules.get(alert["alert_type"])
    if facts is None or facts.response_time is None:
        return "no response time"
    deadline = alert["created_at"] + facts.response_time
    allowed = describe_interval(facts.response_time)
    if now < deadline:
        words = f"acknowledge within {_minutes(deadline - now)} ({facts.type_title}: {allowed})"
    else:
        words = f"unacknowledged {_minutes(now - deadline)} past its {allowed} response time"
    steps = setup.steps.get(setup.rule_type.get(alert["alert_type"], ""), [])
    done = alert.get("escalation_step") or 0
    if done:
        paged = next((s for s in steps if s.step == done), None)
        words += f"; escalated to step {done}" + (f" ({', '.join(paged.channels)})" if paged else "")
    upcoming = next((s for s in steps if s.step > done), None)
    if upcoming is not None:
        words += f"; step {upcoming.step} ({', '.join(upcoming.channels)}) at {(deadline + upcoming.delay):%H:%M} UTC"
    return words


def group_key(alert: dict[str, Any], setup: Setup) -> tuple | None:
    """The alert's group (rule, the values of its group_by labels), or None for a rule that does not group."""
    facts = setup.rules.get(alert["alert_type"])
    if facts is None or facts.group_by is None:
        return None
    labels = alert.get("labels") or {}
    return (alert["alert_type"], *((name, str(labels[name])) for name in facts.group_by if name in labels))


@dataclass
class Row:
    """One line of the active alerts: a single alert, or a group of two or more (alerts: its members)."""

    alerts: list[dict[str, Any]]
    title: str

    @property
    def is_group(self) -> bool:
        return len(self.alerts) > 1

    @property
    def first(self) -> dict[str, Any]:
        return self.alerts[0]


def rows(open_alerts: list[dict[str, Any]], setup: Setup, now: datetime) -> list[Row]:
    """The open alerts (already most urgent first) as rows, each group where its first member stood; every alert
    gets its clock."""
    out: list[Row] = []
    groups: dict[tuple, Row] = {}
    for alert in open_alerts:
        alert["clock"] = clock(alert, setup, now)
        key = group_key(alert, setup)
        if key is not None and key in groups:
            groups[key].alerts.append(alert)
            continue
        row = Row([alert], alert["title"])
        out.append(row)
        if key is not None:
            groups[key] = row
    for key, row in groups.items():
        if row.is_group:
            labels = ", ".join(f"{name}={value}" for name, value in key[1:])
            title = setup.rules[key[0]].title
            row.title = f"{len(row.alerts)} alerts: {title}" + (f" ({labels})" if labels else "")
    return out
