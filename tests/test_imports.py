from __future__ import annotations

import ast
import importlib
import tomllib
from pathlib import Path

import pytest

from tests.support.paths import REPO

# The installed top-level packages, as pyproject.toml lists them (subpackages come with them).
INSTALLED = tuple(
    name
    for name in tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "setuptools"
    ]["packages"]["find"]["include"]
    if "*" not in name
)
# Front doors that must stay: what the style guide and the docs tell callers to import.
REQUIRED_FRONT_DOORS = (
    "adapters",
    "adapters.training",
    "adapters.training.reranker",
    "retrieval",
    "ingest",
)
MAX_MODULE_LINES = 400
MAX_MODULES_PER_PACKAGE = 15


def _package_dirs() -> list[Path]:
    return sorted(init.parent for root in INSTALLED for init in (REPO / root).rglob("__init__.py"))


def _code_dirs() -> list[Path]:
    """Every folder of installed code, packages and Streamlit's page folders alike."""
    return sorted({path.parent for root in INSTALLED for path in (REPO / root).rglob("*.py")})


def _dotted(path: Path) -> str:
    return ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")


def _declares_all(init: Path) -> bool:
    tree = ast.parse(init.read_text(encoding="utf-8"))
    return any(
        isinstance(node, ast.Assign | ast.AnnAssign)
        and any(
            isinstance(target, ast.Name) and target.id == "__all__"
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        )
        for node in tree.body
    )


FRONT_DOORS = tuple(
    _dotted(folder) for folder in _package_dirs() if _declares_all(folder / "__init__.py")
)


@pytest.mark.parametrize("package", FRONT_DOORS)
def test_every_public_name_imports(package: str) -> None:
    module = importlib.import_module(package)
    for name in module.__all__:
        assert getattr(module, name) is not None, f"{package}.{name}"


@pytest.mark.parametrize("package", REQUIRED_FRONT_DOORS)
def test_front_door_lists_its_names(package: str) -> None:
    """A front door says in `__all__` what callers may use, and in its docstring why it exists."""
    module = importlib.import_module(package)
    assert module.__all__ and module.__doc__, package


@pytest.mark.parametrize("package", INSTALLED)
def test_packages_resolve_inside_the_repo(package: str) -> None:
    # PyPI has unrelated packages named adapters, retrieval and benchmarks.
    module = importlib.import_module(package)
    assert Path(module.__file__).resolve().is_relative_to(REPO)


def test_no_module_imports_itself_through_others() -> None:
    """An import circle makes load order matter and hides which module owns what.

    Imports under TYPE_CHECKING count: a type checker follows them, and a circle there is one
    refactoring away from a runtime one.
    """
    import grimp

    graph = grimp.build_graph(*INSTALLED, exclude_type_checking_imports=False)
    circles = sorted(
        (module, imported)
        for module in graph.modules
        for imported in graph.find_modules_directly_imported_by(module)
        if module < imported and graph.chain_exists(importer=imported, imported=module)
    )
    assert circles == []


def test_no_module_is_too_long_to_read() -> None:
    """A module past this many lines does more than one job; split it by job."""
    lines = {
        str(path.relative_to(REPO)): len(path.read_text(encoding="utf-8").splitlines())
        for folder in _code_dirs()
        for path in folder.glob("*.py")
    }
    assert {path: n for path, n in lines.items() if n > MAX_MODULE_LINES} == {}


def test_no_package_is_too_wide_to_scan() -> None:
    """A package with more modules than this wants subpackages by capability.

    Counted: the modules directly in a package, its `__init__.py` and subpackages aside.
    """
    counts = {
        str(folder.relative_to(REPO)): sum(
            1 for path in folder.glob("*.py") if path.name != "__init__.py"
        )
        for folder in _code_dirs()
    }
    assert {name: n for name, n in counts.items() if n > MAX_MODULES_PER_PACKAGE} == {}
