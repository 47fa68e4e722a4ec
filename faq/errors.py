"""Typed errors. Each message is one line and names the fix; the CLI maps the type to an exit code."""

from __future__ import annotations


class FaqError(Exception):
    """Base class: a problem the user can fix. `exit_code` is stable and documented in the README."""

    exit_code = 1


class UsageError(FaqError):
    """A bad argument (unknown id, unreadable query file...)."""

    exit_code = 2


class CorpusError(FaqError):
    """The corpus or a data file (FAQ file, eval set, lexicon) is broken; `problems` lists every one."""

    exit_code = 3

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


class IndexError_(FaqError):
    """The index is missing, stale, corrupt or from another format version."""

    exit_code = 4


class GateError(FaqError):
    """An evaluation fell below the committed quality floor."""

    exit_code = 5
