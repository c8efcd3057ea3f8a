"""The notification outbox in SQL: routing, silences, repeats, digest, claim with SKIP LOCKED, retries, dead."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest

from tests.support.engine_helpers import MIN, T0, add_test_rule, evaluate, insert_errors, set_value


def outbox(conn, alert_type=None):
    return conn.execute(
        "select n.event, n.channel, n.status from monitoring.notifications n"
        " left join public.system_alerts a on a.id = n.alert_id"
        " where %s::text is null or a.alert_type = %s order by n.created_at, n.event, n.channel",
        (alert_type, alert_type),
    ).fetchall()


def claim(conn, worker="w1", limit=20, at=None, lease="2 minutes"):
    return conn.execute(
        "select id, channel, event, attempts from monitoring.claim_notifications(%s, %s, %s::interval, null,"
        " coalesce(%s, now()))",
        (worker, limit, lease, at),
    ).fetchall()


def record(conn, notification_id, outcome, at=None, code=None, error=None, retry_after=None):
    return conn.execute(
        "select monitoring.record_delivery(%s, %s, %s, %s, %s, null, coalesce(%s, now()))",
        (notification_id, outcome, code, error, retry_after, at),
    ).fetchone()[0]


def test_one_incident_sends_one_firing_and_one_resolve_per_routed_channel(conn):
    insert_errors(conn, T0, 9, severity="critical")
    for i in range(1, 6):
        evaluate(conn, "critical_errors_per_hour", T0 + i * MIN)
    evaluate(conn, "critical_errors_per_hour", T0 + 61 * MIN)
    assert outbox(conn, "critical_errors_per_hour") == [
        ("firing", "email", "pending"), ("firing", "slack", "pending"),  # High Error Rate: email and Slack
        ("resolved", "email", "pending"), ("resolved", "slack", "pending"),
    ]  # fmt: skip


def test_routes_follow_the_seed_alert_types(conn):
    for severity, expected in [("high", ["email", "slack"]), ("warning", ["email"]), ("info", ["email"])]:
        key = add_test_rule(conn, key=f"rule_{severity}")
        conn.execute("update monitoring.rules set severity = %s where key = %s", (severity, key))
        set_value(conn, T0, 9)
        evaluate(conn, key, T0)
        rows = outbox(conn, key)
        assert [c for _, c, _ in rows] == expected
        assert {s for _, _, s in rows} == ({"held"} if severity == "info" else {"pending"})
        conn.execute("delete from monitoring.test_values")


def test_a_rules_alert_type_decides_its_channels_whatever_its_severity(conn):
    types = conn.execute("select key, channels, digest from monitoring.alert_types order by key").fetchall()
    assert [t[0] for t in types] == ["database_down", "failed_sms", "high_error_rate", "high_usage", "low_inventory",
                                     "slow_performance"]  # the seed's six  # fmt: skip
    for alert_type, channels, digest in types:
        key = add_test_rule(conn, key=f"typed_{alert_type}")
        conn.execute("update monitoring.rules set severity = 'critical', alert_type = %s where key = %s",
                     (alert_type, key))  # fmt: skip
        set_value(conn, T0, 9)
        evaluate(conn, key, T0)
        rows = outbox(conn, key)
        assert [c for _, c, _ in rows] == sorted(channels), alert_type  # critical's route (SMS too) does not apply
        assert {s for _, _, s in rows} == ({"held"} if digest else {"pending"}), alert_type
        conn.execute("delete from monitoring.test_values")
    # A route of the user's for one type adds its channels to that type only.
    conn.execute(
        "insert into monitoring.routes (name, alert_type, channels) values ('sms for usage', 'high_usage', '{sms}')"
    )
    key = add_test_rule(conn, key="typed_again")
    conn.execute("update monitoring.rules set alert_type = 'high_usage' where key = %s", (key,))
    set_value(conn, T0, 9)
    evaluate(conn, key, T0)
    assert [(c, st) for _, c, st in outbox(conn, key)] == [("email", "held"), ("sms", "pending")]


def test_info_alerts_are_gathered_into_one_daily_digest(conn):
    for key in ("digest_a", "digest_b"):
        add_test_rule(conn, key=key)
        conn.execute("update monitoring.rules set severity = 'info' where key = %s", (key,))
    set_value(conn, T0, 9)
    evaluate(conn, "digest_a", T0)
    evaluate(conn, "digest_b", T0)
    assert conn.execute("select monitoring.build_digest(%s)", (T0 + MIN,)).fetchone()[0] == 1
    [(payload, status)] = conn.execute(
        "select payload, status from monitoring.notifications where event = 'digest'"
    ).fetchall()
    assert status == "pending" and len(payload["items"]) == 2
    assert {s for (s,) in conn.execute("select status from monitoring.notifications where event <> 'digest'")} == {
        "digested"
    }
    assert conn.execute("select monitoring.build_digest(%s)", (T0 + 2 * MIN,)).fetchone()[0] == 0


def test_a_silence_records_suppressed_notifications_and_sends_nothing(conn):
    conn.execute(
        "insert into monitoring.silences (rule_key, starts_at, ends_at, created_by, comment)"
        " values ('critical_errors_per_hour', %s, %s, 'ops', 'maintenance')",
        (T0, T0 + timedelta(hours=2)),
    )
    insert_errors(conn, T0, 9)
    evaluate(conn, "critical_errors_per_hour", T0 + MIN)
    evaluate(conn, "critical_errors_per_hour", T0 + 61 * MIN)
    rows = outbox(conn, "critical_errors_per_hour")
    assert rows == [("firing", "email", "suppressed"), ("firing", "slack", "suppressed")]
    assert claim(conn, at=T0 + 62 * MIN) == []
    [(status,)] = conn.execute("select status from public.system_alerts").fetchall()
    assert status == "resolved"  # the alert itself is recorded as usual


def test_still_firing_alerts_repeat_after_the_repeat_interval_unless_acknowledged(conn):
    rule = add_test_rule(conn)  # high: email + slack; repeat every 4 hours by default
    conn.execute("update monitoring.rules set repeat_interval = '30 minutes' where key = %s", (rule,))
    for i in range(0, 75):
        set_value(conn, T0 + i * MIN, 9)
        rows = evaluate(conn, rule, T0 + i * MIN)
    events = [e for e, c, _ in outbox(conn, rule) if c == "email"]
    assert events == ["firing", "repeat", "repeat"]  # at 0, 30 and 60 minutes
    conn.execute("select monitoring.acknowledge_alert(%s)", (rows[0]["alert_id"],))
    for i in range(75, 130):
        set_value(conn, T0 + i * MIN, 9)
        evaluate(conn, rule, T0 + i * MIN)
    assert [e for e, c, _ in outbox(conn, rule) if c == "email"] == ["firing", "repeat", "repeat"]


def test_concurrent_claims_never_share_a_row(db):
    with psycopg.connect(db, autocommit=True) as setup:
        insert_errors(setup, T0, 9)
        for minute in range(1, 4):
            setup.execute("select monitoring.notify('high', %s, 'm', 'load_test')", (f"alert {minute}",))
    first, second = psycopg.connect(db), psycopg.connect(db)
    try:
        mine = {r[0] for r in claim(first, "w1", limit=4)}
        theirs = {r[0] for r in claim(second, "w2", limit=10)}  # runs while w1's claim is uncommitted
        assert len(mine) == 4 and len(theirs) == 2 and not mine & theirs
    finally:
        first.close()
        second.close()


def test_an_expired_lease_is_claimed_again(conn):
    conn.execute("select monitoring.notify('warning', 'lease', 'm', 'lease_test')")
    [(nid, _, _, attempts)] = claim(conn, "crashed", lease="1 minute")
    assert attempts == 1
    assert claim(conn, "other") == []  # leased
    [(again, _, _, attempts)] = claim(conn, "other", at=T0 + timedelta(days=9999))
    assert again == nid and attempts == 2


def test_a_dispatcher_that_dies_costs_an_attempt_only_for_the_row_it_was_sending(conn):
    conn.execute("select monitoring.notify('critical', 'crash', 'm', 'crash_test')")  # email, Slack, SMS
    batch = claim(conn, "crashed", lease="1 minute")
    sent_first, in_flight, untried = (row[0] for row in batch)
    assert record(conn, sent_first, "sent") == "sent"  # then the dispatcher died sending the second
    later = conn.execute("select now() + interval '2 minutes'").fetchone()[0]
    again = claim(conn, "other", at=later)
    attempts = {nid: n for nid, _, _, n in again}
    assert attempts == {untried: 1, in_flight: 2}  # the untried row's first claim was refunded
    assert [row[0] for row in again] == [untried, in_flight]  # the row that may crash a dispatcher goes last


def test_a_row_that_crashes_every_dispatcher_dies_and_the_others_are_sent(conn):
    conn.execute("select monitoring.notify('critical', 'crash', 'm', 'crash_test')")  # email, Slack, SMS
    poison = claim(conn, "first")[0][0]  # every dispatcher that sends this row dies doing so
    at = conn.execute("select now()").fetchone()[0]
    for _ in range(10):
        at += timedelta(minutes=3)  # the last lease expired
        for nid, *_ in claim(conn, "next", at=at):
            if nid == poison:
                break
            record(conn, nid, "sent", at=at)
    rows = conn.execute(
        "select n.id = %s, n.status, n.attempts from monitoring.notifications n"
        " join public.system_alerts a on a.id = n.alert_id where a.alert_type = 'crash_test'",
        (poison,),
    ).fetchall()
    assert sorted(rows) == [(False, "sent", 1), (False, "sent", 1), (True, "dead", 8)]


def test_retry_backs_off_exponentially_and_honours_retry_after(conn):
    conn.execute("select monitoring.notify('warning', 'retry', 'm', 'retry_test')")
    [(nid, *_)] = claim(conn)
    now = conn.execute("select now()").fetchone()[0]
    assert record(conn, nid, "retry", at=now, code=500) == "pending"
    due = conn.execute("select next_attempt_at from monitoring.notifications where id = %s", (nid,)).fetchone()[0]
    assert due - now == timedelta(seconds=30)
    claim(conn, at=due)
    record(conn, nid, "retry", at=due, code=500)
    due2 = conn.execute("select next_attempt_at from monitoring.notifications where id = %s", (nid,)).fetchone()[0]
    assert due2 - due == timedelta(seconds=60)
    claim(conn, at=due2)
    record(conn, nid, "retry", at=due2, code=429, retry_after=600)  # longer than the backoff: honoured
    due3 = conn.execute("select next_attempt_at from monitoring.notifications where id = %s", (nid,)).fetchone()[0]
    assert due3 - due2 == timedelta(seconds=600)
    claim(conn, at=due3)
    record(conn, nid, "retry", at=due3, code=429, retry_after=1)  # shorter than the backoff: the backoff wins
    due4 = conn.execute("select next_attempt_at from monitoring.notifications where id = %s", (nid,)).fetchone()[0]
    assert due4 - due3 == timedelta(minutes=4)
    claim(conn, at=due4)
    due3 = due4
    assert record(conn, nid, "sent", at=due3, code=200) == "sent"
    assert record(conn, nid, "sent", at=due3, code=200) == "sent"  # reporting twice is harmless


def test_permanent_failure_is_dead_at_once_and_raises_notification_dead_elsewhere(conn):
    conn.execute("select monitoring.notify('high', 'slack broken', 'm', 'dead_test')")
    rows = claim(conn)
    slack = next(r[0] for r in rows if r[1] == "slack")
    assert record(conn, slack, "permanent", code=404, error="no_service") == "dead"
    [(alert_id, status, title)] = conn.execute(
        "select id, status, title from public.system_alerts where alert_type = 'notification_dead'"
    ).fetchall()
    assert status == "firing" and "channel=slack" in title
    channels = [c for (c,) in conn.execute(
        "select channel from monitoring.notifications where alert_id = %s", (alert_id,))]  # fmt: skip
    assert channels == ["email"]  # high goes to email + slack, but never to the failing slack
    # The channel delivers again: the notification_dead alert resolves.
    conn.execute("select monitoring.notify('high', 'slack fixed', 'm', 'dead_test')")
    for nid, *_ in claim(conn):
        record(conn, nid, "sent", code=200)
    assert conn.execute("select status from public.system_alerts where id = %s", (alert_id,)).fetchone()[0] == (
        "resolved"
    )


def test_backoff_is_capped_at_an_hour_even_after_many_attempts(conn):
    conn.execute("select monitoring.notify('warning', 'many', 'm', 'cap_test')")
    conn.execute("update monitoring.notifications set max_attempts = 100, attempts = 60")
    [(nid, *_)] = claim(conn)
    now = conn.execute("select now()").fetchone()[0]
    assert record(conn, nid, "retry", at=now, code=503) == "pending"
    due = conn.execute("select next_attempt_at from monitoring.notifications where id = %s", (nid,)).fetchone()[0]
    assert due - now == timedelta(hours=1)


def test_too_many_attempts_end_dead(conn):
    conn.execute("select monitoring.notify('warning', 'flaky', 'm', 'attempts_test')")
    conn.execute("update monitoring.notifications set max_attempts = 3")
    at = conn.execute("select now()").fetchone()[0]
    statuses = []
    for _ in range(3):
        [(nid, *_)] = claim(conn, at=at)
        statuses.append(record(conn, nid, "retry", at=at, code=503))
        at += timedelta(hours=2)
    assert statuses == ["pending", "pending", "dead"]


def test_notify_records_a_test_alert_resolved_and_sends_it_at_once_even_for_info(conn):
    [(alert_id, count, _occurrences)] = conn.execute(
        "select * from monitoring.notify('info', 'Test Alert', 'Testing email alert system', 'system_test')"
    ).fetchall()
    assert count == 1
    assert conn.execute("select status from public.system_alerts where id = %s", (alert_id,)).fetchone()[0] == (
        "resolved"
    )
    assert outbox(conn, "system_test") == [("test", "email", "pending")]


@pytest.mark.parametrize(
    ("severity", "title", "category", "message"),
    [("urgent", "t", "c", "severity must be"), ("high", " ", "c", "title must not be empty"),
     ("high", "t", "bad category!", "category must be")],
)  # fmt: skip
def test_notify_rejects_bad_input(conn, severity, title, category, message):
    with pytest.raises(psycopg.errors.InvalidParameterValue, match=message):
        conn.execute("select monitoring.notify(%s, %s, 'm', %s)", (severity, title, category))


def test_app_repeats_fold_into_the_open_alert_by_dedup_key_or_title(conn):
    for i in range(3):
        conn.execute("select monitoring.notify('high', 'Queue stuck', %s, 'jobs')", (f"try {i}",))
    conn.execute("select monitoring.notify('high', 'Queue stuck', 'm', 'other_category')")  # another category
    conn.execute("select monitoring.notify('high', 'Title A', 'm', 'jobs', '{}', now(), 'jobs:queue')")
    conn.execute("select monitoring.notify('high', 'Title B', 'm', 'jobs', '{}', now(), 'jobs:queue')")
    rows = conn.execute(
        "select alert_type, title, occurrences, message from public.system_alerts order by alert_type, title"
    ).fetchall()
    assert rows == [("jobs", "Queue stuck", 3, "try 2"), ("jobs", "Title A", 2, "m"),
                    ("other_category", "Queue stuck", 1, "m")]  # fmt: skip
    # One firing per route and alert: the repeats sent nothing.
    assert [e for e, _, _ in outbox(conn, "jobs")] == ["firing"] * 4


def test_resolving_an_app_alert_by_its_key_notifies_who_heard_it_and_the_next_repeat_opens_anew(conn):
    [(first, _, _)] = conn.execute(
        "select * from monitoring.notify('critical', 'DB replica lag', 'm', 'db', '{}', now(), 'db:lag')"
    ).fetchall()
    assert conn.execute("select * from monitoring.resolve_app_alert('db:lag', 'elsewhere')").fetchall() == []
    [(resolved, count)] = conn.execute("select * from monitoring.resolve_app_alert(' db:lag ')").fetchall()
    assert (resolved, count) == (first, 3)  # critical: email, Slack and SMS heard it
    assert conn.execute("select status from public.system_alerts where id = %s", (first,)).fetchone()[0] == ("resolved")
    assert conn.execute("select * from monitoring.resolve_app_alert('db:lag')").fetchall() == []
    [(second, sent, occurrences)] = conn.execute(
        "select * from monitoring.notify('critical', 'DB replica lag', 'm', 'db', '{}', now(), 'db:lag')"
    ).fetchall()
    assert second != first and (sent, occurrences) == (3, 1)
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="dedup_key must not be empty"):
        conn.execute("select monitoring.resolve_app_alert('  ')")


def test_medium_means_warning(conn):
    conn.execute("select monitoring.notify('Medium', 't', 'm', 'legacy')")
    assert conn.execute("select severity from public.system_alerts").fetchone()[0] == "warning"


def test_manual_resolve_notifies_the_channels_that_heard_the_firing(conn):
    insert_errors(conn, T0, 9)
    [row] = evaluate(conn, "critical_errors_per_hour", T0)
    conn.execute("select monitoring.resolve_alert(%s)", (row["alert_id"],))
    assert [e for e, _, _ in outbox(conn, "critical_errors_per_hour")].count("resolved") == 2  # email and Slack


def test_a_late_failure_from_a_dispatcher_that_lost_its_lease_is_ignored(conn):
    conn.execute("select monitoring.notify('warning', 'late', 'm', 'late_test')")
    [(nid, *_)] = claim(conn, "slow-worker", lease="1 minute")
    later = conn.execute("select now() + interval '2 minutes'").fetchone()[0]
    claim(conn, "new-worker", at=later)  # the lease passed on
    status = conn.execute(
        "select monitoring.record_delivery(%s, 'retry', 500, 'late', null, null, %s, 'slow-worker')", (nid, later)
    ).fetchone()[0]
    assert status == "sending"
    assert conn.execute("select claimed_by, attempts from monitoring.notifications").fetchone() == ("new-worker", 2)


def test_unsent_claimed_rows_are_released_without_counting_the_attempt(conn):
    conn.execute("select monitoring.notify('critical', 'budget', 'm', 'release_test')")
    ids = [r[0] for r in claim(conn, "w1")]
    assert conn.execute("select monitoring.release_notifications('someone-else', %s)", (ids,)).fetchone()[0] == 0
    assert conn.execute("select monitoring.release_notifications('w1', %s)", (ids,)).fetchone()[0] == 3
    assert set(conn.execute("select status, attempts, claimed_by from monitoring.notifications").fetchall()) == {
        ("pending", 0, None)
    }
