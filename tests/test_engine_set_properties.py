"""Property test of the set-based engine: several series in one rule, appearing, disappearing and repeating values
(so that most evaluations skip most series), every returned state, every alert's occurrences and repeats, and the
rows an evaluation writes, checked against a small Python model of the lifecycle."""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.engine_helpers import COMPARE, MIN, T0, alerts, evaluate

ABSENT = "absent"  # the series is not in the metric's output this evaluation
MULTI_METRIC = """
create table monitoring.test_multi (at timestamptz, series text, value numeric, no_data boolean not null);
create function monitoring.metric_test_multi(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language sql stable set search_path = ''
as $$
    select t.value, pg_catalog.jsonb_build_object('series', t.series), pg_catalog.jsonb_build_object('at', p_now),
           t.no_data
      from monitoring.test_multi as t where t.at = p_now
$$;
"""
# What a rule's evaluation writes (monitoring.evaluate also rolls up function-call hours, unrelated to the rule).
WRITTEN = (
    "select coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) from pg_stat_xact_all_tables"
    " where relname in ('rule_state', 'rule_runs', 'system_alerts', 'notifications')"
)


@dataclass
class Series:
    """The documented lifecycle of one series, in plain Python."""

    count: int = 0
    open: bool = False
    opened: int = 0
    occurrences: list[int] = field(default_factory=list)  # per alert opened
    repeats: list[int] = field(default_factory=list)
    notified: int | None = None  # minute of the open alert's last firing or repeat
    last: tuple | None = None  # (verdict, value) of the previous evaluation that saw the series

    def observe(self, minute: int, value, rule: dict) -> tuple[str | None, bool]:
        """(state returned, steady): no state when the series has nothing to report; steady when its verdict and
        value are those of the evaluation before and nothing is due (the engine must then write nothing for it)."""
        if value == ABSENT:
            if not (self.count or self.open):
                return None, True
            value = None
        state, due = self._step(minute, value, rule)
        steady = self.last == (self._verdict(value, rule), value) and not due
        self.last = (self._verdict(value, rule), value)
        return state, steady

    @staticmethod
    def _verdict(value, rule: dict) -> str:
        past = COMPARE[rule["comparison"]]
        if value is None:
            return {"keep": "no_data", "resolve": "clear", "alert": "breach"}[rule["on_no_data"]]
        if past(value, rule["threshold"]):
            return "breach"
        return "clear" if not past(value, rule["resolve"]) else "between"

    def _step(self, minute: int, value, rule: dict) -> tuple[str, bool]:
        """The lifecycle: (state, whether something other than an open alert's occurrence happened)."""
        verdict = self._verdict(value, rule)
        if verdict == "breach":
            self.count += 1
            if self.open:
                self.occurrences[-1] += 1
                if minute - self.notified >= rule["repeat"]:
                    self.repeats[-1] += 1
                    self.notified = minute
                    return "firing", True
                return "firing", False
            if self.count >= rule["needed"]:
                self.open, self.opened, self.notified = True, self.opened + 1, minute
                self.occurrences.append(1)
                self.repeats.append(0)
                return "firing", True
            return "pending", True
        if verdict == "clear":
            was_open, had_count = self.open, self.count
            self.count, self.open = 0, False
            return ("resolved" if was_open else "no_data" if value is None else "ok"), was_open or had_count > 0
        if verdict == "between":
            had_count = self.count and not self.open
            if not self.open:
                self.count = 0
            return ("firing" if self.open else "ok"), bool(had_count)
        return "no_data", False


@st.composite
def scenarios(draw):
    comparison = draw(st.sampled_from(list(COMPARE)))
    threshold = draw(st.integers(0, 6))
    gap = draw(st.integers(0, 2))
    resolve = threshold - gap if comparison in (">", ">=") else threshold + gap
    rule = {
        "comparison": comparison, "threshold": threshold, "resolve": resolve,
        "needed": draw(st.integers(1, 3)), "on_no_data": draw(st.sampled_from(["keep", "resolve", "alert"])),
        "repeat": draw(st.sampled_from([2, 3, 240])),  # minutes; 240 = the default 4 hours: no repeat here
    }  # fmt: skip
    # Few distinct values, so that a series often repeats its value (the case the engine skips).
    value = st.one_of(st.just(ABSENT), st.none(), st.integers(-2, 2).map(lambda o: threshold + o))
    names = draw(st.lists(st.sampled_from("abcde"), min_size=1, max_size=4, unique=True))
    steps = draw(st.integers(1, 14))
    stream = [{name: draw(value) for name in names} for _ in range(steps)]
    return rule, stream


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scenario=scenarios())
def test_set_based_engine_matches_the_model_per_series(conn, scenario):
    rule, stream = scenario
    with conn.transaction(force_rollback=True):
        conn.execute(MULTI_METRIC)
        conn.execute(
            "insert into monitoring.rules (key, title, metric_function, comparison, threshold, resolve_threshold,"
            " severity, evaluations_before_firing, on_no_data, repeat_interval)"
            " values ('multi_rule', 'Multi', 'metric_test_multi', %s, %s, %s, 'high', %s, %s,"
            " make_interval(mins => %s))",
            (rule["comparison"], rule["threshold"], rule["resolve"], rule["needed"], rule["on_no_data"],
             rule["repeat"]),
        )  # fmt: skip
        model = {name: Series() for name in stream[0]}
        for minute, values in enumerate(stream):
            at = T0 + minute * MIN
            for name, value in values.items():
                if value != ABSENT:
                    conn.execute(
                        "insert into monitoring.test_multi values (%s, %s, %s, %s)", (at, name, value, value is None)
                    )
            expected, steady = {}, True
            for name, value in values.items():
                state, still = model[name].observe(minute, value, rule)
                if state is not None:
                    expected[name] = state
                steady = steady and still
            before = conn.execute(WRITTEN).fetchone()[0]
            rows = evaluate(conn, "multi_rule", at)
            written = conn.execute(WRITTEN).fetchone()[0] - before
            assert {r["labels"]["series"]: r["state"] for r in rows} == expected, (minute, values)
            if steady:  # every series as it was the evaluation before: the run's log row is all it writes
                assert written == 1, (minute, values, written)
        by_series: dict[str, list[dict]] = {}
        for alert in alerts(conn, "multi_rule"):
            by_series.setdefault(alert["metadata"]["labels"]["series"], []).append(alert)
        for name, series in model.items():
            got = by_series.get(name, [])
            assert len(got) == series.opened, name
            assert [a["occurrences"] for a in got] == series.occurrences, name
            repeats = [
                conn.execute(
                    "select count(distinct created_at) from monitoring.notifications"
                    " where alert_id = %s and event = 'repeat'",
                    (a["id"],),
                ).fetchone()[0]
                for a in got
            ]
            assert repeats == series.repeats, name
