"""The delivery loop every Supabase install depends on, run for real: pg_cron evaluates, pg_cron's supalert-dispatch
job calls check-alert-triggers through pg_net with its URL and credential from Vault, the functions (real Deno)
deliver to the capture servers. And the monitor watching itself: a dead pg_cron scheduler or a stopped job is
reported on every channel, again once per interval, and its end is announced; `status` names the cause.

CRON_DB is the database pg_cron and pg_net serve (as `postgres` is on a hosted project); schedules run every
10 seconds (pg_cron 1.6), so each scenario takes about a minute of wall time, bounded by explicit deadlines."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import psycopg
import psycopg.sql
import pytest

from supalert.paths import tools_bin
from tests.support.capture import Capture, start_capture
from tests.support.functions_server import DISPATCH_SECRET, FunctionsServer, serve_functions
from tests.support.harness import as_superuser, needs_vendored

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (tools_bin() / "deno").exists(), reason="Deno missing: run `make setup`"),
]
hosted = needs_vendored("pg_cron", "pg_net", "supabase_vault")


@dataclass
class Loop:
    db: str
    capture: Capture
    server: FunctionsServer

    @property
    def project_url(self) -> str:
        return self.server.url.removesuffix("/functions/v1")


@pytest.fixture
def loop(cron_db: str) -> Iterator[Loop]:
    capture = start_capture()
    env = {**capture.env(), "ALERT_HEARTBEAT_URL": capture.heartbeat_url}
    try:
        with serve_functions(cron_db, env) as server:
            yield Loop(cron_db, capture, server)
    finally:
        capture.server.stop()
    assert capture.problems == []  # every request matched its provider's real shape


def wait_for(what: str, condition: Callable[[], object], seconds: float) -> object:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"{what}: not within {seconds:.0f} s")


def notifications(db: str, rule: str) -> list[tuple[str, str, str]]:
    with psycopg.connect(db) as conn:
        return conn.execute(
            "select n.event, n.channel, n.status from monitoring.notifications n join public.system_alerts a"
            " on a.id = n.alert_id where a.alert_type = %s order by n.created_at, n.event, n.channel",
            (rule,),
        ).fetchall()


def sent(db: str, rule: str, event: str) -> set[str]:
    return {channel for e, channel, status in notifications(db, rule) if e == event and status == "sent"}


def connect_the_database_to_the_functions(loop: Loop, cli) -> None:
    """What a user does once: ten-second schedules, then the Vault secrets (which schedule supalert-dispatch)."""
    done = cli("schedule", "--evaluate", "10s", "--dispatch", "10s", "--db-url", loop.db)
    assert done.returncode == 0, done.stderr
    stored = cli("secrets", "set", "--project-url", loop.project_url, "--db-url", loop.db,
                 env={"ALERT_DISPATCH_SECRET": DISPATCH_SECRET})  # fmt: skip
    assert stored.returncode == 0, stored.stderr
    assert "supalert-dispatch calls check-alert-triggers through pg_net (schedule '10 seconds')" in stored.stdout


@hosted
def test_an_incident_written_as_rows_is_evaluated_claimed_through_pg_net_and_delivered(loop, cli):
    # pg_net enabled only after migrate: status says what is missing, `secrets set` creates it and schedules.
    with psycopg.connect(as_superuser(loop.db), autocommit=True) as admin:
        admin.execute("drop extension pg_net")
    before = cli("status", "--json", "--db-url", loop.db)
    dispatch = [row["detail"] for row in json.loads(before.stdout)["monitor"] if row["component"] == "dispatch"]
    assert any("missing the pg_net extension, the Vault secret supalert_project_url" in d for d in dispatch), dispatch
    assert (
        cli("rules", "set", "critical_errors_per_hour", "evaluation_interval=10s", "--db-url", loop.db).returncode == 0
    )
    connect_the_database_to_the_functions(loop, cli)
    with psycopg.connect(loop.db, autocommit=True) as conn:
        assert conn.execute("select count(*) from pg_extension where extname = 'pg_net'").fetchone()[0] == 1
        # The incident: nine critical errors, old enough to leave the rule's one-hour window about 30 s from now.
        conn.execute(
            "insert into public.error_logs (severity, category, message, occurred_at)"
            " select 'critical', 'test', 'boom ' || g, now() - interval '59 minutes 30 seconds'"
            " from generate_series(1, 9) g"
        )
    every = {"email", "slack"}  # its type, High Error Rate: email and Slack (the seed's Alert Types)
    wait_for("a firing on every channel", lambda: sent(loop.db, "critical_errors_per_hour", "firing") == every, 60)
    wait_for("a resolve on every channel", lambda: sent(loop.db, "critical_errors_per_hour", "resolved") == every, 90)
    assert notifications(loop.db, "critical_errors_per_hour") == [
        ("firing", "email", "sent"), ("firing", "slack", "sent"),
        ("resolved", "email", "sent"), ("resolved", "slack", "sent"),
    ]  # fmt: skip
    assert [r.channel for r in loop.capture.requests if r.channel != "heartbeat"].count("email") == 2
    with psycopg.connect(loop.db) as conn:
        # Claimed by the calls pg_net made, which pg_net recorded as answered 200.
        workers = conn.execute("select distinct claimed_by like 'check-alert-triggers:%' from monitoring.notifications"
                               " where status = 'sent'").fetchall()  # fmt: skip
        answered = conn.execute(
            "select count(*) filter (where h.status_code = 200), count(*) from monitoring.dispatch_requests r"
            " join net._http_response h on h.id = r.request_id"
        ).fetchone()
        monitor = conn.execute("select count(*) from public.system_alerts where alert_type = 'monitor_down'").fetchone()
    assert workers == [(True,)]
    assert answered[1] >= 2 and answered[0] == answered[1], answered
    assert monitor == (0,)  # the monitor stayed healthy throughout
    assert loop.capture.of("heartbeat"), "healthy cycles ping the dead-man's switch"


def call_from_outside(stop: threading.Event, server: FunctionsServer) -> None:
    """An uptime monitor calling check-alert-triggers: with pg_cron dead nothing in the database calls it."""
    while not stop.is_set():
        server.call("check-alert-triggers", {})
        stop.wait(3)


@hosted
def test_a_dead_scheduler_is_reported_on_every_channel_repeatedly_and_its_end_announced(loop, cli):
    connect_the_database_to_the_functions(loop, cli)
    with psycopg.connect(loop.db, autocommit=True) as conn:
        conn.execute("update monitoring.rules set repeat_interval = '20 seconds' where key = 'monitor_down'")
    wait_for("a healthy status", lambda: cli("status", "--db-url", loop.db).returncode == 0, 60)
    every = {"email", "slack", "sms"}
    stop = threading.Event()
    outside = threading.Thread(target=call_from_outside, args=(stop, loop.server), daemon=True)
    # The launcher connects as the bootstrap superuser and starts by marking unfinished runs failed: while that role's
    # transactions are read-only in CRON_DB, each restart the postmaster makes fails at once, so the scheduler stays
    # down (a crash loop, as when its database is unreachable); sessions already open are not affected.
    with psycopg.connect(as_superuser(loop.db), autocommit=True) as admin:
        database = psycopg.sql.Identifier(admin.execute("select current_database()").fetchone()[0])
        crash = psycopg.sql.SQL("alter role supabase_admin in database {} {}")
        admin.execute(crash.format(database, psycopg.sql.SQL("set default_transaction_read_only = on")))
        try:
            admin.execute(
                "select pg_terminate_backend(pid) from pg_stat_activity where backend_type = 'pg_cron launcher'"
            )
            started = time.monotonic()
            outside.start()
            wait_for("monitor_down on every channel", lambda: sent(loop.db, "monitor_down", "firing") == every, 120)
            assert time.monotonic() - started < 120
            down = cli("status", "--db-url", loop.db)
            assert down.returncode == 1 and "unhealthy: the pg_cron scheduler is not running" in down.stderr
            wait_for("a repeat on every channel", lambda: sent(loop.db, "monitor_down", "repeat") == every, 60)
            pings = len(loop.capture.of("heartbeat"))
            time.sleep(4)
            assert len(loop.capture.of("heartbeat")) == pings  # no ping while the monitor is down
            assert sent(loop.db, "monitor_down", "resolved") == set()  # reported all along, never resolved
        finally:
            admin.execute(crash.format(database, psycopg.sql.SQL("reset default_transaction_read_only")))
            stop.set()
            outside.join(10)
    # The postmaster starts the launcher again; pg_cron's own dispatch then resolves monitor_down everywhere.
    wait_for("the recovery on every channel", lambda: sent(loop.db, "monitor_down", "resolved") == every, 90)
    assert cli("status", "--db-url", loop.db).returncode == 0


@hosted
def test_a_paused_job_is_reported_while_the_scheduler_lives_and_its_end_announced(loop, cli):
    connect_the_database_to_the_functions(loop, cli)
    wait_for("a healthy status", lambda: cli("status", "--db-url", loop.db).returncode == 0, 60)
    with psycopg.connect(loop.db, autocommit=True) as conn:
        conn.execute(
            "select cron.alter_job(jobid, active := false) from cron.job where jobname = 'supalert-partitions'"
        )
    every = {"email", "slack", "sms"}
    # Nothing but pg_cron calls check-alert-triggers here: supalert-dispatch still runs.
    wait_for("monitor_down on every channel", lambda: sent(loop.db, "monitor_down", "firing") == every, 60)
    down = cli("status", "--db-url", loop.db)
    assert down.returncode == 1 and "unhealthy: job supalert-partitions is paused" in down.stderr
    with psycopg.connect(loop.db, autocommit=True) as conn:
        conn.execute("select cron.alter_job(jobid, active := true) from cron.job where jobname = 'supalert-partitions'")
    wait_for("the recovery on every channel", lambda: sent(loop.db, "monitor_down", "resolved") == every, 60)


def test_with_no_dispatcher_status_says_who_waits_and_the_heartbeat_url_is_not_pinged(loop, cli):
    with psycopg.connect(loop.db, autocommit=True) as conn:
        conn.execute(
            "insert into monitoring.notifications (event, channel, payload, idempotency_key, next_attempt_at)"
            " select 'test', c, '{\"title\": \"waiting\"}', 'overdue-' || c, now() - interval '7 minutes'"
            " from unnest(array['email', 'slack']) c"
        )
    waiting = cli("status", "--db-url", loop.db)
    assert waiting.returncode == 1
    assert "2 notification(s) waiting for 7 min, nothing is delivering them" in waiting.stderr
    # Whatever calls check-alert-triggers next delivers them with the monitor_down alert they caused (the seed's
    # Database Down: email, Slack, SMS), but that cycle was not healthy: no ping.
    answer = loop.server.call("check-alert-triggers", {}).json()
    assert answer["healthy"] is False and answer["sent"] == 2 + 3, answer
    assert sent(loop.db, "monitor_down", "firing") == {"email", "slack", "sms"}
    assert answer["heartbeat_ping"].startswith("skipped")
    assert loop.capture.of("heartbeat") == []
    again = loop.server.call("check-alert-triggers", {}).json()
    assert again["healthy"] is True and again["heartbeat_ping"] == "sent", again
    assert len(loop.capture.of("heartbeat")) == 1


@hosted
def test_an_evaluation_that_writes_notifications_calls_check_alert_triggers_from_its_own_transaction(cron_db, cli):
    stored = cli("secrets", "set", "--project-url", "http://127.0.0.1:9", "--db-url", cron_db,
                 env={"ALERT_DISPATCH_SECRET": DISPATCH_SECRET})  # fmt: skip
    assert stored.returncode == 0, stored.stderr
    with psycopg.connect(cron_db, autocommit=True) as conn:
        command = conn.execute("select command from cron.job where jobname = 'supalert-evaluate'").fetchone()[0]
        assert command == "select monitoring.evaluate_on_schedule()"
        # pg_cron's own run would race this test's: it is paused, and every rule made due.
        conn.execute("select cron.alter_job(jobid, active := false) from cron.job where jobname = 'supalert-evaluate'")
        conn.execute("delete from monitoring.rule_runs")
        # The project URL's port 9 refuses pg_net's call, which net_failed_requests rightly reports: not this test's.
        conn.execute("update monitoring.rules set enabled = false where key = 'net_failed_requests'")

        def one_run(errors: int) -> tuple[int, int]:
            """(notifications written, supalert's pg_net calls queued) by one run of the job's body."""
            with conn.transaction():
                conn.execute("insert into public.error_logs (severity, category, message) select 'critical', 't',"
                             " 'boom' from generate_series(1, %s)", (errors,))  # fmt: skip
                conn.execute("select monitoring.evaluate_on_schedule()")
                return conn.execute(
                    "select (select count(*) from monitoring.notifications where created_at = now()),"
                    " (select count(*) from monitoring.dispatch_requests where requested_at = now())"
                ).fetchone()

        written, calls = one_run(9)  # critical_errors_per_hour fires: email, Slack (High Error Rate)
        assert written == 2 and calls == 1
        conn.execute("delete from monitoring.rule_runs")
        assert one_run(0) == (0, 0)  # still firing, nothing new to send: no call
