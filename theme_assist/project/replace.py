"""``project replace``: a corrected transcript (a name redacted, a place generalised, a transcription fixed) takes
the place of a document coders have started on, their codes carried over.

In one transaction the old document is withdrawn (:meth:`~theme_assist.project.store.ProjectStore.withdraw`,
kept for the audit trail and ``project restore``), the corrected one added as a new document (read and segmented
as ``project add`` does: :func:`~theme_assist.project.build.plan_addition`) under a new name with the old one's
metadata, in its place in the documents' order (not last), and each coder's current codes
(:func:`~theme_assist.project.audit.current_codings`) on the old segments are stored as imported codings on the new
segments they match (:func:`match_segments`). A document's name cannot be reused: the tables are append-only and
segment ids hold the name. Machine suggestions are not carried over: ``project suggest`` makes them for the new
segments.

Segments are matched one to one, in document order: first those of one speaker whose texts are equal once spaces
and Unicode form are normalised (:func:`normalised`), then, between those, near matches of one speaker whose
:func:`similarity` is at least :data:`NEAR`. A speaker renamed throughout ("John" → "P1") counts as the same: each
old speaker is read as the new one that most of its texts found equal in the new version have (itself where it is
one of the most). An old or new version without speakers (labels added, or lost, in the correction) is matched
on texts alone.
A near match that adds or drops a negation or changes a number ("It was fine." → "It was not
fine.") is none (:func:`changed_meaning`): the report says so. A turn split in two, or two merged into one,
matches neither part: never one segment to several.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher
from pathlib import Path

import pandas as pd

from theme_assist.documents import Document
from theme_assist.errors import InputError
from theme_assist.names import as_stored, did_you_mean, has_visible_character, name_key
from theme_assist.project.store import ProjectStore

logger = logging.getLogger(__name__)

NEAR = 0.85
"""The :func:`similarity` from which two segments of one speaker match as a small edit of each other."""

SUFFIX = "-v"
"""The default name of the corrected document: the old one's with ``-v2`` (``fg_01`` → ``fg_01-v2``; ``fg_01-v2``
→ ``fg_01-v3``), the first such name no document of the project, withdrawn ones included, has."""

CARRIED_SOURCE = "carried from {document} by project replace"
"""The ``source`` of the codings carried over (as ``project info`` and the audit trail show it)."""

_PLACEHOLDER = re.compile(r"^\W*(?:[\[<{(][^\]>})]*[\]>})]|x{2,}|\*{2,}|_{2,}|#{2,}|…|\.\.\.)\W*$", re.IGNORECASE)
"""A token that stands for words redacted: ``[NAME]``, ``<place>``, ``XXX``, ``***``, ``___``."""

_PER_PLACEHOLDER = 6
"""The most words one placeholder counts as standing for ("St Mary's Hospital in Ulm" → "[HOSPITAL]")."""

_NEGATIONS = frozenset({"not", "never", "no", "nothing", "nobody", "none", "neither", "nor", "cannot",
                        "without", "nah", "nope", "naw", "dunno"})
"""Words that negate (and any ending in "n't"; spoken ones too, so that "Nah" → "No" or "dunno" → "don't know" keeps
the negation): a near match that adds or drops one may say the opposite."""

_NUMBER_WORDS = dict(zip("two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
                         "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety "
                         "hundred thousand million billion".split(),
                         [*map(str, range(2, 21)), *map(str, range(30, 100, 10)), "100", "1000", "1000000",
                          "1000000000"]))
"""Numbers written out, with their digits ("one" left out: more often a pronoun, "the one I liked"; it is 1 only
where the other side has a "1" more, "one brother" → "1 brother"): "two years" and "2 years" hold one number."""

_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")
"""A number with commas between its thousands ("1,200"): "1200" written another way."""

_NUMBER = re.compile(r"[£$€]?(\d+(?:[.,:]\d+)*)(?:st|nd|rd|th|s|am|pm|%)?")
"""A number written in digits ("34", "1,200", "£5", "3pm", "1990s"): its digits."""

_BAND = 50
"""In a long stretch without an exact match, a segment is compared with the new segments within this many places of
its own (relative to the stretch): comparing every pair of a rewritten document of thousands of turns took
minutes."""


def normalised(text: str) -> str:
    """``text`` in Unicode form NFKC with its spaces and line breaks collapsed to single spaces, as segments are
    compared."""
    return " ".join(unicodedata.normalize("NFKC", str(text)).split())


def similarity(old: str, new: str, near: float = NEAR) -> float:
    """How alike two normalised segment texts are, in [0, 1]: the larger of difflib's ratio on their characters and
    the share of their words that are the same or redacted (a run of at most :data:`_PER_PLACEHOLDER` words
    replaced by placeholders, "I met John at St Mary's" → "I met [NAME] at [HOSPITAL]", counts as the same), where
    a word is kept: a turn redacted whole ("I was in Ulm" → "[REDACTED]") could be any short turn.

    The ratio on characters, slow, is computed only where the share of words is below ``near`` (the threshold the
    caller matches at) and the ratio could reach it: whether the score reaches ``near`` is always told right."""
    if not old or not new:
        return 0.0
    old_words, new_words = old.split(), new.split()
    kept = redacted = 0
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old_words, new_words, autojunk=False).get_opcodes():
        if tag == "equal":
            kept += 2 * (i2 - i1)
        elif tag == "replace" and _redaction(old_words[i1:i2], new_words[j1:j2]):
            redacted += (i2 - i1) + (j2 - j1)
    # a turn redacted whole ("[REDACTED]") keeps no word to tell which turn it was: it would match any short one
    by_words = (kept + redacted) / (len(old_words) + len(new_words)) if kept else 0.0
    if by_words >= near:
        return by_words
    characters = SequenceMatcher(None, old, new, autojunk=False)
    if characters.real_quick_ratio() < near or characters.quick_ratio() < near:
        return by_words
    return max(by_words, characters.ratio())


def changed_meaning(old: str, new: str) -> str:
    """Why a near match of two normalised segment texts may not say the same: ``"adds a negation"`` or ``"drops a
    negation"`` where the words changed (redactions aside) hold more or fewer of :data:`_NEGATIONS` ("It was
    fine." → "It was not fine."), ``"changes a number"`` where they hold other numbers ("two years" → "three
    years"; a number written another way, "two" → "2", "one" → "1" or "1,200" → "1200", is the same); ``""`` where
    neither.
    Words said twice over are read once ("No, no, no." → "No.", "I didn't, I didn't go" → "I didn't go": a
    transcript cleaned of repetitions says the same)."""
    old_words, new_words = _said_once(old.split()), _said_once(new.split())
    negations, numbers, ones = [0, 0], [Counter(), Counter()], [0, 0]
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old_words, new_words, autojunk=False).get_opcodes():
        if tag == "equal" or (tag == "replace" and _redaction(old_words[i1:i2], new_words[j1:j2])):
            continue
        for side, words in enumerate((old_words[i1:i2], new_words[j1:j2])):
            for token in (part.strip(".,;:!?\"'“”‘’()[]{}…").lower() for word in words
                          for part in re.split(r"[-–—/]", word)):
                negations[side] += token in _NEGATIONS or token.endswith(("n't", "n’t"))
                if number := _NUMBER.fullmatch(token):
                    digits = number.group(1)
                    numbers[side][digits.replace(",", "") if _THOUSANDS.fullmatch(digits) else digits] += 1
                elif token in _NUMBER_WORDS:
                    numbers[side][_NUMBER_WORDS[token]] += 1
                ones[side] += token == "one"
    for side in (0, 1):  # "one" for a "1" of the other side: the same number ("the one I liked" is none)
        if (written := min(ones[side], numbers[1 - side]["1"] - numbers[side]["1"])) > 0:
            numbers[side]["1"] += written
    if negations[0] != negations[1]:
        return "adds a negation" if negations[1] > negations[0] else "drops a negation"
    return "changes a number" if numbers[0] != numbers[1] else ""


def _said_once(words: list[str], longest: int = 3) -> list[str]:
    """``words`` without a run of up to ``longest`` words that repeats the run just before it, read without case
    or punctuation around them ("no, no, no", "I didn't, I didn't", "I- I-")."""
    kept: list[str] = []
    keys: list[str] = []
    for word in words:
        kept.append(word)
        keys.append(word.strip(".,;:!?\"'“”‘’()…-–—").lower())
        for size in range(1, longest + 1):
            if len(keys) >= 2 * size and keys[-size:] == keys[-2 * size:-size] and any(keys[-size:]):
                del kept[-size:], keys[-size:]
                break
    return kept


def _redaction(old_words: list[str], new_words: list[str]) -> bool:
    """Whether ``new_words``, in place of ``old_words``, are placeholders for them (at most
    :data:`_PER_PLACEHOLDER` words each)."""
    return all(_PLACEHOLDER.match(word) for word in new_words) and len(old_words) <= _PER_PLACEHOLDER * len(new_words)


@dataclass(frozen=True)
class Matching:
    """Old segments matched to new ones: ``pairs`` (``old``, ``new``, ``kind``: ``exact`` or ``near``, ``score``),
    and the ids left without a match on either side, in document order; ``refused``, of the old ones left, those
    alike enough to a new one of their stretch (``old``, ``new``, ``score``: the most alike) that were not matched
    as it may not say the same (``reason``: :func:`changed_meaning`); ``redacted``, old id → new id, for an old one
    left where its stretch has, of its speaker, exactly one old segment and one new segment left, the new one all
    placeholders: a turn redacted whole ("[REDACTED]") keeps no word to match it by, but may well stand in its place."""

    pairs: pd.DataFrame
    old_unmatched: list[str]
    new_unmatched: list[str]
    refused: pd.DataFrame
    redacted: dict[str, str] = field(default_factory=dict)

    def count(self, kind: str) -> int:
        return int((self.pairs["kind"] == kind).sum())


def match_segments(old: pd.DataFrame, new: pd.DataFrame, near: float = NEAR) -> Matching:
    """Match the segments of a document (``old``) to those of its corrected transcript (``new``), both in document
    order (``segment_id``, ``speaker``, ``text``): one to one, never crossing (see the module docstring)."""
    old_texts, new_texts = [normalised(t) for t in old["text"]], [normalised(t) for t in new["text"]]
    old_ids, new_ids = list(old["segment_id"]), list(new["segment_id"])
    old_speakers = [normalised(s) for s in old["speaker"].fillna("")]
    new_speakers = [normalised(s) for s in new["speaker"].fillna("")]
    if not any(old_speakers) or not any(new_speakers):  # labels added, or lost, in the correction: the texts tell
        old_speakers, new_speakers = [""] * len(old_speakers), [""] * len(new_speakers)
    renamed: dict[str, Counter] = {}
    for i, j in _exact(old_texts, new_texts, old_texts):  # the texts alone: which speaker each old one is now
        renamed.setdefault(old_speakers[i], Counter())[new_speakers[j]] += 1
    speaker_of = {speaker: max(counts, key=lambda now: (counts[now], now == speaker))
                  for speaker, counts in renamed.items()}
    as_new = [speaker_of.get(s, s) for s in old_speakers]  # once: a long document has thousands of stretches
    # then the texts of one speaker: an interviewer's "Yes." is not a participant's, even where a speaker was
    # corrected; a speaker renamed throughout is one
    exact = _exact(list(zip(as_new, old_texts)), list(zip(new_speakers, new_texts)), old_texts)
    rows = [(old_ids[i], new_ids[j], "exact", 1.0) for i, j in exact]
    bounds = [(-1, -1), *exact, (len(old_ids), len(new_ids))]
    refused: list[tuple[int, int, float, str]] = []
    for (i0, j0), (i1, j1) in zip(bounds, bounds[1:]):
        for i, j, score in _near_in_stretch(range(i0 + 1, i1), range(j0 + 1, j1), old_texts, new_texts, as_new,
                                            new_speakers, near, refused):
            rows.append((old_ids[i], new_ids[j], "near", round(score, 3)))
    pairs = pd.DataFrame(rows, columns=["old", "new", "kind", "score"])
    order = {segment: at for at, segment in enumerate(old_ids)}
    pairs = pairs.sort_values("old", key=lambda ids: ids.map(order), kind="stable").reset_index(drop=True)
    paired_old, paired_new = set(pairs["old"]), set(pairs["new"])
    most_alike: dict[int, tuple[int, int, float, str]] = {}
    for i, j, score, reason in refused:
        if old_ids[i] not in paired_old and (i not in most_alike or score > most_alike[i][2]):
            most_alike[i] = (i, j, score, reason)
    refused_table = pd.DataFrame([(old_ids[i], new_ids[j], round(score, 3), reason) for i, j, score, reason in
                                  sorted(most_alike.values())], columns=["old", "new", "score", "reason"])
    redacted = {}
    for (i0, j0), (i1, j1) in zip(bounds, bounds[1:]):
        whole = [j for j in range(j0 + 1, j1) if new_ids[j] not in paired_new and new_texts[j]
                 and all(_PLACEHOLDER.match(word) for word in new_texts[j].split())]
        left = [i for i in range(i0 + 1, i1) if old_ids[i] not in paired_old] if whole else []
        for i in left:  # one turn for one turn: two of a speaker beside one redacted turn, either could be it
            of_speaker = [j for j in whole if new_speakers[j] == as_new[i]]
            if len(of_speaker) == 1 and sum(as_new[k] == as_new[i] for k in left) == 1:
                redacted[old_ids[i]] = new_ids[of_speaker[0]]
    return Matching(pairs, [s for s in old_ids if s not in paired_old], [s for s in new_ids if s not in paired_new],
                    refused_table, redacted)


def _exact(old: list, new: list, old_texts: list[str]) -> list[tuple[int, int]]:
    """The places ``(i, j)`` of the longest matching of equal items of ``old`` and ``new`` in order (difflib's
    matching blocks), but for old segments without text."""
    return [(block.a + k, block.b + k) for block in SequenceMatcher(None, old, new, autojunk=False)
            .get_matching_blocks() for k in range(block.size) if old_texts[block.a + k]]


def _near_in_stretch(olds: range, news: range, old_texts: list[str], new_texts: list[str], old_speakers: list[str],
                     new_speakers: list[str], near: float,
                     refused: list[tuple[int, int, float, str]] | None = None) -> list[tuple[int, int, float]]:
    """The near matches between the segments ``olds`` and ``news`` of a stretch between two exact matches: the
    most pairs of one speaker and :func:`similarity` at least ``near`` that do not cross, then the most alike. A
    pair that may not say the same (:func:`changed_meaning`) is none: it goes to ``refused`` (``i``, ``j``,
    ``score``, ``reason``).

    The pairs that reach ``near`` are the only cells of the dynamic programme kept (a table of every pair of a
    rewritten document of thousands of turns took hundreds of megabytes): each pair's best matching ending in it is
    found from those of earlier rows by a Fenwick tree over the columns; ties are broken as the full table's walk
    back from its last cell broke them (the pair in the column just before, else the earliest row, then the last
    column)."""
    n, m = len(olds), len(news)
    if not n or not m:
        return []
    banded = n * m > 250_000
    found: list[tuple[int, int, float]] = []  # (row, column, score) of the pairs that reach near, by row then column
    for a, i in enumerate(olds):
        centre = a * m / n
        columns = range(max(0, int(centre) - _BAND - 1), min(m, int(centre) + _BAND + 2)) if banded else range(m)
        for b in columns:
            j = news[b]
            if old_speakers[i] != new_speakers[j] or (banded and abs(centre - b) > _BAND):
                continue
            score = similarity(old_texts[i], new_texts[j], near)
            if score < near:
                continue
            if reason := changed_meaning(old_texts[i], new_texts[j]):
                if refused is not None:
                    refused.append((i, j, score, reason))
            else:
                found.append((a, b, score))
    if not found:
        return []
    pair = min(n, m) + 1  # a pair's weight beside its score: more than any matching's scores, so more pairs win
    none = (-1.0, 0, 0, -1)
    tree = [none] * (m + 1)  # over columns: the best (weight, -row, column, pair) of the rows done, in a prefix
    in_column: list[tuple[float, int] | None] = [None] * m  # the best (weight, pair) in each column, the last row's
    weight, before = [0.0] * len(found), [-1] * len(found)
    at = 0
    while at < len(found):
        row = at
        while at < len(found) and found[at][0] == found[row][0]:
            a, b, score = found[at]
            best = _best_before(tree, b)  # the best matching of the rows above and the columns left of (a, b)
            weight[at] = max(best[0], 0.0) + pair + score
            left = in_column[b - 1] if b else None
            before[at] = left[1] if left is not None and left[0] == best[0] else best[3]
            at += 1
        for done in range(row, at):  # once the row is done: a matching takes one pair of a row
            a, b, _ = found[done]
            entry, k = (weight[done], -a, b, done), b + 1
            while k <= m:
                tree[k] = max(tree[k], entry)
                k += k & -k
            if in_column[b] is None or weight[done] >= in_column[b][0]:
                in_column[b] = (weight[done], done)
    best, last = _best_before(tree, m), in_column[m - 1]
    chain, done = [], last[1] if last is not None and last[0] == best[0] else best[3]
    while done != -1:
        chain.append((olds[found[done][0]], news[found[done][1]], found[done][2]))
        done = before[done]
    return chain[::-1]


def _best_before(tree: list[tuple[float, int, int, int]], column: int) -> tuple[float, int, int, int]:
    """The largest entry of the Fenwick ``tree`` (1-based) in the columns before ``column``."""
    best = tree[0]  # never written: the entry of no pair
    while column:
        best = max(best, tree[column])
        column -= column & -column
    return best


@dataclass(frozen=True)
class Replacement:
    """What ``project replace`` does, or did: ``document`` replaced by ``name`` read from ``file``; the segments
    matched; ``carried``, the codings carried over (``segment_id``, ``code``, ``coder``, ``carried_from``,
    ``suggestions_shown``); ``left``, the coded segments of ``document`` without a match (``segment_id``, ``text``,
    ``codes``: "Ann: work; Ben: family"; ``reason``, for one alike enough to a new segment that was not matched as it
    may not say the same: "iv_01-v2:6 is 86% alike but adds a negation", or where a new one redacted whole may
    stand in its place: "iv_01-v2:4 in its place is redacted whole", see :class:`Matching`), which stay on the
    withdrawn document only; ``recode``, the segments of ``document`` that waited to be recoded after a split
    (:meth:`~theme_assist.project.store.ProjectStore.to_recode`, with ``new``: the segment matched, or ``""``),
    which carry no code and wait for nobody on the new document."""

    document: str
    name: str
    file: Path
    old_segments: int
    new_segments: int
    matching: Matching
    carried: pd.DataFrame
    left: pd.DataFrame
    recode: pd.DataFrame


def default_name(document: str, taken: set[str]) -> str:
    """``document`` with :data:`SUFFIX` and the next number (``fg_01-v2``; ``fg_01-v2`` → ``fg_01-v3``) that no
    name of ``taken`` has, apart only in case, Unicode form or invisible characters (as ``--as`` is refused)."""
    found = re.fullmatch(rf"(.*){re.escape(SUFFIX)}(\d+)", document)
    stem, number = (found.group(1), int(found.group(2)) + 1) if found else (document, 2)
    keys = {name_key(name) for name in taken}
    while name_key(f"{stem}{SUFFIX}{number}") in keys:
        number += 1
    return f"{stem}{SUFFIX}{number}"


def replace_document(store: ProjectStore, document: str, file: str | Path, name: str | None = None,
                     reason: str = "", dry_run: bool = False, author: str = "") -> Replacement:
    """Replace ``document`` by the transcript ``file`` in one transaction (see the module docstring); with
    ``dry_run``, say what would be done and write nothing.

    Parameters
    ----------
    store : ProjectStore
        The open project.
    document : str
        The document to replace, named as the project stores it (or in another Unicode form); not withdrawn.
    file : str or Path
        The corrected transcript: one file, read as ``project add`` reads one.
    name : str, optional
        The corrected document's name; default :func:`default_name`. No document of the project, withdrawn ones
        included, may have it; it may not begin with ``-`` (every later command would read it as an option).
    reason : str
        Why (kept with the withdrawal and the replacement in the audit trail).
    dry_run : bool
        Store nothing.
    author : str
        Who replaced it (kept with the withdrawal and the replacement in the audit trail).

    Returns
    -------
    Replacement

    Raises
    ------
    InputError
        For a document the project does not have or has withdrawn, a name taken or beginning with "-", a file that
        cannot be read or holds several transcripts, or one with the text of ``document`` or of another document.
        Nothing is stored.
    """
    from theme_assist.project.build import plan_addition

    path = Path(file)
    documents = store.documents(withdrawn=True)
    document = as_stored(document, documents["document"])  # in another Unicode form (a Mac's), as project add reads it
    if document not in set(documents["document"]):
        shown, meant = did_you_mean(document, documents["document"], what="documents")
        stem = Path(document).with_suffix("").as_posix() if Path(document).suffix else document
        if not meant and stem in set(documents["document"]):
            meant = f" (did you mean {stem!r}? a document is named without its file's suffix)"
        raise InputError(f"document {shown} is not in project {store.path.name}{meant}: nothing was replaced")
    if document in store.withdrawn_documents():
        if chain := store.replaced_by(document):
            by = " itself replaced by ".join(map(repr, chain))
            raise InputError(f"document {document!r} was replaced by {by} (project replace): replace {chain[-1]!r}, "
                             "which is in the project; nothing was replaced")
        raise InputError(f"document {document!r} is withdrawn from {store.path.name}: only a document in the project "
                         "can be replaced (`theme-assist project restore` brings it back); nothing was replaced")
    taken = set(documents["document"])
    if name is None:
        name = default_name(document, taken)
    elif (not has_visible_character(name) or name != name.strip()
          or any(unicodedata.category(character) == "Cc" for character in name)):
        raise InputError(f"--as {name!r}: give the new document a name without spaces around it or line breaks in "
                         "it; nothing was replaced")
    elif name.startswith("-"):
        stripped = name.lstrip("-")
        other = stripped if has_visible_character(stripped) and stripped == stripped.strip() and not any(
            name_key(known) == name_key(stripped) for known in taken) else default_name(document, taken)
        raise InputError(f"--as {name!r}: a name beginning with '-' is read as an option by every command that is "
                         f"given it (project withdraw, restore, replace); choose another, such as {other!r}; nothing "
                         "was replaced")
    elif alike := [other for other in sorted(taken) if name_key(other) == name_key(name)]:
        state = "withdrawn from" if alike[0] in store.withdrawn_documents() else "in"
        named = "that name" if unicodedata.normalize("NFC", alike[0]) == unicodedata.normalize("NFC", name) else \
            f"a name apart from it only in case or invisible characters ({alike[0]!r})"
        raise InputError(f"--as {name!r}: a document of {named} is {state} {store.path.name} already (a name is "
                         "never reused: its segment ids hold it); choose another; nothing was replaced")
    if not path.is_file():
        what = "a folder" if path.is_dir() else "no such file"
        raise InputError(f"{path}: {what} (give the corrected transcript, one file); nothing was replaced")
    texts = {stored.id: stored.text for stored in store.documents_with_text(withdrawn=True)}  # read once
    away = set(store.withdrawn_documents())

    def renamed(read: list[Document]) -> dict[str, Document]:
        if len(read) != 1:
            raise InputError(f"{path} holds {len(read)} transcripts: give the one that replaces {document!r}; nothing "
                             "was replaced")
        if read[0].text.strip() == texts[document].strip():
            raise InputError(f"{path} has the same text as document {document!r}: nothing to replace")
        corrected = normalised(read[0].text)  # as segments are compared
        for other, text in texts.items():
            if other != document and normalised(text) == corrected:
                withdrawn = " (withdrawn)" if other in away else ""
                raise InputError(f"{path} has the text of document {other!r}{withdrawn} of {store.path.name}, not "
                                 f"a corrected {document!r}: nothing was replaced")
        return {read[0].id: replace(read[0], id=name, metadata=store.document_metadata(document))}

    addition = plan_addition(store, [path], prepare=renamed)
    old = store.segments()
    old = old[old["document"] == document].reset_index(drop=True)
    matching = match_segments(old, addition.segments)
    _warn_of_placeholder_labels(addition.segments, path)
    if matching.count("exact") == len(old) == len(addition.segments) and _speakers(old) == _speakers(
            addition.segments):  # as the matcher reads texts: nothing would change but the document's name
        raise InputError(f"{path} has the same text as document {document!r} but for spaces, line breaks, Unicode "
                         "form or header comments ('#' lines before the first turn), which segments are compared "
                         "without: nothing to replace")
    new_of = dict(zip(matching.pairs["old"], matching.pairs["new"]))

    def waiting() -> pd.DataFrame:  # a split code reads as no code: nothing of it is carried
        pending = store.to_recode()
        pending = pending[pending["segment_id"].isin(set(old["segment_id"]))]
        return pending.assign(new=pending["segment_id"].map(new_of).fillna("")).reset_index(drop=True)

    if dry_run:
        with store.snapshot():
            carried, left = _carried(store, old, matching)
            recode = waiting()
    else:
        with store.transaction():  # one: all of it, or nothing
            if document in store.withdrawn_documents():  # checked again under the lock
                raise InputError(f"document {document!r} was withdrawn from {store.path.name} while {path} was read: "
                                 "nothing was replaced")
            carried, left = _carried(store, old, matching)  # the codes as they stand under the lock
            recode = waiting()
            store.withdraw([document], reason, author)
            addition.store_into(store, position=store.position_of(document))  # in its place, not last
            if len(carried):
                store.add_codings(carried, source=CARRIED_SOURCE.format(document=document))
            store.record_replacement(document, name, reason, author)
    return Replacement(document, name, path, len(old), len(addition.segments), matching, carried, left, recode)


def _warn_of_placeholder_labels(new: pd.DataFrame, path: Path) -> None:
    """Warn where a line of the new segments starts with a placeholder and a colon: a speaker's label redacted with
    the names ("[NAME]: ..."), which is no speaker label, leaves the turn without speaker or in the turn before it,
    and such a turn is matched to none of the speaker's old ones."""
    labelled = sum(any(":" in line and _PLACEHOLDER.match(line.split(":", 1)[0]) for line in str(text).splitlines())
                   for text in new["text"])
    if labelled:
        logger.warning("%d of %s's %d segments have a line that starts with a placeholder and a colon ('[NAME]: "
                       "...'), which is not read as a speaker label: its turn is read as without speaker or as part "
                       "of the one before, and is matched to none of that speaker's old turns; give the speaker a "
                       "label such as P1 or a pseudonym", labelled, path.name, len(new))


def _speakers(segments: pd.DataFrame) -> list[str]:
    return [normalised(speaker) for speaker in segments["speaker"].fillna("")]


def _carried(store: ProjectStore, old: pd.DataFrame, matching: Matching) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The codings to carry over to the matched new segments, and the coded old segments left without a match.

    Each coder's current codes (:func:`~theme_assist.project.audit.current_codings`: imported codings and standing
    decisions) on an old segment go to its match, the coder kept (imported codings without one keep the name the
    exports give them, their file's); ``suggestions_shown`` 0 where
    :func:`~theme_assist.project.audit.independent_codings` counts them independent, None where it cannot tell,
    1 otherwise."""
    from theme_assist.project.audit import current_codings, independent_codings

    current = current_codings(store)
    current = current[current["segment_id"].isin(set(old["segment_id"]))].reset_index(drop=True)
    kept, unknown = independent_codings(store, current)
    keys = ["segment_id", "code", "coder"]
    state = current.merge(kept[keys].assign(independent=True), on=keys, how="left").merge(
        unknown[keys].assign(unknown=True), on=keys, how="left")
    shown = [0 if independent is True else None if not_known is True else 1
             for independent, not_known in zip(state["independent"], state["unknown"])]
    new_of = dict(zip(matching.pairs["old"], matching.pairs["new"]))
    state = state.assign(suggestions_shown=shown, carried_from=state["segment_id"],
                         segment_id=state["segment_id"].map(new_of))
    carried = state.dropna(subset=["segment_id"])[["segment_id", "code", "coder", "carried_from",
                                                   "suggestions_shown"]].reset_index(drop=True)
    lost = state[state["segment_id"].isna()]
    texts = dict(zip(old["segment_id"], old["text"]))
    order = {segment: at for at, segment in enumerate(old["segment_id"])}
    refused = {old: f"{new} in its place is redacted whole" for old, new in matching.redacted.items()}
    refused.update({row.old: f"{row.new} is {row.score:.0%} alike but {row.reason}"  # the more telling
                    for row in matching.refused.itertuples(index=False)})
    left = []
    for segment, codings in sorted(lost.groupby("carried_from"), key=lambda item: order[item[0]]):
        codes = "; ".join(f"{coder}: {', '.join(sorted(rows['code']))}" for coder, rows in codings.groupby("coder"))
        left.append((segment, texts[segment], codes, refused.get(segment, "")))
    return carried, pd.DataFrame(left, columns=["segment_id", "text", "codes", "reason"])
