"""Opt-in: the migrations against Supabase's own Postgres image, through testcontainers.

Set SUPALERT_SUPABASE_IMAGE=supabase/postgres:<tag> to run it. It needs a Docker engine; without one (as on the
machines this project is built on) it is skipped with the reason, which `pytest -ra` prints in the summary.
"""

from __future__ import annotations

import os

import psycopg
import pytest

IMAGE = os.environ.get("SUPALERT_SUPABASE_IMAGE", "")
PASSWORD = "supalert-image-test"


def skip_reason() -> str | None:
    if not IMAGE:
        return "opt-in: set SUPALERT_SUPABASE_IMAGE=supabase/postgres:<tag> to run against Supabase's image"
    try:
        import docker

        docker.from_env().ping()
    except Exception as exc:  # docker raises DockerException, or a connection error, when no engine answers
        return f"no Docker engine answers ({type(exc).__name__}); the supabase/postgres image cannot run here"
    return None


SKIP_REASON = skip_reason()
pytestmark = pytest.mark.skipif(SKIP_REASON is not None, reason=SKIP_REASON or "")


@pytest.fixture(scope="module")
def image_url():
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.waiting_utils import wait_for_logs

    container = DockerContainer(IMAGE).with_env("POSTGRES_PASSWORD", PASSWORD).with_exposed_ports(5432)
    with container:
        wait_for_logs(container, "database system is ready to accept connections", timeout=120)
        host, port = container.get_container_host_ip(), container.get_exposed_port(5432)
        url = f"postgresql://postgres:{PASSWORD}@{host}:{port}/postgres"
        for _ in range(60):
            try:
                psycopg.connect(url).close()
                break
            except psycopg.OperationalError:
                import time

                time.sleep(1)
        yield url


def test_migrate_twice_on_the_supabase_image(image_url, cli):
    first = cli("migrate", "--db-url", image_url)
    assert first.returncode == 0, first.stderr
    second = cli("migrate", "--db-url", image_url)
    assert second.returncode == 0 and "nothing to do" in second.stdout
    assert PASSWORD not in first.stdout + first.stderr + second.stdout + second.stderr


def test_rls_on_the_supabase_image(image_url):
    with psycopg.connect(image_url) as conn:
        conn.execute("insert into public.system_alerts (alert_type, title, severity) values ('t', 'T', 'info')")
        conn.execute("set local role anon")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select * from public.system_alerts")
        conn.rollback()
