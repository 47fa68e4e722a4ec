"""Crash-safe publishing of index directories, and a build lock.

An index is written into a fresh hidden directory beside the target, fsync'ed, and published by
atomically replacing a symlink (`indexes/default -> .default.<stamp>`): a reader sees either the old
index or the new one, never a half-written one, and a build killed midway leaves the old one serving.
A publish deletes the previous build, possibly under a reader still opening its files: readers go
through `read_published`, which then reads the new build instead.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import json
import mmap
import os
import shutil
import struct
import time
import uuid
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, TypeVar

import numpy as np

from faq.errors import IndexError_

T = TypeVar("T")
LOCK_WAIT_SECONDS = 60.0  # how long a second build waits for the first before giving up
READ_ATTEMPTS = 10


def read_npz(data: bytes | mmap.mmap) -> dict[str, np.ndarray]:
    """Arrays of an uncompressed `.npz` (as `np.savez` writes it), as read-only views of `data`.

    `np.load` copies every array out of the archive; for a large index that copy is most of a cold
    start. This reads the same format without copying. Object arrays (which would need pickle) and
    compressed members are refused, like `np.load(..., allow_pickle=False)` refuses pickles.
    """
    try:
        return _read_npz(data)
    except (zipfile.BadZipFile, EOFError, OSError, struct.error) as exc:
        raise ValueError(f"not a valid .npz archive ({exc})") from exc


def _read_npz(data: bytes | mmap.mmap) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    with zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else _Reader(data)) as archive:
        for info in archive.infolist():
            if info.compress_type != zipfile.ZIP_STORED or not info.filename.endswith(".npy"):
                raise ValueError(f"unexpected archive member {info.filename!r}")
            local = data[info.header_offset : info.header_offset + 30]
            if len(local) < 30 or local[:4] != b"PK\x03\x04":
                raise ValueError(f"bad archive member {info.filename!r}")
            name_len, extra_len = struct.unpack("<HH", local[26:30])
            start = info.header_offset + 30 + name_len + extra_len
            member = io.BytesIO(data[start : start + min(info.file_size, 65536)])
            version = np.lib.format.read_magic(member)
            read_header = (
                np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            )
            shape, fortran, dtype = read_header(member)  # a literal dict: parsing it executes nothing
            if dtype.hasobject:
                raise ValueError(f"{info.filename!r} holds Python objects; refusing to unpickle")
            count = int(np.prod(shape, dtype=np.int64))
            if member.tell() + count * dtype.itemsize > info.file_size:
                raise ValueError(f"{info.filename!r} is shorter than its header says")
            array = np.frombuffer(data, dtype=dtype, count=count, offset=start + member.tell())
            out[info.filename[:-4]] = array.reshape(shape, order="F" if fortran else "C")
    return out


class _Reader(io.RawIOBase):
    """A read-only file over a memory map for zipfile, which must not move the map's own position
    (arrays are views of the map) and must not copy it (io.BytesIO would)."""

    def __init__(self, data: mmap.mmap) -> None:
        self._data, self._pos = data, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        self._pos = offset if whence == 0 else (self._pos + offset if whence == 1 else len(self._data) + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def read(self, size: int = -1) -> bytes:
        end = len(self._data) if size is None or size < 0 else min(len(self._data), self._pos + size)
        chunk = self._data[self._pos : end]
        self._pos = end
        return chunk


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_file(path: Path, data: bytes | Callable[[BinaryIO], object]) -> dict[str, int | str]:
    """Write and fsync one file, from bytes or a function writing to it (large artifacts are streamed
    rather than assembled in memory); returns its size and sha256, read back from the page cache."""
    with open(path, "wb") as fh:
        if isinstance(data, bytes):
            fh.write(data)
        else:
            data(fh)
        fh.flush()
        os.fsync(fh.fileno())
    return file_digest(path)


def file_digest(path: Path) -> dict[str, int | str]:
    """{"size": bytes, "crc32": …, "sha256": hex digest} of a file, read in blocks.

    Loading checks size and CRC-32 (4x faster than sha256 here: what a cold start on a large index
    pays), which catch truncated, partly written and bit-flipped files; anyone able to forge an index
    file could rewrite the manifest too, so a cryptographic check on load would add nothing. The sha256
    stays in the manifest to identify an artifact.
    """
    digest, crc, size = hashlib.sha256(), 0, 0
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
            crc = zlib.crc32(block, crc)
            size += len(block)
    return {"size": size, "crc32": crc, "sha256": digest.hexdigest()}


VERIFIED = "verified.json"  # beside the manifest: files whose checksum was checked, by their stat
INPUTS_VERIFIED = "inputs-verified.json"  # corpus inputs last found to match the index's fingerprint


def stat_key(st: os.stat_result) -> list[int]:
    """What changes whenever a file is written, replaced or copied over: inode, size, mtime and ctime
    (ctime cannot be set back by any user-level call)."""
    return [st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


RACY_NS = 1_000_000_000  # file timestamps move in clock ticks: a stat taken this close to a change is no proof


def settled(keys: dict[str, list[int]], taken_at: int) -> dict[str, list[int]]:
    """The stat keys, taken at `taken_at` (ns), that can vouch for their file's content: its last change
    was over RACY_NS earlier. A file changed again within the same clock tick, at the same size, keeps
    every field of its key; such a "racily clean" key (git's term) is not trusted, the file is read.
    A missing file (`[]`) is settled: creating it would give it a key."""
    return {k: v for k, v in keys.items() if v == [] or (len(v) == 4 and max(v[2], v[3]) < taken_at - RACY_NS)}


def read_verified(directory: Path, name: str = VERIFIED) -> dict[str, list[int]]:
    """The files whose checks `directory` remembers in `name` and that are still trustworthy (`settled`)."""
    try:
        data = json.loads((directory / name).read_text(encoding="utf-8"))
        files, taken_at = data["files"], data["taken_at"]
        if not isinstance(files, dict) or not isinstance(taken_at, int):
            return {}
        return settled({k: v for k, v in files.items() if isinstance(v, list)}, taken_at)
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def record_verified(directory: Path, stats: dict[str, list[int]], name: str = VERIFIED) -> None:
    """Remember files just checked (best effort: a read-only index is simply checked on every load)."""
    tmp = directory / f".{name}.{os.getpid()}.tmp"
    try:
        tmp.write_text(json.dumps({"taken_at": time.time_ns(), "files": stats}), encoding="utf-8")
        os.replace(tmp, directory / name)
    except OSError:
        tmp.unlink(missing_ok=True)


def map_verified(
    path: Path, size: object, crc32: object, known: list[int] | None = None
) -> tuple[bytes | mmap.mmap, list[int] | None]:
    """The file's bytes, memory-mapped (no copy: large arrays are used in place), after checking its
    size and CRC-32; and its stat key when the CRC was computed now (None when `known`, the stat key of
    an earlier check, still matches: the file has not been touched since, so it is not read again).
    OSError when unreadable, ValueError when size or checksum differ."""
    with open(path, "rb") as fh:
        st = os.fstat(fh.fileno())
        if st.st_size != size:
            raise ValueError(f"size {st.st_size} differs from {size}")
        data: bytes | mmap.mmap = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if st.st_size else b""
    if known is not None and known == stat_key(st):
        return data, None
    if zlib.crc32(data) != crc32:
        raise ValueError("checksum differs")
    return data, stat_key(st)


def staging_dir(target: Path) -> Path:
    """A new empty directory beside `target` to build into."""
    target.parent.mkdir(parents=True, exist_ok=True)
    stage = target.parent / f".{target.name}.{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
    stage.mkdir()
    return stage


def publish(stage: Path, target: Path) -> None:
    """Make `target` point at the finished `stage` in one atomic rename, then drop the previous build."""
    fsync_dir(stage)
    previous: Path | None = None
    if target.is_symlink():
        previous = target.parent / os.readlink(target)
    elif target.is_dir():
        if not (target / "manifest.json").exists() and any(target.iterdir()):
            shutil.rmtree(stage, ignore_errors=True)
            raise IndexError_(f"{target} exists and is not an index directory; choose another --out")
        # A plain directory from an older layout: move it aside (the only non-atomic step, once).
        previous = target.parent / f".{target.name}.old-{uuid.uuid4().hex[:8]}"
        target.rename(previous)
    elif target.exists():
        shutil.rmtree(stage, ignore_errors=True)
        raise IndexError_(f"{target} exists and is a file, not an index directory; choose another --out")
    link = target.parent / f".{target.name}.link-{uuid.uuid4().hex[:8]}"
    os.symlink(stage.name, link)
    os.replace(link, target)
    fsync_dir(target.parent)
    if previous is not None and previous.resolve() != stage.resolve():
        shutil.rmtree(previous, ignore_errors=True)


def clean_stale_stages(target: Path) -> None:
    """Remove build directories and unswapped links left by killed builds (never what `target` points at)."""
    live = (target.parent / os.readlink(target)).resolve() if target.is_symlink() else None
    for path in target.parent.glob(f".{target.name}.*"):
        if path.is_symlink():  # a `.link-` made by a build killed just before its swap
            path.unlink(missing_ok=True)
        elif path.is_dir() and path.resolve() != live:
            shutil.rmtree(path, ignore_errors=True)


def live_build(target: Path) -> Path:
    """The build directory `target` points at now (`target` itself when it is a plain directory)."""
    return target.resolve() if target.is_symlink() else target


def read_published(target: Path, read: Callable[[Path], T]) -> T:
    """`read` the build `target` points at; when a publish swapped it meanwhile, read the new one instead.

    A failure is retried only when the symlink moved during the read (the old build may have been
    deleted under the reader); a failure on an unchanged index is a real one and is raised at once.
    """
    for _ in range(READ_ATTEMPTS - 1):
        live = live_build(target)
        try:
            return read(live)
        except IndexError_:
            if live_build(target) == live:
                raise
    return read(live_build(target))


@contextlib.contextmanager
def try_lock(path: Path, wait_seconds: float = 0.0) -> Iterator[bool]:
    """An exclusive flock on `path`, retried for up to `wait_seconds`: yields whether it was taken. With
    no wait, for a shared resource a caller can do without (the analysis cache: a build that finds it
    busy analyses into a private one). The kernel releases an flock when its holder dies, even by SIGKILL."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.1)
        try:
            yield True
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


@contextlib.contextmanager
def build_lock(target: Path, wait_seconds: float | None = None) -> Iterator[None]:
    """Hold an exclusive lock for building `target`; a second build waits, then fails clearly."""
    lock_path = target.parent / f".{target.name}.lock"
    with try_lock(lock_path, LOCK_WAIT_SECONDS if wait_seconds is None else wait_seconds) as mine:
        if not mine:
            raise IndexError_(f"another build of {target} is running (lock {lock_path}); wait for it to finish")
        yield
