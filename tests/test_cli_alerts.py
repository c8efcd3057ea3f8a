"""The alert commands as a user runs them: check, alerts, ack, resolve, silence, status, demo-incident."""

from __future__ import annotations

import json

import psycopg

from supalert.paths import project_root
from supalert.rules import stems
from tests.support.engine_helpers import T0, enabled_metric_rules, insert_errors


def test_check_prints_every_enabled_rule_and_exits_1_when_critical_fires(db, cli):
    quiet = cli("check", "--db-url", db, "--json")
    assert quiet.returncode == 0, quiet.stderr
    rows = json.loads(quiet.stdout)
    with psycopg.connect(db, autocommit=True) as conn:
        assert {r["rule"] for r in rows} == set(enabled_metric_rules(conn))  # one row per series of each rule
        assert {r["state"] for r in rows} <= {"ok", "no_data"}
        insert_errors(conn, T0, 9, severity="critical")
    loud = cli("check", "critical_errors_per_hour", "--db-url", db, "--at", "2026-03-02T12:05:00Z")
    assert loud.returncode == 1, loud.stderr
    assert "firing" in loud.stdout and "9 critical/high error(s)" in loud.stdout
    warn_only = cli("check", "high_errors_per_hour", "--db-url", db, "--at", "2026-03-02T12:05:00Z")
    assert warn_only.returncode == 0


def test_check_rejects_unknown_rules_and_bad_times(db, cli):
    unknown = cli("check", "no_such_rule", "--db-url", db)
    assert unknown.returncode == 1 and "unknown rule(s): no_such_rule" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    bad_time = cli("check", "--db-url", db, "--at", "yesterday")
    assert bad_time.returncode == 1 and "is not a time" in bad_time.stderr


def test_alerts_ack_resolve_round_trip(db, cli):
    with psycopg.connect(db, autocommit=True) as conn:
        insert_errors(conn, T0, 9)
        alert_id = str(
            conn.execute("select alert_id from monitoring.evaluate('critical_errors_per_hour', %s)", (T0,)).fetchone()[
                0
            ]
        )
    listed = cli("alerts", "--db-url", db, "--json")
    assert [a["id"] for a in json.loads(listed.stdout)] == [alert_id]
    acked = cli("ack", alert_id, "--db-url", db, "--by", "oncall@example.com")
    assert acked.returncode == 0 and "by oncall@example.com" in acked.stdout
    table = cli("alerts", "--db-url", db)
    assert "acknowledged" in table.stdout and alert_id in table.stdout
    resolved = cli("resolve", alert_id, "--db-url", db)
    assert resolved.returncode == 0
    assert "no open alerts" in cli("alerts", "--db-url", db).stdout
    assert alert_id in cli("alerts", "--all", "--db-url", db).stdout
    again = cli("resolve", alert_id, "--db-url", db)
    assert again.returncode == 1 and "already resolved" in again.stderr
    bogus = cli("ack", "not-a-uuid", "--db-url", db)
    assert bogus.returncode == 1 and "is not an alert id" in bogus.stderr


def test_silence_records_a_window_and_rejects_nonsense(db, cli):
    done = cli("silence", "high_errors_per_hour", "--for", "2h", "--comment", "planned migration", "--db-url", db)
    assert done.returncode == 0, done.stderr
    with psycopg.connect(db) as conn:
        row = conn.execute("select rule_key, ends_at - starts_at, comment from monitoring.silences").fetchone()
    assert row[0] == "high_errors_per_hour" and row[1].total_seconds() == 7200 and row[2] == "planned migration"
    assert "is not understood" in cli("silence", "x", "--for", "soon", "--comment", "c", "--db-url", db).stderr
    unknown = cli("silence", "nope", "--for", "1h", "--comment", "c", "--db-url", db)
    assert unknown.returncode == 1 and "unknown rule 'nope'" in unknown.stderr
    quoted = cli("silence", "x'; drop table monitoring.rules; --", "--for", "1h", "--comment", "c", "--db-url", db)
    assert quoted.returncode == 1 and "unknown rule" in quoted.stderr
    with psycopg.connect(db) as conn:
        assert conn.execute("select count(*) from monitoring.rules").fetchone()[0] == len(
            stems.rule_files(project_root())
        )


def test_status_reports_rules_and_a_stale_heartbeat(cron_db, cli):
    db = cron_db
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("select count(*) from monitoring.evaluate()")
    fresh = cli("status", "--db-url", db, "--json")
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    report = json.loads(fresh.stdout)
    assert report["engine"]["heartbeat"]["stale"] is False
    with psycopg.connect(db) as conn:
        assert len(report["engine"]["rules"]) == len(enabled_metric_rules(conn))
    assert {row["component"]: row["status"] for row in report["monitor"]}["heartbeat"] == "ok"
    with psycopg.connect(db, autocommit=True) as conn:
        # pg_cron evaluates here every minute: pause the job so the heartbeat stays as old as it is made.
        conn.execute("select cron.alter_job(jobid, active := false) from cron.job where jobname = 'supalert-evaluate'")
        conn.execute("update monitoring.heartbeat set completed_at = now() - interval '1 hour'")
    stale = cli("status", "--db-url", db)
    assert stale.returncode == 1
    assert "STALE" in stale.stdout
    assert "unhealthy: the rule engine last completed an evaluation 1 hour ago" in " ".join(stale.stderr.split())
    assert "unhealthy: job supalert-evaluate is paused" in stale.stderr
    # Without --stale-after, the monitor's own setting decides, as it does for monitor_down.
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("update monitoring.heartbeat set completed_at = now() - interval '10 minutes'")
        conn.execute("update monitoring.settings set heartbeat_stale_after = interval '1 hour'")
    patient = json.loads(cli("status", "--db-url", db, "--json").stdout)
    assert {row["component"]: row["status"] for row in patient["monitor"]}["heartbeat"] == "ok"
    assert patient["engine"]["heartbeat"]["stale"] is False
    strict = json.loads(cli("status", "--db-url", db, "--json", "--stale-after", "5m").stdout)
    assert strict["engine"]["heartbeat"]["stale"] is True


def test_status_in_a_database_pg_cron_does_not_serve_names_both_databases(db, cli):
    done = cli("status", "--db-url", db)
    assert done.returncode == 1
    name = db.rsplit("/", 1)[1].split("?")[0]
    assert (
        f"pg_cron runs only the jobs of database supalert_cron (cron.database_name), so supalert's jobs here in {name}"
        in " ".join(done.stderr.split())
    )


def test_demo_incident_fires_once_and_resolves_once(db, cli):
    refused = cli("demo-incident", "--db-url", db)
    assert refused.returncode == 1 and "--yes" in refused.stderr
    done = cli("demo-incident", "--db-url", db, "--yes")
    assert done.returncode == 0, done.stderr
    assert "-> 1 alert" in done.stdout and "resolved at" in done.stdout
    with psycopg.connect(db) as conn:
        statuses = conn.execute(
            "select status, occurrences from public.system_alerts where alert_type = 'critical_errors_per_hour'"
        ).fetchall()
        leftovers = conn.execute("select count(*) from public.error_logs").fetchone()[0]
    assert statuses == [("resolved", 4)]
    assert leftovers == 0


def test_usage_and_backup_records_feed_their_rules(db, cli):
    assert cli("usage", "record", "bandwidth_gb_month", "45.5", "--db-url", db).returncode == 0
    bad = cli("usage", "record", "bandwidth_gb_month", "lots", "--db-url", db)
    assert bad.returncode == 1 and "is not a number" in bad.stderr
    assert cli("backups", "record", "--db-url", db, "--finished-at", "2026-01-01T00:00:00Z").returncode == 0
    future = cli("backups", "record", "--db-url", db, "--finished-at", "2999-01-01T00:00:00Z")
    assert future.returncode == 1 and "in the future" in future.stderr
    checked = json.loads(cli("check", "bandwidth_gb_per_month", "backup_stale", "--json", "--db-url", db).stdout)
    assert {r["rule"]: r["state"] for r in checked} == {"bandwidth_gb_per_month": "firing", "backup_stale": "firing"}
    with psycopg.connect(db) as conn:
        assert (
            conn.execute("select count(*) from monitoring.backup_log").fetchone()[0] == 1
        )  # the future one rolled back


def test_usage_errors_are_one_line_without_traceback(cli):
    done = cli("silence", "x")
    assert done.returncode == 2 and "Missing option '--for'" in done.stderr and "Traceback" not in done.stderr
