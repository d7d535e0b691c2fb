"""nifty-ls, imported without the astropy it does not need.

``import nifty_ls`` registers its two methods with astropy's ``LombScargle`` (``fastnifty``,
``fastnifty_chi2``) by importing ``astropy.timeseries``, which loads astropy's units, tables and
FITS reader: ~0.6 s, a third of a small ``sigfit estimate`` on the command line and of every
Dask worker's start, for a registration sigfit never uses. :func:`nifty_ls` imports it with that
one astropy module held back (nifty-ls then skips the registration, as it does where astropy is
absent) and leaves a hook that registers both methods the moment astropy's module is imported
later: a caller who uses ``LombScargle(...).power(method="fastnifty")`` after sigfit gets what
``import nifty_ls`` would have given. Where astropy's module is loaded already, nifty-ls is
imported as it is.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import logging
import sys
import threading

ASTROPY_METHODS = "astropy.timeseries.periodograms.lombscargle.implementations.main"
_LOCK = threading.Lock()
_LOADED: list = []  # the module once its import has finished (sys.modules has it from the start)


def nifty_ls():
    """The ``nifty_ls`` module (imported once; see the module notes). Thread-safe: Dask's
    threaded workers ask for it side by side."""
    if _LOADED:
        return _LOADED[0]
    with _LOCK:
        if _LOADED:
            return _LOADED[0]
        _LOADED.append(_import())
        return _LOADED[0]


def _import():
    if "nifty_ls" in sys.modules or ASTROPY_METHODS in sys.modules:
        import nifty_ls as module  # (waits for an import under way elsewhere to finish)

        return module
    sys.modules[ASTROPY_METHODS] = None  # its import now raises ImportError
    level = logging.root.manager.disable
    logging.disable(logging.INFO)  # nifty-ls logs "Astropy not found" at INFO
    try:
        import nifty_ls as module
    finally:
        logging.disable(level)
        if sys.modules.get(ASTROPY_METHODS, 0) is None:
            del sys.modules[ASTROPY_METHODS]
    if ASTROPY_METHODS not in sys.modules:
        sys.meta_path.insert(0, _RegisterLater())
    return module


def register(methods) -> None:
    """nifty-ls's own registration (its ``__init__``) into astropy's ``METHODS`` table."""
    from nifty_ls.astropy import lombscargle_fastnifty, lombscargle_fastnifty_chi2

    methods.setdefault("fastnifty", lombscargle_fastnifty)
    methods.setdefault("fastnifty_chi2", lombscargle_fastnifty_chi2)


class _RegisterLater(importlib.abc.MetaPathFinder):
    """Registers nifty-ls's methods once astropy's module has run (one import, then gone)."""

    def find_spec(self, name, path=None, target=None):
        if name != ASTROPY_METHODS:
            return None
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            register(module.METHODS)

        spec.loader.exec_module = exec_module
        return spec
