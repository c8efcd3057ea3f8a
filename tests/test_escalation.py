"""Escalation (monitoring.escalate, monitoring.escalation_steps): an alert not acknowledged within its type's
response time pages each step once, acknowledging stops it, a silence wins, and the resolve reaches everyone paged."""

from __future__ import annotations

import psycopg
import pytest

from tests.support.engine_helpers import MIN, T0, evaluate, insert_errors

LEAD = "+15550009999"


def fire(conn):
    """critical_errors_per_hour (High Error Rate: 15 minutes to acknowledge) fires at T0."""
    insert_errors(conn, T0, 9, severity="critical")
    [row] = evaluate(conn, "critical_errors_per_hour", T0)
    assert row["state"] == "firing"
    return row["alert_id"]


def escalate_each_minute(conn, minutes):
    return {m: conn.execute("select monitoring.escalate(%s)", (T0 + m * MIN,)).fetchone()[0] for m in minutes}


def outbox(conn, alert_id, event):
    return conn.execute(
        "select n.channel, n.status, n.payload -> 'recipients', (n.payload ->> 'escalation_step')::int"
        " from monitoring.notifications n where n.alert_id = %s and n.event = %s order by n.created_at, n.channel",
        (alert_id, event),
    ).fetchall()


def test_an_unacknowledged_alert_pages_each_step_once(conn):
    alert_id = fire(conn)
    ran = escalate_each_minute(conn, range(1, 91))
    assert {m: n for m, n in ran.items() if n} == {15: 1, 45: 1}  # response time 15 min, then step 2 after 30 more
    assert outbox(conn, alert_id, "escalation") == [
        ("sms", "pending", None, 1),
        ("email", "pending", None, 2),
        ("slack", "pending", None, 2),
        ("sms", "pending", None, 2),
    ]
    assert conn.execute("select escalation_step from public.system_alerts where id = %s", (alert_id,)).fetchone() == (
        2,
    )


def test_acknowledged_in_time_is_never_escalated(conn):
    alert_id = fire(conn)
    escalate_each_minute(conn, range(1, 14))
    conn.execute("select monitoring.acknowledge_alert(%s, 'on-call')", (alert_id,))
    assert set(escalate_each_minute(conn, range(14, 91)).values()) == {0}
    assert outbox(conn, alert_id, "escalation") == []


def test_after_an_outage_only_the_highest_due_step_is_sent(conn):
    alert_id = fire(conn)
    assert escalate_each_minute(conn, [60]) == {60: 1}
    assert [step for *_, step in outbox(conn, alert_id, "escalation")] == [2, 2, 2]


def test_the_evaluation_run_escalates(conn):
    alert_id = fire(conn)
    conn.execute("select * from monitoring.evaluate(null, %s)", (T0 + 16 * MIN,))
    assert [channel for channel, *_ in outbox(conn, alert_id, "escalation")] == ["sms"]


def test_the_resolve_reaches_everyone_paged(conn):
    conn.execute(
        "update monitoring.escalation_steps set recipients = %s where alert_type = 'high_error_rate' and step = 1",
        ([LEAD],),
    )
    alert_id = fire(conn)
    escalate_each_minute(conn, [15])
    assert outbox(conn, alert_id, "escalation") == [("sms", "pending", [LEAD], 1)]
    conn.execute("select monitoring.resolve_alert(%s)", (alert_id,))
    # email and Slack heard the firing (the type's routes, everyone); SMS only the lead's escalation
    assert outbox(conn, alert_id, "resolved") == [
        ("email", "pending", None, None),
        ("slack", "pending", None, None),
        ("sms", "pending", [LEAD], None),
    ]


def test_a_silence_wins_over_escalation(conn):
    alert_id = fire(conn)
    conn.execute(
        "insert into monitoring.silences (rule_key, starts_at, ends_at, comment, created_by)"
        " values ('critical_errors_per_hour', %s, %s, 'maintenance', 'test')",
        (T0, T0 + 120 * MIN),
    )
    escalate_each_minute(conn, [15])
    assert [status for _, status, *_ in outbox(conn, alert_id, "escalation")] == ["suppressed"]


@pytest.mark.parametrize("recipient", ["not an address", "+0123", "a@b", "x@y.z,w@v.u", "<a@b.c>"])
def test_a_step_recipient_must_be_an_address_or_an_e164_number(conn, recipient):
    with pytest.raises(psycopg.errors.CheckViolation, match="escalation_steps_recipients_valid"):
        conn.execute(
            "update monitoring.escalation_steps set recipients = %s where alert_type = 'high_error_rate'",
            (["oncall@example.com", recipient],),
        )
