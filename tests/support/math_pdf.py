"""A PDF set partly in a math font like MathType's MTSY ("=", "+" over "−"), written by hand.

Such a font is an embedded CFF program whose box reaches far below its baseline (MTSY's
FontBBox is [0 -954 1043 796]) and whose descriptor gives no ascent or descent, so PDFium's
box for its glyphs drops most of a line. fpdf2 embeds TrueType only, where PDFium takes the
metrics from the font program's own tables, so the file is written object by object.
"""

from __future__ import annotations

import io
from typing import Any

MATH_LINE = "The constant was (Ki = 11.21 nM) and the selectivity was high."
NEXT_LINE = "A second line follows here closely below it."
_BBOX = [0, -954, 1043, 796]


def _bars(pen: Any, bars: tuple[tuple[int, int, int, int], ...]) -> None:
    for x0, y0, x1, y1 in bars:
        pen.moveTo((x0, y0))
        pen.lineTo((x1, y0))
        pen.lineTo((x1, y1))
        pen.lineTo((x0, y1))
        pen.closePath()


# Each glyph's bars (x0, y0, x1, y1 in font units) and its code in the font's encoding (MTSY's).
_GLYPHS = {
    "equal": (61, ((80, 220, 520, 280), (80, 400, 520, 460))),
    "plus": (43, ((80, 310, 520, 370), (270, 120, 330, 560))),
    "minus": (138, ((80, 310, 520, 370),)),
}


def _math_font() -> bytes:
    """A CFF program with "=", "+" and "−" drawn as bars, and MTSY's tall box."""
    from fontTools.fontBuilder import FontBuilder  # matplotlib's dependency (the eval extra)
    from fontTools.pens.t2CharStringPen import T2CharStringPen

    builder = FontBuilder(1000, isTTF=False)
    builder.setupGlyphOrder([".notdef", *_GLYPHS])
    strings = {}
    for name, bars in ((".notdef", ()), *((name, bars) for name, (_, bars) in _GLYPHS.items())):
        pen = T2CharStringPen(600, None)
        _bars(pen, bars)
        strings[name] = pen.getCharString()
    builder.setupCFF("MTSY", {"FullName": "MTSY"}, strings, {})
    builder.setupHorizontalMetrics({name: (600, 80) for name in [".notdef", *_GLYPHS]})
    builder.font["CFF "].cff.topDictIndex[0].FontBBox = _BBOX
    return bytes(builder.font["CFF "].compile(builder.font))


def _pdf(content: bytes) -> bytes:
    """One page showing `content`, /F1 Helvetica and /F2 the math font."""
    program = _math_font()
    bbox = " ".join(map(str, _BBOX))
    first, last = min(code for code, _ in _GLYPHS.values()), max(c for c, _ in _GLYPHS.values())
    codes = {code: name for name, (code, _) in _GLYPHS.items()}
    widths = " ".join("600" if code in codes else "0" for code in range(first, last + 1))
    differences = " ".join(f"{code} /{name}" for code, name in sorted(codes.items()))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n%b\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Type /Font /Subtype /Type1 /BaseFont /MTSY /FirstChar {first} /LastChar {last} "
        f"/Widths [{widths}] /Encoding << /Type /Encoding /Differences [{differences}] >> "
        f"/FontDescriptor 7 0 R >>".encode(),
        b"<< /Type /FontDescriptor /FontName /MTSY /Flags 4 /FontBBox [%b] /ItalicAngle 0 "
        b"/Ascent 0 /Descent 0 /CapHeight 0 /StemV 50 /FontFile3 8 0 R >>" % bbox.encode(),
        b"<< /Subtype /Type1C /Length %d >>\nstream\n%b\nendstream" % (len(program), program),
    ]
    out = io.BytesIO(b"%PDF-1.4\n")
    out.seek(0, io.SEEK_END)
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%b\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1))
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def build_math_line() -> bytes:
    """Two lines of Helvetica; the first has an "=" from the math font in its middle."""
    before, after = MATH_LINE.split(" = ")
    escape = str.maketrans({"(": r"\(", ")": r"\)"})
    return _pdf(
        (
            f"BT /F1 10 Tf 72 700 Td ({before.translate(escape)} ) Tj /F2 10 Tf (=) Tj "
            f"/F1 10 Tf ( {after.translate(escape)}) Tj ET\n"
            f"BT /F1 10 Tf 72 688 Td ({NEXT_LINE}) Tj ET\n"
        ).encode()
    )


def build_stacked_plus_minus() -> bytes:
    """ "Ki = 11.21 ± 0.74 nM" with the "±" drawn as a "+" (raised 1 point) over a minus
    (lowered 3) at the same x, as MathType sets it."""
    return _pdf(
        b"BT /F1 10 Tf 72 700 Td (Ki ) Tj /F2 10 Tf (=) Tj /F1 10 Tf ( 11.21 ) Tj "
        b"/F2 10 Tf 1 Ts [(+) 600] TJ -3 Ts (\\212) Tj 0 Ts /F1 10 Tf ( 0.74 nM) Tj ET\n"
    )
