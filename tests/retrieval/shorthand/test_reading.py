"""How a query is read, with the shipped list and a corpus's own definitions over it."""

from __future__ import annotations

from retrieval.catalog import CorpusDefinition
from retrieval.shorthand import Sides, as_typed, corpus_lexicon, read_query
from retrieval.shorthand.reading import ABBREVIATION_WEIGHT
from retrieval.store.sparse import Bm25Encoder

LEXICON = corpus_lexicon([])


def test_an_abbreviation_is_spelled_out_for_both_sides() -> None:
    reading = read_query("HFrEF beta blocker dose", LEXICON)
    long = "heart failure with reduced ejection fraction"
    assert reading.dense_text.startswith(f"{long} (HFrEF) beta blocker")
    assert reading.sparse_text.startswith("HFrEF beta blocker dose ")
    assert long in reading.sparse_text
    assert reading.describe().startswith(f"HFrEF read as {long}")
    assert reading.expansions[0].source == "list"


def test_a_long_form_gets_its_abbreviation_for_bm25_and_on_request_for_the_encoder() -> None:
    query = "coronary artery bypass grafting in diabetes"
    reading = read_query(query, LEXICON)
    assert reading.dense_text == query  # the list's CABG stays out (medquad_cardio_dev)
    beside = read_query(query, LEXICON, Sides(dense_short="always")).dense_text
    assert beside.startswith("coronary artery bypass grafting (CABG) in diabetes")
    assert reading.sparse_abbreviations == "CABG"  # counted at ABBREVIATION_WEIGHT
    assert "CABG" in reading.searched_words.split()
    assert "coronary artery bypass grafting also searched as CABG" in reading.describe()


def test_on_request_the_encoder_gets_an_abbreviation_the_corpus_defines_and_no_other() -> None:
    lexicon = corpus_lexicon([CorpusDefinition("UC", "usual care", 3, 1)])
    query = "exercise versus usual care after coronary artery bypass grafting"
    reading = read_query(query, lexicon, Sides(dense_short="corpus"))
    assert reading.dense_text == (
        "exercise versus usual care (UC) after coronary artery bypass grafting"
    )
    assert read_query(query, lexicon).dense_text == query


def test_the_longest_long_form_wins_over_the_ones_inside_it() -> None:
    reading = read_query("heart failure with reduced ejection fraction", LEXICON)
    added = reading.sparse_abbreviations.split()
    assert "HFrEF" in added
    assert "HF" not in added and "EF" not in added


def test_an_ambiguous_abbreviation_takes_the_sense_its_query_speaks_of() -> None:
    valve = read_query("MS with a rheumatic mitral valve", LEXICON)
    brain = read_query("MS relapse and sclerosis plaques in the brain", LEXICON)
    assert valve.expansions[0].read_as == "mitral stenosis"
    assert brain.expansions[0].read_as == "multiple sclerosis"


def test_short_lower_case_words_stay_words_and_long_shorthand_matches_any_case() -> None:
    assert read_query("as ms pe", LEXICON).expansions == ()
    assert read_query("Does exercise help?", LEXICON).expansions == ()  # not DOE, plural
    (cabg,) = [e for e in read_query("outcomes after cabg", LEXICON).expansions if e.abbreviation]
    assert cabg.read_as.startswith("coronary artery bypass graft")


def test_a_plural_abbreviation_reads_as_a_plural() -> None:
    reading = read_query("frequent PVCs on Holter", LEXICON)
    assert reading.expansions[0].written == "PVCs"
    assert reading.expansions[0].read_as.endswith("s")
    assert "(PVCs) on Holter" in reading.dense_text


def test_the_corpus_definition_wins_over_the_list() -> None:
    defined = [CorpusDefinition("UC", "usual care", 3, 1)]
    lexicon = corpus_lexicon(defined)
    (expansion,) = read_query("HIIE versus UC", lexicon).expansions[1:]
    assert (expansion.read_as, expansion.source) == ("usual care", "corpus")


def test_a_listed_sense_still_wins_where_the_query_speaks_of_it() -> None:
    lexicon = corpus_lexicon([CorpusDefinition("AS", "ankylosing spondylitis", 4, 2)])
    (spine,) = read_query("AS back pain", lexicon).expansions
    assert (spine.read_as, spine.source) == ("ankylosing spondylitis", "corpus")
    (valve,) = read_query("severe AS before aortic valve replacement", lexicon).expansions[:1]
    assert (valve.read_as, valve.source) == ("aortic stenosis", "list")


def test_a_tie_between_corpus_long_forms_goes_to_the_one_the_list_knows() -> None:
    defined = [
        CorpusDefinition("LVEF", "leftventricular ejection fraction", 1, 1),
        CorpusDefinition("LVEF", "Left ventricular ejection fraction", 1, 1),
    ]
    (expansion,) = read_query("LVEF", corpus_lexicon(defined)).expansions
    assert expansion.read_as == "left ventricular ejection fraction"


def test_each_side_can_be_left_as_typed() -> None:
    query = "HFrEF and coronary artery bypass grafting"
    off = Sides(dense_long=False, sparse_long=False, sparse_short=False, dense_short="never")
    none = read_query(query, LEXICON, off)
    assert (none.dense_text, none.sparse_text) == (query, query)
    assert len(none.expansions) == 2  # still said how it could be read
    assert as_typed(query).expansions == ()


def test_bm25_counts_an_added_abbreviation_at_its_weight() -> None:
    bm25 = Bm25Encoder()
    reading = read_query("coronary artery bypass grafting", LEXICON)
    typed = bm25.embed_query("coronary artery bypass grafting")
    vector = reading.sparse_query(bm25)
    (added,) = set(vector.indices) - set(typed.indices)
    weights = dict(zip(vector.indices, vector.values, strict=True))
    assert weights[added] == ABBREVIATION_WEIGHT
    assert all(weights[index] == 1.0 for index in typed.indices)
