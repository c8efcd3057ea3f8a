"""Custom SQL rules: an app's own metric as one read-only query, added with `rules add` or a [rules.<key>] table
with `sql = ...` in a rules file. The row is a metric rule whose metric_function is CUSTOM_METRIC and whose params
hold the query and its timeout; monitoring.metric_custom_sql runs it, and monitoring.rules_schedule_custom gives it
its own pg_cron job under its statement timeout. The query is tried here before it is stored: it must parse, plan,
read only, finish within its timeout and return a numeric column `value` (any other column is a label)."""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import psycopg

from supalert.db import fetch_dicts
from supalert.durations import describe_interval, parse_duration
from supalert.errors import SupalertError
from supalert.rules.values import FieldError
from supalert.sqlsplit import split_statements

CUSTOM_METRIC = "metric_custom_sql"  # the metric function of every custom rule, and only of those
KEY = re.compile(r"[a-z][a-z0-9_]{0,62}")  # as the rules_key_format constraint
DEFAULT_TIMEOUT = timedelta(seconds=5)
MAX_TIMEOUT = timedelta(seconds=300)  # as monitoring.rules_schedule_custom
NUMERIC_TYPES = ("smallint", "integer", "bigint", "numeric", "real", "double precision")
COMPARE = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}
# The first word of the statement, past comments and parentheses: a query starts with one of QUERY_WORDS.
FIRST_WORD = re.compile(r"(?:\s|--[^\n]*\n|/\*.*?\*/|\()*([a-z]+)", re.I | re.S)
QUERY_WORDS = ("select", "with", "values", "table")
SCHEMA_HINT = (
    "custom rules run with an empty search_path, as every supalert function does: name tables and functions with "
    "their schema (public.orders, not orders)"
)
Query = tuple[str, timedelta]  # a custom rule's (sql, timeout)
# A rule as a rules file or `rules add` wants it: ({column: value}, {column: name given}, query or None).
Wanted = tuple[dict[str, Any], dict[str, str], Query | None]
# What `rules add` defaults when the rule is new; a settable field given overrides it.
DEFAULTS = {"severity": "warning", "comparison": ">", "evaluation_interval": "1 minute"}


@dataclass(frozen=True)
class CustomRule:
    key: str
    sql: str
    timeout: timedelta
    fields: dict[str, Any] = field(default_factory=dict)  # settable fields of monitoring.rules, already checked
    names: dict[str, str] = field(default_factory=dict)  # field -> the name the user gave

    @property
    def params(self) -> dict[str, Any]:
        return {"sql": self.sql, "timeout_seconds": int(self.timeout.total_seconds())}


@dataclass(frozen=True)
class Series:
    labels: dict[str, str]
    value: Decimal | None


def clean_key(key: str) -> str:
    if not KEY.fullmatch(key):
        raise SupalertError(
            f"rule key {key!r} is not allowed", "a lower-case letter, then lower-case letters, digits or _ (at most 63)"
        )
    return key


def clean_sql(key: str, text: str) -> str:
    """The query as stored: one statement, without its trailing semicolon; refuses empty text or several
    statements (cut where the Supabase CLI would cut them, so quotes and comments are respected)."""
    if "\x00" in text:
        raise SupalertError(f"custom rule {key}: the query contains a NUL character")
    statements = split_statements(text)
    if not statements:
        raise SupalertError(f"custom rule {key}: the query is empty", 'e.g. --sql "select count(*) as value from ..."')
    first = FIRST_WORD.match(statements[0].text)
    if first and first.group(1).lower() not in QUERY_WORDS:
        raise SupalertError(
            f"custom rule {key}: the query starts with {first.group(1).upper()}, so it is not a select; a rule's query "
            "may only read",
            "give one select (or with ... select) that returns a numeric column value",
        )
    if len(statements) > 1:
        raise SupalertError(
            f"custom rule {key}: the query is {len(statements)} statements; a rule runs one select",
            "join them into one query (a CTE, a subquery or union all)",
        )
    return statements[0].text


def parse_timeout(key: str, text: str | None) -> timedelta:
    if text is None:
        return DEFAULT_TIMEOUT
    try:
        timeout = parse_duration(text)
    except SupalertError as exc:
        raise SupalertError(f"custom rule {key}: timeout: {exc.message}", "e.g. 5s, 30s or 2m") from None
    if timeout > MAX_TIMEOUT:
        raise SupalertError(
            f"custom rule {key}: timeout {describe_interval(timeout)} is longer than {describe_interval(MAX_TIMEOUT)}",
            "a rule's query should take seconds; precompute a slow one (a materialized view refreshed by pg_cron)",
        )
    return timeout


def from_text(key: str, sql: str, timeout: str | None, named: tuple[dict[str, Any], dict[str, str]]) -> CustomRule:
    """A custom rule from command-line text and its settable fields (already read), checked without a database."""
    key = clean_key(key)
    return CustomRule(key, clean_sql(key, sql), parse_timeout(key, timeout), *named)


def from_toml(key: str, settings: dict[str, Any]) -> tuple[str, timedelta]:
    """The query and timeout of a rules-file table that has `sql` (the caller reads the other fields)."""
    sql, timeout = settings["sql"], settings.get("timeout")
    if not isinstance(sql, str):
        raise FieldError("sql must be a string holding one select")
    if timeout is not None and not isinstance(timeout, str):
        raise FieldError('timeout must be a duration string such as "5s"')
    try:
        return clean_sql(clean_key(key), sql), parse_timeout(key, timeout)
    except SupalertError as exc:
        raise FieldError(exc.message.removeprefix(f"custom rule {key}: "), exc.hint) from None


def _query_error(key: str, timeout: timedelta, exc: psycopg.Error) -> SupalertError:
    """What the database said about the query, as an error naming the rule and what to change."""
    message = (exc.diag.message_primary or str(exc)).strip()
    where = f"custom rule {key}: its query"
    if isinstance(exc, psycopg.errors.QueryCanceled):
        return SupalertError(
            f"{where} ran longer than its timeout of {describe_interval(timeout)}, so it was stopped",
            "make it faster (an index, a narrower time range), or allow more with --timeout (at most 5 minutes)",
        )
    if isinstance(exc, psycopg.errors.ReadOnlySqlTransaction) or "data-modifying" in message:
        return SupalertError(f"{where} writes ({message}); a rule's query may only read", "remove the write")
    if isinstance(exc, psycopg.errors.SyntaxError):
        return SupalertError(
            f"{where} does not parse: {message}",
            "give one select (or with ... select) statement; DDL and writes are not queries a rule can run",
        )
    if isinstance(exc, psycopg.errors.UndefinedTable | psycopg.errors.UndefinedFunction):
        return SupalertError(f"{where} fails: {message}", SCHEMA_HINT)
    return SupalertError(f"{where} fails: {message} (SQLSTATE {exc.sqlstate})", exc.diag.message_hint)


def _base_type(conn: psycopg.Connection, oid: int) -> str:
    row = conn.execute(
        "select coalesce(nullif(t.typbasetype, 0), t.oid)::regtype::text from pg_catalog.pg_type t where t.oid = %s",
        (oid,),
    ).fetchone()
    return row[0] if row else str(oid)


def try_query(conn: psycopg.Connection, key: str, sql: str, timeout: timedelta) -> list[Series]:
    """Run the query as the rule will: read-only, empty search_path, under its timeout, rolled back. Returns its
    series now; a SupalertError for a query that fails, writes, is too slow or has the wrong columns."""
    wrapped = f"select * from (\n{sql}\n) as q"
    try:
        with conn.transaction(force_rollback=True):
            conn.execute("set transaction read only")
            conn.execute(
                "select set_config('statement_timeout', %s, true), set_config('search_path', '', true)",
                (f"{int(timeout.total_seconds() * 1000)}ms",),
            )
            cursor = conn.execute(wrapped)  # no parameters: a % in the query stays as written
            columns = [(c.name, c.type_code) for c in cursor.description or []]
            rows = cursor.fetchall()
    except psycopg.Error as exc:
        raise _query_error(key, timeout, exc) from None
    names = [name for name, _ in columns]
    unnamed = [i + 1 for i, name in enumerate(names) if name == "?column?"]
    if unnamed:
        raise SupalertError(
            f"custom rule {key}: column {unnamed[0]} of its query has no name",
            "name every column: select count(*) as value, region from ...",
        )
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise SupalertError(f"custom rule {key}: its query returns column {twice[0]} twice", "give each a name")
    if "value" not in names:
        raise SupalertError(
            f"custom rule {key}: its query returns no column named value (it returns {', '.join(names) or 'none'})",
            "name the measured number value: select count(*) as value from ...",
        )
    value_type = _base_type(conn, dict(columns)["value"])
    if value_type not in NUMERIC_TYPES:
        raise SupalertError(
            f"custom rule {key}: its column value is {value_type}, not a number",
            f"cast it, e.g. (...)::numeric as value (value must be one of {', '.join(NUMERIC_TYPES)})",
        )
    series = []
    for row in rows:
        record = dict(zip(names, row, strict=True))
        value = record.pop("value")
        labels = {k: str(v) for k, v in record.items() if v is not None}
        series.append(Series(labels, None if value is None else Decimal(str(value))))
    seen = [tuple(sorted(s.labels.items())) for s in series]
    duplicated = next((s for s in seen if seen.count(s) > 1), None)
    if duplicated is not None:
        raise SupalertError(
            f"custom rule {key}: its query returns more than one row with the labels {dict(duplicated)}",
            "each row is one series: group by the label columns",
        )
    return series


def breaching(series: list[Series], comparison: str, threshold: Decimal) -> list[Series]:
    return [s for s in series if s.value is not None and COMPARE[comparison](s.value, threshold)]


def stored(conn: psycopg.Connection, key: str) -> dict[str, Any] | None:
    """The rule's row, locked until the transaction ends (when there is one), or None."""
    rows = fetch_dicts(conn, "select * from monitoring.rules where key = %s for update", (key,))
    return rows[0] if rows else None


def require_custom(key: str, row: dict[str, Any] | None, doing: str) -> None:
    if row is not None and row["metric_function"] != CUSTOM_METRIC:
        raise SupalertError(
            f"rule {key} is one of supalert's own rules, not a custom SQL rule, so it cannot {doing}",
            "choose another key for the custom rule; change a shipped rule with `python deploy.py rules set`",
        )


def require_pg_cron(conn: psycopg.Connection, key: str) -> None:
    if conn.execute("select from pg_catalog.pg_extension where extname = 'pg_cron'").fetchone() is None:
        raise SupalertError(
            f"custom rule {key}: pg_cron is not installed in this database, and each custom rule runs as its own "
            "pg_cron job (under its own statement timeout)",
            "enable pg_cron (Dashboard > Database > Extensions, or create extension pg_cron), then add the rule again",
        )


def title_from_key(key: str) -> str:
    return key.replace("_", " ").capitalize()
