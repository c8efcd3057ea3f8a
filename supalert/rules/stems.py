"""A shipped rule is one stem: rules/<key>.md holds its definition, its test case and its runbook.

The file is Markdown, so it reads as the rule's runbook page; its first ```toml block is the definition:

    title, description, severity, comparison, threshold      required
    kind ("metric" or "engine"), metric_function (metric)    what evaluates it
    params, labels (tables), window, resolve_threshold, ...  any settable field (supalert.rules.values), else the
                                                             column's default in monitoring.rules
    [readme] measures, unit                                  its row in README.md's rules table
    [test] breach, calm (SQL, :at is the evaluation time)    tests/test_rules.py feeds them and checks the rule
           or covered_by = ["tests/x.py::test_name"]         fires, resolves and stays quiet; or the tests that do

The definition becomes `insert into monitoring.rules ... on conflict (key) do nothing` in a migration
(`new-migration`, through supalert.sqlsource), and the README's table is written from every file. The Markdown after
the block must have the sections of RUNBOOK_SECTIONS.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from supalert.errors import SupalertError
from supalert.rules.config import collect, loads
from supalert.rules.values import FieldError, format_value, value_from_toml

FOLDER = "rules"
RUNBOOK_SECTIONS = ("## What it means", "## What to do")
REQUIRED = ("title", "description", "severity", "comparison", "threshold")
DEFINITION_ONLY = {"kind": str, "metric_function": str, "params": dict, "labels": dict}
KINDS = ("metric", "engine")
BLOCK = re.compile(r"^```toml\n(?P<toml>.*?)^```$", re.S | re.M)
AT = re.compile(r"(?<![:\w]):at\b")  # :at, but not the cast ::at... or a word ending in :at
README_START = "<!-- rules table: written from rules/*.md by `python deploy.py new-migration`; edit those -->"
README_END = "<!-- end of rules table -->"


@dataclass(frozen=True)
class RuleFile:
    key: str
    relpath: str  # rules/<key>.md
    columns: dict[str, Any]  # column of monitoring.rules -> value, for the columns the file sets
    readme: dict[str, str]  # measures, unit
    test: dict[str, Any]  # breach and calm SQL, or covered_by
    runbook: str  # the Markdown after the definition

    def statement(self) -> str:
        """The insert a migration carries for this rule: the columns it sets, the others their defaults; laid out
        as sqlfluff wants it (lines of at most 120 characters, a long text split with ||)."""
        names = ["key", *self.columns]
        values = [_literal(self.key), *(_literal(v) for v in self.columns.values())]
        return (
            "insert into monitoring.rules (\n"
            + "\n".join(_wrap(names))
            + "\n) values (\n"
            + "\n".join(_wrap(values))
            + "\n)\non conflict (key) do nothing;\n"
        )

    def feed(self, case: str, at: str) -> str:
        """The test case's breach or calm SQL with :at as a timestamptz literal."""
        return AT.sub(lambda _m: f"timestamptz '{at}'", self.test[case])


def _literal(value: Any) -> str:
    """A value as SQL text; deterministic, so the statement's sha256 changes only when the definition does."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal | int):
        return format_value(Decimal(value))
    if isinstance(value, dict):
        return _quote(json.dumps(value, sort_keys=True, ensure_ascii=False)) + "::jsonb"
    if isinstance(value, list):
        return "array[" + ", ".join(_quote(str(v)) for v in value) + "]::text[]"
    if hasattr(value, "total_seconds"):
        return f"interval {_quote(format_value(value))}"
    return _quote(str(value))


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


WIDTH = 116  # 120, less the indent
INDENT = "    "


def _pieces(item: str) -> list[str]:
    """One value's lines: itself, or a long quoted text cut at spaces into 'a ' || 'b' lines."""
    if len(item) < WIDTH or not item.startswith("'") or not item.endswith("'"):
        return [item]
    words, parts, part = item[1:-1].split(" "), [], ""
    for word in words:
        if part and len(part) + len(word) + 8 > WIDTH:
            parts.append(part)
            part = ""
        part += word + " "
    parts.append(part[:-1])
    return [f"'{parts[0]}'", *(f"|| '{p}'" for p in parts[1:])]


def _wrap(items: list[str]) -> list[str]:
    """Comma-separated items filled into indented lines of at most WIDTH characters."""
    lines: list[str] = []
    line = ""
    for k, item in enumerate(items):
        comma = "," if k < len(items) - 1 else ""
        pieces = _pieces(item)
        if len(pieces) > 1:  # a long text takes lines of its own
            if line:
                lines.append(INDENT + line)
                line = ""
            lines += [INDENT + p for p in pieces[:-1]]
            lines.append(INDENT + pieces[-1] + comma)
            continue
        token = item + comma
        if line and len(line) + 1 + len(token) > WIDTH:
            lines.append(INDENT + line)
            line = ""
        line = f"{line} {token}" if line else token
    if line:
        lines.append(INDENT + line)
    return lines


def _problem(relpath: str, message: str, hint: str | None = None) -> SupalertError:
    return SupalertError(f"{relpath}: {message}", hint or "see docs/adding-a-rule.md for the shape of a rule file")


def parse(root: Path, path: Path) -> RuleFile:
    """One rule file, checked without a database; every problem of its definition in one error."""
    relpath = path.relative_to(root).as_posix()
    key = path.stem
    text = path.read_text(encoding="utf-8")
    block = BLOCK.search(text)
    if block is None:
        raise _problem(relpath, "no ```toml block with the rule's definition")
    data = loads(block["toml"], f"{relpath} (its toml block)")
    readme, test = data.pop("readme", {}), data.pop("test", {})
    order = list(data)  # the statement names columns in the file's order
    definition = {name: data.pop(name) for name in list(data) if name in DEFINITION_ONLY}
    problems: list[str] = []
    for name, wanted in DEFINITION_ONLY.items():
        if name in definition and not isinstance(definition[name], wanted):
            problems.append(f"{name} must be a {'table' if wanted is dict else 'string'}")
    found: list[FieldError] = []
    settings, names = collect(data.items(), value_from_toml, found)
    problems += [exc.message for exc in found]
    missing = [name for name in REQUIRED if name not in settings]
    if missing:
        problems.append(f"missing {', '.join(missing)}")
    kind = definition.get("kind", "metric")
    if kind not in KINDS:
        problems.append(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    if kind == "metric" and "metric_function" not in definition:
        problems.append("a metric rule needs metric_function (a function in sql/metrics/)")
    if set(readme) != {"measures", "unit"} or not all(isinstance(v, str) for v in readme.values()):
        problems.append('[readme] needs measures and unit (strings; unit may be "")')
    if set(test) not in ({"breach", "calm"}, {"covered_by"}):
        problems.append("[test] needs breach and calm (SQL), or covered_by (a list of tests/x.py::test_name)")
    runbook = text[block.end() :]
    absent = [s for s in RUNBOOK_SECTIONS if not re.search(rf"^{re.escape(s)}\n+\S", runbook, re.M)]
    if absent:
        problems.append(f"the runbook lacks {', '.join(repr(s) for s in absent)} (each with text under it)")
    if problems:
        raise _problem(relpath, "; ".join(problems))
    columns = {**definition, **settings}
    aliases = {name: field for field, name in names.items()}
    ordered = {aliases.get(name, name): columns[aliases.get(name, name)] for name in order}
    return RuleFile(key, relpath, ordered, readme, test, runbook)


def rule_files(root: Path) -> list[RuleFile]:
    """Every rules/*.md, by key."""
    return [parse(root, path) for path in sorted((root / FOLDER).glob("*.md"))]


def _number(value: Decimal) -> str:
    return f"{value:,.0f}" if value == value.to_integral_value() else format_value(value)


def readme_table(rules: list[RuleFile]) -> str:
    """The README's table: each rule, its default condition and severity, and what it measures."""
    lines = [README_START, "", "| rule | default | source |", "| --- | --- | --- |"]
    for rule in sorted(rules, key=lambda r: (r.columns.get("kind", "metric") == "engine", r.key)):
        c = rule.columns
        condition = (
            "raised by the engine" if c.get("kind") == "engine"
            else f"{c['comparison']} {_number(c['threshold'])}{rule.readme['unit']}"
        )  # fmt: skip
        lines.append(f"| [`{rule.key}`]({rule.relpath}) | {condition}, {c['severity']} | {rule.readme['measures']} |")
    return "\n".join([*lines, "", README_END])


def write_readme(root: Path, rules: list[RuleFile]) -> bool:
    """Rewrite the table between the README's markers; True when it changed."""
    path = root / "README.md"
    text = path.read_text(encoding="utf-8")
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise SupalertError(
            "README.md has no rules table markers", f"put {README_START!r} and {README_END!r} where it goes"
        )
    new = text[:start] + readme_table(rules) + text[end + len(README_END) :]
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


def readme_current(root: Path, rules: list[RuleFile]) -> bool:
    text = (root / "README.md").read_text(encoding="utf-8")
    return readme_table(rules) in text
