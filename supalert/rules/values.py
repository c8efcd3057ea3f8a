"""The settable fields of monitoring.rules and the kind of value each holds: how a kind reads from command-line
text, how it reads from TOML, and how a stored value is written back for people. One table, one row per kind."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from supalert.durations import describe_interval, parse_duration
from supalert.errors import SupalertError
from supalert.severities import SEVERITIES

ALIASES = {"window": "time_window"}
# The same lists as monitoring.severities and the CHECK constraints rules_comparison_known and
# rules_on_no_data_known (tests/test_severities.py, tests/test_rules_constraints.py).
CHOICES = {
    "severity": SEVERITIES,
    "comparison": (">", ">=", "<", "<="),
    "on_no_data": ("auto", "keep", "resolve", "alert"),
}
TRUE_WORDS = ("true", "yes", "1")
FALSE_WORDS = ("false", "no", "0")
NONE_WORD = "none"
INT4_MAX = 2**31 - 1
TOML_TYPES = {bool: "a boolean", int: "an integer", float: "a float", str: "a string", list: "an array",
              dict: "a table"}  # fmt: skip


class FieldError(Exception):
    """A value that does not fit its field; the caller adds the rule (and file) to the message."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint


def _wrong_type(name: str, value: Any, wanted: str) -> FieldError:
    got = TOML_TYPES.get(type(value), f"a {type(value).__name__}")
    return FieldError(f"{name} must be {wanted}, not {got} ({value!r})")


# Readers: (name the user gave, column, value) -> the value to store, or FieldError.


def _finite(name: str, value: Decimal) -> Decimal:
    if not value.is_finite():
        raise FieldError(f"{name} {format_value(value)} is not a finite number")
    return value


def _number_text(name: str, _field: str, text: str) -> Decimal:
    try:
        return _finite(name, Decimal(text.strip()))
    except InvalidOperation:
        raise FieldError(f"{name} {text!r} is not a number") from None


def _number_toml(wanted: str) -> Callable[[str, str, Any], Decimal]:
    def reader(name: str, _field: str, value: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _wrong_type(name, value, wanted)
        if isinstance(value, float) and not math.isfinite(value):
            raise FieldError(f"{name} {value} is not a finite number")
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)

    return reader


def _integer(name: str, value: int) -> int:
    if not -INT4_MAX <= value <= INT4_MAX:
        raise FieldError(f"{name} {value} does not fit an integer column")
    return value


def _integer_text(name: str, _field: str, text: str) -> int:
    if not re.fullmatch(r"\s*[+-]?\d+\s*", text):
        raise FieldError(f"{name} {text!r} is not a whole number")
    return _integer(name, int(text))


def _integer_toml(name: str, _field: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _wrong_type(name, value, "an integer")
    return _integer(name, value)


def _boolean_text(name: str, _field: str, text: str) -> bool:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise FieldError(f"{name} {text!r} is not true or false", "use true/false, yes/no or 1/0")


def _boolean_toml(name: str, _field: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _wrong_type(name, value, "true or false")
    return value


def _interval_text(name: str, _field: str, text: str) -> timedelta:
    try:
        return parse_duration(text)
    except SupalertError as exc:
        # "duration '0s' is not a positive duration" -> "evaluation_interval '0s' is not a positive duration"
        raise FieldError(exc.message.replace("duration", name, 1), exc.hint) from None


def _choice(name: str, field: str, text: str) -> str:
    if text not in CHOICES[field]:
        raise FieldError(f"{name} {text!r} is not allowed ({', '.join(CHOICES[field])})")
    return text


def _choice_text(name: str, field: str, text: str) -> str:
    return _choice(name, field, text.strip())


def _text_text(name: str, _field: str, text: str) -> str:
    if "\x00" in text:
        raise FieldError(f"{name} contains a NUL character, which Postgres text cannot hold")
    return text


LABEL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def _label_names(name: str, names: list[str]) -> list[str]:
    bad = [n for n in names if not LABEL_NAME.fullmatch(n)]
    if bad:
        raise FieldError(f"{name}: {', '.join(repr(b) for b in bad)} is not a label name", "letters, digits and _")
    if len(set(names)) != len(names):
        raise FieldError(f"{name} names a label twice")
    return names


def _labels_text(name: str, _field: str, text: str) -> list[str]:
    """Comma-separated label names; empty text is the empty list (every alert of the rule in one group)."""
    return _label_names(name, [part.strip() for part in text.split(",") if part.strip()])


def _labels_toml(name: str, _field: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _wrong_type(name, value, 'an array of label names such as ["region"], or "none"')
    return _label_names(name, value)


def _string_toml(wanted: Callable[[str], str], read: Callable[[str, str, str], Any]) -> Callable[[str, str, Any], Any]:
    """A TOML reader for a kind written as a TOML string: the type first, then the text reader."""

    def reader(name: str, field: str, value: Any) -> Any:
        if not isinstance(value, str):
            raise _wrong_type(name, value, wanted(field))
        return read(name, field, value)

    return reader


@dataclass(frozen=True)
class Kind:
    from_text: Callable[[str, str, str], Any]
    from_toml: Callable[[str, str, Any], Any]
    nullable: bool = False  # "none" (any case) stores null

    def read(self, name: str, field: str, value: Any, *, toml: bool) -> Any:
        if self.nullable and isinstance(value, str) and value.strip().lower() == NONE_WORD:
            return None
        return (self.from_toml if toml else self.from_text)(name, field, value)


def _choices_wanted(field: str) -> str:
    return "one of " + ", ".join(f'"{c}"' for c in CHOICES[field])


NUMBER = Kind(_number_text, _number_toml("a number"))
INTERVAL = Kind(_interval_text, _string_toml(lambda _f: 'a duration string such as "1 hour"', _interval_text))
CHOICE = Kind(_choice_text, _string_toml(_choices_wanted, _choice))
INTEGER = Kind(_integer_text, _integer_toml)
BOOLEAN = Kind(_boolean_text, _boolean_toml)
TEXT = Kind(_text_text, _string_toml(lambda _f: "a string", _text_text))

# Settable column -> kind of value. Anything else (key, kind, metric_function, params, labels) is not settable here.
FIELDS: dict[str, Kind] = {
    "threshold": NUMBER,
    "resolve_threshold": Kind(_number_text, _number_toml('a number or "none"'), nullable=True),
    "time_window": INTERVAL,
    "severity": CHOICE,
    "comparison": CHOICE,
    "evaluations_before_firing": INTEGER,
    "repeat_interval": INTERVAL,
    "evaluation_interval": INTERVAL,
    "on_no_data": CHOICE,
    "enabled": BOOLEAN,
    "runbook_url": Kind(TEXT.from_text, TEXT.from_toml, nullable=True),
    "alert_type": Kind(TEXT.from_text, TEXT.from_toml, nullable=True),
    "title": TEXT,
    "description": TEXT,
    # Grouping (monitoring.form_groups): none = each alert its own message; [] = all of the rule's alerts together.
    "group_by": Kind(_labels_text, _labels_toml, nullable=True),
    "group_wait": INTERVAL,
    "group_interval": INTERVAL,
}


def canonical_field(name: str) -> str:
    """The column behind a field name (window -> time_window); FieldError listing the settable ones otherwise."""
    field = ALIASES.get(name, name)
    if field not in FIELDS:
        raise FieldError(f"unknown field {name!r}", f"settable fields: {allowed_fields()}")
    return field


def allowed_fields() -> str:
    aliases = {v: k for k, v in ALIASES.items()}
    return ", ".join(f"{f} (or {aliases[f]})" if f in aliases else f for f in FIELDS)


def value_from_text(name: str, text: str) -> Any:
    """A command-line value (always text) for field `name` -> the value to store."""
    field = canonical_field(name)
    return FIELDS[field].read(name, field, text, toml=False)


def value_from_toml(name: str, value: Any) -> Any:
    """A TOML value for field `name` -> the value to store; the TOML type must fit the field."""
    field = canonical_field(name)
    return FIELDS[field].read(name, field, value, toml=True)


def format_value(value: Any) -> str:
    """A stored value as the user writes it: 5, 0.5, 1 hour, true, none, 'text'."""
    if value is None:
        return NONE_WORD
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, timedelta):
        return describe_interval(value)
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(repr(v) for v in value) + "]"
    return str(value)
