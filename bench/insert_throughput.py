"""Insert throughput with pgbench: supalert's error_logs and performance_metrics (day partitions, their indexes, RLS
as a signed-in user) against plain tables with the same columns and defaults and nothing else. Each client runs
one insert per transaction, as an app logging an error or a page load does. Part of bench/scale.py."""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg

from tests.support.harness import TestCluster

TARGET = 0.85  # supalert's tables keep at least 85 % of the plain table's insert rate
CLIENTS, THREADS, ROUNDS = 4, 2, 5
PLAIN = """
create schema if not exists bench_plain;
grant usage on schema bench_plain to authenticated;
create table bench_plain.error_logs (like public.error_logs including defaults including identity);
create table bench_plain.performance_metrics (like public.performance_metrics including defaults including identity);
grant insert on bench_plain.error_logs, bench_plain.performance_metrics to authenticated;
"""
# One transaction per insert, as PostgREST runs a request: role and JWT claims set for the transaction.
SCRIPTS = {
    "error_logs": "\\set sev random(1, 4)\n"
    "begin;\n"
    "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', '{claims}', true);\n"
    "insert into {schema}.error_logs (severity, category, message, function_name) values"
    " ((array['info','warning','high','critical'])[:sev], 'bench', 'pgbench insert', 'fn');\n"
    "commit;\n",
    "performance_metrics": "\\set ms random(10, 4000)\n"
    "begin;\n"
    "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', '{claims}', true);\n"
    "insert into {schema}.performance_metrics (metric_type, metric_name, duration_ms) values"
    " ('page_load', '/home', :ms);\n"
    "commit;\n",
}


def pgbench_binary() -> str:
    found = Path("/usr/lib/postgresql/15/bin/pgbench")
    return str(found) if found.exists() else (shutil.which("pgbench") or "pgbench")


def run_pgbench(tc: TestCluster, dbname: str, script: str, seconds: int) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as handle:
        handle.write(script)
    try:
        out = subprocess.run(
            [pgbench_binary(), "-n", "-c", str(CLIENTS), "-j", str(THREADS), "-T", str(seconds), "-f", handle.name,
             "-h", "127.0.0.1", "-p", str(tc.port), "-U", "postgres", dbname],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    finally:
        Path(handle.name).unlink()
    match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out.stdout)
    if not match:
        raise RuntimeError(f"pgbench printed no tps:\n{out.stdout}\n{out.stderr}")
    return float(match[1])


def compare_inserts(tc: TestCluster, dbname: str, seconds: int) -> None:
    with psycopg.connect(tc.url(dbname), autocommit=True) as conn:
        conn.execute(PLAIN)
    claims = f'{{"role":"authenticated","sub":"{uuid.uuid4()}"}}'
    rates: dict[tuple[str, str], list[float]] = {}
    print(f"\npgbench: {CLIENTS} clients, {seconds} s per run, {ROUNDS} rounds of plain and supalert back to back"
          " (order alternating) ...", flush=True)  # fmt: skip
    for round_number in range(ROUNDS):
        for table, script in SCRIPTS.items():
            order = ("plain", "supalert") if round_number % 2 == 0 else ("supalert", "plain")
            for variant in order:
                schema = "bench_plain" if variant == "plain" else "public"
                tps = run_pgbench(tc, dbname, script.format(claims=claims, schema=schema), seconds)
                rates.setdefault((table, variant), []).append(tps)
    with psycopg.connect(tc.url(dbname), autocommit=True) as conn:
        for table in SCRIPTS:
            lost = conn.execute(
                f"select (select count(*) from public.{table}) = 0 or (select count(*) from bench_plain.{table}) = 0"
            ).fetchone()[0]
            if lost:
                raise RuntimeError(f"pgbench wrote no rows into one of the {table} tables")
    print(f"\n{'table':<22}{'plain tx/s':>12}{'supalert tx/s':>15}{'supalert / plain':>18}{'range of rounds':>18}")
    for table in SCRIPTS:
        plain, ours = rates[(table, "plain")], rates[(table, "supalert")]
        # Each round ran both back to back: the ratio within a round is what the machine's drift cannot skew.
        ratios = sorted(o / p for o, p in zip(ours, plain, strict=True))
        ratio = statistics.median(ratios)
        print(f"{table:<22}{statistics.median(plain):>12.0f}{statistics.median(ours):>15.0f}{ratio:>17.0%}"
              f"{ratios[0]:>11.0%} - {ratios[-1]:.0%}  "
              f"({'meets' if ratio >= TARGET else 'MISSES'} the target of at least {TARGET:.0%})")  # fmt: skip
