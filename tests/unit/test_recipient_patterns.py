"""The recipient kinds have one meaning in both places they are written: the CHECK on escalation steps
(sql/outbox/recipients_valid.sql) accepts exactly the union of what the senders take (recipients.ts)."""

from __future__ import annotations

import re

from supalert.paths import project_root

SQL = project_root() / "sql" / "outbox" / "recipients_valid.sql"
TS = project_root() / "supabase" / "functions" / "_shared" / "recipients.ts"


def test_the_sql_check_is_the_union_of_the_senders_kinds():
    kinds = dict(re.findall(r"^\s+(email|sms): \(r: string\) => /\^(.+?)\$/\.test\(r\),$", TS.read_text(), re.M))
    [sql] = re.findall(r"!~ '\^\((.+)\)\$'", SQL.read_text())
    assert set(kinds) == {"email", "sms"}
    assert sql == f"{kinds['sms']}|{kinds['email']}"
