"""Custom SQL rules (`rules add`, or `sql = ...` in a rules file), as the non-superuser `postgres` in the
hosted-shaped cluster: added, fires with a series per row, resolves; a query that writes, runs DDL, takes 10 s or
does not parse is refused when added with a message naming the rule and the fix, and nothing changes; a query that
turns bad later is isolated as that rule's rule_error under its own statement timeout while the others run."""

from __future__ import annotations

import time
from datetime import timedelta

import psycopg
import pytest

from supalert.paths import PROJECT_ROOT
from supalert.rules.custom import CUSTOM_METRIC
from tests.support.cli import assert_clean_error
from tests.support.engine_helpers import evaluate
from tests.support.harness import needs_vendored

STUCK = "select region, count(*) filter (where status = 'pending') as value from public.shop_orders group by region"


def make_orders(conn: psycopg.Connection) -> None:
    """The app's own table, as an app's migrations would have made it."""
    conn.execute(
        "create table public.shop_orders (id bigserial primary key, region text not null, status text not null);"
        "alter table public.shop_orders enable row level security;"
        "insert into public.shop_orders (region, status)"
        " select r, s from unnest(array['eu', 'eu', 'eu', 'us']) r, unnest(array['pending']) s"
    )


def now(conn: psycopg.Connection):
    return conn.execute("select now()").fetchone()[0]


def state(conn: psycopg.Connection) -> tuple:
    """What a refused add must leave as it was: the rules, the jobs, the app's rows."""
    return (
        conn.execute("select array_agg(key order by key) from monitoring.rules").fetchone()[0],
        conn.execute("select count(*) from cron.job").fetchone()[0],
        conn.execute("select count(*), max(id) from public.shop_orders").fetchone(),
        conn.execute("select to_regclass('public.made_by_rule')").fetchone()[0],
    )


def test_custom_rule_is_added_fires_per_row_and_resolves(db, conn, cli):
    make_orders(conn)
    added = cli("rules", "add", "stuck_orders", "--sql", STUCK + ";", "--threshold", "2", "--severity", "high",
                "--runbook-url", "https://wiki.example/stuck", "--db-url", db)  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "added rule stuck_orders: fires when value > 2 (high)" in added.stdout
    assert "region=eu: 3 (would fire); region=us: 1" in added.stdout
    command = conn.execute("select command from cron.job where jobname = 'supalert-rule-stuck_orders'").fetchone()[0]
    assert command == "set statement_timeout = '5s'; select count(*) from monitoring.evaluate('stuck_orders')"

    rows = {r["labels"]["region"]: r for r in evaluate(conn, "stuck_orders", now(conn))}
    assert (rows["eu"]["state"], rows["eu"]["value"]) == ("firing", 3)
    assert rows["us"]["state"] == "ok"
    alert = conn.execute(
        "select metadata, severity from public.system_alerts where alert_type = 'stuck_orders' and resolved_at is null"
    ).fetchone()
    assert alert[0]["labels"] == {"region": "eu"} and alert[1] == "high"
    assert conn.execute("select monitoring.runbook_url('stuck_orders')").fetchone()[0] == "https://wiki.example/stuck"

    conn.execute("update public.shop_orders set status = 'shipped' where region = 'eu'")
    rows = {r["labels"]["region"]: r for r in evaluate(conn, "stuck_orders", now(conn) + timedelta(minutes=1))}
    assert (rows["eu"]["state"], rows["eu"]["value"]) == ("resolved", 0)

    again = cli("rules", "add", "stuck_orders", "--sql", STUCK, "--threshold", "2", "--severity", "high",
                "--runbook-url", "https://wiki.example/stuck", "--db-url", db)  # fmt: skip
    assert again.returncode == 0 and "custom rule stuck_orders: unchanged" in again.stdout
    changed = cli("rules", "add", "stuck_orders", "--sql", STUCK, "--threshold", "5", "--timeout", "2s", "--db-url", db)
    assert "stuck_orders timeout: 5 seconds -> 2 seconds" in changed.stdout
    assert "stuck_orders threshold: 2 -> 5" in changed.stdout
    assert (
        "'2s'"
        in conn.execute("select command from cron.job where jobname = 'supalert-rule-stuck_orders'").fetchone()[0]
    )


# Fast until the app's data holds a 'slow' order: then 10 s, past its 1 s timeout.
SLEEPY = (
    "select 1 as value from pg_sleep("
    "case when exists (select from public.shop_orders where region = 'slow') then 10 else 0 end)"
)
WRITES_A_ROW = (
    "create function public.count_and_log() returns bigint language sql as"
    " $$ insert into public.shop_orders (region, status) values ('x', 'log') returning id $$"
)


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("insert into public.shop_orders (region, status) values ('x', 'y') returning id as value",
         ("starts with INSERT", "may only read")),
        ("with gone as (delete from public.shop_orders returning 1) select count(*) as value from gone",
         ("writes", "may only read")),
        ("select public.count_and_log() as value", ("writes", "read-only transaction")),
        ("create table public.made_by_rule (value int)", ("starts with CREATE", "may only read")),
        ("select 1 as value from pg_sleep(10)", ("ran longer than its timeout of 1 second", "--timeout")),
        ("select count(* as value from public.shop_orders", ("does not parse", "syntax error")),
        ("select count(*) as value from shop_orders", ("shop_orders", "does not exist", "public.orders")),
        ("select region as value from public.shop_orders", ("its column value is text, not a number",)),
        ("select count(*) from public.shop_orders", ("no column named value", "count")),
        ("select region, 1 as value from public.shop_orders", ("more than one row with the labels", "group by")),
        ("select 1 as value; select 2 as value", ("2 statements",)),
    ],
    ids=["insert", "cte-delete", "function-writes", "ddl", "ten-seconds", "unparsable", "no-schema", "text-value",
         "no-value", "duplicate-labels", "two-statements"],
)  # fmt: skip
def test_bad_query_is_refused_and_nothing_changes(db, conn, cli, query, words):
    make_orders(conn)
    conn.execute(WRITES_A_ROW)
    before = state(conn)
    started = time.monotonic()
    done = cli("rules", "add", "bad_rule", "--sql", query, "--threshold", "1", "--timeout", "1s", "--db-url", db)
    assert_clean_error(done, "bad_rule", *words)
    assert time.monotonic() - started < 9  # the 10 s query was stopped by its timeout, not waited for
    assert state(conn) == before


def test_query_that_turns_bad_later_is_that_rules_error_only(conn):
    """A custom rule whose query became slow (its data changed) or was edited in SQL past the check: its pg_cron
    job's command (the same multi-statement query) ends in a rule_error, nothing it tried survives, the next
    statement runs."""
    make_orders(conn)
    conn.execute(WRITES_A_ROW)
    for key, sql in (("slow_rule", SLEEPY), ("writing_rule", "select 1 as value")):
        conn.execute(
            "insert into monitoring.rules"
            " (key, title, description, metric_function, params, comparison, threshold, severity) values"
            " (%s, %s, 'test', %s, jsonb_build_object('sql', %s::text, 'timeout_seconds', 1), '>', 5, 'warning')",
            (key, key, CUSTOM_METRIC, sql),
        )
    conn.execute(
        'update monitoring.rules set params = params || \'{"sql": "select public.count_and_log() as value"}\''
        " where key = 'writing_rule'"
    )
    conn.execute("insert into public.shop_orders (region, status) values ('slow', 'pending')")
    rows_before = conn.execute("select count(*) from public.shop_orders").fetchone()[0]
    commands = dict(
        conn.execute("select jobname, command from cron.job where jobname like 'supalert-rule-%'").fetchall()
    )
    started = time.monotonic()
    for job in ("supalert-rule-slow_rule", "supalert-rule-writing_rule"):
        conn.execute(commands[job])  # as pg_cron runs it: set statement_timeout; select ... evaluate(key)
    assert time.monotonic() - started < 8
    conn.execute("reset statement_timeout")
    runs = dict(
        conn.execute("select rule_key, error from monitoring.rule_runs where rule_key like '%_rule'").fetchall()
    )
    assert "statement timeout of 1s" in runs["slow_rule"]
    assert "read-only transaction" in runs["writing_rule"]
    errors = conn.execute(
        "select metadata -> 'labels' ->> 'rule' from public.system_alerts"
        " where alert_type = 'rule_error' and resolved_at is null order by 1"
    ).fetchall()
    assert errors == [("slow_rule",), ("writing_rule",)]
    assert conn.execute("select count(*) from public.shop_orders").fetchone()[0] == rows_before
    # The shared evaluation leaves custom rules to their own jobs and goes on with the rest.
    evaluated = {r["rule"] for r in evaluate(conn, None, now(conn))}
    assert evaluated and not evaluated & {"slow_rule", "writing_rule"}


def test_rules_file_adds_a_custom_rule_once(db, conn, cli, tmp_path):
    make_orders(conn)
    path = tmp_path / "rules.toml"
    path.write_text(f'[rules.stuck_orders]\nsql = "{STUCK}"\nthreshold = 2\ntimeout = "3s"\nseverity = "info"\n')
    first = cli("rules", "sync", str(path), "--db-url", db)
    assert first.returncode == 0, first.stderr
    assert "stuck_orders sql: none -> " in first.stdout and "stuck_orders timeout: none -> 3 seconds" in first.stdout
    assert cli("rules", "sync", str(path), "--db-url", db).stdout.strip().endswith("no changes")
    path.write_text('[rules.other_rule]\nsql = "select pg_sleep(10)::text as x, 1 as value"\nthreshold = 1\n'
                    'timeout = "1s"\n[rules.critical_errors_per_hour]\nthreshold = 6\n')  # fmt: skip
    before = state(conn)
    assert_clean_error(cli("rules", "sync", str(path), "--db-url", db), str(path), "other_rule", "timeout")
    assert state(conn) == before
    assert (
        conn.execute("select threshold from monitoring.rules where key = 'critical_errors_per_hour'").fetchone()[0] == 5
    )


def test_remove_resolves_its_alerts_and_drops_its_job(db, conn, cli):
    make_orders(conn)
    assert cli("rules", "add", "stuck_orders", "--sql", STUCK, "--threshold", "2", "--db-url", db).returncode == 0
    evaluate(conn, "stuck_orders", now(conn))
    removed = cli("rules", "remove", "stuck_orders", "--db-url", db)
    assert removed.stdout.strip() == "removed custom rule stuck_orders; resolved 1 open alert(s)"
    assert conn.execute("select count(*) from cron.job where jobname like 'supalert-rule-%'").fetchone()[0] == 0
    assert (
        conn.execute(
            "select count(*) from public.system_alerts where alert_type = 'stuck_orders' and resolved_at is null"
        ).fetchone()[0]
        == 0
    )
    assert_clean_error(cli("rules", "remove", "critical_errors_per_hour", "--db-url", db), "supalert's own rules")


def test_every_home_of_the_custom_metric_name_agrees():
    assert (PROJECT_ROOT / "sql" / "metrics" / f"{CUSTOM_METRIC}.sql").is_file()
    for relpath in ("sql/engine/evaluate.sql", "sql/outbox/runbook_url.sql", "sql/monitor/rules_schedule_custom.sql"):
        assert f"'{CUSTOM_METRIC}'" in (PROJECT_ROOT / relpath).read_text(), relpath


@needs_vendored("pg_cron")
def test_pg_cron_runs_each_custom_rule_under_its_timeout(cron_db, cli):
    with psycopg.connect(cron_db, autocommit=True) as conn:
        make_orders(conn)
        for key, sql in (("stuck_orders", STUCK), ("sleepy", SLEEPY)):
            done = cli("rules", "add", key, "--sql", sql, "--threshold", "2", "--every", "3s", "--timeout", "1s",
                       "--db-url", cron_db)  # fmt: skip
            assert done.returncode == 0, done.stderr
        conn.execute("insert into public.shop_orders (region, status) values ('slow', 'pending')")
        deadline = time.monotonic() + 30
        runs: dict = {}
        while time.monotonic() < deadline and len(runs) < 2:
            runs = dict(conn.execute(
                "select distinct on (rule_key) rule_key, coalesce(error, outcome) from monitoring.rule_runs"
                " where rule_key in ('stuck_orders', 'sleepy') and (rule_key <> 'sleepy' or outcome = 'error')"
                " order by rule_key, evaluated_at desc").fetchall())  # fmt: skip
            time.sleep(0.3)
        assert runs.get("stuck_orders") == "ok"
        assert "statement timeout of 1s" in runs.get("sleepy", "")
        statuses = {s for (s,) in conn.execute(
            "select d.status from cron.job_run_details d join cron.job j using (jobid)"
            " where j.jobname = 'supalert-rule-sleepy' and d.status <> 'running'")}  # fmt: skip
        assert statuses == {"succeeded"}  # the timeout became the rule's error, not the job's failure
        firing = conn.execute(
            "select metadata -> 'labels' from public.system_alerts where alert_type = 'stuck_orders'"
            " and resolved_at is null"
        ).fetchall()
        assert firing == [({"region": "eu"},)]
