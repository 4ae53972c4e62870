"""Loaders for the human-coded benchmark corpora in ``../shared/corpora``.

The corpora are read where they lie and never copied into the repository. Each loader returns a
:class:`Benchmark`: a coded-segments table in the ``suggest --train`` format (``segment_id``, ``document``,
``speaker``, ``text``, ``code``; ``code`` is empty for segments that are context only, e.g. client turns when the
scheme codes therapist behaviour) in reading order, and the matching codebook.

=====================  ==========================================================================================
name                   what is coded
=====================  ==========================================================================================
``annomi-therapist``   AnnoMI: therapist behaviour of therapist utterances; transcripts are documents
``annomi-client``      AnnoMI: client talk type of client utterances
``esconv``             ESConv: support strategy of supporter turns; conversations are documents
``epitome-er/ip/ex``   EPITOME: emotional reactions / interpretations / explorations, level 0/1/2 of the response
                       post; the seeker post precedes it as context; seeker posts (``sp_id``) are documents
=====================  ==========================================================================================
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from theme_assist.codebook import Codebook, load_codebook
from theme_assist.errors import InputError, listed

#: Published human–human agreement (mean pairwise Cohen's κ) where the corpus has it; see PROVENANCE.md.
HUMAN_KAPPA = {"annomi-therapist": 0.737, "annomi-client": 0.470}
#: What :data:`HUMAN_KAPPA` was measured on, where that is not the segments a benchmark scores the engine on.
HUMAN_KAPPA_BASIS = {
    name: "on the 7 AnnoMI transcripts all 10 annotators coded, which this copy withholds: not the 126 "
          "single-coded transcripts the engine is scored on here"
    for name in ("annomi-therapist", "annomi-client")}

logger = logging.getLogger(__name__)


@dataclass
class Benchmark:
    name: str
    segments: pd.DataFrame
    codebook: Codebook
    citation: str
    human_kappa: float | None = None
    notes: list[str] = field(default_factory=list)
    human_kappa_basis: str | None = None
    coder: str | None = None
    """The coder of a coded table of several coders whose codes are compared and learned from (``--coder``)."""
    coders: pd.DataFrame | None = None
    """The segments :attr:`coder` coded that another coder coded too, the code of each coder on them
    (:func:`multiply_coded`); None where there are none."""
    coders_notes: list[str] = field(default_factory=list)
    """What :attr:`coders` leaves out, for the report's section on them."""

    @property
    def coded(self) -> pd.DataFrame:
        """Only the segments that carry a code."""
        return self.segments[self.segments["code"] != ""]


def shared_corpora_dir() -> Path:
    """``$THEME_ASSIST_SHARED/corpora`` or ``../shared/corpora`` beside the repository."""
    root = os.environ.get("THEME_ASSIST_SHARED")
    base = Path(root) if root else Path(__file__).resolve().parents[2] / "shared"
    return base / "corpora"


def _need(path: Path) -> Path:
    if not path.exists():
        raise InputError(f"benchmark file {path} is not there; the shared corpora are expected in "
                         f"{shared_corpora_dir()} (set THEME_ASSIST_SHARED to their parent folder)")
    return path


def _annomi(interlocutor: str, column: str, codebook_file: str, name: str) -> Callable[[Path], Benchmark]:
    def load(corpora: Path) -> Benchmark:
        raw = pd.read_csv(_need(corpora / "annomi" / "AnnoMI-simple.csv"))
        raw = raw.sort_values(["transcript_id", "utterance_id"], kind="stable")
        code = raw[column].fillna("").astype(str).where(raw["interlocutor"] == interlocutor, "")
        segments = pd.DataFrame({
            "segment_id": "annomi-" + raw["transcript_id"].astype(str) + ":" + raw["utterance_id"].astype(str),
            "document": "annomi-" + raw["transcript_id"].astype(str),
            "speaker": raw["interlocutor"].astype(str),
            "text": raw["utterance_text"].fillna("").astype(str),
            "code": code,
        }).reset_index(drop=True)
        return Benchmark(name, segments, load_codebook(corpora / "annomi" / codebook_file),
                         "Wu et al., AnnoMI (ICASSP 2022; Future Internet 2023)", HUMAN_KAPPA.get(name),
                         human_kappa_basis=HUMAN_KAPPA_BASIS.get(name))
    return load


def _esconv(corpora: Path) -> Benchmark:
    raw = pd.read_csv(_need(corpora / "esconv" / "esconv_devtest_utterances.csv"))
    segments = pd.DataFrame({
        "segment_id": "esconv-" + raw["conv_id"].astype(str) + ":" + raw["turn"].astype(str),
        "document": "esconv-" + raw["conv_id"].astype(str),
        "speaker": raw["speaker"].astype(str),
        "text": raw["text"].fillna("").astype(str),
        "code": raw["strategy"].fillna("").astype(str).where(raw["speaker"] == "supporter", ""),
    })
    # a rebuilt conversation can repeat a turn number; keep ids unique
    segments["segment_id"] += segments.groupby("segment_id").cumcount().map(lambda n: f".{n}" if n else "")
    return Benchmark("esconv", segments, load_codebook(corpora / "esconv" / "strategy.codebook.yaml"),
                     "Liu et al., Towards Emotional Support Dialog Systems (ACL 2021)",
                     notes=["strategies are self-labelled by supporters: no human-human agreement exists"])


def _epitome(mechanism: str, stem: str, name: str) -> Callable[[Path], Benchmark]:
    def load(corpora: Path) -> Benchmark:
        raw = pd.read_csv(_need(corpora / "epitome" / f"{stem}-reddit.csv")).reset_index(drop=True)
        raw = raw.sort_values("sp_id", kind="stable")
        rows = []
        for index, row in raw.iterrows():
            document = f"epitome-{row['sp_id']}"
            rows.append((f"{document}:{index}:seeker", document, "seeker", str(row["seeker_post"]), ""))
            rows.append((f"{document}:{index}:response", document, "responder", str(row["response_post"]),
                         str(int(row["level"]))))
        segments = pd.DataFrame(rows, columns=["segment_id", "document", "speaker", "text", "code"])
        return Benchmark(name, segments, load_codebook(corpora / "epitome" / f"{mechanism}.codebook.yaml"),
                         "Sharma et al., A Computational Approach to Understanding Empathy (EMNLP 2020)")
    return load


LOADERS: dict[str, Callable[[Path], Benchmark]] = {
    "annomi-therapist": _annomi("therapist", "main_therapist_behaviour", "therapist_behaviour.codebook.yaml",
                                "annomi-therapist"),
    "annomi-client": _annomi("client", "client_talk_type", "client_talk_type.codebook.yaml", "annomi-client"),
    "esconv": _esconv,
    "epitome-er": _epitome("emotional_reactions", "emotional-reactions", "epitome-er"),
    "epitome-ip": _epitome("interpretations", "interpretations", "epitome-ip"),
    "epitome-ex": _epitome("explorations", "explorations", "epitome-ex"),
}


def load_benchmark(name: str, corpora: Path | None = None) -> Benchmark:
    """Load a benchmark by name (see the module docstring)."""
    if name not in LOADERS:
        raise InputError(f"unknown benchmark {name!r}; choose one of {', '.join(LOADERS)} or a path")
    return LOADERS[name](corpora or shared_corpora_dir())


def safe_name(text: str) -> str:
    """``text`` with every run of characters other than letters, digits, ``.``, ``_`` and ``-`` made one ``_``, for
    a file name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)


def coded_benchmark_name(path: str | Path, coder: str | None = None) -> str:
    """The name of :func:`coded_benchmark`'s benchmark (and of its result files): the file's name, and the coder.
    With its suffix: ``base.csv`` and ``base.xlsx`` of one folder wrote the same ``evaluate_base.*``."""
    return Path(path).name if coder is None else f"{Path(path).name}-{safe_name(coder)}"


def coded_benchmark(path: str | Path, codebook: Codebook, coder: str | None = None) -> Benchmark:
    """A user's own coded table (:func:`theme_assist.inputs.read_coded` with a ``document`` column) as a benchmark,
    named after the file's name (and ``coder``, when given: :func:`coded_benchmark_name`).

    The protocol compares one human code per segment with the engine's top code, and groups its folds by
    document, so every row needs a document, the codes of several coders (a ``coder`` column, as in a double-coded
    ``.qdpx`` import's ``codings.csv``) are refused unless ``coder`` names the one to compare with (rows of other
    coders are dropped; uncoded rows without a coder stay as context), and a segment (``segment_id``) may carry one code: repeated
    identical rows count once (with a warning); a segment given two codes is refused, as is one ``segment_id`` on
    rows of different documents or texts, and so is a code that is not in ``codebook`` (the engines could never
    give it), as is a coding that uses one code only. Codes are read without surrounding spaces (by ``read_coded``).
    The benchmark's ``notes`` name the rows left out (a code without text) or counted once (repeated), and the
    codes of ``codebook`` that no coded segment has. With ``coder``, its ``coders`` are the codes of every coder
    on the segments ``coder`` and another coder coded (:func:`multiply_coded`), for the coders' agreement beside
    the engine's.
    """
    from theme_assist.inputs import coded_by_several, coders_of, lines_of, read_coded, read_coded_table
    from theme_assist.suggest import refuse_shared_segment_ids, refuse_unknown_codes

    notes: list[str] = []
    deferred: list[str] = []  # warnings, said once nothing below refuses the file: a refusal comes alone
    table = read_coded_table(path)  # once: the other coders' rows are read from it too (an .xlsx is slow to read)
    coded = read_coded(path, coder=coder, keep_lines=True, left_out=notes,  # the lines named below are the file's
                       need_document="folds are grouped by document", deferred=deferred, table=table)
    no_id = coded["segment_id"].str.strip() == ""
    if no_id.any():  # they were one segment '', "on rows of different texts"
        raise InputError(f"{path}: {int(no_id.sum())} row(s) without a segment_id ({lines_of(no_id)}): give every "
                         "row one, or leave the column out to have the rows numbered")
    if coded_by_several(coded):  # coders who shared the transcripts out give one code per segment
        coders = coders_of(coded)
        raise InputError(f"{path} holds the codes of {len(coders)} coders ({listed(coders)}): evaluate compares the "
                         "engine with one human code per segment, so choose one with --coder NAME: the engine "
                         "learns from that coder's codes, and the report gives the coders' agreement with each "
                         "other on the segments they both coded, the engine's with each of them beside it")
    repeated = coded.duplicated(keep="first")
    if repeated.any():
        deferred.append(f"{path}: {int(repeated.sum())} repeated row(s) counted once ({lines_of(repeated)})")
        notes.append(f"{int(repeated.sum())} repeated row(s) of the coded data counted once ({lines_of(repeated)})")
        coded = coded[~repeated]
    refuse_shared_segment_ids(coded, path)
    # before any fit: a zero-shot run (--sizes 0) would score them
    refuse_unknown_codes(coded["code"], codebook, source=path)
    coded_rows = coded[coded["code"] != ""]
    several = coded_rows["segment_id"].duplicated(keep=False)
    if several.any():
        segment = coded_rows.loc[several, "segment_id"].iloc[0]
        codes = coded_rows.loc[coded_rows["segment_id"] == segment, "code"].unique()
        what = f"has {len(codes)} codes ({', '.join(codes)})" if len(codes) > 1 else "is on rows that differ"
        raise InputError(f"{path}: segment {segment!r} {what}; evaluate compares one human code per segment with "
                         "the engine's top code, so give each segment one row")
    used = coded_rows["code"].unique()
    if len(used) < 2:
        raise InputError(f"{path}: every coded segment has the code {used[0]!r}; evaluate needs at least two codes "
                         "to compare the engine's with (with one, κ is undefined and accuracy says nothing)")
    for warning in deferred:
        logger.warning("%s", warning)
    unused = [code.id for code in codebook.leaf_codes if code.id not in set(used)]
    if unused:  # "N codes" in the report counts the codes given, the engine chooses among the codebook's
        notes.append(f"{len(unused)} code(s) of the codebook are on no coded segment ({listed(unused)}): theme_assist "
                     "can still suggest them, each time wrongly, and they appear in the per-code table only then")
    coders_notes: list[str] = []
    coders = multiply_coded(path, coded_rows, coder, notes, coders_notes, table) if coder is not None else None
    return Benchmark(coded_benchmark_name(path, coder), coded.reset_index(drop=True), codebook, notes=notes,
                     citation=f"Coded data: {path}" + (f", coder {coder}" if coder else ""), coder=coder,
                     coders=coders, coders_notes=coders_notes)


def multiply_coded(path: str | Path, coded: pd.DataFrame, coder: str, notes: list[str],
                   coders_notes: list[str], table: pd.DataFrame | None = None) -> pd.DataFrame | None:
    """The codes of every coder of the coded table ``path`` on the segments that ``coder`` coded and another coder
    coded too: the units on which :func:`~theme_assist.evaluate.coders_agreement` sets the coders' agreement with
    each other beside the machine's.

    Segments are matched by ``segment_id``: a table without that column has its rows numbered, each coder's apart,
    so none match; ``notes`` then says so where other coders' codes lie on the same texts
    (:func:`~theme_assist.inputs.coded_by_several`), as it does where they lie on them under other ids alone; a
    row of another coder with another text than ``coder``'s row of its id is compared all the same, with a warning
    and a note in ``coders_notes``. The other coders' rows are read as
    :func:`~theme_assist.inputs.read_coded` reads ``coder``'s (codes and coder names without surrounding spaces;
    theme_assist's own suggestions, uncoded rows and codes on rows without text left out, the last with a warning
    and a note, in ``coders_notes`` or, where no segment is left to compare, ``notes``; repeated rows once), but
    not refused: a code outside the codebook is that coder's code all the same. A segment to which another coder
    gave several codes (multi-label) is left out, as one code per coder is compared, and ``coders_notes`` says how
    many. Codes or coders written apart only by case, Unicode form or invisible characters, and codes such as
    "NA", are warned of as ``theme-assist agree`` warns of them: they are compared as written.

    Parameters
    ----------
    path : str or Path
        The coded table, read for the other coders' rows unless ``table`` is given; named in warnings and notes.
    coded : DataFrame
        ``coder``'s coded rows, as :func:`coded_benchmark` keeps them (one per segment).
    coder : str
        The coder chosen with ``--coder``.
    notes, coders_notes : list of str
        Get the sentences on what the evaluation, and the coders' comparison, leave out.
    table : DataFrame, optional
        ``path`` as :func:`~theme_assist.inputs.read_coded_table` read it already (not changed here).

    Returns
    -------
    DataFrame or None
        One row per such segment (index ``segment_id``, in ``coded``'s order), one column per coder (``coder``
        first, then the others who coded any of them, sorted), each cell the code, NaN where that coder gave none;
        None where no segment of ``coder`` is coded by another coder.
    """
    from theme_assist.agree.reading import warn_case_variants, warn_missing_markers
    from theme_assist.inputs import coded_by_several, lines_of, read_coded_table
    from theme_assist.refi.assemble import human_codings

    frame = read_coded_table(path) if table is None else table
    if "coder" not in frame:
        return None
    frame = human_codings(frame, f"coded segments {path}", deferred=[])  # said as the file was read for coder's
    frame = frame.assign(code=frame["code"].str.strip(), coder=frame["coder"].astype(str).str.strip())
    frame = frame[(frame["code"] != "") & (frame["coder"] != "")]
    textless = (frame["text"].str.strip() == "") & (frame["coder"] != coder)
    if "segment_id" in frame:  # another coder's rows that leave the text to coder's: said, not left out unseen
        textless &= frame["segment_id"].isin(set(coded["segment_id"]))
    textless_said = (f"{int(textless.sum())} code(s) of other coders on rows without text are left out of the "
                     f"coders' comparison, as every row with a code and no text is ({lines_of(textless)})"
                     if "segment_id" in frame and textless.any() else "")
    if textless_said:
        logger.warning("%s: %s", path, textless_said)
    frame = frame[frame["text"].str.strip() != ""]
    if "segment_id" not in frame:
        if coded_by_several(frame):
            others = sorted(set(frame["coder"]) - {coder})
            notes.append(f"the file holds the codes of {listed(others)} too, on the texts {coder} coded, but no "
                         "segment_id column says which of their rows are one segment, so the coders' agreement "
                         "with each other is not reported: give each segment one segment_id (an import's "
                         "codings.csv has them)")
        return None
    others = frame[(frame["coder"] != coder) & frame["segment_id"].isin(set(coded["segment_id"]))]
    texts = coded.drop_duplicates("segment_id").set_index("segment_id")["text"].map(lambda text: " ".join(text.split()))
    elsewhere = others["segment_id"].map(texts) != others["text"].map(lambda text: " ".join(text.split()))
    if elsewhere.any():  # another segmentation under the same ids: compared all the same, but not unsaid
        said = (f"{int(elsewhere.sum())} row(s) of other coders have another text than {coder}'s rows of their "
                f"segment_id ({lines_of(elsewhere)}): compared as one segment all the same; check that the ids "
                "name the same segments in every coder's rows")
        logger.warning("%s: %s", path, said)
        coders_notes.append(said)
    others = others.drop_duplicates(["segment_id", "coder", "code"])
    several = others.duplicated(["segment_id", "coder"], keep=False)
    if several.any():
        left_out = others.loc[several, "segment_id"].unique().tolist()
        coders_notes.append(f"{len(left_out)} segment(s) given several codes by one coder are left out of this "
                            f"comparison, which takes one code per coder ({listed(left_out)})")
        others = others[~others["segment_id"].isin(left_out)]
    if not len(others):
        if textless_said:  # the report has no comparison to say it in
            notes.append(f"{textless_said}, so the coders' agreement with each other is not reported")
        elif coded_by_several(frame):  # "1.0" for "1", "s1" for "S1": not coders who shared the documents out
            alike = sorted(set(frame["coder"]) - {coder})
            notes.append(f"the file holds the codes of {listed(alike)} too, on the texts {coder} coded, but under "
                         f"other segment_ids than {coder}'s, so the coders' agreement with each other is not "
                         "reported: give each segment one segment_id in every coder's rows")
        return None
    if textless_said:
        coders_notes.append(textless_said)
    table = others.pivot(index="segment_id", columns="coder", values="code")
    shared = [segment for segment in coded["segment_id"] if segment in table.index]
    chosen = coded.set_index("segment_id")["code"].rename(coder)
    coders = pd.concat([chosen.loc[shared], table.loc[shared, sorted(table.columns)]], axis=1).rename_axis(
        index="segment_id", columns=None)
    # as agree warns: another coder's "Work", "NA", or a name typed two ways, agree with nobody without a word
    warn_missing_markers(coders.iloc[:, 1:].stack(), path)
    warn_case_variants(coders.stack(), path)
    warn_case_variants(pd.Series(coders.columns), path, "coder")
    return coders

