"""JSON records stored one per line and decoded only when read.

A query shows five documents out of thousands; decoding every document and passage of a large index
on load would dominate a cold `ask` (measured: 0.2 s of 0.4 s at 10,000 FAQ entries). The index keeps
the raw bytes and the line offsets (stored by the build; one vectorised scan for an index built before
they were, itself most of a cold start's load at 100,000), and decodes a record the first time it is read.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, BinaryIO, TypeVar, overload

import numpy as np

from faq.errors import IndexError_

T = TypeVar("T")


def encode_lines(items: Iterable[Any]) -> Iterator[bytes]:
    """One compact JSON value per line (JSON escapes newlines inside strings, so lines are records)."""
    return (json.dumps(item, ensure_ascii=False, sort_keys=True).encode("utf-8") + b"\n" for item in items)


def encode(items: Iterable[Any]) -> bytes:
    return b"".join(encode_lines(items))


def write_lines(fh: BinaryIO, lines: Iterable[bytes]) -> np.ndarray:
    """Write the lines; return the offset of each one's newline (what `Records` takes as `ends`)."""
    ends, at = [], -1
    for line in lines:
        fh.write(line)
        at += len(line)
        ends.append(at)
    return np.array(ends, dtype=np.int64)


class Records(Sequence[T]):
    """A read-only sequence over JSON lines, decoded by `decode` on first access and then remembered."""

    def __init__(
        self, blob: bytes, decode: Callable[[Any], T], what: str, fix: str, ends: np.ndarray | None = None
    ) -> None:
        """`what` names the records and `fix` says what to do, in error messages. `ends`: the offset of
        each record's newline, as the writer found them (`write_lines`); without them the blob is
        scanned for newlines, which at 100,000 FAQ entries is most of a cold start's load. Given ends
        are checked to be increasing newlines, the last at the blob's end."""
        self._blob = blob
        self._decode = decode
        self._what, self._fix = what, fix
        if ends is None:
            ends = np.flatnonzero(np.frombuffer(blob, dtype=np.uint8) == 0x0A)
            if len(blob) and (not len(ends) or ends[-1] != len(blob) - 1):
                raise IndexError_(f"{what}: the last record is not terminated (truncated file); {fix}")
        elif not _ends_fit(blob, ends):  # which holds the last one to the blob's end too
            raise IndexError_(f"{what}: the stored record offsets do not match the file; {fix}")
        ends = np.asarray(ends, dtype=np.int64)
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


def _ends_fit(blob: bytes, ends: np.ndarray) -> bool:
    """Whether stored record ends can be those of `blob`: a 1-D run of increasing offsets, the last at its end, each
    a newline. (A newline between two of them would mean a damaged file, which its CRC catches.)"""
    if ends.ndim != 1 or ends.dtype.kind not in "iu":
        return False
    if not len(ends):
        return not len(blob)
    if ends[0] < 0 or ends[-1] != len(blob) - 1 or np.any(np.diff(ends) <= 0):
        return False
    return bool(np.all(np.frombuffer(blob, dtype=np.uint8)[ends] == 0x0A))
