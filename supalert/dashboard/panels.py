"""The dashboard's two health panels (the seed's "Function health status"):

- Function health: one row per edge function seen in the last 24 hours, in the timings (public.performance_metrics,
  metric_type 'edge_function', one row per call) or in the errors (public.error_logs.function_name: the seed's
  edge functions write an error row instead of a timing when a call fails). Calls, errors logged, p50 and p95
  duration, and a status against the rules. The timings carry no status column, so there is no error percentage
  per call: the panel says so and shows the errors logged instead.
- Database health: one row per rule whose metric function is one of DATABASE_HEALTH_METRICS (or whose key is in
  DATABASE_HEALTH_RULES): its latest run's worst value (monitoring.rule_runs), threshold, open alerts and runbook.

Both are single read-only queries with parameters. Function health reads app data as the dashboard's admin (under
RLS, as the rest of the page); the rules it judges by are read first as the dashboard's login (monitoring.rules is
not an app user's), as are the database-health rules, their state and their open alerts (as `alerts` reads them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from supalert.db import fetch_dicts

NO_VALUE = "\u2013"  # an en dash: what a panel prints for a value it has not got
FUNCTIONS_SHOWN = 50  # rows of the function panel; it says how many more functions there are
# Alert labels that name an edge function: performance_metrics' column and error_logs' column. An open alert of any
# rule labelled with one of them equal to a function's name makes that function "firing".
FUNCTION_LABELS = ("metric_name", "function_name")
# The database-health panel's rules, in one place: those whose metric function matches one of these `like`
# patterns (new rules on them appear by themselves; metric_background_worker: the pg_cron and pg_net workers), plus
# any key listed in DATABASE_HEALTH_RULES (empty: add a key to show a rule on another metric function).
DATABASE_HEALTH_METRICS = ("metric_db_%", "metric_cron_%", "metric_net_%", "metric_background_worker")
DATABASE_HEALTH_RULES: tuple[str, ...] = ()

# The rules that judge edge-function timings: monitoring.metric_duration over metric_type edge_function (today
# slow_response_time_ms and very_slow_response_time_ms). They average all functions, so a function is judged by
# its own p95 against their thresholds.
TIMING_RULES_SQL = (
    "select key, comparison, threshold from monitoring.rules"
    " where enabled and metric_function = 'metric_duration'"
    " and coalesce(params ->> 'metric_type', 'edge_function') = 'edge_function'"
    " order by threshold, key"
)

FUNCTION_HEALTH_SQL = """
with timed as (
    select m.metric_name as name, count(*) as calls,
           percentile_cont(0.5) within group (order by m.duration_ms) as p50,
           percentile_cont(0.95) within group (order by m.duration_ms) as p95
      from public.performance_metrics as m
     where m.metric_type = 'edge_function'
       and m.recorded_at > %(at)s - interval '24 hours' and m.recorded_at <= %(at)s
     group by m.metric_name
), failed as (
    select e.function_name as name, count(*) as errors
      from public.error_logs as e
     where e.function_name is not null
       and e.occurred_at > %(at)s - interval '24 hours' and e.occurred_at <= %(at)s
     group by e.function_name
), seen as (
    select coalesce(t.name, f.name) as name, coalesce(t.calls, 0) as calls, coalesce(f.errors, 0) as errors,
           t.p50, t.p95, count(*) over () as total
      from timed as t full join failed as f on f.name = t.name
     order by coalesce(t.calls, 0) + coalesce(f.errors, 0) desc, 1
     limit %(limit)s
), open_alerts as (
    select a.alert_type, coalesce(a.metadata -> 'labels', '{}') as labels
      from public.system_alerts as a
     where a.resolved_at is null
), rules as (
    select r.key, r.comparison, r.threshold,
           exists (select from open_alerts as a
                    where a.alert_type = r.key and not (a.labels ?| %(labels)s::text[])) as open
      from jsonb_to_recordset(%(rules)s::jsonb) as r (key text, comparison text, threshold numeric)
), breached as (
    select s.name, r.key, r.open
      from seen as s join rules as r
        on case r.comparison when '>' then s.p95 > r.threshold when '>=' then s.p95 >= r.threshold
                             when '<' then s.p95 < r.threshold else s.p95 <= r.threshold end
)
select s.name, s.calls, s.errors, round(s.p50::numeric, 1) as p50, round(s.p95::numeric, 1) as p95, s.total,
       array(select a.alert_type from open_alerts as a
              where exists (select from unnest(%(labels)s::text[]) as k (label) where a.labels ->> k.label = s.name)
              union
             select b.key from breached as b where b.name = s.name and b.open
              order by 1) as firing,
       array(select b.key from breached as b where b.name = s.name and not b.open order by 1) as over
  from seen as s
 order by s.calls + s.errors desc, s.name
"""

DATABASE_HEALTH_SQL = """
select r.key, r.title, r.comparison, r.threshold, r.runbook_url, r.enabled,
       run.value as worst, coalesce(run.series, 0) as series,
       (select count(*) from monitoring.rule_state as s
         where s.rule_key = r.key and s.last_state = 'pending') as pending,
       (select count(*) from public.system_alerts as a
         where a.alert_type = r.key and a.resolved_at is null) as firing
  from monitoring.rules as r
  -- the latest run: its worst value and series count (rule_state holds only the series that are not plain ok)
  left join lateral (
      select rr.value, rr.series from monitoring.rule_runs as rr
       where rr.rule_key = r.key and rr.outcome <> 'error' order by rr.evaluated_at desc limit 1
  ) as run on true
 where r.metric_function like any (%(patterns)s::text[]) or r.key = any (%(keys)s::text[])
 order by firing desc, r.key
"""


@dataclass
class Function:
    name: str
    calls: int
    errors: int
    p50: Decimal | None  # None: no timed call in the window (only errors)
    p95: Decimal | None
    firing: list[str]  # rules with an open alert for this function
    over: list[str]  # timing rules whose threshold its p95 passes while they have no open alert

    @property
    def status(self) -> str:
        return function_status(self.firing, self.over)[0]

    @property
    def detail(self) -> str:
        return function_status(self.firing, self.over)[1]


@dataclass
class FunctionHealth:
    functions: list[Function]
    total: int  # functions seen in the window; more than len(functions) when the panel is cut at FUNCTIONS_SHOWN
    timing_rules: list[dict[str, Any]]  # key, comparison, threshold

    @property
    def more(self) -> int:
        return self.total - len(self.functions)


@dataclass
class DatabaseRule:
    key: str
    title: str
    comparison: str
    threshold: Decimal
    runbook_url: str | None
    enabled: bool
    worst: Decimal | None  # None: never evaluated
    series: int
    pending: int
    firing: int

    @property
    def state(self) -> str:
        return rule_state(self.enabled, self.firing, self.pending, self.series)

    @property
    def tone(self) -> str:
        """The state's colour: firing, over (pending), ok, or none (disabled, never evaluated)."""
        if self.enabled and (self.firing or self.pending):
            return "firing" if self.firing else "over"
        return "ok" if self.state == "ok" else "none"


def function_status(firing: list[str], over: list[str]) -> tuple[str, str]:
    """(status, detail): firing (an open alert of the named rules), over (its p95 is past a timing rule's threshold
    though that rule has no open alert: the rule averages every function over its own window) or ok."""
    if firing:
        detail = ", ".join(firing) + (f"; also over {', '.join(over)}" if over else "")
        return "firing", detail
    if over:
        return "over", "p95 over " + ", ".join(over) + " (not firing)"
    return "ok", ""


def rule_state(enabled: bool, firing: int, pending: int, series: int) -> str:
    if not enabled:
        return "disabled"
    if firing:
        return f"{firing} firing"
    if pending:
        return f"{pending} pending"
    return "ok" if series else "not evaluated yet"


def number(value: Decimal | float | int | None) -> str:
    """A value as the panels print it: at most one decimal, none when it is whole; a dash for no value."""
    if value is None:
        return NO_VALUE
    return f"{float(value):.1f}".removesuffix(".0")


def timing_rules(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """As the dashboard's login: the rules function health is judged by."""
    return fetch_dicts(conn, TIMING_RULES_SQL)


def function_health(conn: psycopg.Connection, at: datetime, rules: list[dict[str, Any]]) -> FunctionHealth:
    """As the dashboard's admin (inside data.as_admin): the functions of the 24 hours up to `at`."""
    params = {
        "at": at,
        "limit": FUNCTIONS_SHOWN,
        "labels": list(FUNCTION_LABELS),
        "rules": Jsonb([{"key": r["key"], "comparison": r["comparison"], "threshold": str(r["threshold"])}
                        for r in rules]),
    }  # fmt: skip
    rows = fetch_dicts(conn, FUNCTION_HEALTH_SQL, params)
    functions = [
        Function(r["name"], r["calls"], r["errors"], r["p50"], r["p95"], list(r["firing"]), list(r["over"]))
        for r in rows
    ]
    return FunctionHealth(functions, rows[0]["total"] if rows else 0, rules)


def database_health(conn: psycopg.Connection) -> list[DatabaseRule]:
    """As the dashboard's login: the database-health rules with their state and open alerts."""
    rows = fetch_dicts(
        conn, DATABASE_HEALTH_SQL, {"patterns": list(DATABASE_HEALTH_METRICS), "keys": list(DATABASE_HEALTH_RULES)}
    )
    return [DatabaseRule(**row) for row in rows]
