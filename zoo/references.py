"""References to users' own code: `"mypkg.models:build_net"` wherever a registry name goes.

A reference is `"module.path:attribute"` (the attribute may be dotted,
`"mypkg.zoo:Nets.small"`); for optimizers a dotted class path such as
`"keras.optimizers.Lion"` works too. `resolve(ref, kind)` imports the module
and returns the attribute, with a clear error for each way it can fail:
module not found, attribute missing (with the closest names), not callable.
`source_hash(ref)` fingerprints the module's source, so run identity changes
when the user edits their code (`benchmarks.store.identity`). `plugins()`
loads the `zoo.plugins` entry-point group once, the first time a name is not
found or the registry is listed, so `zoo models` stays fast.

Dataset prefixes (`tfds:`, `csv:`, `parquet:`) are not references.

Example:

>>> is_reference("mypkg.models:build_net"), is_reference("tfds:mnist"), is_reference("mlp")
(True, False, False)
>>> resolve("collections:OrderedDict", "model").__name__
'OrderedDict'
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import re
import sys

PREFIXES = ("tfds", "csv", "parquet")
_REF = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")
_DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$")


def is_reference(name, dotted: bool = False) -> bool:
    """True for `"module:attr"` (and, with `dotted`, `"package.module.Class"`)."""
    if not isinstance(name, str):
        return False
    if _REF.match(name):
        return name.partition(":")[0] not in PREFIXES
    return dotted and bool(_DOTTED.match(name))


def _split(ref: str) -> tuple[str, str]:
    module, sep, attr = ref.partition(":")
    if not sep:  # a dotted class path: the last part is the attribute
        module, _, attr = ref.rpartition(".")
    return module, attr


def resolve(ref: str, kind: str):
    """The object a reference names, imported on first use.

    Args:
        ref: `"module.path:attribute"` or a dotted class path.
        kind: What it should be, for messages ("model", "optimizer", ...).

    Returns:
        The attribute (a callable).

    Raises:
        ValueError: when the module cannot be imported, has no such
            attribute (the closest names are suggested), or the attribute is
            not callable.
    """
    from zoo.domains import closest

    module_name, attr = _split(ref)
    try:
        obj = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise ValueError(
            f"The {kind} reference {ref!r} names module {module_name!r}, which cannot be "
            f"imported ({exc}). Expected an importable module: install it, or put its folder "
            f"on PYTHONPATH (workers import it too). Received: {kind}={ref!r}") from None
    except Exception as exc:  # the user's module raised while importing
        raise ValueError(f"Importing {module_name!r} for the {kind} reference {ref!r} raised "
                         f"{type(exc).__name__}: {exc}. Received: {kind}={ref!r}") from None
    for part in attr.split("."):
        if not hasattr(obj, part):
            names = [n for n in dir(obj) if not n.startswith("_")]
            hint = closest(part, names)
            raise ValueError(
                f"{getattr(obj, '__name__', module_name)!r} has no attribute {part!r} (the "
                f"{kind} reference {ref!r})."
                f"{' Did you mean ' + ' or '.join(map(repr, hint)) + '?' if hint else ''} "
                f"Expected the {kind} to be defined in that module. Received: {kind}={ref!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise ValueError(f"The {kind} reference {ref!r} names a {type(obj).__name__}, not a "
                         f"function or class. Expected something to call. "
                         f"Received: {kind}={ref!r}")
    return obj


def source_hash(ref: str) -> str:
    """A short hash of the source of the module a reference (or module name) names.

    Installed distributions without source fall back to the module's version
    (or its name). Editing the module changes the hash.
    """
    import importlib.util

    module_name = _split(ref)[0] if ":" in ref else ref
    try:
        spec = importlib.util.find_spec(module_name)
    except (ImportError, ValueError):
        spec = None
    if spec is None and "." in module_name and ":" not in ref:  # a dotted class path
        return source_hash(_split(ref)[0])
    origin = getattr(spec, "origin", None)
    if origin and origin.endswith(".py"):
        with open(origin, "rb") as f:  # the file as it is now (not a cached copy)
            return hashlib.sha256(f.read()).hexdigest()[:12]
    module = sys.modules.get(module_name)
    return hashlib.sha256(str(getattr(module, "__version__", module_name)).encode()
                          ).hexdigest()[:12]


def import_modules(names) -> None:
    """Imports a suite's `imports` (modules that register entries), with clear errors.

    Raises:
        ValueError: naming a module that cannot be imported.
    """
    importlib.invalidate_caches()  # modules written since the interpreter started
    for name in names or ():
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            raise ValueError(f"Module {name!r} cannot be imported ({exc}). Expected "
                             f"an installed module or one on PYTHONPATH. Received: "
                             f"imports={list(names)!r}") from None


@functools.lru_cache(maxsize=1)
def plugins() -> tuple[str, ...]:
    """Imports every `zoo.plugins` entry point once; returns their names.

    A package adds registry entries by declaring, in its pyproject.toml,
    `[project.entry-points."zoo.plugins"] mypkg = "mypkg.zoo_entries"`.
    """
    from importlib import metadata

    loaded = []
    for entry in metadata.entry_points(group="zoo.plugins"):
        try:
            entry.load()
            loaded.append(entry.name)
        except Exception as exc:  # a broken plugin must not break the zoo
            print(f"zoo: plugin {entry.name!r} ({entry.value}) failed to load: "
                  f"{type(exc).__name__}: {exc}", file=sys.stderr)
    return tuple(loaded)
