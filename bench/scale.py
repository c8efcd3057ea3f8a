"""Benchmark: evaluation cost against table size, the seed's checks side by side, insert cost, and retention by
partition drop against DELETE, all in one run on one throwaway cluster with production durability (fsync on).

    .venv/bin/python -m bench.scale [--sizes 100000,1000000,10000000] [--runs 7] [--pgbench-seconds 10]

Prints every figure with its target and writes bench/results/scale.png (time per evaluation against rows).
Nothing here asserts a time; the targets are read off the printed ratios.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import psycopg

from bench.common import DURABLE
from bench.insert_throughput import compare_inserts
from bench.retention_drop import compare_retention
from tests.support.harness import start_test_cluster
from tests.support.plan_check import telemetry_seq_scans
from tests.support.telemetry_data import SHARES, add_history, load_window, make_partitions, noon_today, vacuum_analyze

# Like a Supabase database: durable commits. Bigger WAL so loading 10M rows is not one long checkpoint storm.
SEED_CHECKS = Path(__file__).with_name("seed_checks.sql")
PLOT = Path(__file__).with_name("results") / "scale.png"
SEED_TABLES = ("error_logs", "performance_metrics", "sms_delivery_log")
# The seed's check_error_rate_threshold calls this to send its alert; the benchmark keeps delivery out of the timing.
SEED_SHAPE = """
create schema seed_bench;
create table seed_bench.system_alerts (
    id uuid primary key default gen_random_uuid(), alert_type text, title text, message text, severity text,
    metadata jsonb, created_at timestamptz default now(), dismissed boolean default false,
    is_read boolean default false);
create function seed_bench.send_alert_notification(text, text, text) returns void language sql as 'select';
"""
# A full evaluation of every enabled rule, `minute` minutes after the loaded "now" (so every rule is due again).
EVALUATE = "select count(*) from monitoring.evaluate(null, %s::timestamptz + make_interval(mins => %s))"
TARGETS = {
    "flat": 1.3,  # evaluation at 10M rows costs at most 1.3x what it costs at 100k
    "seed": 100.0,  # supalert's full evaluation at least 100x faster than the seed's three functions
}


@dataclass
class SizeResult:
    rows: int
    load_seconds: float
    supalert_ms: list[float] = field(default_factory=list)
    cold_ms: list[float] = field(default_factory=list)
    seed_ms: list[float] = field(default_factory=list)
    seq_scans: list[str] = field(default_factory=list)


def reset_engine_state(conn: psycopg.Connection) -> None:
    """Every size starts from the same state: no rule runs, no alerts, no rollup."""
    conn.execute("delete from monitoring.rule_runs")
    conn.execute("delete from monitoring.rule_state")
    conn.execute("delete from monitoring.notifications")
    conn.execute("delete from public.system_alerts")
    conn.execute("delete from monitoring.function_call_hours")


def time_supalert(conn: psycopg.Connection, now: datetime, runs: int) -> list[float]:
    """Milliseconds per full evaluation of every enabled rule, each run a minute later so every rule is due."""
    times = []
    for i in range(runs):
        started = time.perf_counter()
        conn.execute(EVALUATE, (now, i + 1))
        times.append((time.perf_counter() - started) * 1000)
    return times


def time_supalert_cold(url: str, now: datetime, first_minute: int, runs: int) -> list[float]:
    """Milliseconds per full evaluation in a new session each time, as pg_cron runs the job (caches cold)."""
    times = []
    for i in range(runs):
        with psycopg.connect(url, autocommit=True) as conn:
            started = time.perf_counter()
            conn.execute(EVALUATE, (now, first_minute + i))
            times.append((time.perf_counter() - started) * 1000)
    return times


def refresh_seed_copy(conn: psycopg.Connection) -> None:
    """The seed's tables: the same rows, without supalert's indexes, partitions or policies."""
    for table in SEED_TABLES:
        conn.execute(f"drop table if exists seed_bench.{table}")
        conn.execute(f"create table seed_bench.{table} (like public.{table})")
        conn.execute(f"insert into seed_bench.{table} select * from public.{table}")
        conn.execute(f"vacuum (analyze) seed_bench.{table}")


def time_seed(conn: psycopg.Connection, runs: int) -> list[float]:
    """Milliseconds per run of the seed's three checks, as its cron would call them."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        with conn.transaction():
            conn.execute("set local search_path = seed_bench, public")
            for name in ("check_error_rate_threshold", "check_performance_degradation", "check_sms_delivery_failures"):
                conn.execute(f"select seed_bench.{name}()")
        times.append((time.perf_counter() - started) * 1000)
    return times


def run_sizes(url: str, conn: psycopg.Connection, sizes: list[int], runs: int, seed_runs: int) -> list[SizeResult]:
    # The seed's checks read the clock, not this "now"; they read every row of their tables either way.
    now = noon_today(conn)
    make_partitions(conn, now)
    load_window(conn, now)
    conn.execute(SEED_SHAPE)
    conn.execute("set search_path = seed_bench, public")
    conn.execute(SEED_CHECKS.read_text(encoding="utf-8"))
    conn.execute("reset search_path")
    results, loaded = [], 0
    for size in sizes:
        started = time.perf_counter()
        print(f"loading history up to {size:,} rows ...", flush=True)
        add_history(conn, now, size - loaded)
        vacuum_analyze(conn)
        loaded = size
        result = SizeResult(size, time.perf_counter() - started)
        reset_engine_state(conn)
        result.supalert_ms = time_supalert(conn, now, runs)
        result.cold_ms = time_supalert_cold(url, now, runs + 1, 5)
        reset_engine_state(conn)
        result.seq_scans = telemetry_seq_scans(conn, EVALUATE, (now, 1))
        print(f"copying {size:,} rows for the seed's checks ...", flush=True)
        refresh_seed_copy(conn)
        result.seed_ms = time_seed(conn, seed_runs)
        results.append(result)
        print(f"  {size:,} rows: supalert {statistics.median(result.supalert_ms):.1f} ms, seed "
              f"{statistics.median(result.seed_ms):.1f} ms", flush=True)  # fmt: skip
    for table in SEED_TABLES:
        conn.execute(f"drop table seed_bench.{table}")
    return results


def plot(results: list[SizeResult]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r.rows for r in results]
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    ax.plot(rows, [statistics.median(r.supalert_ms) for r in results], "o-", label="supalert: all enabled rules")
    ax.plot(rows, [statistics.median(r.seed_ms) for r in results], "s--", label="seed: its three check functions")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("telemetry rows (30 days; the last hour's load is the same at every size)")
    ax.set_ylabel("milliseconds per run (median)")
    ax.set_title("Evaluation time against table size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    PLOT.parent.mkdir(exist_ok=True)
    fig.tight_layout()
    fig.savefig(PLOT)


def verdict(ok: bool) -> str:
    return "meets" if ok else "MISSES"


def report(results: list[SizeResult]) -> None:
    print(f"\n{'rows':>12}{'load s':>9}{'supalert ms':>13}{'min':>8}{'max':>8}{'new session':>13}{'seed ms':>10}"
          f"{'seed/supalert':>15}{'seq scans':>11}")  # fmt: skip
    for r in results:
        ours, seed, cold = (statistics.median(t) for t in (r.supalert_ms, r.seed_ms, r.cold_ms))
        print(f"{r.rows:>12,}{r.load_seconds:>9.1f}{ours:>13.1f}{min(r.supalert_ms):>8.1f}{max(r.supalert_ms):>8.1f}"
              f"{cold:>13.1f}{seed:>10.1f}{seed / ours:>14.0f}x{len(r.seq_scans):>11}")  # fmt: skip
    first, last = results[0], results[-1]
    flat = statistics.median(last.supalert_ms) / statistics.median(first.supalert_ms)
    faster = statistics.median(last.seed_ms) / statistics.median(last.supalert_ms)
    print(
        f"\nevaluation at {last.rows:,} / at {first.rows:,} rows: {flat:.2f}x "
        f"({verdict(flat <= TARGETS['flat'])} the target of at most {TARGETS['flat']}x)"
    )
    print(
        f"seed's three checks / supalert's full evaluation at {last.rows:,} rows: {faster:.0f}x "
        f"({verdict(faster >= TARGETS['seed'])} the target of at least {TARGETS['seed']:.0f}x)"
    )
    scans = sorted({s for r in results for s in r.seq_scans})
    print(f"sequential scans of telemetry in the evaluation plans: {len(scans)}" + (f" ({', '.join(scans)})"
                                                                                   if scans else ""))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000,10000000", help="telemetry rows, comma-separated")
    parser.add_argument("--runs", type=int, default=7, help="evaluations per size (the median is reported)")
    parser.add_argument("--seed-runs", type=int, default=3, help="runs of the seed's checks per size")
    parser.add_argument("--pgbench-seconds", type=int, default=10, help="length of each pgbench run")
    parser.add_argument("--retention-rows", type=int, default=10_000_000, help="rows in the retention table")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    if sizes[0] < sum(1 for _ in SHARES) * 100:
        parser.error("--sizes: the smallest size must be at least 400 rows")
    print("starting a throwaway cluster (fsync on) and migrating it ...", flush=True)
    tc = start_test_cluster(DURABLE)
    try:
        with tc.clone() as name, psycopg.connect(tc.url(name), autocommit=True) as conn:
            results = run_sizes(tc.url(name), conn, sizes, args.runs, args.seed_runs)
        report(results)
        plot(results)
        print(f"plot: {PLOT.relative_to(Path.cwd()) if PLOT.is_relative_to(Path.cwd()) else PLOT}")
        with tc.clone() as name:
            compare_inserts(tc, name, args.pgbench_seconds)
        with tc.clone() as name:
            compare_retention(tc, name, args.retention_rows)
    finally:
        tc.cluster.destroy()


if __name__ == "__main__":
    main()
