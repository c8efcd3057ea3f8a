"""The one duration grammar (`--for`, `--stale-after`, `window=` and every interval field), without a database:
one case per test, so a failure names its input."""

from __future__ import annotations

from datetime import timedelta

import pytest

from supalert.durations import describe_interval, parse_duration
from supalert.errors import SupalertError
from supalert.rules import values

ACCEPTED = {
    "90s": timedelta(seconds=90), "30m": timedelta(minutes=30), "2h": timedelta(hours=2), "1d": timedelta(days=1),
    "1w": timedelta(weeks=1), "1 hour": timedelta(hours=1), "15 minutes": timedelta(minutes=15),
    "1 day 2 hours": timedelta(days=1, hours=2), "2 HOURS": timedelta(hours=2), " 10 sec ": timedelta(seconds=10),
    "1h30m": timedelta(hours=1, minutes=30), "2 hrs": timedelta(hours=2),
}  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), ACCEPTED.items())
def test_a_duration_in_any_of_its_forms_is_read(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize(("text", "why"), [
    ("soon", "is not understood"), ("", "is not understood"), ("5", "is not understood"),
    ("5 parsecs", "is not understood"), ("1 hour later", "is not understood"), ("-1h", "is not understood"),
    ("0s", "is not a positive duration"), ("0 hours 0 minutes", "is not a positive duration"),
    ("99999999999999 weeks", "is too long"),
])  # fmt: skip
def test_anything_else_is_refused_with_the_forms_that_work(text, why):
    with pytest.raises(SupalertError, match=why) as caught:
        parse_duration(text)
    assert "30m, 2h, 1d, 1 hour" in str(caught.value)


def test_silence_for_and_a_rules_window_accept_the_same_words():
    # The review found `silence --for "1 hour"` refused where `rules set window="1 hour"` worked.
    assert parse_duration("1 hour") == values.value_from_text("time_window", "1 hour")
    with pytest.raises(values.FieldError, match="time_window '0s' is not a positive duration"):
        values.value_from_text("time_window", "0s")


@pytest.mark.parametrize(("value", "words"), [
    (timedelta(hours=1), "1 hour"), (timedelta(minutes=15), "15 minutes"),
    (timedelta(days=1, hours=2), "1 day 2 hours"),
    (timedelta(0), "0 seconds"), (timedelta(seconds=61), "1 minute 1 second"),
])  # fmt: skip
def test_intervals_are_written_back_in_words(value, words):
    assert describe_interval(value) == words
    assert value == timedelta(0) or parse_duration(words) == value
