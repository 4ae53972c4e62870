"""Theme labels in the transcripts' language: each document's from the metadata's ``language`` column or
``--language``, its stop words, lookup lemmas and content words; English alone labelled as it was."""

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from theme_assist.cli import main
from theme_assist.discover import AgglomerativeClusterer, CTfidfLabeller, ThemeDiscoverer
from theme_assist.discover.discoverer import segment_languages
from theme_assist.discover.label import content_word_ngrams, has_language_module, language_pipeline
from theme_assist.errors import InputError

DEMO = Path(__file__).resolve().parents[1] / "corpora" / "demo"

#: Three topics of German turns, written for these tests (fictional): family, the workplace, the health insurer.
GERMAN = {
    "familie": [
        "Meine Familie hat mir sehr geholfen, als ich krank war. Meine Schwester kam jeden Tag vorbei.",
        "Ohne meine Familie wäre ich nicht hier. Die Familie hält zusammen, auch wenn es schwer ist.",
        "Meine Mutter ruft mich jeden Abend an und fragt, wie es mir geht. Die Familie ist mir wichtig.",
        "Mit meinem Bruder spreche ich kaum, aber die übrige Familie besucht mich oft am Wochenende.",
        "Meine Kinder wissen von meiner Krankheit. Die Familie redet offen darüber, das tut mir gut.",
    ],
    "arbeitsplatz": [
        "Mein Arbeitsplatz war in Gefahr, weil ich so lange gefehlt habe. Der Chef hat mich aber unterstützt.",
        "Am Arbeitsplatz weiß niemand von meiner Diagnose. Ich habe Angst, dass die Kollegen es erfahren.",
        "Nach der Klinik bin ich langsam an den Arbeitsplatz zurückgekehrt, erst vier Stunden am Tag.",
        "Der Arbeitsplatz ist für mich wichtig, weil er meinem Tag eine Struktur gibt. Die Kollegen sind nett.",
        "Ich suche einen neuen Arbeitsplatz, der alte Chef hatte kein Verständnis für meine Krankheit.",
    ],
    "krankenkasse": [
        "Die Krankenkasse übernimmt die Kosten für die Therapie nur zum Teil, den Rest zahle ich selbst.",
        "Ich musste lange warten, bis die Krankenkasse die Kosten übernimmt. Der Antrag war sehr kompliziert.",
        "Die Kasse übernimmt die Kosten für die Medikamente, aber nicht für die Fahrt zur Klinik.",
        "Wer übernimmt die Kosten, wenn die Krankenkasse den Antrag ablehnt? Das hat mir niemand gesagt.",
        "Für die Genesungsbegleitung übernimmt die Krankenkasse die Kosten noch nicht, das ist schade.",
    ],
}

#: Two topics of English turns, for a corpus of both languages.
ENGLISH = {
    "housing": [
        "The landlord wanted me out of the flat after my stay in hospital, so housing was my first worry.",
        "Finding a flat with a small income is hard; the housing office put me on a long waiting list.",
        "My peer worker came with me to the housing office and helped me fill in the forms for a flat.",
        "A shared flat was the only housing I could afford, and the landlord never fixed the heating.",
        "Without stable housing I could not think about anything else, the flat was everything to me.",
    ],
    "medication": [
        "The new medication made me sleepy all day, and the doctor changed the dose twice.",
        "I stopped the medication once because of the side effects, and the doctor was not happy.",
        "My peer supporter told me about her own side effects, which made the medication less scary.",
        "The pharmacy ran out of my medication, so I went a week without the tablets.",
        "Talking to the doctor about the dose of my medication was easier with someone beside me.",
    ],
}

#: spaCy's German stop words that named the German themes when they were read as English.
GERMAN_STOP_WORDS = language_pipeline("de").Defaults.stop_words


def corpus(topics: dict[str, list[str]], language: str | None = None, seed: int = 0) -> tuple[pd.DataFrame,
                                                                                               np.ndarray]:
    """Segments of ``topics`` (two documents each, alternating turns) with planted embeddings, one axis per
    topic, so that discovery runs without a model; with ``language``, a ``language`` column of it."""
    rng = np.random.default_rng(seed)
    centres = np.eye(len(topics), 32)  # as far apart as topics get
    rows, vectors = [], []
    for k, (topic, texts) in enumerate(topics.items()):
        for i, text in enumerate(texts):
            rows.append({"segment_id": f"{topic}_{i}", "document": f"{topic}_{i % 2}", "text": text,
                         "topic": topic})
            vectors.append(centres[k] + 0.05 * rng.normal(size=32))
    segments = pd.DataFrame(rows)
    if language is not None:
        segments["language"] = language
    return segments, np.array(vectors)


def discover(segments: pd.DataFrame, vectors: np.ndarray, **params) -> ThemeDiscoverer:
    """Themes of ``segments``, one per topic."""
    clusterer = AgglomerativeClusterer(n_themes=segments["topic"].nunique())
    return ThemeDiscoverer(n_resamples=0, min_size=3, clusterer=clusterer, random_state=0, **params).fit(
        segments, embeddings=vectors)


def words_of(discoverer: ThemeDiscoverer) -> set[str]:
    """Every word of the themes' labels and keywords."""
    themes = discoverer.themes_
    return {word for text in [*themes["label"], *[k for keys in themes["keywords"] for k in keys]]
            for word in text.replace(",", " ").split()}


def labels_by_topic(discoverer: ThemeDiscoverer, segments: pd.DataFrame) -> dict[str, str]:
    """The label of the theme that holds most of each topic's segments."""
    themes = discoverer.themes_.set_index("theme")["label"]
    assigned = discoverer.assignments_.assign(topic=segments["topic"].to_numpy())
    assigned = assigned[assigned["theme"].isin(themes.index)]
    return {topic: themes[group["theme"].mode()[0]] for topic, group in assigned.groupby("topic")}


# ------------------------------------------------------------------------------------------ English as it was
#: Labels of the demo's reference coding, a theme per human code, as the labeller gave them before it read
#: languages (commit d203521): English alone must keep them.
DEMO_LABELS = {
    "noun_phrases": [
        "recovery, hospital, peer", "family, police, village", "patients, ward, case",
        "work, year, disability pension", "project, supervision, peer", "role, job, manager",
        "story, clients, team", "patients, staff, matron", "cat, message, somebody", "man, person, women",
        "decision, voices, uncle", "health worker, husband, beginning", "evening, savings, cousin",
        "friends, mother, wife", "inside, thoughts, bed", "day, money, hour", "standard, possible, step",
        "centre, week, months"],
    "content_words": [
        "changed, peer, recovery", "family, people, police", "patients, meeting, ward", "work, year, medicine",
        "training, peer, need", "clear, job, role", "told, story, team", "patients, party, cried",
        "came, remember, decided", "man, person, waiting", "laugh, told, lecture", "want, receive, husband",
        "cook, near, helped", "sick, friends, mother", "inside, feel, stop", "lose, cost, day",
        "maybe, think, standard", "home, centre, week"],
}
DEMO_TERMS = {"noun_phrases": 896, "content_words": 1457}


@pytest.mark.parametrize("terms", ["noun_phrases", "content_words"])
def test_english_alone_is_labelled_as_it_was_before_there_were_languages(terms):
    demo = pd.read_csv(DEMO / "reference_coding.csv", keep_default_na=False)
    codes = sorted(set(demo["code"]) - {"other"})
    labels = np.array([codes.index(code) if code in codes else -1 for code in demo["code"]])
    for languages in (None, ["en"] * len(demo)):
        labeller = CTfidfLabeller(terms=terms).fit(demo["text"].tolist(), labels, languages=languages)
        assert labeller.distinct([labeller.label([k]) for k in range(len(codes))]) == DEMO_LABELS[terms]
        assert len(labeller.terms_) == DEMO_TERMS[terms]


class RecordingLabeller(CTfidfLabeller):
    """A labeller that keeps the keyword arguments of its fit."""

    def fit(self, texts, labels, **kwargs):
        type(self).calls.append(sorted(kwargs))
        return super().fit(texts, labels, **kwargs)


def test_english_segments_fit_the_labeller_as_before_and_others_give_their_languages():
    """A labeller written before there were languages is fitted as it was on English; the themes' JSON has no
    key of languages there."""
    RecordingLabeller.calls = []
    segments, vectors = corpus(GERMAN)
    english = discover(segments, vectors, labeller=RecordingLabeller())
    also_english = discover(segments.assign(language=" EN"), vectors, labeller=RecordingLabeller())
    german = discover(segments, vectors, labeller=RecordingLabeller(), language="de")
    assert RecordingLabeller.calls == [["centroids", "encode"]] * 2 + [["centroids", "encode", "languages"]]
    assert "languages" not in english.themes_ and "languages" not in english.to_dict()["themes"][0]
    assert english.to_json() == also_english.to_json()
    keys = list(german.to_dict()["themes"][0])
    assert keys[keys.index("speakers") + 1] == "languages"


# ------------------------------------------------------------------------------------------ another language
def test_german_transcripts_are_labelled_with_german_content_words_not_stop_words():
    segments, vectors = corpus(GERMAN)
    as_english = discover(segments, vectors)
    assert words_of(as_english) & GERMAN_STOP_WORDS  # "mir, ich, jeden", "der, habe, weil" before
    german = discover(segments, vectors, language="de")
    assert not words_of(german) & GERMAN_STOP_WORDS
    labels = labels_by_topic(german, segments)
    assert "familie" in labels["familie"].split(", ") and "arbeitsplatz" in labels["arbeitsplatz"].split(", ")
    assert {"krankenkasse", "kosten"} & set(labels["krankenkasse"].split(", "))
    assert [theme["languages"] for theme in german.to_dict()["themes"]] == [[{"name": "de", "segments": 5}]] * 3
    assert not [note for note in german.summary_["notes"] if "English" in note]  # none is read as English
    assert discover(segments, vectors, language="de").to_json() == german.to_json()  # deterministic


def test_german_words_have_german_lemmas_and_capitalised_nouns_are_no_names():
    (terms,) = content_word_ngrams(["Meine Kinder besuchten die Schule, die Häuser waren alt."], "de", (1, 1))
    assert terms == [("kind", "kinder"), ("besuchen", "besuchten"), ("schule", "schule"), ("haus", "häuser"),
                     ("alt", "alt")]
    assert not [lemma for lemma, _ in terms if lemma in GERMAN_STOP_WORDS]
    (terms,) = content_word_ngrams(["Ich sehe אבל זה שלי דודה"], "he")  # no lemmas: a word is its own
    assert ("דודה", "דודה") in terms and not {"אבל", "זה", "שלי"} & {lemma for lemma, _ in terms}


def test_a_corpus_of_german_and_english_labels_each_theme_in_its_languages():
    segments, vectors = corpus({**GERMAN, **ENGLISH})
    segments["language"] = np.where(segments["topic"].isin(list(GERMAN)), "de", "")  # "": the default, English
    discoverer = discover(segments, vectors)
    labels = labels_by_topic(discoverer, segments)
    assert "familie" in labels["familie"] and "arbeitsplatz" in labels["arbeitsplatz"]
    assert "housing" in labels["housing"] and "medication" in labels["medication"]
    assert not words_of(discoverer) & GERMAN_STOP_WORDS
    languages = {theme["label"]: [language["name"] for language in theme["languages"]]
                 for theme in discoverer.to_dict()["themes"]}
    assert languages[labels["familie"]] == ["de"] and languages[labels["housing"]] == ["en"]


def test_a_theme_of_both_languages_leaves_out_the_stop_words_of_both():
    """An English turn in a German theme: German's "die" or "will" name it no more than English's "the"."""
    texts = [*GERMAN["familie"], "Die Familie, the family: I will say it again, family is all I have."]
    labeller = CTfidfLabeller().fit(texts, np.zeros(len(texts), dtype=int), languages=["de"] * 5 + ["en"])
    words = {word for term, _ in labeller.keywords([0]) for word in term.split()}
    assert "familie" in words and not words & (GERMAN_STOP_WORDS | {"the", "will", "die"})


def test_the_language_column_counts_where_given_and_the_default_elsewhere():
    segments = pd.DataFrame({"document": ["a", "b", "c", "d"], "text": ["x"] * 4,
                             "language": [" DE", "", None, "He "]})
    assert segment_languages(segments, "sw").tolist() == ["de", "sw", "sw", "he"]
    assert segment_languages(segments.drop(columns="language"), " Mr").tolist() == ["mr"] * 4


def test_a_language_column_is_found_whatever_its_case_and_two_are_refused():
    """A spreadsheet's "Language" column was left unread: every document labelled as English, without a word."""
    segments = pd.DataFrame({"document": ["a", "b"], "text": ["x"] * 2, "Language": ["de", ""]})
    assert segment_languages(segments).tolist() == ["de", "en"]
    with pytest.raises(InputError, match=r"^the metadata has 2 language columns \(Language, language\): keep one"):
        segment_languages(segments.assign(language=["he", "he"]))


@pytest.mark.parametrize("value", ["German", "de-DE", "deu", "d", "1a"])
def test_a_language_that_is_no_code_is_refused_naming_it(value):
    segments, vectors = corpus(GERMAN)
    with pytest.raises(InputError, match=rf"^language '{value}' \(document 'familie_0'\) is no language code: "
                                         r"give an ISO 639-1 code"):
        discover(segments.assign(language=[value] + [""] * (len(segments) - 1)), vectors)
    with pytest.raises(InputError, match=rf"^language '{value}' is no language code"):
        discover(segments, vectors, language=value)


def test_an_older_code_of_a_language_is_read_as_its_own_not_warned_of():
    """Java and older tools write Hebrew iw and Indonesian in: spaCy reads them as he and id, with their stop words,
    which the warning said they were labelled without."""
    assert has_language_module("iw") and has_language_module("in") and has_language_module("de")
    assert not has_language_module("sw")
    assert language_pipeline("iw").Defaults.stop_words == language_pipeline("he").Defaults.stop_words


def test_a_language_whose_spacy_module_fails_to_load_is_read_as_one_without_a_module(monkeypatch):
    """spaCy's Korean needs natto and MeCab: a library there that fails to load raised its own error, not an
    ImportError, and discover stopped with a traceback."""
    import spacy

    blank = spacy.blank

    def failing(code, *args, **kwargs):
        if code == "ko":
            raise RuntimeError("MeCab is not installed")
        return blank(code, *args, **kwargs)

    monkeypatch.setattr(spacy, "blank", failing)
    language_pipeline.cache_clear()
    try:
        assert not has_language_module("ko") and language_pipeline("ko").lang == "xx"
    finally:
        language_pipeline.cache_clear()


def test_a_language_spacy_has_no_module_for_is_labelled_without_its_stop_words_and_said_once():
    swahili = {"familia": ["Familia yangu ilinisaidia sana wakati nilipokuwa mgonjwa hospitalini.",
                           "Familia yangu ni muhimu kwangu, dada yangu ananitembelea kila wiki.",
                           "Bila familia yangu nisingeweza kupona, mama yangu aliniombea kila siku."],
               "kazi": ["Kazi yangu ilikuwa hatarini kwa sababu nilikosa kazi kwa muda mrefu.",
                        "Mwajiri wangu alinisaidia kurudi kazini polepole, kazi ni muhimu kwangu.",
                        "Nilipoteza kazi yangu, sasa natafuta kazi mpya sokoni."]}
    segments, vectors = corpus(swahili, language="sw")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        discoverer = discover(segments, vectors)
    said = [str(w.message) for w in caught if "language sw" in str(w.message)]
    assert said == ["language sw: spaCy has no language module for it here, so its words are labelled without its "
                    "stop words (with English ones only)"]
    labels = labels_by_topic(discoverer, segments)
    assert "familia" in labels["familia"] and "kazi" in labels["kazi"]
    assert [theme["languages"] for theme in discoverer.to_dict()["themes"]] == [[{"name": "sw", "segments": 3}]] * 2


# ------------------------------------------------------------------------------------------ the command
def run(capsys, *args):
    with pytest.raises(SystemExit) as exit_info:
        main(["discover", *map(str, args)])
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out, captured.err


@pytest.mark.parametrize("args, metadata, message", [
    (["--language", "Deutsch"], None, "--language 'Deutsch' is no language code: give an ISO 639-1 code"),
    ([], "document,language\nd1,Deutsch\n", "language 'Deutsch' (document 'd1') is no language code"),
])
def test_a_language_that_is_no_code_is_a_one_line_error_before_anything_is_embedded(capsys, tmp_path, monkeypatch,
                                                                                     args, metadata, message):
    from theme_assist import embed

    monkeypatch.setattr(embed.Embedder, "__init__", lambda *a, **k: pytest.fail("embedded before the refusal"))
    segments = tmp_path / "segments.csv"
    segments.write_text("segment_id,document,text\ns1,d1,Meine Familie hilft mir.\n", encoding="utf-8")
    if metadata:
        (tmp_path / "meta.csv").write_text(metadata, encoding="utf-8")
        args = [*args, "--metadata", tmp_path / "meta.csv"]
    code, _, err = run(capsys, "--input", segments, *args, "--out", tmp_path / "themes.json")
    assert code == 2 and err.count("\n") == 1 and err.startswith("theme-assist: error:") and message in err
    assert not (tmp_path / "themes.json").exists()


def test_the_metadata_language_column_comes_before_the_language_option(capsys, tmp_path):
    """German transcripts, one document marked " DE" in the metadata and one not, read with --language de;
    a Swahili one marked sw: a warning, once, and each theme's languages in the JSON."""
    rows = [(f"{topic}_{i}", f"interview_{i % 2}", text) for topic, texts in GERMAN.items()
            for i, text in enumerate(texts)]
    rows += [(f"sw_{i}", "mahojiano", text) for i, text in enumerate(
        ["Familia yangu ilinisaidia sana wakati nilipokuwa mgonjwa.", "Familia yangu ni muhimu kwangu sana.",
         "Bila familia yangu nisingeweza kupona hata kidogo."])]
    pd.DataFrame(rows, columns=["segment_id", "document", "text"]).to_csv(tmp_path / "segments.csv", index=False)
    (tmp_path / "meta.csv").write_text("document,language\ninterview_0, DE\ninterview_1,\nmahojiano,sw\n",
                                       encoding="utf-8")
    code, out, err = run(capsys, "--input", tmp_path / "segments.csv", "--metadata", tmp_path / "meta.csv",
                         "--language", "de", "--min-size", "3", "--resamples", "0", "--out", tmp_path / "t.json")
    assert code == 0, err
    assert err.count("theme-assist: warning: language sw: spaCy has no language module for it") == 1
    themes = json.loads((tmp_path / "t.json").read_text(encoding="utf-8"))["themes"]
    assert themes and all(theme["languages"] for theme in themes)
    languages = {language["name"] for theme in themes for language in theme["languages"]}
    assert languages <= {"de", "sw"} and "de" in languages  # interview_1 is German by --language, not English
    words = {word for theme in themes for word in theme["label"].replace(",", " ").split()}
    assert not words & GERMAN_STOP_WORDS


def test_chinese_split_into_single_characters_is_said_once():
    """spaCy's blank Chinese pipeline splits text into characters (no word segmenter installed): the themes were
    labelled by one character each ("作", "妈"), with no keyword and no word of it."""
    chinese = {"家人": ["我的家人在我生病的时候帮助了我很多。", "我的姐姐每天都来看我，家人很重要。",
                        "妈妈每天晚上给我打电话问我怎么样。"],
               "工作": ["工作单位的老板支持我回去工作。", "同事们不知道我的诊断，我很害怕。", "我慢慢回到工作岗位，每天四个小时。"]}
    segments, vectors = corpus(chinese, language="zh")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        discover(segments, vectors)
    said = [str(w.message) for w in caught if "language zh" in str(w.message)]
    assert said == ["language zh: spaCy splits it into single characters here (no word segmenter), so its themes "
                    "are labelled by characters, not words: read the quotes"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        discover(*corpus(GERMAN, language="de"))
    assert not [w for w in caught if "language" in str(w.message)]
