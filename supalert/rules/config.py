"""Rule settings as people write them, checked without a database: FIELD=VALUE words from the command line, or a
TOML file of [rules.<key>] tables such as alert-config.toml. Every value goes through supalert.rules.values."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from supalert.errors import SupalertError
from supalert.rules import custom
from supalert.rules.values import TOML_TYPES, FieldError, canonical_field, value_from_text, value_from_toml

Assignments = dict[str, str] | list[tuple[str, str]]
Named = tuple[dict[str, Any], dict[str, str]]  # ({column: value}, {column: the name the user gave})
CUSTOM_ONLY = ("sql", "timeout")  # keys of a custom SQL rule's table that are not columns (custom.CustomRule)


def split_assignments(key: str, items: list[str]) -> list[tuple[str, str]]:
    """'FIELD=VALUE' words from the command line -> (field name, text) pairs, in order; refuses any other shape."""
    pairs = []
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise SupalertError(f"rule {key}: {item!r} is not FIELD=VALUE", "e.g. threshold=10 or enabled=false")
        pairs.append((name.strip(), value))
    return pairs


def collect(pairs: Iterable[tuple[str, Any]], read: Callable[[str, Any], Any], problems: list[FieldError]) -> Named:
    """Read each (name, value) with `read`; a field named twice, under one name or under its alias, is a problem.
    Problems are appended, so a file reports all of them at once."""
    values: dict[str, Any] = {}
    names: dict[str, str] = {}
    for name, value in pairs:
        try:
            field = canonical_field(name)
            if field in values:
                also = "" if names[field] == name else f" (as {names[field]} and {name})"
                raise FieldError(f"{name} is given twice{also}")
            values[field] = read(name, value)
            names[field] = name
        except FieldError as exc:
            problems.append(exc)
    return values, names


def parse_assignments(key: str, assignments: Assignments) -> Named:
    """Check (FIELD, text) values without a database; the first problem is the error."""
    pairs = list(assignments.items()) if isinstance(assignments, dict) else assignments
    if not pairs:
        raise SupalertError(f"rule {key}: nothing to set", "give FIELD=VALUE, e.g. threshold=10")
    problems: list[FieldError] = []
    named = collect(pairs, value_from_text, problems)
    if problems:
        raise SupalertError(f"rule {key}: {problems[0].message}", problems[0].hint)
    return named


def load_toml(path: Path) -> dict[str, Any]:
    """A TOML file's tables, or a SupalertError naming the file (missing, unreadable, bad syntax)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SupalertError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SupalertError(f"{path}: cannot read it: {exc}") from None
    return loads(text, str(path))


def loads(text: str, where: str) -> dict[str, Any]:
    """TOML text's tables, or a SupalertError naming `where` (the file it came from)."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SupalertError(f"{where}: not valid TOML: {exc}", "fix the syntax at that line") from None


def read_file(path: Path) -> dict[str, custom.Wanted]:
    """Parse and check a rules file without a database: {rule: ({column: value}, {column: name given}, query)},
    where query is (sql, timeout) for a custom SQL rule (a table with `sql`), else None. Every problem in one
    error."""
    data = load_toml(path)
    example = "[rules.critical_errors_per_hour] then threshold = 5"
    extra = [k for k in data if k != "rules"]
    if extra:
        raise SupalertError(f"{path}: unknown top-level key(s) {', '.join(map(repr, extra))}", f"use {example}")
    rules = data.get("rules")
    if not isinstance(rules, dict) or not rules:
        raise SupalertError(f"{path}: no [rules.<key>] tables", f"use {example}")
    problems: list[str] = []
    hints: list[str] = []
    wanted: dict[str, custom.Wanted] = {}
    for key, settings in rules.items():
        if not isinstance(settings, dict):
            got = TOML_TYPES.get(type(settings), type(settings).__name__)
            problems.append(f"rule {key}: must be a table ([rules.{key}]), not {got}")
            continue
        if not settings:
            problems.append(f"rule {key}: sets no field")
        found: list[FieldError] = []
        query = None
        if "sql" in settings:
            try:
                query = custom.from_toml(key, settings)
            except FieldError as exc:
                found.append(exc)
        elif "timeout" in settings:
            found.append(FieldError("timeout is only for a custom SQL rule (a table with sql = ...)"))
        fields = [(k, v) for k, v in settings.items() if k not in CUSTOM_ONLY]
        wanted[key] = (*collect(fields, value_from_toml, found), query)
        problems += [f"rule {key}: {exc.message}" for exc in found]
        hints += [h for h in dict.fromkeys(exc.hint for exc in found if exc.hint) if h not in hints]
    if problems:
        raise SupalertError(f"{path}: " + "; ".join(problems), "; ".join(hints) or None)
    return wanted
