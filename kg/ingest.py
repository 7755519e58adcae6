"""Files to :class:`~kg.model.Article` objects.

Supported inputs: ``.txt`` (one or several articles), ``.jsonl`` (one article a line)
and ``.html`` (main text and metadata through trafilatura). Folders are walked
recursively. Problems with a file or a line are reported as :class:`InputProblem`
(file, line, reason) and either skipped or raised, by choice.
"""
from __future__ import annotations

import codecs
import hashlib
import json
import os
import re
import stat
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from kg.model import Article

SUFFIXES = {".txt": "txt", ".text": "txt", ".jsonl": "jsonl", ".ndjson": "jsonl",
            ".html": "html", ".htm": "html"}
SPLIT_MODES = ("auto", "none", "blank-lines")
# Longer articles are cut (at a paragraph, else a word boundary) and reported. The
# extraction's cost grows faster than linearly with an article's length, and spaCy
# refuses texts over 1,000,000 characters: 100,000 characters (about 16,000 words)
# is several times a long news article and takes seconds, not hours.
MAX_ARTICLE_CHARS = 100_000
MAX_TITLE_CHARS = 1_000  # longer titles are cut and reported
MAX_ID_CHARS = 200  # a longer explicit id is replaced by the content id (reported)
MAX_FILE_BYTES = 512 * 1024 * 1024  # files are read whole: larger ones are refused
MIN_HTML_WORDS = 10  # fewer words of main text in an HTML page: no article found

_SOURCE_LINE = re.compile(r"^\s*(?:source|sources|publisher|via)\s*:\s*(?P<src>\S.{0,200}?)\s*$", re.I)
_DATE_LINE = re.compile(r"^\s*(?:date|published)\s*:\s*(?P<date>\d{4}-\d{2}-\d{2})\b.*$", re.I)
DATELINE = re.compile(
    r"^(?P<place>[A-Z][A-Z.'\-]+(?:[ /][A-Z][A-Z.'\-]+){0,3})(?:,\s*[A-Z][A-Za-z.]+(?:\s[A-Z][A-Za-z.]+)?)?"
    r"(?:,\s*[A-Z][a-z]{2,8}\.?\s+\d{1,2}(?:,\s*\d{4})?)?"  # "PESHAWAR, Pakistan, Sept 14 (Reuters) -"
    r"(?:\s*\([A-Za-z ]+\))?\s*[\u2013\u2014\-]{1,2}\s+(?=\S)")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class InputProblem(Exception):
    """A bad input file or line: printed as ``file:line: reason``."""

    path: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return _printable(f"{where}: {self.reason}")


def _printable(text: str) -> str:
    r"""``text`` with control and other unprintable characters escaped, so a file name
    cannot send escape sequences to the terminal.

    >>> print(_printable("a\x1b[2Jb"))
    a\x1b[2Jb
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


# C0 controls other than tab and line breaks, and the two noncharacters XML refuses
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\ufffe\uffff]")
_PAGE_BREAKS = re.compile(r"[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_SURROGATES = re.compile(r"[\ud800-\udfff]")
# any of the three (one scan: most texts have none)
_UNSAFE = re.compile("[" + "".join(p.pattern[1:-1] for p in (_CONTROLS, _PAGE_BREAKS, _SURROGATES)) + "]")


def clean_text(text: str) -> str:
    r"""Text safe for every output (XML, N-Quads, HTML): lone surrogates become U+FFFD,
    NUL and other control characters a space, page and line separators a line break.

    >>> clean_text("a\x00b\x0cc\ud800") == "a b\nc\ufffd"
    True
    """
    if _UNSAFE.search(text) is None:
        return text
    text = _SURROGATES.sub("\ufffd", text)
    text = _PAGE_BREAKS.sub("\n", text)
    return _CONTROLS.sub(" ", text)


def article_id(text: str) -> str:
    """A stable id derived from an article's content (whitespace and case folded).

    >>> article_id("Hello  world") == article_id("hello world")
    True
    """
    canon = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    return "a" + hashlib.sha256(canon.encode("utf-8")).hexdigest()[:15]


def sample_corpus() -> Path:
    """The folder of bundled sample articles (the seeds), shipped as package data."""
    return Path(str(resources.files("kg") / "data" / "samples"))


def input_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files named, and supported files found (recursively, sorted) under the folders
    named. Symbolic links to folders are followed, each real folder once (no loop);
    hidden files and folders, and kg output folders below the folders named (see
    :func:`is_output_folder`), are left out.
    """
    named: set[str] = set()
    for path in paths:
        path = Path(path)
        if path.is_dir():
            found = sorted(_walk(path))
        elif path.exists() or path.is_symlink():
            found = [path]
        else:
            raise InputProblem(str(path), "no such file or folder")
        for f in found:  # a file named twice, or inside two folders named, is read once
            real = os.path.realpath(f)
            if real not in named:
                named.add(real)
                yield f


def is_output_folder(folder: Path) -> bool:
    """Whether ``folder`` holds the outputs of a ``kg build`` (``report.json`` and
    ``graph.trig``): such folders inside an input folder are not read, so that
    ``kg build data -o data/out`` does not read its own ``graph.html`` next time."""
    return (folder / "report.json").is_file() and (folder / "graph.trig").is_file()


def _walk(root: Path) -> Iterator[Path]:
    seen_dirs: set[str] = set()
    for folder, dirs, files in os.walk(root, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen_dirs:  # a symlink loop or a folder linked twice
            dirs[:] = []
            continue
        seen_dirs.add(real)
        if folder != str(root) and is_output_folder(Path(folder)):  # never read kg's own outputs
            dirs[:] = []
            continue
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            f = Path(folder) / name
            if not name.startswith(".") and f.suffix.lower() in SUFFIXES:
                yield f


# The first bytes of binary formats scrapers commonly save under a text name
_MAGIC = ((b"%PDF-", "a PDF document"), (b"\x89PNG", "a PNG image"), (b"GIF8", "a GIF image"),
          (b"\xff\xd8\xff", "a JPEG image"), (b"PK\x03\x04", "a ZIP archive (or .docx/.xlsx/.epub)"),
          (b"\x1f\x8b", "a gzip archive"), (b"BZh", "a bzip2 archive"), (b"\xfd7zXZ", "an xz archive"),
          (b"7z\xbc\xaf", "a 7-Zip archive"), (b"\x7fELF", "an executable"), (b"%!PS", "a PostScript file"),
          (b"\xd0\xcf\x11\xe0", "an old Microsoft Office document"), (b"SQLite format 3", "an SQLite database"),
          (b"RIFF", "a RIFF (WebP/WAV/AVI) file"), (b"OggS", "an Ogg file"), (b"ID3", "an MP3 file"),
          (b"{\\rtf", "an RTF document"))


def decode(data: bytes, path: str) -> str:
    """Bytes to text: BOMs (UTF-8, UTF-16, UTF-32) honoured, UTF-8 tried, then
    Windows-1252/Latin-1. Binary data (a known binary format, NUL bytes, control
    characters) is refused with an :class:`InputProblem` naming it.

    >>> decode("Café".encode("latin-1"), "f")
    'Café'
    >>> decode(b"%PDF-1.7 ...", "report.txt")
    Traceback (most recent call last):
    kg.ingest.InputProblem: report.txt: a PDF document, not text
    """
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise InputProblem(path, f"{what}, not text")
    for bom, enc in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                     (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                     (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(enc)
            except UnicodeDecodeError as e:
                raise InputProblem(path, f"not valid {enc} text ({e.reason})") from None
    if len(data) >= 4 and data[1:4:2] == b"\0\0" and data[0:4:2].count(0) == 0:
        try:  # UTF-16-LE without BOM (ASCII-range text)
            return data.decode("utf-16-le")
        except UnicodeDecodeError:
            pass
    if b"\0" in data[:8192]:
        raise InputProblem(path, "binary file (NUL bytes), not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace") if _mostly_cp1252(data) else data.decode("latin-1")
    sample = text[:8192]
    controls = sum(1 for c in sample if unicodedata.category(c) == "Cc" and c not in "\n\r\t\f")
    if sample and controls / len(sample) > 0.05:
        raise InputProblem(path, "binary file (control characters), not text")
    return text


def _mostly_cp1252(data: bytes) -> bool:
    undefined = {0x81, 0x8D, 0x8F, 0x90, 0x9D}
    return not any(b in undefined for b in data)


def split_articles(text: str, mode: str = "auto") -> list[str]:
    """Split a ``.txt`` file's text into articles.

    ``blank-lines`` splits at blank lines; ``none`` keeps one article; ``auto`` splits at
    blank lines only when paragraphs inside the blocks are separated by single newlines
    (so a blank line cannot be a paragraph break).

    >>> split_articles("A one.\\nA two.\\n\\nB one.", "auto")
    ['A one.\\nA two.', 'B one.']
    >>> split_articles("Para one.\\n\\nPara two.", "auto")
    ['Para one.\\n\\nPara two.']
    """
    if mode not in SPLIT_MODES:
        raise ValueError(f"split mode must be one of {', '.join(SPLIT_MODES)}")
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return []
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text) if b.strip()]
    if mode == "none" or len(blocks) == 1:
        return [text]
    if mode == "blank-lines":
        return blocks
    multi_line = sum(1 for b in blocks if "\n" in b)
    return blocks if multi_line >= 1 else [text]


def parse_text_article(block: str, origin: str, **meta) -> Article:
    r"""One article's text to an :class:`Article`: a headline first line becomes the
    title, ``Source: X`` / ``Date: YYYY-MM-DD`` header lines become metadata, and a
    dateline ("TEHRAN –") is recorded (the text keeps it). Control characters and lone
    surrogates are replaced (see :func:`clean_text`) in the text and the metadata.

    >>> art = parse_text_article("Militants strike police post in Quetta\nSource: Dawn\nQUETTA – Gunmen attacked.", "f")
    >>> art.title, art.source, art.dateline, art.text
    ('Militants strike police post in Quetta', 'Dawn', 'Quetta', 'QUETTA – Gunmen attacked.')
    """
    block = clean_text(block.replace("\r\n", "\n").replace("\r", "\n"))
    meta = {k: clean_text(v) if isinstance(v, str) else v for k, v in meta.items()}
    lines = block.strip().split("\n")
    title = meta.pop("title", None)
    source = meta.pop("source", None)
    date = meta.pop("date", None)
    # a headline: a short first line without final punctuation, followed by more text
    if title is None and len(lines) > 1 and _looks_like_headline(lines[0]):
        title, lines = lines[0].strip(), lines[1:]
    body: list[str] = []
    for i, line in enumerate(lines):
        if i < 3 and not body and (m := _SOURCE_LINE.match(line)):
            source = source or m.group("src")
            continue
        if i < 3 and not body and (m := _DATE_LINE.match(line)):
            date = date or m.group("date")
            continue
        body.append(line)
    text = "\n".join(body).strip()
    m = DATELINE.match(text)
    dateline = m.group("place").split("/")[0].title() if m else None  # "GAZA/CAIRO": where it was filed first
    return Article(id=meta.pop("id", None) or article_id(text), text=text, title=title,
                   date=date, source=source, dateline=dateline, origin=origin, **meta)


def _looks_like_headline(line: str) -> bool:
    line = line.strip()
    return (0 < len(line) <= 200 and not line.endswith((".", "?", "!", ":", ";", ","))
            and len(line.split()) >= 3 and not DATELINE.match(line))


def read_txt(path: Path, split: str = "auto") -> list[Article]:
    text = decode(path.read_bytes(), str(path))
    blocks = split_articles(text, split)
    if not blocks:
        raise InputProblem(str(path), "empty file: no text")
    many = len(blocks) > 1
    return [parse_text_article(b, f"{path}#{i + 1}" if many else str(path)) for i, b in enumerate(blocks)]


def read_jsonl(path: Path, report: Callable[[InputProblem], None]) -> list[Article]:
    """One article a line: ``text`` required; ``id``, ``title``, ``date``, ``source``,
    ``url`` optional. A bad line is reported and skipped."""
    text = decode(path.read_bytes(), str(path))
    out: list[Article] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            report(InputProblem(str(path), f"not valid JSON ({e.msg})", n))
            continue
        except (ValueError, RecursionError) as e:  # too deeply nested, huge integers
            report(InputProblem(str(path), f"not usable JSON ({str(e)[:80] or type(e).__name__})", n))
            continue
        if not isinstance(obj, dict):
            report(InputProblem(str(path), f"a JSON {type(obj).__name__}, not an object", n))
            continue
        body = obj.get("text")
        if not isinstance(body, str) or not body.strip():
            report(InputProblem(str(path), "no 'text' field (a non-empty string is required)", n))
            continue
        meta = {}
        for key in ("id", "title", "source", "url"):
            if obj.get(key) is not None:
                meta[key] = str(obj[key]).strip() or None
        date = obj.get("date")
        if date is not None:
            if not _ISO_DATE.match(str(date)):
                report(InputProblem(str(path), f"'date' {str(date)[:40]!r} is not YYYY-MM-DD; ignored", n))
            else:
                meta["date"] = str(date)[:10]
        out.append(parse_text_article(body, f"{path}:{n}", **meta))
    if not out and not text.strip():
        raise InputProblem(str(path), "empty file: no text")
    return out


def read_html(path: Path) -> list[Article]:
    """Main text and metadata of an HTML page, through trafilatura."""
    import trafilatura

    html = decode(path.read_bytes(), str(path))
    try:
        result = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False,
                                             include_tables=False, favor_precision=True)
    except Exception as e:  # noqa: BLE001 - a page the HTML parser chokes on is one bad file
        raise InputProblem(str(path), f"cannot parse the HTML page ({type(e).__name__})") from None
    if result is None:
        raise InputProblem(str(path), "no article text found in the HTML page")
    doc = result.as_dict() if hasattr(result, "as_dict") else dict(result)
    body = (doc.get("text") or "").strip()
    if not body:
        raise InputProblem(str(path), "no article text found in the HTML page")
    if len(body.split()) < MIN_HTML_WORDS:
        raise InputProblem(str(path), f"no article text found in the HTML page (only {len(body.split())} "
                                      f"word(s) of main text: {body[:40]!r})")
    date = doc.get("date")
    meta = {"title": doc.get("title") or None,
            "date": date if date and _ISO_DATE.match(date) else None,
            "source": doc.get("sitename") or doc.get("hostname") or None,
            "url": doc.get("url") or None}
    return [parse_text_article(body, str(path), **meta)]


def read_articles(paths: Iterable[Path], split: str = "auto",
                  report: Callable[[InputProblem], None] | None = None,
                  seen: set[str] | None = None) -> Iterator[Article]:
    """Articles from files and folders, in order, each once (deduplicated by id).

    Bad files and lines go to ``report`` and are skipped; with no ``report`` the first
    problem is raised.
    """
    def fail(p: InputProblem) -> None:
        raise p

    report = report or fail
    seen = set() if seen is None else seen
    content: dict[str, str] = {}  # id -> content id, to tell a repeat from an id clash
    for path in input_files(paths):
        kind = SUFFIXES.get(path.suffix.lower())
        if kind is None:
            report(InputProblem(str(path), f"unsupported file type {path.suffix or '(none)'!r}; "
                                           f"use .txt, .jsonl or .html"))
            continue
        try:
            info = path.stat()
            if not stat.S_ISREG(info.st_mode):
                raise InputProblem(str(path), "not a regular file (a folder, device or pipe)")
            if info.st_size == 0:
                raise InputProblem(str(path), "empty file: no text")
            if info.st_size > MAX_FILE_BYTES:
                raise InputProblem(str(path), f"file larger than {MAX_FILE_BYTES // 2**20:,} MB; split it "
                                              f"into several files")
            if kind == "txt":
                arts = read_txt(path, split)
            elif kind == "jsonl":
                arts = read_jsonl(path, report)
            else:
                arts = read_html(path)
        except InputProblem as p:
            report(p)
            continue
        except FileNotFoundError:
            report(InputProblem(str(path), "cannot read: a broken symbolic link" if path.is_symlink() else
                                "cannot read: the file disappeared (deleted or moved during the build)"))
            continue
        except OSError as e:
            report(InputProblem(str(path), f"cannot read: {e.strerror or e}"))
            continue
        for art in arts:
            m = re.fullmatch(r"(.*):(\d+)", art.origin or "") if kind == "jsonl" else None
            where = (m.group(1), int(m.group(2))) if m else (art.origin or str(path), None)
            if not art.text.strip():
                report(InputProblem(where[0], "no article text (only a title or header lines)", where[1]))
                continue
            art = _within_limits(art, where, report)
            if art.id in seen:
                if content.get(art.id, digest := article_id(art.text)) != digest:
                    report(InputProblem(where[0], f"id {art.id!r} already used by another article; "
                                                  f"skipped (ids must be unique)", where[1]))
                continue
            seen.add(art.id)
            content[art.id] = article_id(art.text)
            yield art


def _within_limits(art: Article, where: tuple[str, int | None],
                   report: Callable[[InputProblem], None]) -> Article:
    """``art`` with its text, title and id cut to the limits (each cut reported)."""
    changes: dict[str, str] = {}
    if len(art.text) > MAX_ARTICLE_CHARS:
        changes["text"] = _cut(art.text, MAX_ARTICLE_CHARS)
        report(InputProblem(where[0], f"article longer than {MAX_ARTICLE_CHARS:,} characters "
                                      f"({len(art.text):,}); cut after {len(changes['text']):,}", where[1]))
    if art.title and len(art.title) > MAX_TITLE_CHARS:
        changes["title"] = _cut(art.title, MAX_TITLE_CHARS)
        report(InputProblem(where[0], f"title longer than {MAX_TITLE_CHARS:,} characters; cut", where[1]))
    if len(art.id) > MAX_ID_CHARS:
        changes["id"] = article_id(changes.get("text", art.text))
        report(InputProblem(where[0], f"id longer than {MAX_ID_CHARS} characters; the content id "
                                      f"{changes['id']} is used", where[1]))
    return Article(**{**art.__dict__, **changes}) if changes else art


def _cut(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters at a paragraph, else a line, else a
    word boundary."""
    for sep in ("\n\n", "\n", " "):
        cut = text.rfind(sep, 0, limit + 1)
        if cut > limit // 2:
            return text[:cut].rstrip()
    return text[:limit]
