"""Who may run the engine and the people functions: switching roles as PostgREST would."""

from __future__ import annotations

import psycopg
import pytest

from tests.support.engine_helpers import T0, evaluate, insert_errors

ADMIN_CALLS = [
    "select * from monitoring.evaluate('critical_errors_per_hour')",
    "select * from public.check_error_rate_threshold()",
    "select * from public.check_performance_degradation()",
    "select * from public.check_sms_delivery_failures()",
    "select * from public.get_error_rate(60)",
    "select * from monitoring.create_silence('high_errors_per_hour', null, '{}', '1 hour', 'maintenance')",
]


@pytest.mark.parametrize("call", ADMIN_CALLS)
def test_anon_cannot_execute_admin_functions(conn, as_role, call):
    with as_role(conn, "anon") as c, pytest.raises(psycopg.errors.InsufficientPrivilege):
        c.execute(call)


@pytest.mark.parametrize("call", ADMIN_CALLS)
def test_signed_in_non_admin_is_refused_by_the_admin_check(conn, as_role, call):
    with as_role(conn, "user") as c, pytest.raises(psycopg.errors.InsufficientPrivilege, match="admins only"):
        c.execute(call)


def test_admin_dismisses_an_alert_from_the_dashboard(conn, as_role):
    insert_errors(conn, T0, 12)
    [row] = evaluate(conn, "critical_errors_per_hour", T0)
    with as_role(conn, "user") as c, pytest.raises(psycopg.errors.InsufficientPrivilege):
        c.execute("select public.dismiss_alert(%s)", (row["alert_id"],))
    with as_role(conn, "admin") as c:
        assert c.execute("select public.dismiss_alert(%s)", (row["alert_id"],)).fetchone() == (True,)
        assert c.execute("select status, dismissed from public.system_alerts").fetchone() == ("acknowledged", True)


INTERNAL = [
    "monitoring.apply_observation(monitoring.rules, jsonb, numeric, jsonb, boolean, timestamptz)",
    "monitoring.evaluate_rule(monitoring.rules, timestamptz)",
    "monitoring.breaches(numeric, text, numeric)",
    "monitoring.metric_error_count(monitoring.rules, timestamptz)",
    "monitoring.require_columns(text, text[])",
]


@pytest.mark.parametrize("function", INTERNAL)
@pytest.mark.parametrize("role", ["anon", "authenticated"])
def test_engine_internals_are_not_executable_by_api_roles(conn, function, role):
    assert conn.execute("select has_function_privilege(%s, %s, 'execute')", (role, function)).fetchone() == (False,)


def test_every_supalert_function_pins_an_empty_search_path(conn):
    loose = conn.execute(
        """
        select p.oid::regprocedure::text
          from pg_proc p join pg_namespace n on n.oid = p.pronamespace
         where n.nspname in ('public', 'monitoring')
           and not exists (select from pg_depend d where d.objid = p.oid and d.deptype = 'e')
           and not coalesce('search_path=""' = any (p.proconfig), false)
        """
    ).fetchall()
    assert loose == []


def test_no_monitoring_function_is_executable_by_public(conn):
    open_to_public = conn.execute(
        """
        select p.oid::regprocedure::text
          from pg_proc p join pg_namespace n on n.oid = p.pronamespace
         where n.nspname in ('public', 'monitoring')
           and not exists (select from pg_depend d where d.objid = p.oid and d.deptype = 'e')
           and exists (select from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                        where a.grantee = 0 and a.privilege_type = 'EXECUTE')
        """
    ).fetchall()
    assert open_to_public == []


def test_a_missing_settings_row_never_lets_api_callers_through(conn, as_role):
    conn.execute("delete from monitoring.settings")
    with as_role(conn, "admin") as c, pytest.raises(psycopg.errors.InsufficientPrivilege):
        c.execute("select * from public.check_error_rate_threshold()")
