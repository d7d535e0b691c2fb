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
    assert "sklearn" not in mods


def test_features_import_numpy_only():
    mods = _modules_after("import sigfit.features")
    assert not {"torch", "sklearn", "matplotlib"} & mods


def test_baselines_install_as_sigfit_baselines_only(tmp_path):
    # run outside the repository, where only the installed package is importable: the repo's
    # baselines/ folder is sigfit.baselines, never a top-level `baselines` (an RL library's name)
    code = ("import importlib.util as u; print(u.find_spec('baselines') is None, "
            "u.find_spec('sigfit.baselines') is not None)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=tmp_path).stdout.split()
    assert out == ["True", "True"]


def test_cli_import_pulls_no_torch_or_matplotlib():
    mods = _modules_after("import sigfit.cli")
    assert "torch" not in mods
    assert "matplotlib" not in mods
