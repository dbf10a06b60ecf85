"""Problems found in a suite, as values: collected, then reported together.

Validation never raises at the first problem and never reads its own
messages back: each check returns `Problem`s (file, field, message,
suggestions, the value received), `Problems` collects them without
duplicates, and `SuiteError` carries the list. A tuning space names its
crossed section `[space]` by passing that label to the validation, and the
message text is rendered once, by `str(problem)`.

Example:

>>> p = Problem("x.toml", "[matrix] optimizer", "unknown optimizer 'adamm'",
...             ("adam",), "optimizer='adamm'")
>>> str(p)
"x.toml: [matrix] optimizer: unknown optimizer 'adamm'. Did you mean 'adam'? Received: optimizer='adamm'"
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Problem:
    """One thing wrong with a suite (or a tuning space).

    Args:
        file: The file (or suite name) it is in.
        field: Where: a field (`epochs`), a section and axis
            (`[matrix] optimizer`), an exclude (`[[exclude]] #1 optimiser`),
            a cell (`cell (optimizer='sgd')`), or an override (`--set x`).
        message: What is wrong and what was expected (no "Received").
        suggestions: The closest valid names, best first.
        received: `name=value` as the user wrote it, or "".
        hint: How to fix it, shown after the suggestions ("Expected fields: ...").
    """

    file: str
    field: str
    message: str
    suggestions: tuple[str, ...] = ()
    received: str = ""
    hint: str = ""

    def __str__(self) -> str:
        text = ": ".join(part for part in (self.file, self.field, self.message) if part)
        if self.suggestions:
            text += f". Did you mean {' or '.join(repr(s) for s in self.suggestions)}?"
        for part in (self.hint, self.received and f"Received: {self.received}"):
            if part:
                text += f" {part}" if text.endswith("?") or text.endswith(".") else f". {part}"
        return text


class SuiteError(ValueError):
    """A suite file or override is invalid; `problems` lists every problem.

    Args:
        problems: The `Problem`s (at least one), or a message string for a
            problem that has no field (e.g. a file that does not exist).
        path: The file, used in the header of a multi-problem message.
    """

    def __init__(self, problems, path: str = ""):
        if isinstance(problems, str):
            problems = [Problem(path, "", problems)]
        self.problems = list(problems)
        self.path = path or (self.problems[0].file if self.problems else "")
        super().__init__(self.render())

    def render(self) -> str:
        """One line for one problem; a header and a bulleted list for several."""
        lines = [str(p) for p in self.problems]
        if len(lines) == 1:
            return lines[0]
        return f"{len(lines)} problems in {self.path}:\n" + "\n".join(f"  - {ln}" for ln in lines)


class Problems(list):
    """A list of `Problem`s for one file, without duplicates.

    Args:
        path: The file every problem is in.
    """

    def __init__(self, path: str):
        super().__init__()
        self.path = path

    def add(self, field: str, message: str, suggestions=(), received: str = "",
            hint: str = "") -> None:
        """Adds a problem unless the same one is already listed."""
        problem = Problem(self.path, field, message, tuple(suggestions), received, hint)
        if problem not in self:
            self.append(problem)

    def invalid(self, field: str, name: str, value, invalid, context: str = "") -> None:
        """Adds the problem of `value` outside its domain (`zoo.domains.Invalid`).

        `context` ends the message, e.g. "for model 'cnn'".
        """
        self.add(field, invalid.message(context), invalid.suggestions, f"{name}={value!r}")

    def raise_if_any(self, error=SuiteError) -> None:
        """Raises `error(problems)` when any problem was found."""
        if self:
            raise error(list(self), self.path)
