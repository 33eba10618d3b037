from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from ui.library.uploads import safe_name, save_uploads


@dataclass
class Upload:
    name: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)

    def getvalue(self) -> bytes:
        return self.data


@pytest.mark.parametrize(
    ("given", "safe"),
    [
        ("notes.csv", "notes.csv"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\Windows\\evil.md", "evil.md"),
        (".hidden.txt", "hidden.txt"),
        ("Échographie cœur.pdf", "Echographie cur.pdf"),
        ("a<b>|c;d.txt", "a_b_c_d.txt"),
        ("..", ""),
    ],
)
def test_safe_name_keeps_only_a_plain_last_component(given: str, safe: str) -> None:
    assert safe_name(given) == safe


def test_each_file_is_judged_on_its_own(tmp_path: Path) -> None:
    saved, refused = save_uploads(
        [
            Upload("../a.md", b"# A"),
            Upload("b.exe", b"MZ"),
            Upload("c.txt", b"x" * (2 * 1024 * 1024)),
            Upload("..", b"x"),
            Upload("d.jsonl", b'{"id": 1, "text": "t"}\n'),
        ],
        tmp_path / "uploads",
        max_mb=1,
    )
    assert [p.name for p in saved] == ["a.md", "d.jsonl"]
    assert all(p.parent == tmp_path / "uploads" for p in saved)
    limit = "(setting upload_max_mb, CARDIORAG_UPLOAD_MAX_MB)"
    assert [(r.name, r.reason.split(";")[0]) for r in refused] == [
        ("b.exe", "unsupported file type .exe"),
        (
            "c.txt",
            f"2.0 MB is over the upload limit of 1 MB {limit}",
        ),
        ("..", "the file name has no usable characters"),
    ]
