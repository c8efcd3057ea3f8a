"""The shipped runbooks as dashboard pages: rules/<key>.md rendered to HTML, the page every notification of a
shipped rule links to (monitoring.runbook_url). Raw HTML in the Markdown is escaped, never passed through."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

from supalert.paths import project_root
from supalert.rules.stems import FOLDER

KEY = re.compile(r"^[a-z][a-z0-9_]*$")
RENDERER = MarkdownIt("commonmark", {"html": False}).enable("table")


def available() -> set[str]:
    """The rule keys that have a runbook file."""
    return {path.stem for path in (project_root() / FOLDER).glob("*.md") if KEY.match(path.stem)}


def render(key: str) -> str | None:
    """The runbook of `key` as HTML, or None when there is no such rule file (or the key is not a rule key)."""
    if not KEY.match(key):
        return None
    path = project_root() / FOLDER / f"{key}.md"
    if not path.is_file():
        return None
    return RENDERER.render(path.read_text(encoding="utf-8"))
