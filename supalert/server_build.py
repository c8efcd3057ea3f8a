"""Which PostgreSQL 15 binaries supalert's own clusters run: Debian's, or the private copy that
scripts/build_extensions.sh made with supautils, pg_cron 1.6, pg_net and supabase_vault built in.

The set-up records what it built (or why it built nothing) in .local/pg-extensions.json; this module reads it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from supalert.paths import project_root

SYSTEM_BIN = Path("/usr/lib/postgresql/15/bin")
# The extensions a hosted project has that Debian 12 does not package at Supabase's versions.
VENDORED = ("supautils", "pg_cron", "pg_net", "supabase_vault")


@dataclass(frozen=True)
class ServerBuild:
    bin: Path
    # name -> release, for the vendored extensions this build holds (empty for Debian's own binaries)
    extensions: dict[str, str] = field(default_factory=dict)
    # why the vendored extensions are absent, for the tests' skip reasons
    missing_reason: str | None = None

    def has(self, name: str) -> bool:
        return name in self.extensions

    @property
    def hosted_extensions(self) -> bool:
        """True when supautils, pg_cron 1.6, pg_net and Vault are all here, as on a hosted project."""
        return all(self.has(name) for name in VENDORED)

    @property
    def lib_dir(self) -> Path:
        return self.bin.parent / "lib"

    @property
    def share_dir(self) -> Path:
        return self.bin.parent.parent.parent.parent / "share" / "postgresql" / "15"


def manifest_path() -> Path:
    return project_root() / ".local" / "pg-extensions.json"


def server_build() -> ServerBuild:
    """The build to run: SUPALERT_PG_BIN when set (Debian's layout assumed), else what the set-up recorded."""
    if os.environ.get("SUPALERT_PG_BIN"):
        return ServerBuild(Path(os.environ["SUPALERT_PG_BIN"]), {}, "SUPALERT_PG_BIN names the binaries")
    path = manifest_path()
    try:
        recorded = json.loads(path.read_text())
    except FileNotFoundError:
        return ServerBuild(SYSTEM_BIN, {}, f"{path} is missing: run `make setup`")
    except (OSError, ValueError) as exc:
        return ServerBuild(SYSTEM_BIN, {}, f"{path} is unreadable ({exc}): run `make setup`")
    if "bin" not in recorded:
        return ServerBuild(SYSTEM_BIN, {}, recorded.get("skipped", "the set-up built no extensions"))
    build = ServerBuild(Path(recorded["bin"]), dict(recorded.get("extensions", {})))
    if not (build.bin / "postgres").exists():
        return ServerBuild(SYSTEM_BIN, {}, f"{build.bin} (recorded in {path}) is gone: run `make setup`")
    return build
