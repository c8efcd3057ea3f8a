"""Benchmark: one rule with many series, the engine against the row-by-row engine before it, side by side.

    .venv/bin/python -m bench.series_scale [--series 1000,10000,100000] [--runs 5]

One throwaway cluster with production durability (fsync on). The seed's per-client rule low_credit_balance (one
series per row of public.client_credits, threshold 100) over N clients, 10 % of them under the threshold (firing),
as the issue measured it. Two rules read the same rows with the same metric: low_credit_balance evaluated by today's
engine (monitoring.evaluate_rule), and a copy of it evaluated by the engine before issue 17
(bench/legacy_engine.sql). For each N: the steady state (nothing changes between evaluations) and an
evaluation where 10 % of the series change state (half of the firing ones recover, as many others start firing),
each timed and counted in rows written (inserts, updates and deletes of the transaction, from pg_stat_xact_*).
Then every enabled rule (the seed's and the health rules) on the telemetry bench/scale.py loads (--rows of
history), through monitoring.evaluate in one database and through a copy of it that calls the engine before issue
17 in a twin database, alternating, warm and in a new session each time (as pg_cron runs the job).
Prints the medians with the targets of issue 17. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import timedelta
from pathlib import Path

import psycopg

from bench.common import DURABLE
from supalert.paths import project_root
from tests.support.harness import start_test_cluster
from tests.support.telemetry_data import add_history, load_window, make_partitions, noon_today, vacuum_analyze

LEGACY = Path(__file__).with_name("legacy_engine.sql")
SETUP = """
insert into monitoring.rules (key, title, description, metric_function, comparison, threshold, severity)
select 'legacy_low_credit_balance', r.title, r.description, r.metric_function, r.comparison, r.threshold, r.severity
  from monitoring.rules r where r.key = 'low_credit_balance';
update monitoring.rules set enabled = true where key like '%low_credit_balance';
"""
WRITTEN = (
    "select coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) from pg_stat_xact_all_tables"
    " where schemaname in ('public', 'monitoring')"
)
FUNCTION = {
    "low_credit_balance": "monitoring.evaluate_rule",
    "legacy_low_credit_balance": "monitoring.legacy_evaluate_rule",
}
RULES = tuple(FUNCTION)
TARGETS = {"steady_ms": 300, "steady_rows": 10, "changing_ms": 2000, "speedup_10k": 10}


ALL_RULES = "select count(*) from monitoring.{}(null, %s::timestamptz + make_interval(mins => %s))"


def legacy_evaluate() -> str:
    """monitoring.evaluate as it is, renamed legacy_evaluate and calling the engine before issue 17."""
    text = (project_root() / "sql" / "engine" / "evaluate.sql").read_text(encoding="utf-8")
    return text.replace("monitoring.evaluate_rule(", "monitoring.legacy_evaluate_rule(").replace(
        "monitoring.evaluate(", "monitoring.legacy_evaluate("
    )


def timed_all(conn: psycopg.Connection, function: str, now, minute: int) -> float:
    started = time.perf_counter()
    conn.execute(ALL_RULES.format(function), (now, minute))
    return (time.perf_counter() - started) * 1000


def all_rules(tc, rows: int, runs: int) -> dict[tuple[str, str], float]:
    """Median ms of a full evaluation of every enabled rule, per engine and mode (warm, new session)."""
    times: dict[tuple[str, str], list[float]] = {}
    with tc.clone() as base:
        with psycopg.connect(tc.url(base), autocommit=True) as conn:
            now = noon_today(conn)
            make_partitions(conn, now)
            load_window(conn, now)
            add_history(conn, now, rows)
            conn.execute(LEGACY.read_text(encoding="utf-8"))
            conn.execute(legacy_evaluate())
            vacuum_analyze(conn)
        with tc.clone(template=base) as twin:
            urls = {"evaluate": tc.url(base), "legacy_evaluate": tc.url(twin)}
            warm = {f: psycopg.connect(u, autocommit=True) for f, u in urls.items()}
            try:
                for function, conn in warm.items():  # caches warm, every rule's state settled
                    timed_all(conn, function, now, 0)
                for minute in range(2, 2 * runs + 2, 2):  # alternating, so the machine's drift falls on both alike
                    for function, url in urls.items():
                        times.setdefault((function, "warm"), []).append(
                            timed_all(warm[function], function, now, minute)
                        )
                        with psycopg.connect(url, autocommit=True) as fresh:
                            ms = timed_all(fresh, function, now, minute + 1)
                        times.setdefault((function, "new session"), []).append(ms)
            finally:
                for conn in warm.values():
                    conn.close()
    return {key: statistics.median(values) for key, values in times.items()}


def load(conn: psycopg.Connection, series: int) -> None:
    """N clients; every tenth under the threshold of 10."""
    conn.execute("delete from public.system_alerts where alert_type = any(%s)", (list(RULES),))
    conn.execute("delete from monitoring.rule_state where rule_key = any(%s)", (list(RULES),))
    conn.execute("truncate public.client_credits")
    conn.execute(
        "insert into public.client_credits (client_id, client_name, balance, updated_at)"
        " select gen_random_uuid(), 'client ' || c, case when c %% 10 = 0 then 50 else 500 end,"
        " now() - interval '1 day'"
        " from generate_series(1, %s) as c",
        (series,),
    )
    conn.execute("analyze public.client_credits")


def flip(conn: psycopg.Connection) -> None:
    """10 % of the series change state: half the firing recover, as many healthy start firing."""
    conn.execute(
        "update public.client_credits set balance = case when balance = 50 then 500 else 50 end"
        " where client_name ~ '(00|01|20|21|40|41|60|61|80|81)$'"
    )


def evaluate(conn: psycopg.Connection, rule: str, at) -> tuple[float, int, int]:
    """(ms, rows written, series) of one evaluation of `rule` in its own transaction, as monitoring.evaluate runs it."""
    with conn.transaction():
        # PG 15's pg_stat_xact_* also hold counts of earlier transactions not yet flushed: the delta is this one's.
        before = conn.execute(WRITTEN).fetchone()[0]
        started = time.perf_counter()
        series = conn.execute(
            f"select count(*) from {FUNCTION[rule]}((select r from monitoring.rules r where r.key = %s), %s)",
            (rule, at),
        ).fetchone()[0]
        ms = (time.perf_counter() - started) * 1000
        written = conn.execute(WRITTEN).fetchone()[0] - before
    return ms, int(written), series


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", default="1000,10000,100000", help="series counts, comma-separated")
    parser.add_argument("--runs", type=int, default=5, help="steady evaluations per engine and size (median)")
    parser.add_argument("--rows", type=int, default=10_000_000, help="telemetry history for the all-rules part")
    parser.add_argument("--rule-runs", type=int, default=7, help="all-rules evaluations per engine and mode")
    args = parser.parse_args()
    sizes = [int(s) for s in args.series.split(",")]
    print(f"starting a throwaway cluster (fsync on); series {sizes}, {args.runs} steady runs each ...")
    tc = start_test_cluster(DURABLE)
    results: dict[tuple[int, str, str], tuple[float, int]] = {}
    try:
        with tc.clone() as name, psycopg.connect(tc.url(name), autocommit=True) as conn:
            conn.execute("set jit = off")  # as monitoring.evaluate runs both engines
            conn.execute(LEGACY.read_text(encoding="utf-8"))
            conn.execute(SETUP)
            at = conn.execute("select now()").fetchone()[0]
            for size in sizes:
                load(conn, size)
                for rule in RULES:
                    for _ in range(2):  # the first opens the firing alerts, the second settles pending counts
                        at += timedelta(minutes=1)
                        evaluate(conn, rule, at)
                steady: dict[str, list[tuple[float, int]]] = {rule: [] for rule in RULES}
                for _ in range(args.runs):  # alternating, so the machine's drift falls on both alike
                    at += timedelta(minutes=1)
                    for rule in steady:
                        ms, written, _ = evaluate(conn, rule, at)
                        steady[rule].append((ms, written))
                for rule, runs in steady.items():
                    results[(size, rule, "steady")] = (
                        statistics.median(ms for ms, _ in runs), max(w for _, w in runs))  # fmt: skip
                flip(conn)
                at += timedelta(minutes=1)
                for rule in RULES:
                    ms, written, _ = evaluate(conn, rule, at)
                    results[(size, rule, "changing")] = (ms, written)
                opened = dict(conn.execute(
                    "select alert_type, count(*) from public.system_alerts where alert_type = any(%s)"
                    " and resolved_at is null group by 1", (list(RULES),)).fetchall())  # fmt: skip
                assert opened[RULES[0]] == opened[RULES[1]], opened  # both engines agree on the outcome
                print(f"  {size:,} series done ({opened[RULES[0]]:,} open alerts after the change)")
        print(f"every enabled rule on {args.rows:,} telemetry rows, both engines ...")
        every = all_rules(tc, args.rows, args.rule_runs)
    finally:
        tc.cluster.destroy()

    print("\n| series | case | engine ms | rows written | before ms | rows written | before / engine |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    for size in sizes:
        for case in ("steady", "changing"):
            new_ms, new_rows = results[(size, RULES[0], case)]
            old_ms, old_rows = results[(size, RULES[1], case)]
            print(f"| {size:,} | {case} | {new_ms:.0f} | {new_rows:,} | {old_ms:.0f} | {old_rows:,} |"
                  f" {old_ms / new_ms:.1f}x |")  # fmt: skip
    print("\nTargets (issue 17):")
    top = max(sizes)
    steady_ms, steady_rows = results[(top, RULES[0], "steady")]
    changing_ms, _ = results[(top, RULES[0], "changing")]
    checks = [
        (f"{top:,} series steady: at most {TARGETS['steady_ms']} ms", steady_ms <= TARGETS["steady_ms"],
         f"{steady_ms:.0f} ms"),
        (f"{top:,} series steady: at most {TARGETS['steady_rows']} rows written", steady_rows <= TARGETS["steady_rows"],
         f"{steady_rows} rows"),
        (f"{top:,} series, 10 % changing: at most {TARGETS['changing_ms']} ms", changing_ms <= TARGETS["changing_ms"],
         f"{changing_ms:.0f} ms"),
    ]  # fmt: skip
    if 10_000 in sizes:
        ratio = results[(10_000, RULES[1], "steady")][0] / results[(10_000, RULES[0], "steady")][0]
        checks.append((f"10,000 series steady: at least {TARGETS['speedup_10k']}x faster than before",
                       ratio >= TARGETS["speedup_10k"], f"{ratio:.1f}x"))  # fmt: skip
    print("\n| every enabled rule | engine ms (median) | before ms (median) | before / engine |")
    print("| --- | ---: | ---: | ---: |")
    for mode in ("warm", "new session"):
        new, old = every[("evaluate", mode)], every[("legacy_evaluate", mode)]
        print(f"| {mode} | {new:.1f} | {old:.1f} | {old / new:.2f}x |")
        checks.append((f"every rule, {args.rows:,} rows, {mode}: no slower than before", new <= old * 1.05,
                       f"{old / new:.2f}x"))  # fmt: skip
    for what, ok, figure in checks:
        print(f"- {what}: {figure} ({'meets' if ok else 'MISSES'})")


if __name__ == "__main__":
    main()
