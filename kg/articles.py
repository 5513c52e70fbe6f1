"""Articles from disk or stdin: .txt / .md / .html → Article(id, path, text, sha)."""

from __future__ import annotations

import dataclasses
import os
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from . import dates
from .errors import Errors, KGError
from .fileindex import stamp
from .types import Article

__all__ = ["Article", "read_article", "read_articles", "find_files", "find_sources"]

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES

# Magic numbers of formats people drop into article folders by mistake.
_MAGIC = {
    b"%PDF": "PDF",
    b"\x89PNG": "PNG image",
    b"\xff\xd8\xff": "JPEG image",
    b"GIF8": "GIF image",
    b"PK\x03\x04": "ZIP/Office document",
    b"\x7fELF": "executable",
    b"\x1f\x8b": "gzip archive",
}
_SNIFF = 8192


def _utf16_without_bom(head: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' when the bytes look like UTF-16 text with no byte-order mark:
    mostly-Latin text has a NUL in every other byte, on one side only."""
    pairs = len(head) // 2
    if pairs < 2:
        return None
    zero_odd = sum(1 for i in range(1, 2 * pairs, 2) if head[i] == 0)
    zero_even = sum(1 for i in range(0, 2 * pairs, 2) if head[i] == 0)
    if zero_odd >= 0.6 * pairs and zero_even == 0:
        return "utf-16-le"
    if zero_even >= 0.6 * pairs and zero_odd == 0:
        return "utf-16-be"
    return None


def _decode(data: bytes, path: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    bomless = _utf16_without_bom(data[:_SNIFF])
    if bomless:
        try:
            return data.decode(bomless)
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return text


def _check_binary(head: bytes, path: str) -> None:
    for magic, kind in _MAGIC.items():
        if head.startswith(magic):
            raise KGError(Errors.E003.format(path=path, kind=kind))
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")) and not _utf16_without_bom(head):
        raise KGError(Errors.E003.format(path=path, kind="NUL bytes"))


def html_to_text(html: str) -> str:
    """The main text of an HTML page (trafilatura drops scripts, styles, navigation, boilerplate)."""
    import trafilatura

    text = trafilatura.extract(html, include_comments=False, include_tables=False, favor_recall=True)
    if not text:
        # Very short pages fall below trafilatura's thresholds: take the bare text of the body.
        text = trafilatura.html2txt(html) or ""
    return text


def html_metadata(html: str) -> dict[str, str]:
    """What a page says of itself: its canonical URL ('url'), publication date ('date', YYYY-MM-DD), title."""
    import trafilatura

    try:
        meta = trafilatura.extract_metadata(html)
    except Exception:  # noqa: BLE001 - metadata is a bonus: a page trafilatura cannot read still has its text
        return {}
    if meta is None:
        return {}
    out = {k: getattr(meta, k) for k in ("url", "date", "title") if getattr(meta, k, None)}
    if "date" in out:
        out["date"] = dates.parse(out["date"][:10]) or ""
    return {k: v for k, v in out.items() if v}


_MD_MARKUP = re.compile(r"^\s{0,3}(#{1,6}\s+|>\s?|[-*+]\s+)|!\[[^\]]*\]\([^)]*\)|\[([^\]]*)\]\([^)]*\)|[*_`]{1,3}", re.M)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<body>.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_FIELD = re.compile(r"^(?P<key>[A-Za-z_][\w-]*)\s*:\s*(?P<value>.*?)\s*$", re.M)


def front_matter(md: str) -> tuple[dict[str, str], str]:
    """YAML front matter's top-level 'key: value' fields and the text after it (Jekyll, Hugo, Pandoc)."""
    m = _FRONT_MATTER.match(md)
    if not m:
        return {}, md
    fields = {f.group("key").lower(): f.group("value").strip().strip("'\"") for f in _FIELD.finditer(m.group("body"))}
    return fields, md[m.end():]


def markdown_to_text(md: str) -> str:
    """Markdown markup off, text kept (links keep their words)."""
    return _MD_MARKUP.sub(lambda m: m.group(2) or "", md)


def read_article(path: Path, display: str | None = None, source: str | None = None, date: str | None = None) -> Article:
    """Read one file as an article; raise KGError with a one-line reason when it is not one.

    `source` is its identity (default: the file's name); `date` the publication date to use when
    the file says none (`kg build --date`)."""
    name = display or str(path)
    if not path.exists():
        raise KGError(Errors.E001.format(path=name))
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise KGError(Errors.E004.format(path=name, ext=suffix or "(none)"))
    try:
        with open(path, "rb") as f:
            head = f.read(_SNIFF)
            _check_binary(head, name)
            data = head + f.read()
    except OSError as e:
        raise KGError(Errors.E008.format(path=name, reason=e.strerror or e)) from None
    text = _decode(data, name)
    meta: dict[str, str] = {}
    if suffix in HTML_SUFFIXES:
        meta = html_metadata(text)
        text = html_to_text(text)
        if not text.strip():
            raise KGError(Errors.E007.format(path=name))
    elif suffix in {".md", ".markdown"}:
        meta, text = front_matter(text)
        meta["date"] = dates.parse(meta.get("date", "")[:10]) or dates.parse(meta.get("date", "")) or ""
        text = markdown_to_text(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise KGError(Errors.E002.format(path=name))
    published = meta.get("date") or dates.from_text(text) or dates.from_file_name(path.name) or date
    return Article.from_text(text, path=name, source=meta.get("url") or source or path.name, date=published,
                             headline=" ".join(meta["title"].split())[:200] if meta.get("title") else None)


def _folder_files(folder: Path, skipped: list[tuple[str, str]]) -> list[Path]:
    """The article files under a folder, sorted. Links are followed only to files inside the folder;
    what is left alone (other files, links out, folders that cannot be read) goes into `skipped`."""
    root = folder.resolve()
    files: list[Path] = []

    def unreadable(e: OSError) -> None:
        skipped.append((str(e.filename), f"cannot read the folder ({e.strerror or e})"))

    for dirpath, dirnames, filenames in os.walk(folder, onerror=unreadable):
        for d in dirnames:
            if (Path(dirpath) / d).is_symlink():
                skipped.append((str(Path(dirpath) / d), "a link to a folder (not followed)"))
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            f = Path(dirpath) / name
            if name.startswith("."):
                continue  # .DS_Store, editor files
            if f.suffix.lower() not in SUFFIXES:
                skipped.append((str(f), "not an article (.txt, .md, .html)"))
                continue
            if f.is_symlink():
                try:
                    target = f.resolve(strict=True)
                except OSError:
                    skipped.append((str(f), "a broken link"))
                    continue
                if not target.is_relative_to(root):
                    skipped.append((str(f), "a link to a file outside the folder (not followed)"))
                    continue
            files.append(f)
    return sorted(files)


def find_sources(paths: Iterable[str], skipped: list[tuple[str, str]] | None = None, failed: list[str] | None = None) -> list[tuple[Path, str]]:
    """Each article file with its source: its path under the folder given (a file given itself: its
    name); '-' stays as stdin. Folders are expanded (sorted, recursive).

    With `failed` (a list), a path that does not exist is noted there and the rest are still found;
    without it, it is an error. `skipped` collects what folders hold besides articles."""
    out: list[tuple[Path, str]] = []
    skipped = [] if skipped is None else skipped
    for p in paths:
        if p == "-":
            out.append((Path("-"), "-"))
            continue
        path = Path(p)
        if path.is_dir():
            files = _folder_files(path, skipped)
            if not files and failed is None:
                raise KGError(Errors.E005.format(path=p))
            if not files:
                failed.append(Errors.E005.format(path=p))
            out.extend((f, f.relative_to(path).as_posix()) for f in files)
        elif path.exists():
            out.append((path, path.name))
        elif failed is not None:
            failed.append(Errors.E001.format(path=p))
        else:
            raise KGError(Errors.E001.format(path=p))
    return out


def find_files(paths: Iterable[str], skipped: list[tuple[str, str]] | None = None, failed: list[str] | None = None) -> list[Path]:
    """The article files of `paths` (see `find_sources`)."""
    return [f for f, _ in find_sources(paths, skipped, failed)]


def read_articles(paths: Iterable[str], stdin=None, failed: list[str] | None = None,
                  skipped: list[tuple[str, str]] | None = None, date: str | None = None, stdin_id: str | None = None,
                  sources: set[str] | None = None, unchanged=None) -> Iterator[Article]:
    """Yield articles lazily, one file at a time (a corpus is never held in memory).

    With `failed` (a list), a file that cannot be read as an article is noted there (one line that
    names it and says why) and the others are still read; without it, the first one is an error.
    `date`: the publication date of articles that say none; `stdin_id`: the source name of '-'
    (without it, stdin text is known by its content); `sources` collects the source of every file
    found, read or not (what `kg build --prune` keeps); `unchanged(path, stamp)` names the source of a
    file that need not be read again (kg.fileindex: `source` is the one the path gives), which is
    then neither read nor yielded."""
    seen: dict[str, str] = {}

    def claim(source: str, path: str) -> None:
        """One file per source: a second file giving the same source is an error (E012)."""
        if sources is not None:
            sources.add(source)
        if source in seen:
            raise KGError(Errors.E012.format(path=path, other=seen[source], source=source))
        seen[source] = path

    for path, source in find_sources(paths, skipped, failed):
        if sources is not None and source != "-":
            sources.add(source)
        try:
            if str(path) == "-":
                data = (stdin or sys.stdin.buffer).read()
                _check_binary(data[:_SNIFF], "<stdin>")
                text = _decode(data, "<stdin>")
                if not text.strip():
                    raise KGError(Errors.E002.format(path="<stdin>"))
                text = text.replace("\r\n", "\n")
                article = Article.from_text(text, "<stdin>", source=stdin_id, date=dates.from_text(text) or date)
            else:
                now = stamp(path)
                known = unchanged(path, source, now) if unchanged is not None else None
                if known is not None:
                    claim(known, str(path))
                    continue
                article = dataclasses.replace(read_article(path, source=source, date=date), stamp=now)
            claim(article.source, article.path)
            yield article
        except KGError as e:
            if failed is None:
                raise
            failed.append(str(e))
