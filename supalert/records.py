"""Readings SQL cannot make itself, recorded from outside: usage samples (bandwidth) and backups."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation

import psycopg

from supalert.errors import SupalertError

METRIC = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
BACKUP_KINDS = ("full", "incremental", "wal", "pitr", "logical")


def record_usage(conn: psycopg.Connection, metric: str, value: str, at: datetime | None) -> dict:
    if not METRIC.match(metric):
        raise SupalertError(f"metric name {metric!r} is not allowed", "use lower-case letters, digits and _, e.g. "
                            "bandwidth_gb_month")  # fmt: skip
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise SupalertError(f"value {value!r} is not a number", "give a plain number, e.g. 12.5") from None
    if not number.is_finite() or number < 0:
        raise SupalertError(f"value {value!r} must be a finite number of 0 or more")
    row = conn.execute(
        "insert into monitoring.usage_samples (metric, value, sampled_at) values (%s, %s, coalesce(%s, now()))"
        " returning id, sampled_at",
        (metric, number, at),
    ).fetchone()
    return {"id": row[0], "metric": metric, "value": number, "sampled_at": row[1]}


def record_backup(
    conn: psycopg.Connection, kind: str, finished_at: datetime | None, verified: bool, location: str | None
) -> dict:
    if kind not in BACKUP_KINDS:
        raise SupalertError(f"backup kind {kind!r} is not known", f"use one of {', '.join(BACKUP_KINDS)}")
    # Checked against the database's clock before anything is written (a client's clock may be off).
    if (
        finished_at is not None
        and conn.execute("select %s > now() + interval '5 minutes'", (finished_at,)).fetchone()[0]
    ):
        raise SupalertError(f"--finished-at {finished_at} is in the future", "give the time the backup finished")
    row = conn.execute(
        "insert into monitoring.backup_log (kind, finished_at, verified, location)"
        " values (%s, coalesce(%s, now()), %s, %s) returning id, finished_at",
        (kind, finished_at, verified, location),
    ).fetchone()
    return {"id": row[0], "kind": kind, "finished_at": row[1], "verified": verified}
