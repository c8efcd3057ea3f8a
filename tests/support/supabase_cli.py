"""The real Supabase CLI (pinned in tools/), run without telemetry."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from supalert.paths import PROJECT_ROOT, tools_bin

SUPABASE = tools_bin() / "supabase"


def supabase(*args: str, cwd: Path = PROJECT_ROOT, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "SUPABASE_TELEMETRY_DISABLED": "1", "DO_NOT_TRACK": "1"}
    return subprocess.run(
        [str(SUPABASE), *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout, input="y\n"
    )
