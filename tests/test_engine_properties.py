"""Property test: random value streams and thresholds, every state checked against a small Python model."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.engine_helpers import COMPARE, MIN, T0, add_test_rule, alerts, evaluate, set_value


def model(values, comparison, threshold, resolve, needed, on_no_data):
    """The documented lifecycle, in plain Python: states per evaluation, alerts opened, alerts resolved."""
    past = COMPARE[comparison]
    count, is_open, opened, resolved, states = 0, False, 0, 0, []
    for value in values:
        if value is None:
            verdict = {"keep": "no_data", "resolve": "clear", "alert": "breach"}[on_no_data]
        elif past(value, threshold):
            verdict = "breach"
        elif not past(value, resolve):
            verdict = "clear"
        else:
            verdict = "between"
        if verdict == "breach":
            count += 1
            if is_open:
                state = "firing"
            elif count >= needed:
                is_open, opened, state = True, opened + 1, "firing"
            else:
                state = "pending"
        elif verdict == "clear":
            count = 0
            state = "resolved" if is_open else ("no_data" if value is None else "ok")
            resolved += is_open
            is_open = False
        elif verdict == "between":
            if not is_open:
                count = 0
            state = "firing" if is_open else "ok"
        else:
            state = "no_data"
        states.append(state)
    return states, opened, resolved


@st.composite
def scenarios(draw):
    comparison = draw(st.sampled_from(list(COMPARE)))
    threshold = draw(st.integers(0, 10))
    gap = draw(st.integers(0, 3))
    resolve = threshold - gap if comparison in (">", ">=") else threshold + gap
    # Values near the threshold, so breach, clear and the band between the two thresholds all come up often.
    near = st.integers(-4, 4).map(lambda offset: threshold + offset)
    values = draw(st.lists(st.one_of(st.none(), near), min_size=1, max_size=25))
    needed = draw(st.integers(1, 4))
    on_no_data = draw(st.sampled_from(["keep", "resolve", "alert"]))
    return comparison, threshold, resolve, values, needed, on_no_data


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scenario=scenarios())
def test_engine_matches_the_lifecycle_model(conn, scenario):
    comparison, threshold, resolve, values, needed, on_no_data = scenario
    with conn.transaction(force_rollback=True):
        rule = add_test_rule(
            conn,
            comparison=comparison,
            threshold=threshold,
            resolve_threshold=resolve,
            evaluations_before_firing=needed,
            on_no_data=on_no_data,
        )
        for i, value in enumerate(values):
            set_value(conn, T0 + i * MIN, value, no_data=value is None)
        states = [evaluate(conn, rule, T0 + i * MIN)[0]["state"] for i in range(len(values))]
        expected_states, opened, resolved = model(values, comparison, threshold, resolve, needed, on_no_data)
        assert states == expected_states
        rows = alerts(conn, rule)
        assert len(rows) == opened
        assert sum(a["status"] == "resolved" for a in rows) == resolved
        assert sum(a["status"] != "resolved" for a in rows) <= 1
