def test_template_has_tables(conn):
    assert conn.execute("select to_regclass('public.system_alerts') is not null").fetchone()[0]
