"""Migrating a test database only up to a given migration, as an older release left it."""

from __future__ import annotations

import psycopg

from supalert import migrations
from supalert.paths import migrations_dir

FIRST_RELEASE = "20261129191000"  # the newest migration of the first landed release
# Migrations added later with a version that sorts before a release's own (they must run first on a fresh install):
# not part of that release.
ADDED_LATER = {"20261129184459"}


def migrate_through(conn: psycopg.Connection, version: str) -> None:
    """Apply the project's migrations up to and including `version`, as the release that ended there left them."""
    files = [item for item in migrations.discover(migrations_dir()) if item.version not in ADDED_LATER]
    migrations.migrate(conn, files, until=version, report=lambda _line: None)


def migrate_to_head(conn: psycopg.Connection) -> migrations.MigrateResult:
    return migrations.migrate(conn, migrations_dir(), report=lambda _line: None)
