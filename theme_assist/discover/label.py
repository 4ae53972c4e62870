"""Labeller: a short label and keywords per theme from class-based TF-IDF (c-TF-IDF, as in BERTopic).

Terms are lemma n-grams (1–3 words) of consecutive content words that form **noun phrases** (``"peer support
worker"``, ``"community rehab program"``): spaCy's blank English tokenizer with the lookup lemmatizer, and the
part-of-speech lexicon that ships with it in ``spacy-lookups-data`` (Explosion's lemma index, from WordNet: which
lemmas can be nouns, adjectives, verbs, adverbs). A noun phrase here is a run of words that can each be a noun or an
adjective, ending in one that can be a noun; a word that can only be a verb or an adverb ("told", "laughed",
"really") ends the run. The lexicon lists nearly every verb's "-ing" form as a noun too, so such a form is one only
where the texts use it as one, after a determiner or possessive or in the plural ("the meeting", "your drinking",
"feelings"; a few nouns of services such as "training" and "housing" always), after a noun or adjective ("binge
drinking") or as a subject ("Smoking is banned"): "thanks for coming" or "about talking" say what speakers did. No
trained parser is needed (issue #2 rules out third-party re-uploads of spaCy's trained pipelines, the only ones PyPI
has), at the price of keeping words that are nouns as well as verbs ("work",
"support"), which are often what a theme is about anyway. Stop words (spaCy's, and spoken fillers such as "um",
"yeah", "like"), names (words the texts mostly capitalise away from sentence starts, also those the lexicon knows as
words: "Grace", "Sarah"), numbers and punctuation are removed, and an n-gram never spans a removed word. A theme is
then named by what it is about rather than by what its speakers did. ``terms="content_words"`` takes every run of
content words instead (verbs included). At most ``max_texts_per_class`` segments of each theme (evenly spread over
it) are analysed.

The segments of each theme form one class document; a term scores ``tf(term, theme) * log(1 + A / f(term))``,
with ``tf`` the term's share of the theme's terms, ``f`` its count over all classes and ``A`` the average number of
terms per class. Segments outside any theme form one background class, so words common everywhere score low.
Terms are shown in their most frequent surface form (``"medicines"``, not the lemma ``"medicine"``), so labels
are made of words the participants said.

c-TF-IDF alone favours whatever a theme's speakers say often, which in interviews includes generic verbs ("told",
"think", "came"). Given the themes' centroids and the embedding model, the best c-TF-IDF terms are re-ranked by
the cosine similarity of their embedding to the theme's centre (as BERTopic's ``KeyBERTInspired``), so the label
names what the theme is about ("illness, doctor, hospital" rather than "doctor, told, think").

Segments in another language than English (``languages`` of :meth:`CTfidfLabeller.fit`, an ISO 639-1 code per
text) are read with that language's blank spaCy pipeline (:func:`language_pipeline`): its stop words, its lookup
lemmas where spacy-lookups-data has a table for it (German), and every run of its content words, the English
lexicon of noun phrases saying nothing of it (:func:`content_word_ngrams`). A theme's words are told from the stop
words of English and of every language of its segments. In a language that capitalises every noun (German) no
capitalised word is taken for a name. Fillers, thanks and backchannels (:data:`SPOKEN_FILLERS`,
:func:`minimal_responses`) stay English. Texts all in English are read as they were before there were languages.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterable

import numpy as np
from scipy import sparse

from theme_assist.errors import InputError

#: Fillers, backchannels and discourse markers of spoken transcripts, treated as stop words on top of spaCy's:
#: they are the most frequent words of any interview and would otherwise name every theme.
SPOKEN_FILLERS = frozenset("""
    ah aha alright er erm gonna gosh gotcha gotta hey hm hmm huh kinda know like lot mean mh mhm mm mmm oh ok okay
    right sort stuff thing um uh uhm wanna yada yeah yep yes yup
    haha hahaha lol lmao bro dude
    gon na ta dunno lemme gimme sorta cuz ya wo
""".split())
"""The line before the last: laughter written in chat and forum posts, and forms of address. The last line: what
spaCy's tokenizer leaves of "gonna" (``gon`` ``na``), "gotta" (``got`` ``ta``), "won't" (``wo`` ``n't``) and other
contractions of speech."""


#: Words that acknowledge, agree, thank or greet: with spaCy's stop words, :data:`SPOKEN_FILLERS` and numbers, all a
#: minimal response holds (:func:`minimal_responses`): "Yeah, definitely.", "That's great.", "Thanks, bye.", "I guess
#: so.", "Good evening!" (the last line: greetings).
ACKNOWLEDGEMENTS = frozenset("""
    absolutely agree agreed amazing awesome brilliant bye cheers certainly cool correct course definitely excellent
    exactly fair fantastic fine good goodbye got great guess hello hi indeed lovely maybe mhmm mmh neat nice nope
    perfect pleased please precisely probably really sorry sounds super suppose sure thank thanks think totally true
    understand welcome wonderful wow yea
    afternoon day evening luck morning night today tonight
""".split())


#: spaCy's stop words that say something in a short answer ("Please call me.", "Give me more.", "Never.", "Nobody."):
#: a text with one of them is no minimal response.
SAYING_WORDS = frozenset("""
    call get give go keep make move put say see show take never nobody none noone nothing nowhere alone
""".split())

#: Backchannels made of :data:`SAYING_WORDS`: "I see.", "Go on.", "I get it.", "There you go!", "See you."
ACKNOWLEDGING_PHRASES = re.compile(
    r"\b(?:i see|go (?:on|ahead)|see you|get (?:it|that|you)|(?:here|there) you go|say so|we'll see)\b",
    re.IGNORECASE)

#: Most words (outside transcribers' notes) a minimal response has: spaCy's stop words alone make up longer answers
#: that say something ("Yes, yes, but not if I'm the only one who ever does it.").
MINIMAL_MAX_WORDS = 8


def minimal_responses(texts: list[str]) -> np.ndarray:
    """Which of ``texts`` are minimal responses: backchannels, fillers, agreement, thanks and greetings ("Mm-hmm.",
    "Yeah, definitely.", "Thank you.", "Oh, I see.", "[chuckles]") of at most :data:`MINIMAL_MAX_WORDS` words,
    all of them stop words (less :data:`SAYING_WORDS`), :data:`SPOKEN_FILLERS`, :data:`ACKNOWLEDGEMENTS`,
    :data:`ACKNOWLEDGING_PHRASES` or numbers, outside transcribers' notes. Texts without
    a word (emoji, punctuation) are minimal too. English words only: a "Ja." stays a response."""
    nlp = lemmatizer()
    ignored = (nlp.Defaults.stop_words - SAYING_WORDS) | SPOKEN_FILLERS | ACKNOWLEDGEMENTS
    minimal = np.zeros(len(texts), dtype=bool)
    # only texts of a few words are tokenized: a long one is no minimal response, and tokenizing 2,000 segments of
    # 20,000 characters took 17 s (notes in brackets may add words: hence three times the most)
    short = [i for i, text in enumerate(texts) if len(text.split()) <= 3 * MINIMAL_MAX_WORDS]
    for i, doc in zip(short, nlp.tokenizer.pipe(ACKNOWLEDGING_PHRASES.sub(" ", texts[i]) for i in short)):
        note = _annotations(doc)
        words = [token for token in doc if _is_word(token) and token.i not in note]
        clauses = [run for token in doc if token.i not in note for run in _joined_clauses(token)]
        minimal[i] = len(words) <= MINIMAL_MAX_WORDS and not any(
            token.lower_ not in ignored and len(token) > 1 and not _is_number(token) for token in words) and not any(
            run.lower() not in ignored and len(run) > 1 for run in clauses)
    return minimal


#: Cosine similarity above which a keyword repeats one already in the label ("recorder" after "recording").
REDUNDANT_SIMILARITY = 0.8

#: Share of a theme's analysed segments that must hold a term for terms to name it: below it the theme is made of
#: backchannels ("Mm-hmm.", "Right.", "Sure."), named by its most frequent word rather than by what one of them says.
MIN_TERM_SHARE = 0.2

#: Occurrences, as a share of a theme's segments, of a word that completes a label of one word: 64 turns of
#: "Hello" are not "hello, christmas" for the one that said "Merry Christmas".
MIN_WORD_SHARE = 0.1


@lru_cache(maxsize=1)
def lemmatizer():
    """A blank English spaCy pipeline with the lookup lemmatizer (tables from spacy-lookups-data), built once."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    return nlp


#: The language of the labeller's lexicon and noun phrases, and of its fillers, thanks and backchannels.
ENGLISH = "en"

#: Languages that capitalise every noun: a word their texts capitalise is no name there (:func:`proper_nouns`).
NOUNS_CAPITALISED = frozenset({"de", "lb"})

#: A language code as the labeller takes it: ISO 639-1's two letters, in lower case.
LANGUAGE_CODE = re.compile(r"[a-z]{2}")


def language_code(value, where: str = "language", document: str | None = None) -> str:
    """``value`` as a language code: lower case, spaces left out (``" DE "`` is ``"de"``).

    Raises
    ------
    InputError
        If it is no code of two letters (``"German"``, ``"de-DE"``, ``"deu"``), naming it, ``where`` it was given
        (an option, a column) and the ``document`` that has it.
    """
    code = "".join(str(value).split()).lower()
    if not LANGUAGE_CODE.fullmatch(code):
        of = f" (document {document!r})" if document is not None else ""
        raise InputError(f"{where} {value!r}{of} is no language code: give an ISO 639-1 code of two letters, such "
                         "as de, he, hi, mr, lg, sw or en")
    return code


@lru_cache(maxsize=None)
def language_pipeline(code: str):
    """A blank spaCy pipeline for the language ``code``, built once: :func:`lemmatizer` for English; for another
    language its own, with the lookup lemmatizer where spacy-lookups-data has a table for it (German), and the
    multi-language one, without stop words, where spaCy has no module for it that loads here (Swahili,
    :func:`has_language_module`)."""
    import spacy

    if code == ENGLISH:
        return lemmatizer()
    try:
        nlp = spacy.blank(code)
    except Exception:  # noqa: BLE001 - no module (sw), or one whose library is not installed (ja, th) or fails
        return spacy.blank("xx")  # to load (ko: natto without MeCab raises its own error)
    try:
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        nlp.initialize()
    except ValueError:  # no lookup table for the language (he, hi, mr, lg)
        nlp.remove_pipe("lemmatizer")
    return nlp


def has_language_module(code: str) -> bool:
    """Whether spaCy has a language module for ``code`` that loads here, with its stop words (none for ``sw``; an
    older code of a language is read as its own: ``iw`` as ``he``, ``in`` as ``id``)."""
    return language_pipeline(code).lang != "xx"


def splits_by_character(code: str) -> bool:
    """Whether spaCy's pipeline for ``code`` splits its text into single characters: Chinese, where no word
    segmenter (spacy-pkuseg, jieba) is set up, as in a blank pipeline."""
    return getattr(language_pipeline(code).tokenizer, "segmenter", None) == "char"


def language_stop_words(codes: Iterable[str]) -> frozenset[str]:
    """spaCy's stop words of English and of the languages ``codes``."""
    return frozenset(lemmatizer().Defaults.stop_words).union(
        *(language_pipeline(code).Defaults.stop_words for code in sorted(set(codes))))


@lru_cache(maxsize=1)
def parts_of_speech() -> dict[str, frozenset[str]]:
    """Words by the parts of speech they can take (``noun``, ``adj``, ``verb``, ``adv``; ``nominal``: noun or
    adjective, ``known``: any): the lemmas of spacy-lookups-data's English lemma index and the irregular forms of
    its exceptions (WordNet), read once."""
    from spacy.lookups import load_lookups

    tables = load_lookups("en", ["lemma_index", "lemma_exc"])
    index, exceptions = tables.get_table("lemma_index"), tables.get_table("lemma_exc")
    words = {pos: frozenset(index.get(pos, [])) | frozenset(exceptions.get(pos, {}))
             for pos in ("noun", "adj", "verb", "adv")}
    words["nominal"] = words["noun"] | words["adj"]
    words["known"] = words["nominal"] | words["verb"] | words["adv"]
    return words


#: Determiners and possessives: a word in "-ing" after one is a noun ("the meeting", "your drinking"), while after a
#: preposition it is mostly a verb ("thanks for coming", "about talking").
DETERMINERS = frozenset("a an the my our your their his her its this these those some any every each".split())

#: Words after which a word that can be a noun or a verb ("support", "meeting") is read as a noun.
NOUN_CONTEXT = DETERMINERS | frozenset("""
    that no much many more most few several other another of for with about in on at from by without into after
    before over under between through during against
""".split())

#: Nouns in "-ing" of services and daily life, read as nouns however few texts put a determiner before them
#: ("staff training", "about housing"): :func:`nouns_in_ing` adds those the texts show.
ING_NOUNS = frozenset("""
    meeting training housing funding counselling counseling nursing schooling parenting mentoring screening
    evening building clothing wedding
""".split())

#: Auxiliaries and copulas: a word in "-ing" that opens a clause before one is its subject ("Smoking is banned").
AUXILIARIES = frozenset("""
    am is are was were be been has have had do does did can cannot could will would shall should may might must
""".split())

#: Prepositions and particles: a word in "-ing" before one is a verb ("asthma going on", "nice talking to you",
#: "test coming up"), also after a noun or adjective.
PARTICLES = frozenset("""
    of for with about in on at from by into over through to up out off down back away around
""".split())

#: Share of a verb's "-ing" form's occurrences (its plural included) that must be nouns for :func:`nouns_in_ing`.
ING_NOUN_SHARE = 0.1


#: Words after which a word that can be a noun or a verb is read as a verb ("tell me", "support the team").
VERB_OBJECTS = frozenset("me you him her us them it myself yourself himself herself ourselves themselves a an the "
                         "my our your their his its this these those".split())

#: Verbs of perception that link a subject to what it is like: in "-s" before "like", an adjective or an adverb they
#: are verbs ("That sounds good.", "Sounds like a plan.", "it looks really hard"), not the nouns "sounds", "looks".
LINKING_VERBS = frozenset("sound look seem feel smell taste".split())

#: Pronouns and articles: never the name of a theme, not even of one of backchannels ("Thank you.": "thank").
UNNAMING = VERB_OBJECTS | frozenset("i we he she they".split())


#: Texts of which :func:`english_share` reads the words, evenly spread over them: enough for the share, a bound on
#: the time taken.
ENGLISH_SAMPLE = 2000

#: Characters of each text of which :func:`english_share` reads the words: the language of a text shows in its
#: first sentences, and segments of tens of thousands of characters (a table's, which are not split by length) took
#: 30 s for 2,000 of them read whole.
ENGLISH_CHARS = 1000


def english_share(texts: list[str]) -> float | None:
    """Share of the words of ``texts`` (of :data:`ENGLISH_SAMPLE` of them at most, of the first
    :data:`ENGLISH_CHARS` characters of each) that the English lexicon (:func:`parts_of_speech`, by form or lemma)
    or spaCy's English stop words hold, or ``None`` for texts without a word. English interviews and chats score
    0.97 to 0.99, German or French ones below 0.4, and Chinese ones 0: the English tokenizer leaves a sentence
    without spaces whole, one unknown word (a clause of one, where a full-width comma joins it to the next:
    :func:`_joined_clauses`)."""
    nlp, known = lemmatizer(), parts_of_speech()["known"]
    step = -(-len(texts) // ENGLISH_SAMPLE) or 1
    english = total = 0
    for doc in nlp.pipe(_beginning(text, ENGLISH_CHARS) for text in texts[::step]):
        words = [token for token in doc if _is_word(token)]
        clauses = [run.lower() for token in doc for run in _joined_clauses(token)]  # words as much as tokens
        english += sum(bool({token.lower_, token.lemma_.lower()} & known) or token.lower_ in nlp.Defaults.stop_words
                       for token in words) + sum(run in known or run in nlp.Defaults.stop_words for run in clauses)
        total += len(words) + len(clauses)
    return english / total if total else None


def _beginning(text: str, limit: int) -> str:
    """The first ``limit`` characters of ``text``, less the word they cut (an unknown word made up), unless that is
    all of them (a script without spaces)."""
    head = text[:limit]
    if len(text) <= limit or text[limit].isspace():
        return head
    rest = re.sub(r"\S+$", "", head)
    return rest if rest.strip() else head


def _noun_phrases(doc, stop_words: frozenset[str] = frozenset(), ing_nouns: frozenset[str] = ING_NOUNS) -> list:
    """Noun phrases of ``doc`` from the lexicon alone: runs of words that can be nouns or adjectives, cut after the
    last that can be a noun. A word that can also be a verb (by its form or its lemma: "support", "medicines",
    "felt") joins a run after another word of it other than a plural noun ("peer support", not "workers need"),
    after a determiner or preposition, or where it opens a clause ("Weather is"), and never before a pronoun or
    determiner ("tell me", "support the team") nor, a verb of perception in "-s" (:data:`LINKING_VERBS`), before
    "like", an adjective or an adverb ("That sounds good"); an inflected verb form ("told", "laughed"), a word
    that can only be a verb or an adverb, and a stop word end the run. A verb's "-ing" form that is not in
    ``ing_nouns`` (the texts' nouns in "-ing", :func:`nouns_in_ing`) is a noun only after a determiner or
    possessive ("the coming weeks"), after a noun or adjective of the run ("binge drinking", "decision making") or
    opening a clause before a verb (:func:`_is_verb`: "Smoking is banned"), a verb after a preposition, a pronoun or
    a verb ("thanks for coming", "I was going") and before a preposition or particle (:data:`PARTICLES`: "winter
    coming up"). Words the lexicon does not know (names)
    count as nouns. A noun in "-ing" ("meeting", "training") keeps its own form as its lemma, not the verb's."""
    pos = parts_of_speech()
    nominal, known = pos["nominal"], pos["known"]
    tokens = list(doc)

    def kind(token) -> str:
        """``noun``, ``adj`` (can be an adjective, not a noun), ``either`` (a noun or adjective that can be a verb
        too) or ``other``."""
        form, lemma = token.lower_, token.lemma_.lower()
        if not _is_word(token) or form in stop_words or form in NOUN_CONTEXT:
            return "other"
        forms = {form, lemma}
        if not forms & known:
            return "other" if token.is_title else "noun"  # a name ("Sarah", a pseudonym) does not name a theme
        inflected_verb = form != lemma and lemma in pos["verb"] and (form.endswith(("ed", "ing"))
                                                                     or form in pos["verb"])
        if not forms & nominal or (inflected_verb and form not in pos["noun"]):
            return "other"
        if forms & pos["verb"]:
            return "either"
        return "noun" if forms & pos["noun"] else "adj"

    kinds = [kind(token) for token in tokens] + ["other"]
    describing = pos["adj"] | pos["adv"]
    for i, token in enumerate(tokens):
        if kinds[i] != "either":
            continue
        if i + 1 < len(tokens) and tokens[i + 1].lower_ in VERB_OBJECTS:  # "patients tell me", "we support the"
            kinds[i] = "other"
            continue
        before = tokens[i - 1].lower_ if i else ""
        form = token.lower_
        in_run = i > 0 and kinds[i - 1] != "other"
        opens_clause = i == 0 or tokens[i - 1].is_punct
        after = tokens[i + 1].lower_ if i + 1 < len(tokens) else ""
        if (token.lemma_.lower() in LINKING_VERBS and form.endswith("s") and form != token.lemma_.lower()
                and (after == "like" or after in describing)):
            kinds[i] = "other"  # "that sounds good", "sounds like a plan"
            continue
        if form.endswith("ing") and form != token.lemma_.lower() and form not in ing_nouns and not (
                before in DETERMINERS or after not in PARTICLES and (
                    in_run or opens_clause and _is_verb(tokens[i + 1:i + 2], pos["verb"]))):
            kinds[i] = "other"  # what speakers did: "for coming", "about talking", "I was going", "going on"
            continue
        if in_run:
            previous = tokens[i - 1]
            if previous.lower_ != previous.lemma_.lower() and previous.lower_.endswith("s"):
                kinds[i] = "other"  # after a plural noun, a verb: "workers need", "people say"
            continue
        if before not in NOUN_CONTEXT and not (opens_clause and i + 1 < len(tokens) and _is_word(tokens[i + 1])
                                               and tokens[i + 1].lower_ != "to"):
            kinds[i] = "other"
    phrases, start = [], None
    for i, current in enumerate(kinds):
        if current != "other":
            start = i if start is None else start
            continue
        if start is not None:
            nouns = [j for j in range(start, i) if kinds[j] in ("noun", "either")]
            if nouns:
                phrases.append(doc[start:nouns[-1] + 1])
            for token in tokens[start:i]:
                if token.lower_.endswith("ing") and token.lower_ in pos["noun"]:
                    token.lemma_ = token.lower_
        start = None
    return phrases


def _is_verb(tokens, verbs: frozenset[str]) -> bool:
    """Whether the first of ``tokens`` (none: no) is an auxiliary or a finite verb: one of :data:`AUXILIARIES`
    ("is", "can", "has") or a verb's form in "-s" or "-ed" ("helps", "helped"), as after a subject in "-ing"
    ("Smoking is banned", "Drinking helps")."""
    if not tokens:
        return False
    form, lemma = tokens[0].lower_, tokens[0].lemma_.lower()
    return form in AUXILIARIES or form != lemma and lemma in verbs and form.endswith(("s", "ed"))


#: Roman numerals that are no English word ("type II diabetes", "part III"); "iv" and "ix" are left alone, being
#: acronyms as often ("IV fluids").
ROMAN_NUMERALS = re.compile(r"(?:i{2,3}|vi{1,3})")


def _is_word(token) -> bool:
    """Whether ``token`` is a word: letters, and the combining marks of their script, at least one letter. spaCy's
    ``is_alpha`` (``str.isalpha``) refuses a mark: the vowel signs and viramas of Devanagari ("मला", "म्हणायचे"),
    Hebrew points, an accent written as a letter and a combining mark ("Können" as macOS writes it), so that a
    Marathi turn of three sentences was a turn "without a word", set aside as a minimal response."""
    return token.is_alpha or (any(char.isalpha() for char in token.text) and all(
        char.isalpha() or unicodedata.category(char).startswith("M") for char in token.text))


def _letter_runs(text: str) -> list[str]:
    """The runs of letters, with the combining marks of their script, in ``text`` ("我的姐姐", "家人很重要" of
    "我的姐姐，家人很重要"; "n" of "n't")."""
    runs, run = [], ""
    for char in text:
        if char.isalpha() or run and unicodedata.category(char).startswith("M"):
            run += char
        elif run:
            runs, run = runs + [run], ""
    return runs + [run] if run else runs


def _joined_clauses(token) -> list[str]:
    """The runs of letters of ``token`` (:func:`_letter_runs`) where it is no word but holds two or more: clauses
    the English tokenizer leaves joined at a full-width comma or stop ("我的姐姐每天都来看我，家人很重要"), which
    would make a Chinese or Japanese turn of two clauses a turn "without a word"."""
    runs = [] if _is_word(token) else _letter_runs(token.text)
    return runs if len(runs) > 1 else []


def _is_number(token) -> bool:
    """Whether ``token`` is a cardinal number in words or a Roman numeral ("seven", "thirty", "ii"): a rating
    ("Probably a seven.") or a count names no theme, and spaCy's stop words hold only some number words ("five",
    not "seven"). Ordinals, which spaCy's ``like_num`` counts too, stay: "second opinion", "third sector"."""
    ordinal = token.lower_.endswith(("first", "second", "third", "th"))
    return token.like_num and not ordinal or ROMAN_NUMERALS.fullmatch(token.lower_) is not None


#: First words of a transcriber's note in round brackets ("(laughs)", "(inaudible 00:12:01)"): round brackets hold
#: what speakers said too ("(he loves me)"), square ones only notes.
NOTE_WORDS = frozenset("""
    laugh laughs laughed laughing laughter chuckle chuckles chuckling giggles sigh sighs sighing cough coughs coughing
    crosstalk inaudible unintelligible indistinct pause pauses silence overlapping overtalk noise cries crying
    sniffs clears
""".split())


def _annotations(doc) -> set[int]:
    """Indices of the tokens inside square brackets, and inside round ones that open with one of
    :data:`NOTE_WORDS`: a transcriber's notes ("[laughter]", "[crosstalk]", "(laughs)", "(inaudible)"), not what
    anyone said."""
    inside, depth, note = set(), 0, False
    for token in doc:
        if token.text == "[":
            depth += 1
        elif token.text == "]":
            depth = max(depth - 1, 0)
        elif depth:
            inside.add(token.i)
        elif token.text == "(":
            note = token.i + 1 < len(doc) and doc[token.i + 1].lower_ in NOTE_WORDS
        elif token.text == ")":
            note = False
        elif note:
            inside.add(token.i)
    return inside


def proper_nouns(docs: Iterable) -> frozenset[str]:
    """Lower-cased words that the parsed ``docs`` mostly capitalise away from sentence starts (after a word or a
    comma): names such as "Sarah", "Grace" or "Musa", which the lexicon also knows as words, places and days. Only
    their capitalised occurrences after a word or a comma count for them ("Thank you, Grace", "with Musa"), so a
    word that opens sentences ("Time is…") is not taken for a name."""
    seen, capitalised = Counter(), Counter()
    for doc in docs:
        for previous, token in zip(doc, doc[1:]):
            if _is_word(token) and (_is_word(previous) or previous.text == ","):
                seen[token.lower_] += 1
                capitalised[token.lower_] += token.is_title
    return frozenset(word for word, n in seen.items() if 2 * capitalised[word] > n)


def nouns_in_ing(docs: Iterable) -> frozenset[str]:
    """Lower-cased "-ing" forms that the parsed ``docs`` use as nouns, and :data:`ING_NOUNS`: those of which at
    least :data:`ING_NOUN_SHARE` of the occurrences, their plural's included, are the plural ("feelings") or follow
    a determiner or possessive ("the drinking", "your smoking"). Forms that name what speakers did ("coming",
    "talking", "going") seldom do, whatever the preposition before them. (:func:`_noun_phrases` reads any "-ing"
    form as a noun after a noun or adjective, or as a subject, without them.)"""
    seen, nouns = Counter(), Counter()
    for doc in docs:
        for previous, token in zip([None, *doc], doc):
            form = token.lower_
            if form.endswith("ings"):
                seen[form[:-1]] += 1
                nouns[form[:-1]] += 1
            elif form.endswith("ing"):
                seen[form] += 1
                nouns[form] += previous is not None and previous.lower_ in DETERMINERS
    return ING_NOUNS | frozenset(form for form, n in nouns.items() if n and n >= ING_NOUN_SHARE * seen[form])


def _lower_case_lemmas(docs: Iterable, nlp) -> None:
    """Give the title-case words of the parsed ``docs`` the lookup lemma of their lower-case form ("Coming" ->
    "come", "Doctors" -> "doctor", "Thanks" -> "thank"): the lookup table's keys are lower-case, so a word that opens
    a sentence kept its own form as its lemma, a term apart from the same word in mid-sentence. Words in capitals
    keep theirs: they are acronyms ("AIDS" is not "aid", "US" not "us")."""
    table = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
    for doc in docs:
        for token in doc:
            if token.is_title and token.lemma_ == token.text:
                token.lemma_ = table.get(token.lower_, token.lower_)


def _ngrams(texts: list[str], nlp, spans: Callable[[object, frozenset[str], frozenset[str]], Iterable],
            ngram_range: tuple[int, int], extra_stop_words: frozenset[str],
            more_stop_words: list[frozenset[str]] | None = None, names: bool = True) -> list[list[tuple[str, str]]]:
    """``(lemma n-gram, surface n-gram)`` pairs of each text, lower-cased, from runs of consecutive content words
    (alphabetic, two letters or more, no number, :func:`_is_number`, neither the word nor its lemma a stop word or
    a name the texts mostly capitalise, :func:`proper_nouns`) within the ``spans`` of each parsed text
    (``spans(doc, stop_words, ing_nouns)``, with the texts' nouns in "-ing", :func:`nouns_in_ing`).

    ``more_stop_words`` are each text's stop words on top of ``nlp``'s and ``extra_stop_words`` (those of the other
    languages of its theme); without ``names`` (a language that capitalises every noun) no word is taken for a
    name. A word without a lemma (``nlp`` has no lemmatizer) is its own lemma."""
    low, high = ngram_range
    unique = list(dict.fromkeys(texts))  # transcripts repeat short turns ("Mm-hmm.") many times
    docs = list(nlp.pipe(unique, batch_size=256))
    if nlp.has_pipe("lemmatizer"):
        _lower_case_lemmas(docs, nlp)
    stop_words = frozenset(nlp.Defaults.stop_words) | extra_stop_words | (proper_nouns(docs) if names
                                                                          else frozenset())
    ing_nouns = nouns_in_ing(docs)
    parsed = dict(zip(unique, docs))
    keys = list(zip(texts, more_stop_words or [frozenset()] * len(texts)))
    analysed, joined = {}, {frozenset(): stop_words}
    for text, more in dict.fromkeys(keys):
        if more not in joined:  # a theme's texts share their stop words: joined once
            joined[more] = stop_words | more
        doc, stopped = parsed[text], joined[more]
        terms = []
        annotation = _annotations(doc)
        for span in spans(doc, stopped, ing_nouns):
            run = []
            for token in [*span, None]:
                lemma = (token.lemma_.lower() or token.lower_) if token is not None else ""
                if (token is not None and _is_word(token) and len(token) > 1 and token.lower_ not in stopped
                        and lemma not in stopped and token.i not in annotation and not _is_number(token)):
                    run.append((lemma, token.lower_))
                    continue
                for n in range(low, high + 1):
                    for start in range(len(run) - n + 1):
                        gram = run[start:start + n]
                        terms.append((" ".join(l for l, _ in gram), " ".join(s for _, s in gram)))
                run = []
        analysed[text, more] = terms
    return [analysed[key] for key in keys]


def lemma_ngrams(texts: list[str], ngram_range: tuple[int, int] = (1, 3),
                 extra_stop_words: frozenset[str] = SPOKEN_FILLERS,
                 more_stop_words: list[frozenset[str]] | None = None) -> list[list[tuple[str, str]]]:
    """Term pairs (:func:`_ngrams`) from every run of content words, with lookup lemmas (no trained pipeline)."""
    return _ngrams(texts, lemmatizer(), lambda doc, *_: [doc], ngram_range, extra_stop_words, more_stop_words)


def noun_phrase_ngrams(texts: list[str], ngram_range: tuple[int, int] = (1, 3),
                       extra_stop_words: frozenset[str] = SPOKEN_FILLERS,
                       more_stop_words: list[frozenset[str]] | None = None) -> list[list[tuple[str, str]]]:
    """Term pairs (:func:`_ngrams`) from the content words of each noun phrase (:func:`_noun_phrases`)."""
    return _ngrams(texts, lemmatizer(), _noun_phrases, ngram_range, extra_stop_words, more_stop_words)


def content_word_ngrams(texts: list[str], language: str, ngram_range: tuple[int, int] = (1, 3),
                        extra_stop_words: frozenset[str] = SPOKEN_FILLERS,
                        more_stop_words: list[frozenset[str]] | None = None) -> list[list[tuple[str, str]]]:
    """Term pairs (:func:`_ngrams`) of ``texts`` in the language ``language`` from every run of content words: its
    blank pipeline's (:func:`language_pipeline`) tokens, stop words and lookup lemmas where it has them (the
    English lexicon of noun phrases says nothing of another language). In a language that capitalises every noun
    (:data:`NOUNS_CAPITALISED`) no capitalised word is taken for a name."""
    if language == ENGLISH:
        return lemma_ngrams(texts, ngram_range, extra_stop_words, more_stop_words)
    return _ngrams(texts, language_pipeline(language), lambda doc, *_: [doc], ngram_range, extra_stop_words,
                   more_stop_words, names=language not in NOUNS_CAPITALISED)


#: Term extractors by name: ``terms`` of :class:`CTfidfLabeller`.
TERM_EXTRACTORS: dict[str, Callable[..., list[list[tuple[str, str]]]]] = {
    "noun_phrases": noun_phrase_ngrams,
    "content_words": lemma_ngrams,
}


def spread_sample(labels: np.ndarray, limit: int | None) -> np.ndarray:
    """Rows of at most ``limit`` segments of each class of ``labels`` (``-1`` is a class too), evenly spread over
    the class in the order given; every row when ``limit`` is ``None``."""
    if limit is None:
        return np.arange(len(labels))
    keep = []
    for label in np.unique(labels):
        rows = np.flatnonzero(labels == label)
        keep.append(rows if len(rows) <= limit else rows[np.unique(np.linspace(0, len(rows) - 1, limit).round()
                                                                    .astype(int))])
    return np.sort(np.concatenate(keep)) if keep else np.zeros(0, dtype=int)


@dataclass
class CTfidfLabeller:
    """Keywords and a label of 2–5 words per theme by class-based TF-IDF over lemma n-grams.

    Parameters
    ----------
    terms : str
        Where terms come from (:data:`TERM_EXTRACTORS`): ``"noun_phrases"`` (runs of words that can be nouns or
        adjectives, ending in a noun) or ``"content_words"`` (every run of content words).
    max_texts_per_class : int or None
        Segments analysed per theme and of the background, evenly spread over each (``None``: all), bounding the
        parsing time on large corpora.
    ngram_range : tuple of int
        Shortest and longest n-gram.
    n_keywords : int
        Keywords kept per theme.
    max_label_terms, max_label_words : int
        A label joins up to this many keywords and words.
    extra_stop_words : frozenset of str
        Words left out on top of spaCy's stop words (English, and those of the texts' languages);
        :data:`SPOKEN_FILLERS` by default.
    n_candidates : int
        When :meth:`fit` gets centroids and an encoder: the best c-TF-IDF terms that are re-ranked by similarity to
        the theme's centre.

    Attributes
    ----------
    terms_ : list of str
        The lemma n-grams (columns of ``class_counts_``), sorted.
    class_counts_ : scipy.sparse matrix
        Term counts per theme (rows ``0 … n_themes - 1``) and, in the last row, of the background.
    idf_ : ndarray
        The class-based inverse frequency of each term.
    surface_ : dict
        Most frequent surface form of each lemma n-gram.
    reranked_ : bool
        Whether terms are re-ranked by similarity to the theme centres.
    """

    terms: str = "noun_phrases"
    max_texts_per_class: int | None = 100
    ngram_range: tuple[int, int] = (1, 3)
    n_keywords: int = 10
    max_label_terms: int = 3
    max_label_words: int = 5
    extra_stop_words: frozenset[str] = SPOKEN_FILLERS
    n_candidates: int = 20

    def fit(self, texts: list[str], labels: np.ndarray, centroids: np.ndarray | None = None,
            encode=None, languages: list[str] | None = None) -> "CTfidfLabeller":
        """Count the terms of every theme; ``labels`` is ``-1`` for background segments.

        ``centroids`` (one L2-normalised row per theme) and ``encode`` (texts -> L2-normalised embeddings, the model
        that made the centroids) switch on the re-ranking of terms by similarity; without them terms rank by
        c-TF-IDF alone.

        ``languages`` (a code per text, :func:`language_code`; ``None``: English) are the texts' languages: a
        theme's words are then told from the stop words of English and of the languages of its segments, and the
        texts of a language other than English give every run of their content words (:func:`content_word_ngrams`),
        not English noun phrases.
        """
        labels = np.asarray(labels)
        if self.terms not in TERM_EXTRACTORS:
            raise InputError(f"unknown terms {self.terms!r}; choose one of {', '.join(TERM_EXTRACTORS)}")
        if languages is not None and len(languages) != len(texts):
            raise InputError(f"got {len(languages)} languages for {len(texts)} texts")
        # English alone is read as it was before there were languages, so its labels are those it had
        self._languages = (None if languages is None or all(code == ENGLISH for code in languages)
                           else np.array(languages, dtype=object))
        self._labels = labels
        sample = spread_sample(labels, self.max_texts_per_class)
        analysed = [[] for _ in texts]
        for row, pairs in zip(sample, self._terms_of([texts[i] for i in sample], sample)):
            analysed[row] = pairs
        surfaces: dict[str, Counter] = {}
        for pairs in analysed:
            for lemma, surface in pairs:
                surfaces.setdefault(lemma, Counter())[surface] += 1
        self.terms_ = sorted(surfaces)
        self.surface_ = {lemma: min(counts.items(), key=lambda item: (-item[1], item[0]))[0]
                         for lemma, counts in surfaces.items()}
        column = {term: j for j, term in enumerate(self.terms_)}
        rows = np.repeat(np.arange(len(analysed)), [len(pairs) for pairs in analysed])
        columns = np.array([column[lemma] for pairs in analysed for lemma, _ in pairs], dtype=np.int64)
        counts = sparse.csr_matrix((np.ones(len(columns)), (rows, columns)), shape=(len(texts), len(self.terms_)))
        n_themes = int(labels.max()) + 1 if len(labels) else 0
        classes = np.where(labels >= 0, labels, n_themes)
        membership = sparse.csr_matrix((np.ones(len(labels)), (classes, np.arange(len(labels)))),
                                       shape=(n_themes + 1, len(labels)))
        self.class_counts_ = (membership @ counts).tocsr()
        self._texts, self._labels = list(texts), labels
        self._words_of: dict[int, list[tuple[str, bool, bool]]] = {}
        self._analysed = np.isin(np.arange(len(texts)), sample)
        self._with_terms = np.array([bool(pairs) for pairs in analysed], dtype=bool)
        frequency = np.asarray(self.class_counts_.sum(axis=0)).ravel()
        average = max(float(self.class_counts_.sum(axis=1).mean()), 1.0)
        self.idf_ = np.log(1.0 + average / np.maximum(frequency, 1.0))
        self.reranked_ = centroids is not None and encode is not None and n_themes > 0
        if self.reranked_:
            self._centroids = np.asarray(centroids, dtype=np.float32)
            self._sizes = np.bincount(labels[labels >= 0], minlength=n_themes).astype(np.float32)
            self._encode, self._term_vectors = encode, {}
        return self

    def _terms_of(self, texts: list[str], rows: np.ndarray) -> list[list[tuple[str, str]]]:
        """Term pairs of the ``texts`` of ``rows``: of each language apart, with the stop words of the languages of
        its theme (of the background, for a segment outside any) where the texts are not all English."""
        if self._languages is None:
            return TERM_EXTRACTORS[self.terms](texts, self.ngram_range, self.extra_stop_words)
        classes = sorted(set(self._labels.tolist()))
        stop_words = {k: language_stop_words(self._languages[self._labels == k]) for k in classes}
        languages = self._languages[rows]
        more = [stop_words[k] for k in self._labels[rows]]
        pairs: list[list[tuple[str, str]]] = [[] for _ in texts]
        for code in sorted(set(languages)):
            at = np.flatnonzero(languages == code)
            chosen, added = [texts[i] for i in at], [more[i] for i in at]
            found = (TERM_EXTRACTORS[self.terms](chosen, self.ngram_range, self.extra_stop_words, added)
                     if code == ENGLISH else
                     content_word_ngrams(chosen, code, self.ngram_range, self.extra_stop_words, added))
            for i, terms in zip(at, found):
                pairs[i] = terms
        return pairs

    def _themes_languages(self, themes: list[int]) -> list[str]:
        """The languages of the themes' segments, in code order (English alone where none are given)."""
        if self._languages is None:
            return [ENGLISH]
        return sorted(set(self._languages[np.isin(self._labels, themes)]))

    def _language(self, i: int) -> str:
        """The language of text ``i``."""
        return ENGLISH if self._languages is None else self._languages[i]

    def _stop_words(self, themes: list[int]) -> frozenset[str]:
        """spaCy's stop words of English and of the languages of the themes' segments."""
        if self._languages is None:
            return lemmatizer().Defaults.stop_words
        return language_stop_words(self._themes_languages(themes))

    def _lemma(self, word: str, themes: list[int]) -> str:
        """The lookup lemma of ``word``, a lower-case word of the themes' segments: English's, else that of the
        first of their languages with a lookup table that has one (a noun as capitalised where every noun is)."""
        if self._languages is None:
            return lemmatizer()(word)[0].lemma_.lower()
        for code in self._themes_languages(themes):
            nlp = language_pipeline(code)
            if not nlp.has_pipe("lemmatizer"):
                continue
            for form in (word, word.capitalize()) if code in NOUNS_CAPITALISED else (word,):
                lemma = nlp(form)[0].lemma_.lower()
                if lemma != word:
                    return lemma
        return word

    def _similarities(self, terms: list[str], themes: list[int]) -> np.ndarray:
        """Cosine similarity of each term's surface form to the (size-weighted) centre of ``themes``."""
        missing = [term for term in dict.fromkeys(terms) if term not in self._term_vectors]
        if missing:
            self._term_vectors.update(zip(missing, self._encode([self.surface_[t] for t in missing])))
        centre = self._sizes[themes] @ self._centroids[themes]
        centre = centre / max(float(np.linalg.norm(centre)), 1e-12)
        return np.array([float(self._term_vectors[term] @ centre) for term in terms])

    def _ranked_terms(self, themes: list[int], min_count: int = 1) -> list[tuple[str, float]]:
        """``(lemma n-gram, score)`` of the best terms of the union of ``themes`` said at least ``min_count`` times
        in their analysed segments (``n_candidates``, or ``n_keywords`` if more), best first.

        Terms said at least twice in the themes are preferred; ties go to the alphabetically first term. The score
        is the c-TF-IDF weight, or, when re-ranking, the similarity to the themes' centre of the ``n_candidates``
        best c-TF-IDF terms. Backchannels (:meth:`_backchannels`) have none.
        """
        if self._backchannels(themes):
            return []
        counts = np.asarray(self.class_counts_[themes].sum(axis=0)).ravel()
        total = counts.sum()
        if total == 0:
            return []
        scores = counts / total * self.idf_
        repeated = counts >= 2
        candidates = np.flatnonzero((repeated if repeated.any() else counts > 0) & (counts >= min_count))
        if not len(candidates):
            return []
        if not self.reranked_:
            order = sorted(candidates, key=lambda j: (-scores[j], self.terms_[j]))[: max(self.n_candidates,
                                                                                          self.n_keywords)]
            return [(self.terms_[j], round(float(scores[j]), 4)) for j in order]
        order = sorted(candidates, key=lambda j: (-scores[j], self.terms_[j]))[: max(self.n_candidates, 1)]
        terms = [self.terms_[j] for j in order]
        similarity = np.round(self._similarities(terms, themes), 4)
        ranked = sorted(zip(terms, similarity), key=lambda item: (-item[1], item[0]))
        return [(term, float(score)) for term, score in ranked]

    def keywords(self, themes: list[int]) -> list[tuple[str, float]]:
        """``(term, score)`` of the ``n_keywords`` best terms of the union of ``themes`` in their surface form, best
        first, none of them a part of another: a term inside a better one is left out ("worker" after "peer
        worker"), and one that extends better ones takes the place of the first ("disability" then "disability
        pension")."""
        kept: list[tuple[str, float]] = []
        for term, score in self._ranked_terms(themes):
            if any(f" {term} " in f" {better} " for better, _ in kept):
                continue
            parts = [i for i, (better, _) in enumerate(kept) if f" {better} " in f" {term} "]
            kept = [(term, score) if i == parts[0] else item for i, item in enumerate(kept)
                    if i not in parts[1:]] if parts else kept + [(term, score)]
        return [(self.surface_[term], score) for term, score in kept[: self.n_keywords]]

    def label(self, themes: list[int]) -> str:
        """A label of up to ``max_label_terms`` keywords and ``max_label_words`` words, joined by commas.

        A keyword that extends one already chosen replaces it (``"peer"`` then ``"peer worker"``); one whose
        lemmas are all in the label already is skipped, and so, when re-ranking, is one whose embedding is as close
        as :data:`REDUNDANT_SIMILARITY` to a chosen keyword's. A label of one word gets the segments' next most
        frequent word that they say as often as :data:`MIN_WORD_SHARE` of their number. A keyword said once names
        no theme of more than ten analysed segments (it is one segment's), so the segments of such a theme that
        share no term (18 demo turns that share only "[laughs]" were "mama matron, space, key story") are named
        as backchannels (:meth:`_backchannels`) are, by their most frequent word (:meth:`_fallback_label`).
        """
        if self._backchannels(themes):
            return self._fallback_label(themes)
        chosen: list[str] = []
        analysed = int((self._analysed & np.isin(self._labels, themes)).sum())
        for term, _ in self._ranked_terms(themes, min_count=min(2, int(np.ceil(MIN_WORD_SHARE * analysed)))):
            if self._repeats(term, chosen):  # "meeting" after "meetings" says nothing new
                continue
            candidate = [c for c in chosen if f" {c} " not in f" {term} "] + [term]
            if sum(len(c.split()) for c in candidate) > self.max_label_words:
                continue
            chosen = candidate
            if len(chosen) == self.max_label_terms:
                break
        words = [self.surface_[term] for term in chosen]
        size = int(np.isin(self._labels, themes).sum())
        for word in self._frequent_words(themes, min_count=int(np.ceil(MIN_WORD_SHARE * size))):  # two words
            if sum(len(w.split()) for w in words) >= 2:
                break
            lemma = self._lemma(word, themes)
            if word in " ".join(words).split() or self._repeats(lemma, chosen):
                continue
            words.append(word)
            chosen.append(lemma)
        return ", ".join(words) if words else self._fallback_label(themes)

    def _fallback_label(self, themes: list[int]) -> str:
        """The most frequent word of the themes' segments when they hold no content word they share (e.g. only
        "Okay.") or are backchannels (:meth:`_backchannels`): one that is not a stop word where they say one
        twice or more ("okay", "right", "mm"; a theme of unrelated turns was named "that"), else one other than a
        pronoun or article (:data:`UNNAMING`); a transcriber's note in its brackets ("[laughs]": turns that share only
        laughter); without a word, their most frequent symbol (chat messages of emoji alone: "😊"), else
        ``"(no words)"``."""
        counts = self._word_counts(themes, content_only=False)
        words = _by_frequency(counts)
        if words:
            stop_words = self._stop_words(themes) | UNNAMING
            return next((word for word in words if word not in stop_words and counts[word] > 1),
                        next((word for word in words if word not in UNNAMING), words[0]))
        return self._frequent_symbol(themes) or "(no words)"

    def _frequent_symbol(self, themes: list[int]) -> str:
        """The most frequent token of the themes' segments that holds a symbol (an emoji, "+"; ties go to the first
        in code point order), ``""`` where none does."""
        symbols = Counter(token.text for i, text in enumerate(self._texts) if self._labels[i] in themes
                          for token in lemmatizer().make_doc(text)
                          if any(unicodedata.category(char).startswith("S") for char in token.text))
        return min(symbols.items(), key=lambda item: (-item[1], item[0]))[0] if symbols else ""

    def _backchannels(self, themes: list[int]) -> bool:
        """Whether fewer than :data:`MIN_TERM_SHARE` of the themes' analysed segments hold a term: backchannels
        ("Mm-hmm.", "Right.") that a term one of them says ("CEO") would misname."""
        analysed = self._analysed & np.isin(self._labels, themes)
        return bool(analysed.any()) and self._with_terms[analysed].mean() < MIN_TERM_SHARE

    def _repeats(self, term: str, chosen: list[str]) -> bool:
        """Whether ``term``'s lemmas are all in ``chosen`` already, or (re-ranking) its embedding is as close as
        :data:`REDUNDANT_SIMILARITY` to a chosen term's."""
        if set(term.split()) <= {word for c in chosen for word in c.split()}:
            return True
        vectors = self._term_vectors if self.reranked_ else {}
        return term in vectors and any(float(vectors[term] @ vectors[c]) >= REDUNDANT_SIMILARITY
                                       for c in chosen if c in vectors)

    def distinct(self, labels: list[str]) -> list[str]:
        """``labels`` of the themes ``0, 1, …`` with a label that several themes share completed, in each of them,
        by the word that sets it apart: of the words said as often as :data:`MIN_WORD_SHARE` of the theme's
        segments, other than a transcriber's note, the one whose share of them most exceeds its share in any other
        theme of that label, a content word where one does (AnnoMI client's four themes "yeah" are "yeah",
        "yeah, guess", "yeah, definitely" and "yeah, oh"). A theme where no word is more frequent than in the others
        keeps its label."""
        distinct = list(labels)
        for label in sorted(set(labels)):
            themes = [k for k, other in enumerate(labels) if other == label]
            if len(themes) < 2:
                continue
            said = set(label.replace(",", " ").split()) | UNNAMING
            for content_only in (True, False):
                shares = {k: self._word_shares(k, content_only) for k in themes}
                for k in themes:
                    if distinct[k] != label:
                        continue
                    lead = [(max(shares[j].get(word, 0.0) for j in themes if j != k) - share, word)
                            for word, share in shares[k].items() if word not in said and share >= MIN_WORD_SHARE]
                    best = min(lead, default=(0.0, ""))
                    if best[0] < 0:
                        distinct[k] = f"{label}, {best[1]}"
        return distinct

    def _word_shares(self, theme: int, content_only: bool) -> dict[str, float]:
        """Occurrences of each of the theme's words (:meth:`_frequent_words`, none of a transcriber's note) per
        segment of the theme."""
        size = max(int((self._labels == theme).sum()), 1)
        return {word: n / size for word, n in self._word_counts([theme], content_only, notes=False).items()}

    def _frequent_words(self, themes: list[int], content_only: bool = True, min_count: int = 1) -> list[str]:
        """The words of the themes' segments said at least ``min_count`` times, most frequent first; with
        ``content_only``, no stop words, fillers, names, numbers or transcriber's notes, and without, the words of
        notes in square brackets ("[laughs]", "(laughs)" too)."""
        return _by_frequency(self._word_counts(themes, content_only), min_count)

    def _word_counts(self, themes: list[int], content_only: bool, notes: bool = True) -> Counter:
        """How often the themes' segments say each word (:meth:`_frequent_words`); without ``notes``, the words of
        transcriber's notes are left out in any case."""
        stop_words = self._stop_words(themes) | SPOKEN_FILLERS if content_only else frozenset()
        leave_notes = content_only or not notes
        words = Counter()
        for i in np.flatnonzero(np.isin(self._labels, themes)):
            words.update(f"[{lower}]" if in_note else lower for lower, in_note, content in self._segment_words(int(i))
                         if not (in_note and leave_notes)
                         and (not content_only or (content and lower not in stop_words)))
        return words

    def _segment_words(self, i: int) -> list[tuple[str, bool, bool]]:
        """The words of segment ``i`` that :meth:`_word_counts` may count, in their order, each as ``(lower case,
        in a transcriber's note, a content word but for stop words)``: each segment is parsed once, though the
        labels of a hierarchy's branches count their themes' segments again (the stop words, which depend on the
        themes' languages, are left out by the caller)."""
        if i not in self._words_of:
            language = self._language(i)
            doc = language_pipeline(language).make_doc(self._texts[i])
            note = _annotations(doc)
            names = language not in NOUNS_CAPITALISED  # where every noun is capitalised, no word is a name
            self._words_of[i] = [(token.lower_, token.i in note,
                                  len(token) > 1 and not (names and token.is_title) and not _is_number(token))
                                 for token in doc if _is_word(token)]
        return self._words_of[i]


def _by_frequency(counts: Counter, min_count: int = 1) -> list[str]:
    """The words of ``counts`` said at least ``min_count`` times, most frequent first (ties alphabetical)."""
    return [word for word, n in sorted(counts.items(), key=lambda item: (-item[1], item[0])) if n >= min_count]
