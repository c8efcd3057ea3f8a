"""Retention on a 10M-row error_logs: removing one day as the hourly job does (monitoring.maintain_partitions detaches
the expired partition, monitoring.drop_detached_partitions drops it in a second transaction) against DELETE on a
copy shaped as the first release shipped error_logs (key on id, index on the time column), with a client inserting
throughout; its longest insert is the longest it waited on the removal's locks. Also the disk's own time to free
that many bytes (unlinking a plain file of the partition's size, next to the cluster): no DROP can beat it.
Part of bench/scale.py."""

from __future__ import annotations

import argparse
import os
import threading
import time
from datetime import timedelta

import psycopg

from bench.common import DURABLE
from tests.support.harness import TestCluster, as_superuser, start_test_cluster
from tests.support.telemetry_data import IN_HISTORY, INSERTS, make_partitions

TARGET_RATIO, TARGET_WAIT_MS = 100.0, 100.0


class Inserter(threading.Thread):
    """Inserts one row per transaction into `table` until stopped; keeps every insert's latency. Its rows carry
    MESSAGE, so a caller can tell them from the rows it loaded."""

    MESSAGE = "inserted by the benchmark's client"

    def __init__(self, url: str, table: str):
        super().__init__(daemon=True)
        self.url, self.table = url, table
        self.stop = threading.Event()
        self.latencies_ms: list[float] = []
        self.error: Exception | None = None

    def run(self) -> None:
        try:
            with psycopg.connect(self.url, autocommit=True) as conn:
                while not self.stop.is_set():
                    started = time.perf_counter()
                    conn.execute(f"insert into {self.table} (severity, message) values ('info', %s)", (self.MESSAGE,))
                    self.latencies_ms.append((time.perf_counter() - started) * 1000)
        except psycopg.Error as exc:  # reported by the caller: an inserter that stopped measures nothing
            self.error = exc


def timed_with_inserter(url: str, table: str, *statements: tuple[str, tuple]) -> tuple[float, float, float, int]:
    """(seconds the statements took, each in its own transaction; longest insert ms during them; median insert ms
    before them; rows the first one touched)."""
    inserter = Inserter(url, table)
    inserter.start()
    time.sleep(2)  # a baseline of ordinary inserts
    baseline = list(inserter.latencies_ms)
    mark = len(inserter.latencies_ms)
    with psycopg.connect(url, autocommit=True) as conn:
        started = time.perf_counter()
        touched = conn.execute(*statements[0]).rowcount
        for statement in statements[1:]:
            conn.execute(*statement)
        seconds = time.perf_counter() - started
    time.sleep(0.2)
    inserter.stop.set()
    inserter.join()
    if inserter.error is not None:
        raise RuntimeError(f"the inserting client into {table} failed: {inserter.error}")
    during = inserter.latencies_ms[mark:] or [0.0]
    baseline.sort()
    return seconds, max(during), baseline[len(baseline) // 2] if baseline else 0.0, touched


def disk_unlink_ms(tc: TestCluster, size: int, repeats: int = 3) -> float:
    """Median ms to unlink a synced file of `size` bytes on the cluster's file system."""
    path = tc.cluster.base.parent / "unlink-probe"
    times = []
    for _ in range(repeats):
        with open(path, "wb") as probe:
            for _ in range(size // 2**20 + 1):
                probe.write(os.urandom(2**20))
            probe.flush()
            os.fsync(probe.fileno())
        started = time.perf_counter()
        os.unlink(path)
        times.append((time.perf_counter() - started) * 1000)
    return sorted(times)[len(times) // 2]


def compare_retention(tc: TestCluster, dbname: str, rows: int) -> None:
    url = tc.url(dbname)
    with psycopg.connect(url, autocommit=True) as conn:
        now = conn.execute("select date_trunc('minute', now())").fetchone()[0]
        make_partitions(conn, now)
        print(f"\nloading {rows:,} rows into error_logs and a plain indexed copy for the retention comparison ...",
              flush=True)  # fmt: skip
        conn.execute(INSERTS["public.error_logs"].format(at=IN_HISTORY), {"n": rows, "now": now})
        conn.execute("create schema if not exists bench_plain")
        conn.execute("create table bench_plain.error_logs_10m (like public.error_logs including defaults including"
                     " identity)")  # fmt: skip
        conn.execute("insert into bench_plain.error_logs_10m overriding system value select * from public.error_logs")
        # The first release's indexes (20261129185900_platform_tables.sql): VACUUM cleans both after a DELETE.
        conn.execute("alter table bench_plain.error_logs_10m add primary key (id)")
        conn.execute("select setval(pg_get_serial_sequence('bench_plain.error_logs_10m', 'id'),"
                     " (select max(id) from bench_plain.error_logs_10m))")  # fmt: skip
        conn.execute("create index on bench_plain.error_logs_10m (occurred_at)")
        for table in ("public.error_logs", "bench_plain.error_logs_10m"):
            conn.execute(f"vacuum (analyze) {table}")
        # Flush what loading 20M rows dirtied now, or the checkpoint that follows stalls the timed steps' I/O.
        with psycopg.connect(as_superuser(url), autocommit=True) as superuser:
            superuser.execute("checkpoint")  # CHECKPOINT needs a superuser (or pg_checkpoint), as on Supabase
        keep = conn.execute(
            "select keep from monitoring.retention_policies where table_name = 'public.error_logs'"
        ).fetchone()[0]
        bounds = conn.execute(
            "select min(occurred_at), date_trunc('day', min(occurred_at), 'UTC') + interval '1 day'"
            " from public.error_logs"
        ).fetchone()
        # The oldest day is partial: remove it from both first, untimed, so the timed day is a whole one.
        conn.execute("delete from bench_plain.error_logs_10m where occurred_at < %s", (bounds[1],))
        conn.execute("select * from monitoring.maintain_partitions(%s, 'public.error_logs')", (bounds[1] + keep,))
        conn.execute("select monitoring.drop_detached_partitions()")
        lower, upper = bounds[1], bounds[1] + timedelta(days=1)
        day_rows = conn.execute(
            "select count(*) from public.error_logs where occurred_at >= %s and occurred_at < %s", (lower, upper)
        ).fetchone()[0]
        total = conn.execute("select count(*) from public.error_logs").fetchone()[0]
        # The partitions ahead of the job's "now" are made first, so it only removes.
        conn.execute("select monitoring.ensure_day_partitions('public.error_logs', %s, %s + interval '9 days')",
                     (upper + keep, upper + keep))  # fmt: skip
    delete = timed_with_inserter(
        url, "bench_plain.error_logs_10m",
        ("delete from bench_plain.error_logs_10m where occurred_at >= %s and occurred_at < %s", (lower, upper)),
    )  # fmt: skip
    # DELETE leaves the space to VACUUM, as DETACH leaves it to DROP: compare the rows leaving the table, and then
    # the space coming back.
    vacuum = timed_with_inserter(url, "bench_plain.error_logs_10m", ("vacuum bench_plain.error_logs_10m", ()))
    partition = f"supalert_partitions.error_logs_{lower:%Y%m%d}"
    with psycopg.connect(url, autocommit=True) as conn:
        partition_bytes = conn.execute("select pg_total_relation_size(%s::regclass)", (partition,)).fetchone()[0]
    detach = timed_with_inserter(
        url, "public.error_logs", (f"alter table public.error_logs detach partition {partition}", ()))  # fmt: skip
    drop = timed_with_inserter(url, "public.error_logs", (f"drop table {partition}", ()))
    # The next day by the hourly job itself, bookkeeping included: maintain_partitions (which detaches it), then
    # drop_detached_partitions, each in its own transaction.
    job = timed_with_inserter(
        url, "public.error_logs",
        ("select * from monitoring.maintain_partitions(%s, 'public.error_logs')", (upper + keep + timedelta(days=1),)),
        ("select monitoring.drop_detached_partitions()", ()),
    )  # fmt: skip
    with psycopg.connect(url, autocommit=True) as conn:
        left = conn.execute(
            "select count(*) from public.error_logs where occurred_at >= %s and occurred_at < %s", (lower, upper)
        ).fetchone()[0]
    unlink_ms = disk_unlink_ms(tc, partition_bytes)
    if delete[3] != day_rows or left != 0:
        raise RuntimeError(f"retention removed the wrong rows: DELETE {delete[3]}, day {day_rows}, left {left}")
    print(f"\nremoving one day ({day_rows:,} rows) of error_logs ({total:,} rows), with a client inserting throughout:")
    print(f"{'step':<44}{'seconds':>10}{'longest insert ms':>19}{'median insert ms before':>25}")
    for label, result in (("DELETE (unpartitioned, first release's keys)", delete),
                          ("VACUUM after it (space reusable)", vacuum), ("DETACH PARTITION (rows gone)", detach),
                          ("DROP TABLE after it (space freed)", drop),
                          ("the hourly job, next day (detach, then drop)", job)):  # fmt: skip
        print(f"{label:<44}{result[0]:>10.3f}{result[1]:>19.1f}{result[2]:>25.1f}")
    print(f"the disk alone frees {partition_bytes / 2**20:.0f} MB (a plain file that size) in {unlink_ms:.1f} ms, "
          f"a floor for any DROP: space back can be at most {(delete[0] + vacuum[0]) * 1000 / unlink_ms:.0f}x "
          "here")  # fmt: skip
    gone = delete[0] / detach[0]
    freed = (delete[0] + vacuum[0]) / (detach[0] + drop[0])
    waited = max(detach[1], drop[1], job[1])
    for label, ratio in (("rows gone: DELETE / DETACH", gone), ("space back: DELETE + VACUUM / DETACH + DROP", freed)):
        print(f"{label}: {ratio:.0f}x ({'meets' if ratio >= TARGET_RATIO else 'MISSES'} the target of at least "
              f"{TARGET_RATIO:.0f}x)")  # fmt: skip
    print(
        f"longest insert during the detach, the drop or the job: {waited:.1f} ms "
        f"({'meets' if waited <= TARGET_WAIT_MS else 'MISSES'} the target of at most {TARGET_WAIT_MS:.0f} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows in error_logs")
    args = parser.parse_args()
    tc = start_test_cluster(DURABLE)
    try:
        with tc.clone() as name:
            compare_retention(tc, name, args.rows)
    finally:
        tc.cluster.destroy()


if __name__ == "__main__":
    main()
