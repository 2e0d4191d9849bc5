"""The index folder on disk: builds, the `current` link swapped atomically, manifest and locks."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from kb.index.base import IndexUnavailable

SCHEMA_VERSION = 1
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Manifest:
    """What a build holds and what it was built from."""

    schema_version: int
    build_id: str
    model: str
    dim: int
    chunker_version: int
    keyword_schema: int
    articles: int
    chunks: int
    generation: int  # the newest database change the build reflects
    built_at: str
    companion: str = ""  # the English companion model of translated questions ("" for none), and its dimension
    companion_dim: int = 0
    section_lines: int = 0  # kb.section_lines.LINES_VERSION of the sections' line vectors (0: none)

    def to_json(self) -> str:
        """Pretty JSON for the manifest file."""
        return json.dumps(asdict(self), indent=2) + "\n"


def read_manifest(build: Path) -> Manifest:
    """The manifest of a build folder, or IndexUnavailable."""
    try:
        data = json.loads((build / MANIFEST).read_text())
        known = {f.name for f in fields(Manifest)}  # a newer version's extra facts do not make a build unreadable
        return Manifest(**{k: v for k, v in data.items() if k in known})
    except (OSError, ValueError, TypeError) as exc:
        raise IndexUnavailable(f"no readable manifest in {build}: {exc}") from exc


def write_json_atomic(path: Path, text: str) -> None:
    """Write a file so readers see the old or the new content, never half of it."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


class IndexFolder:
    """index/current -> index/build-<id>/ ; builds are made aside and swapped in."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.current = root / "current"

    def current_build(self) -> Path | None:
        """The build folder `current` points at, if any."""
        try:
            return (self.root / os.readlink(self.current)).resolve()
        except OSError:
            return None

    def new_build(self) -> Path:
        """A fresh, empty build folder."""
        self.root.mkdir(parents=True, exist_ok=True)
        build = self.root / f"build-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
        build.mkdir()
        return build

    def activate(self, build: Path) -> None:
        """Point `current` at `build` in one atomic rename, then drop builds older than the previous one.

        Callers hold the "build" lock, so no other build is being written: one without a manifest was left
        by a builder that was killed, and goes too.
        """
        previous = self.current_build()
        link = self.root / f".current-{os.getpid()}"
        link.unlink(missing_ok=True)
        link.symlink_to(build.name)
        if self.current.is_dir() and not self.current.is_symlink():
            # A copy (rsync, a restored backup) made the link a folder: a rename cannot replace a folder.
            self.current.rename(self.root / f"stray-current-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}")
        os.replace(link, self.current)
        keep = {build.resolve(), previous} if previous else {build.resolve()}
        for old in self.root.glob("build-*"):
            # The previous build stays for processes that have not noticed the swap yet.
            if old.resolve() not in keep and old.is_dir():
                shutil.rmtree(old, ignore_errors=True)

    @contextmanager
    def lock(self, name: str) -> Iterator[None]:
        """An exclusive lock shared by every process using this folder."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / f".{name}.lock", "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def read_generation(path: Path) -> int:
    """A generation number kept in a small text file; 0 when missing."""
    try:
        return int(path.read_text().strip() or 0)
    except (OSError, ValueError):
        return 0
