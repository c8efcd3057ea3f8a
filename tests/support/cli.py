"""Running `python deploy.py` as a user would, and what a clean refusal looks like."""

from __future__ import annotations

import os
import subprocess
import sys

from supalert.paths import PROJECT_ROOT


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run `python deploy.py ARGS` from the project root, capturing output."""
    return subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "deploy.py"), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=PROJECT_ROOT,
        timeout=timeout,
    )


def assert_clean_error(done: subprocess.CompletedProcess, *fragments: str) -> None:
    """A failure reported on one `error:` line holding every fragment, and no traceback."""
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stderr + done.stdout
    error_lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1, done.stderr
    for fragment in fragments:
        assert fragment in error_lines[0], error_lines[0]
