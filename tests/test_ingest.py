"""Input formats: .txt (one or several articles), .jsonl, .html; ids; bad input."""
from __future__ import annotations

import codecs
import json

import pytest

from kg.ingest import (InputProblem, article_id, decode, parse_text_article, read_articles,
                       sample_corpus, split_articles)

SEED_MULTI = "000_372de9497b315ae9.txt"


def test_sample_corpus_is_the_seed_articles():
    names = sorted(p.name for p in sample_corpus().glob("*.txt"))
    assert SEED_MULTI in names and len(names) == 2


def test_multi_article_txt_splits_into_four_with_datelines():
    arts = list(read_articles([sample_corpus() / SEED_MULTI]))
    assert len(arts) == 4
    assert arts[0].text.startswith("Balochistan, Pakistan's largest")
    assert [a.dateline for a in arts] == [None, None, "Tehran", "Hanoi"]
    assert all(a.origin.endswith(f"#{i + 1}") for i, a in enumerate(arts))
    assert len({a.id for a in arts}) == 4


def test_headline_and_source_line_become_metadata():
    arts = list(read_articles([sample_corpus() / "002_c67bceee879d89a0.txt"]))
    assert len(arts) == 1
    art = arts[0]
    assert art.title.startswith("Coordinated Baloch separatist attacks")
    assert art.source == "X"
    assert not art.text.startswith("Source:")
    assert art.document.startswith(art.title + "\n\n")


def test_split_modes(tmp_path):
    text = "First article para one.\nPara two.\n\nSecond article.\n"
    assert len(split_articles(text, "auto")) == 2
    assert len(split_articles(text, "none")) == 1
    classic = "Para one of one article.\n\nPara two of the same article.\n"
    assert split_articles(classic, "auto") == [classic.strip()]
    assert len(split_articles(classic, "blank-lines")) == 2
    with pytest.raises(ValueError):
        split_articles(text, "bogus")


def test_jsonl_with_metadata_and_bad_lines(tmp_path):
    f = tmp_path / "a.jsonl"
    lines = [
        json.dumps({"id": "x1", "title": "T", "date": "2024-11-09", "source": "VOA", "url": "https://e.org/a",
                    "text": "Militants attacked a police station in Quetta."}),
        "{not json",
        json.dumps(["a", "list"]),
        json.dumps({"id": "x2", "title": "no text"}),
        json.dumps({"text": "Second article without id.", "date": "Saturday"}),
    ]
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems = []
    arts = list(read_articles([f], report=problems.append))
    assert [a.id for a in arts][0] == "x1"
    a = arts[0]
    assert (a.title, a.date, a.source, a.url) == ("T", "2024-11-09", "VOA", "https://e.org/a")
    assert arts[1].id == article_id("Second article without id.") and arts[1].date is None
    reasons = {(p.line, p.reason.split(" (")[0]) for p in problems}
    assert (2, "not valid JSON") in reasons
    assert (3, "a JSON list, not an object") in reasons
    assert any(line == 4 and "text" in r for line, r in reasons)
    assert any(line == 5 and "date" in r for line, r in reasons)
    assert all(str(f) in str(p) for p in problems)


def test_html_page_via_trafilatura(tmp_path):
    body = " ".join(["Militants stormed a police station in Quetta on Saturday, officials said."] * 4)
    page = f"""<html><head><title>Attack in Quetta | News</title>
    <meta property="og:title" content="Attack in Quetta">
    <meta name="date" content="2024-11-09"></head>
    <body><nav>Home | World | Sport</nav><article><h1>Attack in Quetta</h1>
    <p>{body}</p><p>The Baloch Liberation Army claimed responsibility for the attack.</p></article>
    <footer>Copyright</footer></body></html>"""
    f = tmp_path / "page.html"
    f.write_text(page, encoding="utf-8")
    (art,) = read_articles([f])
    assert art.title == "Attack in Quetta"
    assert "Baloch Liberation Army claimed responsibility" in art.text
    assert "Copyright" not in art.text and "Home | World" not in art.text
    assert art.date == "2024-11-09"


def test_ids_are_stable_and_content_derived(tmp_path):
    a = list(read_articles([sample_corpus()]))
    b = list(read_articles([sample_corpus()]))
    assert [x.id for x in a] == [x.id for x in b]
    f = tmp_path / "copy.txt"
    f.write_text((sample_corpus() / "002_c67bceee879d89a0.txt").read_text())
    (c,) = read_articles([f])
    assert c.id == [x for x in a if x.title and x.title.startswith("Coordinated")][0].id


def test_duplicates_are_read_once(tmp_path):
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text("Same article text about an attack in Quetta.\n")
    assert len(list(read_articles([tmp_path]))) == 1


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "latin-1"])
def test_encodings(tmp_path, encoding):
    text = "Café attack in Quetta: officials said the café was closed."
    f = tmp_path / "e.txt"
    f.write_bytes(text.encode(encoding))
    (art,) = read_articles([f])
    assert art.text == text


def test_bad_files_are_reported_with_file_and_reason(tmp_path):
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01\x02binary\x00" * 20)
    (tmp_path / "ok.txt").write_text("A real article about Quetta.\n")
    problems = []
    arts = list(read_articles([tmp_path], report=problems.append))
    assert len(arts) == 1
    by_file = {p.path.rsplit("/", 1)[-1]: p.reason for p in problems}
    assert "empty" in by_file["empty.txt"]
    assert "binary" in by_file["bin.txt"]
    with pytest.raises(InputProblem, match="no such file"):
        list(read_articles([tmp_path / "missing.txt"]))


def test_decode_rejects_binary_and_honours_boms():
    assert decode(codecs.BOM_UTF8 + "x".encode(), "f") == "x"
    with pytest.raises(InputProblem):
        decode(bytes(range(0, 32)) * 10, "f")


def test_dateline_variants():
    art = parse_text_article("ISLAMABAD — A suicide bomber struck.", "f")
    assert art.dateline == "Islamabad"
    art = parse_text_article("Nothing here – just text.", "f")
    assert art.dateline is None
    art = parse_text_article("PESHAWAR, Pakistan, Sept 14 (Reuters) - Security forces raided a compound.", "f")
    assert art.dateline == "Peshawar"
    art = parse_text_article("GAZA/CAIRO, Aug 10 (Reuters) - An air strike hit a school.", "f")
    assert art.dateline == "Gaza"
    art = parse_text_article("The US - China talks resumed.", "f")
    assert art.dateline is None
