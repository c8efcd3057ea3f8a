"""The one duration grammar of the CLI and the rules file: '90s', '30m', '2h', '1 hour', '15 minutes',
'1 day 2 hours', '1w' (parts of a number and a unit, summed). `--for`, `--stale-after`, `window=` and every
interval field of a rule read durations through parse_duration; describe_interval writes them back as
monitoring.describe_interval does (tests/test_describe_interval.py keeps the two equal)."""

from __future__ import annotations

import re
from datetime import timedelta

from supalert.errors import SupalertError

PART = re.compile(r"(\d+)\s*([a-z]+)", re.I)
UNIT_SECONDS = {
    "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
    "w": 604800, "week": 604800, "weeks": 604800,
}  # fmt: skip
HINT = "use a positive duration such as 30m, 2h, 1d, 1 hour, 15 minutes or 1 day 2 hours"


def parse_duration(text: str) -> timedelta:
    """A duration of the grammar above as a timedelta; anything else (zero included) is a SupalertError."""
    text = text or ""
    parts = PART.findall(text)
    if not parts or PART.sub("", text).strip() or any(unit.lower() not in UNIT_SECONDS for _, unit in parts):
        raise SupalertError(f"duration {text!r} is not understood", HINT)
    seconds = sum(int(number) * UNIT_SECONDS[unit.lower()] for number, unit in parts)
    if seconds == 0:
        raise SupalertError(f"duration {text!r} is not a positive duration", HINT)
    try:
        return timedelta(seconds=seconds)
    except OverflowError:
        raise SupalertError(f"duration {text!r} is too long", HINT) from None


def describe_interval(value: timedelta) -> str:
    """'1 hour', '15 minutes', '1 day 2 hours', as monitoring.describe_interval words an interval."""
    seconds = int(value.total_seconds())
    parts = []
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {unit}{'s' if count > 1 else ''}")
    return " ".join(parts) or "0 seconds"
