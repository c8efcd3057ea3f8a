"""The statement splitter must cut files where the Supabase CLI does (its history rows must match ours)."""

from hypothesis import given
from hypothesis import strategies as st

from supalert.sqlsplit import split_statements


def texts(sql):
    return [s.text for s in split_statements(sql)]


def test_plain_statements_are_trimmed_and_lose_their_semicolon():
    assert texts("select 1;\n\n  select 2 ;\n") == ["select 1", "select 2"]


def test_semicolons_inside_quotes_comments_and_dollar_bodies_do_not_split():
    sql = (
        "select 'a;b', \"c;d\", 'it''s;';\n"
        "-- a comment; with a semicolon\n"
        "select 2 /* block; /* nested; */ still; */;\n"
        "create function f() returns int language plpgsql as $body$ begin return 1; end; $body$;\n"
        "do $$ begin perform 1; end $$;"
    )
    assert texts(sql) == [
        "select 'a;b', \"c;d\", 'it''s;'",
        "-- a comment; with a semicolon\nselect 2 /* block; /* nested; */ still; */",
        "create function f() returns int language plpgsql as $body$ begin return 1; end; $body$",
        "do $$ begin perform 1; end $$",
    ]


def test_begin_atomic_body_and_parentheses_are_one_statement():
    sql = (
        "create function g() returns int language sql begin atomic select 1; select 2; end;\n"
        "create rule r as on insert to t do also (insert into u values (1); insert into u values (2));\n"
        "select 3;"
    )
    assert texts(sql) == [
        "create function g() returns int language sql begin atomic select 1; select 2; end",
        "create rule r as on insert to t do also (insert into u values (1); insert into u values (2))",
        "select 3",
    ]


def test_a_trailing_comment_is_kept_as_a_statement_like_the_cli_does():
    assert texts("select 1;\n-- the end\n") == ["select 1", "-- the end"]


def test_line_numbers_point_at_the_first_line_of_each_statement():
    sql = "-- header\n\nselect 1;\n\n\nselect\n  2;\n"
    assert [(s.text.splitlines()[0], s.line) for s in split_statements(sql)] == [
        ("-- header", 1),
        ("select", 6),
    ]


safe_words = st.text(alphabet="abcxyz 019_", min_size=1, max_size=12).filter(lambda w: w.strip())


@given(st.lists(safe_words, min_size=1, max_size=8))
def test_simple_statements_round_trip(words):
    sql = ";\n".join(words) + ";"
    assert texts(sql) == [w.strip() for w in words]


@given(st.lists(safe_words, min_size=1, max_size=5), st.text(alphabet="ab;' \n$", max_size=30))
def test_dollar_quoted_bodies_never_split(words, body):
    body = body.replace("$", "")
    sql = "".join(f"select $q${body};{w}$q$;\n" for w in words)
    assert len(texts(sql)) == len(words)
