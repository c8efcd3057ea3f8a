"""Released migrations are frozen: supabase/released.sha256 lists each with its sha256 (`sha256sum` format, so
`cd supabase && sha256sum -c released.sha256` checks it without supalert). A listed file that changed, a migration
slipped in before a released one, or an unreleased file whose header names another version is a problem that
`new-migration --check` and the test suite report. A change lands; its migrations are then listed (`new-migration
--release`), and from then on only a new migration may change what they did.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from supalert.errors import SupalertError
from supalert.migrations import MigrationFile, discover

LINE = re.compile(r"^(?P<sha>[0-9a-f]{64})  migrations/(?P<name>\S+\.sql)$")
HEADER = re.compile(r"^-- (?P<version>\d{14})_")


def file_sha256(path: Path) -> str:
    """Of the file's bytes, as sha256sum computes it (MigrationFile.sha256 hashes the text read with newline
    translation, which a CRLF file would change)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest_path(migrations: Path) -> Path:
    return migrations.parent / "released.sha256"


def read_manifest(migrations: Path) -> dict[str, str]:
    """File name -> sha256 of every released migration (empty when nothing is released)."""
    path = manifest_path(migrations)
    if not path.exists():
        return {}
    released: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        match = LINE.match(line)
        if not match:
            raise SupalertError(
                f"{path}:{number}: not '<sha256>  migrations/<file>.sql': {line!r}",
                "restore the file (git checkout -- supabase/released.sha256); add lines with new-migration --release",
            )
        released[match["name"]] = match["sha"]
    return released


def problems(migrations: Path) -> list[str]:
    """Every way the migrations break the append-only rule, each naming the file and the fix."""
    released = read_manifest(migrations)
    files = {item.path.name: item for item in discover(migrations)}
    found: list[str] = []
    for name, sha in released.items():
        item = files.get(name)
        if item is None:
            found.append(f"released migration {name} is missing: restore it (git checkout -- supabase/migrations)")
        elif file_sha256(item.path) != sha:
            found.append(
                f"released migration {name} changed: restore it (git checkout main -- {item.path.name}) "
                "and put the change in a new migration (python deploy.py new-migration NAME)"
            )
    newest = max((files[n].version for n in released if n in files), default="")
    for item in files.values():
        if item.path.name in released:
            continue
        if item.version <= newest:
            found.append(
                f"migration {item.path.name} sorts before the released {newest}: an installed database would "
                "never run it in order; give it a later version (python deploy.py new-migration NAME)"
            )
        found.extend(_header_problem(item))
    return found


def _header_problem(item: MigrationFile) -> list[str]:
    match = HEADER.match(item.text)
    if match and match["version"] != item.version:
        return [
            f"migration {item.path.name} says it is version {match['version']} in its first line: "
            "rename the file or fix the header, before it is released"
        ]
    return []


def release_all(migrations: Path) -> list[str]:
    """List every migration not yet released (in version order); returns their names."""
    released = read_manifest(migrations)
    added = [item for item in discover(migrations) if item.path.name not in released]
    if added:
        with manifest_path(migrations).open("a", encoding="utf-8") as out:
            for item in added:
                out.write(f"{file_sha256(item.path)}  migrations/{item.path.name}\n")
    return [item.path.name for item in added]
