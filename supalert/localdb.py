"""The embedded local Postgres: one cluster in a git-ignored folder, run by the `postgres` OS user, shaped like a
hosted Supabase project: bootstrapped by the superuser `supabase_admin`, with `postgres` a non-superuser holding
Supabase's memberships and default privileges (supalert/hosted/). Where the set-up built them (server_build.py),
supautils, pg_cron 1.6, pg_net and Vault are loaded with Supabase's settings.

Used by `deploy.py local ...`, by `deploy.py migrate` when no URL is given, and (with other settings) by the tests.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from psycopg import sql

from supalert.dburl import connect
from supalert.errors import SupalertError
from supalert.paths import project_root
from supalert.server_build import ServerBuild, server_build

DEFAULT_PORT = 54329  # Supabase's local stack uses 54321-54327; 5432 is Debian's own cluster
SERVER_USER = "postgres"  # the OS user that runs the server
SUPERUSER = "supabase_admin"  # the bootstrap superuser, as on a hosted project
ROLE = "postgres"  # the role everything of supalert's runs as: not a superuser
RECORD = "cluster.json"  # beside the data folder: the binaries the cluster was made with
# Beside the data folder from initdb until the hosted shape is given: a first start that failed in between (a port
# in use) shapes it on the next start instead of leaving a cluster without `postgres`.
SHAPE_PENDING = "shape-pending"


def hosted_file(name: str) -> str:
    """A file of supalert/hosted/: the roles and database shape of a hosted project, supautils' settings."""
    return resources.files("supalert").joinpath("hosted", name).read_text()


def _as_server_user(argv: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root; run them as `postgres` then.
    if os.geteuid() == 0:
        return ["runuser", "-u", SERVER_USER, "--", *argv]
    return argv


def _server_user_can_write(path: Path) -> bool:
    if os.geteuid() != 0:
        return os.access(path, os.W_OK | os.X_OK)
    return subprocess.run(_as_server_user(["test", "-w", str(path), "-a", "-x", str(path)])).returncode == 0


def default_dir() -> Path:
    """The cluster folder: SUPALERT_LOCAL_DIR, else .local/postgres in the project.

    It makes .local/ (and hands it to `postgres` when run as root) to find out whether the server can use it; that
    is idempotent. When the project sits where `postgres` cannot reach (under /root, mode 0700), a folder under
    /var/tmp named after the project path is used instead, so two checkouts never share a cluster.
    """
    if os.environ.get("SUPALERT_LOCAL_DIR"):
        return Path(os.environ["SUPALERT_LOCAL_DIR"])
    preferred = project_root() / ".local" / "postgres"
    probe = preferred.parent
    probe.mkdir(parents=True, exist_ok=True)
    if _server_user_can_write(probe) or (os.geteuid() == 0 and _chown_ok(probe)):
        return preferred
    digest = hashlib.sha256(str(project_root()).encode()).hexdigest()[:12]
    return Path("/var/tmp") / f"supalert-{digest}" / "postgres"  # noqa: S108 - a fixed, per-project folder the `postgres` user owns


def _chown_ok(path: Path) -> bool:
    try:
        shutil.chown(path, SERVER_USER)
    except (LookupError, PermissionError, OSError):
        return False
    return _server_user_can_write(path)


def default_port() -> int:
    raw = os.environ.get("SUPALERT_LOCAL_PORT", str(DEFAULT_PORT))
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise SupalertError(f"SUPALERT_LOCAL_PORT={raw!r} is not a TCP port", "set it to a number such as 54329")
    return int(raw)


@dataclass
class LocalCluster:
    """A Postgres 15 cluster owned by this project. Settings go into supalert.conf, included by postgresql.conf."""

    base: Path = field(default_factory=default_dir)
    port: int = field(default_factory=default_port)
    cron_database: str = "postgres"
    settings: dict[str, str] = field(default_factory=dict)
    build: ServerBuild = field(default_factory=server_build)

    def __post_init__(self) -> None:
        # A cluster keeps running the binaries it was made with: its data may need their extensions.
        record = self.base / RECORD
        if record.exists():
            made = json.loads(record.read_text())
            self.build = ServerBuild(Path(made["bin"]), dict(made.get("extensions", {})))

    @property
    def bin(self) -> Path:
        return self.build.bin

    @property
    def data(self) -> Path:
        return self.base / "data"

    @property
    def socket_dir(self) -> Path:
        return self.base / "run"

    @property
    def log_file(self) -> Path:
        return self.base / "postgres.log"

    def url(self, dbname: str = "postgres", user: str = ROLE) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{dbname}?sslmode=disable"

    def superuser_url(self, dbname: str = "postgres") -> str:
        """For what only the platform does on a hosted project (roles, pre-installed extensions), never supalert."""
        return self.url(dbname, SUPERUSER)

    def initialized(self) -> bool:
        return (self.data / "PG_VERSION").exists()

    def made_by_older_release(self) -> bool:
        """True for a cluster an earlier supalert made, where `postgres` is the bootstrap superuser."""
        return self.initialized() and not (self.base / RECORD).exists()

    def running(self) -> bool:
        if not self.initialized():
            return False
        done = subprocess.run(
            _as_server_user([str(self.bin / "pg_ctl"), "status", "-D", str(self.data)]),
            capture_output=True,
            text=True,
        )
        return done.returncode == 0

    def _run(self, argv: list[str], what: str) -> None:
        done = subprocess.run(_as_server_user(argv), capture_output=True, text=True)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise SupalertError(
                f"{what} failed for the local cluster in {self.base}: {' / '.join(tail)}",
                f"see {self.log_file}; `python deploy.py local stop` then start again, or remove {self.base} "
                "to start from scratch",
            )

    def _prepare_dirs(self) -> None:
        if not (self.bin / "initdb").exists():
            raise SupalertError(
                f"Postgres 15 is not installed ({self.bin / 'initdb'} is missing)",
                "run `make setup` (installs postgresql-15 and pg_cron, and builds the vendored extensions)",
            )
        for path in (self.base, self.socket_dir):
            path.mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:
                shutil.chown(path, SERVER_USER)
        if not _server_user_can_write(self.base):
            raise SupalertError(
                f"the `{SERVER_USER}` user cannot write {self.base}",
                "set SUPALERT_LOCAL_DIR to a folder it can reach, e.g. /var/tmp/supalert",
            )

    def _write_conf(self) -> None:
        build = self.build
        # Supabase's preload list, less what Debian lacks (pgaudit, pgsodium, timescaledb, ...).
        preload = ["pg_stat_statements", "pg_cron"] + [name for name in ("pg_net", "supabase_vault") if build.has(name)]
        conf = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.socket_dir}'",
            "shared_preload_libraries": f"'{', '.join(preload)}'",
            "cron.database_name": f"'{self.cron_database}'",
            "timezone": "'UTC'",
            "log_timezone": "'UTC'",
            "max_connections": "100",
            "wal_level": "logical",
        }
        if build.has("pg_net"):
            conf["pg_net.database_name"] = f"'{self.cron_database}'"
        if build.has("supabase_vault"):
            conf["vault.getkey_script"] = f"'{self.base / 'getkey.sh'}'"
        if build.has("supautils"):
            conf["session_preload_libraries"] = "'supautils'"
            scripts = self.base / "extension-custom-scripts"
            self._copy_custom_scripts(scripts)
            supautils = hosted_file("supautils.conf").replace("@CUSTOM_SCRIPTS@", str(scripts))
            self._write_as_server_user(self.data / "supautils.conf", supautils)
            conf["include"] = "'supautils.conf'"
        conf.update(self.settings)
        text = "# written by supalert (localdb.py); edits are overwritten on start\n"
        text += "".join(f"{key} = {value}\n" for key, value in conf.items())
        self._write_as_server_user(self.data / "supalert.conf", text)
        hba = ["# written by supalert (localdb.py): local development only, loopback only", *self.hba_rules()]
        self._write_as_server_user(self.data / "pg_hba.conf", "\n".join(hba) + "\n")

    def hba_rules(self) -> list[str]:
        """pg_hba.conf's rules, first match wins: trust, on the socket and loopback only."""
        return ["local all all trust", "host all all 127.0.0.1/32 trust"]

    def _write_as_server_user(self, path: Path, text: str, mode: int = 0o644) -> None:
        path.write_text(text)
        path.chmod(mode)
        if os.geteuid() == 0:
            shutil.chown(path, SERVER_USER)

    def _copy_custom_scripts(self, target: Path) -> None:
        """supautils runs these as supabase_admin after `create extension` of a privileged extension."""
        source = resources.files("supalert").joinpath("hosted", "extension-custom-scripts")
        for extension in source.iterdir():
            folder = target / extension.name
            folder.mkdir(parents=True, exist_ok=True)
            for script in extension.iterdir():
                self._write_as_server_user(folder / script.name, script.read_text())
        if os.geteuid() == 0:
            for path in (target, *target.iterdir()):
                shutil.chown(path, SERVER_USER)

    def init(self) -> bool:
        """Create the cluster when missing. Returns True when it was created now."""
        self._prepare_dirs()
        if self.initialized():
            return False
        self._run(
            [
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-instructions",
            ],
            "initdb",
        )
        conf = self.data / "postgresql.conf"
        with conf.open("a") as handle:
            handle.write("\ninclude = 'supalert.conf'\n")
        if self.build.has("supabase_vault"):
            # Vault's root key, read by the server at start; random per cluster, kept with it.
            key = secrets.token_hex(32)
            self._write_as_server_user(self.base / "getkey.sh", f"#!/bin/sh\necho {key}\n", mode=0o700)
        made = {"bin": str(self.build.bin), "extensions": self.build.extensions}
        (self.base / RECORD).write_text(json.dumps(made, indent=2) + "\n")
        (self.base / SHAPE_PENDING).touch()
        return True

    def start(self) -> bool:
        """Create when missing and start when stopped. Returns True when the server was started now."""
        if self.made_by_older_release():
            raise SupalertError(
                f"the local database in {self.base} was made by an earlier supalert, with `postgres` as its "
                "superuser; a Supabase project is not shaped like that",
                "python deploy.py local reset (removes it and makes it again as a hosted project is shaped)",
            )
        if not (self.bin / "postgres").exists():
            raise SupalertError(
                f"the binaries the local database in {self.base} was made with ({self.bin}) are gone",
                "run `make setup` to build them again, or `python deploy.py local reset` to remake the database",
            )
        self.init()
        if self.running():
            return False
        self._write_conf()
        argv = [str(self.bin / "pg_ctl"), "start", "-w", "-t", "60", "-D", str(self.data), "-l", str(self.log_file)]
        logged = self.log_file.stat().st_size if self.log_file.exists() else 0
        try:
            self._run(argv, "starting Postgres")
        except SupalertError:
            # Only what this attempt wrote: the log keeps earlier starts.
            log = self.log_file.read_bytes()[logged:].decode(errors="replace") if self.log_file.exists() else ""
            if "Address already in use" in log:
                raise SupalertError(
                    f"the local database cannot start: another server already listens on 127.0.0.1:{self.port} "
                    "(another checkout's local database, or a Postgres of your own)",
                    f"stop that one (`python deploy.py local stop` in its checkout), or give this one another port: "
                    f"export SUPALERT_LOCAL_PORT={self.port + 1}",
                ) from None
            raise
        self._wait_ready()
        pending = self.base / SHAPE_PENDING
        if pending.exists():
            self.bootstrap()
        pending.unlink(missing_ok=True)
        return True

    def _wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready = subprocess.run(
                [str(self.bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"], check=False
            )
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        raise SupalertError(f"the local Postgres on port {self.port} did not become ready", f"see {self.log_file}")

    def stop(self, mode: str = "fast") -> bool:
        """Stop when running. Returns True when it was running."""
        if not self.running():
            return False
        self._run([str(self.bin / "pg_ctl"), "stop", "-w", "-m", mode, "-D", str(self.data)], "stopping Postgres")
        return True

    def restart(self) -> None:
        self.stop()
        self.start()

    def bootstrap(self) -> None:
        """Give the cron database (supalert's) a hosted project's shape (made, owned by postgres, when missing), with
        pg_cron enabled by the superuser as the Supabase dashboard does: everything after that runs as postgres."""
        shape_database(self, self.cron_database)
        enable_extension(self, self.cron_database, "pg_cron", "pg_catalog")

    def destroy(self) -> None:
        self.stop(mode="immediate")
        shutil.rmtree(self.base, ignore_errors=True)


def shape_database(cluster: LocalCluster, dbname: str) -> None:
    """The roles (once per cluster) and database `dbname` shaped like a hosted project; `dbname` is created, owned
    by postgres, when missing."""
    with connect(cluster.superuser_url("postgres")) as conn:
        conn.execute(hosted_file("roles.sql"))
        if not conn.execute("select exists (select from pg_database where datname = %s)", (dbname,)).fetchone()[0]:
            conn.execute(sql.SQL("create database {} owner {}").format(sql.Identifier(dbname), sql.Identifier(ROLE)))
        else:
            conn.execute(sql.SQL("alter database {} owner to {}").format(sql.Identifier(dbname), sql.Identifier(ROLE)))
    with connect(cluster.superuser_url(dbname)) as conn:
        conn.execute(hosted_file("database.sql"))


def enable_extension(cluster: LocalCluster, dbname: str, name: str, schema: str) -> None:
    """Create extension `name` as a project's owner would: as postgres through supautils where it is loaded
    (supabase_admin then owns it and the custom scripts grant postgres its share), else as the superuser with the
    same grants (the event triggers of hosted/database.sql, and the after-create script where there is one)."""

    statement = sql.SQL("create extension if not exists {} with schema {}").format(
        sql.Identifier(name), sql.Identifier(schema)
    )
    if cluster.build.has("supautils"):
        with connect(cluster.url(dbname)) as conn:
            conn.execute(statement)
        return
    with connect(cluster.superuser_url(dbname)) as conn:
        conn.execute(statement)
        script = resources.files("supalert").joinpath("hosted", "extension-custom-scripts", name, "after-create.sql")
        if script.is_file():
            conn.execute(script.read_text())
