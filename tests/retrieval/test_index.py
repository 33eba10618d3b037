"""The Index: one catalog and one store, opened and closed together."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval import Settings, StoreLockedError, open_index
from tests.support.paths import MODEL_CACHE


def test_a_second_index_on_a_held_store_names_the_lock_and_holds_nothing(
    tmp_path: Path, sql_url: str
) -> None:
    settings = Settings(data_dir=tmp_path / "data", model_cache_dir=MODEL_CACHE, sql_url=sql_url)
    with open_index(settings) as first:
        assert first.catalog.corpus_names() == []
        with pytest.raises(StoreLockedError):
            open_index(settings)
    with open_index(settings) as again:  # the first let go of the store when it closed
        assert again.catalog.corpus_names() == []
