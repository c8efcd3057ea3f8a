"""What the dashboard shows, read the way the platform's front end would: as a signed-in admin (role
authenticated with an admin claim), through get_system_health(), get_error_rate() and system_alerts under RLS. The
function- and database-health panels' queries are in supalert.dashboard.panels."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import psycopg

from supalert import liveness
from supalert.dashboard import incidents, panels
from supalert.db import fetch_dicts

DASHBOARD_USER = str(uuid.UUID("00000000-0000-4000-8000-00000000da5b"))
OPEN_SHOWN = 1000  # open alerts read per page; the count says how many more there are
THRESHOLD_RULES = ("critical_errors_per_hour", "slow_response_time_ms", "very_slow_response_time_ms",
                   "failed_sms_per_hour", "failed_emails_per_hour")  # fmt: skip


@contextlib.contextmanager
def as_admin(conn: psycopg.Connection) -> Iterator[psycopg.Connection]:
    """A transaction acting as an admin user of the app, as PostgREST would for the dashboard's requests."""
    admin_role = conn.execute("select admin_roles[1] from monitoring.settings").fetchone()[0]
    claims = {"role": "authenticated", "sub": DASHBOARD_USER, "email": "dashboard@supalert.local",
              "app_metadata": {"role": admin_role}}  # fmt: skip
    with conn.transaction():
        conn.execute("select set_config('request.jwt.claims', %s, true)", (json.dumps(claims),))
        conn.execute("select set_config('role', 'authenticated', true)")
        yield conn


@dataclass
class Snapshot:
    health: dict[str, Any]
    errors_per_minute: float
    open_alerts: list[dict[str, Any]]
    resolved: list[dict[str, Any]]
    thresholds: dict[str, float]
    stale_after: timedelta | None  # None: monitoring.settings.heartbeat_stale_after
    charts: dict[str, Any] = field(default_factory=dict)
    rule_keys: set[str] = field(default_factory=set)
    # monitoring.liveness's rows: the one answer to "is the monitor alive?", as `status` prints it.
    monitor: list[dict[str, Any]] = field(default_factory=list)
    # The open alerts as the page lists them: groups folded (incidents.rows), each with its response-time clock.
    rows: list[incidents.Row] = field(default_factory=list)
    open_total: int = 0
    functions: panels.FunctionHealth | None = None
    database: list[panels.DatabaseRule] = field(default_factory=list)

    @property
    def monitor_failing(self) -> list[dict[str, Any]]:
        return liveness.failing(self.monitor)

    @property
    def evaluation_stale(self) -> bool:
        return any(row["component"] == "heartbeat" for row in self.monitor_failing)


def snapshot(conn: psycopg.Connection, now: datetime | None = None, stale_after: timedelta | None = None) -> Snapshot:
    rule_keys = {k for (k,) in conn.execute("select key from monitoring.rules")}
    setup = incidents.read_setup(conn)
    # Read as the dashboard's own database login (as `status` does): the monitor's health is not an app user's.
    monitor = liveness.check(conn, stale_after) if liveness.installed(conn) else []
    timing_rules = panels.timing_rules(conn)
    database = panels.database_health(conn)
    thresholds = dict(
        conn.execute(
            "select key, threshold from monitoring.rules where key = any(%s)", (list(THRESHOLD_RULES),)
        ).fetchall()
    )
    with as_admin(conn) as c:
        at = now or c.execute("select now()").fetchone()[0]
        health = c.execute("select public.get_system_health(%s)", (at,)).fetchone()[0]
        per_minute = c.execute("select errors_per_minute from public.get_error_rate(60, %s)", (at,)).fetchone()[0]
        open_alerts = fetch_dicts(
            c,
            "select a.id, a.severity, a.status, a.alert_type, a.title, a.message, seen.occurrences, a.created_at,"
            " seen.last_seen_at, a.metadata -> 'labels' as labels, a.acknowledged_by, a.escalation_step,"
            " a.escalated_at from public.system_alerts a cross join lateral monitoring.alert_seen(a.id) seen"
            " where a.resolved_at is null"
            " order by monitoring.severity_rank(a.severity), a.created_at desc, a.id"
            " limit %s",
            (OPEN_SHOWN,),
        )
        open_total = c.execute("select count(*) from public.system_alerts where resolved_at is null").fetchone()[0]
        resolved = fetch_dicts(
            c,
            "select id, severity, alert_type, title, occurrences, created_at, resolved_at from public.system_alerts"
            " where resolved_at is not null order by resolved_at desc limit 20",
        )
        charts = {
            "errors": fetch_dicts(
                c,
                # The app's severity words, mapped to supalert's (monitoring.severity_aliases).
                "select bucket, coalesce(monitoring.severity_level(word), 'other') as severity, sum(n) as n from ("
                " select date_bin('5 minutes', occurred_at, %s) as bucket, severity::text as word, count(*) as n"
                " from public.error_logs where occurred_at > %s - interval '24 hours' and occurred_at <= %s"
                " group by 1, 2) as x group by 1, 2 order by 1, 2",
                (at, at, at),
            ),
            "durations": fetch_dicts(
                c,
                "select date_bin('5 minutes', recorded_at, %s) as bucket,"
                " percentile_cont(0.5) within group (order by duration_ms) as p50,"
                " percentile_cont(0.95) within group (order by duration_ms) as p95"
                " from public.performance_metrics where metric_type = 'edge_function'"
                " and recorded_at > %s - interval '24 hours' and recorded_at <= %s group by 1 order by 1",
                (at, at, at),
            ),
            "failures": fetch_dicts(
                c,
                "select bucket, channel, round(100.0 * sum(failed) / sum(total), 2) as rate from ("
                " select date_bin('1 hour', created_at, %s) as bucket, 'sms' as channel,"
                "  count(*) filter (where delivery_status = 'failed') as failed, count(*) as total"
                "  from public.sms_delivery_log where created_at > %s - interval '24 hours' and created_at <= %s"
                "  group by 1"
                " union all"
                " select date_bin('1 hour', created_at, %s), 'email',"
                "  count(*) filter (where delivery_status = 'failed'), count(*)"
                "  from public.email_delivery_log where created_at > %s - interval '24 hours' and created_at <= %s"
                "  group by 1) x group by 1, 2 order by 1, 2",
                (at, at, at, at, at, at),
            ),
            "start": at,
        }
        functions = panels.function_health(c, at, timing_rules)
    return Snapshot(health, float(per_minute or 0), open_alerts, resolved,
                    {k: float(v) for k, v in thresholds.items()}, stale_after, charts, rule_keys, monitor,
                    incidents.rows(open_alerts, setup, at), open_total, functions, database)  # fmt: skip


def acknowledge(conn: psycopg.Connection, alert_id: str) -> None:
    with as_admin(conn) as c:
        c.execute("select from monitoring.acknowledge_alert(%s::uuid, 'dashboard')", (alert_id,))


def dismiss(conn: psycopg.Connection, alert_id: str) -> None:
    with as_admin(conn) as c:
        c.execute("select public.dismiss_alert(%s::uuid)", (alert_id,))


def silence(conn: psycopg.Connection, alert_id: str, hours: float) -> None:
    with as_admin(conn) as c:
        rule = c.execute("select alert_type from public.system_alerts where id = %s::uuid", (alert_id,)).fetchone()
        if rule is None:
            raise LookupError(alert_id)
        c.execute(
            "select monitoring.create_silence(%s, null, '{}'::jsonb, make_interval(secs => %s), %s, 'dashboard')",
            (rule[0], hours * 3600, f"silenced from the dashboard for {hours:g} h"),
        )
