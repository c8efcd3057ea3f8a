"""Calling supalert's edge functions (send-alert-notification, check-alert-triggers) with supabase-functions.

Where they live: SUPALERT_FUNCTIONS_URL, else SUPABASE_URL + /functions/v1. The credential: ALERT_DISPATCH_SECRET,
else SUPABASE_SERVICE_ROLE_KEY. Neither is ever printed.
"""

from __future__ import annotations

import os
from typing import Any

import httpx
from supabase_functions import SyncFunctionsClient
from supabase_functions.errors import FunctionsError

from supalert.errors import SupalertError


def client(timeout: float = 60) -> SyncFunctionsClient:
    base = os.environ.get("SUPALERT_FUNCTIONS_URL") or (
        os.environ["SUPABASE_URL"].rstrip("/") + "/functions/v1" if os.environ.get("SUPABASE_URL") else None
    )
    if not base:
        raise SupalertError(
            "no edge-function URL configured",
            "set SUPABASE_URL=https://<ref>.supabase.co (or SUPALERT_FUNCTIONS_URL for a local server)",
        )
    token = os.environ.get("ALERT_DISPATCH_SECRET") or os.environ.get("SUPABASE_SERVICE_ROLE_KEY")
    if not token:
        raise SupalertError(
            "no credential for the edge functions",
            "set ALERT_DISPATCH_SECRET (or SUPABASE_SERVICE_ROLE_KEY) to the value the functions expect",
        )
    # Our own HTTP client: plain HTTP/1.1 (no h2 dependency) and an explicit timeout.
    return SyncFunctionsClient(base, {"Authorization": f"Bearer {token}"}, http_client=httpx.Client(timeout=timeout))


def invoke(name: str, body: dict[str, Any], timeout: float = 60) -> dict[str, Any]:
    """POST `body` to function `name`; its JSON answer, or a SupalertError with the function's own error."""
    functions = client(timeout)
    try:
        answer = functions.invoke(name, {"body": body, "responseType": "json"})
    except FunctionsError as exc:
        raise SupalertError(f"{name} answered {exc.status}: {exc.message}") from None
    except httpx.HTTPError as exc:
        raise SupalertError(
            f"cannot reach {name} at {functions.url}: {type(exc).__name__}",
            "check SUPABASE_URL / SUPALERT_FUNCTIONS_URL and that the function is deployed (or served)",
        ) from None
    if not isinstance(answer, dict):
        raise SupalertError(f"{name} answered something that is not a JSON object")
    return answer
