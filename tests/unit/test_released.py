"""Released migrations are frozen (supabase/released.sha256): the project's own pass, and each way to break the
rule is caught, naming the file and the fix. No database."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from supalert import released
from supalert.errors import SupalertError
from supalert.migrations import discover
from supalert.paths import migrations_dir


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A copy of supabase/ (migrations and manifest) to break."""
    shutil.copytree(migrations_dir(), tmp_path / "migrations")
    shutil.copy(released.manifest_path(migrations_dir()), tmp_path / "released.sha256")
    return tmp_path / "migrations"


def test_the_projects_released_migrations_are_unchanged():
    assert released.read_manifest(migrations_dir()), "supabase/released.sha256 lists the landed migrations"
    assert released.problems(migrations_dir()) == []


def test_a_released_migration_edited_in_place_is_named_with_the_fix(folder):
    first = discover(folder)[0].path
    first.write_text(first.read_text() + "\n-- one more line\n")
    assert released.problems(folder) == [
        f"released migration {first.name} changed: restore it (git checkout main -- {first.name}) "
        "and put the change in a new migration (python deploy.py new-migration NAME)"
    ]


def test_a_released_migration_deleted_is_named(folder):
    first = discover(folder)[0].path
    first.unlink()
    assert released.problems(folder) == [
        f"released migration {first.name} is missing: restore it (git checkout -- supabase/migrations)"
    ]


def test_a_new_migration_slipped_before_a_released_one_is_refused(folder):
    (folder / "20261129000000_early.sql").write_text("-- 20261129000000_early: by hand\nselect 1;\n")
    (problem,) = released.problems(folder)
    assert problem.startswith("migration 20261129000000_early.sql sorts before the released ")


def test_an_unreleased_migration_whose_header_names_another_version_is_reported(folder):
    (folder / "29991231000000_late.sql").write_text("-- 29991230000000_late: written by hand\nselect 1;\n")
    assert released.problems(folder) == [
        "migration 29991231000000_late.sql says it is version 29991230000000 in its first line: "
        "rename the file or fix the header, before it is released"
    ]


def test_releasing_lists_only_the_new_migrations_and_then_freezes_them(folder):
    new = folder / "29991231000000_late.sql"
    new.write_text("-- 29991231000000_late: by hand\nselect 1;\n")
    assert released.problems(folder) == []  # not released yet: still free to change
    assert released.release_all(folder)[-1] == new.name  # after any not released yet in the tree
    assert released.release_all(folder) == []
    new.write_text("-- 29991231000000_late: by hand\nselect 2;\n")
    assert [p.split(":")[0] for p in released.problems(folder)] == [f"released migration {new.name} changed"]


def test_a_malformed_manifest_line_names_its_line(folder):
    manifest = released.manifest_path(folder)
    manifest.write_text(manifest.read_text() + "not a line\n")
    with pytest.raises(SupalertError, match=r"released.sha256:\d+: not '<sha256>  migrations/<file>.sql'"):
        released.read_manifest(folder)
