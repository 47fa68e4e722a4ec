"""JSON records stored one per line and decoded only when read.

A query shows five documents out of thousands; decoding every document and passage of a large index
on load would dominate a cold `ask` (measured: 0.2 s of 0.4 s at 10,000 FAQ entries). The index keeps
the raw bytes and the line offsets (one vectorised scan), and decodes a record the first time it is read.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar, overload

import numpy as np

from faq.errors import IndexError_

T = TypeVar("T")


def encode_lines(items: Iterable[Any]) -> Iterator[bytes]:
    """One compact JSON value per line (JSON escapes newlines inside strings, so lines are records)."""
    return (json.dumps(item, ensure_ascii=False, sort_keys=True).encode("utf-8") + b"\n" for item in items)


def encode(items: Iterable[Any]) -> bytes:
    return b"".join(encode_lines(items))


class Records(Sequence[T]):
    """A read-only sequence over JSON lines, decoded by `decode` on first access and then remembered."""

    def __init__(self, blob: bytes, decode: Callable[[Any], T], what: str, fix: str) -> None:
        """`what` names the records and `fix` says what to do, in error messages."""
        self._blob = blob
        self._decode = decode
        self._what, self._fix = what, fix
        ends = np.flatnonzero(np.frombuffer(blob, dtype=np.uint8) == 0x0A)
        if len(blob) and (not len(ends) or ends[-1] != len(blob) - 1):
            raise IndexError_(f"{what}: the last record is not terminated (truncated file); {fix}")
        self._starts = np.concatenate(([0], ends[:-1] + 1)).astype(np.int64)
        self._ends = ends
        self._cache: dict[int, T] = {}

    def __len__(self) -> int:
        return len(self._ends)

    @overload
    def __getitem__(self, i: int) -> T: ...
    @overload
    def __getitem__(self, i: slice) -> list[T]: ...
    def __getitem__(self, i: int | slice) -> T | list[T]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        n = len(self)
        if not -n <= i < n:
            raise IndexError(i)
        i %= n
        item = self._cache.get(i)
        if item is None:
            raw = self._blob[int(self._starts[i]) : int(self._ends[i])]
            try:
                item = self._decode(json.loads(raw))
            except (AttributeError, KeyError, RecursionError, TypeError, ValueError) as exc:
                raise IndexError_(f"{self._what}: record {i + 1} is inconsistent ({exc}); {self._fix}") from exc
            self._cache[i] = item
        return item

    def __iter__(self) -> Iterator[T]:
        return (self[k] for k in range(len(self)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str | bytes):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]
