"""The embedded local Postgres: one cluster in a git-ignored folder, run as the `postgres` user, pg_cron preloaded.

Used by `deploy.py local ...`, by `deploy.py migrate` when no URL is given, and (with other settings) by the tests.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from supalert.errors import SupalertError
from supalert.paths import project_root

PG_BIN = Path(os.environ.get("SUPALERT_PG_BIN", "/usr/lib/postgresql/15/bin"))
DEFAULT_PORT = 54329  # Supabase's local stack uses 54321-54327; 5432 is Debian's own cluster
SERVER_USER = "postgres"


def supabase_shape_sql() -> str:
    """SQL that gives a plain database the roles, auth.* helpers and default privileges of a Supabase one."""
    return resources.files("supalert").joinpath("sql/supabase_shape.sql").read_text()


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

    When the project sits where `postgres` cannot reach (under /root, mode 0700), a folder under /var/tmp named
    after the project path is used instead, so two checkouts never share a cluster.
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
    hba_lines: list[str] = field(default_factory=list)
    # The database given Supabase's shape when the cluster is created; None leaves that to the caller (tests).
    shape_database: str | None = "postgres"

    @property
    def data(self) -> Path:
        return self.base / "data"

    @property
    def socket_dir(self) -> Path:
        return self.base / "run"

    @property
    def log_file(self) -> Path:
        return self.base / "postgres.log"

    def url(self, dbname: str = "postgres", user: str = "postgres") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{dbname}?sslmode=disable"

    # --- state -------------------------------------------------------------------------------------------------

    def initialized(self) -> bool:
        return (self.data / "PG_VERSION").exists()

    def running(self) -> bool:
        if not self.initialized():
            return False
        done = subprocess.run(
            _as_server_user([str(PG_BIN / "pg_ctl"), "status", "-D", str(self.data)]),
            capture_output=True,
            text=True,
        )
        return done.returncode == 0

    # --- actions -----------------------------------------------------------------------------------------------

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
        if not (PG_BIN / "initdb").exists():
            raise SupalertError(
                f"Postgres 15 is not installed ({PG_BIN / 'initdb'} is missing)",
                "run `make setup` (installs postgresql-15 and pg_cron)",
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
        conf = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.socket_dir}'",
            "shared_preload_libraries": "'pg_cron'",
            "cron.database_name": f"'{self.cron_database}'",
            "timezone": "'UTC'",
            "log_timezone": "'UTC'",
            "max_connections": "100",
            **self.settings,
        }
        text = "# written by supalert (localdb.py); edits are overwritten on start\n"
        text += "".join(f"{key} = {value}\n" for key, value in conf.items())
        self._write_as_server_user(self.data / "supalert.conf", text)
        hba = [
            "# written by supalert (localdb.py): local development only, loopback only",
            *self.hba_lines,
            "local all all trust",
            "host all all 127.0.0.1/32 trust",
        ]
        self._write_as_server_user(self.data / "pg_hba.conf", "\n".join(hba) + "\n")

    def _write_as_server_user(self, path: Path, text: str) -> None:
        path.write_text(text)
        if os.geteuid() == 0:
            shutil.chown(path, SERVER_USER)

    def init(self) -> bool:
        """Create the cluster when missing. Returns True when it was created now."""
        self._prepare_dirs()
        if self.initialized():
            return False
        self._run(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
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
        return True

    def start(self) -> bool:
        """Create when missing and start when stopped. Returns True when the server was started now."""
        created = self.init()
        if self.running():
            return False
        self._write_conf()
        self._run(
            [
                str(PG_BIN / "pg_ctl"),
                "start",
                "-w",
                "-t",
                "60",
                "-D",
                str(self.data),
                "-l",
                str(self.log_file),
            ],
            "starting Postgres",
        )
        self._wait_ready()
        if created and self.shape_database:
            self.bootstrap(self.shape_database)
        return True

    def _wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready = subprocess.run(
                [str(PG_BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"], check=False
            )
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        raise SupalertError(f"the local Postgres on port {self.port} did not become ready", f"see {self.log_file}")

    def stop(self, mode: str = "fast") -> bool:
        """Stop when running. Returns True when it was running."""
        if not self.running():
            return False
        self._run([str(PG_BIN / "pg_ctl"), "stop", "-w", "-m", mode, "-D", str(self.data)], "stopping Postgres")
        return True

    def restart(self) -> None:
        self.stop()
        self.start()

    def bootstrap(self, dbname: str) -> None:
        """Give database `dbname` Supabase's shape (roles, auth helpers, default privileges)."""
        from supalert.dburl import connect

        with connect(self.url(dbname)) as conn:
            conn.execute(supabase_shape_sql())

    def destroy(self) -> None:
        self.stop(mode="immediate")
        shutil.rmtree(self.base, ignore_errors=True)
