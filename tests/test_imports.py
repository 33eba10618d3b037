from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from tests.support.paths import REPO

PACKAGES = ("adapters", "retrieval", "ingest")


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_name_imports(package: str) -> None:
    module = importlib.import_module(package)
    for name in module.__all__:
        assert getattr(module, name) is not None, f"{package}.{name}"


@pytest.mark.parametrize("package", (*PACKAGES, "ui", "benchmarks", "cli"))
def test_packages_resolve_inside_the_repo(package: str) -> None:
    # PyPI has unrelated packages named adapters, retrieval and benchmarks.
    module = importlib.import_module(package)
    assert Path(module.__file__).resolve().is_relative_to(REPO)


def test_no_module_imports_itself_through_others() -> None:
    """An import circle makes load order matter and hides which module owns what."""
    import grimp

    ours = (*PACKAGES, "ui", "benchmarks", "cli")
    graph = grimp.build_graph(*ours, exclude_type_checking_imports=True)
    circles = sorted(
        (module, imported)
        for module in graph.modules
        for imported in graph.find_modules_directly_imported_by(module)
        if module < imported and graph.chain_exists(importer=imported, imported=module)
    )
    assert circles == []
