"""Custom SQL rules as text, checked before any database: the query's shape, its timeout, and a rules file's
sql/timeout keys (supalert.rules.custom, supalert.rules.config)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from supalert.errors import SupalertError
from supalert.rules import config, custom


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("select 1 as value;", "select 1 as value"),
        ("  select ';' as label, 1 as value ; \n", "select ';' as label, 1 as value"),
        ("-- why\nwith t as (select 1 as value) select * from t",) * 2,
        ("(select 1 as value)", "(select 1 as value)"),
    ],
)  # fmt: skip
def test_a_query_is_stored_as_one_statement(text, stored):
    assert custom.clean_sql("k", text) == stored


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "is empty"),
        (" ; ", "is empty"),
        ("select 1 as value; select 2", "2 statements"),
        ("/* x */ update public.t set a = 1", "starts with UPDATE"),
        ("drop table public.t", "starts with DROP"),
        ("select 1 as value\x00", "NUL"),
    ],
)
def test_a_query_that_is_not_one_select_is_refused(text, words):
    with pytest.raises(SupalertError, match=words):
        custom.clean_sql("k", text)


def test_timeouts():
    assert custom.parse_timeout("k", None) == timedelta(seconds=5)
    assert custom.parse_timeout("k", "2m") == timedelta(minutes=2)
    for bad, words in (("6m", "longer than 5 minutes"), ("soon", "not understood"), ("0s", "not a positive")):
        with pytest.raises(SupalertError, match=words):
            custom.parse_timeout("k", bad)


def test_rules_file_reads_a_custom_rule_and_reports_every_problem(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text('[rules.stuck]\nsql = "select 1 as value;"\nthreshold = 3\ntimeout = "2s"\n')
    values, _names, query = config.read_file(path)["stuck"]
    assert values == {"threshold": 3} and query == ("select 1 as value", timedelta(seconds=2))
    path.write_text('[rules.a]\nsql = 5\nthreshold = 1\n[rules.b]\ntimeout = "2s"\n[rules.c]\nsql = "delete from x"\n')
    with pytest.raises(SupalertError) as caught:
        config.read_file(path)
    message = caught.value.message
    assert "rule a: sql must be a string" in message
    assert "rule b: timeout is only for a custom SQL rule" in message
    assert "rule c: the query starts with DELETE" in message
