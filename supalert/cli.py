"""`python deploy.py ...` / `supalert ...`: parse arguments, call the package, print results.

Every failure the user can act on is a SupalertError: printed to stderr as one line, exit code non-zero, no
traceback unless --debug.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated

import psycopg
import typer
from typer.exceptions import TyperException

from supalert import alerts as alert_ops  # `alerts` is also a command below
from supalert import (
    demo,
    export,
    functions,
    liveness,
    localdb,
    migrations,
    records,
    released,
    selftest,
    sqlsource,
    status,
    vault,
)
from supalert.db import fetch_dicts, require_installed
from supalert.dburl import connect
from supalert.durations import parse_duration
from supalert.errors import SupalertError
from supalert.paths import migrations_dir, project_root
from supalert.render import (
    alerts_table,
    change_line,
    check_table,
    custom_rule_lines,
    err,
    incident_table,
    out,
    print_json,
    print_status,
    rules_table,
    say,
    when,
)
from supalert.rules import config, custom, stems, store
from supalert.rules.values import format_value
from supalert.session import opened, resolve_target
from supalert.severities import SEVERITIES

app = typer.Typer(
    help="supalert: production alerting inside your Supabase project's Postgres.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
local_app = typer.Typer(
    help="The embedded local Postgres, shaped like a hosted Supabase project, used when no database URL is given.",
    no_args_is_help=True,
)
app.add_typer(local_app, name="local")
secrets_app = typer.Typer(help="Secrets the database itself needs (Supabase Vault).", no_args_is_help=True)
app.add_typer(secrets_app, name="secrets")
usage_app = typer.Typer(help="Usage readings SQL cannot see (bandwidth), for the usage rules.", no_args_is_help=True)
app.add_typer(usage_app, name="usage")
backups_app = typer.Typer(help="Backups as far as supalert can know them, for the backup_stale rule.",
                          no_args_is_help=True)  # fmt: skip
app.add_typer(backups_app, name="backups")
rules_app = typer.Typer(
    help="Alert rules (monitoring.rules). With no subcommand: list them (--json, --db-url). `set` changes fields of "
    "one rule; `sync FILE` applies a TOML file such as alert-config.toml; `add KEY --sql ...` adds a custom SQL "
    "rule, `remove KEY` removes one.",
    invoke_without_command=True,
)
app.add_typer(rules_app, name="rules")

state = {"debug": False}

DbUrlOption = Annotated[
    str | None,
    typer.Option(
        "--db-url",
        help="Postgres URL (direct or session-mode connection). Default: $SUPABASE_DB_URL, $DATABASE_URL, "
        "else the embedded local database.",
        show_default=False,
    ),
]


@app.callback()
def _root(debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False) -> None:
    state["debug"] = debug


@app.command()
def migrate(
    db_url: DbUrlOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would run; change nothing.")] = False,
    allow_changed: Annotated[
        bool,
        typer.Option("--allow-changed", help="Accept applied migrations whose file changed, without re-running."),
    ] = False,
    until: Annotated[
        str | None,
        typer.Option("--until", metavar="VERSION", help="Apply migrations up to this version only (14 digits)."),
    ] = None,
    lock_timeout: Annotated[
        str, typer.Option(help="Longest wait for a table lock inside a migration before it fails.")
    ] = "10s",
) -> None:
    """Apply pending supabase/migrations files, each in its own transaction, as the Supabase CLI records them."""
    folder = migrations_dir()
    migrations.discover(folder)  # a badly named file is reported before any connection is made
    with opened(db_url) as (target, conn):
        result = migrations.migrate(
            conn,
            folder,
            until=until,
            dry_run=dry_run,
            allow_changed=allow_changed,
            lock_timeout=lock_timeout,
            report=say,
        )
        # pg_net may have been enabled, or the secrets stored, since the migration that schedules the dispatcher.
        # Not after --until: an older version may not have the functions it calls.
        dispatch_lines = [] if dry_run or until else liveness.ensure_dispatch(conn)
    plan = result.plan
    if dry_run:
        for item in plan.pending:
            out.print(f"would apply {item.path.name} ({len(item.statements)} statements)")
        out.print(f"dry run on {target.display}: {len(plan.pending)} pending, nothing changed")
        return
    if not result.applied:
        out.print(f"{target.display}: up to date ({len(plan.files)} migrations applied), nothing to do")
    else:
        out.print(
            f"migrated {target.display}: applied {len(result.applied)} of {len(plan.files)} migrations "
            f"in {result.seconds:.2f} s"
        )
    for line in dispatch_lines:
        out.print(line)


@app.command("status")
def status_command(
    db_url: DbUrlOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    stale_after: Annotated[
        str | None,
        typer.Option(
            help="Call the evaluation heartbeat stale after this long (pg_cron runs every minute); default: "
            "monitoring.settings.heartbeat_stale_after, as the monitor itself decides."
        ),
    ] = None,
) -> None:
    """Report migrations, whether the monitor is alive (pg_cron, each job, the heartbeat, the outbox, the
    dispatcher), rules and open alerts.

    Exit 1 when migrations are pending or changed, or any part of the monitor fails; the causes are printed."""
    after = parse_duration(stale_after) if stale_after is not None else None
    with opened(db_url) as (target, conn):
        report = status.gather(conn, migrations_dir(), stale_after=after)
    report["url"] = target.display
    if as_json:
        print_json(report)
    else:
        print_status(report)
    causes = status.problems(report)
    if causes:
        if not as_json:
            for cause in causes:
                err.print(f"unhealthy: {cause}", markup=False, highlight=False)
        raise typer.Exit(1)


AtOption = Annotated[
    str | None,
    typer.Option("--at", help="Evaluate as of this time (ISO 8601, e.g. 2026-03-02T12:00:00Z) instead of now."),
]


@app.command()
def check(
    rules: Annotated[list[str] | None, typer.Argument(help="Rule keys; default: every enabled rule.")] = None,
    db_url: DbUrlOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
    at: AtOption = None,
) -> None:
    """Evaluate rules now and print what each one sees. Exit 1 when a critical alert is firing."""
    moment = _parse_time(at)
    with opened(db_url) as (target, conn):
        results = alert_ops.evaluate(conn, rules or [], moment)
    if as_json:
        print_json(results)
    else:
        out.print(check_table(target.display, results))
    if alert_ops.critical_firing(results):
        raise typer.Exit(1)


def _parse_time(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise SupalertError(f"--at {text!r} is not a time", "use ISO 8601, e.g. 2026-03-02T12:00:00Z") from None
    if moment.tzinfo is None:
        raise SupalertError(f"--at {text!r} has no time zone", "add Z for UTC or an offset such as +02:00")
    return moment


@app.command()
def alerts(
    db_url: DbUrlOption = None,
    show_all: Annotated[bool, typer.Option("--all", help="Include resolved alerts (newest 100).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the alerts as JSON.")] = False,
) -> None:
    """List open alerts (firing or acknowledged), most severe first."""
    with opened(db_url) as (target, conn):
        rows = alert_ops.list_alerts(conn, show_all)
    if as_json:
        print_json(rows)
        return
    if not rows:
        out.print("no open alerts" if not show_all else "no alerts")
        return
    out.print(alerts_table(target.display, rows))


ByOption = Annotated[str | None, typer.Option("--by", help="Who is acting (default: your database user).")]


@app.command()
def ack(
    alert_id: Annotated[str, typer.Argument(help="Alert id (from `alerts`).")],
    db_url: DbUrlOption = None,
    by: ByOption = None,
) -> None:
    """Acknowledge an open alert: it stays open until its rule resolves it."""
    with opened(db_url) as (_, conn):
        row = alert_ops.acknowledge(conn, alert_id, by)
    out.print(f"acknowledged {row['id']} ({row['alert_type']}) by {row['acknowledged_by']}")


@app.command()
def resolve(
    alert_id: Annotated[str, typer.Argument(help="Alert id (from `alerts`).")],
    db_url: DbUrlOption = None,
    by: ByOption = None,
) -> None:
    """Resolve an open alert by hand; the rule opens a new one if the condition persists."""
    with opened(db_url) as (_, conn):
        row = alert_ops.resolve(conn, alert_id, by)
    out.print(f"resolved {row['id']} ({row['alert_type']})")


@app.command()
def silence(
    rule: Annotated[str, typer.Argument(help="Rule key to silence.")],
    duration: Annotated[str, typer.Option("--for", help="How long: 30m, 2h, 1d.")],
    comment: Annotated[str, typer.Option("--comment", help="Why (shown to whoever looks later).")],
    db_url: DbUrlOption = None,
    by: ByOption = None,
) -> None:
    """Stop notifications for a rule for a while; its alerts are still recorded."""
    length = parse_duration(duration)
    with opened(db_url) as (_, conn):
        row = alert_ops.silence(conn, rule, length, comment, by)
    out.print(f"silenced {row['rule_key']} until {when(row['ends_at'])} UTC (silence {row['id']})")


@app.command("demo-incident")
def demo_incident(
    db_url: DbUrlOption = None,
    yes: Annotated[bool, typer.Option("--yes", help="Allow it on a database that is not the local one.")] = False,
) -> None:
    """Replay a synthetic error burst (time passed in) and show one alert firing once and resolving once."""
    target = resolve_target(db_url)
    if target.source != "local" and not yes:
        raise SupalertError(
            f"demo-incident writes synthetic errors and an alert into {target.display}",
            "run it on the embedded local database (no --db-url), or pass --yes",
        )
    table, add_step = incident_table(target.display, demo.RULE)
    with connect(target.url) as conn:
        result = demo.replay(conn, add_step)
    out.print(table)
    out.print(
        f"{result['burst']} critical errors -> {result['alerts_opened']} alert ({result['id']}): fired at "
        f"{when(result['created_at'], minutes=True)}, seen {result['occurrences']} times, {result['status']} at "
        f"{when(result['resolved_at'], minutes=True)}"
    )
    out.print(
        f"its {result['notifications_dropped']} notifications (a firing and a resolve per routed channel) were "
        "dropped from the outbox: the incident is synthetic"
    )


@app.command()
def notify(
    severity: Annotated[str, typer.Option(help=f"{', '.join(SEVERITIES)} (medium means warning).")],
    title: Annotated[str, typer.Option(help="Short title.")],
    message: Annotated[str, typer.Option(help="What happened.")] = "",
    category: Annotated[str, typer.Option(help="Category, e.g. manual or system_test.")] = "manual",
    dedup_key: Annotated[
        str | None,
        typer.Option(help="Repeats with this key fold into the open alert (default: the same title does)."),
    ] = None,
) -> None:
    """Raise an alert through send-alert-notification and print what each channel said. A repeat of an open alert
    (same category and dedup key, or title) counts one more occurrence and sends nothing."""
    body = {"severity": severity, "title": title, "message": message, "category": category}
    answer = functions.invoke("send-alert-notification", body | ({"dedup_key": dedup_key} if dedup_key else {}))
    results = answer.get("results", [])
    for result in results:
        line = f"{result.get('channel')}: {result.get('status')}"
        out.print(line + (f" ({result['error']})" if result.get("error") else ""))
    seen = answer.get("occurrences") or 1
    out.print(
        f"alert {answer.get('alert_id')}: {len(results)} notification(s)"
        + (f" (seen {seen} times: a repeat of the open alert, nothing sent)" if seen > 1 else "")
    )
    if any(r.get("status") != "sent" for r in results):
        raise typer.Exit(1)


@app.command()
def dispatch() -> None:
    """Run check-alert-triggers once: evaluate due rules and deliver due notifications; print the counts."""
    answer = functions.invoke("check-alert-triggers", {})
    out.print(", ".join(f"{key} {value}" for key, value in answer.items() if not isinstance(value, dict | list)))
    if answer.get("dead"):
        raise typer.Exit(1)


@app.command("test-alerts")
def test_alerts(db_url: DbUrlOption = None) -> None:
    """End-to-end check: send a test alert through send-alert-notification, check it was recorded and delivered on
    every routed channel, then remove it. One PASS/FAIL line per step; exit 1 naming the failed step."""
    with opened(db_url) as (_, conn):
        steps = selftest.run(conn, lambda step, ok, detail: out.print(f"{'PASS' if ok else 'FAIL'} {step}: {detail}"))
    failed = [name for name, ok in steps if not ok]
    if failed:
        err.print(f"error: test-alerts failed at step {failed[0]}", markup=False)
        raise typer.Exit(1)


@app.command()
def dashboard(
    db_url: DbUrlOption = None,
    port: Annotated[int, typer.Option(help="TCP port.")] = 8787,
    host: Annotated[
        str, typer.Option(help="Interface; anything but loopback needs DASHBOARD_PASSWORD (HTTP Basic, user admin).")
    ] = "127.0.0.1",
    print_url: Annotated[bool, typer.Option("--print-url", help="Only print the URL it would serve.")] = False,
) -> None:
    """Serve the system-health page: tiles, 24-hour charts with thresholds, active alerts with acknowledge,
    silence and dismiss buttons, refreshed every 30 seconds."""
    # Here, not at the top: uvicorn and the app (starlette, jinja2) take about 0.25 s to import, which every
    # other command would pay.
    import uvicorn

    from supalert.dashboard.app import create_app, require_login

    url = f"http://{host}:{port}/"
    if print_url:
        out.print(f"dashboard: {url} (start it with `python deploy.py dashboard`)")
        return
    password = os.environ.get("DASHBOARD_PASSWORD") or None
    require_login(host, password)  # before any database is started or reached
    with opened(db_url) as (target, conn):
        require_installed(conn)
    served = create_app(target.url, password, host=host)
    say(f"dashboard for {target.display} on {url} (Ctrl-C stops it)")
    uvicorn.run(served, host=host, port=port, log_level="warning")


@app.command("export")
def export_command(
    into: Annotated[
        Path,
        typer.Option(
            "--into",
            help="The app's supabase/migrations folder (or the app's root, which holds it).",
            show_default=False,
        ),
    ],
) -> None:
    """Write supalert's migrations into the app's own migrations folder, for `supabase db push` and Branching.

    Each file is versioned after the folder's newest one and names the supalert migration it carries; a second
    run writes only migrations not exported yet. Pushed files record themselves in supalert's history, so
    `migrate` and `status` see them, and a file whose migration `migrate` already applied does nothing."""
    written = export.export(migrations_dir(), into, report=lambda line: out.print(line))
    folder = export.resolve_folder(into)
    if not written:
        out.print(f"{folder}: every supalert migration is already there, nothing written")
    else:
        out.print(f"exported {len(written)} supalert migration(s) into {folder}; apply them with `supabase db push`")


@app.command("new-migration")
def new_migration(
    name: Annotated[
        str | None, typer.Argument(help="Short name, e.g. add_disk_rule (letters, digits, _ and -).")
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Write nothing; exit 1 when sql/ or rules/ differ from the migrations or the README's rules table, "
            "or a released migration changed.",
        ),
    ] = False,
    release: Annotated[
        bool,
        typer.Option("--release", help="List every migration not yet released in supabase/released.sha256."),
    ] = False,
    docs: Annotated[
        bool,
        typer.Option("--docs", help="Only rewrite README.md's rules table from rules/*.md (NAME does it too)."),
    ] = False,
) -> None:
    """Write supabase/migrations/<timestamp>_NAME.sql holding every sql/ file and rule definition (rules/*.md) that
    changed since the last one, and rewrite the README's rules table."""
    root, folder = project_root(), migrations_dir()
    if check:
        changes = sqlsource.changed_sources(root, folder)
        for item in changes.changed:
            out.print(f"differs from the migrations: {item.relpath}")
        for relpath in changes.removed:
            out.print(f"in the migrations but not in sql/ or rules/: {relpath}")
        for old, new in changes.moved:
            out.print(f"moved since the migrations: {old} -> {new}")
        readme = stems.readme_current(root, stems.rule_files(root))
        if not readme:
            out.print("README.md's rules table differs from rules/*.md (python deploy.py new-migration --docs)")
        frozen = released.problems(folder)
        for line in frozen:
            out.print(line)
        if changes or frozen or not readme:
            raise typer.Exit(1)
        out.print("sql/ and rules/ match the migrations and the README; released migrations unchanged")
        return
    if release:
        names = released.release_all(folder)
        out.print(f"released {len(names)} migration(s)" + "".join(f"\n  {name}" for name in names))
        return
    if docs:
        changed = stems.write_readme(root, stems.rule_files(root))
        out.print("README.md: rules table " + ("rewritten" if changed else "already current"))
        return
    if name is None:
        raise SupalertError("new-migration needs a NAME", "e.g. python deploy.py new-migration add_disk_rule")
    path, changes = sqlsource.write_migration(root, folder, name)
    out.print(
        f"wrote {path.relative_to(root)}: {len(changes.changed)} file(s) copied"
        + (f", {len(changes.moved)} moved" if changes.moved else "")
        + (f", {len(changes.removed)} removed (drop by hand)" if changes.removed else "")
    )
    for item in changes.changed:
        out.print(f"  {item.relpath}")
    for relpath in changes.redefined:
        say(
            f"warning: {relpath} was already installed by an earlier migration: its insert reaches only new "
            "databases; add an update of the existing row below it if installed projects should change too"
        )


# rules: thresholds and settings of monitoring.rules as configuration (supalert/rules/) ------------------------------


def group_db_url(ctx: typer.Context, db_url: str | None) -> str | None:
    """`rules --db-url URL set ...` means `rules set ... --db-url URL`: the command's own option, else the group's."""
    return db_url or (ctx.parent.params.get("db_url") if ctx.parent else None)


@rules_app.callback()
def rules_list(
    ctx: typer.Context,
    db_url: DbUrlOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the rules as JSON.")] = False,
) -> None:
    """With no subcommand: list every rule (metric rules, then engine rules) with its threshold, window, last value
    and state, and open alerts. `rules set` changes one rule; `rules sync FILE` applies a TOML file."""
    if ctx.invoked_subcommand is not None:
        return  # the subcommand reads --db-url from here when it has none (group_db_url)
    with opened(db_url) as (target, conn):
        rows = store.overview(conn)
    if as_json:
        print_json(rows)
        return
    out.print(rules_table(target.display, rows))


@rules_app.command("set")
def rules_set(
    ctx: typer.Context,
    rule: Annotated[str, typer.Argument(help="Rule key (see `python deploy.py rules`).")],
    assignments: Annotated[
        list[str] | None,
        typer.Argument(
            help="FIELD=VALUE ...: threshold, resolve_threshold (or none), window/time_window (1 hour, 15 minutes, "
            "2h), severity, comparison, evaluations_before_firing, repeat_interval, evaluation_interval, "
            "on_no_data, enabled (true/false), runbook_url, title, description.",
            show_default=False,
        ),
    ] = None,
    db_url: DbUrlOption = None,
) -> None:
    """Change fields of one rule in one transaction and print old -> new for each.

    Example: python deploy.py rules set critical_errors_per_hour threshold=10 window=30m severity=high"""
    values = config.split_assignments(rule, assignments or [])
    config.parse_assignments(rule, values)  # a bad value is reported before any connection is made
    with opened(group_db_url(ctx, db_url)) as (_, conn):
        changes = store.set_rule(conn, rule, values)
    for change in changes:
        if change.old == change.new:
            out.print(f"{change.rule} {change.field}: {format_value(change.old)} (unchanged)")
        else:
            out.print(change_line(change))


@rules_app.command("sync")
def rules_sync(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="TOML file with one rules.<key> table per rule, e.g. alert-config.toml.")],
    db_url: DbUrlOption = None,
) -> None:
    """Make the database's rules match a TOML file; print each change, or "no changes".

    The whole file is checked first, then every field that differs is updated in one transaction (all or nothing).
    Rules and fields the file leaves out are not touched."""
    path = Path(file)
    config.read_file(path)  # a bad file is reported before any connection is made
    with opened(group_db_url(ctx, db_url)) as (_, conn):
        changes = store.sync_file(conn, path)
    for change in changes:
        out.print(change_line(change))
    rules = len({c.rule for c in changes})
    out.print(f"{file}: {len(changes)} change(s) in {rules} rule(s)" if changes else f"{file}: no changes")


@rules_app.command("add")
def rules_add(
    ctx: typer.Context,
    rule: Annotated[str, typer.Argument(help="Key of the new rule: lower-case letters, digits and _.")],
    query: Annotated[
        str,
        typer.Option(
            "--sql",
            help="One select: a numeric column value, any other column a label (one series per row). Name tables "
            "with their schema (public.orders). Runs read-only, under --timeout.",
        ),
    ],
    threshold: Annotated[str | None, typer.Option(help="Fires when value <comparison> this (needed when new).")] = None,
    severity: Annotated[str | None, typer.Option(help="critical, high, warning (new rule default) or info.")] = None,
    comparison: Annotated[str | None, typer.Option(help=">, >=, < or <= (new rule default >).")] = None,
    timeout: Annotated[
        str | None, typer.Option(help="The query's statement timeout: 1s to 5m, shorter than --every (default 5s).")
    ] = None,
    every: Annotated[
        str | None, typer.Option(help="How often it runs: 1-59s, 1/2/5/10/15/30m, hours dividing a day, 1d (1m).")
    ] = None,
    runbook_url: Annotated[str | None, typer.Option(help="Link every notification of the rule carries.")] = None,
    title: Annotated[str | None, typer.Option(help="Title of its alerts (default: from the key).")] = None,
    description: Annotated[str | None, typer.Option(help="What it means, for the alert.")] = None,
    db_url: DbUrlOption = None,
) -> None:
    """Add a custom SQL rule, or change the one of that key (safe to run again); it then runs as its own pg_cron
    job, supalert-rule-KEY. The query is run once first, read-only and under its timeout, and refused with the
    reason if it fails, writes, is too slow or has the wrong columns. Other fields: `rules set KEY FIELD=VALUE`.

    Example: python deploy.py rules add stuck_orders --sql "select region, count(*) as value from public.orders
    where status = 'pending' and created_at < now() - interval '1 hour' group by region" --threshold 10"""
    given = {"threshold": threshold, "severity": severity, "comparison": comparison, "evaluation_interval": every,
             "runbook_url": runbook_url, "title": title, "description": description}  # fmt: skip
    key = custom.clean_key(rule)
    given = {f: v for f, v in given.items() if v is not None}
    named = config.parse_assignments(key, given) if given else ({}, {})
    wanted = custom.from_text(key, query, timeout, named)  # a bad value is reported before any connection is made
    with opened(group_db_url(ctx, db_url)) as (_, conn):
        changes, added, series = store.add_custom(conn, wanted)
        row = custom.stored(conn, key)
    for line in custom_rule_lines(row, changes, added, series):
        out.print(line)


@rules_app.command("remove")
def rules_remove(
    ctx: typer.Context,
    rule: Annotated[str, typer.Argument(help="Key of a custom SQL rule (supalert's own rules cannot be removed).")],
    db_url: DbUrlOption = None,
) -> None:
    """Remove a custom SQL rule: its open alerts are resolved (their resolve notifications go out), then the rule,
    its state, its history and its pg_cron job go."""
    with opened(group_db_url(ctx, db_url)) as (_, conn):
        resolved = store.remove_custom(conn, rule)
    out.print(f"removed custom rule {rule}" + (f"; resolved {resolved} open alert(s)" if resolved else ""))


@usage_app.command("record")
def usage_record(
    metric: Annotated[
        str, typer.Argument(help="Metric name, e.g. bandwidth_gb_month (read by bandwidth_gb_per_month).")
    ],
    value: Annotated[str, typer.Argument(help="The reading, a number of 0 or more.")],
    db_url: DbUrlOption = None,
    at: AtOption = None,
) -> None:
    """Record one usage reading (e.g. from the Supabase dashboard or its Management API), now or --at a time."""
    moment = _parse_time(at)
    with opened(db_url) as (_, conn):
        row = records.record_usage(conn, metric, value, moment)
    out.print(f"recorded {row['metric']} = {row['value']} at {when(row['sampled_at'])} UTC")


@backups_app.command("record")
def backups_record(
    db_url: DbUrlOption = None,
    kind: Annotated[str, typer.Option(help="full, incremental, wal, pitr or logical.")] = "full",
    finished_at: Annotated[
        str | None, typer.Option("--finished-at", help="When it finished (ISO 8601 with zone); default now.")
    ] = None,
    unverified: Annotated[bool, typer.Option("--unverified", help="Recorded, but not checked restorable.")] = False,
    location: Annotated[str | None, typer.Option(help="Where it is (no credentials).")] = None,
) -> None:
    """Record a finished backup; monitoring.verify_latest_backup() alerts when the newest verified one is old."""
    moment = _parse_time(finished_at)
    with opened(db_url) as (_, conn), conn.transaction():
        row = records.record_backup(conn, kind, moment, not unverified, location)
    out.print(
        f"recorded {row['kind']} backup finished {when(row['finished_at'])} UTC"
        + ("" if row["verified"] else " (unverified)")
    )


@secrets_app.command("set")
def secrets_set(
    project_url: Annotated[str, typer.Option(help="https://<ref>.supabase.co (where the edge functions live).")],
    db_url: DbUrlOption = None,
) -> None:
    """Store the project URL and ALERT_DISPATCH_SECRET (read from the environment, never from the command line)
    in Vault, for pg_cron's pg_net call of check-alert-triggers, and schedule that call (supalert-dispatch) once
    pg_net exists (created here where this role may). Safe to run again."""
    secret = os.environ.get("ALERT_DISPATCH_SECRET", "")
    vault.dispatch_values(project_url, secret)  # refused before any connection is made
    with opened(db_url) as (_, conn):
        outcome = vault.store(conn, project_url, secret)
        dispatch_lines = liveness.ensure_dispatch(conn)
    for name, what in outcome.items():
        out.print(f"{name}: {what}")
    for line in dispatch_lines:
        out.print(line)


@app.command()
def schedule(
    evaluate: Annotated[
        str | None, typer.Option(help="How often pg_cron evaluates the rules: 10s, 30s, 1m, 5m or a cron schedule.")
    ] = None,
    dispatch: Annotated[
        str | None, typer.Option(help="How often pg_cron calls check-alert-triggers through pg_net (same forms).")
    ] = None,
    db_url: DbUrlOption = None,
) -> None:
    """Show or change how often supalert-evaluate and supalert-dispatch run. Seconds need pg_cron 1.5 or later
    (Supabase has 1.6); a rule is still evaluated at most once per its evaluation_interval."""
    with opened(db_url) as (_, conn):
        require_installed(conn)
        if evaluate is None and dispatch is None:
            jobs = fetch_dicts(
                conn,
                "select evaluate_schedule, dispatch_schedule from monitoring.settings",
            )[0]
            out.print(f"supalert-evaluate: {jobs['evaluate_schedule']!r}")
            out.print(f"supalert-dispatch: {jobs['dispatch_schedule']!r}")
            return
        rows = liveness.set_schedules(conn, evaluate, dispatch)
        dispatch_lines = liveness.ensure_dispatch(conn) if dispatch is not None else []
    for row in rows:
        out.print(f"{row['job']}: {row['schedule']!r}")
    for line in dispatch_lines:
        out.print(line)


@local_app.command("start")
def local_start() -> None:
    """Create (first time) and start the local cluster."""
    cluster = localdb.LocalCluster()
    started = cluster.start()
    out.print(f"{'started' if started else 'already running'}: {cluster.url()}  (data in {cluster.base})")


@local_app.command("stop")
def local_stop() -> None:
    """Stop the local cluster (its data stays)."""
    cluster = localdb.LocalCluster()
    out.print("stopped" if cluster.stop() else "not running")


@local_app.command("status")
def local_status() -> None:
    """Say whether the local cluster exists and runs. Exit 1 when it is not running."""
    cluster = localdb.LocalCluster()
    if not cluster.initialized():
        out.print(f"no local cluster yet (would live in {cluster.base}); start it with `python deploy.py local start`")
        raise typer.Exit(1)
    running = cluster.running()
    out.print(f"{'running' if running else 'stopped'}: {cluster.url()}  (data in {cluster.base})")
    if not running:
        raise typer.Exit(1)


@local_app.command("reset")
def local_reset(
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove the local cluster and its data, then make it again (as a hosted project is shaped) and start it."""
    cluster = localdb.LocalCluster()
    if cluster.initialized() and not yes:
        typer.confirm(f"remove the local database in {cluster.base} with all its data?", abort=True)
    cluster.destroy()
    cluster = localdb.LocalCluster()
    cluster.start()
    out.print(f"made again and started: {cluster.url()}  (data in {cluster.base})")


@local_app.command("url")
def local_url() -> None:
    """Print the local cluster's URL (for psql, --db-url or the Supabase CLI)."""
    out.print(localdb.LocalCluster().url(), soft_wrap=True)


def main() -> None:
    started = time.monotonic()
    try:
        # In non-standalone mode click returns the code of a typer.Exit instead of raising it.
        code = app(standalone_mode=False)
    except SupalertError as exc:
        if state["debug"]:
            raise
        err.print(f"error: {exc}", markup=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except psycopg.Error as exc:
        if state["debug"]:
            raise
        err.print(f"error: database: {str(exc).strip().splitlines()[0]}", markup=False, soft_wrap=True)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        err.print(f"interrupted after {time.monotonic() - started:.1f} s")
        sys.exit(130)
    except Exception as exc:  # usage errors (typer's own copy of click) arrive here in non-standalone mode
        if isinstance(exc, TyperException) and hasattr(exc, "show"):
            exc.show()
            sys.exit(getattr(exc, "exit_code", 2))
        if state["debug"]:
            raise
        err.print(
            f"error: unexpected {type(exc).__name__}: {exc} (run again with --debug for the traceback)", markup=False
        )
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)
