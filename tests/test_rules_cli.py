"""`python deploy.py rules`, `rules set` and `rules sync` as a user runs them, checked against monitoring.rules."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import psycopg
import pytest
from psycopg.rows import dict_row

from supalert.paths import PROJECT_ROOT
from supalert.rules import config, stems
from tests.support.engine_helpers import T0, insert_errors

CONFIG = PROJECT_ROOT / "alert-config.toml"

RULE_FILES = {rule.key: rule for rule in stems.rule_files(PROJECT_ROOT)}
SEEDED = {key: rule.columns["threshold"] for key, rule in RULE_FILES.items() if "metric_function" in rule.columns}
ENGINE_RULES = ("rule_error", "notification_dead")


def snapshot(db: str) -> dict[str, dict]:
    """Every row of monitoring.rules, every column (updated_at too: an UPDATE that changed nothing still shows)."""
    with psycopg.connect(db) as conn, conn.cursor(row_factory=dict_row) as cur:
        return {row["key"]: row for row in cur.execute("select * from monitoring.rules order by key")}


def row_diff(before: dict[str, dict], after: dict[str, dict]) -> set[tuple]:
    assert before.keys() == after.keys()
    return {
        (key, column, before[key][column], after[key][column])
        for key in before
        for column in before[key]
        if column != "updated_at" and before[key][column] != after[key][column]
    }


def refused(result, *words: str) -> str:
    """A one-line error naming `words`, exit 1, no traceback."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1 and message.startswith("error: "), message
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in message, (word, message)
    return message


def test_list_shows_every_rule_with_threshold_last_value_and_open_alerts(db, cli):
    with psycopg.connect(db, autocommit=True) as conn:
        insert_errors(conn, T0, 9, severity="critical")
        conn.execute("select count(*) from monitoring.evaluate('critical_errors_per_hour', %s)", (T0,))
        total = conn.execute("select count(*) from monitoring.rules").fetchone()[0]
    listed = cli("rules", "--db-url", db, "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {r["key"]: r for r in json.loads(listed.stdout)}
    assert len(rows) == total
    for key, threshold in SEEDED.items():
        assert rows[key]["kind"] == "metric" and rows[key]["threshold"] == threshold
    assert all(rows[key]["kind"] == "engine" and rows[key]["threshold"] == 0 for key in ENGINE_RULES)
    kinds = [r["kind"] for r in json.loads(listed.stdout)]
    assert kinds == sorted(kinds, key=lambda k: k == "engine")  # metric rules first
    fired = rows["critical_errors_per_hour"]
    assert (fired["last_value"], fired["last_state"], fired["open_alerts"], fired["window"]) == (
        9,
        "firing",
        1,
        "1 hour",
    )
    assert rows["high_errors_per_hour"]["last_state"] is None and rows["high_errors_per_hour"]["open_alerts"] == 0
    assert rows["concurrent_users_threshold"]["window"] == "15 minutes"

    table = cli("rules", "--db-url", db)
    assert table.returncode == 0, table.stderr
    lines = {line.split()[1]: line for line in table.stdout.splitlines() if line.startswith("│")}
    for key, threshold in SEEDED.items():
        assert f"{RULE_FILES[key].columns['comparison']} {threshold} " in lines[key], lines[key]
    assert all(key in lines for key in ENGINE_RULES)
    assert "firing" in lines["critical_errors_per_hour"]


def test_set_changes_fields_and_prints_old_and_new(db, cli):
    before = snapshot(db)
    done = cli("rules", "set", "critical_errors_per_hour", "threshold=12", "enabled=no", "window=30m", "--db-url", db)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "critical_errors_per_hour threshold: 5 -> 12",
        "critical_errors_per_hour enabled: true -> false",
        "critical_errors_per_hour window: 1 hour -> 30 minutes",
    ]
    after = snapshot(db)
    assert row_diff(before, after) == {
        ("critical_errors_per_hour", "threshold", Decimal(5), Decimal(12)),
        ("critical_errors_per_hour", "enabled", True, False),
        ("critical_errors_per_hour", "time_window", timedelta(hours=1), timedelta(minutes=30)),
    }
    assert after["critical_errors_per_hour"]["updated_at"] > before["critical_errors_per_hour"]["updated_at"]

    more = cli(
        "rules", "set", "high_errors_per_hour", "resolve_threshold=15.5", "time_window=1 day 2 hours", "enabled=TRUE",
        "severity=critical", "evaluations_before_firing=3", "repeat_interval=2h", "on_no_data=resolve",
        "runbook_url=https://runbooks.example.com/errors", "--db-url", db,
    )  # fmt: skip
    assert more.returncode == 0, more.stderr
    assert "high_errors_per_hour resolve_threshold: none -> 15.5" in more.stdout
    assert "high_errors_per_hour time_window: 1 hour -> 1 day 2 hours" in more.stdout
    assert "high_errors_per_hour enabled: true (unchanged)" in more.stdout
    row = snapshot(db)["high_errors_per_hour"]
    assert (row["resolve_threshold"], row["time_window"], row["severity"], row["evaluations_before_firing"]) == (
        Decimal("15.5"), timedelta(days=1, hours=2), "critical", 3,
    )  # fmt: skip
    assert (row["repeat_interval"], row["on_no_data"], row["runbook_url"]) == (
        timedelta(hours=2), "resolve", "https://runbooks.example.com/errors",
    )  # fmt: skip
    cleared = cli("rules", "set", "high_errors_per_hour", "resolve_threshold=none", "--db-url", db)
    assert "resolve_threshold: 15.5 -> none" in cleared.stdout
    assert snapshot(db)["high_errors_per_hour"]["resolve_threshold"] is None
    engine_rule = cli("rules", "--db-url", db, "set", "rule_error", "severity=critical")  # the group's --db-url
    assert engine_rule.returncode == 0 and snapshot(db)["rule_error"]["severity"] == "critical"
    grouped = cli("rules", "set", "low_credit_balance", "group_by=region, client_id", "group_wait=1m", "--db-url", db)
    assert grouped.returncode == 0, grouped.stderr
    assert "low_credit_balance group_by: [] -> ['region', 'client_id']" in grouped.stdout
    assert (snapshot(db)["low_credit_balance"]["group_by"], snapshot(db)["low_credit_balance"]["group_wait"]) == (
        ["region", "client_id"], timedelta(minutes=1),
    )  # fmt: skip
    ungrouped = cli("rules", "set", "low_credit_balance", "group_by=none", "--db-url", db)
    assert "group_by: ['region', 'client_id'] -> none" in ungrouped.stdout


CE = "critical_errors_per_hour"
# (arguments of `rules set`, what the one error line must say): one case per test, so each failure is its own.
# What needs no database (each value's kind) is tested in-process: tests/unit/test_rule_values.py.
REFUSALS = [
    (("no_such_rule", "threshold=1"),
     ("rule no_such_rule", "threshold", "unknown rule", "critical_errors_per_hour", "notification_dead")),
    (("high_errors_per_hour", "severity=urgent"),
     ("error: rule high_errors_per_hour: severity 'urgent' is not allowed (critical, high, warning, info)",)),
    ((CE, "threshold"), (CE, "FIELD=VALUE")),
    # Decided by the database's CHECK constraints, named by the constraint:
    ((CE, "resolve_threshold=10"),
     (f"rule {CE}", "resolve_threshold 10", "wrong side of threshold 5", "rules_resolve_threshold_on_safe_side")),
    (("low_credit_balance", "resolve_threshold=50"),
     ("rule low_credit_balance", "resolve_threshold 50", "at least", "rules_resolve_threshold_on_safe_side")),
    ((CE, "evaluations_before_firing=0"), (f"rule {CE}", "evaluations_before_firing 0", "between 1 and 1000")),
    ((CE, "runbook_url=ftp://x"), ("runbook_url 'ftp://x'", "http")),
    ((CE, "title=  "), (f"rule {CE}", "title", "blank")),
    ((CE, "group_by=a-b"), (f"rule {CE}", "group_by: 'a-b' is not a label name")),
    ((CE, "group_interval=0s"), (f"rule {CE}", "group_interval", "positive")),
]  # fmt: skip


@pytest.mark.parametrize(("args", "says"), REFUSALS, ids=[" ".join(a) for a, _ in REFUSALS])
def test_set_refuses_bad_input_naming_rule_and_field_and_changes_nothing(db, cli, args, says):
    before = snapshot(db)
    refused(cli("rules", "set", *args, "--db-url", db), *says)
    assert snapshot(db) == before


def test_values_with_sql_metacharacters_are_stored_as_data(db, cli, tmp_path):
    keys = snapshot(db).keys()
    title = "x'; drop table monitoring.rules; --"
    description = 'a "quoted" $$ dollar $$ \\ backslash %s %(name)s; select pg_sleep(10);'
    done = cli("rules", "set", "critical_errors_per_hour", f"title={title}", f"description={description}",
               "--db-url", db)  # fmt: skip
    assert done.returncode == 0, done.stderr
    row = snapshot(db)["critical_errors_per_hour"]
    assert (row["title"], row["description"]) == (title, description)
    evil_field = cli("rules", "set", "critical_errors_per_hour", "threshold'; drop table x --=5", "--db-url", db)
    refused(evil_field, "critical_errors_per_hour", "unknown field")
    evil_key = cli("rules", "set", "x'; drop table monitoring.rules; --", "threshold=1", "--db-url", db)
    refused(evil_key, "unknown rule")
    config = tmp_path / "evil.toml"
    config.write_text('[rules.high_errors_per_hour]\ntitle = "Robert\'); drop table monitoring.rules;--"\n')
    assert cli("rules", "sync", str(config), "--db-url", db).returncode == 0
    assert snapshot(db)["high_errors_per_hour"]["title"] == "Robert'); drop table monitoring.rules;--"
    assert snapshot(db).keys() == keys  # the table and every rule in it survived


def test_alert_config_toml_is_what_the_migrations_seed(db, cli):
    wanted = {key: values for key, (values, _names, _query) in config.read_file(CONFIG).items()}
    assert set(wanted) <= set(SEEDED) and len(wanted) == 15  # the seed's ALERT_THRESHOLDS (tests/test_rule_files)
    rows = snapshot(db)
    for key, fields in wanted.items():
        assert set(fields) == {"threshold", "time_window", "severity", "enabled"}, key
        assert fields["threshold"] == SEEDED[key]
        assert {f: rows[key][f] for f in fields} == fields, key
    synced = cli("rules", "sync", "alert-config.toml", "--db-url", db)
    assert synced.returncode == 0, synced.stderr
    assert synced.stdout.strip() == "alert-config.toml: no changes"
    assert snapshot(db) == rows


def test_sync_applies_exactly_the_changed_fields_then_nothing(db, cli, tmp_path):
    text = CONFIG.read_text()
    edits = [
        ("[rules.critical_errors_per_hour]\nthreshold = 5\n", "[rules.critical_errors_per_hour]\nthreshold = 7\n"),
        ('[rules.high_errors_per_hour]\nthreshold = 20\nwindow = "1 hour"\n',
         '[rules.high_errors_per_hour]\nthreshold = 20.0\nwindow = "30m"\nresolve_threshold = 15\n'),
        ('[rules.low_credit_balance]\nthreshold = 100  # comparison "<": alerts when a balance falls below it\n'
         'window = "1 hour"\nseverity = "high"\nenabled = true\n',
         '[rules.low_credit_balance]\nthreshold = 100\nwindow = "1 hour"\nseverity = "warning"\nenabled = true\n'),
    ]  # fmt: skip
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    config = tmp_path / "alert-config.toml"
    config.write_text(text)
    before = snapshot(db)
    first = cli("rules", "sync", str(config), "--db-url", db)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == [
        "critical_errors_per_hour threshold: 5 -> 7",
        "high_errors_per_hour window: 1 hour -> 30 minutes",
        "high_errors_per_hour resolve_threshold: none -> 15",
        "low_credit_balance severity: 'high' -> 'warning'",
        f"{config}: 4 change(s) in 3 rule(s)",
    ]
    after = snapshot(db)
    assert row_diff(before, after) == {
        ("critical_errors_per_hour", "threshold", Decimal(5), Decimal(7)),
        ("high_errors_per_hour", "time_window", timedelta(hours=1), timedelta(minutes=30)),
        ("high_errors_per_hour", "resolve_threshold", None, Decimal(15)),
        ("low_credit_balance", "severity", "high", "warning"),
    }
    touched = {key for key in after if after[key]["updated_at"] != before[key]["updated_at"]}
    assert touched == {"critical_errors_per_hour", "high_errors_per_hour", "low_credit_balance"}
    second = cli("rules", "sync", str(config), "--db-url", db)
    assert second.returncode == 0 and second.stdout.strip() == f"{config}: no changes"
    assert snapshot(db) == after
    back = cli("rules", "sync", "alert-config.toml", "--db-url", db)
    assert "high_errors_per_hour window: 30 minutes -> 1 hour" in back.stdout
    assert row_diff(before, snapshot(db)) == {("high_errors_per_hour", "resolve_threshold", None, Decimal(15))}


def test_an_invalid_file_changes_nothing_and_names_the_problem(db, cli, tmp_path):
    good = "[rules.critical_errors_per_hour]\nthreshold = 7\n"
    cases = {
        "unknown_rule": (good + "[rules.no_such_rule]\nthreshold = 1\n", ["no_such_rule", "known rules"]),
        "unknown_field": (good + "[rules.high_errors_per_hour]\ncolour = 'red'\n",
                          ["rule high_errors_per_hour", "'colour'"]),
        "bad_type": (good + "[rules.high_errors_per_hour]\nthreshold = \"five\"\nenabled = \"yes\"\n",
                     ["rule high_errors_per_hour", "threshold must be a number", "enabled must be true or false"]),
        "bad_window": (good + "[rules.high_errors_per_hour]\nwindow = \"-1 hour\"\n",
                       ["rule high_errors_per_hour", "window '-1 hour'"]),
        "bad_severity": (good + "[rules.high_errors_per_hour]\nseverity = \"urgent\"\n",
                         ["rule high_errors_per_hour: severity 'urgent' is not allowed"]),
        "syntax": (good + "[rules.high_errors_per_hour]\nthreshold = \n", ["not valid TOML", "line 4"]),
        "not_a_table": ("[rules]\ncritical_errors_per_hour = 5\n", ["rule critical_errors_per_hour", "table"]),
        "wrong_top_level": ("[rule.critical_errors_per_hour]\nthreshold = 5\n", ["'rule'"]),
        # Passes every check in Python; the database's CHECK refuses the second rule after the first was updated.
        "constraint": (good + "[rules.high_errors_per_hour]\nresolve_threshold = 50\n",
                       ["rule high_errors_per_hour", "resolve_threshold 50", "rules_resolve_threshold_on_safe_side"]),
    }  # fmt: skip
    before = snapshot(db)
    for name, (text, words) in cases.items():
        path = tmp_path / f"{name}.toml"
        path.write_text(text)
        message = refused(cli("rules", "sync", str(path), "--db-url", db), str(path), *words)
        assert snapshot(db) == before, (name, message)
    missing = cli("rules", "sync", str(tmp_path / "absent.toml"), "--db-url", db)
    refused(missing, "absent.toml", "no such file")
