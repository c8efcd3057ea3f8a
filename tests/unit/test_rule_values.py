"""A rule's values checked without a database, in-process: each kind's reader from command-line text and from TOML,
and the FIELD=VALUE words. The CLI prints these errors as they are (tests/test_rules_cli.py runs a few end to end)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from supalert.errors import SupalertError
from supalert.rules import config, values

CE = "critical_errors_per_hour"


@pytest.mark.parametrize(
    ("words", "says"),
    [
        (["colour=red"], ("rule critical_errors_per_hour: unknown field 'colour'", "evaluation_interval")),
        (["severity=urgent"], ("severity 'urgent' is not allowed (critical, high, warning, info)",)),
        (["window=-1h"], ("window '-1h'",)),
        (["repeat_interval=0m"], ("repeat_interval '0m' is not a positive duration",)),
        (["threshold=five"], ("threshold 'five' is not a number",)),
        (["threshold=NaN"], ("threshold NaN is not a finite number",)),
        (["enabled=maybe"], ("enabled 'maybe' is not true or false", "yes/no")),
        (["evaluations_before_firing=1.5"], ("evaluations_before_firing '1.5' is not a whole number",)),
        (["evaluations_before_firing=99999999999"], ("does not fit an integer column",)),
        (["title=a\x00b"], ("title contains a NUL character",)),
        (["threshold"], ("'threshold' is not FIELD=VALUE",)),
        ([], ("nothing to set",)),
        (["window=1h", "time_window=2h"], ("time_window is given twice (as window and time_window)",)),
        (["evaluation_interval=0s"], ("evaluation_interval '0s' is not a positive duration",)),
    ],
)
def test_bad_words_are_refused_naming_the_rule_and_the_field(words, says):
    with pytest.raises(SupalertError) as refused:
        config.parse_assignments(CE, config.split_assignments(CE, words))
    text = str(refused.value)
    assert text.startswith(f"rule {CE}: "), text
    for part in says:
        assert part in text, (part, text)


def test_good_words_become_the_values_stored():
    wanted, names = config.parse_assignments(
        CE,
        config.split_assignments(CE, ["threshold=7.50", "window=30m", "enabled=NO", "resolve_threshold=None",
                                      "severity= high ", "runbook_url=none"]),
    )  # fmt: skip
    assert wanted == {"threshold": Decimal("7.50"), "time_window": timedelta(minutes=30), "enabled": False,
                      "resolve_threshold": None, "severity": "high", "runbook_url": None}  # fmt: skip
    assert names["time_window"] == "window"


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("threshold", "5", "threshold must be a number, not a string"),
        ("threshold", True, "threshold must be a number, not a boolean"),
        ("resolve_threshold", [1], 'resolve_threshold must be a number or "none", not an array'),
        ("threshold", float("inf"), "threshold inf is not a finite number"),
        ("evaluations_before_firing", 1.0, "evaluations_before_firing must be an integer, not a float"),
        ("enabled", "yes", "enabled must be true or false, not a string"),
        ("window", 60, 'window must be a duration string such as "1 hour", not an integer'),
        ("severity", 3, 'severity must be one of "critical", "high", "warning", "info", not an integer'),
        ("severity", " high", "severity ' high' is not allowed"),  # TOML strings are taken exactly
        ("title", {"a": 1}, "title must be a string, not a table"),
    ],
)
def test_toml_values_must_have_the_fields_type(field, value, says):
    with pytest.raises(values.FieldError, match="^" + re.escape(says)):
        values.value_from_toml(field, value)


def test_toml_values_become_the_values_stored():
    assert values.value_from_toml("threshold", 0.1) == Decimal("0.1")  # not 0.1000000000000000055...
    assert values.value_from_toml("resolve_threshold", "NONE") is None
    assert values.value_from_toml("window", "1 day") == timedelta(days=1)
    assert values.value_from_toml("on_no_data", "resolve") == "resolve"


def test_a_rules_file_reports_every_problem_at_once(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[rules.a]\nthreshold = "x"\nwindow = 5\n[rules.b]\n[rules.c]\ncolour = 1\n')
    with pytest.raises(SupalertError) as refused:
        config.read_file(path)
    text = refused.value.message
    for part in ("rule a: threshold must be a number", "rule a: window must be a duration", "rule b: sets no field",
                 "rule c: unknown field 'colour'"):  # fmt: skip
        assert part in text, (part, text)
    assert text.startswith(f"{path}: ")
