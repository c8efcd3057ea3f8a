"""Benchmark: time to evaluate every enabled rule, on an empty database and with telemetry spread over 30 days.

Runs on a throwaway local cluster (the test harness's: Postgres 15, pg_cron, every migration), so the demo
database is never touched. Prints a table and the ratio; never asserts a time (machines here are shared).

    .venv/bin/python -m bench.evaluate_rules [--rows 1000000] [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import time

import psycopg

from tests.harness import start_test_cluster

NOW = "2026-03-31 12:00:00+00"


def load_telemetry(conn: psycopg.Connection, rows: int) -> None:
    """`rows` rows over the 30 days before NOW: 40% error_logs, 50% performance_metrics, 10% sms_delivery_log."""
    errors, metrics, sms = int(rows * 0.4), int(rows * 0.5), rows - int(rows * 0.4) - int(rows * 0.5)
    spread = "%s::timestamptz - (random() * interval '30 days')"
    conn.execute(
        "insert into public.error_logs (severity, category, message, occurred_at)"
        " select (array['info','warning','high','critical'])[1 + (g %% 4)], 'bench', 'e', "
        + spread
        + " from generate_series(1, %s) g",
        (NOW, errors),
    )
    conn.execute(
        "insert into public.performance_metrics (metric_type, metric_name, duration_ms, recorded_at)"
        " select case when g %% 5 = 0 then 'page_load' else 'edge_function' end, 'f', (random() * 4000)::int, "
        + spread
        + " from generate_series(1, %s) g",
        (NOW, metrics),
    )
    conn.execute(
        "insert into public.sms_delivery_log (delivery_status, created_at)"
        " select case when g %% 20 = 0 then 'failed' else 'delivered' end, "
        + spread
        + " from generate_series(1, %s) g",
        (NOW, sms),
    )
    conn.execute("analyze")


def time_evaluations(conn: psycopg.Connection, runs: int) -> list[float]:
    """Seconds per full evaluation; each run a minute later, so every rule is due every time."""
    times = []
    for i in range(runs):
        started = time.perf_counter()
        count = conn.execute(
            "select count(*) from monitoring.evaluate(null, %s::timestamptz + make_interval(mins => %s))", (NOW, i)
        ).fetchone()[0]
        times.append(time.perf_counter() - started)
        assert count > 0
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="telemetry rows for the loaded case")
    parser.add_argument("--runs", type=int, default=7, help="evaluations per case (the median is reported)")
    args = parser.parse_args()
    print("starting a throwaway cluster and migrating it ...", flush=True)
    tc = start_test_cluster()
    try:
        results = {}
        with tc.clone() as empty_db, psycopg.connect(tc.url(empty_db), autocommit=True) as conn:
            results["empty"] = time_evaluations(conn, args.runs)
        with tc.clone() as full_db, psycopg.connect(tc.url(full_db), autocommit=True) as conn:
            started = time.perf_counter()
            load_telemetry(conn, args.rows)
            print(f"loaded {args.rows:,} telemetry rows in {time.perf_counter() - started:.1f} s", flush=True)
            results["loaded"] = time_evaluations(conn, args.runs)
    finally:
        tc.cluster.destroy()
    print(f"\n{'case':<28}{'median ms':>12}{'min ms':>10}{'max ms':>10}")
    for name, label in (("empty", "empty database"), ("loaded", f"{args.rows:,} rows / 30 days")):
        t = results[name]
        print(f"{label:<28}{statistics.median(t) * 1000:>12.1f}{min(t) * 1000:>10.1f}{max(t) * 1000:>10.1f}")
    ratio = statistics.median(results["loaded"]) / statistics.median(results["empty"])
    print(f"\nratio loaded / empty (median): {ratio:.2f}x  ({args.runs} runs each, all enabled rules)")


if __name__ == "__main__":
    main()
