"""`secrets set`: the two Vault secrets the pg_cron -> pg_net -> check-alert-triggers call reads. Idempotent:
an existing secret of the same name is updated (Vault refuses a second secret with one name)."""

from __future__ import annotations

import psycopg

from supalert.errors import SupalertError

SECRETS = {
    "supalert_project_url": "Base URL of the Supabase project, for pg_net to reach supalert's edge functions",
    "supalert_dispatch_secret": "Credential check-alert-triggers accepts (ALERT_DISPATCH_SECRET)",
}


MIN_SECRET = 16


def dispatch_values(project_url: str, secret: str) -> dict[str, str]:
    """The two secrets' values, refused (naming the fix) when the secret is short or the URL is not one."""
    if len(secret) < MIN_SECRET:
        raise SupalertError(
            f"ALERT_DISPATCH_SECRET is missing or shorter than {MIN_SECRET} characters",
            "export ALERT_DISPATCH_SECRET=$(openssl rand -hex 24), set the same value as a function secret, retry",
        )
    if not project_url.startswith(("https://", "http://")):
        raise SupalertError(f"--project-url {project_url!r} is not a URL", "use https://<ref>.supabase.co")
    return {"supalert_project_url": project_url.rstrip("/"), "supalert_dispatch_secret": secret}


def store(conn: psycopg.Connection, project_url: str, secret: str) -> dict[str, str]:
    """Create or update the two secrets (checked by dispatch_values first); returns name -> 'created' |
    'updated' | 'unchanged'."""
    values = dispatch_values(project_url, secret)
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
