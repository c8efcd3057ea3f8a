"""rules/<key>.md is each shipped rule's one stem: the migrations install exactly what the files define, every file
has its runbook, its test case and its metric, and adding a rule is one file plus one command."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from supalert import sqlsource
from supalert.errors import SupalertError
from supalert.paths import project_root
from supalert.rules import stems
from tests.support.engine_helpers import MIN, T0, evaluate
from tests.support.project_copy import project_copy

ROOT = project_root()
SEED_DIR = ROOT.parent / "shared" / "seed"  # the seed the product grew from; not in a user's clone
ROW = "select * from monitoring.rules order by key"
TIMESTAMPS = ("created_at", "updated_at")


def rows(conn) -> dict[str, dict]:
    cur = conn.execute(ROW)
    names = [c.name for c in cur.description]
    return {r[0]: {n: v for n, v in zip(names, r, strict=True) if n not in TIMESTAMPS} for r in cur.fetchall()}


def test_the_migrations_install_exactly_the_rules_the_rule_files_define(conn):
    installed = rows(conn)
    assert installed["monitor_down"]["enabled"] is False  # the test template turns it off (tests/support/harness)
    installed["monitor_down"]["enabled"] = True  # as the migrations installed it
    conn.execute("delete from monitoring.rules")
    for rule in stems.rule_files(ROOT):
        conn.execute(rule.statement())
    assert rows(conn) == installed


def test_every_rule_file_has_its_pieces():
    rules = stems.rule_files(ROOT)
    assert len(rules) >= 19
    metrics = {path.stem for path in (ROOT / "sql" / "metrics").glob("*.sql")}
    for rule in rules:
        if rule.columns.get("kind", "metric") == "metric":
            assert rule.columns["metric_function"] in metrics, f"{rule.relpath}: no sql/metrics/ file for its metric"
        for test in rule.test.get("covered_by", []):
            module, _, name = test.partition("::")
            tree = ast.parse((ROOT / module).read_text())
            defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
            assert name in defined, f"{rule.relpath}: covered_by names {test}, which does not exist"
        assert rule.runbook.strip(), rule.relpath


@pytest.mark.skipif(not SEED_DIR.is_dir(), reason="../shared/seed is not beside this clone")
def test_the_rule_files_keep_every_threshold_of_the_seed():
    [seed] = [p for p in SEED_DIR.iterdir() if "ALERT_THRESHOLDS" in p.read_text()]
    block = re.search(r"ALERT_THRESHOLDS = \{(.*?)\};", seed.read_text(), re.S)[1]
    thresholds = {k: int(v) for k, v in re.findall(r"^\s*(\w+): (\d+)", block, re.M)}
    assert len(thresholds) == 15
    defined = {rule.key: rule.columns["threshold"] for rule in stems.rule_files(ROOT)}
    assert {key: defined.get(key) for key in thresholds} == thresholds


def test_the_readme_table_is_written_from_the_rule_files():
    assert stems.readme_current(ROOT, stems.rule_files(ROOT)), "run python deploy.py new-migration --docs"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return project_copy(tmp_path)


NEW_RULE = (ROOT / "docs" / "adding-a-rule.md").read_text().split("```markdown\n", 1)[1].split("\n````", 1)[0]


def test_adding_a_rule_is_one_file_then_one_command(project, conn):
    folder = project / "migrations"
    (project / "rules" / "many_warnings_per_hour.md").write_text(NEW_RULE)
    assert [f.relpath for f in sqlsource.changed_sources(project, folder).changed] == [
        "rules/many_warnings_per_hour.md"
    ]
    path, changes = sqlsource.write_migration(project, folder, "add_many_warnings_per_hour")
    assert changes.redefined == [] and not sqlsource.changed_sources(project, folder)
    assert "[`many_warnings_per_hour`](rules/many_warnings_per_hour.md)" in (project / "README.md").read_text()
    conn.execute(path.read_text())  # the new migration, on a database with every earlier one
    [rule] = [r for r in stems.rule_files(project) if r.key == "many_warnings_per_hour"]
    [[title, threshold]] = conn.execute(
        "select title, threshold from monitoring.rules where key = 'many_warnings_per_hour'"
    ).fetchall()
    assert (title, threshold) == (rule.columns["title"], rule.columns["threshold"])
    conn.execute(rule.feed("breach", T0.isoformat()))
    assert [r["state"] for r in evaluate(conn, "many_warnings_per_hour", T0 + MIN)] == ["firing"]


def test_a_changed_rule_is_copied_with_a_warning_that_installed_rows_keep_theirs(project):
    path = project / "rules" / "high_errors_per_hour.md"
    path.write_text(path.read_text().replace("threshold = 20\n", "threshold = 25\n"))
    migration, changes = sqlsource.write_migration(project, project / "migrations", "raise_high_errors")
    assert changes.redefined == ["rules/high_errors_per_hour.md"]
    text = migration.read_text()
    assert "-- rules/high_errors_per_hour.md changed: its insert below reaches only databases without the rule" in text
    assert "'high_error_rate', 'high', '>', 25\n)\non conflict (key) do nothing;" in text


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda t: t.replace("```toml", "```"), "no ```toml block"),
        (lambda t: t.replace('severity = "warning"\n', ""), "missing severity"),
        (lambda t: t.replace('severity = "warning"', 'severity = "loud"'), "severity 'loud' is not allowed"),
        (lambda t: t.replace("threshold = 50", 'threshold = "50"'), "threshold must be a number, not a string"),
        (lambda t: t.replace("[test]", "[tests]"), "[test] needs breach and calm"),
        (lambda t: t.replace('unit = ""\n', ""), "[readme] needs measures and unit"),
        (lambda t: t.replace("## What to do", "## Notes"), "the runbook lacks '## What to do'"),
        (lambda t: t.replace("threshold = 50", 'threshold = 50\nwindw = "1 hour"'), "unknown field 'windw'"),
    ],
)  # fmt: skip
def test_a_rule_file_missing_a_piece_names_the_file_and_the_piece(project, edit, problem):
    path = project / "rules" / "many_warnings_per_hour.md"
    path.write_text(edit(NEW_RULE))
    with pytest.raises(SupalertError, match=re.escape(problem)) as refused:
        stems.rule_files(project)
    assert refused.value.message.startswith("rules/many_warnings_per_hour.md: ")
