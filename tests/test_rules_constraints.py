"""supalert.rules checks a rule's values before any connection is made, with copies of what monitoring.rules's
constraints allow: each copy is read back from pg_constraint here, so the two cannot drift apart."""

from __future__ import annotations

import re

from supalert.rules import store, values

# Names a constraint had in an earlier release: still worded, for a database that was not migrated yet.
HISTORIC = {"rules_evaluation_interval_at_least_a_minute"}


def constraints(conn) -> dict[str, str]:
    rows = conn.execute(
        "select conname, pg_get_constraintdef(oid) from pg_constraint"
        " where conrelid = 'monitoring.rules'::regclass and contype in ('c', 'f')"
    ).fetchall()
    return dict(rows)


def test_every_constraint_on_a_settable_field_is_worded_for_the_cli(conn):
    on_settable = {name for (name,) in conn.execute(
        "select c.conname from pg_constraint c join pg_attribute a"
        " on a.attrelid = c.conrelid and a.attnum = any (c.conkey)"
        " where c.conrelid = 'monitoring.rules'::regclass and c.contype in ('c', 'f') and a.attname = any (%s)",
        (list(values.FIELDS),),
    )}  # fmt: skip
    assert on_settable - set(store.CONSTRAINTS) == set(), "word these in supalert.rules.store.CONSTRAINTS"
    assert set(store.CONSTRAINTS) - set(constraints(conn)) == HISTORIC


def test_the_cli_choices_are_the_constraints_lists(conn):
    defined = constraints(conn)
    for field in ("comparison", "on_no_data"):
        listed = re.findall(r"'([^']*)'::text", defined[f"rules_{field}_known"])
        assert tuple(listed) == values.CHOICES[field], field
    assert "REFERENCES monitoring.severities(severity)" in defined["rules_severity_known"]
    between = defined["rules_evaluations_before_firing_positive"]
    assert ">= 1" in between and "<= 1000" in between
    assert store.CONSTRAINTS["rules_evaluations_before_firing_positive"][1] == "must be between 1 and 1000"


def test_every_settable_field_is_a_column(conn):
    columns = {r[0] for r in conn.execute(
        "select attname from pg_attribute where attrelid = 'monitoring.rules'::regclass and attnum > 0"
        " and not attisdropped")}  # fmt: skip
    assert set(values.FIELDS) - columns == set()
    assert set(values.ALIASES.values()) <= columns
