"""`export --into PATH`: supalert's migrations as files of the app's own `supabase/migrations`, for teams that deploy
only with `supabase db push` (and Supabase Branching, which runs the repository's migrations on preview branches).

Each exported file carries one supalert migration, versioned after the folder's newest file (the CLI refuses a file
older than the newest one applied). Its body runs at most once per database: under supalert's migration lock it is
skipped where supalert's history already has that migration (applied by `deploy.py migrate`, or by an earlier
push), and otherwise it runs and records itself in supalert's history, in the CLI's one transaction per file. So
`migrate` and `supabase db push` can be used in either order without applying anything twice, and a second export
writes only what is new.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from supalert.errors import SupalertError
from supalert.migrations import HISTORY, HISTORY_DDL, LOCK_KEY, MigrationFile, Report, discover

# The line that names the supalert migration an exported file carries; export reads it back on the next run.
MARK = re.compile(
    r"^-- supalert-export: (?P<version>\d{14})_(?P<name>\S+?)\.sql sha256=(?P<sha256>[0-9a-f]{64})$", re.M
)
CLI_FILE = re.compile(r"^(?P<version>\d+)_.*\.sql$")
VERSION_FORMAT = "%Y%m%d%H%M%S"


@dataclass(frozen=True)
class Exported:
    path: Path
    version: str  # the supalert migration it carries
    sha256: str


def resolve_folder(path: Path) -> Path:
    """The app's migrations folder: PATH itself, or PATH/supabase/migrations when PATH is the app's root."""
    for candidate in (path / "supabase" / "migrations", path):
        if candidate.is_dir():
            return candidate
    raise SupalertError(
        f"{path} is not a folder",
        "give the app's supabase/migrations folder (or the app's root); `supabase init` makes one",
    )


def already_exported(folder: Path) -> dict[str, Exported]:
    """supalert version -> the exported file in `folder` that carries it."""
    found: dict[str, Exported] = {}
    for path in sorted(folder.glob("*.sql")):
        match = MARK.search(path.read_text(encoding="utf-8", errors="replace"))
        if match:
            found[match["version"]] = Exported(path, match["version"], match["sha256"])
    return found


def next_versions(folder: Path, count: int, now: datetime) -> list[str]:
    """`count` versions after every file in `folder` (and not before now, as `supabase migration new` names)."""
    versions = [int(m["version"]) for p in folder.iterdir() if (m := CLI_FILE.match(p.name))]
    start = now.astimezone(UTC).replace(microsecond=0)
    if versions and max(versions) >= int(start.strftime(VERSION_FORMAT)):
        newest = str(max(versions))
        try:
            start = datetime.strptime(newest[:14], VERSION_FORMAT).replace(tzinfo=UTC) + timedelta(seconds=1)
        except ValueError:
            raise SupalertError(
                f"the newest migration in {folder} has version {newest}, which is not a UTC timestamp",
                "name the app's migrations <YYYYMMDDHHMMSS>_<name>.sql as `supabase migration new` does",
            ) from None
    return [(start + timedelta(seconds=i)).strftime(VERSION_FORMAT) for i in range(count)]


def _tag(text: str, base: str) -> str:
    """A dollar-quote tag that does not occur in `text`."""
    tag, n = f"${base}$", 0
    while tag in text:
        n += 1
        tag = f"${base}_{n}$"
    return tag


def render(item: MigrationFile, filename: str) -> str:
    """The exported file for supalert migration `item`, to be saved as `filename`."""
    body_tag = _tag(item.text, "supalert_body")
    block_tag = _tag(item.text, "supalert_export")
    ddl = "".join(f"{statement};\n" for statement in HISTORY_DDL)
    return f"""-- supalert migration {item.path.name}, exported by `python deploy.py export`: do not edit.
-- supalert-export: {item.path.name} sha256={item.sha256}
-- Its body runs once per database, in this file's transaction: it is skipped where supalert's history
-- ({HISTORY}) already has migration {item.version} (applied by `python deploy.py migrate` or an earlier push),
-- and it records itself there, so `deploy.py migrate` and `supabase db push` never apply it twice.
select pg_catalog.pg_advisory_xact_lock({LOCK_KEY});
{ddl}
do {block_tag}
begin
    if exists (select from {HISTORY} where version = '{item.version}') then
        raise notice 'supalert migration % is already applied here; nothing to do', '{item.path.name}';
        return;
    end if;
    execute {body_tag}
{item.text.rstrip()}
{body_tag};
    insert into {HISTORY} (version, name, sha256, applied_via)
    values ('{item.version}', '{item.name}', '{item.sha256}', 'supabase db push ({filename})');
end
{block_tag};
"""


def export(source: Path, into: Path, *, now: datetime | None = None, report: Report = print) -> list[Path]:
    """Write the supalert migrations of `source` that `into` does not carry yet. Returns the files written."""
    folder = resolve_folder(into)
    files = discover(source)
    exported = already_exported(folder)
    for item in files:
        carried = exported.get(item.version)
        if carried and carried.sha256 != item.sha256:
            report(
                f"warning: {carried.path.name} carries {item.path.name} with another checksum "
                "(one of the two was edited); left as it is"
            )
    missing = [item for item in files if item.version not in exported]
    versions = next_versions(folder, len(missing), now or datetime.now(UTC))
    written: list[Path] = []
    for item, version in zip(missing, versions, strict=True):
        path = folder / f"{version}_supalert_{item.name}.sql"
        path.write_text(render(item, path.name), encoding="utf-8")
        written.append(path)
        report(f"wrote {path} (supalert migration {item.path.name})")
    return written
