"""The rows of monitoring.rules: read every rule with its last state, change fields of one rule, or make a rules
file true. Values arrive already checked (supalert.rules.config); the table's CHECK constraints decide the rest,
and whatever they refuse comes back as a SupalertError naming the rule and the field. Column names only ever come
from values.FIELDS (the allow-list); values are always query parameters."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any, NamedTuple

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from supalert.db import fetch_dicts, require_installed
from supalert.errors import SupalertError
from supalert.rules import custom
from supalert.rules.config import Assignments, parse_assignments, read_file
from supalert.rules.values import CHOICES, FIELDS, format_value, value_from_text

# CHECK constraint of monitoring.rules -> (field it is about, what it requires); tests/test_rules_constraints.py
# proves the list matches pg_constraint.
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
    "rules_alert_type_known": ("alert_type", "is not a key of monitoring.alert_types"),
    "rules_group_by_names": ("group_by", "must name at most 16 labels"),
    "rules_group_wait_positive": ("group_wait", "must be longer than zero"),
    "rules_group_interval_positive": ("group_interval", "must be longer than zero"),
    "rules_metric_function_required": (
        "enabled",
        "cannot be true: this metric rule has no metric_function yet (its data source is not there)",
    ),
}
REFUSALS = (psycopg.errors.IntegrityError, psycopg.errors.DataError)


class Change(NamedTuple):
    rule: str
    field: str  # the name the user gave (window or time_window)
    old: Any
    new: Any


def overview(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """Every rule, metric rules (kind 'custom' for a custom SQL rule) first then engine rules, by key: its
    settings, its latest run (worst value, outcome), its most pressing state and its open alerts. `rules` lists it;
    `status` shows the metric and custom rules."""
    require_installed(conn)
    return fetch_dicts(
        conn,
        """
            select r.key, case when r.metric_function = %(custom)s then 'custom' else r.kind end as kind,
                   r.title, r.severity, r.comparison, r.threshold, r.resolve_threshold,
                   case when r.metric_function = %(custom)s then '-'  -- its query chooses its own time range
                        else monitoring.describe_interval(r.time_window) end as window, r.enabled,
                   run.value as last_value,
                   -- the most pressing of its series: open alerts, then pending ones, then the run's outcome
                   case when run.outcome is null then null
                        when exists (select from public.system_alerts as a where a.alert_type = r.key
                                        and a.resolved_at is null and a.status = 'firing') then 'firing'
                        when exists (select from public.system_alerts as a where a.alert_type = r.key
                                        and a.resolved_at is null) then 'acknowledged'
                        when exists (select from monitoring.rule_state as s where s.rule_key = r.key
                                        and s.last_state = 'pending') then 'pending'
                        else run.outcome end as last_state,
                   run.evaluated_at as last_evaluated_at, run.outcome as last_outcome, run.evaluated_at as last_run,
                   (select count(*) from public.system_alerts a where a.alert_type = r.key and a.resolved_at is null)
                     as open_alerts
              from monitoring.rules r
              -- the latest run: its worst value (rule_state holds only the series that are not plain ok)
              left join lateral (
                  select rr.outcome, rr.evaluated_at, rr.value from monitoring.rule_runs rr
                   where rr.rule_key = r.key order by rr.evaluated_at desc limit 1
              ) run on true
             order by r.kind = 'engine', r.key
            """,
        {"custom": custom.CUSTOM_METRIC},
    )


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


def _refusal(
    exc: psycopg.Error, key: str, row: dict[str, Any], wanted: dict[str, Any], names: dict[str, str]
) -> SupalertError:
    """What a constraint (or the metric_function trigger) refused, naming the rule and the field."""
    diag = exc.diag
    if (diag.message_primary or "").startswith(f"custom rule {key}: "):  # monitoring.rules_schedule_custom's words
        return SupalertError(diag.message_primary or "", diag.message_hint)
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


def _apply(
    conn: psycopg.Connection, key: str, row: dict[str, Any], wanted: dict[str, Any], names: dict[str, str]
) -> dict[str, Any]:
    """Update the fields of `wanted` that differ from `row`; a refusal names the rule and the field."""
    changed = {f: v for f, v in wanted.items() if row[f] != v}
    if changed:
        try:
            with conn.transaction():  # a savepoint: the refusal is reported, the outer transaction rolls back
                _update(conn, key, changed)
        except REFUSALS as exc:
            raise _refusal(exc, key, row, wanted, names) from None
    return changed


def set_rule(conn: psycopg.Connection, key: str, assignments: Assignments) -> list[Change]:
    """Set fields of one rule from text values (FIELD -> VALUE), in one UPDATE in one transaction.

    Returns (rule, field, old, new) for every field named, changed or not; the UPDATE touches only the changed."""
    wanted, names = parse_assignments(key, assignments)
    require_installed(conn)
    with conn.transaction():
        rows = _lock_rows(conn, [key])
        if key not in rows:
            raise SupalertError(
                f"rule {key}: cannot set {', '.join(names.values())}: unknown rule",
                f"known rules: {_known_keys(conn)}",
            )
        row = rows[key]
        _apply(conn, key, row, wanted, names)
    return [Change(key, names[f], row[f], v) for f, v in wanted.items()]


def sync_file(conn: psycopg.Connection, path: Path) -> list[Change]:
    """Make the rules in a TOML file true in the database: everything is checked first (a custom rule's query is
    tried), then every differing field is updated, and every new custom rule added, in one transaction (all or
    nothing). Returns the changes, each under the name the file gives its field; [] when the database agrees."""
    wanted = read_file(path)
    require_installed(conn)
    changes: list[Change] = []
    try:
        queries = {key: query for key, (_v, _n, query) in wanted.items() if query is not None}
        for key, (sql_text, timeout) in queries.items():
            custom.try_query(conn, key, sql_text, timeout)
        with conn.transaction():
            rows = _lock_rows(conn, list(wanted))
            unknown = [k for k in wanted if k not in rows and k not in queries]
            if unknown:
                raise SupalertError(
                    f"{path}: unknown rule(s) {', '.join(unknown)}",
                    f'known rules: {_known_keys(conn)}; a new custom SQL rule needs sql = "select ... as value"',
                )
            for key, (values, names, query) in wanted.items():
                if query is not None:
                    rule = custom.CustomRule(key, *query, values, names)
                    changes += _write_custom(conn, rule, custom.stored(conn, key))
                    continue
                changed = _apply(conn, key, rows[key], values, names)
                changes += [Change(key, names[f], rows[key][f], v) for f, v in changed.items()]
    except SupalertError as exc:
        if exc.message.startswith(f"{path}: "):
            raise
        raise SupalertError(f"{path}: {exc.message}", exc.hint) from None
    return changes


# Custom SQL rules (supalert.rules.custom) --------------------------------------------------------------------------


def _write_custom(conn: psycopg.Connection, rule: custom.CustomRule, row: dict[str, Any] | None) -> list[Change]:
    """Insert a new custom rule, or bring an existing one to `rule`; inside the caller's transaction, with the row
    (if any) locked. Returns the changes; for a new rule, one per column it was given, from none."""
    custom.require_custom(rule.key, row, "take a query")
    params = {"sql": ("sql", rule.sql), "timeout_seconds": ("timeout", rule.params["timeout_seconds"])}
    if row is None:
        custom.require_pg_cron(conn, rule.key)
        if "threshold" not in rule.fields:
            raise SupalertError(f"custom rule {rule.key}: a new rule needs a threshold", "e.g. --threshold 10")
        values = {f: value_from_text(f, t) for f, t in custom.DEFAULTS.items()}
        values |= {"title": custom.title_from_key(rule.key), "description": f"Custom SQL rule {rule.key}."}
        values |= rule.fields
        names = sql.SQL(", ").join(sql.Identifier(f) for f in values)
        try:
            with conn.transaction():
                conn.execute(
                    sql.SQL(
                        "insert into monitoring.rules (key, kind, metric_function, params, {}) "
                        "values (%s, 'metric', %s, %s, {})"
                    ).format(names, sql.SQL(", ").join(sql.Placeholder() * len(values))),
                    (rule.key, custom.CUSTOM_METRIC, Jsonb(rule.params), *values.values()),
                )
        except REFUSALS as exc:
            raise _refusal(exc, rule.key, {f: None for f in FIELDS}, values, rule.names) from None
        return [Change(rule.key, name, None, _shown(name, value)) for name, value in params.values()] + [
            Change(rule.key, rule.names.get(f, f), None, v) for f, v in values.items()
        ]
    old = {name: row["params"].get(param) for param, (name, _) in params.items()}
    changes = [
        Change(rule.key, name, *(_shown(name, v) for v in (old[name], value)))
        for name, value in params.values()
        if old[name] != value
    ]
    if changes:
        try:
            with conn.transaction():
                conn.execute("update monitoring.rules set params = %s where key = %s", (Jsonb(rule.params), rule.key))
        except REFUSALS as exc:
            raise _refusal(exc, rule.key, row, rule.fields, rule.names) from None
    changed = _apply(conn, rule.key, row, rule.fields, rule.names)
    return changes + [Change(rule.key, rule.names.get(f, f), row[f], v) for f, v in changed.items()]


def _shown(name: str, value: Any) -> Any:
    """A custom rule's params value as people read it: the timeout as a duration."""
    return timedelta(seconds=value) if name == "timeout" and isinstance(value, int) else value


def add_custom(conn: psycopg.Connection, rule: custom.CustomRule) -> tuple[list[Change], bool, list[custom.Series]]:
    """Add a custom SQL rule, or change the one of that key to match (safe to run again). The query is tried
    first. Returns (changes, whether the rule is new, its series now)."""
    require_installed(conn)
    custom.require_custom(rule.key, custom.stored(conn, rule.key), "take a query")  # before the query runs
    series = custom.try_query(conn, rule.key, rule.sql, rule.timeout)
    with conn.transaction():
        row = custom.stored(conn, rule.key)
        changes = _write_custom(conn, rule, row)
    return changes, row is None, series


def remove_custom(conn: psycopg.Connection, key: str) -> int:
    """Remove a custom SQL rule: its open alerts (and its rule_error alert) are resolved, so their resolve
    notifications go out, then the row goes with its state, history and pg_cron job. Returns the alerts resolved.
    supalert's own rules are refused (disable one with enabled=false)."""
    require_installed(conn)
    with conn.transaction():
        row = custom.stored(conn, key)
        if row is None:
            raise SupalertError(f"rule {key}: unknown rule", f"known rules: {_known_keys(conn)}")
        custom.require_custom(key, row, "be removed (disable it: rules set KEY enabled=false)")
        resolved = conn.execute(
            "select count(*) from public.system_alerts as a"
            " cross join lateral monitoring.resolve_alert(a.id, 'deploy.py rules remove') as r"
            " where a.resolved_at is null"
            "   and (a.alert_type = %s or (a.alert_type = 'rule_error' and a.metadata -> 'labels' ->> 'rule' = %s))",
            (key, key),
        ).fetchone()[0]
        conn.execute("delete from monitoring.rules where key = %s", (key,))
    return resolved
