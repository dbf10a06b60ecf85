"""Suite files: built-in names, TOML reading, `--set` overrides, loading.

`load_suite` reads a suite from a path or a built-in name
(`benchmarks/suites/<name>.toml`), applies `--set key=value` overrides, and
validates the whole matrix before anything runs (`benchmarks.suite.validate`).
A *group* file lists other suites instead (`suites = ["demo", "optimizers"]`,
fnmatch patterns allowed; with `with_claim = true` only the suites that
declare a claim); load it with `load_suites`.

Example:

>>> suite = load_suite("demo", overrides=["epochs=1", "seeds=[0]"])
>>> suite.epochs, suite.seeds
(1, [0])
"""

from __future__ import annotations

import copy
import fnmatch
import os
import tomllib
from typing import Any

from zoo.axes import AXES
from zoo.domains import closest
from zoo.registry import did_you_mean, natural_key

from benchmarks.suite.definition import FIELDS, GROUP_FIELDS, Suite, known_axes
from benchmarks.suite.problems import Problem, SuiteError

SUITES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "suites")
SECTIONS = ("fixed", "matrix", "options", "target", "dataset_options", "pipeline_options")


def builtin_suites() -> list[str]:
    """Names of the built-in suites and groups (`benchmarks/suites/*.toml`)."""
    if not os.path.isdir(SUITES_DIR):
        return []
    names = [f[:-5] for f in os.listdir(SUITES_DIR) if f.endswith(".toml")]
    return sorted(names, key=natural_key)


def resolve_path(path_or_name: str) -> str:
    """Returns the file of a suite given as a path or a built-in name.

    Raises:
        SuiteError: when it is neither an existing file nor a built-in name.
    """
    candidate = os.path.join(SUITES_DIR, f"{path_or_name}.toml")
    if os.sep not in path_or_name and not path_or_name.endswith(".toml") and os.path.isfile(
            candidate):
        return candidate
    if os.path.isfile(path_or_name):
        return path_or_name
    names = builtin_suites()
    raise SuiteError(
        f"No suite file or built-in suite named {path_or_name!r}."
        f"{did_you_mean(path_or_name, names)} Expected a path to a TOML file or one of: "
        f"{', '.join(names)}. Received: suite={path_or_name!r}", path_or_name)


def read_toml(path: str) -> tuple[dict, str]:
    """Reads a TOML file, turning syntax errors into `SuiteError`."""
    with open(path, "rb") as f:
        text = f.read().decode("utf-8")
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as e:
        raise SuiteError([Problem(path, "", f"not valid TOML: {e}. Fix the syntax "
                                  f"(https://toml.io)", received=f"file={path!r}")]) from None


def parse_value(text: str) -> Any:
    """Parses an override value as a TOML value, or keeps it as a bare string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def apply_overrides(data: dict, overrides: list[str], path: str, fields=FIELDS,
                    what: str = "a suite field") -> dict:
    """Applies `key=value` overrides to raw suite data (a copy is returned).

    `key` is a top-level field (`epochs`, `seeds`, `model`), a dotted path
    (`fixed.batch_size`, `matrix.optimizer`, `options.jit_compile`,
    `target.value`), or a bare axis name, which pins the axis in `[fixed]`
    (and removes it from `[matrix]`); a bare run option (`pack_seeds`) goes
    to `[options]`. `seeds+=N` shifts each of the suite's own seeds by N, a
    disjoint seed set of the same size (e.g. to check that verdicts are
    stable: `zoo bench claims --set seeds+=100`).

    Args:
        data: The parsed TOML.
        overrides: `KEY=VALUE` strings.
        path: The file, for messages.
        fields: The top-level fields this kind of file has. Defaults to a suite's.
        what: How messages name a field. Defaults to "a suite field".

    Returns:
        The overridden data.

    Raises:
        SuiteError: for an override without `=` or with an unknown key.
    """
    data = copy.deepcopy(data)
    for item in overrides:
        key, sep, raw = item.partition("=")
        key = key.strip()
        where = f"--set {item!r}"
        if not sep or not key:
            raise SuiteError([Problem(path, where, "expected KEY=VALUE, e.g. `--set epochs=1` "
                                      "or `--set matrix.optimizer=[\"sgd\",\"adam\"]`",
                                      received=f"--set {item!r}")])
        value = parse_value(raw.strip())
        head, _, rest = key.partition(".")
        if key == "seeds+":  # `--set seeds+=100`: the suite's own seeds, shifted (disjoint)
            if not isinstance(value, int) or isinstance(value, bool):
                raise SuiteError([Problem(path, where, "`seeds+=` shifts every seed by a whole "
                                          "number, e.g. `--set seeds+=100`",
                                          received=f"--set {item!r}")])
            data["seeds"] = [int(seed) + value for seed in data.get("seeds", [0])]
        elif rest:
            if head not in SECTIONS:
                raise SuiteError([Problem(path, where, f"unknown section {head!r}",
                                          closest(head, SECTIONS), f"--set {item!r}",
                                          hint=f"Expected a dotted key under one of: "
                                               f"{', '.join(SECTIONS)}.")])
            section = data.setdefault(head, {})
            if not isinstance(section, dict):
                raise SuiteError([Problem(path, where, f"{head!r} is not a table",
                                          received=f"{head}={section!r}")])
            section[rest] = value
            other = {"fixed": "matrix", "matrix": "fixed"}.get(head)
            if other and isinstance(data.get(other), dict):
                data[other].pop(rest, None)
        elif key in fields:
            data[key] = value
        elif key in known_axes():
            data.setdefault("fixed", {})[key] = value
            if isinstance(data.get("matrix"), dict):
                data["matrix"].pop(key, None)
        elif key in AXES:  # a run option
            data.setdefault("options", {})[key] = value
        else:
            choices = list(fields) + list(AXES)
            raise SuiteError([Problem(
                path, where, f"unknown key {key!r}", closest(key, choices),
                f"--set {item!r}", hint=f"Expected {what} ({', '.join(fields)}), an axis "
                f"(see `zoo axes`), or a dotted key such as fixed.batch_size.")])
    return data


def _import(modules, path: str) -> None:
    """Imports a suite's `imports` before it is validated, so their entries are known."""
    from zoo.references import import_modules

    if isinstance(modules, list) and all(isinstance(m, str) for m in modules):
        try:
            import_modules(modules)
        except ValueError as exc:
            raise SuiteError([Problem(path, "imports", str(exc))]) from None


def load_suite(path_or_name: str, overrides: list[str] | None = None,
               check_cells: bool = True) -> Suite:
    """Loads and validates one suite.

    Args:
        path_or_name: A TOML path or a built-in suite name (`demo`, ...).
        overrides: `key=value` strings (`--set`), applied before validation.
        check_cells: Also check every resolved cell as a whole (the loss
            against the dataset's task, ...). Defaults to True.

    Returns:
        A `Suite`.

    Raises:
        SuiteError: listing every problem, each naming file and field.
    """
    from benchmarks.suite.validate import validate

    path = resolve_path(path_or_name)
    data, text = read_toml(path)
    if "suites" in data:
        raise SuiteError(f"is a suite group (it lists `suites`); run it with "
                         f"`zoo bench {path_or_name}` or load it with `load_suites`. "
                         f"Received: suites={data['suites']!r}", path)
    data = apply_overrides(data, overrides or [], path)
    _import(data.get("imports"), path)
    shown = os.path.basename(path) if os.path.dirname(path) == SUITES_DIR else path
    suite = validate(data, shown, check_cells=check_cells)
    suite.path = path
    suite.source = text + "".join(f"\n# --set {o}" for o in overrides or [])
    return suite


def suite_from_dict(data: dict, overrides: list[str] | None = None,
                    check_cells: bool = True) -> Suite:
    """Validates a suite given as a dict (the content a TOML file would have).

    Example:

    >>> suite = suite_from_dict({"name": "mine", "dataset": "digits", "model": "mlp",
    ...                          "epochs": 2, "matrix": {"optimizer": ["sgd", "adam"]}})
    >>> len(suite.cells())
    2

    Raises:
        SuiteError: listing every problem.
    """
    from benchmarks.suite.validate import validate

    if not isinstance(data, dict):
        raise SuiteError(f"A suite given from Python is a dict of its fields. "
                         f"Received: suite={data!r}", "<dict>")
    where = f"<suite {data.get('name', '?')}>"
    data = apply_overrides(data, overrides or [], where)
    _import(data.get("imports"), where)
    suite = validate(data, where, check_cells=check_cells)
    suite.source = "# built in Python\n" + repr(data)
    return suite


def load_suites(path_or_name: str, overrides: list[str] | None = None,
                check_cells: bool = True) -> list[Suite]:
    """Loads a suite or a group of suites; overrides apply to each.

    Returns:
        A list of `Suite`s (one for a plain suite), claim suites by claim id.

    Raises:
        SuiteError: for an invalid member, or a group that selects nothing.
    """
    path = resolve_path(path_or_name)
    data, _ = read_toml(path)
    if "suites" not in data:
        return [load_suite(path, overrides, check_cells)]
    unknown = sorted(set(data) - set(GROUP_FIELDS))
    patterns = data["suites"]
    if unknown or not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise SuiteError(f"a suite group has the fields {', '.join(GROUP_FIELDS)} and "
                         f"`suites` is a list of names or patterns. Received: "
                         f"suites={patterns!r}, other fields={unknown}", path)
    names = [n for n in builtin_suites() if n != os.path.basename(path)[:-5]]
    chosen = []
    for pattern in patterns:
        matched = [n for n in names if fnmatch.fnmatchcase(n, pattern)]
        if not matched and not any(c in pattern for c in "*?["):
            raise SuiteError([Problem(path, "suites", f"unknown suite {pattern!r}. Expected one "
                                      f"of: {', '.join(names)}", closest(pattern, names),
                                      f"suites={patterns!r}")])
        chosen += [n for n in matched if n not in chosen]
    members = []
    for name in chosen:
        member_path = os.path.join(SUITES_DIR, f"{name}.toml")
        member, _ = read_toml(member_path)
        if "suites" in member or (data.get("with_claim") and not member.get("claim")):
            continue
        members.append(load_suite(member_path, overrides, check_cells))
    if not members:
        raise SuiteError(f"the group selects no suite (patterns {patterns}, "
                         f"with_claim={bool(data.get('with_claim'))}). Add suites to it. "
                         f"Received: suites={patterns!r}", path)
    members.sort(key=lambda s: natural_key(s.claim or s.name))
    return members
