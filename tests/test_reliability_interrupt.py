"""Interrupting a build (Ctrl-C, SIGTERM, SIGKILL) loses nothing: the previous outputs
stay byte for byte, no staging folder is left behind (or, after SIGKILL, the next
build removes it), the cache stays consistent and a re-run completes."""
from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kg.atomic import remove_stale_staging, stale_staging, staging
from kg.build import OUTPUT_FILES, BuildOptions, build
from kg.ingest import read_articles, sample_corpus

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """24 distinct articles (the samples, varied): a few seconds of NLP."""
    arts = list(read_articles([sample_corpus()]))
    f = tmp_path_factory.mktemp("corpus") / "corpus.jsonl"
    with f.open("w", encoding="utf-8") as out:
        for i in range(24):
            a = arts[i % len(arts)]
            out.write(json.dumps({"title": a.title, "text": f"{a.text} (Copy {i}.)"}) + "\n")
    return f


@pytest.fixture
def previous(tmp_path, sample_build) -> tuple[Path, dict[str, bytes]]:
    """An output folder holding a previous build, and its files' bytes."""
    out = tmp_path / "out"
    shutil.copytree(sample_build[0], out)
    return out, snapshot(out)


def snapshot(out: Path) -> dict[str, bytes]:
    return {n: (out / n).read_bytes() for n in OUTPUT_FILES}


def staging_folders(out: Path) -> list[Path]:
    return sorted(out.parent.glob(f".{out.name}.kg-*"))


def start(corpus: Path, out: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, "-m", "kg", "build", str(corpus), "-o", str(out), "-q",
                             "--no-validate", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)  # its own process group, like a shell job


def wait_until_writing(proc: subprocess.Popen, out: Path, timeout: float = 90) -> None:
    """Until the build has written an article into graph.trig in its staging folder."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        assert proc.poll() is None, f"the build ended before it was interrupted: {proc.communicate()}"
        if any(f.stat().st_size > 2000 for d in staging_folders(out) for f in d.glob("graph.trig")):
            return
        time.sleep(0.05)
    pytest.fail("the build did not start writing")


def finish(proc: subprocess.Popen) -> tuple[int, str]:
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail("the build did not stop after the signal")
    return proc.returncode, err


def cache_is_consistent(out: Path) -> None:
    db = out / ".kg-cache" / "facts.sqlite"
    if db.exists():
        with sqlite3.connect(db) as con:
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def rerun_completes(corpus: Path, out: Path, before: dict[str, bytes]) -> None:
    result = build([corpus], out, BuildOptions(validate=False))
    assert result.articles == 24 and not result.problems
    assert json.loads((out / "report.json").read_text())["articles"] == 24
    assert snapshot(out) != before
    assert staging_folders(out) == []


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_keeps_previous_outputs_and_cleans_up(corpus, previous, sig):
    out, before = previous
    proc = start(corpus, out)
    wait_until_writing(proc, out)
    os.killpg(proc.pid, sig)  # the whole job, as Ctrl-C in a terminal does
    code, err = finish(proc)
    assert code == 130, err
    lines = [x for x in err.splitlines() if x.strip()]
    assert lines == [f"kg: error: interrupted; previous outputs in {out} are unchanged"]
    assert snapshot(out) == before
    assert staging_folders(out) == []
    cache_is_consistent(out)
    if sig == signal.SIGINT:
        rerun_completes(corpus, out, before)


@pytest.mark.parametrize("when", ["workers-loading", "writing"])
def test_interrupt_with_worker_processes(corpus, previous, when):
    out, before = previous
    proc = start(corpus, out, "-j", "2", "--no-cache")
    if when == "writing":
        wait_until_writing(proc, out)
    else:  # while the worker processes start and load the pipeline
        end = time.monotonic() + 60
        while not staging_folders(out) and time.monotonic() < end:
            time.sleep(0.02)
        time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGINT)  # the workers get it too
    code, err = finish(proc)
    assert code == 130, err
    assert [x for x in err.splitlines() if x.strip()][-1].startswith("kg: error: interrupted")
    assert "Traceback" not in err, err
    assert snapshot(out) == before and staging_folders(out) == []


def test_kill_leaves_outputs_and_the_next_build_removes_its_staging_folder(corpus, previous):
    out, before = previous
    proc = start(corpus, out)
    wait_until_writing(proc, out)
    os.killpg(proc.pid, signal.SIGKILL)
    code, _ = finish(proc)
    assert code == -signal.SIGKILL
    assert snapshot(out) == before
    left = staging_folders(out)
    assert len(left) == 1 and str(proc.pid) in left[0].name  # the dead owner is in the name
    assert stale_staging(out) == left
    cache_is_consistent(out)
    rerun_completes(corpus, out, before)  # removes the stale folder


def _children(pid: int) -> dict[int, str]:
    """The live child processes of ``pid`` (from /proc): pid -> command line."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                found[int(stat.parent.name)] = (stat.parent / "cmdline").read_bytes().decode(errors="replace")
        except (OSError, IndexError, ValueError):
            continue
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the kernel ends the children on Linux")
def test_a_build_killed_alone_leaves_no_worker_or_helper_behind(corpus, tmp_path):
    """SIGKILL to the build's process alone (as the out-of-memory killer sends it): its
    workers and its validation and views processes end too, instead of waiting forever
    on pipes that the others keep open."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-m", "kg", "build", str(corpus), "-o", str(tmp_path / "out"), "-q",
                             "-j", "2", "--no-cache"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, start_new_session=True)
    kids: dict[int, str] = {}
    try:
        end = time.monotonic() + 90
        while time.monotonic() < end and proc.poll() is None:
            kids = _children(proc.pid)
            # two workers, the validation and the views processes (and multiprocessing's
            # resource tracker, which ends with the last of them)
            if sum("resource_tracker" not in cmd for cmd in kids.values()) >= 4:
                break
            time.sleep(0.05)
        assert proc.poll() is None and sum("resource_tracker" not in c for c in kids.values()) >= 4, kids
        os.kill(proc.pid, signal.SIGKILL)  # the build's process only
        proc.communicate(timeout=30)
        end = time.monotonic() + 30
        while time.monotonic() < end and any(_alive(k) for k in kids):
            time.sleep(0.1)
        assert not [cmd for k, cmd in kids.items() if _alive(k)]
    finally:
        for k in list(kids):
            if _alive(k):
                os.kill(k, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_stale_folders_of_running_or_foreign_builds_are_kept(tmp_path):
    from kg.atomic import _host

    out = tmp_path / "out"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with staging(out) as mine:  # a running build (this process) is never stale
        assert f"{_host()}_{os.getpid()}_" in mine.name
        other_host = tmp_path / ".out.kg-elsewhere.example_1_abc"  # a machine sharing the folder
        legacy_new = tmp_path / ".out.kg-abc123"  # no owner in its name, recent
        legacy_old = tmp_path / ".out.kg-zzz999"  # no owner in its name, three days old
        ours_dead = tmp_path / f".out.kg-{_host()}_{dead.pid}_x"  # this host, process gone
        old_sub = out / ".graph.old.old-999999999"  # a replaced sub-folder, process gone
        for d in (other_host, legacy_new, legacy_old, ours_dead, old_sub):
            d.mkdir(parents=True)
        os.utime(legacy_old, (time.time() - 3 * 86400,) * 2)
        not_ours = tmp_path / ".other.kg-x_1_y"  # another output folder's staging
        not_ours.mkdir()
        expected = sorted([legacy_old, ours_dead, old_sub])
        assert stale_staging(out) == expected
        assert remove_stale_staging(out) == expected
        assert not any(p.exists() for p in expected)
        assert all(p.exists() for p in (mine, other_host, legacy_new, not_ours))


def test_an_error_during_the_build_changes_nothing(tmp_path, corpus):
    out = tmp_path / "out"
    with staging(out) as tmp:
        (tmp / "report.json").write_text("first")
    with pytest.raises(RuntimeError):
        with staging(out) as tmp:
            (tmp / "report.json").write_text("second")
            raise RuntimeError("boom")
    assert (out / "report.json").read_text() == "first"
    assert staging_folders(out) == []


# ----------------------------------------------------------------------------- the kg store
def store_state(path: Path) -> tuple[bytes, int, list[str]]:
    """(pointer file bytes, quads, named graphs) of a kg store."""
    from kg.store import load_graph

    store = load_graph(path)
    quads = int(next(iter(store.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")))["n"].value)
    graphs = sorted(r["g"].value for r in store.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"))
    del store
    return (path / "kg-store.json").read_bytes(), quads, graphs


@pytest.fixture(scope="module")
def small_corpus(corpus) -> Path:
    f = corpus.with_name("small.jsonl")
    f.write_text("".join(corpus.read_text(encoding="utf-8").splitlines(keepends=True)[:8]), encoding="utf-8")
    return f


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_interrupted_store_write_leaves_the_store_as_it_was(tmp_path, small_corpus, sig):
    corpus = small_corpus
    pytest.importorskip("kg.store").add_articles  # noqa: B018 - the store is in this tree
    from kg.store import add_articles

    first = tmp_path / "first.txt"
    first.write_text("Militants attacked a police station in Quetta, officials said.\n")
    store = tmp_path / "store"
    build([first], tmp_path / "out", BuildOptions(validate=False, html=False, store_dir=store))
    before = store_state(store)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-m", "kg", "add", str(corpus), "--store", str(store), "-q"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)
    end = time.monotonic() + 120
    while not list(store.glob(".tmp-*")):  # the new version is being written
        assert proc.poll() is None and time.monotonic() < end, proc.communicate()
        time.sleep(0.01)
    os.killpg(proc.pid, sig)
    code, err = finish(proc)
    if sig == signal.SIGINT:
        assert code == 130 and err.strip() == f"kg: error: interrupted; the store {store} is unchanged", err
        # (the half-written version may stay until the next write: the database can still
        # be open while the interrupt unwinds; the next write removes it, checked below)
    else:
        assert code == -signal.SIGKILL
    assert store_state(store) == before  # readers see the previous version, whole
    result = add_articles(store, [corpus])  # the lock is free again; a re-run completes
    assert len(result.added) == 8 and not result.problems
    pointer, quads, graphs = store_state(store)
    assert pointer != before[0] and quads > before[1] and set(before[2]) <= set(graphs)
    assert not list(store.glob(".tmp-*"))  # the interrupted write's leftovers are gone
