"""Reading raw source files: a missing file or bad XML becomes a RawDataError naming it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from benchmarks.datasets.errors import RawDataError


def require(path: Path, what: str) -> Path:
    """`path` if it exists, else an error saying which raw file is missing."""
    if not path.exists():
        raise RawDataError(path, f"missing ({what}); download again or check --from-raw")
    return path


def parse_xml(path: Path, what: str) -> ET.Element:
    """The root element of an XML file (stdlib parser: the sources are plain, trusted XML)."""
    require(path, what)
    try:
        return ET.parse(path).getroot()
    except ET.ParseError as err:
        raise RawDataError(path, f"not well-formed XML ({err})") from err
