"""The packages of descend keep their private names to themselves: no module imports a name
beginning with an underscore (a function, a constant or a whole module) that belongs to
another package.

The packages are the sub-packages of ``src/descend`` (``descend.plot``, ``descend.kernels`` …,
each with everything below it) and ``descend`` itself, which holds the top-level modules. A
private name belongs to the package of the module (or package) it is defined in:
``descend.plot.models._data_mesh`` and ``descend.plot._style`` belong to ``descend.plot``.
The scan reads the source, so imports inside functions count too."""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "descend"

# Private modules of the top-level package meant for every package: their names are public
# within descend, the underscore keeps them out of the public API only.
SHARED = {
    "descend._validation": "the argument checks every package uses",
}


def module_name(path: Path) -> str:
    """The dotted name of the module at ``path`` under ``src``."""
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_package(dotted: str) -> bool:
    return (SRC.parent / Path(*dotted.split(".")) / "__init__.py").is_file()


def package_of(dotted: str) -> str:
    """The package a module, package or name ``dotted`` under descend belongs to: the
    sub-package of descend it lies in, else descend."""
    parts = dotted.split(".")
    if len(parts) > 1 and is_package(".".join(parts[:2])):
        return ".".join(parts[:2])
    return "descend"


def imported(tree: ast.Module, module: str, package: bool):
    """Yield ``(line, dotted name)`` for every descend name the module imports."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against the importing module's package
                here = module.split(".") if package else module.split(".")[:-1]
                here = here[: len(here) - (node.level - 1)]
                base = ".".join([*here, *filter(None, [base])])
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"


def private_owners(dotted: str):
    """Yield ``(private prefix, owning package)`` for each private part of ``dotted``."""
    parts = dotted.split(".")
    for i, part in enumerate(parts[1:], start=1):
        if part.startswith("_") and not part.startswith("__"):
            yield ".".join(parts[: i + 1]), package_of(".".join(parts[:i]))


def violations() -> list[str]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        module = module_name(path)
        importer = package_of(module)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, name in imported(tree, module, path.name == "__init__.py"):
            if name != "descend" and not name.startswith("descend."):
                continue
            for prefix, owner in private_owners(name):
                if owner != importer and prefix not in SHARED:
                    where = f"{path.relative_to(SRC.parents[1])}:{line}"
                    found.append(f"{where}: {module} ({importer}) imports {name} ({owner})")
    return found


def test_no_module_imports_another_packages_private_names():
    found = violations()
    assert not found, "private names imported across packages:\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("dotted", "owner"),
    [("descend.plot.models._data_mesh", "descend.plot"), ("descend.plot._style", "descend.plot"),
     ("descend.descent._x", "descend"), ("descend.kernels._compiled._f", "descend.kernels"),
     ("descend._validation", "descend")],
)  # fmt: skip
def test_a_private_name_belongs_to_the_package_it_is_defined_in(dotted, owner):
    assert next(private_owners(dotted))[1] == owner


def test_the_scan_sees_the_imports_it_is_meant_to_refuse():
    # The move of animate into descend.plot was the last fix; written from outside the
    # package, its imports are what the scan must refuse.
    source = (
        "from descend.plot import _style\n"
        "from descend.plot.models import _data_mesh, scatter_classes\n"
        "def late():\n"
        "    import descend.plot._grids\n"
    )
    names = [name for _, name in imported(ast.parse(source), "descend.gallery", False)]
    owned = [owner for name in names for _, owner in private_owners(name)]
    assert owned == ["descend.plot"] * 3
    assert package_of("descend.gallery") == "descend"
