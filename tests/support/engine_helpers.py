"""Helpers for rule-engine tests: a controllable test rule, telemetry writers, and readers of alerts."""

from __future__ import annotations

import operator
from datetime import UTC, datetime, timedelta

import psycopg

# The comparisons of monitoring.rules, for the Python models of the lifecycle.
COMPARE = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)

TEST_METRIC = """
create table if not exists monitoring.test_values (
    at timestamptz primary key, value numeric, no_data boolean not null default false
);
create or replace function monitoring.metric_test_series(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language sql stable set search_path = ''
as $$
    select v.value, '{}'::jsonb, '{}'::jsonb, v.no_data from monitoring.test_values as v where v.at = p_now
$$;
"""


# A rule with one series per row of monitoring.test_labeled (labels, value), threshold > 5: series come and go as
# the rows do.
LABELED_METRIC = """
create table monitoring.test_labeled (labels jsonb not null, value numeric not null);
create function monitoring.metric_test_labeled(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language sql stable set search_path = ''
as $$
    select t.value, t.labels, '{}'::jsonb, false from monitoring.test_labeled as t
$$;
insert into monitoring.rules (key, title, metric_function, comparison, threshold, severity)
values ('labeled', 'Labeled', 'metric_test_labeled', '>', 5, 'high');
"""


def put_labeled(conn: psycopg.Connection, *series: tuple[str, float]) -> None:
    """The labeled rule's series from now on: (labels as JSON text, value) each."""
    conn.execute("truncate monitoring.test_labeled")
    for labels, value in series:
        conn.execute("insert into monitoring.test_labeled values (%s::jsonb, %s)", (labels, value))


def add_test_rule(
    conn: psycopg.Connection,
    *,
    key: str = "test_rule",
    comparison: str = ">",
    threshold: float = 5,
    resolve_threshold: float | None = None,
    evaluations_before_firing: int = 1,
    on_no_data: str = "keep",
) -> str:
    """A rule whose value at time t is whatever monitoring.test_values says (no row: the series is missing)."""
    conn.execute(TEST_METRIC)
    conn.execute(
        "insert into monitoring.rules (key, title, metric_function, comparison, threshold, resolve_threshold,"
        " severity, evaluations_before_firing, on_no_data)"
        " values (%s, 'Test rule', 'metric_test_series', %s, %s, %s, 'high', %s, %s)",
        (key, comparison, threshold, resolve_threshold, evaluations_before_firing, on_no_data),
    )
    return key


def set_value(conn: psycopg.Connection, at: datetime, value: float | None, no_data: bool = False) -> None:
    conn.execute(
        "insert into monitoring.test_values (at, value, no_data) values (%s, %s, %s)"
        " on conflict (at) do update set value = excluded.value, no_data = excluded.no_data",
        (at, value, no_data),
    )


def evaluate(conn: psycopg.Connection, rule: str | None, at: datetime) -> list[dict]:
    cur = conn.execute("select * from monitoring.evaluate(%s, %s)", (rule, at))
    names = [d.name for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def alerts(conn: psycopg.Connection, rule: str) -> list[dict]:
    cur = conn.execute(
        # occurrences and last_seen_at as of now (monitoring.alert_seen), as the CLI and the dashboard show them
        "select a.id, a.status, seen.occurrences, a.created_at, seen.last_seen_at, a.resolved_at, a.severity, a.title,"
        " a.message, a.metadata from public.system_alerts a cross join lateral monitoring.alert_seen(a.id) seen"
        " where a.alert_type = %s order by a.created_at, a.id",
        (rule,),
    )
    names = [d.name for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def insert_errors(conn: psycopg.Connection, at: datetime, count: int, severity: str = "high") -> None:
    conn.execute(
        "insert into public.error_logs (severity, category, message, occurred_at)"
        " select %s, 'test', 'boom ' || g, %s from generate_series(1, %s) g",
        (severity, at, count),
    )


def claim_at(conn: psycopg.Connection, at: datetime, worker: str = "w", limit: int = 100, lease: str = "2 minutes"):
    """Claim due outbox rows at `at`: (id, channel, event, idempotency_key, payload) each."""
    return conn.execute(
        "select id, channel, event, idempotency_key, payload from monitoring.claim_notifications(%s, %s, %s, null, %s)",
        (worker, limit, lease, at),
    ).fetchall()


def mark_sent(conn: psycopg.Connection, rows, at: datetime) -> None:
    """Record each claimed row (claim_at's) as delivered at `at`."""
    for row in rows:
        conn.execute("select monitoring.record_delivery(%s, 'sent', 200, null, null, null, %s)", (row[0], at))


def enabled_metric_rules(conn: psycopg.Connection) -> list[str]:
    """The keys of the rules a full evaluation runs (every enabled metric rule), in key order."""
    return [k for (k,) in conn.execute("select key from monitoring.rules where kind = 'metric' and enabled order by 1")]
