"""A local drop folder where analysts put files and tips to be scanned.

A file is new or changed when its (mtime, size) differs from the cursor and its sha256
differs from the last scanned version of the same relative path; an unchanged file
costs one ``stat``. Files still being written (modified less than ``settle_seconds``
ago) wait for the next run. Hidden files and symbolic links are ignored, so a link
cannot pull in files from outside the folder. With ``move_processed`` a scanned file
is moved into the ``done/`` subfolder once the consumer is done with it.
"""
from __future__ import annotations

import fnmatch
import hashlib
import mimetypes
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sources.base import FetchedDocument, Source, SourceContext, log
from sources.errors import ConfigError
from sources.files import FileRefused, path_text, read_regular_file
from sources.options import invalid, require_range


@dataclass
class FolderOptions:
    path: str = field(metadata={"doc": "the drop folder"})
    patterns: list[str] = field(default_factory=lambda: ["*"])  # file-name globs
    recursive: bool = True
    move_processed: bool = False  # move scanned files into `done_dir`
    done_dir: str = "done"  # subfolder name, skipped when walking
    settle_seconds: float = 2.0  # skip files modified this recently (still being copied)
    max_bytes: int = 100 * 1024 * 1024  # larger files are skipped

    def __post_init__(self) -> None:
        if not self.path.strip():
            raise invalid("path", self.path, "must name a folder")
        if not self.done_dir or "/" in self.done_dir or self.done_dir in (".", ".."):
            raise invalid("done_dir", self.done_dir, "must be a plain subfolder name")
        require_range("settle_seconds", self.settle_seconds, 0)
        require_range("max_bytes", self.max_bytes, 1)


class Folder(Source, kind="folder"):
    """New or changed files of a local folder."""

    Options = FolderOptions

    def _run(self, ctx: SourceContext) -> Iterator[FetchedDocument]:
        root = Path(self.options.path).expanduser().resolve()
        if not root.is_dir():
            raise ConfigError(f"source {self.name!r}: path = {str(root)!r}: not a folder")
        cursor = ctx.get_cursor()
        known: dict[str, list[int]] = dict(cursor.get("files", {}))
        present: set[str] = set()
        for path in self._files(root):
            rel = path_text(path.relative_to(root).as_posix())  # a name that is not UTF-8 is escaped, not fatal
            present.add(rel)
            yield from self._file(ctx, root, path, rel, known)
        for rel in set(known) - present:
            del known[rel]
        ctx.set_cursor({"files": known})

    def _file(
        self, ctx: SourceContext, root: Path, path: Path, rel: str, known: dict[str, list[int]]
    ) -> Iterator[FetchedDocument]:
        options = self.options
        try:
            info = path.stat()
        except OSError:
            return  # gone since listing
        stamp = [info.st_mtime_ns, info.st_size]
        if known.get(rel) == stamp and ctx.is_seen(rel):
            return
        if time.time() - info.st_mtime < options.settle_seconds:
            self.stats.skipped["settling"] += 1
            return
        if info.st_size > options.max_bytes:
            self.stats.skipped["too_large"] += 1
            return
        try:
            content = read_regular_file(path, options.max_bytes, follow_links=False)  # links were skipped
        except FileRefused as exc:  # swapped for a FIFO or a device since listing, or grown
            self.stats.skipped[exc.reason] += 1
            log.warning("source %s: %s: %s", self.name, rel, exc)
            return
        except OSError as exc:
            self.stats.skipped["unreadable"] += 1
            log.warning("source %s: cannot read %s: %s", self.name, rel, exc.strerror)
            return
        sha = hashlib.sha256(content).hexdigest()
        if ctx.is_seen(rel, sha):
            known[rel] = stamp
            return
        yield from self._deliver(
            ctx,
            FetchedDocument(
                source=self.name,
                url=path.as_uri(),
                content=content,
                content_type=mimetypes.guess_type(path.name)[0],
                item_id=rel,
                metadata={"path": rel, "mtime_ns": info.st_mtime_ns, "size": info.st_size},
            ),
        )
        known[rel] = stamp
        if options.move_processed:
            _move(path, root / options.done_dir / rel)
            known.pop(rel, None)

    def _files(self, root: Path) -> Iterator[Path]:
        """Regular, visible files matching the patterns, in a stable order."""
        options = self.options
        for folder, dirs, files in os.walk(root):
            here = Path(folder)
            dirs[:] = sorted(
                d for d in dirs
                if not d.startswith(".")
                and not (here == root and d == options.done_dir)
                and not (here / d).is_symlink()
            )
            if not options.recursive:
                dirs[:] = []
            for name in sorted(files):
                path = here / name
                if name.startswith(".") or path.is_symlink():
                    continue
                if not path.is_file():  # a FIFO, a device or a socket: never opened
                    self.stats.skipped["not_regular"] += 1
                    continue
                if any(fnmatch.fnmatch(name, p) for p in options.patterns):
                    yield path


def _move(path: Path, target: Path) -> None:
    """Move ``path`` to ``target``, adding ``.1``, ``.2``... rather than overwriting."""
    target.parent.mkdir(parents=True, exist_ok=True)
    candidate, n = target, 0
    while candidate.exists():
        n += 1
        candidate = target.with_name(f"{target.name}.{n}")
    shutil.move(str(path), candidate)

