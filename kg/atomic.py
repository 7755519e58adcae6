"""Writing outputs so that a failed or interrupted build loses nothing.

Every output is written under a temporary *staging* folder next to its destination
and moved into place with :func:`os.replace` only after the whole build has
succeeded. What this guarantees:

* an error, Ctrl-C (SIGINT), SIGTERM or SIGHUP before the end leaves the previous
  outputs byte for byte as they were and removes the staging folder (SIGTERM and
  SIGHUP are turned into :class:`KeyboardInterrupt` while a staging folder is open,
  when the program has not set handlers of its own);
* a signal that arrives while the finished files are being moved into place is
  ignored (the build has then succeeded), so the folder never mixes old and new
  files because of a signal;
* a process killed outright (SIGKILL, power loss) may leave its staging folder
  behind: the folder's name records the host and process id of its owner, and the
  next build into the same destination removes the folders whose owner is no longer
  running on this host (and nameless leftovers older than a day).
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LEGACY_MAX_AGE_S = 24 * 3600  # staging folders without an owner in their name


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9.-]", "-", socket.gethostname())[:40] or "host"


def staging_prefix(out_dir: Path) -> str:
    """The name prefix of ``out_dir``'s staging folders (without owner).

    >>> staging_prefix(Path("/data/out"))
    '.out.kg-'
    """
    return f".{Path(out_dir).name}.kg-"


def _pid_running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def stale_staging(out_dir: Path) -> list[Path]:
    """Staging folders of ``out_dir`` left by builds that are no longer running.

    A folder named ``.OUT.kg-HOST_PID_xxxx`` is stale when HOST is this host and no
    process PID runs; a folder of another host is never touched. Older folders whose
    name has no owner are stale after a day. Also listed: ``.NAME.old-PID`` folders in
    ``out_dir`` left by an interrupted replacement of a sub-folder.
    """
    out_dir = Path(out_dir)
    prefix = staging_prefix(out_dir)
    owned = re.compile(re.escape(prefix) + r"(?P<host>[A-Za-z0-9.-]+)_(?P<pid>\d+)_")
    host, now = _host(), time.time()
    stale: list[Path] = []
    parent = out_dir.parent
    if not parent.is_dir():
        return stale
    for p in parent.iterdir():
        if not p.name.startswith(prefix) or p.is_symlink() or not p.is_dir():
            continue
        m = owned.match(p.name)
        if m:
            if m.group("host") == host and not _pid_running(int(m.group("pid"))):
                stale.append(p)
        else:
            try:
                if now - p.stat().st_mtime > LEGACY_MAX_AGE_S:
                    stale.append(p)
            except OSError:
                continue
    if out_dir.is_dir():
        old = re.compile(r"\..+\.old-(?P<pid>\d+)")
        for p in out_dir.iterdir():
            m = old.fullmatch(p.name)
            if m and not p.is_symlink() and not _pid_running(int(m.group("pid"))):
                stale.append(p)
    return sorted(stale)


def remove_stale_staging(out_dir: Path) -> list[Path]:
    """Remove what :func:`stale_staging` lists; returns the folders removed."""
    removed = []
    for p in stale_staging(out_dir):
        shutil.rmtree(p, ignore_errors=True)
        if not p.exists():
            removed.append(p)
    return removed


@contextmanager
def staging(out_dir: Path) -> Iterator[Path]:
    """A temporary folder in ``out_dir``'s parent; its files replace those in
    ``out_dir`` when the block ends without error, and it is removed either way.
    Stale staging folders of earlier, killed builds are removed first.

    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "out"
    >>> with staging(out) as tmp:
    ...     _ = (tmp / "a.txt").write_text("new")
    >>> (out / "a.txt").read_text()
    'new'
    >>> sorted(p.name for p in out.parent.iterdir())
    ['out']
    """
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(out_dir)
    tmp = Path(tempfile.mkdtemp(prefix=f"{staging_prefix(out_dir)}{_host()}_{os.getpid()}_",
                                dir=out_dir.parent))
    try:
        with _signals_interrupt():
            yield tmp
        with _signals_held():
            _commit(tmp, out_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _commit(tmp: Path, out_dir: Path) -> None:
    """Move every entry of ``tmp`` into ``out_dir`` (``report.json`` last, so its
    presence with a new time stamp means the whole set is new)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    entries = sorted(tmp.iterdir(), key=lambda p: (p.name == "report.json", p.name))
    for src in entries:
        dst = out_dir / src.name
        if src.is_dir() and dst.exists():
            old = dst.with_name(f".{dst.name}.old-{os.getpid()}")
            os.replace(dst, old)
            os.replace(src, dst)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(src, dst)


_HANDLED = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def _signals_interrupt() -> Iterator[None]:
    """SIGTERM and SIGHUP raise :class:`KeyboardInterrupt` in this process while the
    block runs (only where no handler was set; children started by ``fork`` get the
    default action back)."""
    if not _in_main_thread():
        yield
        return
    owner = os.getpid()

    def interrupt(signum, frame):
        if os.getpid() != owner:  # a forked child: behave as if no handler were set
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        raise KeyboardInterrupt(signal.Signals(signum).name)

    previous = {}
    for sig in _HANDLED:
        if signal.getsignal(sig) is signal.SIG_DFL:
            previous[sig] = signal.signal(sig, interrupt)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def _signals_held() -> Iterator[list[int]]:
    """SIGINT, SIGTERM and SIGHUP are noted, not acted on, while the block runs (the
    files are being moved into place, a matter of milliseconds: stopping half-way
    would mix old and new outputs). The build is then complete, so they are dropped;
    the signals noted are in the list yielded."""
    noted: list[int] = []
    if not _in_main_thread():
        yield noted
        return
    previous = {sig: signal.signal(sig, lambda signum, frame: noted.append(signum))
                for sig in (signal.SIGINT, *_HANDLED)}
    try:
        yield noted
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)


def write_text(path: Path, text: str) -> None:
    """Write a text file atomically (temporary file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
