"""A benchmark corpus of N articles made from the real text in the repository.

The sources are the bundled samples (``kg/data/samples/*.txt``, split into articles the
way ``kg build`` splits them) and, when present, the dev set
``../shared/eval/dev/articles.jsonl`` (relative to the repository root). They are
repeated and shuffled (seeded) up to N articles; every copy gets its own id and a
numbered title, so deduplication does not collapse them.

    python benchmarks/corpus.py 1000 /tmp/corpus-1000.jsonl
"""
from __future__ import annotations

import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# ../shared from the repository root (from a worktree under /work/wt, a folder further up)
DEV = next((p / "shared" / "eval" / "dev" / "articles.jsonl" for p in ROOT.parents
            if (p / "shared" / "eval" / "dev" / "articles.jsonl").exists()), ROOT.parent / "shared" / "none")


def source_articles() -> list[dict]:
    """The distinct real articles available (samples, then the dev set)."""
    from kg.ingest import read_articles, sample_corpus

    seen: dict[str, dict] = {}
    paths = [sample_corpus()] + ([DEV] if DEV.exists() else [])
    for art in read_articles(paths, report=lambda p: None):
        seen.setdefault(art.text, {"title": art.title, "date": art.date, "source": art.source,
                                   "text": art.text})
    return list(seen.values())


def make_corpus(n: int, path: Path, seed: int = 13) -> tuple[int, int]:
    """Write ``n`` articles to ``path`` (JSONL); return (articles, words)."""
    base = source_articles()
    rng = random.Random(seed)
    order: list[dict] = []
    while len(order) < n:
        batch = base[:]
        rng.shuffle(batch)
        order.extend(batch)
    words = 0
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for i, src in enumerate(order[:n]):
            title = f"{src['title'] or 'Report'} (copy {i})"
            art = {"id": f"bench-{i:07d}", "title": title, "date": src["date"],
                   "source": src["source"], "text": src["text"]}
            words += len(title.split()) + len(src["text"].split())
            f.write(json.dumps(art, ensure_ascii=False) + "\n")
    return n, words


if __name__ == "__main__":
    n, w = make_corpus(int(sys.argv[1]), Path(sys.argv[2]))
    print(f"{n} articles, {w:,} words -> {sys.argv[2]}")
