"""Is the monitor alive? The CLI's side of monitoring.liveness (the one answer, in SQL), the dispatch job that
pg_cron runs through pg_net (monitoring.ensure_dispatch_job), and the two jobs' schedules."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import psycopg

from supalert.db import fetch_dicts
from supalert.durations import parse_duration
from supalert.errors import SupalertError

CRON_FIELDS = re.compile(r"^\S+(\s+\S+){4}$")


def installed(conn: psycopg.Connection) -> bool:
    return conn.execute("select to_regprocedure('monitoring.liveness(timestamptz, interval)') is not null").fetchone()[
        0
    ]


def check(conn: psycopg.Connection, stale_after: timedelta | None = None) -> list[dict[str, Any]]:
    """monitoring.liveness's rows: component, status (ok | warn | fail), detail, fix, age_seconds."""
    return fetch_dicts(conn, "select * from monitoring.liveness(now(), %s)", (stale_after,))


def failing(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [row for row in rows if row["status"] == "fail"]


def ensure_dispatch(conn: psycopg.Connection) -> list[str]:
    """Create pg_net where this role may, schedule supalert-dispatch where nothing is missing; what happened, in
    sentences (each names what is missing and how to add it)."""
    if not conn.execute("select to_regprocedure('monitoring.ensure_dispatch_job()') is not null").fetchone()[0]:
        return []
    with conn.transaction():
        note = conn.execute("select monitoring.enable_pg_net()").fetchone()[0]
        outcome = conn.execute("select monitoring.ensure_dispatch_job()").fetchone()[0]
    return [line for line in (note, outcome) if line]


def cron_schedule(text: str) -> str:
    """'10s' -> '10 seconds', '1m' -> '* * * * *', '5m' -> '*/5 * * * *', '1h' -> '0 * * * *'; a five-field cron
    schedule passes as it is. Anything else is a clear error."""
    if CRON_FIELDS.match(text.strip()):
        return " ".join(text.split())
    seconds = int(parse_duration(text).total_seconds())
    if seconds < 60:
        return f"{seconds} seconds"
    if seconds % 3600 == 0 and seconds // 3600 in (1, 2, 3, 4, 6, 8, 12):
        return "0 * * * *" if seconds == 3600 else f"0 */{seconds // 3600} * * *"
    if seconds % 60 == 0 and 60 % (seconds // 60) == 0:
        return "* * * * *" if seconds == 60 else f"*/{seconds // 60} * * * *"
    raise SupalertError(
        f"every {text} is not a step pg_cron can keep",
        "use 1-59 seconds, minutes that divide an hour (1m, 5m, 15m), hours that divide a day, or a cron schedule",
    )


def set_schedules(conn: psycopg.Connection, evaluate: str | None, dispatch: str | None) -> list[dict[str, Any]]:
    """Store and apply the schedules of supalert-evaluate and supalert-dispatch; the two jobs' schedules after."""
    try:
        with conn.transaction():
            return fetch_dicts(
                conn,
                "select * from monitoring.set_schedules(%s, %s)",
                (evaluate and cron_schedule(evaluate), dispatch and cron_schedule(dispatch)),
            )
    except (psycopg.errors.FeatureNotSupported, psycopg.errors.InvalidParameterValue,
            psycopg.errors.ObjectNotInPrerequisiteState) as exc:  # fmt: skip
        raise SupalertError(exc.diag.message_primary or str(exc), exc.diag.message_hint) from None
