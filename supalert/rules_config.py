"""Rules as configuration: list monitoring.rules, change fields of one rule, sync a TOML file of rules.

Every value is checked here for its type first; the table's CHECK constraints decide the rest, and whatever they
refuse comes back as a SupalertError naming the rule and the field. Column names only ever come from FIELDS (the
allow-list); values are always query parameters.
"""

from __future__ import annotations

import math
import re
import tomllib
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NamedTuple

import psycopg
from psycopg import sql

from supalert.db import fetch_dicts, require_installed
from supalert.durations import describe_interval, parse_duration
from supalert.errors import SupalertError
from supalert.severities import SEVERITIES

# Settable column -> kind of value. Anything else (key, kind, metric_function, params, labels) is not settable here.
FIELDS: dict[str, str] = {
    "threshold": "number",
    "resolve_threshold": "number_or_none",
    "time_window": "interval",
    "severity": "choice",
    "comparison": "choice",
    "evaluations_before_firing": "integer",
    "repeat_interval": "interval",
    "evaluation_interval": "interval",
    "on_no_data": "choice",
    "enabled": "boolean",
    "runbook_url": "text_or_none",
    "title": "text",
    "description": "text",
}
ALIASES = {"window": "time_window"}
# The same lists as monitoring.severities and the CHECK constraints rules_comparison_known and
# rules_on_no_data_known (tests/test_severities.py, tests/test_rules_cli.py).
CHOICES = {
    "severity": SEVERITIES,
    "comparison": (">", ">=", "<", "<="),
    "on_no_data": ("keep", "resolve", "alert"),
}
TRUE_WORDS = ("true", "yes", "1")
FALSE_WORDS = ("false", "no", "0")
NONE_WORD = "none"
INT4_MAX = 2**31 - 1

# CHECK constraint of monitoring.rules -> (field it is about, what it requires).
CONSTRAINTS = {
    "rules_title_not_blank": ("title", "must not be blank"),
    "rules_comparison_known": ("comparison", "must be one of " + ", ".join(CHOICES["comparison"])),
    "rules_resolve_threshold_on_safe_side": ("resolve_threshold", None),  # worded with the row's values below
    "rules_time_window_positive": ("time_window", "must be longer than zero"),
    "rules_severity_known": ("severity", "must be one of " + ", ".join(CHOICES["severity"])),
    "rules_evaluations_before_firing_positive": ("evaluations_before_firing", "must be between 1 and 1000"),
    "rules_repeat_interval_positive": ("repeat_interval", "must be longer than zero"),
    "rules_evaluation_interval_at_least_a_minute": ("evaluation_interval", "must be at least 1 minute"),
    "rules_evaluation_interval_at_least_a_second": ("evaluation_interval", "must be at least 1 second"),
    "rules_on_no_data_known": ("on_no_data", "must be one of " + ", ".join(CHOICES["on_no_data"])),
    "rules_runbook_url_http": ("runbook_url", "must start with http:// or https://"),
    "rules_metric_function_required": (
        "enabled",
        "cannot be true: this metric rule has no metric_function yet (its data source is not there)",
    ),
}


class Change(NamedTuple):
    rule: str
    field: str
    old: Any
    new: Any


class FieldError(Exception):
    """A value that does not fit its field; the caller adds the rule (and file) to the message."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint


# Listing ----------------------------------------------------------------------------------------------------------


def list_rules(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """Every rule, metric rules first then engine rules, with its last evaluated series and open alert count."""
    require_installed(conn)
    return fetch_dicts(
        conn,
        """
            select r.key, r.kind, r.title, r.severity, r.comparison, r.threshold, r.resolve_threshold,
                   monitoring.describe_interval(r.time_window) as window, r.enabled,
                   s.last_value, s.last_state, s.last_evaluated_at,
                   (select count(*) from public.system_alerts a where a.alert_type = r.key and a.resolved_at is null)
                     as open_alerts
              from monitoring.rules r
              left join lateral (
                  select rs.last_value, rs.last_state, rs.last_evaluated_at from monitoring.rule_state rs
                   where rs.rule_key = r.key order by rs.last_evaluated_at desc limit 1
              ) s on true
             order by r.kind = 'engine', r.key
            """,
    )


# Values -----------------------------------------------------------------------------------------------------------


def canonical_field(name: str) -> str:
    """The column behind a field name (window -> time_window); FieldError listing the settable ones otherwise."""
    field = ALIASES.get(name, name)
    if field not in FIELDS:
        raise FieldError(f"unknown field {name!r}", f"settable fields: {allowed_fields()}")
    return field


def allowed_fields() -> str:
    aliases = {v: k for k, v in ALIASES.items()}
    return ", ".join(f"{f} (or {aliases[f]})" if f in aliases else f for f in FIELDS)


def _number(name: str, value: Decimal) -> Decimal:
    if not value.is_finite():
        raise FieldError(f"{name} {format_value(value)} is not a finite number")
    return value


def _interval(name: str, text: str) -> timedelta:
    try:
        return parse_duration(text)
    except SupalertError as exc:
        # "duration '0s' is not a positive duration" -> "evaluation_interval '0s' is not a positive duration"
        raise FieldError(exc.message.replace("duration", name, 1), exc.hint) from None


def _choice(name: str, field: str, text: str) -> str:
    if text not in CHOICES[field]:
        raise FieldError(f"{name} {text!r} is not allowed ({', '.join(CHOICES[field])})")
    return text


def _text(name: str, text: str) -> str:
    if "\x00" in text:
        raise FieldError(f"{name} contains a NUL character, which Postgres text cannot hold")
    return text


def _integer(name: str, value: int) -> int:
    if not -INT4_MAX <= value <= INT4_MAX:
        raise FieldError(f"{name} {value} does not fit an integer column")
    return value


def value_from_text(name: str, text: str) -> Any:
    """A command-line value (always text) for field `name` -> the value to store."""
    field = canonical_field(name)
    kind = FIELDS[field]
    if kind in ("number_or_none", "text_or_none") and text.strip().lower() == NONE_WORD:
        return None
    if kind in ("number", "number_or_none"):
        try:
            return _number(name, Decimal(text.strip()))
        except InvalidOperation:
            raise FieldError(f"{name} {text!r} is not a number") from None
    if kind == "interval":
        return _interval(name, text)
    if kind == "choice":
        return _choice(name, field, text.strip())
    if kind == "integer":
        if not re.fullmatch(r"\s*[+-]?\d+\s*", text):
            raise FieldError(f"{name} {text!r} is not a whole number")
        return _integer(name, int(text))
    if kind == "boolean":
        word = text.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise FieldError(f"{name} {text!r} is not true or false", "use true/false, yes/no or 1/0")
    return _text(name, text)


TOML_TYPES = {bool: "a boolean", int: "an integer", float: "a float", str: "a string", list: "an array",
              dict: "a table"}  # fmt: skip


def _wrong_type(name: str, value: Any, wanted: str) -> FieldError:
    got = TOML_TYPES.get(type(value), f"a {type(value).__name__}")
    return FieldError(f"{name} must be {wanted}, not {got} ({value!r})")


def value_from_toml(name: str, value: Any) -> Any:
    """A TOML value for field `name` -> the value to store; the TOML type must fit the field."""
    field = canonical_field(name)
    kind = FIELDS[field]
    if kind in ("number_or_none", "text_or_none") and isinstance(value, str) and value.strip().lower() == NONE_WORD:
        return None
    if kind in ("number", "number_or_none"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _wrong_type(name, value, "a number" + (' or "none"' if kind == "number_or_none" else ""))
        if isinstance(value, float) and not math.isfinite(value):
            raise FieldError(f"{name} {value} is not a finite number")
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise _wrong_type(name, value, "an integer")
        return _integer(name, value)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _wrong_type(name, value, "true or false")
        return value
    if not isinstance(value, str):
        wanted = {"interval": 'a duration string such as "1 hour"', "choice": "one of " + ", ".join(
            f'"{c}"' for c in CHOICES.get(field, ()))}.get(kind, "a string")  # fmt: skip
        raise _wrong_type(name, value, wanted)
    if kind == "interval":
        return _interval(name, value)
    if kind == "choice":
        return _choice(name, field, value)
    return _text(name, value)


def format_value(value: Any) -> str:
    """A stored value as the user writes it: 5, 0.5, 1 hour, true, none, 'text'."""
    if value is None:
        return NONE_WORD
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, timedelta):
        return describe_interval(value)
    if isinstance(value, str):
        return repr(value)
    return str(value)


# Writing ----------------------------------------------------------------------------------------------------------


def _lock_rows(conn: psycopg.Connection, keys: list[str]) -> dict[str, dict[str, Any]]:
    """The current settable values (plus kind) of the named rules, locked until the transaction ends."""
    columns = sql.SQL(", ").join(sql.Identifier(f) for f in ("key", "kind", *FIELDS))
    rows = fetch_dicts(
        conn,
        sql.SQL("select {} from monitoring.rules where key = any(%s) order by key for update").format(columns),
        (keys,),
    )
    return {row["key"]: row for row in rows}


def _known_keys(conn: psycopg.Connection) -> str:
    return ", ".join(r[0] for r in conn.execute("select key from monitoring.rules order by kind = 'engine', key"))


def _update(conn: psycopg.Connection, key: str, values: dict[str, Any]) -> None:
    assignments = sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(f)) for f in values)
    conn.execute(sql.SQL("update monitoring.rules set {} where key = %s").format(assignments), (*values.values(), key))


def _diff(key: str, row: dict[str, Any], wanted: dict[str, Any]) -> list[Change]:
    return [Change(key, f, row[f], v) for f, v in wanted.items() if row[f] != v]


def _database_refusal(
    exc: psycopg.Error, key: str, row: dict[str, Any], wanted: dict[str, Any], names: dict[str, str]
) -> SupalertError:
    """What a constraint (or the metric_function trigger) refused, naming the rule and the field."""
    diag = exc.diag
    after = {**row, **wanted}
    constraint = diag.constraint_name or ""
    field, rule_text = CONSTRAINTS.get(constraint, (diag.column_name, None))
    if constraint == "rules_resolve_threshold_on_safe_side":
        side = "at most" if after["comparison"] in (">", ">=") else "at least"
        return SupalertError(
            f"rule {key}: resolve_threshold {format_value(after['resolve_threshold'])} is on the wrong side of "
            f"threshold {format_value(after['threshold'])}: with comparison {after['comparison']} it must be {side} "
            f"the threshold (check {constraint})",
            "resolve_threshold is where a firing alert resolves (hysteresis); none means the threshold itself",
        )
    if field in FIELDS and rule_text:
        return SupalertError(
            f"rule {key}: {names.get(field, field)} {format_value(after[field])} {rule_text} (check {constraint})"
        )
    fields = names.get(field, field) if field else ", ".join(names.get(f, f) for f in wanted)
    reason = (diag.message_primary or str(exc)).strip()
    return SupalertError(
        f"rule {key}: {fields}: the database refused it: {reason}" + (f" (check {constraint})" if constraint else ""),
        diag.message_hint,
    )


REFUSALS = (psycopg.errors.IntegrityError, psycopg.errors.DataError)


Assignments = dict[str, str] | list[tuple[str, str]]


def split_assignments(key: str, items: list[str]) -> list[tuple[str, str]]:
    """'FIELD=VALUE' words from the command line -> (field name, text) pairs, in order; refuses any other shape."""
    pairs = []
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise SupalertError(f"rule {key}: {item!r} is not FIELD=VALUE", "e.g. threshold=10 or enabled=false")
        pairs.append((name.strip(), value))
    return pairs


def parse_assignments(key: str, assignments: Assignments) -> tuple[dict[str, Any], dict[str, str]]:
    """Check (FIELD, text) values without a database: ({column: value}, {column: the name the user gave}). A field
    named twice, under one name or under its alias, is refused."""
    pairs = list(assignments.items()) if isinstance(assignments, dict) else assignments
    if not pairs:
        raise SupalertError(f"rule {key}: nothing to set", "give FIELD=VALUE, e.g. threshold=10")
    wanted: dict[str, Any] = {}
    names: dict[str, str] = {}
    for name, text in pairs:
        try:
            field = canonical_field(name)
            if field in wanted:
                also = "" if names[field] == name else f" (as {names[field]} and {name})"
                raise FieldError(f"{name} is given twice{also}")
            wanted[field] = value_from_text(name, text)
        except FieldError as exc:
            raise SupalertError(f"rule {key}: {exc.message}", exc.hint) from None
        names[field] = name
    return wanted, names


def set_rule(conn: psycopg.Connection, key: str, assignments: Assignments) -> list[Change]:
    """Set fields of one rule from text values (FIELD -> VALUE), in one UPDATE in one transaction.

    Returns (rule, field, old, new) for every field named, changed or not; the UPDATE touches only the changed."""
    wanted, names = parse_assignments(key, assignments)
    require_installed(conn)
    row: dict[str, Any] = {}
    try:
        with conn.transaction():
            rows = _lock_rows(conn, [key])
            if key not in rows:
                raise SupalertError(
                    f"rule {key}: cannot set {', '.join(names.values())}: unknown rule",
                    f"known rules: {_known_keys(conn)}",
                )
            row = rows[key]
            changed = {c.field: c.new for c in _diff(key, row, wanted)}
            if changed:
                _update(conn, key, changed)
    except REFUSALS as exc:
        raise _database_refusal(exc, key, row, wanted, names) from None
    return [Change(key, names[f], row[f], v) for f, v in wanted.items()]


def read_file(path: Path) -> dict[str, dict[str, Any]]:
    """Parse and check a rules file without a database: {rule: {field: value}}. Every problem in one error."""
    where = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SupalertError(f"{where}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SupalertError(f"{where}: cannot read it: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SupalertError(f"{where}: not valid TOML: {exc}", "fix the syntax at that line") from None
    example = "[rules.critical_errors_per_hour] then threshold = 5"
    extra = [k for k in data if k != "rules"]
    if extra:
        raise SupalertError(f"{where}: unknown top-level key(s) {', '.join(map(repr, extra))}", f"use {example}")
    rules = data.get("rules")
    if not isinstance(rules, dict) or not rules:
        raise SupalertError(f"{where}: no [rules.<key>] tables", f"use {example}")
    problems: list[str] = []
    hints: list[str] = []
    wanted: dict[str, dict[str, Any]] = {}
    for key, settings in rules.items():
        if not isinstance(settings, dict):
            got = TOML_TYPES.get(type(settings), type(settings).__name__)
            problems.append(f"rule {key}: must be a table ([rules.{key}]), not {got}")
            continue
        if not settings:
            problems.append(f"rule {key}: sets no field")
        values: dict[str, Any] = {}
        for name, value in settings.items():
            try:
                field = canonical_field(name)
                if field in values:
                    raise FieldError(f"{name} is given twice (window is time_window)")
                values[field] = value_from_toml(name, value)
            except FieldError as exc:
                problems.append(f"rule {key}: {exc.message}")
                if exc.hint and exc.hint not in hints:
                    hints.append(exc.hint)
        wanted[key] = values
    if problems:
        raise SupalertError(f"{where}: " + "; ".join(problems), "; ".join(hints) or None)
    return wanted


def sync_file(conn: psycopg.Connection, path: Path) -> list[Change]:
    """Make the rules in a TOML file true in the database: everything is checked first, then every differing field
    is updated in one transaction (all or nothing). Returns the changes; [] when the database already agrees."""
    wanted = read_file(path)
    require_installed(conn)
    changes: list[Change] = []
    key, row, values = "", {}, {}
    names = {v: k for k, v in ALIASES.items()}
    try:
        with conn.transaction():
            rows = _lock_rows(conn, list(wanted))
            unknown = [k for k in wanted if k not in rows]
            if unknown:
                raise SupalertError(
                    f"{path}: unknown rule(s) {', '.join(unknown)}", f"known rules: {_known_keys(conn)}"
                )
            for key, values in wanted.items():
                row = rows[key]
                diff = _diff(key, row, values)
                if diff:
                    _update(conn, key, {c.field: c.new for c in diff})
                changes += diff
    except REFUSALS as exc:
        refusal = _database_refusal(exc, key, row, values, names)
        raise SupalertError(f"{path}: {refusal.message}", refusal.hint) from None
    return [Change(c.rule, names.get(c.field, c.field), c.old, c.new) for c in changes]


def render_change(change: Change) -> str:
    """One line per change: `rule field: old -> new`."""
    return f"{change.rule} {change.field}: {format_value(change.old)} -> {format_value(change.new)}"
