"""The public sources of the demo and evaluation data: pinned commits, URLs, licences, credits.

Everything is pinned to a commit so that a download today gives the files we ship in
`../shared/data`. OpenStax is pinned to b0058a7 on purpose: the next commit (fdfa6e2)
relicensed the book to CC BY-NC-SA 4.0, and CC BY stays valid for copies of earlier commits.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Source:
    """One public source and what `benchmarks datasets download NAME` makes of it.

    Example:
        >>> SOURCES["openstax"].outputs
        ('textbook', 'eval/openstax_glossary')
    """

    name: str
    title: str
    repo: str  # github.com/<repo>
    commit: str
    licence: str
    licence_url: str
    attribution: str
    gives: str  # one line for `datasets list`
    outputs: tuple[str, ...]  # folders written under --out, relative to it
    files: tuple[str, ...] = ()  # repository paths fetched one by one (else: the repo archive)

    def raw_url(self, path: str) -> str:
        """The URL of one file of the repository at the pinned commit."""
        return f"https://raw.githubusercontent.com/{self.repo}/{self.commit}/{path}"

    @property
    def archive_url(self) -> str:
        """The zip archive of the whole repository at the pinned commit."""
        return f"https://codeload.github.com/{self.repo}/zip/{self.commit}"

    def sources_text(self, derived: str) -> str:
        """The SOURCES.txt written beside each output folder: where it came from and the credit."""
        return (
            f"Source repository : github.com/{self.repo}  ({self.title})\n"
            f"Commit            : {self.commit}\n"
            f"License           : {self.licence} ({self.licence_url})\n"
            f"Attribution       : {self.attribution}\n"
            f"Derived           : {derived}\n"
            "Made by `benchmarks datasets download` (CardioRAG) from the files above.\n"
        )


OPENSTAX_MODULES = (
    # The three cardiovascular chapters, in book order (collection XML at the same commit).
    *("m46703", "m46710", "m46691", "m46707", "m46701", "m46705", "m46708"),
    *("m46679", "m46676", "m46664", "m46661", "m46672", "m46673"),
    *("m46600", "m46597", "m46635", "m46586", "m46603", "m46646", "m46610"),
)
OPENSTAX_COLLECTION = "collections/anatomy-and-physiology-2e.collection.xml"

MEDQUAD = Source(
    name="medquad",
    title="MedQuAD, Ben Abacha & Demner-Fushman",
    repo="abachaa/MedQuAD",
    commit="577bd37b96c02d1833b2c9eed2de9f96964e96cb",
    licence="CC BY 4.0",
    licence_url="https://creativecommons.org/licenses/by/4.0/",
    attribution=(
        "MedQuAD (github.com/abachaa/MedQuAD), CC BY 4.0. Ben Abacha & Demner-Fushman, "
        '"A Question-Entailment Approach to Question Answering", BMC Bioinformatics 20:511 '
        "(2019). Answers from NIH websites (NHLBI, MedlinePlus, GARD, GHR, NINDS, NIDDK, "
        "NIHSeniorHealth, CDC, cancer.gov)"
    ),
    gives="16k answered NIH question-answer pairs (medquad/) and the cardiology dev set "
    "(eval/medquad_cardio_dev)",
    outputs=("medquad", "eval/medquad_cardio_dev"),
)

OPENSTAX = Source(
    name="openstax",
    title="Anatomy and Physiology 2e, OpenStax / Rice University",
    repo="openstax/osbooks-anatomy-physiology",
    commit="b0058a743bdd2cc08196abaaa7d5469970c0d80c",
    licence="CC BY 4.0 at this commit (later commits are CC BY-NC-SA 4.0)",
    licence_url="https://creativecommons.org/licenses/by/4.0/",
    attribution=(
        "Anatomy and Physiology 2e, OpenStax, "
        "https://openstax.org/details/books/anatomy-and-physiology-2e, CC BY 4.0"
    ),
    gives="the 3 cardiovascular chapters as 97 sections (textbook/) and the glossary -> "
    "section set (eval/openstax_glossary)",
    outputs=("textbook", "eval/openstax_glossary"),
    files=(
        "LICENSE",
        OPENSTAX_COLLECTION,
        *(f"modules/{module}/index.cnxml" for module in OPENSTAX_MODULES),
    ),
)

MTSAMPLES = Source(
    name="mtsamples",
    # The Kaggle CSV (tboyle10/medicaltranscriptions) that clinspacy's mtsamples.rda was made
    # from: a CSV needs no R reader. Its row i is clinspacy's note_id i + 1.
    title="MTSamples transcriptions, scraped from mtsamples.com by Tara Boyle (Kaggle)",
    repo="annaghiotto/Medical-Specialty-Classifier",
    commit="f4e2f42fa25a20cea537af36cf82f5db6f997ce3",
    licence="CC0 1.0 as redistributed on Kaggle (upstream mtsamples.com copyright unclear)",
    licence_url="https://creativecommons.org/publicdomain/zero/1.0/",
    attribution=(
        "MTSamples (mtsamples.com) via Kaggle tboyle10/medicaltranscriptions, CC0; fine for "
        "development and testing, check before redistributing in a product"
    ),
    gives='372 "Cardiovascular / Pulmonary" clinical notes (notes/)',
    outputs=("notes",),
    files=("data/mtsamples.csv",),
)

SOURCES: dict[str, Source] = {source.name: source for source in (MEDQUAD, OPENSTAX, MTSAMPLES)}
