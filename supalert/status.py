"""What `deploy.py status` reports: the database, its migrations, pg_cron and its jobs, the monitoring schema."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg

from supalert import alerts, liveness
from supalert.migrations import discover, make_plan
from supalert.rules import store

# Only for an install older than monitoring.liveness (and its settings.heartbeat_stale_after, whose default this is).
LEGACY_STALE_AFTER = timedelta(minutes=5)


def metric_rules(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """The metric rules of rules.store.overview, enabled first, with the fields status reports."""
    rows = [row for row in store.overview(conn) if row["kind"] in ("metric", "custom")]
    return [
        {"key": r["key"], "severity": r["severity"], "enabled": r["enabled"], "comparison": r["comparison"],
         "threshold": r["threshold"], "time_window": r["window"], "last_outcome": r["last_outcome"],
         "last_run": r["last_run"], "open_alerts": r["open_alerts"]}
        for r in sorted(rows, key=lambda r: (not r["enabled"], r["key"]))
    ]  # fmt: skip


def gather(conn: psycopg.Connection, migrations: Path, stale_after: timedelta | None = None) -> dict[str, Any]:
    plan = make_plan(discover(migrations), conn)
    version = conn.execute("select current_setting('server_version')").fetchone()[0]
    extensions = dict(
        conn.execute(
            "select extname, extversion from pg_extension where extname in ('pg_cron', 'pg_net', 'supabase_vault')"
        ).fetchall()
    )
    jobs: list[dict[str, Any]] = []
    if "pg_cron" in extensions:
        jobs = [
            {"name": name, "schedule": schedule, "active": active}
            for name, schedule, active in conn.execute(
                "select jobname, schedule, active from cron.job order by jobname"
            ).fetchall()
        ]
    monitoring = conn.execute(
        "select (select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace"
        "         where n.nspname = 'monitoring' and c.relkind in ('r', 'p')),"
        "       (select count(*) from pg_proc p join pg_namespace n on n.oid = p.pronamespace"
        "         where n.nspname = 'monitoring')"
    ).fetchone()
    monitor = liveness.check(conn, stale_after) if liveness.installed(conn) else None
    engine_report = None
    if conn.execute("select to_regclass('monitoring.heartbeat') is not null").fetchone()[0]:
        beat = alerts.heartbeat(conn)
        engine_report = {
            "heartbeat": {
                "last_evaluated_at": beat.last_evaluated_at,
                "age_seconds": beat.age_seconds,
                "rules_evaluated": beat.rules_evaluated,
                "rules_failed": beat.rules_failed,
                # One rule for "stale": monitoring.liveness's; Heartbeat.stale serves only installs that predate it.
                "stale": beat.stale((stale_after or LEGACY_STALE_AFTER).total_seconds())
                if monitor is None
                else any(row["component"] == "heartbeat" and row["status"] == "fail" for row in monitor),
            },
            "open_alerts": alerts.open_alerts_by_severity(conn),
            "rules": metric_rules(conn),
        }
    return {
        "engine": engine_report,
        "monitor": monitor,
        "database": conn.execute("select current_database()").fetchone()[0],
        "server_version": version,
        "migrations": {
            "files": len(plan.files),
            "applied": len(plan.files) - len(plan.pending),
            "pending": [item.path.name for item in plan.pending],
            "changed": [item.path.name for item in plan.changed],
            "not_in_folder": plan.unknown_remote,
        },
        "extensions": {name: extensions.get(name) for name in ("pg_cron", "pg_net", "supabase_vault")},
        "cron_jobs": jobs,
        "monitoring": {"tables": monitoring[0], "functions": monitoring[1]},
    }


def problems(report: dict[str, Any]) -> list[str]:
    """Why `status` exits 1, one sentence each: migrations pending or changed, and every failing part of the
    monitor (monitoring.liveness), or pg_cron and the heartbeat on an install that predates it."""
    migrations = report["migrations"]
    found = [f"migration pending: {name}" for name in migrations["pending"]]
    found += [f"migration changed since applied: {name}" for name in migrations["changed"]]
    if report["monitor"] is not None:
        return found + [row["detail"] for row in liveness.failing(report["monitor"])]
    if report["extensions"]["pg_cron"] is None:
        found.append("pg_cron is not installed")
    if report["engine"] and report["engine"]["heartbeat"]["stale"]:
        found.append("the heartbeat is stale: rules are not being evaluated")
    return found


def healthy(report: dict[str, Any]) -> bool:
    return not problems(report)
