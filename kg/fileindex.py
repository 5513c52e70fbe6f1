"""What each build read from each file, so that the next build need not read it again.

A folder of a million articles changes a few files a day; reading and hashing every file (and, for
HTML, extracting its text) to find them is most of an incremental build. Like rsync's quick check
and git's index, kg keeps each file's modification time and size as they were when it was read,
with the source and text hash of the article it gave (`OUT/files.sqlite`). A file whose time and
size are unchanged is not read again — provided its article is still in the graph with that hash
(the graph decides; the index only saves reading), and the file was not written in the two seconds
before the index was (a change within a clock tick could keep its time: such a file is read again).
Like rsync's quick check, a change that keeps both the time and the size (a copy made with `cp -p`)
goes unseen: `kg build --read-all` reads every file.

The index is only a cache: deleting it costs one full read.
"""

from __future__ import annotations

import os
import sqlite3
import time
from contextlib import closing
from pathlib import Path

FILE_NAME = "files.sqlite"
RACY_NS = 2_000_000_000  # a file written this close to the index is read again (FAT keeps times to 2 s)


def stamp(path: Path) -> tuple[int, int] | None:
    """(modification time in ns, size) of a file, or None when it cannot be looked at."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


class FileIndex:
    """The files an output folder's graph was built from: `unchanged(path, stamp)` gives what a file
    unchanged since it was read gave then; `note(...)` records what a build read; `save()` writes it
    (after the store)."""

    def __init__(self, out: str | os.PathLike, read_all: bool = False):
        """The index of the output folder `out`; `read_all`: trust none of it (every file is read, and noted)."""
        self.path = Path(out) / FILE_NAME
        self.noted: list[tuple[str, int, int, str, str]] = []
        self.files: dict[str, tuple[int, int, str, str]] = {}
        self.written_ns = 0
        if self.path.exists() and not read_all:
            try:
                with closing(sqlite3.connect(self.path)) as db:
                    self.files = {p: (m, s, src, sha) for p, m, s, src, sha in db.execute("SELECT path, mtime, size, source, sha FROM files")}
                    row = db.execute("SELECT value FROM meta WHERE key = 'written'").fetchone()
                    self.written_ns = int(row[0]) if row else 0
            except sqlite3.Error:
                self.files, self.written_ns = {}, 0  # unreadable: every file is read, and the index written anew

    @staticmethod
    def key(path: Path) -> str:
        return str(Path(os.path.abspath(path)))

    def unchanged(self, path: Path, now: tuple[int, int] | None) -> tuple[str, str] | None:
        """(source, text hash) of the article `path` gave when it was last read, if the file's time and
        size are as they were then (and not written just before the index); else None. The caller
        checks that the graph still holds that article with that hash."""
        rec = self.files.get(self.key(path))
        if rec is None or now is None or (rec[0], rec[1]) != now or now[0] >= self.written_ns - RACY_NS:
            return None
        return rec[2], rec[3]

    def note(self, path: str, now: tuple[int, int] | None, source: str, sha: str) -> None:
        """A file read by this build: its stamp taken before it was read, and the article it gave."""
        if now is not None and path != "<stdin>":
            self.noted.append((self.key(Path(path)), now[0], now[1], source, sha))

    def save(self) -> None:
        """Add what this build read (after its articles are in the store: a file noted but not stored
        would otherwise be skipped; one stored but not noted is only read again)."""
        if not self.noted and self.path.exists():
            return
        written = time.time_ns()
        try:
            with closing(sqlite3.connect(self.path)) as db, db:  # one transaction
                db.execute("CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, mtime INTEGER, size INTEGER, source TEXT, sha TEXT)")
                db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
                db.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)", self.noted)
                db.execute("INSERT OR REPLACE INTO meta VALUES ('written', ?)", (str(written),))
        except sqlite3.Error:
            return  # a cache: the next build reads the files again
        self.files.update((p, (m, s, src, sha)) for p, m, s, src, sha in self.noted)
        self.written_ns, self.noted = written, []
