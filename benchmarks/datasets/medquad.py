"""MedQuAD XML -> medquad/medquad_visible.jsonl and the BEIR set eval/medquad_cardio_dev.

How ../shared/data was made, and how this module reproduces it:
- every answered QA pair of the 9 subsets that kept their answers (the three MedlinePlus
  subsets without answers are skipped), folders in numeric order, files sorted by name;
  doc_id = <folder without its number>_<file stem>_<pair no.>; question and answer verbatim;
- only the documents that file draws on (MANIFEST), which leaves out the cardiology topics
  held out for the final evaluation;
- `cardio`: NHLBI topics minus the lung, blood and sleep ones; other subsets by keyword
  rules on <Focus> (CARDIO_FOCUS minus NOT_CARDIO_FOCUS);
- eval/medquad_cardio_dev: corpus = all visible answers (title = focus); queries = the
  distinct cardio questions (case-insensitive; first spelling kept), sorted case-insensitively
  and numbered d0001...; qrels = each query -> every visible answer to that question.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from benchmarks.datasets._output import staged, write_beir, write_credits, write_jsonl
from benchmarks.datasets._raw import parse_xml, require
from benchmarks.datasets.errors import RawDataError
from benchmarks.datasets.sources import MEDQUAD

logger = logging.getLogger(__name__)

VISIBLE_FILE = "medquad_visible.jsonl"
ANSWERED_FOLDERS = (
    "1_CancerGov_QA",
    "2_GARD_QA",
    "3_GHR_QA",
    "4_MPlus_Health_Topics_QA",
    "5_NIDDK_QA",
    "6_NINDS_QA",
    "7_SeniorHealth_QA",
    "8_NHLBI_QA_XML",
    "9_CDC_QA",
)
# The documents (folder, file) that medquad_visible.jsonl draws on, one line per subset folder,
# numbered files as ranges ("4-6" is 0000004.xml to 0000006.xml). A conversion keeps these and
# nothing else, which leaves out the cardiology topics held out for the final evaluation
# without naming them: the raw repository also holds documents with no answers, so the
# held-out ones cannot be told apart from those by looking at the raw files alone.
# Made from the shipped file by `visible_manifest`; a test checks it still matches.
MANIFEST = Path(__file__).with_name("medquad_visible_files.txt")
_FILE_DIGITS = 7


# NHLBI topics that are not cardiovascular (lung, blood, sleep, weight).
NHLBI_NOT_CARDIO = frozenset(
    (
        "Alpha-1 Antitrypsin Deficiency",
        "Anemia",
        "Antiphospholipid Antibody Syndrome",
        "Aplastic Anemia",
        "ARDS",
        "Asbestos-Related Lung Diseases",
        "Asthma",
        "Bronchiectasis",
        "Bronchitis",
        "Bronchopulmonary Dysplasia",
        "Childhood Interstitial Lung Disease",
        "Cough",
        "Cystic Fibrosis",
        "Disseminated Intravascular Coagulation",
        "Fanconi Anemia",
        "Hemochromatosis",
        "Hemolytic Anemia",
        "Hemophilia",
        "Hypersensitivity Pneumonitis",
        "Idiopathic Pulmonary Fibrosis",
        "Immune Thrombocytopenia",
        "Insomnia",
        "Iron-Deficiency Anemia",
        "Narcolepsy",
        "Obesity Hypoventilation Syndrome",
        "Overweight and Obesity",
        "Oxygen Therapy",
        "Pernicious Anemia",
        "Pleurisy and Other Pleural Disorders",
        "Pneumonia",
        "Polycythemia Vera",
        "Primary Ciliary Dyskinesia",
        "Respiratory Distress Syndrome",
        "Respiratory Failure",
        "Restless Legs Syndrome",
        "Rh Incompatibility",
        "Sarcoidosis",
        "Sickle Cell Disease",
        "Sleep Apnea",
        "Sleep Deprivation and Deficiency",
        "Thalassemias",
        "Thrombocythemia and Thrombocytosis",
        "Thrombocytopenia",
        "Thrombotic Thrombocytopenic Purpura",
        "Von Willebrand Disease",
    )
)
CARDIO_FOCUS = re.compile(
    r"heart|cardi|coronar|arrhythm|valv|aort|hypertens|stroke|thromb|aneurysm|arter|atheroscl|"
    r"vascul|venous|vein|angina|pericard|tachycard|fallot|long qt|brugada|marfan|noonan|"
    r"kawasaki|lipid|lipoprotein|cholesterol|blood pressure|shock|raynaud|ductus|"
    r"atrioventricular|atrial|embolism",
    re.IGNORECASE,
)
NOT_CARDIO_FOCUS = re.compile(
    r"aicardi|nocardi|thrombocyt|thrombasthen|heartburn|lipidos|lipid storage|phospholipid|"
    r"vasculopath",
    re.IGNORECASE,
)


def is_cardio(source: str, focus: str) -> bool:
    """The `cardio` flag: broad cardiovascular (stroke, vascular and lipid topics included)."""
    if source == "NHLBI":
        return focus not in NHLBI_NOT_CARDIO
    return bool(CARDIO_FOCUS.search(focus)) and not NOT_CARDIO_FOCUS.search(focus)


def visible_manifest(pairs: Iterable[dict[str, Any]]) -> str:
    """The MANIFEST text for these visible pairs (their `folder` and `file` fields)."""
    files: dict[str, set[str]] = {}
    for pair in pairs:
        files.setdefault(pair["folder"], set()).add(pair["file"].removesuffix(".xml"))
    lines = []
    for folder in sorted(files):
        numbers = sorted(int(stem) for stem in files[folder] if stem.isdigit())
        runs: list[list[int]] = []
        for number in numbers:
            if runs and number == runs[-1][1] + 1:
                runs[-1][1] = number
            else:
                runs.append([number, number])
        tokens = [str(a) if a == b else f"{a}-{b}" for a, b in runs]
        tokens += sorted(stem for stem in files[folder] if not stem.isdigit())
        lines.append(f"{folder}: {' '.join(tokens)}")
    return "\n".join(lines) + "\n"


def read_manifest(path: Path = MANIFEST) -> frozenset[tuple[str, str]]:
    """The (folder, file) pairs a MANIFEST text names."""
    documents: set[tuple[str, str]] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        folder, _, tokens = line.partition(": ")
        for token in tokens.split():
            first, _, last = token.partition("-")
            if not first.isdigit():
                documents.add((folder, f"{token}.xml"))
                continue
            for number in range(int(first), int(last or first) + 1):
                documents.add((folder, f"{number:0{_FILE_DIGITS}d}.xml"))
    return frozenset(documents)


def read_document(path: Path, folder: str) -> Iterator[dict[str, Any]]:
    """The answered QA pairs of one MedQuAD XML document, as medquad_visible records."""
    root = parse_xml(path, "MedQuAD document")
    if root.tag != "Document":
        raise RawDataError(path, f"root element is <{root.tag}>, expected <Document>")
    focus = root.findtext("Focus") or ""
    source = root.get("source", "")
    cuis = [cui.text or "" for cui in root.iter("CUI")]
    prefix = folder.split("_", 1)[1]
    for pair in root.iter("QAPair"):
        question = pair.find("Question")
        answer = pair.findtext("Answer")
        if question is None or not answer or not answer.strip():
            continue
        yield {
            "doc_id": f"{prefix}_{path.stem}_{pair.get('pid')}",
            "folder": folder,
            "file": path.name,
            "qid": question.get("qid", ""),
            "source": source,
            "url": root.get("url", ""),
            "focus": focus,
            "cuis": cuis,
            "qtype": question.get("qtype", ""),
            "question": question.text or "",
            "answer": answer,
            "cardio": is_cardio(source, focus),
        }


def read_pairs(raw: Path, *, show_progress_bar: bool | None = None) -> list[dict[str, Any]]:
    """The visible pairs of every answered subset folder present under `raw`.

    A partial download (e.g. only 8_NHLBI_QA_XML, as in ../shared/data/raw) is allowed;
    no answered folder at all is an error.
    """
    folders = [folder for folder in ANSWERED_FOLDERS if (raw / folder).is_dir()]
    if not folders:
        raise RawDataError(raw, f"no MedQuAD subset folder ({', '.join(ANSWERED_FOLDERS)})")
    files = [(folder, path) for folder in folders for path in sorted((raw / folder).glob("*.xml"))]
    quiet = (
        not logger.isEnabledFor(logging.INFO)
        if show_progress_bar is None
        else not show_progress_bar
    )
    visible = read_manifest()
    pairs: list[dict[str, Any]] = []
    held_out = 0
    for folder, path in tqdm(files, desc="MedQuAD documents", unit="doc", disable=quiet):
        found = list(read_document(path, folder))
        if (folder, path.name) not in visible:
            held_out += len(found)  # a held-out topic (a document with no answers adds 0)
            continue
        pairs += found
    logger.info(
        "MedQuAD: %d visible pairs from %d documents in %d folders, %d held out",
        len(pairs),
        len(files),
        len(folders),
        held_out,
    )
    return pairs


def cardio_dev_set(
    pairs: Iterable[dict[str, Any]],
) -> tuple[list[dict[str, str]], list[tuple[str, str, int]]]:
    """(queries, qrels) of medquad_cardio_dev from the visible pairs."""
    groups: dict[str, tuple[str, list[str], list[bool]]] = {}
    for pair in pairs:
        key = pair["question"].lower()
        _, docs, flags = groups.setdefault(key, (pair["question"], [], []))
        docs.append(pair["doc_id"])
        flags.append(pair["cardio"])
    keys = sorted(key for key, (_, _, flags) in groups.items() if any(flags))
    queries = [{"_id": f"d{i:04d}", "text": groups[key][0]} for i, key in enumerate(keys, 1)]
    qrels = [
        (query["_id"], doc_id, 1)
        for query, key in zip(queries, keys, strict=True)
        for doc_id in groups[key][1]
    ]
    return queries, qrels


def convert(
    raw: Path, out: Path, *, force: bool = False, show_progress_bar: bool | None = None
) -> dict[str, int]:
    """Write medquad/ and eval/medquad_cardio_dev/ under `out` from the MedQuAD XML folders.

    Returns counts: pairs, cardio, queries.

    Raises:
        RawDataError: no subset folder, a missing LICENSE.txt, or an XML that does not parse.
        OutputExistsError: an output folder exists and `force` is off.
    """
    licence = require(raw / "LICENSE.txt", "MedQuAD's LICENSE.txt at the pinned commit")
    pairs = read_pairs(raw, show_progress_bar=show_progress_bar)
    queries, qrels = cardio_dev_set(pairs)
    cardio = sum(pair["cardio"] for pair in pairs)
    licence_text = licence.read_text(encoding="utf-8")
    with staged(out, MEDQUAD.outputs, force=force) as stage:
        write_jsonl(stage["medquad"] / VISIBLE_FILE, pairs)
        write_credits(
            stage["medquad"],
            MEDQUAD,
            f"{VISIBLE_FILE}: {len(pairs)} answered QA pairs ({cardio} cardio) minus the "
            "cardiology topics held out for evaluation",
            licence_text,
        )
        corpus = ({"_id": p["doc_id"], "title": p["focus"], "text": p["answer"]} for p in pairs)
        write_beir(stage["eval/medquad_cardio_dev"], corpus, queries, qrels)
        write_credits(
            stage["eval/medquad_cardio_dev"],
            MEDQUAD,
            f"BEIR set: {len(queries)} cardiology questions -> every answer to that question, "
            f"over all {len(pairs)} visible answers",
            licence_text,
        )
    return {"pairs": len(pairs), "cardio": cardio, "queries": len(queries)}
