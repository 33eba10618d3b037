"""Self-supervised pairs from unlabelled documents, as in DeCLUTR (Giorgi et al., 2021).

An anchor span of a document is paired with a span that overlaps it or follows it in the same
document; in-batch negatives are spans of other documents. This lets a hospital adapt a model
to its own notes without labels. Spans are cut on words from the ingested chunks of each
document, in order, so "adjacent" means the next chunk.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

from adapters.training.text_pair import TextPair, headed


def _span(words: Sequence[str], start: int, length: int) -> str:
    return " ".join(words[start : start + length])


def _overlapping(
    rng: random.Random, words: Sequence[str], start: int, length: int, min_words: int
) -> str:
    """A span of the same chunk that starts inside the anchor (or just before it)."""
    positive_start = rng.randint(max(0, start - length // 2), start + length // 2)
    positive_start = min(positive_start, max(0, len(words) - min_words))
    positive_length = rng.randint(min_words, max(min_words, len(words) - positive_start))
    return _span(words, positive_start, positive_length)


def span_pairs(
    documents: Mapping[str, Sequence[str]],
    *,
    per_document: int = 2,
    min_words: int = 24,
    max_words: int = 96,
    seed: int = 42,
    headers: Mapping[str, Sequence[str]] | None = None,
) -> list[TextPair]:
    """Up to `per_document` (anchor, positive) pairs from each document's ordered chunk texts.

    The positive is the start of the next chunk when there is one (an adjacent span), else an
    overlapping span of the anchor's chunk. Chunks shorter than `min_words` words are skipped.
    `headers` (each chunk's context header, in the same order) go in front of the positive, as
    the served vectors embed passages.
    """
    rng = random.Random(seed)
    pairs: list[TextPair] = []
    for doc_id in sorted(documents):
        chunks = [chunk.split() for chunk in documents[doc_id]]
        usable = [index for index, words in enumerate(chunks) if len(words) >= min_words]
        for index in rng.sample(usable, min(per_document, len(usable))):
            words = chunks[index]
            length = rng.randint(min_words, min(max_words, len(words)))
            start = rng.randint(0, len(words) - length)
            following = chunks[index + 1] if index + 1 < len(chunks) else []
            if len(following) >= min_words:
                source = index + 1
                positive = _span(
                    following, 0, rng.randint(min_words, min(max_words, len(following)))
                )
            else:
                source = index
                positive = _overlapping(rng, words, start, length, min_words)
            header = headers[doc_id][source] if headers else ""
            pairs.append(TextPair(_span(words, start, length), headed(header, positive)))
    return pairs


def passage_span_pairs(
    passages: Sequence[str], count: int, *, seed: int = 42, window_words: int = 120
) -> list[TextPair]:
    """Up to `count` span pairs from distinct passages (e.g. the answers of a pairs file).

    Each passage is cut into windows of `window_words` words, which span_pairs treats as
    its chunks, and gives at most one pair; the pairs kept are a seeded sample.
    """
    if count <= 0:
        return []
    documents = {}
    for index, passage in enumerate(dict.fromkeys(passages)):
        words = passage.split()
        documents[f"{index:07d}"] = [
            " ".join(words[start : start + window_words])
            for start in range(0, len(words), window_words)
        ]
    pairs = span_pairs(documents, per_document=1, seed=seed)
    random.Random(seed).shuffle(pairs)
    return pairs[:count]
