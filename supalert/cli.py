"""`python deploy.py ...` / `supalert ...`: parse arguments, call the package, print results.

Every failure the user can act on is a SupalertError: printed to stderr as one line, exit code non-zero, no
traceback unless --debug.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Annotated

import psycopg
import typer
from rich.console import Console
from rich.table import Table

from supalert import localdb, migrations, sqlsource, status
from supalert.dburl import DbTarget, check_not_transaction_pooler, connect, redact, target_from
from supalert.errors import SupalertError
from supalert.paths import migrations_dir, project_root

app = typer.Typer(
    help="supalert: production alerting inside your Supabase project's Postgres.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
local_app = typer.Typer(
    help="The embedded local Postgres (pg_cron preloaded) used when no database URL is given.",
    no_args_is_help=True,
)
app.add_typer(local_app, name="local")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
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


def _say(message: str) -> None:
    err.print(message, markup=False)


def resolve_target(db_url: str | None) -> DbTarget:
    """The database to use; with no URL anywhere, the local cluster, started when needed (said in one line)."""
    target = target_from(db_url)
    if target is not None:
        check_not_transaction_pooler(target.url)
        return target
    cluster = localdb.LocalCluster()
    started = cluster.start()
    url = cluster.url()
    _say(
        f"no --db-url, SUPABASE_DB_URL or DATABASE_URL: using the embedded local database {redact(url)}"
        + (" (started it)" if started else " (already running)")
    )
    return DbTarget(url, "local")


@app.command()
def migrate(
    db_url: DbUrlOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would run; change nothing.")] = False,
    allow_changed: Annotated[
        bool,
        typer.Option("--allow-changed", help="Accept applied migrations whose file changed, without re-running."),
    ] = False,
    lock_timeout: Annotated[
        str, typer.Option(help="Longest wait for a table lock inside a migration before it fails.")
    ] = "10s",
) -> None:
    """Apply pending supabase/migrations files, each in its own transaction, as the Supabase CLI records them."""
    folder = migrations_dir()
    migrations.discover(folder)  # a badly named file is reported before any connection is made
    target = resolve_target(db_url)
    with connect(target.url) as conn:
        result = migrations.migrate(
            conn, folder, dry_run=dry_run, allow_changed=allow_changed, lock_timeout=lock_timeout, report=_say
        )
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


@app.command("status")
def status_command(
    db_url: DbUrlOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Report the database, its migrations and pg_cron jobs. Exit 1 when migrations are pending or changed."""
    target = resolve_target(db_url)
    with connect(target.url) as conn:
        report = status.gather(conn, migrations_dir())
    report["url"] = target.display
    if as_json:
        out.print_json(json.dumps(report))
    else:
        _print_status(report)
    if not status.healthy(report):
        raise typer.Exit(1)


def _print_status(report: dict) -> None:
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
    out.print(table)


@app.command("new-migration")
def new_migration(
    name: Annotated[str, typer.Argument(help="Short name, e.g. add_disk_rule (letters, digits, _ and -).")],
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 when sql/ differs from the migrations.")
    ] = False,
) -> None:
    """Write supabase/migrations/<timestamp>_NAME.sql holding every sql/ file that changed since the last one."""
    root, folder = project_root(), migrations_dir()
    if check:
        changed, removed = sqlsource.changed_sources(root, folder)
        for item in changed:
            out.print(f"differs from the migrations: {item.relpath}")
        for relpath in removed:
            out.print(f"in the migrations but not in sql/: {relpath}")
        if changed or removed:
            raise typer.Exit(1)
        out.print("sql/ matches the migrations")
        return
    path, changed, removed = sqlsource.write_migration(root, folder, name)
    out.print(
        f"wrote {path.relative_to(root)}: {len(changed)} sql/ file(s) copied"
        + (f", {len(removed)} removed (drop by hand)" if removed else "")
    )
    for item in changed:
        out.print(f"  {item.relpath}")


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
    except Exception as exc:  # click usage errors arrive here in non-standalone mode
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
    sys.exit(code if isinstance(code, int) else 0)
