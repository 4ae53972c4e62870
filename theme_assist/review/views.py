"""What the review page shows, assembled from the project file as plain JSON-ready dicts.

Nothing here writes; every function reads the current state, so a page reload always shows what is stored.
"""

from __future__ import annotations

from typing import Literal, get_args

import numpy as np
import pandas as pd

from theme_assist.codebook import Code, Codebook
from theme_assist.errors import InputError
from theme_assist.project.state import coder_state, live_decisions, segment_status
from theme_assist.project.store import SUGGESTION_TABLES, NotFound, ProjectStore

Status = Literal["open", "uncoded", "coded", "rejected", "skipped", "all"]
Order = Literal["active", "document"]
STATUSES, ORDERS = get_args(Status), get_args(Order)


def current_codebook(store: ProjectStore) -> Codebook:
    """The project's current codebook (parsed once per version by the store)."""
    return store.codebook()


def coded_by_others(store: ProjectStore, coder: str, exclusive: bool) -> set[str]:
    """Segments someone other than ``coder`` has coded (imported codings, or another coder's live codes).

    The engine learns from these codes and suggests them back on the same segments at near certainty, so in blind
    mode their suggestions would show the other coders' codes."""
    codings = store.codings()
    state = coder_state(store.decisions(), exclusive=exclusive, imported=codings)
    return _others_coded(state, codings, coder)


def _others_coded(state: pd.DataFrame, codings: pd.DataFrame, coder: str) -> set[str]:
    """The segments of ``state`` (:func:`coder_state` with the imported ``codings``) that another coder holds codes
    on, or that carry codings imported without a coder."""
    decided = state.loc[(state["coder"] != coder) & state["codes"].map(bool), "segment_id"]
    return set(decided) | set(codings.loc[codings["coder"] == "", "segment_id"])


def coded_by_anyone(store: ProjectStore) -> set[str]:
    """Segments with an imported coding (of any coder, or of none) or a live decision of any coder (a rejection
    too; not one undone): those the queue's ``uncoded`` status leaves out."""
    return set(store.codings()["segment_id"]) | set(live_decisions(store.decisions())["segment_id"])


def _segment_state(store: ProjectStore, segment_id: str, exclusive: bool):
    """``segment_id``'s imported codings, decisions and each coder's state there (:func:`coder_state`)."""
    codings = store.codings(segment_id=segment_id)
    decisions = store.decisions(segment_id=segment_id)
    return codings, decisions, coder_state(decisions, exclusive=exclusive, imported=codings)


def withheld(store: ProjectStore, segment_id: str, coder: str) -> bool:
    """Whether blind mode hides the suggestions on ``segment_id`` from ``coder``: someone else has coded it (as
    :func:`segment_view` tells)."""
    codings, _, state = _segment_state(store, segment_id, current_codebook(store).exclusive)
    return segment_id in _others_coded(state, codings, coder.strip())


def suggestions_shown(store: ProjectStore, segment_id: str, coder: str, blind: bool, no_suggestions: bool) -> int:
    """Whether the page shows the machine's suggestions on ``segment_id`` to ``coder`` (1) or none (0), as
    :func:`segment_view` tells it now: none under ``no_suggestions``, where ``blind`` mode withholds them, or where
    the segment has none to show (no run yet, the engine abstained, a turn of a speaker the project skips)."""
    if no_suggestions:
        return 0
    suggestions = _current_suggestions(store, current_codebook(store), store.skipped_segment_ids(), segment_id,
                                       with_evidence=False)
    if not (suggestions["code"] != "").any():
        return 0
    return 0 if blind and withheld(store, segment_id, coder) else 1


def own_state(store: ProjectStore, coder: str, exclusive: bool, segment_id: str | None = None) -> pd.DataFrame:
    """The coder's codes and rejections (:func:`coder_state`) on every segment (or on ``segment_id``), starting
    from the codings imported under the coder's name."""
    codings = store.codings(segment_id=segment_id)
    return coder_state(store.decisions(coder=coder, segment_id=segment_id), exclusive=exclusive,
                       imported=codings[codings["coder"] == coder])


def split_here(store: ProjectStore, coder: str, segment_id: str | None = None,
               blind: bool = False) -> dict[str, list[str]]:
    """Per segment the coder is to recode (:meth:`~theme_assist.project.store.ProjectStore.to_recode`: a code they,
    or a coding imported without a coder, gave there before a codebook revision split it), the names of the codes
    split, as the codebook before the split named them (``"Work"``: "Work was split: recode"). In ``blind`` mode
    only the coder's own: a coding imported without a coder is another's, which the mark would tell."""
    recode = store.to_recode(coder)
    if blind:
        recode = recode[recode["coder"] == coder.strip()]
    if segment_id is not None:
        recode = recode[recode["segment_id"] == segment_id]
    names: dict[tuple[str, int], str] = {}
    for code, version in set(zip(recode["code"], recode["version"])):
        before = {c.id: c.name for c in store.codebook(int(version) - 1).all_codes}
        names[code, version] = before.get(code, code)
    split: dict[str, list[str]] = {}
    for segment, code, version in zip(recode["segment_id"], recode["code"], recode["version"]):
        if names[code, version] not in split.setdefault(segment, []):
            split[segment].append(names[code, version])
    return split


def codebook_tree(codebook: Codebook) -> dict:
    """The codebook as nested dicts (``id``, ``name``, ``definition``, ``codable``, ``children``)."""

    def node(code: Code) -> dict:
        return {"id": code.id, "name": code.name, "definition": code.definition,
                "codable": not code.children, "children": [node(child) for child in code.children]}

    return {"name": codebook.name, "exclusive": codebook.exclusive, "codes": [node(c) for c in codebook.codes]}


def check_code(codebook: Codebook, code: str) -> None:
    if code not in set(codebook.ids):
        raise NotFound(f"code {code!r} is not in the project's codebook")


def _current_suggestions(store: ProjectStore, codebook: Codebook, skipped: set[str], segment_id: str | None = None,
                         with_evidence: bool = True) -> pd.DataFrame:
    """The latest run's suggestions (of one segment), less those of codes a codebook revision has dropped since
    the run (a coder could not accept them) and those of turns of speakers skipped since the run (``project
    skip-speaker``), until the next fit: ``skipped``, the project's
    :meth:`~theme_assist.project.store.ProjectStore.skipped_segment_ids`, read once by the caller, which needs
    them too."""
    suggestions = store.suggestions(segment_id=segment_id, with_evidence=with_evidence)
    return suggestions[suggestions["code"].isin({"", *codebook.ids}) & ~suggestions["segment_id"].isin(skipped)]


def _marked_evidence(store: ProjectStore, evidence: list[dict]) -> list[dict]:
    """``evidence`` (a suggestion's quotes) with ``anchor`` on each: false for a coded segment of the project, true
    for a codebook text (a code's description or example, quoted for a code nobody has coded yet). Told apart by
    the project's segments, which the engine is fitted on: an anchor's id prefix (``codebook:``) is also that of
    every segment of a document named "codebook"."""
    def coded(quote: dict) -> bool:
        segment = store.segment(quote["segment_id"])
        return segment is not None and segment["text"] == quote["text"]

    away = store.withdrawn_segment_ids()  # quoted by a run made before they were withdrawn: not shown
    return [{**quote, "anchor": not coded(quote)} for quote in evidence if quote["segment_id"] not in away]


def _rejected_last(suggestions: pd.DataFrame, own: pd.DataFrame) -> pd.DataFrame:
    """``suggestions`` by rank, those of codes the coder rejected on their segment (``own``: :func:`own_state`)
    after the others: a code the coder turned down is never the first one offered again."""
    rejected = own[["segment_id", "rejected"]].explode("rejected").dropna()
    pairs = set(zip(rejected["segment_id"], rejected["rejected"]))
    maybe = suggestions["segment_id"].isin(rejected["segment_id"]).to_numpy()  # only these are looked up, one by one
    turned_down = np.zeros(len(suggestions), dtype=bool)
    turned_down[maybe] = [pair in pairs for pair in zip(suggestions["segment_id"][maybe], suggestions["code"][maybe])]
    return suggestions.iloc[np.lexsort((suggestions["rank"].to_numpy(), turned_down))]  # stable: ties keep order


def _top_suggestions(store: ProjectStore, codebook: Codebook, own: pd.DataFrame, skipped: set[str]) -> pd.DataFrame:
    """The latest run's best suggestion per segment: ``segment_id``, ``code``, ``score``; of the codes the coder
    (``own`` state) has not rejected there, where there is one (``skipped``: see :func:`_current_suggestions`).
    The suggestions by rank are kept between requests (:meth:`~theme_assist.project.store.ProjectStore.kept`); the
    best is worked out anew only on the segments the coder rejected codes on."""
    ranked = store.kept(("suggestions by rank", tuple(codebook.ids), frozenset(skipped)), SUGGESTION_TABLES,
                        lambda: _by_rank(_current_suggestions(store, codebook, skipped, with_evidence=False)))
    rejecting = own.loc[own["rejected"].map(bool), "segment_id"]
    again = ranked["segment_id"].isin(rejecting).to_numpy() if len(rejecting) else np.zeros(len(ranked), dtype=bool)
    best = pd.concat([ranked[ranked["first"].to_numpy() & ~again],
                      _rejected_last(ranked[again], own).drop_duplicates("segment_id")])
    return best[["segment_id", "code", "score"]]


def _by_rank(suggestions: pd.DataFrame) -> pd.DataFrame:
    """``suggestions`` by rank (ties in their order), with ``first``: whether each is its segment's best ranked."""
    ranked = suggestions.iloc[np.argsort(suggestions["rank"].to_numpy(), kind="stable")]
    return ranked.assign(first=~ranked["segment_id"].duplicated().to_numpy())


def queue(store: ProjectStore, coder: str, order: Order | None = None, document: str = "", code: str = "",
          min_score: float = 0.0, max_score: float = 1.0, status: Status = "open", limit: int = 500,
          blind: bool = False, no_suggestions: bool = False) -> dict:
    """The segments to review, filtered and ordered, with the coder's progress.

    ``code`` filters on the best suggestion's code; ``min_score`` / ``max_score`` on its score; ``status`` on the
    coder's own decisions (``open``: none yet; ``uncoded``: open, and nobody's either, :func:`coded_by_anyone`,
    for a second coder to take the segments no one has coded; ``skipped``: none yet on a turn of a speaker the
    project skips, :meth:`~theme_assist.project.store.ProjectStore.skipped_segment_ids`, listed with ``all`` only,
    or on its own). The coder's progress counts the other segments only. Each item has the best suggestion (``code``,
    ``code_name``, ``score``) and the names of the coder's own codes (``mine``). ``active`` order follows the latest
    run's active-learning queue (segments outside it follow in document order). In ``blind`` mode segments other
    coders have coded show no suggestion (see :func:`coded_by_others`); with ``no_suggestions`` none does, and the
    ``code`` and score filters, which act on the suggestions, are refused, as is ``active`` order (the default
    ``order`` is ``document`` then): the engine's uncertainty is of its suggestions, and it learnt other coders'
    codes, so with ``blind`` the segments they coded came last. With ``blind``, ``uncoded`` is refused: it tells
    which segments other coders coded. The segments the coder is to recode (:func:`split_here`) come first, open,
    each with ``recode``: the names of the codes split there (empty for the others).
    """
    if order is None:
        order = "document" if no_suggestions else "active"
    if order not in ORDERS:
        raise InputError(f"unknown order {order!r}; choose one of {', '.join(ORDERS)}")
    if status not in STATUSES:
        raise InputError(f"unknown status {status!r}; choose one of {', '.join(STATUSES)}")
    codebook = current_codebook(store)
    segments = store.segments()
    if document and document not in set(segments["document"]):
        if document in store.withdrawn_documents():  # the page's list of documents was read before
            raise NotFound(f"document {document!r} is withdrawn from this project ({store.bring_back(document)}): "
                           "reload the page")
        raise NotFound(f"document {document!r} is not in this project")
    if code:
        check_code(codebook, code)
    names = {c.id: c.name for c in codebook.all_codes}
    own = own_state(store, coder, codebook.exclusive)
    mine = segment_status(own)
    own_codes = dict(zip(own["segment_id"], own["codes"]))
    skipped_ids = store.skipped_segment_ids()
    if blind and status == "uncoded":
        raise InputError("status 'uncoded' tells which segments other coders coded, which blind mode hides "
                         "(theme-assist review --blind): list the segments you have not coded with status 'open'")
    if no_suggestions:  # none shown: none read
        if code or min_score > 0 or max_score < 1:
            raise InputError("the code and score filters act on the engine's suggestions, which this page does not "
                             "show (theme-assist review --no-suggestions)")
        if order == "active":
            raise InputError("order 'active' follows the engine's uncertainty about its suggestions, which this page "
                             "does not show (theme-assist review --no-suggestions): the queue is in document order")
        top = pd.DataFrame(columns=["segment_id", "code", "score"])
    else:
        top = _top_suggestions(store, codebook, own, skipped_ids)
        if blind:
            top = top[~top["segment_id"].isin(coded_by_others(store, coder, codebook.exclusive))]
    frame = segments.merge(top, on="segment_id", how="left")
    frame["code"] = frame["code"].fillna("")
    frame["score"] = frame["score"].astype(float).fillna(0.0)  # object dtype when no run has suggestions yet
    skipped = frame["segment_id"].isin(skipped_ids)
    split = split_here(store, coder, blind=blind)
    to_recode = frame["segment_id"].isin(split)  # open again: the coder's code there was split since
    decided_on = frame["segment_id"].map(mine).mask(to_recode)
    frame["status"] = decided_on.fillna("open").mask(decided_on.isna() & skipped & ~to_recode, "skipped")
    total = int((~skipped).sum())
    decided = int((~skipped & (frame["status"] != "open")).sum())
    if order == "active":
        priority = store.queue().set_index("segment_id")["priority"]
        frame["priority"] = frame["segment_id"].map(priority).fillna(len(priority)).astype(int)
        frame = frame.sort_values("priority", kind="stable")
    frame = pd.concat([frame[frame["segment_id"].isin(split)], frame[~frame["segment_id"].isin(split)]])
    keep = (frame["score"] >= min_score) & (frame["score"] <= max_score)
    if document:
        keep &= frame["document"] == document
    if code:
        keep &= frame["code"] == code
    if status == "uncoded":
        keep &= (frame["status"] == "open") & ~frame["segment_id"].isin(coded_by_anyone(store))
    elif status != "all":
        keep &= frame["status"] == status
    shown = frame[keep]
    items = [{"segment_id": r.segment_id, "document": r.document, "speaker": r.speaker, "text": r.text[:160],
              "code": r.code, "code_name": names.get(r.code, ""), "score": round(float(r.score), 4),
              "status": r.status, "mine": [names.get(c, c) for c in own_codes.get(r.segment_id, [])],
              "recode": split.get(r.segment_id, [])}
             for r in shown.head(limit).itertuples(index=False)]
    return {"items": items, "matching": int(len(shown)), "progress": {"total": total, "decided": decided}}


def progress(store: ProjectStore, coder: str, blind: bool = False) -> dict:
    """The coder's progress as :func:`queue` counts it (``total`` segments, ``decided``: those with the coder's
    codes or rejections, but those to recode; the skipped speakers' segments in neither), without reading the
    suggestions: the page asks for it after every decision (``blind`` as :func:`queue`'s)."""
    codebook = current_codebook(store)
    skipped = store.skipped_segment_ids()
    split = set(split_here(store, coder, blind=blind))
    decided = set(own_state(store, coder, codebook.exclusive)["segment_id"]) - skipped - split
    return {"total": store.segment_count() - len(skipped), "decided": len(decided)}


def segment_view(store: ProjectStore, segment_id: str, coder: str, blind: bool, no_suggestions: bool = False) -> dict:
    """One segment in context with its suggestions and evidence (by rank, codes the coder rejected here last; each
    quote marked ``anchor``: :func:`_marked_evidence`), the coder's own codes, whether it is a turn of a speaker the
    project skips (``skipped``), the names of the codes a codebook revision split that the coder is to recode here
    (``recode``: :func:`split_here`), and (unless ``blind``) what other coders coded. With ``no_suggestions``, no
    suggestion (nor its evidence, quotes of segments coded) and no ``abstained``."""
    segment = store.segment(segment_id)
    if segment is None:  # or of a withdrawn document: said so
        raise NotFound(store.not_here(segment_id))
    codebook = current_codebook(store)
    names = {c.id: c.name for c in codebook.all_codes}
    before, after = store.context(segment)
    run = store.latest_run()
    skipped_ids = store.skipped_segment_ids()
    suggestions = _current_suggestions(store, codebook, skipped_ids, segment_id)  # by rank: _rejected_last below
    codings, decisions, state = _segment_state(store, segment_id, codebook.exclusive)
    # under no_suggestions none is shown anywhere: a segment's withheld would tell that another coder coded it
    withheld = blind and not no_suggestions and segment_id in _others_coded(state, codings, coder)
    if withheld or no_suggestions:
        suggestions = suggestions.iloc[:0]
    own = state[state["coder"] == coder]
    suggestions = _rejected_last(suggestions, own)
    own_decisions = decisions.loc[decisions["coder"] == coder, "id"]  # undos too: what the page saw (``seen``)
    own_codes = own["codes"].iloc[0] if len(own) else []
    own_rejected = own["rejected"].iloc[0] if len(own) else []
    view = {
        **segment,
        "metadata": store.document_metadata(segment["document"]),
        "before": before, "after": after,
        "suggestions": [{"id": int(s.id), "code": s.code, "code_name": names.get(s.code, ""),
                         "score": round(float(s.score), 4), "rank": int(s.rank),
                         "evidence": _marked_evidence(store, s.evidence)}
                        for s in suggestions.itertuples(index=False) if s.code],
        "abstained": bool(len(suggestions) and (suggestions["code"] == "").any()),
        "withheld": withheld,
        "skipped": segment_id in skipped_ids,
        "recode": split_here(store, coder, segment_id, blind).get(segment_id, []),
        "run": {"id": run["id"], "model_id": run["model_id"]} if run else None,
        "mine": {"codes": [{"id": c, "name": names.get(c, c)} for c in own_codes],
                 "rejected": [{"id": c, "name": names.get(c, c)} for c in own_rejected],
                 "seen": int(own_decisions.max()) if len(own_decisions) else 0},
        "others": None,
    }
    if not blind:  # what each other coder holds now: imported codes as their decisions left them
        imported_from = codings.groupby("coder")["source"].agg(lambda sources: ", ".join(sorted(set(sources))))
        others = [{"coder": r.coder, "source": "review" if r.last_decision else imported_from[r.coder],
                   "codes": [names.get(c, c) for c in r.codes]}
                  for r in state[state["coder"] != coder].itertuples(index=False) if r.codes]
        for source, group in codings[codings["coder"] == ""].groupby("source"):
            others.append({"coder": "(unnamed)", "source": source, "codes": [names.get(c, c) for c in group["code"]]})
        view["others"] = others
    return view


def bulk_candidates(store: ProjectStore, code: str, min_score: float, coder: str, limit: int = 500,
                    blind: bool = False) -> dict:
    """The latest run's suggestions of ``code`` at or above ``min_score`` on segments the coder has not decided
    (in ``blind`` mode, nor other coders coded), less those :func:`_current_suggestions` leaves out."""
    codebook = current_codebook(store)
    check_code(codebook, code)
    suggestions = _current_suggestions(store, codebook, store.skipped_segment_ids(), with_evidence=False)
    chosen = suggestions[(suggestions["code"] == code) & (suggestions["score"] >= min_score)]
    decided = set(own_state(store, coder, codebook.exclusive)["segment_id"])
    if blind:
        decided |= coded_by_others(store, coder, codebook.exclusive)
    chosen = chosen[~chosen["segment_id"].isin(decided)].sort_values("score", ascending=False, kind="stable")
    text = store.segments().set_index("segment_id")[["document", "speaker", "text"]]
    items = [{"suggestion_id": int(s.id), "segment_id": s.segment_id, "code": s.code, "score": round(float(s.score), 4),
              "rank": int(s.rank), **text.loc[s.segment_id].to_dict()} for s in chosen.head(limit).itertuples(index=False)]
    return {"code": code, "code_name": codebook.get(code).name, "items": items, "matching": int(len(chosen))}
