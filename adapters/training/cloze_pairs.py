"""Self-supervised query-like pairs from unlabelled documents: the Inverse Cloze Task.

A sentence of a chunk is the pseudo-query and the chunk without that sentence its positive
(Lee et al., 2019, "Latent Retrieval for Weakly Supervised Open Domain Question Answering").
Span pairs (DeCLUTR) teach which passages belong together; a definition or a short question
is one sentence looking for the passage that explains it, and these pairs imitate that. The
sentence is removed from its context so that the pair is not solved by copying words; a small
share of pairs keeps it, as in the paper, so the model still rewards a passage that does
contain the query's words.

Sentences are cut with a regular expression (end punctuation, then a capital, digit or
bracket): the corpus is English prose and notes, and a sentence splitter library would add a
dependency (and, for NLTK, a data download) for no measurable gain on this use.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence

from adapters.training.text_pair import TextPair, headed

_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[])")


def sentences_of(text: str) -> list[str]:
    """The text's sentences, in order, stripped."""
    return [part.strip() for part in _SENTENCE_BREAK.split(text.strip()) if part.strip()]


def cloze_pairs(
    documents: Mapping[str, Sequence[str]],
    *,
    per_document: int = 2,
    min_sentence_words: int = 6,
    min_context_words: int = 40,
    keep_sentence: float = 0.1,
    seed: int = 42,
    headers: Mapping[str, Sequence[str]] | None = None,
) -> list[TextPair]:
    """Up to `per_document` (sentence, chunk without it) pairs from each document's chunks.

    Sentences shorter than `min_sentence_words` words (headings, list items) are not used as
    queries, nor are chunks left with fewer than `min_context_words` words. A fraction
    `keep_sentence` of the pairs keeps the sentence in its chunk. `headers` (each chunk's
    context header, in the same order) go in front of the positive, as served vectors have them.
    """
    rng = random.Random(seed)
    pairs: list[TextPair] = []
    for doc_id in sorted(documents):
        candidates: list[tuple[str, str, str, str]] = []
        for position, chunk in enumerate(documents[doc_id]):
            header = headers[doc_id][position] if headers else ""
            sentences = sentences_of(chunk)
            for index, sentence in enumerate(sentences):
                if len(sentence.split()) < min_sentence_words:
                    continue
                context = " ".join(sentences[:index] + sentences[index + 1 :])
                if len(context.split()) >= min_context_words:
                    candidates.append((sentence, context, chunk, header))
        chosen = rng.sample(candidates, min(per_document, len(candidates)))
        for sentence, context, chunk, header in chosen:
            positive = chunk if rng.random() < keep_sentence else context
            pairs.append(TextPair(sentence, headed(header, positive)))
    return pairs
