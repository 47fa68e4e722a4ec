"""Crash-safe publishing of index directories, and a build lock.

An index is written into a fresh hidden directory beside the target, fsync'ed, and published by
atomically replacing a symlink (`indexes/default -> .default.<stamp>`): a reader sees either the old
index or the new one, never a half-written one, and a build killed midway leaves the old one serving.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from faq.errors import IndexError_


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_file(path: Path, data: bytes) -> None:
    """Write and fsync one file."""
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


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
    """Remove build directories left by killed builds (never the one `target` points at)."""
    live = (target.parent / os.readlink(target)).resolve() if target.is_symlink() else None
    for path in target.parent.glob(f".{target.name}.*"):
        if path.is_dir() and not path.is_symlink() and path.resolve() != live:
            shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def build_lock(target: Path, wait_seconds: float = 60.0) -> Iterator[None]:
    """Hold an exclusive lock for building `target`; a second build waits, then fails clearly."""
    target.parent.mkdir(parents=True, exist_ok=True)
    lock_path = target.parent / f".{target.name}.lock"
    with open(lock_path, "a+") as fh:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexError_(
                        f"another build of {target} is running (lock {lock_path}); wait for it to finish"
                    ) from None
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
