"""Migrate's one-time conversion of an unpartitioned error_logs (as the first release left it) into day partitions:
how long it takes, the copy rate, and how long a client inserting meanwhile waited (the table is locked for the
whole copy). The figure behind supalert.convert_max_rows' default (docs/partitioning.md); it has no target. The last
step of `make bench`, or on its own: `python -m bench.convert_rate --rows N`."""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import psycopg

from bench.common import DURABLE
from bench.retention_drop import Inserter
from tests.support.harness import BASE_DB, as_superuser, start_test_cluster
from tests.support.migrate_helpers import FIRST_RELEASE, migrate_through, migrate_to_head
from tests.support.telemetry_data import IN_HISTORY, INSERTS

PARTITION_BY_DAY = Path(__file__).resolve().parent.parent / "sql" / "housekeeping" / "partition_by_day.sql"


def convert_max_rows_default() -> int:
    """supalert.convert_max_rows' default, read from the function that applies it."""
    found = re.search(r"'supalert\.convert_max_rows', true\), ''\),\s*'(\d+)'\)", PARTITION_BY_DAY.read_text())
    if found is None:
        raise RuntimeError(f"no supalert.convert_max_rows default found in {PARTITION_BY_DAY}")
    return int(found.group(1))


def convert(url: str, rows: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        migrate_through(conn, FIRST_RELEASE)
        print(f"loading {rows:,} rows into an unpartitioned error_logs (the first release's shape) ...", flush=True)
        now = conn.execute("select date_trunc('minute', now())").fetchone()[0]
        conn.execute(INSERTS["public.error_logs"].format(at=IN_HISTORY), {"n": rows, "now": now})
        conn.execute("vacuum (analyze) public.error_logs")
        with psycopg.connect(as_superuser(url), autocommit=True) as superuser:
            superuser.execute("checkpoint")  # CHECKPOINT needs a superuser (or pg_checkpoint), as on Supabase
        size = conn.execute("select pg_total_relation_size('public.error_logs')").fetchone()[0]
    inserter = Inserter(url, "public.error_logs")
    inserter.start()
    time.sleep(1)
    mark = len(inserter.latencies_ms)
    print("migrating to head (converts the four telemetry tables; the other three are empty) ...", flush=True)
    with psycopg.connect(url, autocommit=True, options=f"-c supalert.convert_max_rows={rows + 1_000_000}") as conn:
        started = time.perf_counter()
        migrate_to_head(conn)
        seconds = time.perf_counter() - started
        kept = conn.execute(
            "select count(*) from public.error_logs where message <> %s", (Inserter.MESSAGE,)
        ).fetchone()
        partitioned = conn.execute("select relkind from pg_class where oid = 'public.error_logs'::regclass").fetchone()
    time.sleep(0.5)
    inserter.stop.set()
    inserter.join()
    if inserter.error is not None:
        raise RuntimeError(f"the inserting client failed during the conversion: {inserter.error}")
    if kept != (rows,) or partitioned != ("p",):
        raise RuntimeError(f"the conversion lost rows or did not partition: {kept[0]:,} of {rows:,}, {partitioned}")
    waited = max(inserter.latencies_ms[mark:] or [0.0])
    rate = rows / seconds
    print(f"\nconverted {rows:,} rows ({size / 2**20:.0f} MB with indexes) in {seconds:.1f} s: {rate:,.0f} rows/s")
    print(f"longest insert into error_logs meanwhile: {waited / 1000:.1f} s (it waits for the whole conversion)")
    limit = convert_max_rows_default()
    print(f"at this rate the default limit, supalert.convert_max_rows = {limit:,}, locks the table for about "
          f"{limit / rate:.0f} s")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in error_logs before the conversion")
    args = parser.parse_args()
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    tc = start_test_cluster(DURABLE)
    try:
        with tc.clone(BASE_DB, prefix="convert") as name:
            convert(tc.url(name), args.rows)
    finally:
        tc.cluster.destroy()


if __name__ == "__main__":
    main()
