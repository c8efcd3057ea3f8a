"""The migration runner: applies supabase/migrations/*.sql in order, one transaction per file, with its history row
written exactly as the Supabase CLI writes it, under a session advisory lock, with a checksum per applied file."""

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
# One key for every supalert deploy, so two runs against one database never interleave.
LOCK_KEY = int.from_bytes(hashlib.sha256(b"supalert:migrate").digest()[:8], "big", signed=True)

# The Supabase CLI's own DDL for its history table (pkg/migration/history.go), so both tools share it.
HISTORY_DDL = (
    "create schema if not exists supabase_migrations",
    "create table if not exists supabase_migrations.schema_migrations (version text not null primary key)",
    "alter table supabase_migrations.schema_migrations add column if not exists statements text[]",
    "alter table supabase_migrations.schema_migrations add column if not exists name text",
)
# supalert's side table: the CLI never reads it, so it cannot trip on it.
CHECKSUM_DDL = (
    "create table if not exists supabase_migrations.supalert_checksums ("
    " version text primary key, sha256 text not null, applied_at timestamptz not null default now(),"
    " applied_by text not null default current_user)",
    "comment on table supabase_migrations.supalert_checksums is "
    "'sha256 of each migration file as applied, kept by supalert (deploy.py migrate) to detect edited files'",
)

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
    applied: dict[str, list[str] | None]  # version -> statements as stored
    checksums: dict[str, str]
    pending: list[MigrationFile] = field(default_factory=list)
    changed: list[MigrationFile] = field(default_factory=list)
    adoptable: list[MigrationFile] = field(default_factory=list)  # applied by another tool, content identical
    unknown_remote: list[str] = field(default_factory=list)


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


def read_history(conn: psycopg.Connection) -> tuple[dict[str, list[str] | None], dict[str, str]]:
    applied: dict[str, list[str] | None] = {}
    checksums: dict[str, str] = {}
    if _relation_exists(conn, "supabase_migrations.schema_migrations"):
        has_statements = conn.execute(
            "select exists (select from information_schema.columns where table_schema = 'supabase_migrations'"
            " and table_name = 'schema_migrations' and column_name = 'statements')"
        ).fetchone()[0]
        query = "select version, {} from supabase_migrations.schema_migrations order by version".format(
            "statements" if has_statements else "null::text[]"
        )
        applied = dict(conn.execute(query).fetchall())
    if _relation_exists(conn, "supabase_migrations.supalert_checksums"):
        checksums = dict(conn.execute("select version, sha256 from supabase_migrations.supalert_checksums"))
    return applied, checksums


def make_plan(files: list[MigrationFile], conn: psycopg.Connection) -> Plan:
    applied, checksums = read_history(conn)
    plan = Plan(files, applied, checksums)
    local_versions = {f.version for f in files}
    plan.unknown_remote = sorted(v for v in applied if v not in local_versions)
    for item in files:
        if item.version not in applied:
            plan.pending.append(item)
        elif item.version in checksums:
            if checksums[item.version] != item.sha256:
                plan.changed.append(item)
        elif applied[item.version] == [s.text for s in item.statements]:
            plan.adoptable.append(item)
        else:
            plan.changed.append(item)
    return plan


def _ensure_tables(conn: psycopg.Connection) -> None:
    with conn.transaction():
        conn.execute("set local lock_timeout = '4s'")
        for ddl in (*HISTORY_DDL, *CHECKSUM_DDL):
            conn.execute(ddl)


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
    """Run every statement of `item` and write its history and checksum rows, all in one transaction."""
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
                # A hint given by a plpgsql RAISE (supalert's own checks) is the way out; editing the file is not.
                raised_on_purpose = diag.source_function == "exec_stmt_raise" and diag.message_hint
                notes = (("detail", diag.message_detail), ("hint", None if raised_on_purpose else diag.message_hint))
                detail = "".join(f"; {label}: {value}" for label, value in notes if value)
                raise MigrationError(
                    f"{item.path.name} line {_error_line(statement, exc)}: {diag.message_primary or exc}{detail}"
                    f" [SQLSTATE {diag.sqlstate}]; the file was rolled back and the history is unchanged",
                    diag.message_hint if raised_on_purpose else f"fix {item.path} and run migrate again",
                ) from None
        conn.execute(
            "insert into supabase_migrations.schema_migrations (version, name, statements) values (%s, %s, %s)",
            (item.version, item.name, [s.text for s in item.statements]),
        )
        conn.execute(
            "insert into supabase_migrations.supalert_checksums (version, sha256) values (%s, %s)",
            (item.version, item.sha256),
        )


def _record_checksums(conn: psycopg.Connection, items: list[MigrationFile]) -> None:
    with conn.transaction():
        for item in items:
            conn.execute(
                "insert into supabase_migrations.supalert_checksums (version, sha256) values (%s, %s)"
                " on conflict (version) do update set sha256 = excluded.sha256, applied_at = now()",
                (item.version, item.sha256),
            )


def migrate(
    conn: psycopg.Connection,
    folder: Path,
    *,
    dry_run: bool = False,
    allow_changed: bool = False,
    lock_timeout: str = "10s",
    report: Report = print,
) -> MigrateResult:
    """Apply pending migrations on an autocommit connection. Raises SupalertError on changed files or failures."""
    started = time.monotonic()
    files = discover(folder)
    if dry_run:
        plan = make_plan(files, conn)
        _check_changed(plan, allow_changed, report)
        return MigrateResult([], plan, time.monotonic() - started)
    _acquire_lock(conn, report)
    try:
        _ensure_tables(conn)
        plan = make_plan(files, conn)  # read under the lock: a run that waited sees the other's work
        _check_changed(plan, allow_changed, report)
        if plan.adoptable:
            _record_checksums(conn, plan.adoptable)
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


def _check_changed(plan: Plan, allow_changed: bool, report: Report) -> None:
    if plan.unknown_remote:
        report(
            f"note: {len(plan.unknown_remote)} version(s) in the database's history have no file here "
            f"(applied by another project or tool), left alone: {', '.join(plan.unknown_remote[:5])}"
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
