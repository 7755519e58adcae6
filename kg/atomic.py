"""Writing outputs so that a failed or interrupted build loses nothing.

Every output is written under a temporary folder next to its destination and moved
into place with :func:`os.replace` only after the whole build has succeeded.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def staging(out_dir: Path) -> Iterator[Path]:
    """A temporary folder in ``out_dir``'s parent; its files replace those in
    ``out_dir`` when the block ends without error, and it is removed either way.

    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "out"
    >>> with staging(out) as tmp:
    ...     _ = (tmp / "a.txt").write_text("new")
    >>> (out / "a.txt").read_text()
    'new'
    """
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.kg-", dir=out_dir.parent))
    try:
        yield tmp
        out_dir.mkdir(parents=True, exist_ok=True)
        for src in sorted(tmp.iterdir()):
            dst = out_dir / src.name
            if src.is_dir():
                if dst.exists():
                    old = dst.with_name(f".{dst.name}.old-{os.getpid()}")
                    os.replace(dst, old)
                    os.replace(src, dst)
                    shutil.rmtree(old, ignore_errors=True)
                else:
                    os.replace(src, dst)
            else:
                os.replace(src, dst)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


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
