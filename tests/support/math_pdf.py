"""A PDF whose "=" is set from a math font like MathType's MTSY, written by hand.

Such a font is an embedded CFF program whose box reaches far below its baseline (MTSY's
FontBBox is [0 -954 1043 796]) and whose descriptor gives no ascent or descent, so PDFium's
box for its glyphs drops most of a line. fpdf2 embeds TrueType only, where PDFium takes the
metrics from the font program's own tables, so the file is written object by object.
"""

from __future__ import annotations

import io

MATH_LINE = "The constant was (Ki = 11.21 nM) and the selectivity was high."
NEXT_LINE = "A second line follows here closely below it."
_BBOX = [0, -954, 1043, 796]


def _math_font() -> bytes:
    """A CFF program with one glyph, "=", drawn as two bars, and MTSY's tall box."""
    from fontTools.fontBuilder import FontBuilder  # matplotlib's dependency (the eval extra)
    from fontTools.pens.t2CharStringPen import T2CharStringPen

    builder = FontBuilder(1000, isTTF=False)
    builder.setupGlyphOrder([".notdef", "equal"])
    builder.setupCharacterMap({ord("="): "equal"})
    strings = {}
    for name, bars in ((".notdef", ()), ("equal", (220, 400))):
        pen = T2CharStringPen(600, None)
        for y in bars:
            pen.moveTo((80, y))
            pen.lineTo((520, y))
            pen.lineTo((520, y + 60))
            pen.lineTo((80, y + 60))
            pen.closePath()
        strings[name] = pen.getCharString()
    builder.setupCFF("MTSY", {"FullName": "MTSY"}, strings, {})
    builder.setupHorizontalMetrics({".notdef": (600, 0), "equal": (600, 80)})
    builder.font["CFF "].cff.topDictIndex[0].FontBBox = _BBOX
    return bytes(builder.font["CFF "].compile(builder.font))


def build_math_line() -> bytes:
    """Two lines of Helvetica; the first has an "=" from the math font in its middle."""
    before, after = MATH_LINE.split(" = ")
    escape = str.maketrans({"(": r"\(", ")": r"\)"})
    content = (
        f"BT /F1 10 Tf 72 700 Td ({before.translate(escape)} ) Tj /F2 10 Tf (=) Tj "
        f"/F1 10 Tf ( {after.translate(escape)}) Tj ET\n"
        f"BT /F1 10 Tf 72 688 Td ({NEXT_LINE}) Tj ET\n"
    ).encode()
    program = _math_font()
    bbox = " ".join(map(str, _BBOX))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n%b\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /MTSY /FirstChar 61 /LastChar 61 "
        b"/Widths [600] /Encoding << /Type /Encoding /Differences [61 /equal] >> "
        b"/FontDescriptor 7 0 R >>",
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
