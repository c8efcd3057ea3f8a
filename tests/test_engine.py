"""The rule engine and alert lifecycle, with time passed in, against the real database."""

from __future__ import annotations

import threading
from datetime import timedelta

import psycopg
import pytest

from tests.support.engine_helpers import MIN, T0, add_test_rule, alerts, evaluate, insert_errors, set_value


def test_error_burst_fires_exactly_one_alert_however_many_evaluations(conn):
    insert_errors(conn, T0, 12, severity="critical")
    states = [evaluate(conn, "critical_errors_per_hour", T0 + i * MIN)[0]["state"] for i in range(1, 31)]
    assert states == ["firing"] * 30
    [alert] = alerts(conn, "critical_errors_per_hour")
    assert alert["status"] == "firing"
    assert alert["occurrences"] == 30
    assert alert["created_at"] == T0 + MIN and alert["last_seen_at"] == T0 + 30 * MIN
    assert alert["severity"] == "critical"
    assert alert["message"].startswith("12 critical/high error(s) in the last 1 hour")
    assert alert["metadata"]["value"] == 12 and alert["metadata"]["threshold"] == 5


def test_alert_resolves_once_when_the_burst_leaves_the_window(conn):
    insert_errors(conn, T0, 12)
    evaluate(conn, "critical_errors_per_hour", T0 + MIN)
    # The window is (now - 1 hour, now]: errors logged at T0 leave it at T0 + 60 min.
    after = [evaluate(conn, "critical_errors_per_hour", T0 + (59 + i) * MIN)[0]["state"] for i in range(0, 4)]
    assert after == ["firing", "resolved", "ok", "ok"]
    [alert] = alerts(conn, "critical_errors_per_hour")
    assert alert["status"] == "resolved" and alert["resolved_at"] == T0 + 60 * MIN


def test_value_oscillating_between_the_thresholds_neither_flaps_nor_refires(conn):
    rule = add_test_rule(conn, threshold=5, resolve_threshold=2)
    values = [6, 3, 6, 4, 6, 3, 5, 2.5, 7]
    for i, v in enumerate(values):
        set_value(conn, T0 + i * MIN, v)
    states = [evaluate(conn, rule, T0 + i * MIN)[0]["state"] for i in range(len(values))]
    assert states == ["firing"] * len(values)
    [alert] = alerts(conn, rule)
    assert alert["status"] == "firing" and alert["occurrences"] == 4  # the breaches: 6, 6, 6, 7
    set_value(conn, T0 + 20 * MIN, 2)
    assert evaluate(conn, rule, T0 + 20 * MIN)[0]["state"] == "resolved"
    assert len(alerts(conn, rule)) == 1


def test_evaluations_before_firing_keeps_it_pending_for_two_runs(conn):
    rule = add_test_rule(conn, evaluations_before_firing=3)
    for i in range(4):
        set_value(conn, T0 + i * MIN, 9)
    states = [evaluate(conn, rule, T0 + i * MIN)[0]["state"] for i in range(4)]
    assert states == ["pending", "pending", "firing", "firing"]
    assert len(alerts(conn, rule)) == 1


def test_a_dip_below_the_threshold_restarts_the_pending_count(conn):
    rule = add_test_rule(conn, evaluations_before_firing=3)
    for i, v in enumerate([9, 9, 1, 9, 9, 9]):
        set_value(conn, T0 + i * MIN, v)
    states = [evaluate(conn, rule, T0 + i * MIN)[0]["state"] for i in range(6)]
    assert states == ["pending", "pending", "ok", "pending", "pending", "firing"]


def test_no_data_neither_fires_nor_resolves_by_default(conn):
    rule = add_test_rule(conn, evaluations_before_firing=2)
    set_value(conn, T0, 9)
    set_value(conn, T0 + MIN, None, no_data=True)
    set_value(conn, T0 + 2 * MIN, 9)
    states = [evaluate(conn, rule, T0 + i * MIN)[0]["state"] for i in range(3)]
    assert states == ["pending", "no_data", "firing"]  # the pending count survived the gap
    # An open alert survives no data too, whether reported (no_data flag) or a missing series (no row).
    set_value(conn, T0 + 3 * MIN, None, no_data=True)
    assert [r["state"] for r in evaluate(conn, rule, T0 + 3 * MIN)] == ["no_data"]
    assert [r["state"] for r in evaluate(conn, rule, T0 + 4 * MIN)] == ["no_data"]
    [alert] = alerts(conn, rule)
    assert alert["status"] == "firing" and alert["occurrences"] == 1


def test_no_data_can_be_configured_to_resolve(conn):
    rule = add_test_rule(conn, on_no_data="resolve")
    set_value(conn, T0, 9)
    evaluate(conn, rule, T0)
    assert evaluate(conn, rule, T0 + MIN)[0]["state"] == "resolved"


def test_seed_sms_rule_reports_no_data_when_nothing_was_sent(conn):
    [row] = evaluate(conn, "failed_sms_per_hour", T0)
    assert row["state"] == "no_data" and row["value"] is None
    assert alerts(conn, "failed_sms_per_hour") == []
    conn.execute(
        "insert into public.sms_delivery_log (delivery_status, created_at)"
        " select case when g <= 3 then 'failed' else 'delivered' end, %s from generate_series(1, 10) g",
        (T0,),
    )
    [row] = evaluate(conn, "failed_sms_per_hour", T0 + MIN)
    assert row["state"] == "firing" and row["value"] == 30


def test_seed_performance_rule_uses_the_average_edge_function_duration(conn):
    conn.execute(
        "insert into public.performance_metrics (metric_type, metric_name, duration_ms, recorded_at)"
        " values ('edge_function', 'a', 2000, %s), ('edge_function', 'b', 5000, %s), ('page_load', 'x', 99999, %s)",
        (T0, T0, T0),
    )
    [row] = evaluate(conn, "slow_response_time_ms", T0 + MIN)
    assert row["value"] == 3500 and row["state"] == "firing"


def test_a_rule_that_raises_leaves_the_others_evaluated_and_one_rule_error_alert(conn):
    conn.execute(
        "create function monitoring.metric_broken(p_rule monitoring.rules, p_now timestamptz)"
        " returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)"
        " language plpgsql set search_path = '' as $$ begin return query select 1 / 0, '{}'::jsonb,"
        " '{}'::jsonb, false; end $$"
    )
    conn.execute(
        "insert into monitoring.rules (key, title, metric_function, threshold, severity)"
        " values ('broken_rule', 'Broken', 'metric_broken', 1, 'high')"
    )
    insert_errors(conn, T0, 12)
    for i in range(3):
        rows = {r["rule"]: r for r in evaluate(conn, None, T0 + i * MIN)}
        assert rows["broken_rule"]["state"] == "error"
        assert "division by zero" in rows["broken_rule"]["summary"]
        assert rows["critical_errors_per_hour"]["state"] == "firing"
    others = {state for key, r in rows.items() if key != "broken_rule" for state in [r["state"]]}
    assert others <= {"ok", "no_data", "firing"}  # every other rule was evaluated
    [error_alert] = alerts(conn, "rule_error")
    assert error_alert["status"] == "firing" and error_alert["occurrences"] == 3
    assert "broken_rule" in error_alert["title"] and "division by zero" in error_alert["message"]
    runs = conn.execute("select outcome, sqlstate from monitoring.rule_runs where rule_key = 'broken_rule'").fetchall()
    assert runs == [("error", "22012")] * 3
    heartbeat = conn.execute("select rules_evaluated, rules_failed from monitoring.heartbeat").fetchone()
    assert heartbeat == (len(rows), 1)
    # Fixed: the rule evaluates again and its rule_error alert resolves.
    conn.execute(
        "create or replace function monitoring.metric_broken(p_rule monitoring.rules, p_now timestamptz)"
        " returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)"
        " language sql set search_path = '' as $$ select 0::numeric, '{}'::jsonb, '{}'::jsonb, false $$"
    )
    evaluate(conn, "broken_rule", T0 + 5 * MIN)
    assert alerts(conn, "rule_error")[0]["status"] == "resolved"


def test_full_evaluation_runs_only_due_rules_and_writes_the_heartbeat(conn):
    enabled = conn.execute("select count(*) from monitoring.rules where kind = 'metric' and enabled").fetchone()[0]
    slower = conn.execute(
        "select count(*) from monitoring.rules where kind = 'metric' and enabled and evaluation_interval > '1 minute'"
    ).fetchone()[0]
    assert slower >= 2  # backup_stale (hourly) and database_size_gb (5 minutes)

    def rules_in(rows: list[dict]) -> int:  # a run returns a row per series; a rule has one or more
        return len({r["rule"] for r in rows})

    assert rules_in(evaluate(conn, None, T0)) == enabled
    assert evaluate(conn, None, T0 + 30 * 1000 * MIN / 60000) == []  # 30 s later: nothing due
    assert rules_in(evaluate(conn, None, T0 + MIN)) == enabled - slower
    conn.execute("update monitoring.rules set evaluation_interval = '5 minutes' where key = 'function_calls_per_day'")
    assert rules_in(evaluate(conn, None, T0 + 2 * MIN)) == enabled - slower - 1
    row = conn.execute("select last_evaluated_at, rules_evaluated, rules_failed from monitoring.heartbeat").fetchone()
    assert row == (T0 + 2 * MIN, enabled - slower - 1, 0)


def test_two_concurrent_evaluations_produce_one_alert(db):
    setup = psycopg.connect(db, autocommit=True)
    insert_errors(setup, T0, 12)
    first = psycopg.connect(db)
    second = psycopg.connect(db)
    evaluate(first, "critical_errors_per_hour", T0 + MIN)  # holds the rule's lock until commit
    result: dict = {}

    def run_second():  # a moment later, as pg_cron's run and a DBA's would be
        result["rows"] = evaluate(second, "critical_errors_per_hour", T0 + MIN + timedelta(seconds=1))
        second.commit()

    thread = threading.Thread(target=run_second)
    thread.start()
    thread.join(timeout=1)
    assert thread.is_alive(), "the second evaluation must wait for the first one's lock"
    first.commit()
    thread.join(timeout=30)
    [alert] = alerts(setup, "critical_errors_per_hour")
    assert alert["occurrences"] == 2
    assert result["rows"][0]["state"] == "firing"
    for c in (setup, first, second):
        c.close()


def test_acknowledged_alert_stays_open_until_resolved(conn):
    insert_errors(conn, T0, 12)
    [row] = evaluate(conn, "critical_errors_per_hour", T0 + MIN)
    conn.execute("select monitoring.acknowledge_alert(%s, 'alice')", (row["alert_id"],))
    assert evaluate(conn, "critical_errors_per_hour", T0 + 2 * MIN)[0]["state"] == "acknowledged"
    [alert] = alerts(conn, "critical_errors_per_hour")
    assert alert["status"] == "acknowledged" and alert["occurrences"] == 2
    assert evaluate(conn, "critical_errors_per_hour", T0 + 62 * MIN)[0]["state"] == "resolved"
    assert conn.execute("select acknowledged_by, dismissed from public.system_alerts").fetchone() == ("alice", True)


def test_manual_resolve_reopens_if_the_condition_persists(conn):
    insert_errors(conn, T0, 12)
    [row] = evaluate(conn, "critical_errors_per_hour", T0 + MIN)
    conn.execute("select monitoring.resolve_alert(%s, 'bob')", (row["alert_id"],))
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="already resolved"):
        conn.execute("select monitoring.acknowledge_alert(%s)", (row["alert_id"],))
    assert evaluate(conn, "critical_errors_per_hour", T0 + 2 * MIN)[0]["state"] == "firing"
    assert [a["status"] for a in alerts(conn, "critical_errors_per_hour")] == ["resolved", "firing"]


def test_seed_function_names_work_and_return_rows(conn):
    now = conn.execute("select now()").fetchone()[0]
    insert_errors(conn, now, 7, severity="critical")
    rows = conn.execute("select rule, value, threshold, state from public.check_error_rate_threshold()")
    assert rows.fetchall() == [("critical_errors_per_hour", 7, 5, "firing")]
    assert conn.execute("select rule, state from public.check_performance_degradation()").fetchall() == [
        ("slow_response_time_ms", "no_data")
    ]
    assert conn.execute("select rule, state from public.check_sms_delivery_failures()").fetchall() == [
        ("failed_sms_per_hour", "no_data")
    ]
    [(count, per_minute, minutes)] = conn.execute("select * from public.get_error_rate(60, %s)", (now,)).fetchall()
    assert (count, float(per_minute), minutes) == (7, round(7 / 60, 3), 60)


def test_unknown_and_disabled_rules_are_reported(conn):
    with pytest.raises(psycopg.errors.NoDataFound, match="unknown rule 'nope'"):
        evaluate(conn, "nope", T0)
    conn.execute("update monitoring.rules set enabled = false where key = 'bandwidth_gb_per_month'")
    [row] = evaluate(conn, "bandwidth_gb_per_month", T0)
    assert row["state"] == "disabled"


@pytest.mark.parametrize(
    ("statement", "column"),
    [
        ("update monitoring.rules set time_window = '-1 hour' where key = 'high_errors_per_hour'", "time_window"),
        ("update monitoring.rules set severity = 'urgent' where key = 'high_errors_per_hour'", "severity"),
        (
            "update monitoring.rules set metric_function = 'metric_nope' where key = 'high_errors_per_hour'",
            "metric_function",
        ),
        ("update monitoring.rules set comparison = '~' where key = 'high_errors_per_hour'", "comparison"),
        ("update monitoring.rules set resolve_threshold = 50 where key = 'high_errors_per_hour'", "resolve_threshold"),
        (
            "update monitoring.rules set evaluations_before_firing = 0 where key = 'high_errors_per_hour'",
            "evaluations_before_firing",
        ),
        (
            "update monitoring.rules set metric_function = 'describe_interval' where key = 'high_errors_per_hour'",
            "metric_function",
        ),
    ],
)
def test_rule_constraints_reject_nonsense_naming_the_column(conn, statement, column):
    # severity is a reference to monitoring.severities, the rest are CHECKs
    with pytest.raises((psycopg.errors.CheckViolation, psycopg.errors.ForeignKeyViolation)) as caught:
        conn.execute(statement)
    named = (caught.value.diag.column_name or "") + (caught.value.diag.constraint_name or "")
    assert column in named, str(caught.value)


def test_the_engine_rules_are_installed_and_only_monitor_down_is_off_in_tests(conn):
    # Every rule's threshold: tests/test_rule_files.py (the rule files, the seed's values, the installed rows).
    engine_rules = [r[0] for r in conn.execute("select key from monitoring.rules where kind = 'engine' order by 1")]
    assert engine_rules == ["monitor_down", "notification_dead", "rule_error"]
    # The harness disables monitor_down in its template: pg_cron serves only CRON_DB, so clones are never healthy.
    assert conn.execute("select key from monitoring.rules where not enabled").fetchall() == [("monitor_down",)]


def test_cron_jobs_exist_with_their_schedules(conn):
    jobs = dict(conn.execute("select jobname, schedule from cron.job").fetchall())
    assert jobs == {
        "supalert-evaluate": "* * * * *",
        "supalert-cleanup-cron-history": "17 3 * * *",
        "supalert-daily-digest": "0 8 * * *",
        "supalert-retention": "*/10 * * * *",
        "supalert-cleanup-rate-limits": "0 2 * * *",  # the seed's cleanup-rate-limits-daily
        "supalert-verify-backup": "0 1 * * 0",  # the seed's verify-backup-weekly
        "supalert-partitions": "7 * * * *",
    }


def observe(conn, key: str, firing: bool, at, labels: str = '{"channel": "email"}'):
    return conn.execute(
        'select monitoring.observe_engine_rule(%s, %s::jsonb, %s, \'{"summary": "s"}\'::jsonb, %s)',
        (key, labels, firing, at),
    ).fetchone()[0]


def test_an_engine_rule_opens_once_resolves_even_when_disabled_and_clearing_nothing_writes_nothing(conn):
    def writes() -> tuple[int, int]:
        return conn.execute(
            "select (select count(*) from public.system_alerts where alert_type = 'notification_dead'),"
            " (select count(*) from monitoring.rule_state where rule_key = 'notification_dead')"
        ).fetchone()

    assert observe(conn, "notification_dead", False, T0) is None
    assert writes() == (0, 0)  # a delivery that works, with nothing dead: no lock, no row
    opened = observe(conn, "notification_dead", True, T0)
    assert observe(conn, "notification_dead", True, T0 + MIN) == opened  # bumped, not a second alert
    conn.execute("update monitoring.rules set enabled = false where key = 'notification_dead'")
    assert observe(conn, "notification_dead", True, T0 + 2 * MIN, labels='{"channel": "sms"}') is None
    assert observe(conn, "notification_dead", False, T0 + 3 * MIN) == opened
    status = conn.execute("select status from public.system_alerts where id = %s", (opened,)).fetchone()[0]
    assert status == "resolved"
    assert writes() == (1, 1)


def test_observing_a_rule_that_is_not_an_engine_rule_names_it(conn):
    with pytest.raises(psycopg.errors.NoDataFound, match="engine rule 'high_errors_per_hour' does not exist"):
        observe(conn, "high_errors_per_hour", True, T0)


def test_the_engines_written_out_fingerprint_is_monitoring_fingerprint(conn):
    # evaluate_rule computes md5(labels::text) inline for speed; apply_observation stores monitoring.fingerprint.
    # Were they different, no stored series would be found again: every evaluation would rewrite every series.
    conn.execute(
        "insert into public.client_credits (client_id, client_name, balance, updated_at)"
        " select gen_random_uuid(), 'client ' || c, 5 + c, %s from generate_series(1, 5) as c",
        (T0 - MIN,),
    )
    conn.execute("update monitoring.rules set enabled = true where key = 'low_credit_balance'")
    evaluate(conn, "low_credit_balance", T0)
    rows = conn.execute("select fingerprint, monitoring.fingerprint(labels) from monitoring.rule_state"
                        " where rule_key = 'low_credit_balance'").fetchall()  # fmt: skip
    assert len(rows) == 5 and all(stored == expected for stored, expected in rows)
    written = conn.execute("select max(written_at) from monitoring.rule_state").fetchone()[0]
    assert {r["state"] for r in evaluate(conn, "low_credit_balance", T0 + MIN)} == {"firing"}
    assert conn.execute("select max(written_at) from monitoring.rule_state").fetchone()[0] == written
