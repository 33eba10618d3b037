"""A two-column journal article built with fpdf2: headings, a ruled table, references, and
optionally a scanned page; the PDF tests read it as they read real articles."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

RUNNING_HEAD = "Journal of Test Cardiology 2026"
BODY_SIZE = 10
LINE_MM = 5.0

LEFT = [
    "Heart failure with reduced ejec-",
    "tion fraction is treated with four",
    "drug classes. A beta-blocker is one",
    "of them, and NT-proBNP guides the",
    "dose. The beta-",
    "blocker is started at a low dose.",
]
RIGHT = [
    "SGLT2 inhibitors lower the risk of",
    "hospitalisation. Mineralocorticoid",
    "receptor antagonists need potas-",
    "sium checks. Loop diuretics relieve",
    "congestion in most patients.",
]


class Journal(FPDF):
    """An A4 article page with a running head and a page number in the footer."""

    def header(self) -> None:
        self.set_font("Helvetica", size=8)
        self.text(20, 10, RUNNING_HEAD)

    def footer(self) -> None:
        self.set_font("Helvetica", size=8)
        self.text(105, 290, str(self.page_no()))


def write_lines(pdf: FPDF, x: float, y: float, lines: list[str]) -> float:
    pdf.set_font("Helvetica", size=BODY_SIZE)
    for line in lines:
        pdf.text(x, y, line)
        y += LINE_MM
    return y


def _heading(pdf: FPDF, text: str, y: float, *, size: int = 14, outline: bool) -> None:
    pdf.set_font("Helvetica", style="B", size=size)
    if outline:
        pdf.set_y(y - 4)
        pdf.start_section(text, level=0 if size >= 14 else 1)
    pdf.text(20, y, text)


def scan_image(lines: list[str]) -> Image.Image:
    """A page of text as an image only, the way a scanner delivers it."""
    image = Image.new("L", (1240, 1754), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=36)
    for number, line in enumerate(lines):
        draw.text((100, 150 + 60 * number), line, fill=0, font=font)
    return image


def build_article(*, outline: bool, scanned_page: bool = False) -> bytes:
    """Two columns, headings, a table with a caption, references; optionally a scanned page."""
    pdf = Journal(format="A4", unit="mm")
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=20)
    pdf.text(20, 30, "Treating heart failure in clinic")
    pdf.set_font("Helvetica", size=8)
    pdf.text(20, 38, "Ada Lovelace 1, Alan Turing 2")
    pdf.text(20, 42, "1 Department of Cardiology, Test Hospital, Testville")
    pdf.text(20, 50, "Received 1 January 2026; accepted 2 February 2026")
    _heading(pdf, "Management", 62, outline=outline)
    _heading(pdf, "Pharmacological therapy", 70, size=12, outline=outline)
    write_lines(pdf, 20, 78, LEFT)
    write_lines(pdf, 110, 78, RIGHT)
    pdf.set_font("Helvetica", size=8)
    pdf.text(20, 282, "© The Authors 2026. This is an open access article.")
    pdf.add_page()
    _heading(pdf, "Drug doses", 30, outline=outline)
    pdf.set_font("Helvetica", style="B", size=BODY_SIZE)
    pdf.text(20, 40, "Table 1 Starting and target doses")
    pdf.set_font("Helvetica", size=BODY_SIZE)
    pdf.set_xy(20, 44)
    with pdf.table(col_widths=(50, 40, 40), width=130, align="LEFT") as table:
        for row in (
            ("Drug", "Starting dose", "Target dose"),
            ("Bisoprolol", "1.25 mg once daily", "10 mg once daily"),
            ("Dapagliflozin", "10 mg once daily", "10 mg once daily"),
            ("Spironolactone", "25 mg once daily", "50 mg once daily"),
        ):
            cells = table.row()
            for cell in row:
                cells.cell(cell)
    write_lines(pdf, 20, 90, ["Doses are titrated every two weeks when blood pressure allows."])
    if scanned_page:
        pdf.add_page()
        pdf.image(
            scan_image(["Discharge letter", "The patient tolerated", "sacubitril valsartan well."]),
            x=0,
            y=0,
            w=210,
        )
    pdf.add_page()
    _heading(pdf, "References", 30, outline=outline)
    write_lines(
        pdf,
        20,
        40,
        [
            "1. McDonagh TA, Metra M. 2021 ESC Guidelines for heart failure. Eur Heart J 2021.",
            "2. Heidenreich PA. 2022 AHA/ACC/HFSA Guideline. Circulation 2022.",
        ],
    )
    return bytes(pdf.output())


# Words with each ligature, as (before, ligature, after): the ligature is drawn from another
# font, as PDF producers do.
LIGATURE_WORDS = (
    ("classi", "ﬁ", "ed"),  # fi
    ("", "ﬂ", "ow"),  # fl
    ("e", "ﬀ", "ect"),  # ff
    ("e", "ﬃ", "cacy"),  # ffi
    ("ba", "ﬄ", "ing"),  # ffl
)


# Words with a mark set from another font, as (before, mark, after, the word as read).
IN_WORD_MARKS = (
    ("President", "’", "s", "President’s"),
    ("Inandikliog", "˘", "lu", "Inandiklioğlu"),  # a spacing breve over the g
)


def build_ligatures(words: Sequence[tuple[str, ...]] = LIGATURE_WORDS) -> bytes:
    """One line per word, its middle piece set in DejaVu Serif inside DejaVu Sans."""
    import matplotlib  # the eval extra's; its DejaVu fonts have every ligature glyph

    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("Sans", fname=str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("Serif", fname=str(fonts / "DejaVuSerif.ttf"))
    for line, (before, ligature, after, *_) in enumerate(words):
        x = 20.0
        for piece, font in (
            ("The ", "Sans"),
            (before, "Sans"),
            (ligature, "Serif"),
            (after + " was seen.", "Sans"),
        ):
            pdf.set_font(font, size=BODY_SIZE)
            pdf.text(x, 30 + LINE_MM * 2 * line, piece)
            x += pdf.get_string_width(piece)
    return bytes(pdf.output())


HYPHEN_FROM_ANOTHER_FONT = (
    "Inhibition of the receptor has historically demon",
    "strated weight loss.",
)


def build_hyphen_from_another_font() -> bytes:
    """A word broken at a line end whose hyphen is set in another font, as Springer does."""
    first, second = HYPHEN_FROM_ANOTHER_FONT
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=BODY_SIZE)
    pdf.text(20, 30, first)
    hyphen_at = 20 + pdf.get_string_width(first)
    pdf.set_font("Times", size=BODY_SIZE)
    pdf.text(hyphen_at, 30, "-")
    pdf.set_font("Helvetica", size=BODY_SIZE)
    pdf.text(20, 30 + LINE_MM, second)
    return bytes(pdf.output())


SIDEBAR = [
    "OPEN ACCESS",
    "",
    "EDITED BY",
    "Maria Rossi, University of Padua, Italy",
    "",
    "*CORRESPONDENCE",
    "Wei Chen",
    "chen.wei@example.edu",
    "",
    "* These authors have contributed equally",
    "to this work and share first authorship",
    "",
    "RECEIVED 27 December 2024",
    "ACCEPTED 21 March 2025",
    "",
    "CITATION",
    "Chen W and Rossi M (2025) Inflammation",
    "predicts mortality. Front. Test. 1:1.",
    "",
    "COPYRIGHT",
    "© 2025 Chen and Rossi. This is an open-",
    "access article distributed under the terms",
    "of the Creative Commons Attribution License.",
]
ABSTRACT = [
    "Background: The role of the inflammation ratio in predicting",
    "the long-term mortality of patients with the cardiometabolic",
    "syndrome is unclear. This study investigates the correlation",
    "between the inflammation ratio and the long-term mortality",
    "risk in these patients.",
    "Methods: A prospective cohort of 6,719 people was followed",
    "for ten years, and Cox proportional hazards models related",
    "the quartiles of the ratio to the risk of death.",
    "Results: The ten-year incidence of all-cause mortality was",
    "14.1%. For each quartile increase in the ratio, the hazard",
    "of death rose by 15 percent.",
]


def build_sidebar_article() -> bytes:
    """A first page as Frontiers sets it: a narrow sidebar of article details in small print
    beside a wide main column holding the title and the abstract, their lines interleaved."""
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    pdf.set_font("Helvetica", size=6.5)
    for number, line in enumerate(SIDEBAR):
        pdf.text(12, 40 + 3.3 * number, line)
    pdf.set_font("Helvetica", style="B", size=15)
    pdf.text(75, 40, "Inflammation predicts mortality in the")
    pdf.text(75, 47, "cardiometabolic syndrome")
    pdf.set_font("Helvetica", size=9)
    pdf.text(75, 56, "Wei Chen and Maria Rossi")
    for number, line in enumerate(ABSTRACT):
        pdf.text(75, 66 + 4.4 * number, line)
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=12)
    pdf.text(20, 30, "Introduction")
    write_lines(pdf, 20, 40, LEFT)
    return bytes(pdf.output())


# A drug label's pages as (text, bold) lines: Highlights, contents, the full information with
# numbered sections and a boxed warning, a Medication Guide, a package label.
LABEL_PAGES = [
    [
        ("HIGHLIGHTS OF PRESCRIBING INFORMATION", True),
        ("WARNING: BLEEDING RISK", True),
        ("Warfarin sodium can cause major or fatal bleeding. (5.1)", False),
        ("INDICATIONS AND USAGE", True),
        ("Warfarin is a vitamin K antagonist indicated for venous thrombosis. (1)", False),
        ("FULL PRESCRIBING INFORMATION: CONTENTS*", True),
        ("WARNING: BLEEDING RISK", True),
        ("1 INDICATIONS AND USAGE", True),
        ("5 WARNINGS AND PRECAUTIONS", True),
    ],
    [
        ("WARNING: BLEEDING RISK", True),
        ("Perform regular monitoring of INR in all treated patients.", False),
        ("1 INDICATIONS AND USAGE", True),
        ("Warfarin is indicated for the prophylaxis of venous thrombosis.", False),
        ("5 WARNINGS AND PRECAUTIONS", True),
        ("5.1 Hemorrhage", True),
        ("Major bleeding occurred in 1.3% of patients in the first year.", False),
        ("16 HOW SUPPLIED/STORAGE AND HANDLING", True),
        ("The 5 mg tablets are peach, capsule-shaped and scored.", False),
    ],
    [
        ("MEDICATION GUIDE", True),
        ("Warfarin Sodium Tablets", True),
        ("What is the most important information I should know about warfarin?", True),
        ("Warfarin can cause bleeding which can be serious.", False),
        ("PRINCIPAL DISPLAY PANEL - 5 mg Tablet Bottle Label", True),
        ("NDC 12345-678-01 100 Tablets", False),
    ],
]


def build_drug_label() -> bytes:
    """A prescription drug label as DailyMed renders one: one column, bold headings."""
    pdf = FPDF(format="Letter", unit="mm")
    pdf.set_auto_page_break(auto=False)
    for page in LABEL_PAGES:
        pdf.add_page()
        y = 25.0
        for text, bold in page:
            pdf.set_font("Helvetica", style="B" if bold else "", size=BODY_SIZE)
            y += 3 if bold else 0  # a heading stands off the text above it
            pdf.text(20, y, text)
            y += LINE_MM
    return bytes(pdf.output())


# A booklet's borderless table: (left cell, right cell lines), set in two unequal columns.
SWAPS = [
    ("Instead of", ["Replace With"]),
    ("Oil-packed tuna", ["Water-packed tuna"]),
    ("Regular margarine", ["Light-spread, reduced-calorie, or diet", "margarines, trans fat-free"]),
    ("Regular mayonnaise", ["Light or diet mayonnaise"]),
    ("Whole eggs", ["Egg whites"]),
    ("Cookies", ["Graham crackers, ginger snaps"]),
]


def build_booklet_table() -> bytes:
    """A page that is a table without rules, as patient booklets set them."""
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    pdf.set_font("Helvetica", size=BODY_SIZE)
    y = 45.0
    for left, right in SWAPS:
        pdf.text(20, y, left)
        for line in right:
            pdf.text(75, y, line)
            y += LINE_MM
    return bytes(pdf.output())


SCRIPTS_LINE = "bonds to the P 2 tetrazole. Thus, Tyr 369 appears to be the major residue."


def build_scripts_and_pull_quote() -> bytes:
    """A line with a subscript and a superscript (Tyr's is its highest word), and a pull quote
    whose opening mark, set large, spans the two lines beside it."""
    pdf = FPDF(unit="pt")
    pdf.add_page()
    x, y = 72.0, 200.0
    for piece, size, rise in (
        ("bonds to the P", 9, 0.0),
        ("2", 6, -2.0),
        (" tetrazole. Thus, Tyr", 9, 0.0),
        ("369", 6, 3.5),
        (" appears", 9, 0.0),
    ):
        pdf.set_font("Helvetica", size=size)
        pdf.text(x, y - rise, piece)
        x += pdf.get_string_width(piece)
    pdf.set_font("Helvetica", size=9)
    pdf.text(72, y + 11, "to be the major residue.")
    pdf.set_font("Helvetica", size=40)
    pdf.text(72, 330, '"')
    pdf.set_font("Helvetica", size=12)
    for line, text in enumerate(PULL_QUOTE):
        pdf.text(92, 318 + 15 * line, text)
    return bytes(pdf.output())


PULL_QUOTE = ("I just didn't think I could be having a", "heart attack. I didn't expect it.")


# A borderless table of four columns, cells wrapping (a review's summary table), under its
# caption; then the paragraph after it.
DRUG_TABLE_CAPTION = "Table 1 Emerging drugs by mechanism"
DRUG_TABLE = (
    ("Agent", "Mechanism", "Weight loss", "Notes"),
    (
        "Nimacimab",
        "CB1 negative allosteric modulator",
        "about 13% with semaglutide",
        "Peripherally restricted",
    ),
    (
        "Bremelanotide",
        "MC4R agonist",
        "1 to 5%",
        "Adjunct to incretins in trials; may increase blood pressure and heart rate",
    ),
    (
        "Resmetirom\n(MGL-3196)",
        "Selective thyroid receptor agonist",
        "None meaningful",
        "Liver and lipid targeted",
    ),
)
AFTER_TABLE = "The agents above act on appetite, energy use and body composition."


def build_borderless_table(row_gap: float = 6.0) -> bytes:
    """The table at 9 points, its cells wrapped to their column's width (a code under its
    drug's name), rows `row_gap` points further apart than lines, and prose after."""
    pdf = FPDF(unit="pt")
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=9)
    pdf.text(56, 100, DRUG_TABLE_CAPTION)
    lefts, width, pitch = (56, 176, 316, 436), 104, 11.0
    y = 120.0
    for row in DRUG_TABLE:
        pdf.set_font("Helvetica", size=9)
        tallest = 0
        for left, cell in zip(lefts, row, strict=True):
            lines = pdf.multi_cell(width, pitch, cell, dry_run=True, output="LINES")
            for line, text in enumerate(lines):
                pdf.text(left, y + line * pitch, text)
            tallest = max(tallest, len(lines))
        y += tallest * pitch + row_gap
    pdf.text(56, y + 14, AFTER_TABLE)
    return bytes(pdf.output())
