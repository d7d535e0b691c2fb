"""The import direction: estimation code never pulls in torch or matplotlib."""

import subprocess
import sys


def _modules_after(stmt: str) -> set[str]:
    code = f"import sys; {stmt}; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_import_sigfit_pulls_no_torch_or_matplotlib():
    mods = _modules_after("import sigfit")
    assert "torch" not in mods
    assert "matplotlib" not in mods


def test_cli_import_pulls_no_torch_or_matplotlib():
    mods = _modules_after("import sigfit.cli")
    assert "torch" not in mods
    assert "matplotlib" not in mods
