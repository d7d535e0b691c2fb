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


_ESTIMATE = ("import numpy as np, sigfit; t = np.sort(np.random.default_rng(0).uniform(0, 100, 300)); "
             "y = np.sin(2 * np.pi * 0.37 * t); r = sigfit.estimate(t, y)")


def test_an_estimate_imports_neither_astropy_nor_scipy():
    # nifty-ls imports astropy.timeseries (~0.6 s) only to register its astropy methods, and any
    # scipy submodule costs ~0.25 s of scipy._lib: a default estimate of irregular samples needs
    # neither (sigfit._nifty; math.lgamma and numpy's Cholesky instead)
    mods = _modules_after(_ESTIMATE)
    assert "nifty_ls" in mods
    assert not {m for m in mods if m.split(".")[0] in ("astropy", "scipy")}


def test_evenly_spaced_and_giant_span_estimates_import_no_scipy():
    # the FFT lattice's fast length and its real FFT come from numpy (the same pocketfft), and so
    # does the coarse-to-fine search's lag spectrum: scipy's import was ~0.4 s of each command
    even = ("import numpy as np, sigfit; t = np.arange(512) * 0.5; "
            "r = sigfit.estimate(t, np.sin(2 * np.pi * 0.11 * t)); assert r.method == 'fft'")
    giant = ("import numpy as np, sigfit; rng = np.random.default_rng(0); "
             "t = np.sort(rng.integers(0, 10**9, 2000)); "
             "r = sigfit.estimate(t, np.sin(2 * np.pi * t / 97.0) + rng.normal(0, 1, t.size))")
    for stmt in (even, giant):
        mods = _modules_after(stmt)
        assert not {m for m in mods if m.split(".")[0] in ("astropy", "scipy")}, stmt


def test_next_fast_len_real_is_scipy_s():
    import random

    from scipy.fft import next_fast_len

    from sigfit._numerics import next_fast_len_real

    rng = random.Random(0)
    for n in [*range(1, 3000), *(rng.randrange(1, 10**12) for _ in range(2000))]:
        assert next_fast_len_real(n) == next_fast_len(n, real=True), n


def test_astropy_gets_nifty_ls_methods_when_imported_after_sigfit():
    # what `import nifty_ls` registers in astropy's LombScargle is there when astropy comes later
    code = (f"{_ESTIMATE}; from astropy.timeseries import LombScargle; "
            "f = np.linspace(0.1, 1.0, 50); a = LombScargle(t, y).power(f, method='fastnifty'); "
            "b = LombScargle(t, y).power(f, method='slow'); c = LombScargle(t, y).power(f, method='fastnifty_chi2'); "
            "print(float(np.max(np.abs(a - b))), float(np.max(np.abs(c - b))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert all(float(x) < 1e-6 for x in out.stdout.split())


def test_nifty_ls_is_imported_as_is_where_astropy_came_first():
    code = ("import astropy.timeseries, sys; from sigfit._nifty import nifty_ls, _RegisterLater; nifty_ls(); "
            "from astropy.timeseries.periodograms.lombscargle.implementations.main import METHODS; "
            "print('fastnifty' in METHODS, any(isinstance(f, _RegisterLater) for f in sys.meta_path))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "False"]


def test_nifty_ls_loads_once_across_threads():
    # Dask's threaded workers ask for it side by side: none may see the module half imported
    code = ("import threading; from sigfit._nifty import nifty_ls; out = []; "
            "ts = [threading.Thread(target=lambda: out.append(hasattr(nifty_ls(), 'lombscargle'))) for _ in range(8)]; "
            "[t.start() for t in ts]; [t.join() for t in ts]; print(out.count(True))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["8"]


def test_a_single_estimate_does_not_load_the_batch_machinery():
    # estimate_many and LombScargle load on first use (~100 ms of a command-line estimate)
    mods = _modules_after(_ESTIMATE)
    assert not {"sigfit.batch", "sigfit._batch_files", "sigfit.lombscargle"} & mods
    code = "import sigfit; print(sigfit.estimate_many.__module__, sigfit.LombScargle.__module__, 'estimate_many' in dir(sigfit))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["sigfit.batch", "sigfit.lombscargle", "True"]
