"""Which relations a statement's plans read sequentially beyond what they needed, nested statements included
(auto_explain with ANALYZE, plans sent to the client as notices). A Seq Scan counts when its filter threw away more
than `min_rows` rows (rows outside the query's window: the cost that grows with the history), or when it has no
filter and read more than that. A scan that returns what it reads (a small partition wholly inside the window, as
today's is just after midnight, where the planner rightly prefers it to the index), an EXISTS probe that stops at
the first row, or a partition pruned at run time is not a scan of the table. Used by tests/test_access_paths.py and
bench/scale.py."""

from __future__ import annotations

import json
from collections.abc import Iterator

import psycopg

from tests.support.harness import as_superuser

TELEMETRY_PREFIXES = ("error_logs", "performance_metrics", "sms_delivery_log", "email_delivery_log")


def walk(node: dict) -> Iterator[dict]:
    yield node
    for child in node.get("Plans", []):
        yield from walk(child)


def seq_scans(conn: psycopg.Connection, statement: str, params: tuple = (), min_rows: int = 1000) -> list[str]:
    """Run `statement` in `conn`'s database and return the relations any of its plans read with a Seq Scan that
    read more than `min_rows` rows it did not need (see beyond_need), nested statements in functions included.
    Loading auto_explain takes a superuser, so the statement runs as the cluster's supabase_admin: instrumentation
    only (both it and `postgres` bypass RLS, so the plans are the ones `postgres` gets)."""
    plans: list[dict] = []

    def collect(diag: psycopg.errors.Diagnostic) -> None:
        text = diag.message_primary or ""
        if "{" in text:
            plans.append(json.loads(text[text.index("{") :]))

    with psycopg.connect(as_superuser(conn.info.dsn), autocommit=True) as superuser:
        superuser.add_notice_handler(collect)
        with superuser.transaction():
            superuser.execute("load 'auto_explain'")
            for name, value in (("log_min_duration", "0"), ("log_nested_statements", "on"), ("log_format", "json"),
                                ("log_level", "notice"), ("log_analyze", "on"), ("log_timing", "off")):  # fmt: skip
                superuser.execute(f"set local auto_explain.{name} = '{value}'")
            superuser.execute(statement, params).fetchall()
    return [
        node["Relation Name"]
        for plan in plans
        for node in walk(plan["Plan"])
        if node.get("Node Type") == "Seq Scan" and "Relation Name" in node and beyond_need(node) > min_rows
    ]


def beyond_need(node: dict) -> float:
    """Rows a scan read that its query did not need, over all its loops (EXPLAIN reports them per loop): those its
    filter removed, or every row when it has no filter at all (a whole table read unconditionally)."""
    per_loop = node.get("Rows Removed by Filter", 0) if "Filter" in node else node.get("Actual Rows", 0)
    return per_loop * node.get("Actual Loops", 0)


def telemetry_seq_scans(conn: psycopg.Connection, statement: str, params: tuple = ()) -> list[str]:
    return [r for r in seq_scans(conn, statement, params) if r.startswith(TELEMETRY_PREFIXES)]
