"""monitoring.cron_next_run against a small Python model of pg_cron's schedule (vixie cron's rules): for random
five-field schedules and start times, the database's next start is the first minute the model accepts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day", 1, 31), ("month", 1, 12), ("weekday", 0, 6))


@st.composite
def field(draw, low: int, high: int) -> str:
    def part() -> str:
        kind = draw(st.sampled_from(["value", "range", "step", "range_step"]))
        a = draw(st.integers(low, high))
        b = draw(st.integers(a, high))
        n = draw(st.integers(1, max(1, high - low)))
        return {"value": str(a), "range": f"{a}-{b}", "step": f"*/{n}", "range_step": f"{a}-{b}/{n}"}[kind]

    if draw(st.booleans()):
        return "*"
    return ",".join(part() for _ in range(draw(st.integers(1, 3))))


def allowed(text: str, low: int, high: int) -> set[int]:
    values: set[int] = set()
    for part in text.split(","):
        span, _, step = part.partition("/")
        first, last = (low, high) if span == "*" else (int(span.split("-")[0]), int(span.split("-")[-1]))
        values |= set(range(first, last + 1, int(step or 1)))
    return values


def model_next(schedule: str, after: datetime) -> datetime | None:
    texts = schedule.split()
    sets = [allowed(t, lo, hi) for t, (_, lo, hi) in zip(texts, FIELDS, strict=True)]
    any_day, any_weekday = texts[2].startswith("*"), texts[4].startswith("*")
    at = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    for _ in range(60 * 24 * 366 * 5):
        day_ok = at.day in sets[2]
        weekday_ok = (at.isoweekday() % 7) in sets[4]
        day = (
            True if any_day and any_weekday
            else weekday_ok if any_day
            else day_ok if any_weekday
            else day_ok or weekday_ok
        )  # fmt: skip
        if at.minute in sets[0] and at.hour in sets[1] and at.month in sets[3] and day:
            return at
        at += timedelta(minutes=1)
    return None


SCHEDULES = st.tuples(*(field(lo, hi) for _, lo, hi in FIELDS)).map(" ".join)
# Dense schedules only: the model walks minute by minute, and a sparse one (29 February on a Sunday) takes years.
DENSE = SCHEDULES.filter(lambda s: s.split()[2] == "*" or s.split()[3] == "*")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    schedule=DENSE,
    after=st.datetimes(datetime(2026, 1, 1), datetime(2028, 12, 31)).map(lambda d: d.replace(tzinfo=UTC)),
)
def test_next_run_is_the_first_minute_the_schedule_allows(conn, schedule, after):
    got = conn.execute("select monitoring.cron_next_run(%s, %s, 'UTC')", (schedule, after)).fetchone()[0]
    assert got == model_next(schedule, after), schedule


def test_the_schedule_forms_pg_cron_takes_beyond_five_fields(conn):
    at = datetime(2026, 12, 7, 8, 3, 30, tzinfo=UTC)

    def next_run(schedule: str):
        return conn.execute("select monitoring.cron_next_run(%s, %s)", (schedule, at)).fetchone()[0]

    assert next_run("30 seconds") == at + timedelta(seconds=30)
    assert next_run("@hourly") == datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    assert next_run("@daily") == datetime(2026, 12, 8, 0, 0, tzinfo=UTC)
    assert next_run("0 0 $ * *") == datetime(2026, 12, 31, 0, 0, tzinfo=UTC)  # pg_cron's last day of the month
    assert next_run("0 9 * * mon-fri") == datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    assert next_run("0 0 * * 7") == datetime(2026, 12, 13, 0, 0, tzinfo=UTC)  # 7 is Sunday, as 0 is
    assert next_run("0 0 1 jan,jul *") == datetime(2027, 1, 1, 0, 0, tzinfo=UTC)
    for never in ("@reboot", "0 0 30 2 *", "61 * * * *", "* * *", "x * * * *", "*/0 * * * *"):
        assert next_run(never) is None, never
