"""sql/ is the readable source of every function and cron job, and rules/ of every shipped rule; migrations carry
copies of them.

`new-migration` copies each sql/ file whose content differs from its last copy in the migrations into a new
migration, and each rule file's insert statement (supalert.rules.stems) likewise, between marker comments that name
the file and the sha256 of what is copied. The markers are how the next run knows what the migrations already
define; tests/test_sql_sources.py and tests/test_rule_files.py prove the database agrees.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from supalert.errors import SupalertError
from supalert.migrations import discover
from supalert.rules import stems

# The folders of sql/, in the order their files are written into a migration. Order matters only for what Postgres
# checks at creation (a `language sql` body's references, a job's schedule call): security first (everything
# calls require_admin), then the engine, the outbox, the monitor, people's actions, housekeeping and the API, then
# the rules' metrics, then the pg_cron jobs that call all of them. plpgsql bodies are checked only when they run.
SOURCE_FOLDERS = (
    "security",
    "engine",
    "health",
    "outbox",
    "monitor",
    "actions",
    "housekeeping",
    "api",
    "metrics",
    "cron",
)
# source: a copy follows. adopted: what an earlier, hand-written migration installed, recorded without a copy (the
# rules seeded before rules/ existed). removed, moved: a file gone from sql/, or moved within it.
MARKER = re.compile(
    r"^-- supalert:(?:(?:source|adopted) (?P<path>\S+) sha256=(?P<sha>[0-9a-f]{64})|removed (?P<removed>\S+)"
    r"|moved (?P<old>\S+) -> (?P<new>\S+))$",
    re.M,
)
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class SourceFile:
    relpath: str  # e.g. sql/metrics/metric_error_count.sql
    text: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    def as_block(self) -> str:
        body = self.text if self.text.endswith("\n") else self.text + "\n"
        return f"-- supalert:source {self.relpath} sha256={self.sha256}\n{body}-- supalert:end {self.relpath}\n"


def source_files(root: Path) -> list[SourceFile]:
    """Every sql/ file, folder by folder in SOURCE_FOLDERS order, by name within a folder. A .sql file anywhere
    else in sql/ would never reach a migration: an error naming it."""
    files = []
    for folder in SOURCE_FOLDERS:
        for path in sorted((root / "sql" / folder).glob("*.sql")):
            files.append(SourceFile(path.relative_to(root).as_posix(), path.read_text(encoding="utf-8")))
    listed = {f.relpath for f in files}
    stray = sorted(p.relative_to(root).as_posix() for p in (root / "sql").rglob("*.sql"))
    stray = [path for path in stray if path not in listed]
    if stray:
        raise SupalertError(
            f"sql/ file(s) outside the known folders: {', '.join(stray)}",
            f"put each in one of sql/{{{','.join(SOURCE_FOLDERS)}}}/ (or add the folder to sqlsource.SOURCE_FOLDERS)",
        )
    return files


def rule_sources(root: Path) -> list[SourceFile]:
    """Every rules/*.md as the insert statement a migration carries for it, after every sql/ file (a rule's
    metric function must exist when its row is inserted)."""
    return [SourceFile(rule.relpath, rule.statement()) for rule in stems.rule_files(root)]


def migrated_checksums(migrations: Path) -> dict[str, str]:
    """For each sql/ and rules/ path, the sha256 of its latest copy in the migrations (a moved file under its new
    path)."""
    latest: dict[str, str] = {}
    for item in discover(migrations):
        for match in MARKER.finditer(item.text):
            if match["removed"]:
                latest.pop(match["removed"], None)
            elif match["old"]:
                if match["old"] in latest:
                    latest[match["new"]] = latest.pop(match["old"])
            else:
                latest[match["path"]] = match["sha"]
    return latest


@dataclass
class Changes:
    changed: list[SourceFile]  # new or different: copied into the next migration
    removed: list[str]  # paths the migrations carry that sql/ no longer has: their objects dropped by hand
    moved: list[tuple[str, str]]  # (old path, new path) of a file moved unchanged: a marker, no copy
    redefined: list[str]  # rule files whose rows already exist where an earlier migration installed them

    def __bool__(self) -> bool:
        return bool(self.changed or self.removed or self.moved)


def changed_sources(root: Path, migrations: Path) -> Changes:
    """How sql/ differs from what the migrations carry."""
    latest = migrated_checksums(migrations)
    files = source_files(root) + rule_sources(root)
    present = {f.relpath for f in files}
    gone = {path: sha for path, sha in latest.items() if path not in present}
    moved: list[tuple[str, str]] = []

    def moved_here(f: SourceFile, same: Callable[[str, str], bool]) -> bool:
        """Claims the gone path `same` picks as the old place of f, a file at a path the migrations never had."""
        old = None if f.relpath in latest else next((p for p, sha in gone.items() if same(p, sha)), None)
        if old is not None:
            moved.append((old, f.relpath))
            del gone[old]
        return old is not None

    changed: list[SourceFile] = []
    for f in files:
        if latest.get(f.relpath) != f.sha256 and not moved_here(f, lambda _path, sha, f=f: sha == f.sha256):
            changed.append(f)
    # Then a file moved and changed at once, which keeps its name: moved, and copied.
    for f in changed:
        moved_here(f, lambda path, _sha, f=f: Path(path).name == Path(f.relpath).name)
    redefined = [f.relpath for f in changed if f.relpath.startswith(f"{stems.FOLDER}/") and f.relpath in latest]
    return Changes(changed, sorted(gone), moved, redefined)


def next_version(migrations: Path, now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).replace(microsecond=0)
    existing = [item.version for item in discover(migrations)]
    if existing and stamp.strftime("%Y%m%d%H%M%S") <= existing[-1]:
        stamp = datetime.strptime(existing[-1], "%Y%m%d%H%M%S").replace(tzinfo=UTC) + timedelta(seconds=1)
    return stamp.strftime("%Y%m%d%H%M%S")


def write_migration(root: Path, migrations: Path, name: str) -> tuple[Path, Changes]:
    """Write <version>_<name>.sql holding every changed sql/ file and rule definition, and a marker for each moved
    or removed one; then the README's rules table from rules/."""
    if not NAME_PATTERN.match(name):
        raise SupalertError(
            f"migration name {name!r} is not allowed", "use letters, digits, _ and - only, e.g. add_rule_x"
        )
    changes = changed_sources(root, migrations)
    version = next_version(migrations)
    path = migrations / f"{version}_{name}.sql"
    header = [
        f"-- {version}_{name}: written by `python deploy.py new-migration {name}`.",
        "-- Blocks between supalert:source and supalert:end are copies of sql/ and of the rules/ definitions; change",
        "-- those and generate a new migration instead of editing them. Hand-written statements may go above or",
        "-- below the blocks.",
    ]
    for relpath in changes.redefined:
        header += [
            f"-- {relpath} changed: its insert below reaches only databases without the rule;",
            "-- update the existing rows by hand if they should change too (a project may have tuned them).",
        ]
    header += [f"-- supalert:moved {old} -> {new}" for old, new in changes.moved]
    for relpath in changes.removed:
        header += [
            f"-- supalert:removed {relpath}",
            f"-- sql/ no longer has {relpath}: drop what it defined, by hand.",
        ]
    if not changes.changed:
        header.append("-- No sql/ or rules/ file changed since the last migration.")
    path.write_text("\n".join(header) + "\n\n" + "\n".join(f.as_block() for f in changes.changed))
    stems.write_readme(root, stems.rule_files(root))
    return path, changes
