"""The story notebook (notebooks/spectral_story.py, a jupytext pair) executes end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("torch")
jupytext = pytest.importorskip("jupytext")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "spectral_story.py"


def test_story_notebook_executes():
    nb = jupytext.read(NOTEBOOK)
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOK.parents[1])}})
    client.execute()
    text = "".join(o.get("text", "") for cell in nb.cells for o in cell.get("outputs", []))
    assert "spectral init: held-out MSE" in text and "'all': 1.0" in text
