"""pytest fixtures: one Supabase-shaped Postgres 15 cluster per run, a migrated clone per test."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import psycopg
import pytest

from tests.support.capture import Capture, start_capture
from tests.support.cli import run_cli
from tests.support.harness import BASE_DB, TestCluster, claims_for, describe_build, set_claims, start_test_cluster

# The developer's shell must not steer the tests to a real database.
for _name in ("SUPABASE_DB_URL", "DATABASE_URL", "SUPALERT_LOCAL_DIR", "SUPALERT_LOCAL_PORT"):
    os.environ.pop(_name, None)


def pytest_report_header() -> str:
    return describe_build()


@pytest.fixture(scope="session")
def pg() -> Iterator[TestCluster]:
    tc = start_test_cluster()
    try:
        yield tc
    finally:
        tc.cluster.destroy()  # also when tests fail


@pytest.fixture
def db(pg: TestCluster) -> Iterator[str]:
    """URL of a fresh clone of the migrated template."""
    with pg.clone() as name:
        yield pg.url(name)


@pytest.fixture
def bare_db(pg: TestCluster) -> Iterator[str]:
    """URL of a Supabase-shaped database with no supalert migration applied."""
    with pg.clone(BASE_DB, prefix="bare") as name:
        yield pg.url(name)


@pytest.fixture
def cron_db(pg: TestCluster) -> Iterator[str]:
    """URL of a freshly migrated CRON_DB: the one database pg_cron runs jobs in (and pg_net's worker serves), as
    `postgres` is on a hosted project. Made again afterwards, so the next test finds it as the harness left it."""
    yield pg.remake_cron_database()
    pg.remake_cron_database()


@pytest.fixture
def cron_bare_db(pg: TestCluster) -> Iterator[str]:
    """URL of CRON_DB made again without supalert's migrations (as bare_db, but served by pg_cron)."""
    yield pg.remake_cron_database(migrated=False)
    pg.remake_cron_database()


@pytest.fixture
def conn(db: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(db, autocommit=True) as connection:
        yield connection


@contextlib.contextmanager
def acting_as(connection: psycopg.Connection, kind: str, user_id: str | None = None) -> Iterator[psycopg.Connection]:
    """Run the block in a transaction as anon / user / admin / service_role, rolled back afterwards."""
    role, claims = claims_for(kind, user_id)
    tx = connection.transaction(force_rollback=True)
    with tx:
        set_claims(connection, role, claims)
        yield connection


@pytest.fixture
def as_role():
    return acting_as


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture
def capture() -> Iterator[Capture]:
    """Capture servers standing in for Resend, Slack and Twilio; every request must match its provider's shape."""
    cap = start_capture()
    yield cap
    cap.server.stop()
    assert cap.problems == []
