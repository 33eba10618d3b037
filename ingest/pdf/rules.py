"""The table grids a PDF page draws, and where its images are, from PDFium's objects.

Why: pdfplumber finds ruled tables from pdfminer's lines and rectangles, and getting those costs
pdfminer's whole, slow reading of the page in Python (docs/pdf.md). PDFium lists the page's
paths in C. Their straight horizontal and vertical segments go through pdfplumber's own
edge, intersection and cell functions, so the cells are the ones pdfplumber's "lines" strategy
finds, without pdfminer; `ingest.pdf.tables` fills them with PDFium's words.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pypdfium2
import pypdfium2.raw as pdfium_c

# An affine transform (a, b, c, d, e, f), as PDF writes it.
Matrix = tuple[float, float, float, float, float, float]
_IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
# A segment whose ends differ by less than this across its run (points) is straight.
_STRAIGHT = 0.5
# Forms nest; past this depth their contents are not looked at (pypdfium2's default).
_MAX_DEPTH = 15
Box = tuple[float, float, float, float]
# How far (points) a table's box may reach past the sheet's edge and still be on it.
_SHEET_MARGIN = 1.0


def on_sheet(box: Box, width: float, height: float) -> bool:
    """Whether the box (x0, top, x1, bottom) lies on the sheet.

    A grid that bleeds off the page is a coloured band or a frame, not a table.
    """
    x0, top, x1, bottom = box
    return (
        x0 >= -_SHEET_MARGIN
        and top >= -_SHEET_MARGIN
        and x1 <= width + _SHEET_MARGIN
        and bottom <= height + _SHEET_MARGIN
    )


@dataclass(slots=True)
class PageDrawing:
    """The page's straight edges (pdfplumber's dicts) and image boxes (x0, top, x1, bottom)."""

    width: float
    height: float
    edges: list[dict[str, Any]] = field(default_factory=list)
    images: list[Box] = field(default_factory=list)

    def grids(self) -> list[list[Box]]:
        """The cells of each table pdfplumber's "lines" strategy finds here, kept as a table.

        Kept: cells in two rows and two columns, on the sheet.
        """
        from pdfplumber.table import (
            TableSettings,
            cells_to_tables,
            edges_to_intersections,
            intersections_to_cells,
            merge_edges,
        )
        from pdfplumber.utils import filter_edges

        settings = TableSettings.resolve({})  # pdfplumber's defaults, as `find_tables` uses
        edges = filter_edges(self.edges, min_length=settings.edge_min_length_prefilter)
        edges = merge_edges(
            edges,
            snap_x_tolerance=settings.snap_x_tolerance,
            snap_y_tolerance=settings.snap_y_tolerance,
            join_x_tolerance=settings.join_x_tolerance,
            join_y_tolerance=settings.join_y_tolerance,
        )
        edges = filter_edges(edges, min_length=settings.edge_min_length)
        intersections = edges_to_intersections(
            edges, settings.intersection_x_tolerance, settings.intersection_y_tolerance
        )
        tables = cells_to_tables(intersections_to_cells(intersections))
        return [cells for cells in tables if self._could_be_table(cells)]

    def _could_be_table(self, cells: list[Box]) -> bool:
        """Cells in two rows and two columns, on the sheet."""
        x0, top = min(cell[0] for cell in cells), min(cell[1] for cell in cells)
        x1, bottom = max(cell[2] for cell in cells), max(cell[3] for cell in cells)
        return (
            len({cell[1] for cell in cells}) >= 2
            and len({cell[0] for cell in cells}) >= 2
            and on_sheet((x0, top, x1, bottom), self.width, self.height)
        )

    def add_segment(self, start: tuple[float, float], end: tuple[float, float]) -> None:
        """A drawn segment (PDF space) kept as an edge where it is horizontal or vertical."""
        (x0, y0), (x1, y1) = start, end
        left, right = sorted((x0, x1))
        top, bottom = sorted((self.height - y0, self.height - y1))
        if abs(y1 - y0) < _STRAIGHT < right - left:
            orientation = "h"
        elif abs(x1 - x0) < _STRAIGHT < bottom - top:
            orientation = "v"
        else:
            return
        self.edges.append(
            {
                "x0": left,
                "x1": right,
                "top": top,
                "bottom": bottom,
                "width": right - left,
                "height": bottom - top,
                "orientation": orientation,
                "object_type": "line",
            }
        )

    def add_image(self, corners: list[tuple[float, float]]) -> None:
        """An image placed at these corners (PDF space), kept as its box."""
        xs, ys = [x for x, _ in corners], [y for _, y in corners]
        self.images.append((min(xs), self.height - max(ys), max(xs), self.height - min(ys)))


def _compose(inner: Matrix, outer: Matrix) -> Matrix:
    """`inner` applied first, then `outer`."""
    a, b, c, d, e, f = inner
    p, q, r, s, t, u = outer
    return (
        a * p + b * r,
        a * q + b * s,
        c * p + d * r,
        c * q + d * s,
        e * p + f * r + t,
        e * q + f * s + u,
    )


def _apply(matrix: Matrix, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = matrix
    return (a * x + c * y + e, b * x + d * y + f)


def _matrix_of(handle: Any) -> Matrix:
    matrix = pdfium_c.FS_MATRIX()
    if not pdfium_c.FPDFPageObj_GetMatrix(handle, matrix):
        return _IDENTITY
    return (matrix.a, matrix.b, matrix.c, matrix.d, matrix.e, matrix.f)


def _objects(page: pypdfium2.PdfPage) -> Iterator[tuple[Any, Matrix]]:
    """Every page object with the transform from its parent's space to the page's."""
    stack: list[tuple[Any, Matrix, int]] = [
        (pdfium_c.FPDFPage_GetObject(page.raw, index), _IDENTITY, 0)
        for index in range(pdfium_c.FPDFPage_CountObjects(page.raw))
    ]
    while stack:
        handle, parent, depth = stack.pop()
        yield handle, parent
        if (
            pdfium_c.FPDFPageObj_GetType(handle) == pdfium_c.FPDF_PAGEOBJ_FORM
            and depth < _MAX_DEPTH
        ):
            inside = _compose(_matrix_of(handle), parent)
            stack.extend(
                (pdfium_c.FPDFFormObj_GetObject(handle, index), inside, depth + 1)
                for index in range(pdfium_c.FPDFFormObj_CountObjects(handle))
            )


def _add_path(drawing: PageDrawing, handle: Any, to_page: Matrix) -> None:
    x, y = ctypes.c_float(), ctypes.c_float()
    start = current = None
    for index in range(pdfium_c.FPDFPath_CountSegments(handle)):
        segment = pdfium_c.FPDFPath_GetPathSegment(handle, index)
        pdfium_c.FPDFPathSegment_GetPoint(segment, x, y)
        point = _apply(to_page, x.value, y.value)
        kind = pdfium_c.FPDFPathSegment_GetType(segment)
        if kind == pdfium_c.FPDF_SEGMENT_LINETO and current is not None:
            drawing.add_segment(current, point)
        if kind == pdfium_c.FPDF_SEGMENT_MOVETO:
            start = point
        current = point
        if pdfium_c.FPDFPathSegment_GetClose(segment) and start is not None:
            drawing.add_segment(current, start)
            current = start


def read_drawing(page: pypdfium2.PdfPage) -> PageDrawing:
    """The page's straight edges and image boxes, in pdfplumber's coordinates."""
    width, height = page.get_size()
    drawing = PageDrawing(width=width, height=height)
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    for handle, parent in _objects(page):
        kind = pdfium_c.FPDFPageObj_GetType(handle)
        if kind == pdfium_c.FPDF_PAGEOBJ_PATH:
            _add_path(drawing, handle, _compose(_matrix_of(handle), parent))
        elif kind == pdfium_c.FPDF_PAGEOBJ_IMAGE and pdfium_c.FPDFPageObj_GetBounds(
            handle, left, bottom, right, top
        ):
            corners = [(left.value, bottom.value), (right.value, top.value)]
            corners += [(left.value, top.value), (right.value, bottom.value)]
            drawing.add_image([_apply(parent, cx, cy) for cx, cy in corners])
    return drawing
