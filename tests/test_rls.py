"""Who can read and write the public tables, checked by switching roles as PostgREST would."""

from __future__ import annotations

import uuid

import psycopg
import pytest

TELEMETRY = ("error_logs", "performance_metrics", "sms_delivery_log", "user_sessions")


@pytest.fixture
def seeded(conn):
    """One alert and one row in every telemetry table, written by the owner (as the server would)."""
    other_user = str(uuid.uuid4())
    conn.execute(
        "insert into public.system_alerts (alert_type, title, message, severity) "
        "values ('high_error_rate', 'High Error Rate Detected', 'Detected 9 errors', 'critical')"
    )
    conn.execute(
        "insert into public.error_logs (severity, message, user_id) values ('high', 'boom', %s)",
        (other_user,),
    )
    conn.execute(
        "insert into public.performance_metrics (metric_type, metric_name, duration_ms, user_id)"
        " values ('edge_function', 'send-sms', 120, %s)",
        (other_user,),
    )
    conn.execute("insert into public.sms_delivery_log (delivery_status) values ('failed')")
    conn.execute("insert into public.user_sessions (user_id) values (%s)", (other_user,))
    return conn


@pytest.mark.parametrize("kind", ["anon", "user"])
def test_anon_and_non_admin_users_read_no_alerts(seeded, as_role, kind):
    with as_role(seeded, kind) as conn:
        if kind == "anon":
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("select * from public.system_alerts")
        else:
            assert conn.execute("select count(*) from public.system_alerts").fetchone()[0] == 0


def test_admin_reads_alerts_with_the_seed_dashboard_query(seeded, as_role):
    with as_role(seeded, "admin") as conn:
        rows = conn.execute(
            "select title, severity from public.system_alerts where dismissed = false order by created_at desc limit 10"
        ).fetchall()
    assert rows == [("High Error Rate Detected", "critical")]


def test_admin_roles_are_data(seeded, as_role):
    seeded.execute("update monitoring.settings set admin_roles = '{ops}'")
    with as_role(seeded, "admin") as conn:
        assert conn.execute("select count(*) from public.system_alerts").fetchone()[0] == 0


@pytest.mark.parametrize("table", TELEMETRY)
def test_telemetry_hidden_from_anon_and_other_users_visible_to_admin(seeded, as_role, table):
    with as_role(seeded, "anon") as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(f"select * from public.{table}")
    with as_role(seeded, "user") as conn:
        assert conn.execute(f"select count(*) from public.{table}").fetchone()[0] == 0
    with as_role(seeded, "admin") as conn:
        assert conn.execute(f"select count(*) from public.{table}").fetchone()[0] == 1


def test_service_role_reads_everything(seeded, as_role):
    with as_role(seeded, "service_role") as conn:
        assert conn.execute("select count(*) from public.system_alerts").fetchone()[0] == 1


def test_users_insert_their_own_errors_and_page_loads_only(conn, as_role):
    me = str(uuid.uuid4())
    with as_role(conn, "user", me) as c:
        c.execute("insert into public.error_logs (severity, message) values ('high', 'client crash')")
        c.execute(
            "insert into public.performance_metrics (metric_type, metric_name, duration_ms)"
            " values ('page_load', 'dashboard_load', 812)"
        )
        c.execute("insert into public.user_sessions default values")
        assert c.execute("select user_id::text from public.user_sessions").fetchone()[0] == me
    for statement in (
        "insert into public.error_logs (severity, message, user_id) values ('high', 'forged', gen_random_uuid())",
        "insert into public.performance_metrics (metric_type, metric_name, duration_ms)"
        " values ('edge_function', 'forged', 1)",
        "insert into public.user_sessions (user_id) values (gen_random_uuid())",
    ):
        with as_role(conn, "user", me) as c, pytest.raises(psycopg.errors.InsufficientPrivilege):
            c.execute(statement)
    for statement in (
        "insert into public.sms_delivery_log (delivery_status) values ('sent')",
        "insert into public.system_alerts (alert_type, title, severity) values ('x', 'forged', 'info')",
    ):
        with as_role(conn, "user", me) as c, pytest.raises(psycopg.errors.InsufficientPrivilege):
            c.execute(statement)
    with as_role(conn, "anon") as c, pytest.raises(psycopg.errors.InsufficientPrivilege):
        c.execute("insert into public.error_logs (severity, message) values ('high', 'anon')")


def test_dismissed_and_is_read_follow_the_lifecycle(conn):
    alert_id = conn.execute(
        "insert into public.system_alerts (alert_type, title, severity) values ('t', 'T', 'high') returning id"
    ).fetchone()[0]

    def flags():
        return conn.execute(
            "select status, dismissed, is_read, acknowledged_at is not null from public.system_alerts where id = %s",
            (alert_id,),
        ).fetchone()

    assert flags() == ("firing", False, False, False)
    conn.execute("update public.system_alerts set dismissed = true where id = %s", (alert_id,))
    assert flags() == ("acknowledged", True, True, True)
    conn.execute("update public.system_alerts set is_read = false where id = %s", (alert_id,))
    assert flags() == ("firing", False, False, False)
    conn.execute("update public.system_alerts set status = 'resolved', resolved_at = now() where id = %s", (alert_id,))
    assert flags()[:3] == ("resolved", True, True)
    with pytest.raises(psycopg.errors.CheckViolation):
        conn.execute(
            "update public.system_alerts set status = 'resolved', resolved_at = null where id = %s",
            (alert_id,),
        )


def test_constraints_reject_unknown_alert_severity(conn):
    # Alerts are supalert's own and use its four severities; telemetry keeps the app's words
    # (tests/test_existing_app_tables.py).
    with pytest.raises(psycopg.errors.ForeignKeyViolation, match="system_alerts_severity_known"):
        conn.execute("insert into public.system_alerts (alert_type, title, severity) values ('t', 'T', 'medium')")


def test_every_public_table_has_rls(conn):
    missing = conn.execute(
        "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
        " where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relrowsecurity"
    ).fetchall()
    assert missing == []
