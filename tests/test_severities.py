"""monitoring.severities is the one list of severities and their order; every copy outside SQL equals it, and the
references that replaced the CHECKs refuse anything else."""

from __future__ import annotations

import re

import psycopg
import pytest

from supalert.dashboard.charts import COLORS
from supalert.paths import project_root
from supalert.severities import SEVERITIES


def table(conn: psycopg.Connection) -> tuple[str, ...]:
    return tuple(r[0] for r in conn.execute("select severity from monitoring.severities order by rank"))


def test_the_cli_and_the_functions_copies_equal_the_table(conn):
    types_ts = (project_root() / "supabase/functions/_shared/types.ts").read_text()
    listed = re.search(r"export const SEVERITIES: readonly Severity\[\] = \[([^\]]*)\]", types_ts)
    assert listed, "types.ts declares SEVERITIES"
    assert table(conn) == ("critical", "high", "warning", "info")
    assert table(conn) == SEVERITIES
    assert tuple(re.findall(r'"(\w+)"', listed[1])) == table(conn)
    assert set(table(conn)) <= set(COLORS), "the dashboard's chart has a colour for each"


def test_the_functions_severity_aliases_are_rows_of_the_table(conn):
    # send-alert-notification accepts the seed's "medium" before the database sees it; monitoring.notify maps it too.
    validate_ts = (project_root() / "supabase/functions/_shared/validate.ts").read_text()
    aliases = dict(re.findall(r'(\w+): "(\w+)"', re.search(r"SEVERITY_ALIASES[^{]*\{([^}]*)\}", validate_ts)[1]))
    assert aliases == {"medium": "warning"}
    rows = dict(conn.execute("select word, severity from monitoring.severity_aliases").fetchall())
    assert {word: rows[word] for word in aliases} == aliases
    [(alert_id, *_)] = conn.execute("select * from monitoring.notify('medium', 't', 'm', 'c')").fetchall()
    [(mapped,)] = conn.execute("select severity from public.system_alerts where id = %s", (alert_id,)).fetchall()
    assert mapped == aliases["medium"]


@pytest.mark.parametrize(
    ("table_name", "insert"),
    [
        ("monitoring.rules", "update monitoring.rules set severity = 'urgent' where key = 'rule_error'"),
        ("monitoring.routes", "update monitoring.routes set severity = 'urgent'"),
        ("monitoring.severity_aliases", "insert into monitoring.severity_aliases values ('oops', 'urgent')"),
        ("public.system_alerts", "insert into public.system_alerts (alert_type, title, message, severity)"
                                 " values ('t', 't', 'm', 'urgent')"),
    ],
)  # fmt: skip
def test_every_severity_column_refuses_an_unknown_severity(conn, table_name, insert):
    with pytest.raises(psycopg.errors.ForeignKeyViolation, match='is not present in table "severities"'):
        conn.execute(insert)


def test_alerts_are_ordered_most_urgent_first_by_rank(conn):
    ranks = conn.execute(
        "select array_agg(monitoring.severity_rank(s) order by s) from unnest(array['info', 'critical', 'nope']) s"
    ).fetchone()[0]
    assert ranks == [1, 4, None]  # critical, info, unknown (sorted by name: critical, info, nope)
