"""Split a migration file into statements the way the Supabase CLI does.

supalert runs a file statement by statement, and recognises a database where the CLI applied supalert's own folder
by comparing its split with what the CLI stored in `supabase_migrations.schema_migrations.statements`, so it must
cut the file at the same places. The CLI's tokenizer (pkg/parser) ends a
statement at a `;` that is outside quotes ('...' and "..."), dollar quotes ($tag$...$tag$), `--` line comments,
nested `/* */` block comments, parentheses and `BEGIN ATOMIC ... END` bodies; a backslash outside quotes escapes the
next character. Each piece is then stripped of trailing `;` and surrounding whitespace, and empty pieces are dropped.
Comments stay inside the statement they precede.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Statement:
    text: str  # as stored in the history table
    line: int  # 1-based line of the file where `text` starts


def _tag_end(sql: str, start: int) -> int | None:
    """If sql[start] opens a dollar-quote tag ($$ or $name$), the index just past its closing `$`."""
    i = start + 1
    while i < len(sql) and (sql[i].isalnum() or sql[i] == "_"):
        i += 1
    if i < len(sql) and sql[i] == "$":
        return i + 1
    return None


def _skip_quoted(sql: str, i: int) -> int:
    """Index just past the quoted literal or identifier starting at sql[i]; doubled quotes stay inside."""
    quote = sql[i]
    i += 1
    while i < len(sql):
        if sql[i] == quote:
            if i + 1 < len(sql) and sql[i + 1] == quote:
                i += 2
                continue
            return i + 1
        i += 1
    return i


def _skip_block_comment(sql: str, i: int) -> int:
    depth = 0
    while i < len(sql):
        if sql.startswith("/*", i):
            depth += 1
            i += 2
        elif sql.startswith("*/", i):
            depth -= 1
            i += 2
            if depth == 0:
                return i
        else:
            i += 1
    return i


def _is_begin_atomic(sql: str, i: int) -> bool:
    """True when the word ATOMIC ends at sql[i] and is preceded by whitespace (the CLI's test)."""
    start = i - len("ATOMIC") + 1
    return start > 0 and sql[start : i + 1].upper() == "ATOMIC" and sql[start - 1].isspace()


def _cut_points(sql: str) -> list[int]:
    """Indexes just past each statement-ending `;`."""
    cuts: list[int] = []
    i = 0
    closers: list[str] = []  # open parentheses and BEGIN ATOMIC bodies: a `;` inside them ends nothing
    n = len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"":
            i = _skip_quoted(sql, i)
            continue
        if ch == "$":
            end = _tag_end(sql, i)
            if end is not None:
                tag = sql[i:end]
                close = sql.find(tag, end)
                i = n if close < 0 else close + len(tag)
                continue
        elif sql.startswith("--", i):
            newline = sql.find("\n", i)
            i = n if newline < 0 else newline + 1
            continue
        elif sql.startswith("/*", i):
            i = _skip_block_comment(sql, i)
            continue
        elif ch == "\\":
            i += 2
            continue
        elif ch == "(":
            closers.append(")")
        elif ch == ")" and closers and closers[-1] == ")":
            closers.pop()
        elif ch in "cC" and _is_begin_atomic(sql, i):
            closers.append("END")
        elif closers and closers[-1] == "END" and sql[max(0, i - 2) : i + 1].upper() == "END":
            closers.pop()
        elif ch == ";" and not closers:
            cuts.append(i + 1)
        i += 1
    return cuts


def split_statements(sql: str) -> list[Statement]:
    """The file's statements, as the Supabase CLI would store them, each with the line it starts on."""
    statements: list[Statement] = []
    start = 0
    for end in [*_cut_points(sql), len(sql)]:
        piece = sql[start:end]
        text = piece.rstrip(";").strip()
        if text:
            leading = len(piece) - len(piece.lstrip())
            line = sql.count("\n", 0, start + leading) + 1
            statements.append(Statement(text, line))
        start = end
    return statements
