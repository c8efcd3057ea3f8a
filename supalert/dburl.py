"""Choosing, checking, printing and opening database URLs. Passwords never leave this module in clear."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from supalert.errors import SupalertError

URL_ENV_VARS = ("SUPABASE_DB_URL", "DATABASE_URL")
TRANSACTION_POOLER_PORT = "6543"


@dataclass(frozen=True)
class DbTarget:
    url: str
    source: str  # "--db-url", an environment variable name, or "local"

    @property
    def display(self) -> str:
        return redact(self.url)


def target_from(db_url: str | None) -> DbTarget | None:
    """The database named by --db-url or the environment, or None when the embedded local one should be used."""
    if db_url:
        return DbTarget(db_url, "--db-url")
    for name in URL_ENV_VARS:
        if os.environ.get(name):
            return DbTarget(os.environ[name], name)
    return None


def _params(url: str) -> dict[str, str]:
    try:
        return {k: str(v) for k, v in conninfo_to_dict(url).items()}
    except psycopg.ProgrammingError as exc:
        raise SupalertError(
            f"the database URL {redact(url)!r} is not valid: {_first_line(str(exc))}",
            "use the form postgresql://USER:PASSWORD@HOST:5432/postgres",
        ) from None


def redact(url: str) -> str:
    """The URL with any password replaced by ***; safe to print and log."""
    if "://" in url:
        return re.sub(r"^([a-z][a-z0-9+.-]*://[^:/@]*):[^@]*@", r"\1:***@", url, flags=re.I)
    return re.sub(r"(password\s*=\s*)(\S+)", r"\1***", url, flags=re.I)


def scrub(text: str, url: str) -> str:
    """Remove the URL's password from any text (driver messages may echo connection parameters)."""
    try:
        password = conninfo_to_dict(url).get("password")
    except psycopg.ProgrammingError:
        password = None
    return text.replace(str(password), "***") if password else text


def check_not_transaction_pooler(url: str) -> None:
    params = _params(url)
    if params.get("port") == TRANSACTION_POOLER_PORT:
        raise SupalertError(
            f"{redact(url)} is Supavisor's transaction pooler (port 6543); migrations need one session for the "
            "whole run (advisory lock, multi-statement transactions, DDL)",
            "use the direct connection (port 5432 on db.<ref>.supabase.co) or the session pooler (port 5432 on "
            "<region>.pooler.supabase.com)",
        )


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else text.strip()


def describe_connect_error(exc: psycopg.Error, url: str) -> SupalertError:
    """Turn a driver's connection failure into one actionable line, without the password."""
    text = scrub(str(exc), url)
    low = text.lower()
    where = redact(url)
    if "password authentication failed" in low or "no password supplied" in low:
        return SupalertError(
            f"cannot connect to {where}: the server rejected the password",
            "check the password in the URL (Supabase dashboard: Connect > Direct connection)",
        )
    if "does not exist" in low and "database" in low:
        return SupalertError(f"cannot connect to {where}: {_first_line(text)}", "check the database name in the URL")
    if "connection refused" in low or "could not connect" in low:
        return SupalertError(
            f"cannot connect to {where}: connection refused",
            "check the host and port, and that the server is running "
            "(for the embedded database: python deploy.py local start)",
        )
    if "timeout" in low or "timed out" in low:
        return SupalertError(
            f"cannot connect to {where}: timed out", "check the host, the port and any firewall between"
        )
    if "could not translate host name" in low or "name or service not known" in low:
        return SupalertError(f"cannot connect to {where}: unknown host", "check the host name in the URL")
    return SupalertError(f"cannot connect to {where}: {_first_line(text)}")


def connect(url: str, *, autocommit: bool = True, application_name: str = "supalert") -> psycopg.Connection:
    """Open one connection; every failure becomes a SupalertError naming the (redacted) URL."""
    _params(url)
    conninfo = make_conninfo(url, application_name=application_name, connect_timeout="10")
    try:
        return psycopg.connect(conninfo, autocommit=autocommit)
    except psycopg.Error as exc:
        raise describe_connect_error(exc, url) from None
