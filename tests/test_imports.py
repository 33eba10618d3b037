from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGES = ("adapters", "retrieval", "ingest")


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_name_imports(package: str) -> None:
    module = importlib.import_module(package)
    for name in module.__all__:
        assert getattr(module, name) is not None, f"{package}.{name}"


@pytest.mark.parametrize("package", (*PACKAGES, "ui", "benchmarks"))
def test_packages_resolve_inside_the_repo(package: str) -> None:
    # PyPI has unrelated packages named adapters, retrieval and benchmarks.
    module = importlib.import_module(package)
    assert Path(module.__file__).resolve().is_relative_to(REPO)
