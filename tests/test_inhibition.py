"""Inhibition (monitoring.inhibitions): while a source alert is open its targets are recorded but not sent, in
whichever order the two fired; when the source resolves, targets still firing are told; a silence wins over all."""

from __future__ import annotations

from tests.support.engine_helpers import MIN, T0, evaluate, insert_errors


def claim(conn, limit=100):
    return conn.execute("select id from monitoring.claim_notifications('w1', %s)", (limit,)).fetchall()


def rows(conn, rule):
    return conn.execute(
        "select n.event, n.channel, n.status, (n.inhibited_by is not null) from monitoring.notifications n"
        " join public.system_alerts a on a.id = n.alert_id where a.alert_type = %s"
        " order by n.created_at, n.event, n.channel",
        (rule,),
    ).fetchall()


def claimed_rules(conn):
    ids = [r[0] for r in claim(conn, limit=100)]
    return sorted(
        conn.execute(
            "select a.alert_type, n.channel from monitoring.notifications n join public.system_alerts a"
            " on a.id = n.alert_id where n.id = any(%s)",
            (ids,),
        ).fetchall()
    )


def burst(conn):
    """30 high-severity errors: both error rules fire, the target first (the order must not matter)."""
    insert_errors(conn, T0, 30, severity="high")
    assert evaluate(conn, "high_errors_per_hour", T0 + MIN)[0]["state"] == "firing"
    assert evaluate(conn, "critical_errors_per_hour", T0 + MIN)[0]["state"] == "firing"


def test_the_stronger_error_alert_speaks_for_both(conn):
    burst(conn)
    assert claimed_rules(conn) == [("critical_errors_per_hour", c) for c in ("email", "slack")]
    assert rows(conn, "high_errors_per_hour") == [("firing", "email", "suppressed", True),
                                                  ("firing", "slack", "suppressed", True)]  # fmt: skip


def test_a_target_still_firing_when_its_source_resolves_is_told_then(conn):
    burst(conn)
    claim(conn, limit=100)
    conn.execute("update monitoring.rules set threshold = 100 where key = 'critical_errors_per_hour'")
    assert evaluate(conn, "critical_errors_per_hour", T0 + 2 * MIN)[0]["state"] == "resolved"
    assert claimed_rules(conn) == sorted(
        [("critical_errors_per_hour", c) for c in ("email", "slack")]  # its resolve
        + [("high_errors_per_hour", c) for c in ("email", "slack")]  # the firing it held back
    )
    # The target's own resolve later goes to the channels that heard it, as any alert's.
    conn.execute("update monitoring.rules set threshold = 100 where key = 'high_errors_per_hour'")
    assert evaluate(conn, "high_errors_per_hour", T0 + 3 * MIN)[0]["state"] == "resolved"
    assert claimed_rules(conn) == [("high_errors_per_hour", "email"), ("high_errors_per_hour", "slack")]


def test_a_target_resolved_while_inhibited_sends_nothing_at_all(conn):
    burst(conn)
    claim(conn, limit=100)
    conn.execute("update monitoring.rules set threshold = 100 where key = 'high_errors_per_hour'")
    assert evaluate(conn, "high_errors_per_hour", T0 + 2 * MIN)[0]["state"] == "resolved"
    conn.execute("update monitoring.rules set threshold = 100 where key = 'critical_errors_per_hour'")
    assert evaluate(conn, "critical_errors_per_hour", T0 + 3 * MIN)[0]["state"] == "resolved"
    assert claimed_rules(conn) == [("critical_errors_per_hour", c) for c in ("email", "slack")]
    assert [r[2] for r in rows(conn, "high_errors_per_hour")] == ["suppressed", "suppressed"]


def test_a_silence_wins_over_the_release(conn):
    conn.execute(
        "insert into monitoring.silences (rule_key, starts_at, ends_at, comment, created_by)"
        " values ('high_errors_per_hour', %s, now() + interval '1 day', 'deploy', 'test')",
        (T0 - MIN,),
    )
    burst(conn)
    claim(conn, limit=100)
    conn.execute("update monitoring.rules set threshold = 100 where key = 'critical_errors_per_hour'")
    evaluate(conn, "critical_errors_per_hour", T0 + 2 * MIN)
    assert [r for r in claimed_rules(conn) if r[0] == "high_errors_per_hour"] == []
    assert {r[2] for r in rows(conn, "high_errors_per_hour")} == {"suppressed"}


def test_monitor_down_speaks_for_every_rule_but_not_for_the_apps_own_alerts(conn):
    conn.execute("update monitoring.rules set enabled = true where key = 'monitor_down'")  # the harness disables it
    conn.execute("select monitoring.observe_engine_rule('monitor_down', '{}', true, '{}', %s)", (T0,))
    insert_errors(conn, T0, 9, severity="critical")
    evaluate(conn, "critical_errors_per_hour", T0 + MIN)
    conn.execute("select monitoring.notify('high', 'Checkout broken', 'm', 'checkout')")
    assert claimed_rules(conn) == sorted(
        [("monitor_down", c) for c in ("email", "slack", "sms")] + [("checkout", "email"), ("checkout", "slack")]
    )
    assert {r[2] for r in rows(conn, "critical_errors_per_hour")} == {"suppressed"}


def test_an_inhibition_is_data(conn):
    conn.execute("update monitoring.inhibitions set enabled = false where source_rule = 'critical_errors_per_hour'")
    burst(conn)
    assert [r for r in claimed_rules(conn) if r[0] == "high_errors_per_hour"] == [
        ("high_errors_per_hour", "email"), ("high_errors_per_hour", "slack")]  # fmt: skip


def test_the_30_error_burst_is_one_email_and_one_slack_message_and_so_is_its_end(conn):
    burst(conn)
    assert claimed_rules(conn) == [("critical_errors_per_hour", "email"), ("critical_errors_per_hour", "slack")]
    for rule in ("high_errors_per_hour", "critical_errors_per_hour"):  # an hour on, the errors leave the window
        assert evaluate(conn, rule, T0 + 61 * MIN)[0]["state"] == "resolved"
    assert claimed_rules(conn) == [("critical_errors_per_hour", "email"), ("critical_errors_per_hour", "slack")]
    assert claim(conn) == []
