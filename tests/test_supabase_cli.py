"""The real Supabase CLI and supalert agree on the migration history, in both directions."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from supalert.migrations import discover
from supalert.paths import migrations_dir, tools_bin
from tests.conftest import ROOT
from tests.test_migrate import checksums, history

FILES = discover(migrations_dir())
SUPABASE = tools_bin() / "supabase"

pytestmark = pytest.mark.skipif(not SUPABASE.exists(), reason="Supabase CLI missing: run `make setup`")


def supabase(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "SUPABASE_TELEMETRY_DISABLED": "1", "DO_NOT_TRACK": "1"}
    return subprocess.run(
        [str(SUPABASE), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=timeout,
        input="y\n",
    )


def listed_versions(output: str) -> list[tuple[str, str]]:
    """(local, remote) pairs from `supabase migration list`."""
    rows = []
    for line in output.splitlines():
        cells = [c.strip().strip("`") for c in line.split("|")]
        if len(cells) >= 3 and (re.fullmatch(r"\d{14}", cells[0]) or re.fullmatch(r"\d{14}", cells[1])):
            rows.append((cells[0], cells[1]))
    return rows


def test_migration_list_reads_supalert_history_as_every_file_applied(db):
    done = supabase("migration", "list", "--db-url", db)
    assert done.returncode == 0, done.stderr
    assert listed_versions(done.stdout) == [(f.version, f.version) for f in FILES]


def test_supabase_db_push_then_supalert_migrate_is_a_no_op(bare_db, cli):
    pushed = supabase("db", "push", "--db-url", bare_db, "--yes")
    assert pushed.returncode == 0, pushed.stderr + pushed.stdout
    cli_history = history(bare_db)
    # The CLI wrote the history; supalert's split of each file must equal what the CLI stored.
    assert [s for _, _, s in cli_history] == [[st.text for st in f.statements] for f in FILES]
    done = cli("migrate", "--db-url", bare_db)
    assert done.returncode == 0, done.stderr
    assert "nothing to do" in done.stdout
    assert history(bare_db) == cli_history
    # Files the CLI applied are adopted: their checksums are recorded, so a later edit is caught.
    assert checksums(bare_db) == {f.version: f.sha256 for f in FILES}


def test_supalert_migrate_then_supabase_db_push_finds_nothing_to_push(bare_db, cli):
    done = cli("migrate", "--db-url", bare_db)
    assert done.returncode == 0, done.stderr
    pushed = supabase("db", "push", "--db-url", bare_db, "--yes")
    assert pushed.returncode == 0, pushed.stderr + pushed.stdout
    assert "up to date" in (pushed.stdout + pushed.stderr).lower()
    assert len(history(bare_db)) == len(FILES)
