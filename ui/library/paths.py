"""Paths as a browser sees them: relative to the corpus's upload folder or source root.

The server's own layout (home folders, data dir, mount points) is nobody's business in a
browser: tables, pickers, error messages and the Source page's URL use these forms.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path, PurePath


class ShownPaths:
    """Turns a corpus's absolute paths into short relative ones, and scrubs them from text.

    Example:
        >>> paths = ShownPaths.for_corpus(Path("/srv/up"), ["/data/a/x.pdf", "/data/b/y.txt"])
        >>> paths.shown("/data/a/x.pdf"), paths.shown("/srv/up/z.md"), paths.shown("/etc/passwd")
        ('a/x.pdf', 'z.md', 'passwd')
        >>> paths.scrub("/srv/up/z.md: not valid utf-8 text")
        'z.md: not valid utf-8 text'
    """

    def __init__(self, roots: Iterable[Path]) -> None:
        # Deepest first: a path under two roots is shown from the nearer one.
        self.roots = sorted({str(root) for root in roots}, key=len, reverse=True)

    @classmethod
    def for_corpus(cls, upload_root: Path, sources: Iterable[str]) -> ShownPaths:
        """Roots of a corpus: its upload folder and the folder all its other sources share."""
        others = [str(PurePath(source).parent) for source in sources]
        outside = [folder for folder in others if not _under(folder, str(upload_root))]
        roots = [upload_root]
        common = Path(os.path.commonpath(outside)) if outside else None
        if common is not None and common != Path(common.anchor):  # "/" would show everything
            roots.append(common)
        return cls(roots)

    def shown(self, path: str) -> str:
        """`path` relative to the nearest root; its file name alone when under none."""
        for root in self.roots:
            if _under(path, root) and path != root:
                return PurePath(path).relative_to(root).as_posix()
        return PurePath(path).name

    def scrub(self, text: str) -> str:
        """`text` (an error message) with every root's absolute prefix taken out."""
        for root in self.roots:
            text = text.replace(root.rstrip(os.sep) + os.sep, "")
        return text


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)
