"""A small generic registry for models, pipelines and datasets.

Entries are registered by decorator with a `Card` of metadata beside them.
Listing and showing cards never imports TensorFlow: builders import Keras
lazily, inside the function body, when something is built.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
from typing import Any, Callable, Iterable

INPUT_KINDS = ("flat", "image", "sequence", "text", "tabular", "any")


@dataclasses.dataclass(frozen=True)
class Card:
    """Metadata of one registry entry, readable without TensorFlow.

    Args:
        name: Registry key.
        description: One-line description.
        tasks: Tasks the entry fits (e.g. `("classification", "regression")`).
        input_kind: One of `INPUT_KINDS`.
        axes: Benchmark axes (builder keyword arguments) the entry accepts.
        defaults: Default values of those axes.
        ranges: For a model, narrower (or wider) domains (`zoo.domains`) of
            axes it accepts than the axis table's (`zoo.axes`), e.g.
            `{"depth": Int(min=0)}` for a model that takes depth 0.
        tags: Free-form tags used by `--tag` filters.
        reference: Paper or idea the entry comes from.
        extra: Kind-specific facts (a dataset's source and sizes, ...).
    """

    name: str
    description: str
    tasks: tuple[str, ...] = ()
    input_kind: str = "any"
    axes: tuple[str, ...] = ()
    defaults: dict[str, Any] = dataclasses.field(default_factory=dict)
    ranges: dict[str, Any] = dataclasses.field(default_factory=dict)
    tags: tuple[str, ...] = ()
    reference: str = ""
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Returns the card as plain JSON-serializable values (ranges described in words)."""
        out = dataclasses.asdict(self)
        out["ranges"] = {k: v.describe() for k, v in self.ranges.items()}
        return out


def natural_key(text: str) -> list:
    """Sort key that orders `mlp2` before `mlp10`."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", text)]


def did_you_mean(name: str, choices: Iterable[str], n: int = 3) -> str:
    """Returns a "did you mean ...?" suffix for a near-miss name, or ""."""
    from zoo.domains import closest

    close = closest(name, choices)[:n]
    if not close:
        return ""
    return " Did you mean " + " or ".join(repr(c) for c in close) + "?"


def check_options(kind: str, name: str, fn: Callable, options: dict, positional: int = 0
                  ) -> None:
    """Raises a clear `ValueError` if `fn` takes none of some keyword `options`.

    Args:
        kind: What `fn` builds, for the message ("Dataset", "Pipeline").
        name: The entry's name.
        fn: The builder or loader.
        options: Keyword options a user gave.
        positional: Leading parameters filled positionally (not options).
    """
    import inspect

    params = dict(list(inspect.signature(fn).parameters.items())[positional:])
    if any(p.kind == p.VAR_KEYWORD for p in params.values()):
        return
    unknown = sorted(set(options) - set(params))
    if unknown:
        raise ValueError(
            f"{kind} {name!r} does not accept options {unknown}: it accepts "
            f"{sorted(params)}. Remove them or pick another {kind.lower()}. "
            f"Received: {', '.join(f'{k}={options[k]!r}' for k in unknown)}"
        )


# Builder parameters the harness fills itself (not axes).
RESERVED = {"model": ("input_shape", "num_outputs", "task", "vocab_size"),
            "dataset": ("seed",), "pipeline": ("spec",)}


def reference_card(ref: str, fn: Callable, kind: str) -> Card:
    """The card of user code named by a reference, read from its signature and docstring.

    Its keyword parameters (beyond those the harness fills, `RESERVED`) are
    its axes, their defaults the card's defaults.
    """
    import inspect

    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        params = {}
    reserved = RESERVED.get(kind, ())
    axes = tuple(n for n, p in params.items() if n not in reserved and p.kind in (
        p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
    defaults = {n: params[n].default for n in axes if params[n].default is not params[n].empty}
    doc = (getattr(fn, "__doc__", None) or "").strip().split("\n")[0]
    return Card(name=ref, description=doc or f"{kind} from {ref}", axes=axes, defaults=defaults,
                tags=("user",), reference=ref, extra={"user_code": True})


class Registry:
    """Name -> (builder, card) mapping with fnmatch listing and filters.

    Args:
        kind: What the registry holds, used in messages ("model", ...).

    Example:

    >>> models = Registry("model")
    >>> @models.register(description="No hidden layer.", tasks=("classification",))
    ... def logistic(input_shape, num_outputs):
    ...     ...
    >>> models.list("log*")
    ['logistic']
    """

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, tuple[Callable, Card]] = {}

    def register(self, name: str | None = None, **card_fields) -> Callable:
        """Decorator registering a builder under `name` (default: its name).

        Raises:
            ValueError: if the name is already registered or the card is bad.
        """

        def decorator(fn: Callable) -> Callable:
            key = name or fn.__name__
            if key in self._entries:
                raise ValueError(
                    f"A {self.kind} named {key!r} is already registered. "
                    f"Registry names must be unique: pick another name. "
                    f"Received: name={key!r}"
                )
            fields = dict(card_fields)
            fields.setdefault("description", (fn.__doc__ or "").strip().split("\n")[0])
            for tuple_field in ("tasks", "axes", "tags"):
                if isinstance(fields.get(tuple_field), str):
                    fields[tuple_field] = (fields[tuple_field],)
                if tuple_field in fields:
                    fields[tuple_field] = tuple(fields[tuple_field])
            kind = fields.get("input_kind", "any")
            if kind not in INPUT_KINDS:
                raise ValueError(
                    f"Unknown input_kind for {self.kind} {key!r}: expected one of "
                    f"{INPUT_KINDS}. Received: input_kind={kind!r}"
                )
            self._entries[key] = (fn, Card(name=key, **fields))
            return fn

        return decorator

    def __contains__(self, name: str) -> bool:
        if name in self._entries:
            return True
        try:
            self._check(name)
        except ValueError:
            return False
        return True

    def __len__(self) -> int:
        return len(self._entries)

    def names(self) -> list[str]:
        """All registered names (plugins included), naturally sorted."""
        from zoo.references import plugins

        plugins()
        return sorted((n for n in self._entries if ":" not in n), key=natural_key)

    def _check(self, name: str) -> None:
        from zoo.references import is_reference, plugins, resolve

        if name in self._entries:
            return
        if is_reference(name):  # user code: "mypkg.models:build_net"
            fn = resolve(name, self.kind)
            self._entries[name] = (fn, reference_card(name, fn, self.kind))
            return
        if plugins() and name in self._entries:  # an installed package registered it
            return
        raise ValueError(
            f"Unknown {self.kind} {name!r}.{did_you_mean(name, self._entries)} "
            f"Expected one of: {', '.join(self.names())} (list them with `zoo {self.kind}s`), "
            f"or a reference to your own code such as \"mypkg.module:function\"."
        )

    def get(self, name: str) -> Callable:
        """Returns the builder registered under `name`, or the one a reference names.

        Raises:
            ValueError: for an unknown name (naming the closest matches) or a
                reference that cannot be resolved.
        """
        self._check(name)
        return self._entries[name][0]

    def card(self, name: str) -> Card:
        """Returns the card of `name` (no TensorFlow import for registered names)."""
        self._check(name)
        return self._entries[name][1]

    def list(
        self,
        pattern: str | Iterable[str] | None = None,
        exclude: str | Iterable[str] | None = None,
        task: str | None = None,
        tag: str | None = None,
        input_kind: str | None = None,
    ) -> list[str]:
        """Lists names matching fnmatch patterns and filters, naturally sorted.

        Args:
            pattern: One or more fnmatch patterns (`"cnn*"`). Defaults to all.
            exclude: Patterns to drop.
            task: Keep entries whose card lists this task.
            tag: Keep entries whose card has this tag.
            input_kind: Keep entries with this input kind.

        Returns:
            A list of names.
        """
        names = self.names()  # resolved references are not listed
        if pattern:
            pats = [pattern] if isinstance(pattern, str) else list(pattern)
            names = [n for n in names if any(fnmatch.fnmatchcase(n, p) for p in pats)]
        if exclude:
            pats = [exclude] if isinstance(exclude, str) else list(exclude)
            names = [n for n in names if not any(fnmatch.fnmatchcase(n, p) for p in pats)]
        cards = {n: self._entries[n][1] for n in names}
        if task:
            names = [n for n in names if task in cards[n].tasks]
        if tag:
            names = [n for n in names if tag in cards[n].tags]
        if input_kind:
            names = [n for n in names if cards[n].input_kind == input_kind]
        return names

    def cards(self, *args, **kwargs) -> list[Card]:
        """Cards of `list(*args, **kwargs)`."""
        return [self._entries[n][1] for n in self.list(*args, **kwargs)]
