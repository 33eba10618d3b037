"""Definition questions: "What does the P wave represent?" against sentences that only mention it.

A reranker trained on passages alone learns that a sentence sharing the question's words
answers it: it quoted "There are five prominent points on the ECG: the P wave, ..." for what
the P wave represents. Texts state what a term is or does in a few fixed shapes ("The small P
wave represents the depolarization of the atria."); each such sentence gives the question it
answers, and the other sentences that mention the same term without saying it are the
negatives a reader must tell apart. The same holds for the passage around the sentence.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from adapters.training.cloze_pairs import sentences_of
from adapters.training.reranker.group import RerankGroup
from adapters.training.text_pair import headed

# The verb of a defining sentence -> the question it answers ({term} keeps its article).
_QUESTIONS = {
    "is": "What is {term}?",
    "are": "What are {term}?",
    "represents": "What does {term} represent?",
    "represent": "What do {term} represent?",
    "refers to": "What does {term} refer to?",
    "consists of": "What does {term} consist of?",
    "consist of": "What do {term} consist of?",
    "produces": "What does {term} produce?",
    "measures": "What does {term} measure?",
    "carries": "What does {term} carry?",
    "carry": "What do {term} carry?",
}
_VERBS = "|".join(sorted(_QUESTIONS, key=len, reverse=True))
_DEFINING = re.compile(
    r"^(?P<article>(?:The|A|An)\s+)?"
    r"(?P<term>[A-Za-z][\w'’-]*(?:\s+[\w'’-]+){0,3}?)\s+"
    rf"(?P<verb>{_VERBS})\s+(?P<rest>\S.{{20,}})$"
)
# "X is/are ..." defines X only when a description follows, not a judgement ("is more
# clinically relevant") or a state ("is elevated"); a passive verb asks its own question.
_DESCRIBING = re.compile(r"^(?:a|an|the|one|composed|made|defined|responsible|called|also)\b")
_PASSIVE_QUESTIONS = (
    (re.compile(r"^caused\s+by\b"), "What causes {term}?"),
    (re.compile(r"^(?:located|found)\b"), "Where {verb} {term} found?"),
    (re.compile(r"^(?:produced|secreted|released)\b"), "What produces {term}?"),
)
# Words that open a clause or point back, never a term ("This is ...", "Any factor that ...").
_NOT_A_TERM = frozenset(
    """this that these those it they there here each both one such its their his her most some
    many another other all any which what when where if in at as for although however because
    during while after before with by on from to once located external internal little much
    more less""".split()  # noqa: SIM905 (a list literal of 52 words reads worse)
)
_MAX_TERM_WORDS = 4


@dataclass(frozen=True, slots=True)
class Definition:
    """A sentence that says what `term` is or does, and the question it answers."""

    question: str
    term: str
    sentence: str


def _term_case(term: str) -> str:
    """A sentence-initial capital lowered ("Bradycardia" -> "bradycardia"), acronyms kept."""
    first = term.split()[0]
    if len(first) > 1 and (first[1].isupper() or first[1].isdigit()):
        return term
    return term[0].lower() + term[1:]


def definition_of(sentence: str) -> Definition | None:
    """The definition a sentence states, with its question; None when it states none."""
    match = _DEFINING.match(sentence.strip())
    if match is None:
        return None
    term, verb, rest = match["term"], match["verb"], match["rest"]
    words = [word.casefold() for word in term.split()]
    if words[0] in _NOT_A_TERM or len(words) > _MAX_TERM_WORDS or len(set(words)) < len(words):
        return None
    template = _QUESTIONS[verb]
    if verb in ("is", "are"):
        passive = [asked for shape, asked in _PASSIVE_QUESTIONS if shape.match(rest)]
        if not passive and not _DESCRIBING.match(rest):
            return None
        template = passive[0] if passive else template
    article = (match["article"] or "").lower()
    question = template.format(term=article + _term_case(term), verb=verb)
    return Definition(question, term, sentence.strip())


def _mentions(term: str) -> re.Pattern[str]:
    """A sentence mentions a term when it holds its last two words ("small P wave" -> "P wave")."""
    core = " ".join(term.split()[-2:])
    return re.compile(rf"\b{re.escape(core)}\b", re.IGNORECASE)


def _negatives(
    positive: str,
    mentioning: Sequence[str],
    near: Sequence[str],
    everywhere: Sequence[str],
    count: int,
    rng: random.Random,
) -> list[str] | None:
    """Mentions first (the hard ones), then the same document's units, then any; None if short."""
    picked: list[str] = []
    for pool in (mentioning, near):
        fresh = [unit for unit in dict.fromkeys(pool) if unit != positive and unit not in picked]
        picked += rng.sample(fresh, min(count - len(picked), len(fresh)))
    tries = 0
    while len(picked) < count and tries < 20 * count:
        tries += 1
        candidate = rng.choice(everywhere)
        if candidate != positive and candidate not in picked:
            picked.append(candidate)
    return picked if len(picked) == count else None


def definition_groups(
    families: Mapping[str, Sequence[tuple[str, str]]],
    *,
    negatives: int,
    seed: int,
    passages: bool,
    count: int | None = None,
) -> list[RerankGroup]:
    """Groups from the defining sentences of (header, text) units, grouped in families.

    A family is where a term's other mentions are looked for: a textbook (all its sections)
    or a MedQuAD focus (its answers). With `passages`, the answer is the unit holding the
    sentence and the negatives are units that mention the term without it; else the answer is
    the sentence itself (behind its unit's header) against sentences that mention the term
    without defining it. `count` groups at most (None: one per definition found).
    """
    rng = random.Random(seed)
    units: dict[str, list[str]] = {}
    # family -> (unit number, headed sentence, the definition it states or None)
    sentences: dict[str, list[tuple[int, str, Definition | None]]] = {}
    for family, members in families.items():
        units[family] = [headed(header, text) for header, text in members]
        sentences[family] = [
            (n, headed(header, sentence), definition_of(sentence))
            for n, (header, text) in enumerate(members)
            for sentence in sentences_of(text)
        ]
    found = [
        (family, n, headed_sentence, definition)
        for family, rows in sentences.items()
        for n, headed_sentence, definition in rows
        if definition is not None
    ]
    everywhere = [unit for family in units for unit in units[family]]
    everywhere_sentences = [s for family in sentences for _, s, _ in sentences[family]]
    groups = []
    chosen = rng.sample(found, len(found) if count is None else min(count, len(found)))
    for family, n, headed_sentence, definition in chosen:
        mention = _mentions(definition.term)
        if passages:
            positive = units[family][n]
            mentioning = [
                unit
                for unit in units[family]
                if mention.search(unit) and definition.sentence not in unit
            ]
            near, pool = units[family], everywhere
        else:
            positive = headed_sentence
            mentioning = [
                s
                for _, s, other in sentences[family]
                if mention.search(s) and not (other and mention.search(other.term))
            ]
            near = [s for m, s, _ in sentences[family] if m == n]
            pool = everywhere_sentences
        picked = _negatives(positive, mentioning, near, pool, negatives, rng)
        if picked is not None:
            source = "definition-passage" if passages else "definition-sentence"
            groups.append(RerankGroup(definition.question, positive, tuple(picked), source))
    return groups
