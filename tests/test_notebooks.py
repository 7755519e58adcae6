"""The notebooks in ``notebooks/`` run from top to bottom without an error.

Each notebook is executed with nbclient in a fresh ``python3`` kernel (the kernelspec
that ipykernel installs into the environment's ``share/jupyter/kernels``, so a
``make test`` environment has it; jupyter_client starts it with the interpreter running
the tests). The kernel gets this checkout on ``PYTHONPATH`` and a temporary
``KG_NOTEBOOK_DIR``, so the notebooks test this tree and write nothing into it.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_the_notebooks_are_there_and_stored_without_outputs():
    assert {p.name for p in NOTEBOOKS} >= {"explore.ipynb", "your_articles.ipynb"}
    for path in NOTEBOOKS:
        book = nbformat.read(path, as_version=4)
        for cell in book.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{path.name} holds outputs"


def _status(root: Path) -> str:
    try:
        return subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=root,
                              capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return ""


@pytest.mark.slow
@pytest.mark.e2e
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path, tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("KG_NOTEBOOK_DIR", str(tmp_path))
    monkeypatch.delenv("KG_ARTICLES", raising=False)
    monkeypatch.delenv("KG_FIGURE_DIR", raising=False)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    before = _status(ROOT)
    book = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(book, timeout=240, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as e:
        pytest.fail(f"{path.name}: {str(e)[-3000:]}")
    errors = [o for c in book.cells if c.cell_type == "code" for o in c.outputs if o.get("output_type") == "error"]
    assert not errors
    assert any(p.suffix == ".trig" for p in tmp_path.rglob("*")), "the notebook built no graph in its work dir"
    assert _status(ROOT) == before, "the notebook wrote into the repository"
