"""The lifecycle writes an evaluation's changes as sets (monitoring.apply_observations and
monitoring.enqueue_notifications_many): what that must keep that one series at a time gave for free."""

from __future__ import annotations

import psycopg
import pytest

from tests.support.engine_helpers import LABELED_METRIC, MIN, T0, alerts, evaluate, put_labeled


def add_labeled_rule(conn) -> None:
    """The labeled rule, repeating after 2 minutes (so one evaluation can open, resolve and repeat)."""
    conn.execute(LABELED_METRIC)
    conn.execute("update monitoring.rules set repeat_interval = interval '2 minutes' where key = 'labeled'")


def events_by_host(conn) -> dict[str, set[str]]:
    rows = conn.execute(
        "select a.metadata -> 'labels' ->> 'host', n.event from monitoring.notifications as n"
        " join public.system_alerts as a on a.id = n.alert_id where a.alert_type = 'labeled'"
    ).fetchall()
    found: dict[str, set[str]] = {}
    for host, event in rows:
        found.setdefault(host, set()).add(event)
    return found


def test_a_series_the_metric_returns_twice_is_one_series_with_one_alert(conn):
    add_labeled_rule(conn)
    put_labeled(conn, ('{"host": "a"}', 9), ('{"host": "a"}', 9))
    rows = evaluate(conn, "labeled", T0)
    assert [r["state"] for r in rows] == ["firing", "firing"]
    assert len({r["alert_id"] for r in rows}) == 1
    assert len(alerts(conn, "labeled")) == 1
    stored = conn.execute("select count(*) from monitoring.rule_state where rule_key = 'labeled'").fetchone()[0]
    assert stored == 1


def test_one_evaluation_opens_resolves_and_repeats_each_alert_with_its_own_event(conn):
    add_labeled_rule(conn)
    put_labeled(conn, ('{"host": "b"}', 9), ('{"host": "c"}', 9))
    evaluate(conn, "labeled", T0)
    assert events_by_host(conn) == {"b": {"firing"}, "c": {"firing"}}
    # Three minutes on: a starts firing, b recovers, c still firing past its 2-minute repeat interval.
    put_labeled(conn, ('{"host": "a"}', 9), ('{"host": "b"}', 1), ('{"host": "c"}', 8))
    states = {r["labels"]["host"]: r["state"] for r in evaluate(conn, "labeled", T0 + 3 * MIN)}
    assert states == {"a": "firing", "b": "resolved", "c": "firing"}
    assert events_by_host(conn) == {"a": {"firing"}, "b": {"firing", "resolved"}, "c": {"firing", "repeat"}}
    resolved = [a for a in alerts(conn, "labeled") if a["status"] == "resolved"]
    assert [a["metadata"]["labels"]["host"] for a in resolved] == ["b"]
    # The payloads read the alerts as the evaluation left them.
    payload = conn.execute(
        "select n.payload from monitoring.notifications as n join public.system_alerts as a on a.id = n.alert_id"
        " where n.event = 'resolved' and a.alert_type = 'labeled' limit 1"
    ).fetchone()[0]
    assert payload["status"] == "resolved" and payload["resolved_at"] is not None
    repeat = conn.execute(
        "select n.payload from monitoring.notifications as n where n.event = 'repeat' limit 1"
    ).fetchone()[0]
    assert repeat["occurrences"] == 2 and repeat["message"].startswith("labeled = 8")


def test_enqueueing_for_an_alert_that_does_not_exist_names_it(conn):
    missing = "00000000-0000-4000-8000-000000000001"
    with pytest.raises(psycopg.errors.NoDataFound, match=f"alert {missing} not found"):
        conn.execute("select monitoring.enqueue_notifications_many(array[%s::uuid], 'firing', now())", (missing,))
