"""How monitoring.evaluate_rule finds a series' stored state: by its labels, with the fingerprint confirming the
match, and an open alert whose state row is gone still found by its fingerprint."""

from __future__ import annotations

from tests.support.engine_helpers import LABELED_METRIC, MIN, T0, alerts, evaluate, put_labeled


def setup(conn, *series: tuple[str, float]) -> None:
    conn.execute(LABELED_METRIC)
    put_labeled(conn, *series)


def open_alerts(conn) -> list[dict]:
    return [a for a in alerts(conn, "labeled") if a["status"] != "resolved"]


def test_an_open_alert_whose_state_was_deleted_still_resolves_and_is_not_opened_twice(conn):
    setup(conn, ('{"host": "a"}', 9), ('{"host": "b"}', 9), ('{"host": "c"}', 1))
    evaluate(conn, "labeled", T0)
    assert len(open_alerts(conn)) == 2
    conn.execute("delete from monitoring.rule_state where rule_key = 'labeled'")
    # Still breaching: the same alerts, bumped (the state is written again), not new ones.
    states = {r["labels"]["host"]: r["state"] for r in evaluate(conn, "labeled", T0 + MIN)}
    assert states == {"a": "firing", "b": "firing", "c": "ok"}
    assert len(alerts(conn, "labeled")) == 2
    stored = conn.execute("select count(*) from monitoring.rule_state where rule_key = 'labeled'").fetchone()[0]
    assert stored == 2
    conn.execute("delete from monitoring.rule_state where rule_key = 'labeled'")
    put_labeled(conn, ('{"host": "a"}', 1), ('{"host": "b"}', 9), ('{"host": "c"}', 1))
    states = {r["labels"]["host"]: r["state"] for r in evaluate(conn, "labeled", T0 + 2 * MIN)}
    assert states == {"a": "resolved", "b": "firing", "c": "ok"}
    assert [a["metadata"]["labels"]["host"] for a in open_alerts(conn)] == ["b"]


def test_labels_equal_as_jsonb_but_printed_differently_are_two_series(conn):
    # jsonb equality takes 1.0 and 1 as equal; the fingerprint (the labels as printed) does not, and it decides.
    setup(conn, ('{"n": 1.0}', 9))
    [first] = evaluate(conn, "labeled", T0)
    assert first["state"] == "firing"
    put_labeled(conn, ('{"n": 1}', 9))
    rows = evaluate(conn, "labeled", T0 + MIN)
    # {"n": 1} is a new series (its own alert); {"n": 1.0} vanished from the metric with an open alert: no data.
    by_label = {str(r["labels"]): r["state"] for r in rows}
    assert sorted(by_label.values()) == ["firing", "no_data"]
    assert len(open_alerts(conn)) == 2
    fingerprints = conn.execute(
        "select count(distinct fingerprint) from public.system_alerts where alert_type = 'labeled'"
    ).fetchone()[0]
    assert fingerprints == 2
