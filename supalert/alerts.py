"""Alerts as the CLI reads and changes them: evaluate rules by hand, list, acknowledge, resolve and silence alerts,
and the heartbeat. The engine itself is SQL (monitoring.evaluate); rules are supalert.rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg

from supalert import migrations
from supalert.db import fetch_dicts, require_installed
from supalert.errors import SupalertError
from supalert.rules.custom import CUSTOM_METRIC

OPEN_STATES = ("firing", "acknowledged")


def rule_keys(conn: psycopg.Connection) -> list[str]:
    return [r[0] for r in conn.execute("select key from monitoring.rules where kind = 'metric' order by key")]


def evaluate(conn: psycopg.Connection, rules: list[str], at: datetime | None = None) -> list[dict[str, Any]]:
    """Evaluate the named rules (all enabled ones when empty) now or at `at`, in one transaction."""
    require_installed(conn)
    known = rule_keys(conn)
    unknown = [r for r in rules if r not in known]
    if unknown:
        raise SupalertError(f"unknown rule(s): {', '.join(unknown)}", f"known rules: {', '.join(known)}")
    if not rules:
        rules = [r[0] for r in conn.execute(
            "select key from monitoring.rules where kind = 'metric' and enabled order by key")]  # fmt: skip
    # A custom SQL rule runs under its statement timeout, as its pg_cron job runs it (monitoring.rules_schedule_custom)
    timeouts = dict(conn.execute(
        "select key, (params ->> 'timeout_seconds') || 's' from monitoring.rules where metric_function = %s",
        (CUSTOM_METRIC,)).fetchall())  # fmt: skip
    results: list[dict[str, Any]] = []
    with conn.transaction():
        usual = conn.execute("show statement_timeout").fetchone()[0]
        for rule in rules:
            conn.execute("select set_config('statement_timeout', %s, true)", (timeouts.get(rule, usual),))
            results += fetch_dicts(
                conn,
                "select e.*, r.severity from monitoring.evaluate(%s, coalesce(%s, now())) e"
                " join monitoring.rules r on r.key = e.rule",
                (rule, at),
            )
    return results


def critical_firing(results: list[dict[str, Any]]) -> bool:
    return any(r["severity"] == "critical" and r["state"] in OPEN_STATES for r in results)


def list_alerts(conn: psycopg.Connection, include_resolved: bool, limit: int = 100) -> list[dict[str, Any]]:
    require_installed(conn)
    return fetch_dicts(
        conn,
        "select a.id, a.severity, a.status, a.alert_type as rule, a.title, a.message, seen.occurrences, a.created_at,"
        " seen.last_seen_at, a.acknowledged_by, a.resolved_at from public.system_alerts a"
        " cross join lateral monitoring.alert_seen(a.id) seen"
        " where %s or a.resolved_at is null"
        " order by (a.resolved_at is null) desc,"
        " monitoring.severity_rank(a.severity), a.created_at desc limit %s",
        (include_resolved, limit),
    )


def _alert_call(conn: psycopg.Connection, function: str, alert_id: str, by: str | None) -> dict[str, Any]:
    require_installed(conn)
    try:
        rows = fetch_dicts(conn, f"select * from monitoring.{function}(%s::uuid, %s)", (alert_id, by))
    except psycopg.errors.InvalidTextRepresentation:
        raise SupalertError(f"{alert_id!r} is not an alert id", "copy the id from `python deploy.py alerts`") from None
    except (psycopg.errors.NoDataFound, psycopg.errors.ObjectNotInPrerequisiteState) as exc:
        raise SupalertError(exc.diag.message_primary or str(exc), exc.diag.message_hint) from None
    return rows[0]


def acknowledge(conn: psycopg.Connection, alert_id: str, by: str | None) -> dict[str, Any]:
    return _alert_call(conn, "acknowledge_alert", alert_id, by)


def resolve(conn: psycopg.Connection, alert_id: str, by: str | None) -> dict[str, Any]:
    return _alert_call(conn, "resolve_alert", alert_id, by)


def silence(conn: psycopg.Connection, rule: str, duration: timedelta, comment: str, by: str | None) -> dict:
    require_installed(conn)
    if not comment.strip():
        raise SupalertError("a silence needs a comment saying why", 'add --comment "deploying the fix"')
    try:
        silence_id = conn.execute(
            "select monitoring.create_silence(%s, null, '{}'::jsonb, %s, %s, %s)", (rule, duration, comment, by)
        ).fetchone()[0]
    except psycopg.errors.NoDataFound as exc:
        raise SupalertError(exc.diag.message_primary or str(exc), exc.diag.message_hint) from None
    return fetch_dicts(
        conn,
        "select id, rule_key, starts_at, ends_at, created_by from monitoring.silences where id = %s",
        (silence_id,),
    )[0]


@dataclass
class Heartbeat:
    last_evaluated_at: datetime | None
    age_seconds: float | None
    rules_evaluated: int | None
    rules_failed: int | None
    installed_seconds_ago: float | None

    def stale(self, after_seconds: float) -> bool:
        if self.age_seconds is None:
            # Never evaluated: fine for a fresh install until pg_cron's first runs could have happened.
            return self.installed_seconds_ago is None or self.installed_seconds_ago > after_seconds
        return self.age_seconds > after_seconds


def heartbeat(conn: psycopg.Connection) -> Heartbeat:
    row = conn.execute(
        "select h.last_evaluated_at, extract(epoch from now() - h.completed_at), h.rules_evaluated, h.rules_failed"
        " from monitoring.heartbeat h"
    ).fetchone()
    installed = migrations.installed_seconds_ago(conn)
    if row is None:
        return Heartbeat(None, None, None, None, installed)
    return Heartbeat(row[0], float(row[1]), row[2], row[3], installed)


def open_alerts_by_severity(conn: psycopg.Connection) -> dict[str, int]:
    return dict(
        conn.execute(
            "select severity, count(*) from public.system_alerts where resolved_at is null group by severity"
        ).fetchall()
    )
