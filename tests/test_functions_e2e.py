"""End to end: the edge functions served by Deno, the test database, and capture servers standing in for Resend,
Slack and Twilio that check every request's shape and fail on purpose when told to."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import psycopg
import pytest

from supalert.paths import tools_bin
from tests.support.engine_helpers import MIN, T0, enabled_metric_rules, evaluate, insert_errors
from tests.support.functions_server import DISPATCH_SECRET, serve_functions

pytestmark = pytest.mark.skipif(not (tools_bin() / "deno").exists(), reason="Deno missing: run `make setup`")


@pytest.fixture
def stack(db, capture):
    with serve_functions(db, capture.env()) as server:
        yield server


def statuses(conn, alert_type):
    return conn.execute(
        "select n.event, n.channel, n.status from monitoring.notifications n join public.system_alerts a"
        " on a.id = n.alert_id where a.alert_type = %s order by n.created_at, n.event, n.channel",
        (alert_type,),
    ).fetchall()


def make_due(conn):
    conn.execute("update monitoring.notifications set next_attempt_at = now() where status = 'pending'")


def test_one_incident_delivers_one_firing_and_one_resolve_on_every_routed_channel(conn, stack, capture):
    insert_errors(conn, T0, 9, severity="critical")
    for i in range(1, 4):
        evaluate(conn, "critical_errors_per_hour", T0 + i * MIN)
    evaluate(conn, "critical_errors_per_hour", T0 + 61 * MIN)
    answer = stack.call("check-alert-triggers", {}).json()
    assert answer["sent"] == 4 and answer["dead"] == 0, answer  # High Error Rate: email and Slack, each way
    assert statuses(conn, "critical_errors_per_hour") == [
        ("firing", "email", "sent"), ("firing", "slack", "sent"),
        ("resolved", "email", "sent"), ("resolved", "slack", "sent"),
    ]  # fmt: skip
    assert [r.channel for r in capture.requests].count("email") == 2
    subjects = [r.body["subject"] for r in capture.of("email")]
    assert any("RESOLVED" in s.upper() for s in subjects) and any("FIRING" in s.upper() for s in subjects)
    assert sorted(r.body["to"] == ["ops@example.com", "admin@example.com"] for r in capture.of("email")) == [True] * 2
    assert len({r.headers["Idempotency-Key"] for r in capture.of("email")}) == 2
    again = stack.call("check-alert-triggers", {}).json()
    assert again["sent"] == 0 and len(capture.requests) == 4  # nothing twice


def test_an_escalation_pages_the_step_recipient_and_the_resolve_reaches_them(conn, stack, capture):
    lead = "+15550009999"
    conn.execute(
        "update monitoring.escalation_steps set recipients = %s where alert_type = 'high_error_rate' and step = 1",
        ([lead],),
    )
    insert_errors(conn, T0, 9, severity="critical")
    [row] = evaluate(conn, "critical_errors_per_hour", T0)
    assert conn.execute("select monitoring.escalate(%s)", (T0 + 15 * MIN,)).fetchone()[0] == 1
    conn.execute("select monitoring.resolve_alert(%s)", (row["alert_id"],))
    answer = stack.call("check-alert-triggers", {}).json()
    assert answer["sent"] == 6 and answer["dead"] == 0, answer  # firing x2, escalation (SMS), resolve x2 + SMS
    texts = [(r.body["To"], r.body["Body"]) for r in capture.of("sms")]
    assert [to for to, _ in texts] == [lead, lead]  # never the configured numbers: they were not paged
    assert "UNACKNOWLEDGED" in texts[0][1] and "RESOLVED" in texts[1][1]
    assert len(capture.of("email")) == 2 and len(capture.of("slack")) == 2


def test_a_silenced_alert_records_suppressed_notifications_and_sends_nothing(conn, stack, capture):
    conn.execute(
        "insert into monitoring.silences (rule_key, starts_at, ends_at, created_by, comment)"
        " values ('critical_errors_per_hour', %s, %s, 'ops', 'maintenance')",
        (T0, T0 + timedelta(hours=3)),
    )
    insert_errors(conn, T0, 9)
    evaluate(conn, "critical_errors_per_hour", T0 + MIN)
    stack.call("check-alert-triggers", {})
    assert {s for _, _, s in statuses(conn, "critical_errors_per_hour")} == {"suppressed"}
    assert capture.requests == []


def test_a_provider_answering_500_then_200_is_retried_and_delivers_once(conn, stack, capture):
    capture.fail_next("email", (500, '{"name": "internal_server_error", "message": "boom"}', {}))
    stack.call("send-alert-notification", {"severity": "warning", "title": "disk", "message": "m", "category": "c"})
    assert conn.execute("select status, attempts, last_status_code from monitoring.notifications").fetchall() == [
        ("pending", 1, 500)
    ]
    make_due(conn)
    assert stack.call("check-alert-triggers", {}).json()["sent"] == 1
    emails = capture.of("email")
    assert [r.status for r in emails] == [500, 200]
    assert emails[0].headers["Idempotency-Key"] == emails[1].headers["Idempotency-Key"]
    assert conn.execute("select status from monitoring.notifications").fetchone()[0] == "sent"


def test_429_with_retry_after_is_honoured(conn, stack, capture):
    capture.fail_next("slack", (429, "rate_limited", {"Retry-After": "120"}))
    stack.call("send-alert-notification", {"severity": "high", "title": "t", "message": "m", "category": "c"})
    [(status, wait)] = conn.execute(
        "select status, extract(epoch from next_attempt_at - updated_at) from monitoring.notifications"
        " where channel = 'slack'"
    ).fetchall()
    assert status == "pending" and float(wait) == 120
    stack.call("check-alert-triggers", {})
    assert len(capture.of("slack")) == 1  # not before Retry-After


def test_slack_no_service_is_not_retried_and_raises_notification_dead(conn, stack, capture):
    capture.fail_next("slack", (404, "no_service", {}))
    result = stack.call("send-alert-notification", {"severity": "high", "title": "t", "message": "m",
                                                    "category": "c"}).json()  # fmt: skip
    assert {r["channel"]: r["status"] for r in result["results"]} == {"email": "sent", "slack": "dead"}
    [(title, alert_id)] = conn.execute(
        "select title, id from public.system_alerts where alert_type = 'notification_dead'"
    ).fetchall()
    assert "slack" in title
    stack.call("check-alert-triggers", {})
    dead_channels = [c for (c,) in conn.execute(
        "select channel from monitoring.notifications where alert_id = %s", (alert_id,))]  # fmt: skip
    assert dead_channels == ["email"]
    assert len(capture.of("slack")) == 1  # never retried, never told about its own death


def test_a_dispatcher_killed_after_claiming_loses_nothing(conn, stack, capture):
    conn.execute("select monitoring.notify('warning', 'lease', 'm', 'lease_test')")
    # A dispatcher claims and dies: its lease (here 1 second) expires and the next dispatcher takes the row over.
    conn.execute("select * from monitoring.claim_notifications('crashed-worker', 10, '1 second')")
    conn.execute("update monitoring.notifications set lease_until = now() - interval '1 second'")
    assert stack.call("check-alert-triggers", {}).json()["sent"] == 1
    assert conn.execute("select status, attempts from monitoring.notifications").fetchone() == ("sent", 2)


def test_two_concurrent_dispatchers_deliver_each_notification_once(conn, stack, capture):
    for i in range(12):
        conn.execute("select monitoring.notify('warning', %s, 'm', 'load')", (f"alert {i}",))
    conn.execute("update monitoring.notifications set status = 'pending', next_attempt_at = now()")
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(stack.call("check-alert-triggers", {}).json()))
               for _ in range(2)]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    keys = [r.headers["Idempotency-Key"] for r in capture.of("email")]
    assert len(keys) == len(set(keys))
    assert conn.execute("select count(*) from monitoring.notifications where status = 'sent'").fetchone()[0] >= 12


def test_html_and_mrkdwn_injection_arrives_escaped_and_long_messages_are_truncated(conn, stack, capture):
    nasty = '<script>alert("x")</script> & <!channel> <@U123>'
    message = ("y" * 9_900 + nasty)[:10_000]  # the largest message send-alert-notification accepts
    answer = stack.call("send-alert-notification", {"severity": "critical", "title": nasty, "message": message,
                                                    "category": "c"})  # fmt: skip
    assert answer.status_code == 200, answer.text
    [email] = capture.of("email")
    assert "<script>" not in email.body["html"] and "&lt;script&gt;" in email.body["html"]
    [slack] = capture.of("slack")
    # Slack parses <!channel>, <@U...> and links in mrkdwn (and the top-level fallback text), never in plain_text.
    objects = [b["text"] for b in slack.body["blocks"] if "text" in b]
    objects += [f for b in slack.body["blocks"] for f in b.get("fields", [])]
    objects += [e for b in slack.body["blocks"] for e in b.get("elements", []) if isinstance(e, dict)]
    mrkdwn = [o["text"] for o in objects if o.get("type") == "mrkdwn"] + [slack.body["text"]]
    assert all("<!channel>" not in t and "<script>" not in t and "<@U123>" not in t for t in mrkdwn)
    assert any("&lt;!channel&gt;" in t for t in mrkdwn)
    [sms] = capture.of("sms")
    assert len(sms.body["Body"]) <= 1600


def test_send_alert_notification_rejects_bad_requests(stack):
    assert stack.call("send-alert-notification", {"severity": "high"}, token=None).status_code == 401
    assert stack.call("send-alert-notification", {"severity": "high"}, token="forged").status_code == 401
    assert stack.call("send-alert-notification", method="GET").status_code == 405
    missing = stack.call("send-alert-notification", {"severity": "high", "message": "m", "category": "c"})
    assert missing.status_code == 400 and missing.json()["field"] == "title"
    unknown = stack.call("send-alert-notification", {"severity": "urgent", "title": "t", "category": "c"})
    assert unknown.status_code == 400 and unknown.json()["field"] == "severity"
    garbage = stack.call("send-alert-notification", raw=b"{not json")
    assert garbage.status_code == 400


def test_check_alert_triggers_evaluates_and_reports_counts(conn, stack):
    answer = stack.call("check-alert-triggers", {}).json()
    rules = len(enabled_metric_rules(conn))
    assert answer["evaluated"] >= rules  # rows of monitoring.evaluate: one per series, at least one per rule
    assert conn.execute("select rules_evaluated from monitoring.heartbeat").fetchone()[0] == rules


def test_test_alerts_passes_against_the_local_stack_and_names_the_failing_step(db, stack, capture, cli):
    env = {"SUPALERT_FUNCTIONS_URL": stack.url, "ALERT_DISPATCH_SECRET": DISPATCH_SECRET}
    done = cli("test-alerts", "--db-url", db, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert [line.split(":")[0] for line in done.stdout.splitlines()] == [
        "PASS configuration",
        "PASS send",
        "PASS recorded",
        "PASS delivered",
        "PASS cleanup",
    ]
    with psycopg.connect(db) as conn:
        assert conn.execute("select count(*) from public.system_alerts").fetchone()[0] == 0
    capture.fail_next("email", (403, '{"name": "invalid_api_key", "message": "API key is invalid"}', {}))
    failed = cli("test-alerts", "--db-url", db, env=env)
    assert failed.returncode == 1
    assert "FAIL delivered: email dead" in failed.stdout
    assert "test-alerts failed at step delivered" in failed.stderr
    assert DISPATCH_SECRET not in failed.stdout + failed.stderr


def test_cli_notify_and_dispatch_call_the_functions(db, stack, capture, cli):
    env = {"SUPALERT_FUNCTIONS_URL": stack.url, "ALERT_DISPATCH_SECRET": DISPATCH_SECRET}
    sent = cli("notify", "--severity", "high", "--title", "Low inventory", "--message", "12 left", env=env)
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert "email: sent" in sent.stdout and "slack: sent" in sent.stdout
    dispatched = cli("dispatch", env=env)
    assert dispatched.returncode == 0, dispatched.stdout + dispatched.stderr
    with psycopg.connect(db) as conn:
        rules = len(enabled_metric_rules(conn))
    evaluated = re.search(r"evaluated (\d+)", dispatched.stdout)
    assert evaluated and int(evaluated[1]) >= rules, dispatched.stdout
    wrong = cli("dispatch", env={**env, "ALERT_DISPATCH_SECRET": "not-the-secret"})
    assert wrong.returncode == 1 and "answered 401" in wrong.stderr and "not-the-secret" not in wrong.stderr


def test_a_stale_heartbeat_raises_monitor_down_on_every_channel_once_per_repeat_interval(conn, stack, capture):
    conn.execute("update monitoring.rules set enabled = true where key = 'monitor_down'")  # the harness disables it
    conn.execute("select count(*) from monitoring.evaluate()")
    conn.execute("update monitoring.heartbeat set completed_at = now() - interval '1 hour'")
    answer = stack.call("check-alert-triggers", {}).json()
    assert answer["healthy"] is False and answer["heartbeat_ping"].startswith("skipped"), answer
    stale = "heartbeat: the rule engine last completed an evaluation 1 hour"
    assert any(p.startswith(stale) for p in answer["problems"]), answer
    assert {r.channel for r in capture.requests} == {"email", "slack", "sms"}  # the seed's Database Down
    email = capture.of("email")[0].body
    assert "Monitoring Down" in email["subject"], email["subject"]
    assert "the rule engine last completed an evaluation" in email["text"], email["text"]
    assert statuses(conn, "monitor_down") == [("firing", c, "sent") for c in ("email", "slack", "sms")]
    capture.requests.clear()
    conn.execute("update monitoring.heartbeat set completed_at = now() - interval '1 hour'")
    assert stack.call("check-alert-triggers", {}).json()["healthy"] is False
    assert capture.requests == []  # still down, but told within the rule's repeat_interval (1 hour)


def test_watchdog_speaks_when_the_database_is_unreachable(capture):
    from tests.support.harness import free_port

    port, password = free_port(), "unreachable-db-password-7f3a"
    with serve_functions(f"postgresql://postgres:{password}@127.0.0.1:{port}/postgres", capture.env()) as server:
        answer = server.call("check-alert-triggers", {})
    assert answer.status_code == 503
    # Neither the connection string nor any part of it that matters: not the password, not the address.
    leaked = [part for part in ("postgresql://", password, f"127.0.0.1:{port}") if part in answer.text]
    assert leaked == [], answer.text
    assert {r.channel for r in capture.requests} == {"email", "slack", "sms"}


def test_rows_left_when_the_time_budget_runs_out_are_handed_back(db, capture):
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("select monitoring.notify('critical', 'budget', 'm', 'budget_test')")  # email, Slack, SMS
        # A 2 ms budget runs out within the first sends: the rest of the batch must be handed back.
        with serve_functions(db, {**capture.env(), "DISPATCH_BUDGET_MS": "2"}) as server:
            answer = server.call("check-alert-triggers", {}).json()
        rows = conn.execute("select status, attempts, lease_until from monitoring.notifications").fetchall()
    assert answer["deferred"] >= 1 and answer["sent"] + answer["deferred"] == 3, answer
    assert sorted(rows) == sorted([("sent", 1, None)] * answer["sent"] + [("pending", 0, None)] * answer["deferred"])


def test_a_retried_sms_reaches_only_the_numbers_it_missed(db, capture):
    env = {**capture.env(), "ALERT_SMS_RECIPIENTS": "+15550000001,+15550000002"}
    capture.fail_next("sms", (201, '{"sid": "SM1", "status": "queued"}', {}), (503, '{"code": 20500}', {}))
    with psycopg.connect(db, autocommit=True) as conn, serve_functions(db, env) as server:
        server.call("send-alert-notification", {"severity": "critical", "title": "t", "message": "m", "category": "c"})
        row = conn.execute("select status, delivered_to from monitoring.notifications where channel = 'sms'").fetchone()
        assert row == ("pending", ["sms:+15550000001"])
        make_due(conn)
        server.call("check-alert-triggers", {})
        status = conn.execute("select status from monitoring.notifications where channel = 'sms'").fetchone()[0]
    assert status == "sent"
    assert [r.body["To"] for r in capture.of("sms")] == ["+15550000001", "+15550000002", "+15550000002"]


def test_one_unsubscribed_number_does_not_kill_the_sms_for_the_others(db, capture):
    env = {**capture.env(), "ALERT_SMS_RECIPIENTS": "+15550000001,+15550000002"}
    capture.fail_next("sms", (201, '{"sid": "SM1"}', {}), (400, '{"code": 21610, "message": "unsubscribed"}', {}))
    with psycopg.connect(db, autocommit=True) as conn, serve_functions(db, env) as server:
        server.call("send-alert-notification", {"severity": "critical", "title": "t", "message": "m", "category": "c"})
        status, error = conn.execute(
            "select status, last_error from monitoring.notifications where channel = 'sms'"
        ).fetchone()
        dead_alerts = conn.execute(
            "select count(*) from public.system_alerts where alert_type = 'notification_dead'"
        ).fetchone()[0]
    assert status == "sent" and "21610" in error and dead_alerts == 0


def test_an_app_posting_the_same_failure_50_times_gets_one_alert_one_message_per_route_and_resolves_it(
    conn, stack, capture
):
    body = {"severity": "high", "title": "Stripe webhook failing", "message": "HTTP 500", "category": "payments",
            "dedup_key": "payments:stripe-webhook"}  # fmt: skip
    answers = [stack.call("send-alert-notification", {**body, "message": f"HTTP 500 #{i}"}).json() for i in range(50)]
    assert [a["occurrences"] for a in answers] == list(range(1, 51))
    assert {a["alert_id"] for a in answers} == {answers[0]["alert_id"]}
    assert answers[0]["notifications"] == 2 and all(a["notifications"] == 0 for a in answers[1:])
    assert sorted(r.channel for r in capture.requests) == ["email", "slack"]  # high: email + Slack, once each
    [(occurrences, message, status)] = conn.execute(
        "select occurrences, message, status from public.system_alerts where alert_type = 'payments'"
    ).fetchall()
    assert (occurrences, message, status) == (50, "HTTP 500 #49", "firing")
    capture.requests.clear()
    resolved = stack.call("send-alert-notification", {"action": "resolve", "dedup_key": "payments:stripe-webhook"})
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["resolved"] == [answers[0]["alert_id"]]
    assert sorted(r.channel for r in capture.requests) == ["email", "slack"]
    assert any("RESOLVED" in r.body["subject"].upper() for r in capture.of("email"))
    again = stack.call("send-alert-notification", {"action": "resolve", "dedup_key": "payments:stripe-webhook"})
    assert again.json() == {"resolved": [], "results": []}  # nothing open: not an error
    reopened = stack.call("send-alert-notification", body).json()
    assert reopened["occurrences"] == 1 and reopened["alert_id"] != answers[0]["alert_id"]  # a new incident


def test_a_thousand_clients_going_under_are_one_message_per_channel_even_after_a_crashed_dispatcher(
    conn, stack, capture
):
    conn.execute("update monitoring.settings set dashboard_url = 'https://dash.example.com/alerts'")
    conn.execute("update monitoring.routes set channels = '{email,slack}' where alert_type = 'low_inventory'")
    # On the wall clock, which the dispatcher's own evaluation uses: no repeat or escalation is due yet.
    start = conn.execute("select now() - interval '1 minute'").fetchone()[0]
    conn.execute(
        "insert into public.client_credits (client_id, client_name, balance, updated_at)"
        " select gen_random_uuid(), 'client ' || g, 50, %s from generate_series(1, 1000) g",
        (start,),
    )
    evaluate(conn, "low_credit_balance", start)
    # A dispatcher claims the two group messages and dies; the next one sends the same two, once each.
    crashed = conn.execute("select idempotency_key from monitoring.claim_notifications('crashed', 10, '1 second')")
    keys = sorted(k for (k,) in crashed)
    conn.execute(
        "update monitoring.notifications set lease_until = now() - interval '1 second' where status = 'sending'"
    )
    assert stack.call("check-alert-triggers", {}).json()["sent"] == 2
    assert sorted(r.channel for r in capture.requests) == ["email", "slack"]
    [email] = capture.of("email")
    assert email.headers["Idempotency-Key"] in keys
    assert email.body["subject"] == "[HIGH] FIRING: 1000 alerts: Low Credit Balance"
    assert "and 990 more" in email.body["html"] and 'href="https://dash.example.com/alerts"' in email.body["html"]
    [slack] = capture.of("slack")
    assert "and 990 more | <https://dash.example.com/alerts|Dashboard>" in str(slack.body["blocks"])
    assert (
        conn.execute(
            "select count(*) from monitoring.notifications where alert_id is not null and status = 'sent'"
        ).fetchone()[0]
        == 2000
    )  # every member settled with its group

    capture.requests.clear()
    conn.execute("update public.client_credits set balance = 500")
    evaluate(conn, "low_credit_balance", conn.execute("select clock_timestamp()").fetchone()[0])
    make_due(conn)  # the group interval (5 minutes since the firing went out) has passed
    assert stack.call("check-alert-triggers", {}).json()["sent"] == 2
    assert [r.body["subject"] for r in capture.of("email")] == ["RESOLVED: 1000 alerts: Low Credit Balance"]
    assert len(capture.requests) == 2  # and one Slack post
