"""The test cluster: one Postgres 15 for the whole run, shaped like Supabase, with template databases to clone.

Databases, in the order they are made:
- supalert_base: Supabase's shape (roles, auth.* helpers, default privileges) plus pg_cron, plpgsql_check and
  pgtap, and no supalert migration. pg_cron can only be created in cron.database_name, so the cluster first runs
  with cron.database_name = supalert_base, then restarts pointing it at supalert_cron.
- supalert_cron: base + every migration, pg_cron's database (cron.database_name), never dropped while the server
  lives, so the launcher runs its jobs (tests that need real job runs use it).
- supalert_template: base + every migration; each test gets a clone (pytest-postgresql's DatabaseJanitor).
  Jobs scheduled in a clone are rows only: the launcher reads cron.job in supalert_cron alone.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from pytest_postgresql.janitor import DatabaseJanitor

from supalert import migrations
from supalert.localdb import LocalCluster, supabase_shape_sql
from supalert.paths import migrations_dir

BASE_DB = "supalert_base"
TEMPLATE_DB = "supalert_template"
CRON_DB = "supalert_cron"
PASSWORD_USER = "supalert_pw_user"
PASSWORD = "right-horse-battery"

FAST_SETTINGS = {
    # A disposable cluster: durability buys nothing here, speed does.
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "cron.max_running_jobs": "5",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class TestCluster:
    cluster: LocalCluster
    # UTC midnight of the day the template was migrated: its partitions run from that day, which is not today in a
    # run that crosses midnight.
    migrated_on: datetime | None = None

    @property
    def port(self) -> int:
        return self.cluster.port

    def url(self, dbname: str, user: str = "postgres", password: str | None = None) -> str:
        auth = f"{user}:{password}" if password else user
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{dbname}?sslmode=disable"

    def admin(self) -> psycopg.Connection:
        return psycopg.connect(self.url("postgres"), autocommit=True)

    def janitor(self, dbname: str, template: str | None) -> DatabaseJanitor:
        return DatabaseJanitor(
            user="postgres", host="127.0.0.1", port=self.port, dbname=dbname, template_dbname=template
        )

    @contextlib.contextmanager
    def clone(self, template: str = TEMPLATE_DB, prefix: str = "t") -> Iterator[str]:
        """A new database copied from `template`, dropped afterwards. Yields its name."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        janitor = self.janitor(name, template)
        janitor.init()
        try:
            yield name
        finally:
            janitor.drop()


def start_test_cluster(settings: dict[str, str] | None = None) -> TestCluster:
    """Start and build the cluster; `settings` replace FAST_SETTINGS' values (the benchmarks ask for durability)."""
    base = Path(tempfile.mkdtemp(prefix="supalert-test-", dir="/tmp"))
    os.chmod(base, 0o755)
    cluster = LocalCluster(
        base=base / "pg",
        port=free_port(),
        cron_database=BASE_DB,
        settings={**FAST_SETTINGS, **(settings or {})},
        hba_lines=[f"host all {PASSWORD_USER} 127.0.0.1/32 scram-sha-256"],
        shape_database=None,
    )
    cluster.start()
    tc = TestCluster(cluster)
    try:
        _build_databases(tc)
    except BaseException:
        cluster.destroy()
        raise
    return tc


def _build_databases(tc: TestCluster) -> None:
    with tc.admin() as conn:
        conn.execute(f"create database {BASE_DB}")
        conn.execute(f"create role {PASSWORD_USER} login password '{PASSWORD}'")
    with psycopg.connect(tc.url(BASE_DB), autocommit=True) as conn:
        conn.execute(supabase_shape_sql())
        conn.execute("create extension if not exists pg_cron with schema pg_catalog")
        conn.execute("create extension if not exists plpgsql_check with schema extensions")
        conn.execute("create extension if not exists pgtap with schema extensions")
    # Point pg_cron at a database made only after the restart, so that base and template stay clonable (the
    # launcher keeps a connection to its database, and CREATE DATABASE ... TEMPLATE needs none).
    tc.cluster.cron_database = CRON_DB
    tc.cluster.restart()
    tc.janitor(CRON_DB, BASE_DB).init()  # exists before any migration schedules a job (pg_cron checks)
    tc.janitor(TEMPLATE_DB, BASE_DB).init()
    for dbname in (TEMPLATE_DB, CRON_DB):
        with psycopg.connect(tc.url(dbname), autocommit=True) as conn:
            migrations.migrate(conn, migrations_dir(), report=lambda _line: None)
        if dbname == TEMPLATE_DB:
            tc.migrated_on = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    # pg_cron 1.4's launcher can miss the jobs committed while it was loading its job list (an invalidation that
    # arrives mid-load is overwritten), and here it starts while the migrations run: restart it with every job in.
    tc.cluster.restart()


def set_claims(conn: psycopg.Connection, role: str, claims: dict | None) -> None:
    """Inside the current transaction, act as `role` with JWT `claims` (as PostgREST does for a request)."""
    conn.execute("select set_config('role', %s, true)", (role,))
    conn.execute("select set_config('request.jwt.claims', %s, true)", (json.dumps(claims or {}),))


def claims_for(kind: str, user_id: str | None = None) -> tuple[str, dict]:
    """(role, claims) for anon, a signed-in user, an admin, or service_role."""
    uid = user_id or str(uuid.uuid4())
    if kind == "anon":
        return "anon", {"role": "anon"}
    if kind == "user":
        return "authenticated", {"role": "authenticated", "sub": uid, "app_metadata": {"role": "member"}}
    if kind == "admin":
        return "authenticated", {"role": "authenticated", "sub": uid, "app_metadata": {"role": "admin"}}
    if kind == "service_role":
        return "service_role", {"role": "service_role"}
    raise ValueError(kind)
