"""Where a report's files go under the output directory.

Shared by the renderers (`reports.html`, `reports.markdown`) and the writer
(`reports.cli`), so neither renderer imports the other.

Example:

>>> folder_name("my suite/v2")
'my_suite_v2'
"""

from __future__ import annotations


def folder_name(suite: str) -> str:
    """A suite's folder under the output directory (path separators replaced).

    Args:
        suite: The suite name.

    Returns:
        The name with every character other than letters, digits and `-_.=`
        replaced by `_`, without leading/trailing dots ("suite" if empty).
    """
    out = "".join(ch if ch.isalnum() or ch in "-_.=" else "_" for ch in suite).strip(".")
    return out or "suite"
