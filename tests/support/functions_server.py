"""Serving the edge functions with the real Deno on 127.0.0.1 (supabase/functions/local_server.ts routes
/functions/v1/<name> like Supabase does), against a test database and the capture servers."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import httpx

from supalert.paths import project_root, tools_bin

DISPATCH_SECRET = "dispatch-secret-for-tests-0123456789"
LISTENING = re.compile(r"Listening on (http://[\d.]+:\d+)/")


@dataclass
class FunctionsServer:
    url: str  # base URL, e.g. http://127.0.0.1:PORT/functions/v1
    process: subprocess.Popen
    output: list[str]

    def call(self, name: str, body: object = None, *, token: str | None = DISPATCH_SECRET, method: str = "POST",
             raw: bytes | None = None, timeout: float = 60) -> httpx.Response:  # fmt: skip
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if raw is not None:
            return httpx.request(method, f"{self.url}/{name}", content=raw, headers=headers, timeout=timeout)
        return httpx.request(method, f"{self.url}/{name}", json=body, headers=headers, timeout=timeout)


@contextlib.contextmanager
def serve_functions(db_url: str, extra_env: dict[str, str]) -> Iterator[FunctionsServer]:
    root = project_root()
    env = {
        **os.environ,
        "PORT": "0",
        "SUPABASE_DB_URL": db_url,
        "ALERT_DISPATCH_SECRET": DISPATCH_SECRET,
        "PROVIDER_TIMEOUT_MS": "3000",
        "DISPATCH_BUDGET_MS": "20000",
        **extra_env,
    }
    process = subprocess.Popen(
        [str(tools_bin() / "deno"), "run", "--no-prompt", "--allow-net", "--allow-env",
         "--config", str(root / "supabase/functions/deno.json"), str(root / "supabase/functions/local_server.ts")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=root,
    )  # fmt: skip
    output: list[str] = []
    ready = threading.Event()
    found: dict[str, str] = {}

    def pump() -> None:
        for line in process.stdout:
            output.append(line)
            match = LISTENING.search(line)
            if match and not ready.is_set():
                found["url"] = match[1]
                ready.set()

    threading.Thread(target=pump, daemon=True).start()
    try:
        if not ready.wait(60):
            raise RuntimeError("the functions server did not start:\n" + "".join(output[-20:]))
        yield FunctionsServer(found["url"] + "/functions/v1", process, output)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
