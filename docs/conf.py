"""Sphinx configuration of descend's documentation.

Build it with ``python -m sphinx -W --keep-going -b html docs docs/_build/html`` (the ``docs``
extra installs what it needs). The build reads nothing from the network.
"""

import inspect
import os
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# The sources of this checkout come first, then the gallery's scraper beside this file.
sys.path[:0] = [str(ROOT / "src"), str(HERE)]
# Matplotlib never opens a window while the gallery's scripts run.
os.environ.setdefault("MPLBACKEND", "Agg")

import descend  # noqa: E402

project = "descend"
author = "The descend team"
copyright = "the descend team"
release = version = descend.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build"]
root_doc = "index"
default_role = "py:obj"

# -- the API reference ---------------------------------------------------------------------
# api.rst lists the public modules; autosummary writes a page for each (generated/, ignored
# by git) and one for every name in the module's __all__.
autosummary_generate = True
autosummary_ignore_module_all = False  # a module's page lists its __all__, no more
autosummary_imported_members = False
autodoc_typehints = "none"  # the numpydoc sections say what each parameter takes
autodoc_member_order = "bysource"
add_module_names = False

numpydoc_show_class_members = False  # the class template lists the members itself
numpydoc_class_members_toctree = False


def _api_modules() -> list[str]:
    """The modules api.rst lists, in its order: the one list a new module is added to."""
    text = (HERE / "api.rst").read_text(encoding="utf-8")
    return re.findall(r"^ {3}(descend(?:\.\w+)*)\s*$", text, flags=re.MULTILINE)


#: Characters of a constant's repr beyond which its page leaves the value out.
LONG_VALUE = 200


def _api_context(modules: list[str]) -> dict:
    """What the module template needs to know beyond autosummary's own lists.

    ``elsewhere``: a class or function in the ``__all__`` of several listed modules
    (``descend.History`` is ``descend.history.History``) is documented under the first of
    them; the others link to it. ``submodules``: the names in ``__all__`` that are modules,
    with the module each one is (``descend.animate`` is ``descend.plot.animate``). Both map
    ``"module.name"`` to a full name. ``long_values``: the constants whose value takes more
    than a few lines to print (tables of names), shown without it.
    """
    import importlib

    first: dict[int, str] = {}
    elsewhere: dict[str, str] = {}
    submodules: dict[str, str] = {}
    long_values: list[str] = []
    for module_name in modules:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            here = f"{module_name}.{name}"
            if inspect.ismodule(obj):
                submodules[here] = obj.__name__
            elif inspect.isclass(obj) or inspect.isfunction(obj):
                home = first.setdefault(id(obj), here)
                if home != here:
                    elsewhere[here] = home
            elif len(repr(obj)) > LONG_VALUE:
                long_values.append(here)
    return {"elsewhere": elsewhere, "submodules": submodules, "long_values": long_values}


def _instance_docstring(app, what, name, obj, options, lines):
    """A constant with no comment of its own would show its type's docstring: a tuple's or a
    string's (left out), or that of a class of descend's (``descend.functions.rosenbrock``
    is a :class:`~descend.functions.TestFunction`: it says so instead)."""
    if what != "data" or inspect.isclass(obj) or inspect.isroutine(obj) or not lines:
        return
    cls = type(obj)
    if cls.__doc__ and "\n".join(lines).strip() == inspect.cleandoc(cls.__doc__).strip():
        ours = cls.__module__.startswith("descend")
        lines[:] = [f"A :class:`~{cls.__module__}.{cls.__qualname__}`."] if ours else []


def _skip_foreign_members(app, what, name, obj, skip, options):
    """Leave out of a class's page the methods it gets from outside descend: those of
    scikit-learn's base classes (``get_params``, the ``set_*_request`` methods), of tuples
    and of exceptions. Their own documentation covers them, and refers to pages that are not
    part of this one. A named tuple's fields go too: their docstrings only say
    "Alias for field number 0", and the class's own docstring describes them."""
    if what != "class":
        return None
    if (getattr(obj, "__doc__", None) or "").startswith("Alias for field number"):
        return True
    function = obj.fget if isinstance(obj, property) else obj
    if inspect.isroutine(function):
        module = getattr(function, "__module__", None) or ""
        if not module.startswith("descend"):
            return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_foreign_members)
    # before numpydoc (priority 500) turns the docstring into its sections
    app.connect("autodoc-process-docstring", _instance_docstring, priority=400)


API_MODULES = _api_modules()
autosummary_context = _api_context(API_MODULES)

# -- the gallery ---------------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"t\d_\w+\.py$",  # run every tutorial script
    "within_subsection_order": "FileNameSortKey",
    # Each script writes its pictures into the folder named by its first argument; the
    # scraper shows those very files (PNG and GIF) on the script's page.
    "reset_argv": "gallery_files.output_folder",
    "image_scrapers": ("gallery_files.written_pictures",),
    "download_all_examples": False,
}

# -- HTML ----------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"descend {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_static_path: list[str] = []
html_show_sourcelink = False
