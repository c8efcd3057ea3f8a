"""Every rule, with time passed in: fires above its threshold, resolves and stays quiet below it, and reports no
data on an empty source. The low_credit_balance rule keeps one alert per client."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from supalert.paths import project_root
from supalert.rules import stems
from tests.support.engine_helpers import MIN, T0, alerts, evaluate

LATER = T0 + timedelta(days=3)  # every window (at most 2 days of staleness) has moved past T0's data


def usage(conn, at, value):
    conn.execute(
        "insert into monitoring.usage_samples (metric, value, sampled_at) values ('bandwidth_gb_month', %s, %s)",
        (value, at),
    )


# Each rule file's [test] case: SQL that breaches the rule, and SQL that does not (rules/<key>.md).
RULES = {rule.key: rule for rule in stems.rule_files(project_root()) if "breach" in rule.test}


def test_every_enabled_rule_has_a_case_here(conn):
    enabled = {k for (k,) in conn.execute("select key from monitoring.rules where kind = 'metric' and enabled")}
    # The rest name their own tests (covered_by), which tests/test_rule_files.py proves exist.
    covered = {rule.key for rule in stems.rule_files(project_root()) if "covered_by" in rule.test} & enabled
    assert enabled - set(RULES) == covered
    assert {"database_size_gb", "low_credit_balance", "cron_job_failed_runs"} <= covered


@pytest.mark.parametrize("rule", sorted(RULES))
def test_rule_reports_no_data_fires_resolves_and_stays_quiet(conn, rule):
    case = RULES[rule]
    [empty] = evaluate(conn, rule, T0 - MIN)
    assert empty["state"] == "no_data", empty
    conn.execute(case.feed("breach", T0.isoformat()))
    [fired] = evaluate(conn, rule, T0 + MIN)
    assert fired["state"] == "firing", fired
    conn.execute(case.feed("calm", (LATER - MIN).isoformat()))
    [resolved] = evaluate(conn, rule, LATER)
    assert resolved["state"] == "resolved", resolved
    [quiet] = evaluate(conn, rule, LATER + MIN)
    assert quiet["state"] == "ok", quiet
    [alert] = alerts(conn, rule)
    assert alert["status"] == "resolved" and alert["resolved_at"] == LATER


def test_database_size_fires_above_its_threshold_and_resolves_below(conn):
    # A test database is megabytes, so the threshold moves instead of the size (thresholds are data).
    assert evaluate(conn, "database_size_gb", T0)[0]["state"] == "ok"
    conn.execute("update monitoring.rules set threshold = 0.001 where key = 'database_size_gb'")
    assert evaluate(conn, "database_size_gb", T0 + MIN)[0]["state"] == "firing"
    conn.execute("update monitoring.rules set threshold = 8 where key = 'database_size_gb'")
    assert evaluate(conn, "database_size_gb", T0 + 2 * MIN)[0]["state"] == "resolved"


def test_stale_usage_sample_is_no_data(conn):
    usage(conn, T0, 45)
    assert evaluate(conn, "bandwidth_gb_per_month", T0 + timedelta(days=3))[0]["state"] == "no_data"


def test_low_credit_balance_keeps_one_alert_per_client(conn):
    assert evaluate(conn, "low_credit_balance", T0)[0]["state"] == "no_data"
    a, b, c = (str(uuid.uuid4()) for _ in range(3))
    conn.execute(
        "insert into public.client_credits (client_id, client_name, balance, updated_at)"
        " values (%s, 'Acme', 50, %s), (%s, 'Globex', 500, %s)",
        (a, T0, b, T0),
    )
    states = {r["labels"]["client_id"]: r["state"] for r in evaluate(conn, "low_credit_balance", T0 + MIN)}
    assert states == {a: "firing", b: "ok"}
    conn.execute("insert into public.client_credits (client_id, balance, updated_at) values (%s, 20, %s)", (c, T0))
    for i in range(2, 5):
        evaluate(conn, "low_credit_balance", T0 + i * MIN)
    open_alerts = [x for x in alerts(conn, "low_credit_balance") if x["status"] == "firing"]
    assert len(open_alerts) == 2
    assert sorted(x["occurrences"] for x in open_alerts) == [3, 4]
    assert any("Acme" in x["message"] for x in open_alerts)
    conn.execute("update public.client_credits set balance = 150 where client_id = %s", (a,))
    states = {r["labels"]["client_id"]: r["state"] for r in evaluate(conn, "low_credit_balance", T0 + 6 * MIN)}
    assert states == {a: "resolved", b: "ok", c: "firing"}
    conn.execute("delete from public.client_credits where client_id = %s", (c,))
    rows = evaluate(conn, "low_credit_balance", T0 + 7 * MIN)
    assert {r["labels"].get("client_id"): r["state"] for r in rows} == {a: "ok", b: "ok", c: "resolved"}
    assert [x["status"] for x in alerts(conn, "low_credit_balance")] == ["resolved", "resolved"]


@pytest.mark.parametrize("comparison", [">", ">=", "<", "<="])
def test_client_credit_builds_its_detail_exactly_where_monitoring_breaches_says_past_the_resolve_threshold(
    conn, comparison
):
    # metric_client_credit writes the comparison out (a call per client would cost what the skipped detail saves);
    # monitoring.breaches is its one definition.
    conn.execute(
        "insert into public.client_credits (client_id, client_name, balance, updated_at)"
        " select gen_random_uuid(), 'client ' || b, b, %s from generate_series(70, 130, 5) as b",
        (T0,),
    )
    conn.execute(
        "update monitoring.rules set comparison = %s, threshold = 100, resolve_threshold = %s"
        " where key = 'low_credit_balance'",
        (comparison, 120 if comparison.startswith("<") else 80),  # on the safe side of the threshold
    )
    rows = conn.execute(
        "select m.value, m.detail is not null, monitoring.breaches(m.value, r.comparison, r.resolve_threshold)"
        " from monitoring.rules r cross join lateral monitoring.metric_client_credit(r, %s) m"
        " where r.key = 'low_credit_balance'",
        (T0 + MIN,),
    ).fetchall()
    assert len(rows) == 13
    assert [(value, built) for value, built, _ in rows] == [(value, past) for value, _, past in rows]
    assert {past for _, _, past in rows} == {True, False}


def test_duration_rules_can_use_p95_instead_of_the_average(conn):
    conn.execute(
        "insert into public.performance_metrics (metric_type, metric_name, duration_ms, recorded_at)"
        " select 'edge_function', 'f', case when g <= 90 then 100 else 20000 end, %s from generate_series(1, 100) g",
        (T0,),
    )
    [avg] = evaluate(conn, "very_slow_response_time_ms", T0 + MIN)
    assert avg["value"] == 2090 and avg["state"] == "ok"  # the average hides the slow tail
    conn.execute(
        "update monitoring.rules set params = params || %s::jsonb where key = 'very_slow_response_time_ms'",
        ('{"aggregate": "p95"}',),
    )
    [p95] = evaluate(conn, "very_slow_response_time_ms", T0 + 2 * MIN)
    assert p95["value"] == 20000 and p95["state"] == "firing"
    conn.execute("update monitoring.rules set params = '{\"aggregate\": \"p99\"}' where key = 'slow_response_time_ms'")
    [bad] = evaluate(conn, "slow_response_time_ms", T0 + 2 * MIN)
    assert bad["state"] == "error" and "params.aggregate must be avg or p95" in bad["summary"]


def test_an_average_whose_window_empties_after_firing_resolves_once_saying_so(conn):
    timings = RULES["slow_response_time_ms"]
    conn.execute(timings.feed("breach", T0.isoformat()))
    assert evaluate(conn, "slow_response_time_ms", T0 + MIN)[0]["state"] == "firing"
    assert evaluate(conn, "slow_response_time_ms", T0 + 30 * MIN)[0]["state"] == "firing"  # still in the window
    [ended] = evaluate(conn, "slow_response_time_ms", T0 + 61 * MIN)  # the calls stopped: the window is empty
    assert ended["state"] == "resolved", ended
    assert [e["state"] for e in (evaluate(conn, "slow_response_time_ms", T0 + m * MIN)[0] for m in (62, 63))] == [
        "no_data", "no_data"]  # fmt: skip
    [alert] = alerts(conn, "slow_response_time_ms")
    assert alert["status"] == "resolved" and alert["resolved_at"] == T0 + 61 * MIN
    assert alert["message"].startswith("no data in the window: no edge_function timings in the last 1 hour")
    events = conn.execute(
        "select n.event, count(*) from monitoring.notifications n join public.system_alerts a on a.id = n.alert_id"
        " where a.alert_type = 'slow_response_time_ms' group by 1 order by 1"
    ).fetchall()
    assert events == [("firing", 2), ("resolved", 2)]  # high: email and Slack, once each way


def test_keep_still_keeps_an_alert_open_when_its_window_empties(conn):
    conn.execute("update monitoring.rules set on_no_data = 'keep' where key = 'failed_sms_per_hour'")
    conn.execute(RULES["failed_sms_per_hour"].feed("breach", T0.isoformat()))
    assert evaluate(conn, "failed_sms_per_hour", T0 + MIN)[0]["state"] == "firing"
    assert evaluate(conn, "failed_sms_per_hour", T0 + 61 * MIN)[0]["state"] == "no_data"
    assert [a["status"] for a in alerts(conn, "failed_sms_per_hour")] == ["firing"]


def test_a_source_that_never_had_rows_opens_nothing_and_resolves_nothing(conn):
    for minute in range(3):
        [row] = evaluate(conn, "error_rate_percentage", T0 + minute * MIN)
        assert row["state"] == "no_data"
    assert alerts(conn, "error_rate_percentage") == []
