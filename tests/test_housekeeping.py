"""Housekeeping and the system-health API: retention in bounded batches, the seed's cleanup and backup jobs, and
get_system_health() for admins only."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest

from tests.support.engine_helpers import T0, alerts, enabled_metric_rules


def test_retention_deletes_only_old_rows_in_bounded_batches(conn):
    table = "public.gift_card_provisions"  # an ordinary table: batched DELETE (day-partitioned ones drop days)
    conn.execute("update monitoring.retention_policies set batch_size = 100 where table_name = %s", (table,))
    conn.execute(
        f"insert into {table} (status, created_at)"
        " select 'old', %s - interval '91 days' - g * interval '1 second' from generate_series(1, 450) g",
        (T0,),
    )
    conn.execute(
        f"insert into {table} (status, created_at)"
        " select 'recent', %s - interval '89 days' from generate_series(1, 50)",
        (T0,),
    )
    first = conn.execute("select monitoring.apply_retention(%s, 3, %s)", (T0, table)).fetchone()[0]
    assert first == 300  # three batches of 100 at most, then it stops and leaves the rest for the next run
    second = conn.execute("select monitoring.apply_retention(%s, 3, %s)", (T0, table)).fetchone()[0]
    assert second == 150
    left = dict(conn.execute(f"select status, count(*) from {table} group by status").fetchall())
    assert left == {"recent": 50}
    runs = conn.execute(
        "select deleted, batches from monitoring.retention_runs where table_name = %s order by id", (table,)
    ).fetchall()
    assert runs == [(300, 3), (150, 2)]


def test_batched_retention_leaves_day_partitioned_tables_to_partition_drops(conn):
    conn.execute(
        "insert into public.error_logs (severity, message, occurred_at)"
        " values ('high', 'old', %s - interval '40 days')",
        (T0,),
    )
    assert conn.execute("select monitoring.apply_retention(%s, 3, 'public.error_logs')", (T0,)).fetchone()[0] == 0
    assert conn.execute("select count(*) from public.error_logs").fetchone()[0] == 1
    dropped = conn.execute("select rows_deleted from monitoring.maintain_partitions(%s, 'public.error_logs')", (T0,))
    assert dropped.fetchone()[0] == 1  # it sat in the default partition: deleted there, in a batch
    assert conn.execute("select count(*) from public.error_logs").fetchone()[0] == 0


def test_retention_keeps_open_alerts_and_removes_old_resolved_ones(conn):
    conn.execute(
        "insert into public.system_alerts (alert_type, title, severity, status, resolved_at, created_at)"
        " values ('old', 'old resolved', 'info', 'resolved', %s, %s),"
        "        ('open', 'old but open', 'info', 'firing', null, %s)",
        (T0 - timedelta(days=200), T0 - timedelta(days=200), T0 - timedelta(days=400)),
    )
    conn.execute("select monitoring.apply_retention(%s)", (T0,))
    assert [a["title"] for a in alerts(conn, "open")] == ["old but open"]
    assert alerts(conn, "old") == []


def test_seed_cleanup_rate_limit_logs_keeps_a_week(conn):
    conn.execute(
        "insert into public.rate_limit_log (identifier, created_at)"
        " values ('a', now() - interval '8 days'), ('b', now() - interval '6 days')"
    )
    assert conn.execute("select public.cleanup_rate_limit_logs()").fetchone()[0] == 1
    assert conn.execute("select identifier from public.rate_limit_log").fetchall() == [("b",)]


def test_unknown_retention_table_is_refused(conn):
    with pytest.raises(psycopg.errors.NoDataFound, match=r"no retention policy for public\.nope"):
        conn.execute("select monitoring.apply_retention(now(), 1, 'public.nope')")


def test_a_stale_backup_raises_the_backup_stale_alert(conn):
    conn.execute("insert into monitoring.backup_log (finished_at) values (%s)", (T0 - timedelta(days=8),))
    [row] = conn.execute("select state, summary from monitoring.verify_latest_backup(%s)", (T0,)).fetchall()
    assert row[0] == "firing" and "192.0 hour(s) ago" in row[1]
    [alert] = alerts(conn, "backup_stale")
    assert alert["severity"] == "high" and "wal_archived_count" in alert["metadata"]["detail"]


def test_system_health_for_an_admin_matches_what_was_inserted(conn, as_role):
    conn.execute(
        "insert into public.error_logs (severity, message, occurred_at)"
        " select 'high', 'e', %s - interval '10 minutes' from generate_series(1, 12)",
        (T0,),
    )
    conn.execute(
        "insert into public.performance_metrics (metric_type, metric_name, duration_ms, recorded_at)"
        " select 'edge_function', 'send-sms', g * 10, %s - interval '5 minutes' from generate_series(1, 100) g",
        (T0,),
    )
    conn.execute(
        "insert into public.user_sessions (user_id, last_active_at)"
        " select gen_random_uuid(), %s - interval '3 minutes' from generate_series(1, 7)",
        (T0,),
    )
    conn.execute("select monitoring.notify('critical', 't', 'm', 'health')")
    conn.execute("select count(*) from monitoring.evaluate(null, %s)", (T0,))
    with as_role(conn, "admin") as c:
        health = c.execute("select public.get_system_health(%s)", (T0,)).fetchone()[0]
    assert health["errors"]["last_hour"] == 12 and health["errors"]["per_minute"] == 0.2
    assert health["errors"]["by_severity"] == {"high": 12}
    [fn] = health["edge_functions"]
    assert fn["name"] == "send-sms" and fn["calls"] == 100 and fn["p50_ms"] == 505 and fn["p95_ms"] == 950.5
    assert health["active_users_15m"] == 7
    assert health["database"]["limit_gb"] == 10 and health["database"]["size_bytes"] > 0
    assert health["function_calls_today"] == {"count": 100, "limit": 500000}
    assert health["open_alerts"]["critical"] >= 1
    assert health["last_evaluation"]["rules_evaluated"] == len(enabled_metric_rules(conn))
    # notify's 3 (critical, an app's alert: email, Slack, SMS) plus 2 each (High Error Rate: email, Slack) for
    # critical_errors_per_hour and error_rate_percentage, which the 12 errors (12 per 100 requests) set firing
    assert health["notifications"] == {"backlog": 7, "dead": 0}


@pytest.mark.parametrize("kind", ["anon", "user"])
def test_system_health_is_refused_for_anon_and_non_admins(conn, as_role, kind):
    with as_role(conn, kind) as c, pytest.raises(psycopg.errors.InsufficientPrivilege):
        c.execute("select public.get_system_health()")


def test_seed_dashboard_queries_work_for_admins(conn, as_role):
    conn.execute("select monitoring.notify('warning', 'widget', 'm', 'dashboard')")
    conn.execute("insert into public.user_sessions (user_id) values (gen_random_uuid())")
    with as_role(conn, "admin") as c:
        assert c.execute("select count(*) from public.system_alerts where dismissed = false").fetchone()[0] == 1
        assert c.execute("select count(*) from public.user_sessions").fetchone()[0] == 1
