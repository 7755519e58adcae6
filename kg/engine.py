"""Running the per-article stages (NLP and extraction) in one or several processes.

The NLP stage (spaCy) and the extraction rules are pure per article: an article in,
its :class:`~kg.model.ArticleFacts` out. :func:`extract_stream` runs them over a
stream of articles and yields the facts **in input order**, so that the
order-dependent stages after it (resolution, RDF) give the same output whatever the
number of processes:

* ``jobs=1``: in this process, through ``nlp.pipe``;
* ``jobs=N``: in ``N`` worker processes, each running spaCy *and* the extraction on
  batches of articles; only the small, picklable facts come back. At most ``2 N + 1``
  batches are in flight, so a corpus of any size streams through in bounded memory.
  The workers either load the pipeline themselves (``spawn``: :func:`extract_stream`
  starts them when there is enough to parse) or are forked from this process once it
  has loaded the pipeline (:func:`fork_pool`, as spaCy's own ``n_process`` does on
  Linux): the pipeline is then loaded once instead of once per worker.

Articles already known (from the build cache) pass through without being parsed, in
their place in the order.

Nothing here imports spaCy at module level: the workers (and ``jobs=1``) import it when
they load the pipeline.
"""
from __future__ import annotations

import gc
import os
import signal
import sys
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from kg.model import Article, ArticleFacts


@dataclass(frozen=True)
class PipelineSpec:
    """What a process needs to build the same pipeline as the parent (picklable)."""

    gazetteer_extra: tuple[Path, ...] = ()
    batch_size: int = 16


@dataclass
class Extracted:
    """The facts of a batch of articles and the time each stage took."""

    facts: list[ArticleFacts]
    nlp_s: float = 0.0
    extraction_s: float = 0.0
    setup_s: float = 0.0  # loading the pipeline (first batch of a process only)
    parsed: int = 0


@dataclass
class _Pipeline:
    gaz: object
    rules: object
    nlp: object


_LOADED: dict[PipelineSpec, _Pipeline] = {}


def pipeline(spec: PipelineSpec) -> _Pipeline:
    """The gazetteer, rules and spaCy pipeline of ``spec``, loaded once per process."""
    if spec not in _LOADED:
        from kg.extract import load_rules
        from kg.gazetteer import load_gazetteer
        from kg.nlp import build_pipeline

        gaz = load_gazetteer(extra=spec.gazetteer_extra)
        _LOADED.clear()  # one pipeline per process
        _LOADED[spec] = _Pipeline(gaz, load_rules(), build_pipeline(gaz))
    return _LOADED[spec]


def extract_batch(spec: PipelineSpec, articles: list[Article]) -> Extracted:
    """Parse and extract a batch of articles (in a worker or in this process).

    >>> from kg.model import Article
    >>> out = extract_batch(PipelineSpec(), [Article(id="x", text="The BLA attacked Quetta.")])  # doctest: +SKIP
    >>> out.facts[0].article.id                                                            # doctest: +SKIP
    'x'
    """
    t = time.perf_counter()
    from kg.extract import extract_facts  # (with spaCy: the first batch of a process pays for the import)

    p = pipeline(spec)
    out = Extracted(facts=[], parsed=len(articles))
    out.setup_s = time.perf_counter() - t
    t = time.perf_counter()
    for doc, art in p.nlp.pipe(((a.document, a) for a in articles), as_tuples=True,
                               batch_size=spec.batch_size):
        t0 = time.perf_counter()
        out.nlp_s += t0 - t
        out.facts.append(extract_facts(doc, art, p.gaz, p.rules))
        t = time.perf_counter()
        out.extraction_s += t - t0
    return out


def _init_worker(spec: PipelineSpec, parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    end_with_parent(parent)
    pipeline(spec)


def end_with_parent(parent: int) -> None:
    """Have Linux kill this process when its parent, ``parent``, ends.

    A build that ends normally, fails, or is stopped with Ctrl-C, SIGTERM or SIGHUP
    stops its workers and helpers itself. One killed with SIGKILL (by hand, or by the
    out-of-memory killer) cannot, and its children would wait forever: the pipes they
    wait on stay open, as every child holds copies of the others' ends. So each child
    asks the kernel for SIGKILL at its parent's end (``prctl(PR_SET_PDEATHSIG)``), and
    ends at once if the parent has already gone. Elsewhere than on Linux, nothing.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        libc = ctypes.CDLL(None)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - no C library to ask
        return
    if os.getppid() != parent:  # the parent ended before the request
        os._exit(1)


@contextmanager
def _sigint_blocked(active: bool = True) -> Iterator[None]:
    """Block SIGINT in this thread while worker processes may be started: a child
    inherits the blocked signal (through fork and exec), so a Ctrl-C that reaches the
    whole process group while it starts does not print its traceback; the parent gets
    the signal as soon as it is unblocked."""
    if not active or threading.current_thread() is not threading.main_thread():
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


@dataclass
class _Segment:
    """A run of consecutive articles: known facts, and the articles to parse."""

    items: list = field(default_factory=list)  # Article (to parse) or what ``known`` gave
    todo: list[Article] = field(default_factory=list)


class _Done:
    """A finished 'future' for segments with nothing to parse."""

    def __init__(self, value: Extracted):
        self.value = value

    def result(self) -> Extracted:
        return self.value


def segments(articles: Iterable[Article], known: Callable[[Article], object | None],
             batch: int, max_known: int = 256) -> Iterator[_Segment]:
    """Group the stream into segments of at most ``batch`` articles to parse (and at
    most ``max_known`` already known ones), in order."""
    seg = _Segment()
    for art in articles:
        facts = known(art)
        if facts is None:
            seg.items.append(art)
            seg.todo.append(art)
        else:
            seg.items.append(facts)
        if len(seg.todo) >= batch or len(seg.items) - len(seg.todo) >= max_known:
            yield seg
            seg = _Segment()
    if seg.items:
        yield seg


def extract_stream(articles: Iterable[Article], spec: PipelineSpec, jobs: int = 1,
                   known: Callable[[Article], object | None] | None = None,
                   batch: int = 32, executor=None, few: int | None = None, prewarm: bool = False,
                   start: str = "auto", on_setup: Callable[[float], None] | None = None
                   ) -> Iterator[tuple[object, bool, Extracted | None]]:
    """``(facts or known value, parsed, stats)`` for every article, in input order.

    ``known(article)`` returns what is known of the article (a build cache entry,
    cached facts...) or None; a known article is yielded as that value, in its place,
    and ``parsed`` tells whether the article went through the pipeline. ``stats`` is
    the batch's :class:`Extracted`, given with the first article of each batch that
    was parsed (None otherwise), so the caller can add up stage times. ``executor`` (anything with ``submit``) is used
    instead of a local process pool when given (see :mod:`kg.dask_engine`).

    With ``jobs > 1``, worker processes are started only when there is enough to parse:
    as long as at most ``few`` articles (default ``2 * batch``) have needed parsing,
    looking a few segments ahead, they are parsed in this process (a re-build with a
    handful of new articles does not pay for starting ``jobs`` pipelines). With
    ``prewarm`` (a re-build, whose first articles are probably known), one worker
    starts loading the pipeline at once, in parallel with the reading of the cache, and
    takes those few articles instead; it is stopped unused if nothing needs parsing.

    ``start`` says how the workers start (see :func:`use_fork`): forked from this
    process once it has loaded the pipeline (:func:`fork_pool`), or spawned, each
    loading its own (the prewarmed worker is always spawned, as the cache is being read
    by a thread meanwhile). ``on_setup(seconds)`` is told how long this process took to
    load the pipeline before forking.
    """
    known = known or (lambda a: None)
    if executor is None and jobs <= 1:
        for seg in segments(articles, known, batch):
            yield from _merge(seg, extract_batch(spec, seg.todo) if seg.todo else None)
        return

    own = None
    window: deque[tuple[_Segment, object]] = deque()
    limit = 2 * max(1, jobs) + 1
    few = 2 * batch if few is None else few
    local = 0  # articles parsed in this process (a re-build with few new articles)
    submitted = 0
    segs = _Lookahead(segments(articles, known, batch))
    if prewarm and executor is None:
        # a re-build: one worker loads the pipeline while the cache is read, in case
        # a few articles need parsing (it is stopped if none does)
        own = executor = _pool(spec, jobs)
        with _sigint_blocked():
            executor.submit(_ready)
    try:
        for seg in segs:
            if seg.todo and executor is None:
                if local + len(seg.todo) + segs.todo_ahead(few) <= few:
                    # so few articles to parse that starting worker processes (each
                    # loading the pipeline) would cost more than parsing them here
                    local += len(seg.todo)
                    window.append((seg, _Done(extract_batch(spec, seg.todo))))
                    continue
                if use_fork(start):
                    t = time.perf_counter()
                    own = executor = fork_pool(spec, jobs)
                    if on_setup is not None:
                        on_setup(time.perf_counter() - t)
                else:
                    own = executor = _pool(spec, jobs)
            with _sigint_blocked(own is not None):  # submit may start a worker process
                fut = executor.submit(extract_batch, spec, seg.todo) if seg.todo else _Done(None)
            submitted += bool(seg.todo)
            window.append((seg, fut))
            while len(window) >= limit:
                s, f = window.popleft()
                yield from _merge(s, f.result())
        while window:
            s, f = window.popleft()
            yield from _merge(s, f.result())
    finally:
        if own is not None:
            for _, f in window:
                if hasattr(f, "cancel"):
                    f.cancel()
            if not submitted or not window:
                # only warming up, or every result is in: do not wait for a worker
                # still loading its pipeline (one started for the last batches)
                for proc in list((getattr(own, "_processes", None) or {}).values()):
                    proc.terminate()
            own.shutdown(wait=True, cancel_futures=True)


def _pool(spec: PipelineSpec, jobs: int):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_init_worker, initargs=(spec, os.getpid()))


START_METHODS = ("auto", "fork", "spawn")


def can_fork() -> bool:
    """Whether worker processes can be forked from this process: on Linux, and only
    while no other Python thread runs (a thread holding a lock at the fork would leave
    it held in the child). The native threads of numpy's BLAS are fork-aware.

    >>> isinstance(can_fork(), bool)
    True
    """
    import multiprocessing

    return (sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()
            and threading.active_count() == 1)


def use_fork(start: str) -> bool:
    """Whether workers asked to start by ``start`` ("auto", "fork" or "spawn") are
    forked: "auto" forks when :func:`can_fork` says it is safe now; "fork" forks
    wherever the platform allows it (a ValueError elsewhere).

    >>> use_fork("spawn")
    False
    """
    import multiprocessing

    if start not in START_METHODS:
        raise ValueError(f"unknown worker start method {start!r} (use {', '.join(START_METHODS)})")
    if start == "fork":
        if "fork" not in multiprocessing.get_all_start_methods():
            raise ValueError("worker processes cannot be forked on this platform: use the spawn start method")
        return True
    return start == "auto" and can_fork()


def fork_pool(spec: PipelineSpec, jobs: int):
    """A pool of ``jobs`` worker processes forked from this one after it has loaded the
    pipeline of ``spec`` (which it keeps: it may parse a few articles itself).

    The workers share the loaded pipeline's memory with this process until they write
    to it, and start at once: the pipeline is loaded one time instead of ``jobs``
    times, the way bare spaCy's ``nlp.pipe(n_process=N)`` works on Linux. Call it
    before starting any thread (see :func:`can_fork`); the processes are all forked
    here, before the pool starts its own management thread.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    pipeline(spec)
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork"),
                               initializer=_init_worker, initargs=(spec, os.getpid()))
    with _forking():
        # The workers' garbage collector leaves alone what they inherit (the pipeline),
        # as Python's documentation advises before a fork: traversing it costs time and
        # copies every page that holds it. Measured at 1,000 articles, two alternating
        # runs each: without this, the builds with forked workers took 1.5-5 s longer
        # than with spawned ones; with it, 1-3 s less.
        gc.freeze()
        try:
            pool.submit(_ready)  # forks all the workers (fork start method), then starts the pool's thread
        finally:
            gc.unfreeze()  # (in this process)
    return pool


@contextmanager
def _forking() -> Iterator[None]:
    """Around a fork: SIGINT blocked (see :func:`_sigint_blocked`), and Python 3.12+'s
    warning about forking a multi-threaded process silenced, as it counts native
    threads too (numpy's BLAS): callers fork only when :func:`can_fork` allows it, or
    when asked to."""
    with _sigint_blocked(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*is multi-threaded, use of fork\(\)", category=DeprecationWarning)
        yield


def start_helper(target: Callable, args: tuple, name: str, *, fork: bool = False, own_end=None):
    """Start a daemon process running ``target(*args)`` for a helper job (validation,
    views) and return it: spawned, or forked from this process with ``fork``.

    A forked helper starts in milliseconds and shares the modules this process has
    imported; a spawned one starts a new interpreter and imports them again. Fork only
    while :func:`can_fork` allows it, and before loading anything large (the helper
    keeps a copy of what this process holds). ``own_end``, this process's end of the
    helper's pipe, is closed in a forked helper (which inherits it), so that the helper
    still sees the pipe end when this process goes away; on Linux it also ends when
    this process is killed (:func:`end_with_parent`).

    >>> p = start_helper(int, (), "kg-doc", fork=can_fork())
    >>> p.join(); p.exitcode
    0
    """
    import multiprocessing

    ctx = multiprocessing.get_context("fork" if fork else "spawn")
    proc = ctx.Process(target=_helper_main, args=(os.getpid(), own_end if fork else None, target, args),
                       name=name, daemon=True)
    with _forking() if fork else _sigint_blocked():
        proc.start()
    return proc


def _helper_main(parent: int, own_end, target: Callable, args: tuple) -> None:  # pragma: no cover - a child process
    end_with_parent(parent)
    if own_end is not None:
        own_end.close()  # the parent's end, inherited through the fork
    target(*args)


def _ready() -> bool:
    """A task that returns once its worker has loaded the pipeline (its initializer)."""
    return True


class _Lookahead:
    """An iterator of segments that can look a few segments ahead."""

    def __init__(self, it: Iterator[_Segment], max_ahead: int = 4):
        self.it = it
        self.ahead: deque[_Segment] = deque()
        self.max_ahead = max_ahead

    def __iter__(self):
        return self

    def __next__(self) -> _Segment:
        return self.ahead.popleft() if self.ahead else next(self.it)

    def todo_ahead(self, enough: int) -> int:
        """Articles to parse in the next few segments (reading until more than
        ``enough`` are seen, the input ends, or ``max_ahead`` segments are held; more
        may follow: the caller counts what it parses)."""
        todo = sum(len(s.todo) for s in self.ahead)
        while todo <= enough and len(self.ahead) < self.max_ahead:
            seg = next(self.it, None)
            if seg is None:
                return todo
            self.ahead.append(seg)
            todo += len(seg.todo)
        return todo


def _merge(seg: _Segment, done: Extracted | None) -> Iterator[tuple[object, bool, Extracted | None]]:
    parsed = iter(done.facts) if done is not None else iter(())
    first = True
    for item in seg.items:
        if not isinstance(item, Article):  # known: passed through as given
            yield item, False, None
        else:
            facts = next(parsed)
            facts.article = item  # the parent's Article (same value; keeps identity)
            yield facts, True, done if first else None
            first = False
