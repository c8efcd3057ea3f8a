"""Benchmark: breach to delivery, the way a Supabase install runs it. Telemetry rows are inserted; pg_cron's
supalert-evaluate raises the alert; pg_cron's supalert-dispatch calls check-alert-triggers through pg_net (URL and
credential from Vault); the functions (real Deno) deliver to the capture servers. The latency is the insert's
commit to the capture server receiving the message, for the first channel and for the last of the three (email,
Slack, SMS), over N incidents, with every-minute schedules and with 10-second schedules (pg_cron 1.6), side by side.

Each incident starts at a random point of the schedule's cycle (seeded), so the figures cover the wait for the next
run. Between incidents the alert is resolved by hand and its rows removed. Needs the vendored pg_cron 1.6, pg_net
and Vault (the set-up builds them where ../shared/vendor exists).

    .venv/bin/python -m bench.delivery_latency [--incidents 10]   (about 22 minutes)
"""

from __future__ import annotations

import argparse
import logging
import random
import statistics
import time

import psycopg

from supalert.server_build import server_build
from tests.support.capture import Capture, start_capture
from tests.support.cli import run_cli
from tests.support.functions_server import DISPATCH_SECRET, FunctionsServer, serve_functions
from tests.support.harness import start_test_cluster

RULE = "critical_errors_per_hour"
CHANNELS = {"email", "slack", "sms"}
# (label, `deploy.py schedule` step, the rule's evaluation_interval, seconds of one cycle)
CASES = [("every minute", "1m", "1m", 60), ("every 10 seconds", "10s", "10s", 10)]


def deploy(*args: str, env: dict[str, str] | None = None) -> str:
    done = run_cli(*args, env=env)
    if done.returncode != 0:
        raise SystemExit(f"deploy.py {args[0]} failed: {done.stderr.strip()}")
    return done.stdout


def wait(what: str, condition, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"{what}: not within {seconds:.0f} s")
        time.sleep(0.05)


def settled(conn: psycopg.Connection) -> bool:
    return not conn.execute(
        "select count(*) from monitoring.notifications where status in ('pending', 'sending')"
    ).fetchone()[0]


def one_incident(conn: psycopg.Connection, capture: Capture) -> tuple[float, float]:
    """(first channel, last channel) seconds from the insert's commit to the capture server."""
    seen = len(capture.requests)
    conn.execute(
        "insert into public.error_logs (severity, category, message) select 'critical', 'bench', 'boom ' || g"
        " from generate_series(1, 9) g"
    )
    committed = time.monotonic()

    def arrivals() -> dict[str, float]:
        first: dict[str, float] = {}
        for r in capture.requests[seen:]:
            if r.channel in CHANNELS and r.status < 300:
                first.setdefault(r.channel, r.at)
        return first

    wait("the firing on every channel", lambda: set(arrivals()) == CHANNELS, 300)
    times = [at - committed for at in arrivals().values()]
    # Clear the incident so that the next one is a new alert: rows gone, alert resolved, its resolves delivered.
    conn.execute("delete from public.error_logs where category = 'bench'")
    conn.execute(
        "select monitoring.resolve_alert(id, 'bench') from public.system_alerts"
        " where alert_type = %s and resolved_at is null",
        (RULE,),
    )
    wait("the resolves delivered", lambda: settled(conn), 300)
    return min(times), max(times)


def run_case(conn, capture, db: str, label: str, step: str, interval: str, cycle: int, incidents: int, rng):
    deploy("schedule", "--evaluate", step, "--dispatch", step, "--db-url", db)
    deploy("rules", "set", RULE, f"evaluation_interval={interval}", "--db-url", db)
    results = []
    for i in range(incidents):
        time.sleep(rng.uniform(0, cycle))  # a random point of the cycle
        first, last = one_incident(conn, capture)
        results.append((first, last))
        print(f"  {label}: incident {i + 1}/{incidents}: first channel {first:.1f} s, all three {last:.1f} s",
              flush=True)  # fmt: skip
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=10, help="incidents per schedule")
    parser.add_argument("--seed", type=int, default=13, help="seed of the random start points")
    args = parser.parse_args()
    print("starting a hosted-shaped cluster, the capture servers and the functions ...", flush=True)
    build = server_build()
    missing = [name for name in ("pg_cron", "pg_net", "supabase_vault") if not build.has(name)]
    if missing:
        raise SystemExit(f"needs {', '.join(missing)} built from vendored sources: {build.missing_reason}")
    tc = start_test_cluster()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    capture = start_capture()
    rng = random.Random(args.seed)  # noqa: S311 (start points of a benchmark, not a secret)
    table = []
    started = time.monotonic()
    try:
        db = tc.remake_cron_database()
        with serve_functions(db, capture.env()) as server, psycopg.connect(db, autocommit=True) as conn:
            connect(server, db)
            for label, step, interval, cycle in CASES:
                results = run_case(conn, capture, db, label, step, interval, cycle, args.incidents, rng)
                table.append((label, results))
        problems = capture.problems
    finally:
        capture.server.stop()
        tc.cluster.destroy()
    print(f"\nbreach to delivery over {args.incidents} incidents each ({time.monotonic() - started:.0f} s in all)")
    print(f"{'schedules':>18}{'first median':>14}{'first max':>11}{'all median':>12}{'all max':>9}")
    for label, results in table:
        firsts, lasts = [r[0] for r in results], [r[1] for r in results]
        print(f"{label:>18}{statistics.median(firsts):>13.1f}s{max(firsts):>10.1f}s"
              f"{statistics.median(lasts):>11.1f}s{max(lasts):>8.1f}s")  # fmt: skip
    slow, fast = (statistics.median(r[1] for r in results) for _, results in table)
    print(f"every-minute / 10-second median (all three channels): {slow / fast:.1f}x")
    print(f"capture servers' request-shape problems: {len(problems)}")


def connect(server: FunctionsServer, db: str) -> None:
    """What a user does once: the Vault secrets, which schedule supalert-dispatch through pg_net."""
    project_url = server.url.removesuffix("/functions/v1")
    deploy(
        "secrets", "set", "--project-url", project_url, "--db-url", db, env={"ALERT_DISPATCH_SECRET": DISPATCH_SECRET}
    )


if __name__ == "__main__":
    main()
