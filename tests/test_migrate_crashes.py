"""The migration runner under crashes and crowds: killed in the middle of a file, and ten runs at once."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import psycopg

from supalert.migrations import discover
from supalert.paths import PROJECT_ROOT as ROOT
from supalert.paths import migrations_dir
from tests.support.history import history

FILES = discover(migrations_dir())


def test_migrate_killed_in_the_middle_of_a_file_leaves_the_database_as_before_and_a_rerun_completes(bare_db, tmp_path):
    folder = tmp_path / "migrations"
    shutil.copytree(migrations_dir(), folder)
    (folder / "29990101000000_slow.sql").write_text(
        "create table public.half_done (id int);\nselect pg_sleep(30);\ncreate table public.never (id int);\n"
    )
    env = {"SUPALERT_MIGRATIONS_DIR": str(folder)}
    cmd = [sys.executable, str(ROOT / "deploy.py"), "migrate", "--db-url", bare_db]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **env})
    with psycopg.connect(bare_db, autocommit=True) as watcher:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            sleeping = watcher.execute(
                "select count(*) from pg_stat_activity where query like 'select pg_sleep(30)%'"
            ).fetchone()[0]
            if sleeping:
                break
            time.sleep(0.05)
        assert sleeping, "the slow statement never started"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        # The runner asks the server to check its client every second: the dead client's file is rolled back
        # without anyone terminating the backend.
        deadline = time.monotonic() + 15
        while (
            time.monotonic() < deadline
            and watcher.execute(
                "select count(*) from pg_stat_activity where query like 'select pg_sleep(30)%'"
            ).fetchone()[0]
        ):
            time.sleep(0.1)
        assert time.monotonic() < deadline, "the server kept running the dead client's statement"
        assert watcher.execute("select to_regclass('public.half_done') is null").fetchone()[0]
    assert [v for v, _, _ in history(bare_db)] == [f.version for f in FILES]  # every good file, not the slow one
    (folder / "29990101000000_slow.sql").write_text("create table public.half_done (id int);\n")
    rerun = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **env}, timeout=60)
    assert rerun.returncode == 0, rerun.stderr
    assert history(bare_db)[-1][0] == "29990101000000"


def test_ten_concurrent_migrate_runs_apply_each_file_exactly_once(bare_db):
    cmd = [sys.executable, str(ROOT / "deploy.py"), "migrate", "--db-url", bare_db]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(10)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 10, outputs
    assert sum(err.count(".sql (") for _, err in outputs) == len(FILES)
    assert [v for v, _, _ in history(bare_db)] == [f.version for f in FILES]
    assert [sha for _, _, sha in history(bare_db)] == [f.sha256 for f in FILES]
