"""Every lint of the project, run by the test command: ruff, sqlfluff, squawk, plpgsql_check, and the Supabase
CLI's `db lint` (plpgsql_check) and `db advisors` (splinter security lints) against a migrated database."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from supalert.paths import PROJECT_ROOT as ROOT
from supalert.paths import tools_bin
from tests.support.supabase_cli import supabase

VENV_BIN = Path(sys.executable).parent
SQL_PATHS = ["sql", "supabase/migrations"]


def run(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(list(argv), capture_output=True, text=True, cwd=ROOT, timeout=300)


def test_ruff_check():
    done = run(str(VENV_BIN / "ruff"), "check", ".")
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_format():
    done = run(str(VENV_BIN / "ruff"), "format", "--check", ".")
    assert done.returncode == 0, done.stdout + done.stderr


def test_sqlfluff():
    done = run(str(VENV_BIN / "sqlfluff"), "lint", *SQL_PATHS)
    assert done.returncode == 0, done.stdout + done.stderr


def test_squawk_on_migrations():
    migrations = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "supabase" / "migrations").glob("*.sql"))
    done = run(str(VENV_BIN / "squawk"), "--reporter", "gcc", *migrations)
    assert done.returncode == 0, done.stdout + done.stderr


PLPGSQL_FUNCTIONS = """
    select p.oid, p.oid::regprocedure::text, p.prorettype = 'trigger'::regtype
      from pg_proc p
      join pg_namespace n on n.oid = p.pronamespace
      join pg_language l on l.oid = p.prolang
     where n.nspname in ('public', 'monitoring') and l.lanname = 'plpgsql'
"""


def plpgsql_check_findings(conn: psycopg.Connection) -> dict[str, list[str]]:
    findings: dict[str, list[str]] = {}
    for oid, signature, is_trigger in conn.execute(PLPGSQL_FUNCTIONS).fetchall():
        relids = [None]
        if is_trigger:
            relids = [r[0] for r in conn.execute("select tgrelid from pg_trigger where tgfoid = %s", (oid,))]
        for relid in relids:
            rows = conn.execute(
                "select level, message"
                " from extensions.plpgsql_check_function_tb(%s::regprocedure, coalesce(%s, 0)::regclass)",
                (oid, relid),
            ).fetchall()
            errors = [f"{level}: {message}" for level, message in rows if level == "error"]
            if errors:
                findings[signature] = errors
    return findings


def test_plpgsql_check_every_function(conn):
    count = conn.execute(f"select count(*) from ({PLPGSQL_FUNCTIONS}) f").fetchone()[0]
    assert count > 0
    assert plpgsql_check_findings(conn) == {}


def test_plpgsql_check_catches_a_broken_function(conn):
    conn.execute(
        "create function monitoring.broken() returns bigint language plpgsql set search_path = '' as"
        " $$ begin return (select nope from public.system_alerts); end $$"
    )
    assert "monitoring.broken()" in plpgsql_check_findings(conn)


needs_cli = pytest.mark.skipif(not (tools_bin() / "supabase").exists(), reason="Supabase CLI missing: make setup")


@needs_cli
def test_supabase_db_lint_finds_no_errors(db):
    done = supabase("db", "lint", "--db-url", db, "--schema", "public,monitoring", "--fail-on", "error")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No schema errors found" in done.stdout + done.stderr


def advisor_findings(db: str) -> list[dict]:
    done = supabase("db", "advisors", "--db-url", db, "--type", "all", "--level", "info", "-o", "json")
    assert done.returncode == 0, done.stderr
    text = done.stdout.strip()
    start = text.find("[")
    return json.loads(text[start:]) if start >= 0 else []


@needs_cli
def test_supabase_security_advisors_report_nothing_at_warn_or_error(db):
    serious = [f for f in advisor_findings(db) if str(f.get("level", "")).upper() in ("WARN", "ERROR")]
    assert serious == []


@needs_cli
def test_supabase_advisors_catch_a_public_table_without_rls(db):
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("create table public.leaky (id bigint primary key, secret text)")
    names = {f.get("name") for f in advisor_findings(db)}
    assert "rls_disabled_in_public" in names
