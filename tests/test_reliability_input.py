"""Bad input never crashes a build: every bad file or line is reported once (file, line,
reason) and skipped, or fatal with ``--on-error fail``; a build with no usable article
fails with a one-line message; encodings, duplicates, limits, links and HTML soup."""
from __future__ import annotations

import codecs
import json
import os
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

import kg.ingest
from kg.build import OUTPUT_FILES, BuildError, BuildOptions, build
from kg.cli import app
from kg.ingest import (MAX_ARTICLE_CHARS, MAX_TITLE_CHARS, InputProblem, article_id, decode, input_files,
                       read_articles)

runner = CliRunner()

GOOD = "Militants attacked a police station in Quetta on Saturday, officials said."
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00"
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256)) * 4


def read(paths, **kw):
    """Articles and problems from ``read_articles`` with problems collected."""
    problems: list[InputProblem] = []
    arts = list(read_articles([Path(p) for p in paths], report=problems.append, **kw))
    return arts, problems


def reasons(problems) -> dict[tuple[str, int | None], str]:
    """(file name, line) -> reason; fails when a (file, line) is reported twice."""
    out: dict[tuple[str, int | None], str] = {}
    for p in problems:
        key = (Path(p.path).name, p.line)
        assert key not in out, f"reported twice: {p} / {out[key]}"
        out[key] = p.reason
    return out


def jsonl(*lines: object) -> str:
    return "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n"


# ----------------------------------------------------------------------------- decoding
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32",
                                      "latin-1", "cp1252"])
def test_encodings_decode_to_the_same_text(tmp_path, encoding):
    text = "Café owners in Quetta said the “attack” lasted an hour – police disagreed."
    if encoding == "latin-1":
        text = text.replace("“", '"').replace("”", '"').replace("–", "-")
    data = text.encode(encoding)
    if encoding in ("utf-16-le", "utf-16-be"):
        data = (codecs.BOM_UTF16_LE if encoding.endswith("le") else codecs.BOM_UTF16_BE) + data
    f = tmp_path / "a.txt"
    f.write_bytes(data)
    (art,) = read([f])[0]
    assert art.text == text


def test_utf16_without_bom_and_utf8_bom_do_not_leak_into_the_text(tmp_path):
    (tmp_path / "le.txt").write_bytes(GOOD.encode("utf-16-le"))
    (tmp_path / "bom.txt").write_bytes(codecs.BOM_UTF8 + ("Headline about Quetta today\nProtesters rallied in Tehran.").encode())
    arts, problems = read([tmp_path / "le.txt", tmp_path / "bom.txt"])
    assert not problems
    assert arts[0].text == GOOD
    assert arts[1].title == "Headline about Quetta today" and "\ufeff" not in arts[1].document


@pytest.mark.parametrize("data,what", [
    (PNG, "PNG"), (ZIP, "ZIP"), (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
    (b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "gzip"), (b"\x7fELF\x02\x01\x01", "executable"),
    (bytes(range(1, 32)) * 40, "binary"), (b"text\x00with\x00nuls" * 10, "binary"),
])
def test_binary_files_are_refused_with_their_kind(tmp_path, data, what):
    f = tmp_path / "scraped.txt"
    f.write_bytes(data)
    arts, problems = read([f])
    assert arts == []
    (reason,) = reasons(problems).values()
    assert what in reason and "not text" in reason


def test_decode_never_returns_characters_that_break_outputs():
    text = decode("ok \x00".encode("utf-16"), "f")  # NULs inside UTF-16 with a BOM are text
    art = kg.ingest.parse_text_article(text + " and \x0b\x1b\ud800 more", "f")
    assert "\x00" not in art.text and "\x1b" not in art.text and "\ud800" not in art.text
    assert art.text.encode("utf-8")  # encodable: no lone surrogate left


# ----------------------------------------------------------------------------- JSONL lines
def test_jsonl_bad_lines_are_each_reported_once_with_their_line(tmp_path):
    f = tmp_path / "feed.jsonl"
    f.write_text(jsonl(
        {"text": GOOD},                                  # 1 ok
        ["a", "list"],                                   # 2 not an object
        42,                                              # 3 not an object
        "null",                                          # 4 not an object
        {"title": "no text here"},                       # 5 lacks text
        {"text": 12},                                    # 6 text not a string
        {"text": "   "},                                 # 7 empty text
        "{broken json",                                  # 8
        "[" * 100_000 + "]" * 100_000,                   # 9 nested too deep for the parser
        '{"text": "x", "n": ' + "9" * 5000 + "}",        # 10 an integer Python refuses
        {"text": "\u0000\u0000"},                        # 11 only NULs: no text once cleaned
        {"text": "Protesters rallied in Tehran on Monday.", "date": "last week"},  # 12 ok, bad date
        "",                                              # 13 blank: ignored
    ), encoding="utf-8")
    arts, problems = read([f])
    assert [a.text for a in arts] == [GOOD, "Protesters rallied in Tehran on Monday."]
    got = reasons(problems)
    assert set(got) == {("feed.jsonl", n) for n in (2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)}
    assert "not an object" in got[("feed.jsonl", 2)] and "int" in got[("feed.jsonl", 3)]
    assert "'text'" in got[("feed.jsonl", 5)] and "'text'" in got[("feed.jsonl", 6)]
    assert "not valid JSON" in got[("feed.jsonl", 8)]
    assert "JSON" in got[("feed.jsonl", 9)] and "JSON" in got[("feed.jsonl", 10)]
    assert "no article text" in got[("feed.jsonl", 11)]
    assert "date" in got[("feed.jsonl", 12)]
    assert all(str(p).startswith(f"{f}:{p.line}: ") for p in problems)


def test_lone_surrogates_and_nul_in_json_are_replaced(tmp_path):
    f = tmp_path / "s.jsonl"
    f.write_text('{"title": "Bad \\ud800 title", "text": "Gunmen \\u0000 attacked \\udfff Quetta."}\n')
    (art,), problems = read([f])
    assert not problems
    assert art.text == "Gunmen   attacked \ufffd Quetta." and art.title == "Bad \ufffd title"
    art.document.encode("utf-8")


def test_same_id_for_different_articles_is_reported(tmp_path):
    f = tmp_path / "ids.jsonl"
    f.write_text(jsonl({"id": "x1", "text": GOOD}, {"id": "x1", "text": GOOD},
                       {"id": "x1", "text": "Another story about Kabul."}))
    arts, problems = read([f])
    assert [a.id for a in arts] == ["x1"]
    assert list(reasons(problems)) == [("ids.jsonl", 3)]
    assert "already used" in problems[0].reason


# ----------------------------------------------------------------------------- files
def test_empty_and_blank_files(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_text(" \n\n\t \n")
    (tmp_path / "empty.jsonl").write_text("\n\n")
    (tmp_path / "header-only.txt").write_text("Source: Dawn\nDate: 2024-01-01\n")
    arts, problems = read([tmp_path])
    assert arts == []
    got = reasons(problems)
    assert set(got) == {(n, None) for n in ("empty.txt", "blank.txt", "empty.jsonl", "header-only.txt")}
    assert all("text" in r for r in got.values())


def test_duplicates_are_kept_once_by_content(tmp_path):
    (tmp_path / "a.txt").write_text(GOOD + "\n")
    (tmp_path / "b.txt").write_text("  " + GOOD.upper().replace(" ", "   ") + "\n\n")  # case, spacing
    (tmp_path / "c.jsonl").write_text(jsonl({"text": GOOD}))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "copy.txt").write_bytes((GOOD + "\r\n").encode("utf-16"))
    arts, problems = read([tmp_path, tmp_path / "a.txt"])  # named twice, too
    assert len(arts) == 1 and arts[0].id == article_id(GOOD) and not problems


def test_unknown_extension_named_explicitly_is_reported_and_ignored_in_folders(tmp_path):
    (tmp_path / "notes.md").write_text(GOOD)
    (tmp_path / "README").write_text(GOOD)
    (tmp_path / "ok.txt").write_text(GOOD)
    arts, problems = read([tmp_path])
    assert len(arts) == 1 and not problems  # folders: only supported files are read
    arts, problems = read([tmp_path / "notes.md", tmp_path / "README"])
    got = reasons(problems)
    assert "'.md'" in got[("notes.md", None)] and "(none)" in got[("README", None)]
    assert all("unsupported file type" in r for r in got.values()) and not arts


def test_symlink_loops_and_linked_folders(tmp_path):
    corpus = tmp_path / "corpus"
    (corpus / "a" / "b").mkdir(parents=True)
    (corpus / "a" / "one.txt").write_text(GOOD)
    (corpus / "a" / "b" / "two.txt").write_text("Protesters rallied in Tehran on Monday.")
    (corpus / "a" / "b" / "loop").symlink_to(corpus / "a")  # a loop
    (corpus / "self").symlink_to(".")  # another loop
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "three.txt").write_text("Troops crossed the border near Kherson.")
    (corpus / "linked").symlink_to(other)  # a linked folder is read
    (corpus / "dangling.txt").symlink_to(tmp_path / "gone.txt")
    done = []
    t = threading.Thread(target=lambda: done.append(read([corpus])), daemon=True)
    t.start()
    t.join(30)
    assert done, "walking a folder with symlink loops did not finish"
    arts, problems = done[0]
    assert sorted(a.text.split()[0] for a in arts) == ["Militants", "Protesters", "Troops"]
    assert reasons(problems) == {("dangling.txt", None): "cannot read: a broken symbolic link"}


def test_a_folder_named_like_a_file_is_walked_not_read(tmp_path):
    (tmp_path / "notes.txt").mkdir()  # reading it as a file would fail (IsADirectoryError)
    (tmp_path / "notes.txt" / "inner.txt").write_text(GOOD)
    arts, problems = read([tmp_path, tmp_path / "notes.txt"])
    assert [a.text for a in arts] == [GOOD] and not problems


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_unreadable_file_is_reported(tmp_path):
    f = tmp_path / "secret.txt"
    f.write_text(GOOD)
    (tmp_path / "ok.txt").write_text("Protesters rallied in Tehran on Monday.")
    f.chmod(0)
    try:
        arts, problems = read([tmp_path])
    finally:
        f.chmod(0o644)
    assert len(arts) == 1
    assert "permission denied" in reasons(problems)[("secret.txt", None)].lower()


def test_special_files_are_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    arts, problems = read([fifo, tmp_path / "pipe.txt"])  # reading a FIFO would block forever
    assert not arts
    assert reasons(problems) == {("pipe.txt", None): "not a regular file (a folder, device or pipe)"}


def test_file_that_disappears_mid_run(tmp_path):
    for i in range(3):
        (tmp_path / f"{i}.txt").write_text(f"{GOOD} Report number {i}.")
    problems: list[InputProblem] = []
    it = read_articles([tmp_path], report=problems.append)
    first = next(it)  # the folder has been listed; now a file goes away
    (tmp_path / "1.txt").unlink()
    rest = list(it)
    assert [first.text[-2], *(a.text[-2] for a in rest)] == ["0", "2"]
    assert "disappeared" in reasons(problems)[("1.txt", None)]


def test_missing_input_path_is_fatal(tmp_path):
    with pytest.raises(InputProblem, match="no such file or folder"):
        read([tmp_path / "nope"])


# ----------------------------------------------------------------------------- HTML soup
def test_html_soup_scripts_and_broken_tags(tmp_path):
    body = " ".join([GOOD] * 3)
    soup = (f"<html><head><title>Attack in Quetta</title><script>var x = '<p>not text</p>';"
            f"document.write('INJECTED');</script><style>p {{color: red}}</style></head><body>"
            f"<div><p>{body}<p>The Baloch Liberation Army claimed <b>responsibility <i>for the attack."
            f"</div></span></table><script>alert('xss')</script><!-- unclosed comment")
    (tmp_path / "soup.html").write_text(soup)
    (tmp_path / "nav.html").write_text("<html><body><nav>Home | World | Sport</nav>"
                                       "<script>alert(1)</script></body></html>")
    (tmp_path / "scripts.htm").write_text("<script>" + "var a = 1;" * 500 + "</script>")
    (tmp_path / "garbage.html").write_text("<<<>>><</<a href=\"x\"<p>>>" * 200)
    arts, problems = read([tmp_path])
    assert len(arts) == 1
    (art,) = arts
    assert "Baloch Liberation Army claimed responsibility" in art.text
    assert "INJECTED" not in art.document and "alert" not in art.document and "color" not in art.document
    got = reasons(problems)
    assert set(got) == {("nav.html", None), ("scripts.htm", None), ("garbage.html", None)}
    assert all("no article text found in the HTML page" in r for r in got.values())


# ----------------------------------------------------------------------------- limits
def test_five_megabyte_article_is_cut_at_a_paragraph_and_reported(tmp_path, nlp):
    para = ("Militants attacked a police station in Quetta on Saturday and officials said "
            "the army responded within the hour. ") * 6
    f = tmp_path / "huge.txt"
    f.write_text("\n\n".join([para.strip()] * (5_000_000 // len(para) + 1)))
    assert f.stat().st_size > 5_000_000
    title = "A very long headline " * 200
    (tmp_path / "long-title.jsonl").write_text(jsonl({"title": title, "text": GOOD, "id": "x" * 5000}))
    arts, problems = read([f, tmp_path / "long-title.jsonl"], split="none")
    huge, titled = arts
    assert len(huge.text) <= MAX_ARTICLE_CHARS and huge.text.endswith("hour.")
    assert f.read_text().startswith(huge.text)
    assert len(titled.title) <= MAX_TITLE_CHARS and title.startswith(titled.title + " ")
    assert titled.id == article_id(GOOD)
    got = reasons([p for p in problems if p.path.endswith("huge.txt")])
    assert "cut" in got[("huge.txt", None)] and f"{MAX_ARTICLE_CHARS:,}" in got[("huge.txt", None)]
    cuts = sorted(p.reason.split()[0] for p in problems if p.path.endswith("long-title.jsonl"))
    assert cuts == ["id", "title"]  # both reported, on the same line
    # what the NLP stage gets is within what spaCy accepts
    assert len(huge.document) < nlp.max_length and len(titled.document) < nlp.max_length


def test_huge_article_builds_with_the_cut_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(kg.ingest, "MAX_ARTICLE_CHARS", 5_000)  # the real limit takes ~10 s
    para = "Gunmen attacked a checkpoint in Quetta on Saturday, police said. " * 8
    f = tmp_path / "huge.txt"
    f.write_text("\n\n".join([para.strip()] * (5_000_000 // len(para) + 1)))
    result = build([f], tmp_path / "out", BuildOptions(validate=False, html=False, split="none"))
    assert result.articles == 1
    assert [p.reason.split(" (")[0] for p in result.problems] == ["article longer than 5,000 characters"]
    assert result.words <= 5_000 // 4
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["skipped"] == 1 and report["problems"][0]["file"] == str(f)


@pytest.mark.slow
def test_ten_thousand_small_files(tmp_path):
    corpus = tmp_path / "corpus"
    places = ["Quetta", "Kabul", "Tehran", "Kherson", "Gwadar"]
    for i in range(10_000):
        sub = corpus / f"{i // 1000:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"{i:05d}.txt").write_text(f"Report {i}: gunmen attacked a checkpoint in {places[i % 5]}.\n")
    (corpus / "05" / "bad.txt").write_bytes(PNG)
    files = list(input_files([corpus]))
    assert len(files) == 10_001 and files == sorted(files)
    arts, problems = read([corpus])
    assert len(arts) == 10_000 and len({a.id for a in arts}) == 10_000
    assert reasons(problems) == {("bad.txt", None): "a PNG image, not text"}
    # a build of a folder of 150 of them (a full 10,000 takes minutes of NLP)
    few = tmp_path / "few"
    few.mkdir()
    for f in files[:150]:
        (few / f.name).symlink_to(f)
    result = build([few], tmp_path / "out", BuildOptions(validate=False, html=False))
    assert result.articles == 150 and not result.problems


# ----------------------------------------------------------------------------- build and CLI
@pytest.fixture
def messy(tmp_path) -> Path:
    """A folder of good and bad input; (expected problems, expected articles)."""
    d = tmp_path / "in"
    d.mkdir()
    (d / "good.txt").write_text(GOOD + "\n")
    (d / "dup.txt").write_text(GOOD + "\n")
    (d / "latin1.txt").write_bytes("Protesters gathered at the café in Tehran on Monday.".encode("latin-1"))
    (d / "empty.txt").write_bytes(b"")
    (d / "image.txt").write_bytes(PNG)
    (d / "feed.jsonl").write_text(jsonl({"text": "Troops crossed the border near Kherson."}, [1, 2], {"x": 1}))
    (d / "nav.html").write_text("<html><body><nav>Home</nav></body></html>")
    (d / "loop").symlink_to(".")
    return d


EXPECTED = {("empty.txt", None), ("image.txt", None), ("feed.jsonl", 2), ("feed.jsonl", 3), ("nav.html", None)}


def test_build_skips_bad_input_reports_once_and_exits_3(messy, tmp_path):
    out = tmp_path / "out"
    res = runner.invoke(app, ["build", str(messy), "-o", str(out), "-q", "--no-validate", "--no-html"])
    assert res.exit_code == 3, res.output
    lines = [x for x in res.output.splitlines() if x.strip()]
    assert all(x.startswith("kg: skipped: ") for x in lines), lines
    assert len(lines) == len(set(lines)) == len(EXPECTED)
    report = json.loads((out / "report.json").read_text())
    assert report["articles"] == 3 and report["skipped"] == len(EXPECTED)
    assert {(Path(p["file"]).name, p["line"]) for p in report["problems"]} == EXPECTED
    for p in report["problems"]:  # stderr and report.json say the same
        where = f"{p['file']}:{p['line']}" if p["line"] else p["file"]
        assert f"kg: skipped: {where}: {p['reason']}" in lines


def test_on_error_fail_stops_with_one_line_and_keeps_outputs(messy, tmp_path):
    out = tmp_path / "out"
    build([messy / "good.txt"], out, BuildOptions(validate=False, html=False))
    before = {n: (out / n).read_bytes() for n in OUTPUT_FILES if (out / n).exists()}
    res = runner.invoke(app, ["build", str(messy), "-o", str(out), "-q", "--on-error", "fail"])
    assert res.exit_code == 1
    lines = [x for x in res.output.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("kg: error: ") and "empty.txt: empty file" in lines[0]
    assert {n: (out / n).read_bytes() for n in before} == before
    assert not list(tmp_path.glob(".out.kg-*"))


def test_no_usable_article_is_a_clear_error(tmp_path):
    d = tmp_path / "bad"
    d.mkdir()
    (d / "a.txt").write_bytes(PNG)
    (d / "b.jsonl").write_text(jsonl([1], {"title": "t"}))
    with pytest.raises(BuildError, match=r"no usable article in the input \(3 problem\(s\): .*a\.txt: a PNG"):
        build([d], tmp_path / "out", BuildOptions(validate=False))
    res = runner.invoke(app, ["build", str(d / "b.jsonl"), "-o", str(tmp_path / "out"), "-q"])
    assert res.exit_code == 1
    (line,) = [x for x in res.output.splitlines() if x.strip()]
    assert line.startswith("kg: error: no usable article in the input") and "b.jsonl:1" in line
    assert not any((tmp_path / "out" / n).exists() for n in OUTPUT_FILES)  # (the cache folder may be there)



def test_an_output_folder_inside_the_input_folder_is_not_read_back(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.txt").write_text(GOOD)
    for _ in range(2):  # the second build must not read the first one's graph.html
        result = build([data], data / "out", BuildOptions(validate=False))
        assert result.articles == 1 and not result.problems
    assert [f.name for f in input_files([data])] == ["a.txt"]


def test_output_path_that_is_a_file_is_a_one_line_error(tmp_path):
    (tmp_path / "a.txt").write_text(GOOD)
    (tmp_path / "taken").write_text("not a folder")
    res = runner.invoke(app, ["build", str(tmp_path / "a.txt"), "-o", str(tmp_path / "taken"), "-q"])
    assert res.exit_code == 1
    (line,) = [x for x in res.output.splitlines() if x.strip()]
    assert line == f"kg: error: {tmp_path / 'taken'}: not a folder (the output must be a folder)"
    assert (tmp_path / "taken").read_text() == "not a folder"
