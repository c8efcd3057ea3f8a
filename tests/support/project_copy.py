"""A scratch copy of what `new-migration` reads and writes (sql/, rules/, the migrations, the README)."""

from __future__ import annotations

import shutil
from pathlib import Path

from supalert.paths import migrations_dir, project_root


def project_copy(where: Path) -> Path:
    root = where / "project"
    for folder in ("sql", "rules"):
        shutil.copytree(project_root() / folder, root / folder)
    shutil.copytree(migrations_dir(), root / "migrations")
    shutil.copy(project_root() / "README.md", root / "README.md")
    return root
