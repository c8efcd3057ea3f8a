"""Every rule reads only its window: on a million and a half telemetry rows over 30 days, no plan of a full
evaluation (nested statements in the metric functions included) or of the system-health view scans a telemetry
table or partition sequentially, and none opens a partition outside the window. Plans come from auto_explain,
opened partitions from the locks the transaction holds; nothing here is timed."""

from __future__ import annotations

import pytest

from tests.support.plan_check import seq_scans, telemetry_seq_scans
from tests.support.telemetry_data import add_history, load_window, make_partitions, noon_today, vacuum_analyze


def partitions_opened(conn, statement: str, params: tuple) -> dict[str, list[str]]:
    """The telemetry partitions `statement` locked, by table. Planning and executing a query lock every partition
    its plan holds (a generic plan holds them all; a custom plan holds only those left after pruning), and the locks
    last until the transaction ends."""
    with conn.transaction():
        conn.execute(statement, params).fetchall()
        rows = conn.execute(
            "select c.relname from pg_catalog.pg_locks as l join pg_catalog.pg_class as c on c.oid = l.relation"
            " where l.pid = pg_catalog.pg_backend_pid() and c.relnamespace = 'supalert_partitions'::regnamespace"
            " and c.relkind = 'r' order by 1"
        ).fetchall()
    opened: dict[str, list[str]] = {}
    for (name,) in rows:
        opened.setdefault(name.rsplit("_", 1)[0], []).append(name)
    return opened


@pytest.mark.slow
def test_no_rule_and_no_health_query_scans_a_telemetry_table_sequentially(conn):
    now = noon_today(conn)
    make_partitions(conn, now)
    load_window(conn, now)
    add_history(conn, now, 1_500_000)
    vacuum_analyze(conn)
    assert conn.execute("select count(*) from public.error_logs").fetchone()[0] > 600_000
    # The check itself works: a query that must read everything is caught, with a filter or without one.
    for query in ("select count(*) from public.error_logs where message like 'x%%'",
                  "select count(*) from public.error_logs"):  # fmt: skip
        caught = seq_scans(conn, query)
        assert len([r for r in caught if r.startswith("error_logs_")]) >= 29, query  # one per day with rows
    for minute in (1, 2):  # the first run also rolls up today's closed hours of function calls
        statement = "select * from monitoring.evaluate(null, %s::timestamptz + make_interval(mins => %s))"
        assert telemetry_seq_scans(conn, statement, (now, minute)) == [], f"evaluation run {minute}"
    ran = {k for (k,) in conn.execute("select distinct rule_key from monitoring.rule_runs")}
    metric_rules = {k for (k,) in conn.execute(
        "select key from monitoring.rules where enabled and metric_function is not null")}  # fmt: skip
    assert ran == metric_rules
    assert telemetry_seq_scans(conn, "select monitoring.system_health(%s)", (now,)) == []
    # Only the window's day is opened (pg_cron's fresh session would otherwise load all 40 partitions of each table).
    # Minute 3's run has no hours to roll up, as every run but the first in an hour.
    today = f"_{now:%Y%m%d}"
    for statement in ("select * from monitoring.evaluate(null, %s::timestamptz + interval '3 minutes')",
                      "select monitoring.system_health(%s)"):  # fmt: skip
        opened = partitions_opened(conn, statement, (now,))
        assert opened and all(names == [table + today] for table, names in opened.items()), (statement, opened)
