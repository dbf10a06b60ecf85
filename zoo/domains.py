"""Value domains: what an axis accepts, as values that check and describe themselves.

The axis table (`zoo.axes`) and the model cards declare each axis's type and
accepted range with these classes; suite validation, `--set`, tuning spaces
and `zoo axes` all read the same declaration. A domain's `check(value)`
returns None for an accepted value, or an `Invalid` saying what was
expected (and the closest names, for a near-miss name); nothing here
raises for a bad value; a `Name` keeps the opening sentence of its
resolver's error ("Unknown optimizer 'adamm'") as the `detail`, and its own
suggestions come from the known names, not from that text. Pure Python: importing
this module imports neither Keras nor TensorFlow (a `Name` domain imports
the module that knows its names only when it checks one).

Example:

>>> Int(min=1).check(0)
Invalid(expected='an integer >= 1', suggestions=(), detail='')
>>> Float(min=0, min_open=True).check(0.01) is None
True
>>> Choice(("cpu", "gpu")).check("cpux").suggestions
('cpu',)
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import numbers
import pkgutil
from typing import Any


@dataclasses.dataclass(frozen=True)
class Invalid:
    """Why a value is not in a domain.

    Args:
        expected: What the domain accepts, as a phrase ("an integer >= 1").
        suggestions: The closest accepted names, for a near-miss name.
        detail: A further sentence (e.g. the resolver's own explanation).
    """

    expected: str
    suggestions: tuple[str, ...] = ()
    detail: str = ""

    def message(self, context: str = "") -> str:
        """What is wrong, as a phrase: "Unknown optimizer 'adamm': expected an optimizer name".

        Args:
            context: Words after the expectation, e.g. "(model 'cnn')".
        """
        lead = f"{self.detail}: expected" if self.detail else "expected"
        return f"{lead} {self.expected}" + (f" {context}" if context else "")


def closest(value: Any, names) -> tuple[str, ...]:
    """The (up to 3) names closest to `value`, best first."""
    unique = list(dict.fromkeys(str(n) for n in names))
    return tuple(difflib.get_close_matches(str(value), unique, n=3, cutoff=0.5))


def load_ref(ref: str):
    """The object a `"module:attribute"` string names (imported on first use)."""
    return pkgutil.resolve_name(ref)


def is_int(value) -> bool:
    """True for an integer that is not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_number(value) -> bool:
    """True for a finite real number that is not a bool (NaN and inf are not numbers here)."""
    return (isinstance(value, numbers.Real) and not isinstance(value, bool)
            and math.isfinite(value))


class Domain:
    """Base class: `check(value) -> Invalid | None` and `describe() -> str`."""

    def check(self, value) -> Invalid | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def __or__(self, other: "Domain") -> "AnyOf":
        return AnyOf(self, other)


@dataclasses.dataclass(frozen=True)
class Const(Domain):
    """Exactly one value (`Const(None)`, `Const("full")`, `Const(False)`)."""

    value: Any

    def check(self, value):
        same = value is self.value if isinstance(self.value, bool) or self.value is None \
            else (value == self.value and not isinstance(value, bool))
        return None if same else Invalid(self.describe())

    def describe(self) -> str:
        if isinstance(self.value, str):
            return f'"{self.value}"'
        return {None: "none", True: "true", False: "false"}.get(self.value, repr(self.value))


@dataclasses.dataclass(frozen=True)
class Int(Domain):
    """Integers in `[min, max]` (either end may be None: unbounded)."""

    min: int | None = None
    max: int | None = None

    def check(self, value):
        ok = is_int(value) and (self.min is None or value >= self.min) and (
            self.max is None or value <= self.max)
        return None if ok else Invalid(self.describe())

    def describe(self) -> str:
        if self.min is not None and self.max is not None:
            return f"an integer in [{self.min}, {self.max}]"
        if self.min is not None:
            return f"an integer >= {self.min}"
        if self.max is not None:
            return f"an integer <= {self.max}"
        return "an integer"


@dataclasses.dataclass(frozen=True)
class Float(Domain):
    """Finite numbers between `min` and `max`, each end closed unless `*_open`."""

    min: float | None = None
    max: float | None = None
    min_open: bool = False
    max_open: bool = False

    def check(self, value):
        ok = is_number(value)
        if ok and self.min is not None:
            ok = value > self.min if self.min_open else value >= self.min
        if ok and self.max is not None:
            ok = value < self.max if self.max_open else value <= self.max
        return None if ok else Invalid(self.describe())

    def describe(self) -> str:
        if self.min is not None and self.max is not None:
            return (f"a number in {'(' if self.min_open else '['}{self.min:g}, "
                    f"{self.max:g}{')' if self.max_open else ']'}")
        if self.min is not None:
            return f"a number {'>' if self.min_open else '>='} {self.min:g}"
        if self.max is not None:
            return f"a number {'<' if self.max_open else '<='} {self.max:g}"
        return "a finite number"


@dataclasses.dataclass(frozen=True)
class Bool(Domain):
    """true or false."""

    def check(self, value):
        return None if isinstance(value, bool) else Invalid(self.describe())

    def describe(self) -> str:
        return "true or false"


@dataclasses.dataclass(frozen=True)
class Choice(Domain):
    """One of a fixed set of values (near-miss names get suggestions)."""

    values: tuple

    def check(self, value):
        if any(value == v and type(value) is type(v) for v in self.values):
            return None
        return Invalid(self.describe(), closest(value, self.values))

    def describe(self) -> str:
        return "one of " + ", ".join(f'"{v}"' if isinstance(v, str) else repr(v)
                                     for v in self.values)


@dataclasses.dataclass(frozen=True)
class Name(Domain):
    """A name resolved by a function elsewhere (an optimizer, an activation, ...).

    Args:
        what: What the name names, for messages ("optimizer").
        resolve: `"module:function"` that raises `ValueError` (or
            `TypeError`) for a name it cannot resolve; imported on first check.
        names: `"module:attribute"` of the known names, or of a function
            returning them (for suggestions), or None.
        hint: Where the names come from, for `describe` ("see `zoo models`").
        tables: Whether a table of options (`{name = ..., ...}`) is accepted too.
    """

    what: str
    resolve: str | None = None
    names: str | None = None
    hint: str = ""
    tables: bool = False

    def known(self) -> tuple[str, ...]:
        """The known names (empty when the domain does not list them)."""
        if not self.names:
            return ()
        names = load_ref(self.names)
        return tuple(names() if callable(names) else names)

    def check(self, value):
        if not (isinstance(value, str) and value) and not (self.tables and isinstance(value, dict)):
            return Invalid(self.describe())
        if self.resolve:
            try:
                load_ref(self.resolve)(value)
            except (ValueError, TypeError, KeyError) as exc:
                return Invalid(self.describe(), closest(value, self.known()),
                               detail=_first_sentence(exc))
        return None

    def describe(self) -> str:
        hint = f" ({self.hint})" if self.hint else ""
        tables = " or a table of its options" if self.tables else ""
        return f"{'an' if self.what[0] in 'aeiou' else 'a'} {self.what} name{hint}{tables}"


def _first_sentence(exc: BaseException) -> str:
    """The resolver's own opening ("Unknown optimizer 'adamm'"), before its hints."""
    text = str(exc).strip().strip("'\"")
    for stop in (" Did you mean", " Received:", ": expected", " Expected", ". "):
        text = text.split(stop)[0]
    return text.rstrip(".")


@dataclasses.dataclass(frozen=True)
class Anything(Domain):
    """Any value (a table field the domain does not type)."""

    def check(self, value):
        return None

    def describe(self) -> str:
        return "any value"


@dataclasses.dataclass(frozen=True)
class Table(Domain):
    """A table (dict) of options; with `fields`, only those keys, each in its domain.

    Args:
        fields: `{key: Domain}` of the keys it accepts, or None for any keys.
        required: Keys that must be present.
        example: A TOML example shown in messages.
    """

    fields: Any = None
    required: tuple[str, ...] = ()
    example: str = ""

    def check(self, value):
        if not isinstance(value, dict):
            return Invalid(self.describe())
        fields = self.fields or {}
        for key, item in value.items():
            if self.fields is not None and key not in fields:
                return Invalid(self.describe(), closest(key, fields),
                               detail=f"Unknown key {key!r}")
            invalid = fields[key].check(item) if key in fields else None
            if invalid is not None:
                return Invalid(self.describe(), invalid.suggestions,
                               detail=f"Bad {key} {item!r} (expected {invalid.expected})")
        missing = [k for k in self.required if k not in value]
        if missing:
            return Invalid(self.describe(), detail=f"Missing {', '.join(missing)}")
        return None

    def describe(self) -> str:
        if self.example:
            return f"a table such as {self.example}"
        if self.fields:
            return f"a table with keys among {', '.join(self.fields)}"
        return "a table of keyword arguments"


@dataclasses.dataclass(frozen=True)
class ListOf(Domain):
    """A list whose items are all in `item` (`items` names them in messages).

    Args:
        item: The domain of each item.
        items: What the items are, in messages ("class ids").
        example: A TOML example.
        empty: Whether the empty list is accepted. Defaults to False.
    """

    item: Domain
    items: str = "values"
    example: str = ""
    empty: bool = False

    def check(self, value):
        if isinstance(value, list) and (value or self.empty) and all(
                self.item.check(v) is None for v in value):
            return None
        return Invalid(self.describe())

    def describe(self) -> str:
        example = f", e.g. {self.example}" if self.example else ""
        size = "a" if self.empty else "a non-empty"
        return f"{size} list of {self.items} ({self.item.describe()} each){example}"


@dataclasses.dataclass(frozen=True, init=False)
class AnyOf(Domain):
    """A value accepted by any of several domains (`Const(None) | Float(min=0)`)."""

    options: tuple[Domain, ...]

    def __init__(self, *options: Domain):
        flat = []
        for option in options:
            flat += list(option.options) if isinstance(option, AnyOf) else [option]
        object.__setattr__(self, "options", tuple(flat))

    def check(self, value):
        results = [option.check(value) for option in self.options]
        if any(r is None for r in results):
            return None
        suggestions = next((r.suggestions for r in results if r.suggestions), ())
        detail = next((r.detail for r in results if r.detail), "")
        return Invalid(self.describe(), suggestions, detail)

    def describe(self) -> str:
        parts = [option.describe() for option in self.options]
        return ", ".join(parts[:-1]) + f" or {parts[-1]}" if len(parts) > 1 else parts[0]


def check(domain: Domain, value) -> Invalid | None:
    """`domain.check(value)`, with a resolver's unexpected crash reported, not raised."""
    try:
        return domain.check(value)
    except Exception as exc:  # a broken resolver must not hide the other problems
        return Invalid(domain.describe(), detail=f"{type(exc).__name__}: {exc}")


def explain(name: str, value, invalid: Invalid) -> str:
    """A Keras-style sentence for a rejected value: what was expected, hints, the value."""
    hint = (f" Did you mean {' or '.join(map(repr, invalid.suggestions))}?"
            if invalid.suggestions else "")
    return f"{invalid.message()}.{hint} Received: {name}={value!r}"
