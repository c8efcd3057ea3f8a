"""Synthetic telemetry for the access-path test and the benchmarks: a fixed load in the hour before `now` (what the
rules' windows see) plus history spread over the 30 days before that (what they must not pay for)."""

from __future__ import annotations

from datetime import datetime

import psycopg

TABLES = ("public.error_logs", "public.performance_metrics", "public.sms_delivery_log", "public.email_delivery_log")
# Shares of history rows per table (the rest of the product's telemetry is small).
SHARES = {"public.error_logs": 0.40, "public.performance_metrics": 0.50, "public.sms_delivery_log": 0.08,
          "public.email_delivery_log": 0.02}  # fmt: skip

INSERTS = {
    "public.error_logs": "insert into public.error_logs (severity, category, message, function_name, occurred_at)"
    " select (array['info','warning','high','critical'])[1 + (g %% 4)], 'bench', 'e' || g, 'fn' || (g %% 7), {at}"
    " from generate_series(1, %(n)s) g",
    "public.performance_metrics": "insert into public.performance_metrics"
    " (metric_type, metric_name, duration_ms, recorded_at)"
    " select case when g %% 5 = 0 then 'page_load' else 'edge_function' end, 'fn' || (g %% 7),"
    " (random() * 4000)::int, {at} from generate_series(1, %(n)s) g",
    "public.sms_delivery_log": "insert into public.sms_delivery_log (delivery_status, created_at)"
    " select case when g %% 20 = 0 then 'failed' else 'delivered' end, {at} from generate_series(1, %(n)s) g",
    "public.email_delivery_log": "insert into public.email_delivery_log (delivery_status, created_at)"
    " select case when g %% 50 = 0 then 'failed' else 'delivered' end, {at} from generate_series(1, %(n)s) g",
}
IN_WINDOW = "%(now)s::timestamptz - random() * interval '59 minutes'"
IN_HISTORY = "%(now)s::timestamptz - interval '1 hour' - random() * interval '29 days 23 hours'"
WINDOW_ROWS = {"public.error_logs": 800, "public.performance_metrics": 1000, "public.sms_delivery_log": 200,
               "public.email_delivery_log": 100}  # fmt: skip


def noon_today(conn: psycopg.Connection) -> datetime:
    """The "now" the load is built around: noon UTC of today, whatever the clock says. At noon today's partition
    holds eleven hours of history besides the window, as it does for most of a day. Just after midnight it holds
    little more than the window, and the planner rightly reads it whole: a "now" from the clock would make the
    plans, and what the access-path test and the benchmark report, depend on the hour they ran."""
    return conn.execute("select date_trunc('day', now(), 'UTC') + interval '12 hours'").fetchone()[0]


def make_partitions(conn: psycopg.Connection, now: datetime) -> None:
    """Day partitions for the 30 days before `now` (the migration made them from today on)."""
    for table in TABLES:
        conn.execute("select monitoring.ensure_day_partitions(%s::regclass, %s::timestamptz - interval '31 days', %s)",
                     (table, now, now))  # fmt: skip


def load_window(conn: psycopg.Connection, now: datetime) -> int:
    for table, n in WINDOW_ROWS.items():
        conn.execute(INSERTS[table].format(at=IN_WINDOW), {"n": n, "now": now})
    return sum(WINDOW_ROWS.values())


def add_history(conn: psycopg.Connection, now: datetime, rows: int) -> None:
    """`rows` more rows over the 30 days before the window, shared out as SHARES says."""
    for table, share in SHARES.items():
        conn.execute(INSERTS[table].format(at=IN_HISTORY), {"n": int(rows * share), "now": now})


def vacuum_analyze(conn: psycopg.Connection) -> None:
    """As autovacuum would leave a table that stopped growing: visibility map set (index-only scans) and stats."""
    for table in TABLES:
        conn.execute(f"vacuum (analyze) {table}")
