"""The CLI's describe_interval words an interval exactly as monitoring.describe_interval does."""

from __future__ import annotations

from datetime import timedelta

from supalert.durations import describe_interval

SAMPLES = [timedelta(seconds=s) for s in (1, 10, 59, 60, 61, 90, 3600, 3660, 7200, 86400, 90061, 172800, 604800)]


def test_python_and_sql_word_intervals_alike(conn):
    for value in SAMPLES:
        sql = conn.execute("select monitoring.describe_interval(%s)", (value,)).fetchone()[0]
        assert describe_interval(value) == sql, value
