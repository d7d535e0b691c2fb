"""Sphinx configuration of sigfit's documentation site.

Built by ``make docs`` (into docs/_build/html) and, with warnings as errors, by
tests/test_docs.py. Pages are Markdown (MyST) or reStructuredText; the user guide is every
``guide/*.md`` (a glob toctree, so a new page appears without touching this file); the API
reference is generated from the packages' ``__all__`` at each build (``_api.py``); the gallery
runs ``examples/plot_*.py`` at build time (sphinx-gallery).
"""

from __future__ import annotations

import os
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))  # the checkout's sigfit, also when not installed

import _api  # noqa: E402

import sigfit  # noqa: E402

project = "sigfit"
author = "the sigfit developers"
copyright = "the sigfit developers"  # noqa: A001 (Sphinx's name)
version = release = sigfit.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "api/generated/*.examples", "**/GALLERY_HEADER.rst", "figures/**"]
templates_path = ["_templates"]

# --- the API reference: one page per module, written from its __all__ before the build reads
# the sources (new public names appear by themselves; see _api.py)
_api.write_reference(os.path.join(HERE, "api"))
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": False}
autodoc_typehints = "none"  # numpydoc's Parameters section says it; the signature stays short
numpydoc_show_class_members = False  # autosummary lists the members; no duplicate tables
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# --- Markdown pages (the user guide, the method pages)
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3  # [text](#a-heading) links work, as on GitHub

# --- the gallery: every examples/plot_*.py runs at build time; its figures come from sigfit.plot
sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
    "min_reported_time": 10**9,  # no per-example timing blurbs (they vary run to run)
    "write_computation_times": False,
    "plot_gallery": "True",
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "reset_modules": ("matplotlib",),
}

# --- HTML: the PyData theme, like numpy, scipy, astropy, pandas
html_theme = "pydata_sphinx_theme"
html_title = "sigfit"
html_static_path = ["_static"]
html_css_files = ["sigfit.css"]
html_show_sourcelink = False
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 6,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_context = {"default_mode": "light"}
pygments_style = "sphinx"

# Numbers in examples are computed; a headless build must not try to open windows.
os.environ.setdefault("MPLBACKEND", "Agg")
warnings.filterwarnings("ignore", message="Matplotlib is currently using agg")


def _numpydoc_template_compiled_once() -> None:
    """numpydoc (1.11) builds a new jinja environment, and so compiles its docstring template
    anew, for every object it renders (``docscrape_sphinx.get_doc_object``): ~3000 compilations,
    about a fifth of this build. The template is the same file each time; compile it once per
    build process and hand the same one back. The rendered pages are unchanged."""
    import numpydoc.docscrape_sphinx as numpydoc_sphinx
    from jinja2.sandbox import SandboxedEnvironment

    compiled: dict[str, object] = {}

    class _Environment:
        def __init__(self, loader):
            self._loader = loader

        def get_template(self, name):
            if name not in compiled:
                compiled[name] = SandboxedEnvironment(loader=self._loader).get_template(name)
            return compiled[name]

    numpydoc_sphinx.SandboxedEnvironment = _Environment


_numpydoc_template_compiled_once()
