"""How the CLI shows things: its two consoles, JSON, times and ages, and the tables of status, check, alerts, rules
and the synthetic incident. Commands in cli.py gather the data and hand it here."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table

from supalert.durations import describe_interval
from supalert.rules import custom
from supalert.rules.store import Change
from supalert.rules.values import format_value

# Tables keep their shape in logs and pipes, where rich would otherwise assume 80 columns.
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, highlight=False, soft_wrap=True)
MARKS = {"ok": "ok", "warn": "[yellow]warn[/yellow]", "fail": "[bold red]FAIL[/bold red]"}


def say(message: str) -> None:
    """Progress and notes, on stderr, so stdout stays the command's answer."""
    err.print(message, markup=False)


def _json_value(value: object) -> object:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def print_json(data: object) -> None:
    out.print_json(json.dumps(data, default=_json_value))


def when(value: datetime | None, *, minutes: bool = False) -> str:
    """A time as the tables show it: UTC, to the second (or the minute), '-' for none."""
    if value is None:
        return "-"
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M" if minutes else "%Y-%m-%d %H:%M:%S")


def age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _table(title: str, columns: tuple[str, ...], **options: Any) -> Table:
    table = Table(title=title, title_justify="left", **options)
    for column in columns:
        table.add_column(column)
    return table


def print_status(report: dict) -> None:
    """`status`: the summary, the monitor's parts (monitoring.liveness) and the rules."""
    m = report["migrations"]
    table = Table(title=f"supalert status: {report['url']}", show_header=False, title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("value")
    table.add_row("database", f"{report['database']} (Postgres {report['server_version']})")
    table.add_row("migrations", f"{m['applied']}/{m['files']} applied")
    table.add_row("pending", ", ".join(m["pending"]) or "none")
    table.add_row("changed since applied", ", ".join(m["changed"]) or "none")
    for name, version in report["extensions"].items():
        table.add_row(name, version or "absent")
    jobs = report["cron_jobs"]
    table.add_row(
        "cron jobs",
        "\n".join(f"{j['name']}  {j['schedule']}{'' if j['active'] else '  (inactive)'}" for j in jobs) or "none",
    )
    table.add_row(
        "monitoring schema",
        f"{report['monitoring']['tables']} tables, {report['monitoring']['functions']} functions",
    )
    engine_report = report.get("engine")
    if engine_report:
        beat = engine_report["heartbeat"]
        table.add_row(
            "last evaluation",
            (
                "never (waiting for pg_cron's first run)"
                if beat["age_seconds"] is None
                else f"{age(beat['age_seconds'])} ago ({beat['rules_evaluated']} rules, {beat['rules_failed']} failed)"
            )
            + ("  STALE: is pg_cron running?" if beat["stale"] else ""),
        )
        firing = engine_report["open_alerts"]
        table.add_row("open alerts", ", ".join(f"{n} {sev}" for sev, n in firing.items()) or "none")
    out.print(table)
    if report["monitor"] is not None:
        monitor = Table(title="is the monitor alive? (monitoring.liveness)", title_justify="left")
        for column in ("part", "", "detail", "fix"):
            monitor.add_column(column, overflow="fold")
        for row in report["monitor"]:
            monitor.add_row(row["component"], MARKS[row["status"]], row["detail"], row["fix"] or "")
        out.print(monitor)
    if engine_report:
        rules = _table("rules", ("rule", "severity", "condition", "window", "last run (UTC)", "outcome", "open alerts"))
        for rule in engine_report["rules"]:
            rules.add_row(
                rule["key"] + ("" if rule["enabled"] else " (disabled)"),
                rule["severity"],
                f"{rule['comparison']} {rule['threshold']:g}",
                rule["time_window"],
                when(rule["last_run"]),
                rule["last_outcome"] or "-",
                str(rule["open_alerts"] or ""),
            )
        out.print(rules)


def check_table(display: str, results: list[dict[str, Any]]) -> Table:
    """`check`: what each rule sees, one row per series."""
    table = _table(f"check: {display}", ("rule", "severity", "state", "value", "threshold", "summary", "alert"))
    for row in results:
        table.add_row(
            row["rule"] + (f" {row['labels']}" if row["labels"] else ""),
            row["severity"],
            row["state"],
            "-" if row["value"] is None else f"{row['value']:g}",
            f"{row['threshold']:g}",
            row["summary"] or "",
            str(row["alert_id"] or ""),
        )
    return table


def alerts_table(display: str, rows: list[dict[str, Any]]) -> Table:
    """`alerts`: one row per alert; the id is never folded, since it is copied into `ack` and `resolve`."""
    table = Table(title=f"alerts: {display}", title_justify="left")
    table.add_column("id", no_wrap=True, min_width=36)
    for column in ("severity", "status", "rule", "title", "count", "since", "last seen"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            str(row["id"]), row["severity"], row["status"], row["rule"], row["title"], str(row["occurrences"]),
            when(row["created_at"]), when(row["last_seen_at"]),
        )  # fmt: skip
    return table


def rules_table(display: str, rows: list[dict[str, Any]]) -> Table:
    """`rules`: every rule with its condition, window, last value and state, and open alerts."""
    fmt = format_value
    table = Table(title=f"rules: {display}", title_justify="left")
    table.add_column("rule", no_wrap=True)
    for column in ("kind", "severity", "condition", "resolves", "window", "enabled", "last value", "last state",
                   "open alerts"):  # fmt: skip
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["key"], row["kind"], row["severity"], f"{row['comparison']} {fmt(row['threshold'])}",
            "-" if row["resolve_threshold"] is None else f"{row['comparison']} {fmt(row['resolve_threshold'])}",
            row["window"], fmt(row["enabled"]), "-" if row["last_value"] is None else fmt(row["last_value"]),
            row["last_state"] or "-", str(row["open_alerts"] or ""),
        )  # fmt: skip
    return table


def incident_table(display: str, rule: str) -> tuple[Table, Callable[[dict[str, Any]], None]]:
    """`demo-incident`: the table, and the function that adds one replayed step to it."""
    table = _table(f"synthetic incident on {display} ({rule})", ("time (UTC)", "minute", "what", "state", "value",
                                                                  "summary"))  # fmt: skip

    def add(step: dict[str, Any]) -> None:
        table.add_row(when(step["at"], minutes=True), f"+{step['minutes']}", step["label"], step["state"],
                      f"{step['value']:g}", step["summary"])  # fmt: skip

    return table, add


def change_line(change: Change) -> str:
    """`rules set`/`rules sync`: one line per change, `rule field: old -> new`."""
    return f"{change.rule} {change.field}: {format_value(change.old)} -> {format_value(change.new)}"


def custom_rule_lines(
    row: dict[str, Any], changes: list[Change], added: bool, series: list[custom.Series], shown: int = 5
) -> list[str]:
    """`rules add`: what changed, the rule as it now stands, and what its query measures now (a few series)."""
    key = row["key"]
    lines = [] if added else [change_line(c) for c in changes] or [f"custom rule {key}: unchanged"]
    timeout = describe_interval(timedelta(seconds=row["params"]["timeout_seconds"]))
    lines.append(
        f"{'added' if added else 'custom'} rule {key}: fires when value {row['comparison']} "
        f"{format_value(row['threshold'])} ({row['severity']}), every {describe_interval(row['evaluation_interval'])}"
        f", query timeout {timeout}; "
        + (f"pg_cron job supalert-rule-{key}" if row["enabled"] else "disabled (no pg_cron job)")
    )
    firing = custom.breaching(series, row["comparison"], row["threshold"])
    parts = []
    for item in series[:shown]:
        name = ", ".join(f"{k}={v}" for k, v in sorted(item.labels.items())) or "value"
        flag = " (would fire)" if item in firing else ""
        parts.append(f"{name}: {format_value(item.value)}{flag}")
    more = f", and {len(series) - shown} more" if len(series) > shown else ""
    lines.append(
        f"its query now: {len(series)} series, {len(firing)} over the threshold"
        + (f": {'; '.join(parts)}{more}" if parts else " (no rows: no data)")
    )
    return lines
