"""Which database a command talks to, and the one connection it opens: the URL given, else $SUPABASE_DB_URL or
$DATABASE_URL, else the embedded local database (started when needed, said in one line)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from supalert import localdb
from supalert.dburl import DbTarget, check_not_transaction_pooler, connect, redact, target_from
from supalert.render import say


def resolve_target(db_url: str | None) -> DbTarget:
    """The database to use; a transaction-pooler URL is refused (a migration needs one session)."""
    target = target_from(db_url)
    if target is not None:
        check_not_transaction_pooler(target.url)
        return target
    cluster = localdb.LocalCluster()
    started = cluster.start()
    url = cluster.url()
    say(
        f"no --db-url, SUPABASE_DB_URL or DATABASE_URL: using the embedded local database {redact(url)}"
        + (" (started it)" if started else " (already running)")
    )
    return DbTarget(url, "local")


@contextmanager
def opened(db_url: str | None) -> Iterator[tuple[DbTarget, psycopg.Connection]]:
    """(target, autocommit connection), closed at the end of the block."""
    target = resolve_target(db_url)
    with connect(target.url) as conn:
        yield target, conn
