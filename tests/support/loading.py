"""What the loader tests share: loading a file, and checking that an error names it."""

from __future__ import annotations

import json
from pathlib import Path

from ingest.documents import Document
from ingest.errors import (
    IngestError,
)
from ingest.loaders import (
    LoadedFile,
    LoadOptions,
    load_file,
)

# Test names below avoid the words that `path_doc_type` reads in a path (note, guideline,
# textbook...), because pytest puts the test's name into `tmp_path`.


def load(path: Path, options: LoadOptions | None = None) -> LoadedFile:
    return load_file(path, path.read_bytes(), options or LoadOptions())


def only(loaded: LoadedFile) -> Document:
    assert len(loaded.documents) == 1
    return loaded.documents[0]


def assert_names(error: IngestError, path: Path, line: int | None = None) -> None:
    assert error.path == str(path)
    assert error.line == line
    where = f"{path}:{line}" if line is not None else str(path)
    assert str(error).startswith(f"{where}: ")


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    path.write_bytes(data)
    return path


def jsonl(*records: dict[str, object]) -> str:
    return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)


# -- PDF ---------------------------------------------------------------------------------
