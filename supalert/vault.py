"""`secrets set`: the two Vault secrets the pg_cron -> pg_net -> check-alert-triggers call reads. Idempotent:
an existing secret of the same name is updated (Vault refuses a second secret with one name)."""

from __future__ import annotations

import psycopg

from supalert.errors import SupalertError

SECRETS = {
    "supalert_project_url": "Base URL of the Supabase project, for pg_net to reach supalert's edge functions",
    "supalert_dispatch_secret": "Credential check-alert-triggers accepts (ALERT_DISPATCH_SECRET)",
}


def store(conn: psycopg.Connection, values: dict[str, str]) -> dict[str, str]:
    """Create or update each named secret; returns name -> 'created' | 'updated' | 'unchanged'."""
    if not conn.execute("select to_regproc('vault.create_secret') is not null").fetchone()[0]:
        raise SupalertError(
            "Supabase Vault is not installed in this database, so pg_cron cannot call the functions by itself",
            "on Supabase, enable Vault and pg_net; elsewhere, schedule `python deploy.py dispatch` every minute",
        )
    outcome: dict[str, str] = {}
    with conn.transaction():
        for name, value in values.items():
            row = conn.execute(
                "select id, decrypted_secret = %s from vault.decrypted_secrets where name = %s", (value, name)
            ).fetchone()
            if row is None:
                conn.execute("select vault.create_secret(%s, %s, %s)", (value, name, SECRETS[name]))
                outcome[name] = "created"
            elif row[1]:
                outcome[name] = "unchanged"
            else:
                conn.execute("select vault.update_secret(%s, %s)", (row[0], value))
                outcome[name] = "updated"
    return outcome
