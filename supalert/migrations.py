"""The migration runner: applies supabase/migrations/*.sql in order, one transaction per file, under a session
advisory lock, with the sha256 of every applied file.

supalert is installed into a database that belongs to an app with its own `supabase/migrations`, so its history
lives in a table of its own, `supalert_migrations.history` (as graphile-worker's and River's do); the Supabase CLI's
`supabase_migrations.schema_migrations` belongs to the app's `supabase db push`, and supalert never writes it. An
install made by the first releases, which kept supalert's rows there, is moved out by the next `migrate`.
Migrations exported into the app's folder (export.py) write the same history when the CLI applies them.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import psycopg

from supalert.errors import SupalertError
from supalert.sqlsplit import Statement, split_statements

FILE_PATTERN = re.compile(r"^(?P<version>\d{14})_(?P<name>[A-Za-z0-9][A-Za-z0-9_-]*)\.sql$")
# One key for every supalert deploy, so two runs against one database never interleave. Exported migrations take
# the same key for their transaction, so `supabase db push` and `deploy.py migrate` never interleave either.
LOCK_KEY = int.from_bytes(hashlib.sha256(b"supalert:migrate").digest()[:8], "big", signed=True)

HISTORY = "supalert_migrations.history"
# supalert's own history. Run by `migrate` and at the top of every exported migration: idempotent.
HISTORY_DDL = (
    "create schema if not exists supalert_migrations",
    "revoke all on schema supalert_migrations from public",
    "create table if not exists supalert_migrations.history ("
    " version text primary key, name text not null, sha256 text not null,"
    " applied_at timestamptz not null default now(), applied_by text not null default current_user,"
    " applied_via text not null default 'deploy.py migrate')",
    "comment on table supalert_migrations.history is "
    "'supalert''s migrations applied here (deploy.py migrate, or supabase db push of exported files), with the "
    "sha256 of each file as applied. The Supabase CLI''s own history is supabase_migrations.schema_migrations.'",
)
# Where the first releases kept supalert's rows: the CLI's table, and a checksum side table next to it.
CLI_HISTORY = "supabase_migrations.schema_migrations"
LEGACY_CHECKSUMS = "supabase_migrations.supalert_checksums"

Report = Callable[[str], None]


@dataclass(frozen=True)
class MigrationFile:
    path: Path
    version: str
    name: str
    text: str

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    @cached_property
    def statements(self) -> list[Statement]:
        return split_statements(self.text)


@dataclass
class Plan:
    files: list[MigrationFile]
    applied: dict[str, str]  # version -> sha256, from supalert's history (after any move of the legacy rows)
    pending: list[MigrationFile] = field(default_factory=list)
    changed: list[MigrationFile] = field(default_factory=list)
    # In the CLI's history with exactly the file's statements (`supabase db push` of supalert's own folder):
    # recorded in supalert's history, the CLI's row left to the CLI.
    adoptable: list[MigrationFile] = field(default_factory=list)
    # Rows the first releases wrote into the CLI's history, to move into supalert's.
    legacy: list[MigrationFile] = field(default_factory=list)
    unknown_remote: list[str] = field(default_factory=list)  # in supalert's history, no file here (a newer release)


@dataclass
class MigrateResult:
    applied: list[MigrationFile]
    plan: Plan
    seconds: float


class MigrationError(SupalertError):
    """A statement failed; the file was rolled back."""


def discover(folder: Path) -> list[MigrationFile]:
    """Every migration file in name order; any other .sql file or a repeated version is an error."""
    if not folder.is_dir():
        raise SupalertError(f"migrations folder {folder} does not exist", "run from the project root")
    files: list[MigrationFile] = []
    bad: list[str] = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.is_dir():
            continue
        match = FILE_PATTERN.match(path.name)
        if not match:
            bad.append(path.name)
            continue
        files.append(MigrationFile(path, match["version"], match["name"], path.read_text(encoding="utf-8")))
    if bad:
        raise SupalertError(
            f"badly named file(s) in {folder}: {', '.join(bad)}",
            "name migrations <YYYYMMDDHHMMSS>_<name>.sql (UTC timestamp, name of letters, digits, _ or -); "
            "create one with `python deploy.py new-migration NAME`",
        )
    seen: dict[str, str] = {}
    for item in files:
        if item.version in seen:
            raise SupalertError(
                f"migrations {seen[item.version]} and {item.path.name} share version {item.version}",
                "give one of them a later timestamp",
            )
        seen[item.version] = item.path.name
    return files


def _relation_exists(conn: psycopg.Connection, name: str) -> bool:
    return conn.execute("select to_regclass(%s) is not null", (name,)).fetchone()[0]


def _cli_history(conn: psycopg.Connection) -> dict[str, list[str] | None]:
    """version -> statements of the Supabase CLI's history (statements None where the CLI is old)."""
    if not _relation_exists(conn, CLI_HISTORY):
        return {}
    has_statements = conn.execute(
        "select exists (select from information_schema.columns where table_schema = 'supabase_migrations'"
        " and table_name = 'schema_migrations' and column_name = 'statements')"
    ).fetchone()[0]
    query = f"select version, {'statements' if has_statements else 'null::text[]'} from {CLI_HISTORY}"
    return dict(conn.execute(query).fetchall())


def read_history(conn: psycopg.Connection) -> dict[str, str]:
    """version -> sha256 of supalert's own history (empty before the first migrate)."""
    if not _relation_exists(conn, HISTORY):
        return {}
    return dict(conn.execute(f"select version, sha256 from {HISTORY}").fetchall())


def _legacy_checksums(conn: psycopg.Connection) -> dict[str, str]:
    if not _relation_exists(conn, LEGACY_CHECKSUMS):
        return {}
    return dict(conn.execute(f"select version, sha256 from {LEGACY_CHECKSUMS}").fetchall())


def make_plan(files: list[MigrationFile], conn: psycopg.Connection) -> Plan:
    """What `migrate` would do. Reads only: the legacy rows it would move count as applied with their checksums."""
    applied = read_history(conn)
    cli = _cli_history(conn)
    legacy_sums = _legacy_checksums(conn)
    plan = Plan(files, dict(applied))
    for item in files:
        if item.version in applied:
            continue
        if item.version in legacy_sums and item.version in cli:
            plan.legacy.append(item)
            plan.applied[item.version] = legacy_sums[item.version]
        elif item.version in cli and cli[item.version] == [s.text for s in item.statements]:
            plan.adoptable.append(item)
            plan.applied[item.version] = item.sha256
    local_versions = {f.version for f in files}
    plan.unknown_remote = sorted(v for v in plan.applied if v not in local_versions)
    for item in files:
        if item.version not in plan.applied:
            plan.pending.append(item)
        elif plan.applied[item.version] != item.sha256:
            plan.changed.append(item)
    return plan


def _ensure_history(conn: psycopg.Connection) -> None:
    with conn.transaction():
        conn.execute("set local lock_timeout = '4s'")
        for ddl in HISTORY_DDL:
            conn.execute(ddl)


def _move_legacy_history(conn: psycopg.Connection, plan: Plan, report: Report) -> None:
    """Move the rows the first releases wrote into the CLI's history (and their checksums) into supalert's own
    history, in one transaction; every other tool's rows stay where they are."""
    if not plan.legacy:
        return
    versions = [item.version for item in plan.legacy]
    with conn.transaction():
        conn.execute(
            f"insert into {HISTORY} (version, name, sha256, applied_at, applied_by, applied_via)"
            f" select c.version, coalesce(m.name, ''), c.sha256, c.applied_at, c.applied_by,"
            f"        'deploy.py migrate (moved from {CLI_HISTORY})'"
            f"   from {LEGACY_CHECKSUMS} as c left join {CLI_HISTORY} as m using (version)"
            "  where c.version = any(%s) on conflict (version) do nothing",
            (versions,),
        )
        conn.execute(f"delete from {CLI_HISTORY} where version = any(%s)", (versions,))
        conn.execute(f"delete from {LEGACY_CHECKSUMS} where version = any(%s)", (versions,))
        # Checksums of versions that are not supalert files here stay for a release that has them.
        if not conn.execute(f"select exists (select from {LEGACY_CHECKSUMS})").fetchone()[0]:
            conn.execute(f"drop table {LEGACY_CHECKSUMS}")
        others = conn.execute(f"select count(*) from {CLI_HISTORY}").fetchone()[0]
    report(
        f"moved supalert's history of {len(versions)} migration(s) out of {CLI_HISTORY} (which belongs to "
        f"`supabase db push`) into {HISTORY}; the {others} row(s) of other tools there are untouched"
    )


def _adopt(conn: psycopg.Connection, items: list[MigrationFile], report: Report) -> None:
    if not items:
        return
    with conn.transaction():
        for item in items:
            conn.execute(
                f"insert into {HISTORY} (version, name, sha256, applied_via) values (%s, %s, %s, %s)"
                " on conflict (version) do nothing",
                (item.version, item.name, item.sha256, f"supabase db push (found in {CLI_HISTORY})"),
            )
    report(f"recorded {len(items)} migration(s) the Supabase CLI applied from supalert's folder in {HISTORY}")


def _acquire_lock(conn: psycopg.Connection, report: Report) -> None:
    if conn.execute("select pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()[0]:
        return
    holder = conn.execute(
        "select pid from pg_locks where locktype = 'advisory' and granted"
        " and ((classid::bigint << 32) | objid::bigint) = %s limit 1",
        (LOCK_KEY,),
    ).fetchone()
    report(f"waiting for another migrate to finish (backend pid {holder[0] if holder else '?'})")
    conn.execute("select pg_advisory_lock(%s)", (LOCK_KEY,))


def _error_line(statement: Statement, exc: psycopg.Error) -> int:
    position = exc.diag.statement_position
    if position and position.isdigit():
        return statement.line + statement.text.count("\n", 0, int(position) - 1)
    return statement.line


def _is_comment_only(text: str) -> bool:
    """True for a piece that holds only comments (the CLI keeps those as statements; Postgres has nothing to run)."""
    without_block = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return not "\n".join(line.split("--", 1)[0] for line in without_block.splitlines()).strip()


def apply_file(conn: psycopg.Connection, item: MigrationFile, lock_timeout: str) -> None:
    """Run every statement of `item` and write its history row, all in one transaction."""
    conn.execute("reset all")  # as the CLI does: no setting of the previous file leaks into this one
    with conn.transaction():
        conn.execute("select set_config('lock_timeout', %s, true)", (lock_timeout,))
        # If this process dies mid-file, the server notices within a second and rolls the file back, instead of
        # finishing a long statement for nobody while holding its locks.
        conn.execute("select set_config('client_connection_check_interval', '1s', true)")
        for statement in item.statements:
            if _is_comment_only(statement.text):
                continue
            try:
                conn.execute(statement.text)
            except psycopg.Error as exc:
                diag = exc.diag
                # A hint given by a plpgsql RAISE (supalert's own checks) is the way out: it names the user's
                # object and the SQL that fixes it. Otherwise the object the error names is the user's to change:
                # a released migration file is never the fix.
                raised_on_purpose = diag.source_function == "exec_stmt_raise" and diag.message_hint
                notes = (("detail", diag.message_detail), ("hint", None if raised_on_purpose else diag.message_hint))
                detail = "".join(f"; {label}: {value}" for label, value in notes if value)
                raise MigrationError(
                    f"{item.path.name} line {_error_line(statement, exc)}: {diag.message_primary or exc}{detail}"
                    f" [SQLSTATE {diag.sqlstate}]; the file was rolled back and the history is unchanged",
                    diag.message_hint
                    if raised_on_purpose
                    else f"change the database object the error names, or fix {item.path} if it is a new migration "
                    "not yet released (released ones are never edited), and run migrate again",
                ) from None
        conn.execute(
            f"insert into {HISTORY} (version, name, sha256) values (%s, %s, %s)",
            (item.version, item.name, item.sha256),
        )


def _record_checksums(conn: psycopg.Connection, items: list[MigrationFile]) -> None:
    with conn.transaction():
        for item in items:
            conn.execute(
                f"update {HISTORY} set sha256 = %s, applied_at = now(),"
                " applied_via = applied_via || ' (changed file accepted by --allow-changed)' where version = %s",
                (item.sha256, item.version),
            )


def _check_changed(plan: Plan, allow_changed: bool, report: Report) -> None:
    if plan.unknown_remote:
        report(
            f"note: {len(plan.unknown_remote)} version(s) in {HISTORY} have no file here "
            f"(applied by a newer supalert), left alone: {', '.join(plan.unknown_remote[:5])}"
            + (" ..." if len(plan.unknown_remote) > 5 else "")
        )
    if not plan.changed:
        return
    names = ", ".join(item.path.name for item in plan.changed)
    if allow_changed:
        report(f"warning: accepting changed applied migration(s) without re-running them: {names}")
        return
    raise SupalertError(
        f"applied migration(s) changed since they ran: {names}",
        "restore the applied content (git log -p -- supabase/migrations) and put the change in a new migration; "
        "or pass --allow-changed to accept the files as they are without re-running them",
    )


def _through(files: list[MigrationFile], until: str) -> list[MigrationFile]:
    if until not in {item.version for item in files}:
        raise SupalertError(
            f"no migration has version {until!r}",
            "give the 14-digit version of a file in supabase/migrations, e.g. "
            + (files[-1].version if files else "20261129191000"),
        )
    return [item for item in files if item.version <= until]


def migrate(
    conn: psycopg.Connection,
    folder: Path | list[MigrationFile],
    *,
    until: str | None = None,
    dry_run: bool = False,
    allow_changed: bool = False,
    lock_timeout: str = "10s",
    report: Report = print,
) -> MigrateResult:
    """Apply pending migrations (of a folder, or the given files) on an autocommit connection, those after `until`
    (a version) left pending, as river's TargetVersion. Raises SupalertError on changed files or failures."""
    started = time.monotonic()
    files = discover(folder) if isinstance(folder, Path) else folder
    if until is not None:
        files = _through(files, until)
    if dry_run:
        plan = make_plan(files, conn)
        _check_changed(plan, allow_changed, report)
        if plan.legacy:
            report(f"would move supalert's history of {len(plan.legacy)} migration(s) out of {CLI_HISTORY}")
        return MigrateResult([], plan, time.monotonic() - started)
    _acquire_lock(conn, report)
    try:
        _ensure_history(conn)
        plan = make_plan(files, conn)  # read under the lock: a run that waited sees the other's work
        _check_changed(plan, allow_changed, report)
        _move_legacy_history(conn, plan, report)
        _adopt(conn, plan.adoptable, report)
        if plan.changed and allow_changed:
            _record_checksums(conn, plan.changed)
        applied: list[MigrationFile] = []
        for item in plan.pending:
            t0 = time.monotonic()
            apply_file(conn, item, lock_timeout)
            applied.append(item)
            report(f"applied {item.path.name} ({len(item.statements)} statements, {time.monotonic() - t0:.2f} s)")
        return MigrateResult(applied, plan, time.monotonic() - started)
    finally:
        if not conn.closed and not conn.broken:
            conn.execute("select pg_advisory_unlock(%s)", (LOCK_KEY,))


def installed_seconds_ago(conn: psycopg.Connection) -> float | None:
    """Seconds since supalert's newest migration was applied here; None before the first."""
    if not _relation_exists(conn, HISTORY):
        return None
    value = conn.execute(f"select extract(epoch from now() - max(applied_at)) from {HISTORY}").fetchone()[0]
    return float(value) if value is not None else None
