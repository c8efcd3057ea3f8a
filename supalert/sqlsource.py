"""sql/ is the readable source of every function and cron job; migrations carry copies of it.

`new-migration` copies each sql/ file whose content differs from its last copy in the migrations into a new
migration, between marker comments that name the file and its sha256. The markers are how the next run knows what
the migrations already define; tests/test_sql_sources.py proves the database agrees.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from supalert.errors import SupalertError
from supalert.migrations import discover

# Functions first (rules and jobs call them), then rule metrics, then the jobs that schedule them.
SOURCE_FOLDERS = ("functions", "rules", "cron")
MARKER = re.compile(
    r"^-- supalert:(?:source (?P<path>\S+) sha256=(?P<sha>[0-9a-f]{64})|removed (?P<removed>\S+))$", re.M
)
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class SourceFile:
    relpath: str  # e.g. sql/rules/error_count.sql
    text: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    def as_block(self) -> str:
        body = self.text if self.text.endswith("\n") else self.text + "\n"
        return f"-- supalert:source {self.relpath} sha256={self.sha256}\n{body}-- supalert:end {self.relpath}\n"


def source_files(root: Path) -> list[SourceFile]:
    files = []
    for folder in SOURCE_FOLDERS:
        for path in sorted((root / "sql" / folder).glob("*.sql")):
            files.append(SourceFile(path.relative_to(root).as_posix(), path.read_text(encoding="utf-8")))
    return files


def migrated_checksums(migrations: Path) -> dict[str, str]:
    """For each sql/ path, the sha256 of its latest copy in the migrations."""
    latest: dict[str, str] = {}
    for item in discover(migrations):
        for match in MARKER.finditer(item.text):
            if match["removed"]:
                latest.pop(match["removed"], None)
            else:
                latest[match["path"]] = match["sha"]
    return latest


def changed_sources(root: Path, migrations: Path) -> tuple[list[SourceFile], list[str]]:
    """(sql/ files that differ from the migrations, paths the migrations carry that sql/ no longer has)."""
    latest = migrated_checksums(migrations)
    files = source_files(root)
    changed = [f for f in files if latest.get(f.relpath) != f.sha256]
    present = {f.relpath for f in files}
    removed = sorted(path for path in latest if path not in present)
    return changed, removed


def next_version(migrations: Path, now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).replace(microsecond=0)
    existing = [item.version for item in discover(migrations)]
    if existing and stamp.strftime("%Y%m%d%H%M%S") <= existing[-1]:
        stamp = datetime.strptime(existing[-1], "%Y%m%d%H%M%S").replace(tzinfo=UTC) + timedelta(seconds=1)
    return stamp.strftime("%Y%m%d%H%M%S")


def write_migration(root: Path, migrations: Path, name: str) -> tuple[Path, list[SourceFile], list[str]]:
    """Write <version>_<name>.sql holding every changed sql/ file. Returns (path, files copied, removed paths)."""
    if not NAME_PATTERN.match(name):
        raise SupalertError(
            f"migration name {name!r} is not allowed", "use letters, digits, _ and - only, e.g. add_rule_x"
        )
    changed, removed = changed_sources(root, migrations)
    version = next_version(migrations)
    path = migrations / f"{version}_{name}.sql"
    header = [
        f"-- {version}_{name}: written by `python deploy.py new-migration {name}`.",
        "-- Blocks between supalert:source and supalert:end are copies of sql/; change sql/ and generate a new",
        "-- migration instead of editing them. Hand-written statements may go above or below the blocks.",
    ]
    for relpath in removed:
        header += [
            f"-- supalert:removed {relpath}",
            f"-- sql/ no longer has {relpath}: drop what it defined, by hand.",
        ]
    if not changed:
        header.append("-- No sql/ file changed since the last migration.")
    path.write_text("\n".join(header) + "\n\n" + "\n".join(f.as_block() for f in changed))
    return path, changed, removed
