"""Benchmark: what the database-health, pg_cron and pg_net rules add to a full evaluation, side by side in one run.

    .venv/bin/python -m bench.health_rules [--rows 1000000] [--runs 9]

One throwaway cluster with production durability (fsync on), telemetry as bench/scale.py loads it, then every
enabled rule evaluated with the health rules disabled (the 16 seed rules, as before them) and enabled (all rules),
alternating, in one warm session and in a new session each time (as pg_cron runs the job). Prints the medians, the
ratio against its target (at most 2x) and each health rule's own cost from monitoring.rule_runs. Nothing here
asserts a time.
"""

from __future__ import annotations

import argparse
import statistics
import time

import psycopg

from bench.common import DURABLE
from supalert.paths import project_root
from supalert.rules import stems
from tests.support.harness import start_test_cluster
from tests.support.telemetry_data import add_history, load_window, make_partitions, noon_today, vacuum_analyze

TARGET = 2.0  # all rules at most 2x the seed rules alone
EVALUATE = "select count(*) from monitoring.evaluate(null, %s::timestamptz + make_interval(mins => %s))"
HEALTH_PREFIXES = ("metric_db_", "metric_cron_", "metric_net_", "metric_background_worker")


def health_rules() -> list[str]:
    return sorted(
        r.key for r in stems.rule_files(project_root())
        if str(r.columns.get("metric_function", "")).startswith(HEALTH_PREFIXES)
    )  # fmt: skip


def set_health(conn: psycopg.Connection, keys: list[str], enabled: bool) -> None:
    conn.execute("update monitoring.rules set enabled = %s where key = any(%s)", (enabled, keys))


def timed(conn: psycopg.Connection, now, minute: int) -> float:
    started = time.perf_counter()
    conn.execute(EVALUATE, (now, minute))
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="telemetry rows of history")
    parser.add_argument("--runs", type=int, default=9, help="evaluations per side and mode (medians reported)")
    args = parser.parse_args()
    keys = health_rules()
    print(f"starting a throwaway cluster (fsync on), {args.rows:,} telemetry rows, {len(keys)} health rules ...")
    tc = start_test_cluster(DURABLE)
    try:
        with tc.clone() as name, psycopg.connect(tc.url(name), autocommit=True) as conn:
            url = tc.url(name)
            now = noon_today(conn)
            make_partitions(conn, now)
            load_window(conn, now)
            add_history(conn, now, args.rows)
            vacuum_analyze(conn)
            times: dict[tuple[str, str], list[float]] = {}
            minute = 0
            for _ in range(args.runs):  # alternating, so drift in the machine's speed falls on both sides alike
                for side, enabled in (("seed rules", False), ("all rules", True)):
                    set_health(conn, keys, enabled)
                    minute += 1
                    times.setdefault((side, "warm"), []).append(timed(conn, now, minute))
                    minute += 1
                    with psycopg.connect(url, autocommit=True) as fresh:
                        times.setdefault((side, "new session"), []).append(timed(fresh, now, minute))
            per_rule = conn.execute(
                "select rule_key, percentile_cont(0.5) within group (order by duration_ms), max(series)"
                " from monitoring.rule_runs where rule_key = any(%s) group by 1 order by 2 desc",
                (keys,),
            ).fetchall()
    finally:
        tc.cluster.destroy()

    print("\n| mode | seed rules ms (median) | all rules ms (median) | all / seed | target |")
    print("| --- | ---: | ---: | ---: | --- |")
    for mode in ("warm", "new session"):
        seed = statistics.median(times[("seed rules", mode)])
        every = statistics.median(times[("all rules", mode)])
        verdict = "meets" if every / seed <= TARGET else "MISSES"
        print(f"| {mode} | {seed:.1f} | {every:.1f} | {every / seed:.2f}x | at most {TARGET}x: {verdict} |")
    print("\n| health rule | median ms per evaluation | series |")
    print("| --- | ---: | ---: |")
    for key, ms, series in per_rule:
        print(f"| {key} | {ms:.2f} | {series} |")


if __name__ == "__main__":
    main()
