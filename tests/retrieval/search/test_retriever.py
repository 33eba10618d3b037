"""The search API on a real corpus: 16 textbook sections (Heart Anatomy, Cardiac Muscle and
Electrical Activity, Cardiac Cycle), one journal PDF, embedded by the real MiniLM into a real
Qdrant Edge store, catalogued in SQLite."""

from __future__ import annotations

import hashlib
import json
import re
import warnings
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters import UnknownModelError
from ingest import IngestOptions, ingest_paths
from retrieval import (
    Answerer,
    Catalog,
    CollectionMismatchError,
    CorpusNotEmbeddedError,
    EmptyQueryError,
    InvalidRequestError,
    Retriever,
    Settings,
    UnknownCorpusError,
    UnknownFilterError,
    collection_name,
    open_store,
)
from retrieval.catalog.records import CorpusModel
from retrieval.index import Index
from retrieval.search.table_spread import table_of
from retrieval.store._edge import EdgeStore
from tests.support.corpora import load_cached
from tests.support.databases import SQL_BACKENDS, throwaway_sql_url
from tests.support.paths import MODEL_CACHE

MODULES = ("Heart Anatomy", "Cardiac Muscle and Electrical Activity", "Cardiac Cycle")
CORPUS = "heart"


class World:
    def __init__(self, root: Path, sections: dict[str, dict], sql_url: str) -> None:
        self.root = root
        self.sections = sections
        self.settings = Settings(
            data_dir=root / "data", model_cache_dir=MODEL_CACHE, sql_url=sql_url
        )
        self.catalog = Catalog(self.settings.sql_url_or_default())
        self.store = EdgeStore(root / "data" / "qdrant")

    def retriever(self, **kwargs) -> Retriever:
        return Retriever(
            CORPUS, "minilm", settings=self.settings, store=self.store, catalog=self.catalog,
            **kwargs,
        )  # fmt: skip


@pytest.fixture(scope="module", params=SQL_BACKENDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory, shared_data: Path, specs
) -> Iterator[World]:
    """Textbook modules and a journal PDF, ingested once per catalog backend."""
    root = tmp_path_factory.mktemp("retriever")
    rows = [
        json.loads(line)
        for line in (shared_data / "textbook").glob("*.jsonl").__next__().read_text().splitlines()
    ]
    chosen = [row for row in rows if row["module_title"] in MODULES]
    # A verbatim copy of one section under another id: dedupe must keep only one of the two.
    duplicate = dict(chosen[0], id="copy-of-" + chosen[0]["id"])
    (root / "in").mkdir()
    source = root / "in" / "textbook.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in [*chosen, duplicate]) + "\n")
    with throwaway_sql_url(root / "data" / "catalog.db", request.param) as sql_url:
        world = World(root, {row["id"]: row for row in chosen}, sql_url)
        world.catalog.create_schema()
        report = ingest_paths(
            [source, shared_data / "pdfs" / "ehag110.pdf"],
            IngestOptions(corpus=CORPUS, models=[specs["minilm"]]),
            index=Index(world.catalog, world.store), load_encoder=load_cached,
        )  # fmt: skip
        assert report.ok
        yield world
        world.store.close()
        world.catalog.close()


@pytest.fixture(scope="module")
def retriever(world: World) -> Retriever:
    return world.retriever()


def section_of(world: World, term: str) -> str:
    """The id of the section whose text first defines `term`."""
    return next(i for i, row in world.sections.items() if term in row["text"])


@pytest.mark.parametrize("mode", ["dense", "sparse", "hybrid"])
def test_each_mode_finds_the_section_that_explains_a_term(retriever: Retriever, mode: str) -> None:
    hits = retriever.search(
        "the semilunar valve between the left ventricle and the aorta", k=5, mode=mode
    )
    assert [hit.rank for hit in hits] == list(range(1, len(hits) + 1))
    assert any("aortic" in hit.text.lower() for hit in hits[:3])
    assert hits == sorted(hits, key=lambda hit: -hit.score)


def test_hits_carry_ids_citations_and_matched_terms(retriever: Retriever, world: World) -> None:
    [top] = retriever.search(
        "pacemaker cells of the sinoatrial node", k=1, filters={"doc_type": "textbook"}
    )
    assert top.doc_id in world.sections or top.doc_id.startswith("copy-of-")
    assert top.title in MODULES and top.section
    assert top.citation == f"{top.title} - {top.section}"
    assert {"sinoatrial", "node"} <= set(top.matched_terms)
    [paged] = retriever.search(
        "heart failure in older people", k=1, filters={"doc_type": "article"}
    )
    assert paged.citation == f"ehag110.pdf, p. {paged.page_start}" or "pp." in paged.citation
    assert paged.source.endswith("ehag110.pdf") and paged.doc_id == paged.source


def test_filters_on_type_source_id_pages_and_record_fields(
    retriever: Retriever, world: World
) -> None:
    query = "heart failure"
    pdf = retriever.search(query, k=10, filters={"doc_type": ["article"]})
    assert pdf and {hit.doc_type for hit in pdf} == {"article"}
    by_source = retriever.search(query, k=10, filters={"source": pdf[0].source})
    assert {hit.source for hit in by_source} == {pdf[0].source}
    one_doc = next(iter(world.sections))
    assert {h.doc_id for h in retriever.search(query, k=10, filters={"doc_id": one_doc})} == {
        one_doc
    }
    pages = retriever.search(query, k=10, filters={"page": (3, 4)})
    assert pages and all(h.page_start <= 4 and h.page_end >= 3 for h in pages)
    chapter = world.sections[one_doc]["chapter"]
    in_chapter = retriever.search(query, k=10, filters={"chapter": chapter})
    assert in_chapter and {h.metadata["chapter"] for h in in_chapter} == {chapter}
    assert retriever.search(query, k=10, filters={"doc_type": "guideline"}) == []


def test_reference_lists_and_title_blocks_are_left_out_unless_asked(retriever: Retriever) -> None:
    # The title of ehag110.pdf's first reference: BM25 finds it in the reference list only.
    query = "Sex-specific risk factors for new-onset heart failure: the PREVEND study"
    default = retriever.search(query, 10, mode="sparse")
    assert {hit.part for hit in default} == {"body"}
    everything = retriever.search(query, 10, mode="sparse", parts=None)
    references = [hit for hit in everything if hit.part == "references"]
    assert references[0].citation == "ehag110.pdf, p. 10"
    only = retriever.search(query, 5, mode="hybrid", parts=("references", "front"))
    assert {hit.part for hit in only} <= {"references", "front"}
    with pytest.raises(InvalidRequestError, match=r"parts takes None \(every part\) or some of"):
        retriever.search(query, parts=("bibliography",))
    with pytest.raises(InvalidRequestError, match="parts"):
        retriever.search(query, parts=())


def test_filter_on_a_field_no_document_has_lists_the_fields(retriever: Retriever) -> None:
    with pytest.raises(UnknownFilterError) as info:
        retriever.search("valves", filters={"specialty": "cardiology"})
    assert "specialty" in str(info.value) and "doc_type" in str(info.value)
    assert "chapter" in str(info.value)


def test_offset_pages_through_the_same_ranking(retriever: Retriever) -> None:
    first = retriever.search("blood flow through the heart", k=10, mode="hybrid")
    second = retriever.search("blood flow through the heart", k=5, offset=5, mode="hybrid")
    assert [h.chunk_id for h in second] == [h.chunk_id for h in first[5:10]]
    assert [h.rank for h in second] == [6, 7, 8, 9, 10]


def test_score_threshold_drops_weak_hits(retriever: Retriever) -> None:
    hits = retriever.search("atrioventricular valves", k=20, rerank=False)
    cut = hits[4].score
    kept = retriever.search("atrioventricular valves", k=20, score_threshold=cut, rerank=False)
    assert kept and all(h.score >= cut - 1e-6 for h in kept) and len(kept) < len(hits)
    # Reranked, the threshold still applies to the first stage's scores, kept beside.
    reranked = retriever.search("atrioventricular valves", k=20, score_threshold=cut, rerank=True)
    assert {h.chunk_id for h in reranked} == {h.chunk_id for h in kept}
    assert all((h.first_score or 0.0) >= cut - 1e-6 for h in reranked)


def test_rrf_fusion_also_ranks(retriever: Retriever) -> None:
    dbsf = retriever.search("cardiac output and stroke volume", k=5, mode="hybrid")
    rrf = retriever.search("cardiac output and stroke volume", k=5, mode="hybrid", fusion="rrf")
    assert rrf and [h.score for h in rrf] == sorted((h.score for h in rrf), reverse=True)
    assert dbsf and [h.score for h in dbsf] != pytest.approx([h.score for h in rrf])


def test_near_identical_chunks_are_shown_once(retriever: Retriever, world: World) -> None:
    original = next(iter(world.sections))
    text = world.sections[original]["text"][:300]
    with_dupes = retriever.search(text, k=6, dedupe=False)
    texts = [h.text for h in with_dupes]
    assert len(texts) > len(set(texts))  # the copied section is there twice
    deduped = retriever.search(text, k=6)
    assert len({h.text for h in deduped}) == len(deduped)


def test_at_most_two_pieces_of_one_table_come_first_unless_asked(retriever: Retriever) -> None:
    # ehag110.pdf's Tables 1 and 2 are cut into pieces that each repeat the caption and header.
    query = "efficacy young vs elderly patients lead trial"
    asked = retriever.search(query, k=10, mode="sparse", spread_tables=False, rerank=False)
    spread = retriever.search(query, k=10, mode="sparse", rerank=False)

    def most_pieces(hits: list) -> int:
        tables = Counter(table_of(hit) for hit in hits[:5])
        return max(count for table, count in tables.items() if table is not None)

    assert most_pieces(asked) > 2  # the pieces crowd the top where they rank
    assert most_pieces(spread) == 2
    assert [hit.rank for hit in spread] == list(range(1, 11))
    assert {hit.chunk_id for hit in spread[:5]} > {hit.chunk_id for hit in asked[:2]}
    # Pages follow the spread ranking.
    second = retriever.search(query, k=5, offset=5, mode="sparse", rerank=False)
    assert [hit.chunk_id for hit in second] == [hit.chunk_id for hit in spread[5:]]


def test_mmr_trades_relevance_for_variety(retriever: Retriever) -> None:
    plain = retriever.search("electrical conduction system of the heart", k=6)
    diverse = retriever.search("electrical conduction system of the heart", k=6, mmr=True,
                               mmr_lambda=0.3)  # fmt: skip
    assert len(diverse) == 6
    assert [h.chunk_id for h in diverse] != [h.chunk_id for h in plain]
    assert len({h.doc_id for h in diverse}) >= len({h.doc_id for h in plain})


def test_repeated_queries_hit_the_embedding_cache(retriever: Retriever) -> None:
    retriever.search("papillary muscles and chordae tendineae", k=3)
    before = retriever._embed_query.cache_info().hits
    retriever.search("papillary muscles and chordae tendineae", k=3, mode="hybrid")
    assert retriever._embed_query.cache_info().hits == before + 1


@pytest.mark.slow
def test_compare_reports_agreement_between_models(world: World, specs) -> None:
    twin = specs["minilm"].model_copy(update={"id": "minilm-twin"})
    prefixed = specs["minilm"].model_copy(
        update={"id": "minilm-query", "query_prefix": "Represent this question: "}
    )
    for spec in (twin, prefixed):
        ingest_paths(
            [], IngestOptions(corpus=CORPUS, models=[spec]),
            index=Index(world.catalog, world.store), load_encoder=load_cached,
        )  # fmt: skip
    retriever = world.retriever(specs={**specs, twin.id: twin, prefixed.id: prefixed})
    cmp = retriever.compare(
        "the fibrous skeleton of the heart", ["minilm", twin.id, prefixed.id], k=5
    )
    same = next(p for p in cmp.pairs if {p.first, p.second} == {"minilm", twin.id})
    assert (same.overlap_at_k, same.jaccard, same.rbo) == pytest.approx((1.0, 1.0, 1.0))
    assert cmp.only_in["minilm"] == []
    other = next(p for p in cmp.pairs if {p.first, p.second} == {"minilm", prefixed.id})
    assert 0.0 <= other.rbo <= 1.0 and 0.0 <= other.jaccard <= other.overlap_at_k * 2
    assert set(cmp.hits) == {"minilm", twin.id, prefixed.id}


def test_empty_query_is_refused(retriever: Retriever) -> None:
    for query in ("", "   \n"):
        with pytest.raises(EmptyQueryError):
            retriever.search(query)


def test_overlong_query_is_cut_with_a_warning(retriever: Retriever) -> None:
    with pytest.warns(UserWarning, match="cut off"):
        hits = retriever.search("the heart pumps blood " * 120, k=3)
    assert hits
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        retriever.search("short query about the heart", k=1)


def test_unknown_corpus_lists_the_known_ones(world: World) -> None:
    with pytest.raises(UnknownCorpusError) as info:
        Retriever("oncology", "minilm", settings=world.settings, store=world.store,
                  catalog=world.catalog)  # fmt: skip
    assert CORPUS in str(info.value)


def test_a_retriever_that_fails_to_open_lets_go_of_the_store(tmp_path: Path, sql_url: str) -> None:
    """Qdrant Edge locks its folder: a failed Retriever must not keep it from the next one."""
    settings = Settings(data_dir=tmp_path / "data", model_cache_dir=MODEL_CACHE, sql_url=sql_url)
    Catalog(sql_url).create_schema()
    with pytest.raises(UnknownCorpusError):
        Retriever("nope", "minilm", settings=settings)
    open_store(settings).close()  # StoreLockedError if the failed one still held it


def test_unknown_model_lists_the_known_ones(world: World) -> None:
    with pytest.raises(UnknownModelError) as info:
        world.retriever().search("valves", model="pubmedbert")
    assert "minilm" in str(info.value)


def test_model_that_has_not_embedded_the_corpus_names_the_fix(world: World) -> None:
    with pytest.raises(CorpusNotEmbeddedError) as info:
        Retriever(CORPUS, "mpnet", settings=world.settings, store=world.store,
                  catalog=world.catalog)  # fmt: skip
    assert f"ingest --corpus {CORPUS} --model mpnet" in str(info.value)


def test_collection_whose_size_differs_from_the_model_is_refused(world: World, specs) -> None:
    odd = specs["minilm"].model_copy(update={"id": "minilm-odd"})
    name = collection_name(CORPUS, odd.id)
    world.store.create_collection(name, 10)
    world.catalog.add_corpus_model(CORPUS, CorpusModel(odd.id, name, 10, odd.spec_hash))
    with pytest.raises(CollectionMismatchError) as info:
        world.retriever(specs={**specs, odd.id: odd}).search("valves", model=odd.id)
    assert "10" in str(info.value) and "384" in str(info.value)


def test_both_backends_answer_hybrid_queries_alike(tmp_path: Path, world: World, minilm) -> None:
    """The same points in a server collection (qdrant-client's engine) give the same hits."""
    from qdrant_client import QdrantClient

    from retrieval.store._server import ServerStore
    from retrieval.store.query import SearchMode, StoreQuery
    from retrieval.store.sparse import Bm25Encoder

    name = collection_name(CORPUS, "minilm")
    server = ServerStore(QdrantClient(location=":memory:"), ":memory:")
    server.create_collection(name, 384)
    server.upsert(name, list(world.store.export_points(name)))  # the very same vectors
    bm25 = Bm25Encoder()
    query = "the chordae tendineae attach the valve cusps to the papillary muscles"
    request = StoreQuery(
        SearchMode.HYBRID, 5, dense=minilm.encode_queries([query])[0].tolist(),
        sparse=bm25.embed_query(query),
    )  # fmt: skip
    edge_hits = world.store.search(name, request)
    server_hits = server.search(name, request)
    assert [h.chunk_id for h in edge_hits][:3] == [h.chunk_id for h in server_hits][:3]


def test_extractive_answer_cites_the_sentences_it_picks(retriever: Retriever) -> None:
    answer = Answerer().answer(retriever, "What do the papillary muscles do?", k=5, max_sentences=2)
    assert 1 <= len(answer.sentences) <= 2
    assert any("papillary" in s.text.lower() for s in answer.sentences)
    for sentence in answer.sentences:
        cited = answer.hits[sentence.number - 1]
        assert sentence.text.split()[0] in cited.text and sentence.citation == cited.citation
        assert f"[{sentence.number}]" in answer.text
    assert [s.number for s in answer.sentences] == sorted(s.number for s in answer.sentences)


def test_split_sentences_keeps_whole_clinical_sentences() -> None:
    from retrieval.answer.sentences import split_sentences

    text = (
        "Beta-blockers reduce mortality in HFrEF, e.g. bisoprolol vs. placebo in trials. "
        "Too short. ACE inhibitors are first-line therapy for most patients with HFrEF."
    )
    assert split_sentences(text) == [
        "Beta-blockers reduce mortality in HFrEF, e.g. bisoprolol vs. placebo in trials.",
        "ACE inhibitors are first-line therapy for most patients with HFrEF.",
    ]


def test_a_sentence_that_only_points_at_a_figure_lost_or_not_is_not_quoted() -> None:
    from retrieval.answer.sentences import split_sentences

    text = (
        "A normal ECG tracing is presented in . The small P wave represents the depolarization "
        "of the atria. These factors are summarized in and . Stroke volume is set by preload. "
        "Visit this site for a more detailed analysis of ECGs. The major segments of an ECG "
        "tracing are indicated in Figure 19.22. CO factors are summarized in Table 19.1."
    )
    assert split_sentences(text) == [
        "The small P wave represents the depolarization of the atria.",
        "Stroke volume is set by preload.",
    ]


def test_split_sentences_quotes_a_papers_key_points_and_captions_not_keywords_or_tables(
    shared_data: Path,
) -> None:
    from ingest.pdf.loader import load_pdf
    from retrieval.answer.sentences import split_sentences

    sentences = []
    for name in ("ehag110.pdf", "zwag118.pdf"):
        path = shared_data / "pdfs" / name
        data = path.read_bytes()
        document = load_pdf(path, data, hashlib.sha256(data).hexdigest(), None)
        sentences += [s for section in document.sections for s in split_sentences(section.text)]
    assert not [s for s in sentences if "Keywords" in s or "•" in s or "|" in s]
    assert not [s for s in sentences if re.match(r"\d{1,3}(,\d{1,3})* [A-Z]", s)]  # references
    assert any(s.startswith("Indeed, above the age of 50, the lifetime risk") for s in sentences)
    assert not [s for s in sentences if re.match(r"\d{1,3} [a-z]", s)]  # "et al. 14 found"
    caption = "Table 1 Efficacy of the four heart failure pillars for younger and older subjects"
    assert caption in sentences  # the table's rows are left to its card
    key_point = "High-intensity interval training offers the most robust"
    assert any(s.startswith(key_point) for s in sentences)  # a bullet of the lay summary


def test_shorthand_finds_the_spelled_out_term_and_can_be_turned_off(retriever: Retriever) -> None:
    # The textbook never writes "SOB"; it writes "shortness of breath".
    expanded = retriever.search("SOB", 5, mode="sparse", rerank=False)
    assert expanded and all("shortness of breath" in hit.text.lower() for hit in expanded[:2])
    assert "breath" in expanded[0].matched_terms
    assert retriever.search("SOB", 5, mode="sparse", rerank=False, expand=False) == []
    reading = retriever.read_query("SOB", expand=False)
    assert (reading.dense_text, reading.expansions) == ("SOB", ())


def test_the_corpus_own_definition_reads_its_abbreviation(retriever: Retriever) -> None:
    (lad,) = retriever.read_query("LAD occlusion").expansions
    assert (lad.read_as, lad.source) == ("left anterior descending artery", "corpus")
