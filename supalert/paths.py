"""Where the project's files live. One place, so tests can point elsewhere through the environment."""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def project_root() -> Path:
    return Path(os.environ.get("SUPALERT_PROJECT_ROOT", PROJECT_ROOT))


def migrations_dir() -> Path:
    return Path(os.environ.get("SUPALERT_MIGRATIONS_DIR", project_root() / "supabase" / "migrations"))


def tools_bin() -> Path:
    return project_root() / "tools" / "node_modules" / ".bin"
