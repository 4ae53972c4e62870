"""The audit trail: every codebook version, imported coding, machine suggestion and review decision of a project,
with who (coder or model), when and which model, in one time-ordered table, as CSV and inside a REFI-QDA export.

Columns of :func:`audit_table` (:data:`AUDIT_COLUMNS`):

``time``            when it was stored (ISO 8601 UTC).
``event``           ``codebook``, ``document`` (added by ``project add``: one row per document, its ``reason``
                    its number of segments, its ``source`` the file read; withdrawn or restored: its ``reason`` the
                    one given; replaced by ``project replace``: a row of action ``replace`` for the new
                    document, its ``reason`` ``replaces OLD: the reason given``), ``metadata`` (a value
                    ``project metadata`` set: its ``reason`` says the field, the old value and the new,
                    ``site: 'Hamburg ' → 'Hamburg'``; ``(none)`` where it had none, ``''`` for a value ``--clear``
                    cleared), ``human_coding`` (one
                    ``project replace`` carried over: its ``source`` ``carried from OLD by project replace``),
                    ``machine_suggestion`` or ``decision``.
``action``          a decision's action (``accept``, ``reject``, ``replace``, ``add``, ``undo``); ``suggest`` for
                    a machine suggestion, ``import`` for a human coding, ``version N`` for a codebook, ``add``,
                    ``withdraw``, ``restore`` or ``replace`` for a document, ``set`` for metadata.
``actor``           the coder, or the model id for a machine suggestion; for a codebook version, a document withdrawn,
                    restored or replaced, or metadata set, who did it as ``--author`` named them (empty where none
                    was given, and for those stored before theme_assist recorded it).
``segment_id``, ``document``, ``code``, ``replaces``
``score``, ``rank``  of a suggestion (also on a decision that answers one).
``model_id``, ``engine_version``, ``run_id``  the model run of a suggestion (or of the suggestion a decision
                    answers).
``suggestion_id``, ``decision_id``, ``undoes``, ``batch``, ``reason``, ``source``
``superseded``      whether something later replaced it: a later run (suggestions), an ``undo`` (decisions), a
                    newer codebook version, a merge of a rejection's code with others since (it rejects no code
                    now: "not A" said of A alone does not say "not B" of the B that A went into; its ``code_now``
                    is the code A reads as); for an imported coding, its ``reason`` says why (its coder's later
                    decisions took the code away or apply it again, or a second code where one per segment counts,
                    or a code a merge made the same as another of its coder's).
``code_now``, ``replaces_now``  ``code`` and ``replaces`` as the current codebook reads them, where a codebook
                    revision renamed or merged codes (``code`` and ``replaces`` keep the ids as stored); for a
                    codebook version, the codes it mapped (``old → new``).
``suggestions_shown``  of a decision: 1 where the review page showed the machine's suggestions on its segment, 0
                    where it showed none (``review --no-suggestions``, blind mode withholding them, none to show);
                    empty where unknown (decisions stored before theme_assist recorded it); an ``undo`` has that of
                    the decision it undoes.
``withdrawn``       whether the row's document is withdrawn now (``project withdraw``): the trail keeps every row of
                    a withdrawn document, which every other export leaves out.

The REFI-QDA export (:func:`export_qdpx`) writes the same trail into QDA-XML (the codebook as it is now, not its
history). QDA-XML (``Project-mrt2019.xsd``) has who (``creatingUser``) and when (``creationDateTime``) on
selections and codings, and a ``<Description>`` on selections only; every coding therefore sits on a selection
of its segment's span whose description tells its story. (Notes with ``NoteRef`` would validate too, but a note
is a separate memo; a description stays on the coded segment itself.)

* an imported human coding → a coding by its coder, at its import time, described ``imported from SOURCE``
  (``carried from DOC by project replace`` for one carried over) (codings of one span and source share a
  selection); one its coder's own later decisions took away (imported codings are where a coder's replay starts)
  is a selection without a coding, described ``… no longer applied``;
* a machine suggestion of the latest run (those the review page shows; of every run with ``all_runs``,
  ``project export --qdpx --all-runs``) → a coding by the user :func:`~theme_assist.refi.machine_user_name` (the run's
  mode and embedding model, engine version: ``theme_assist suggester (trained on all-MiniLM-L6-v2@53aa51172d14)
  0.1.0``): one user per model and version, so a MAXQDA user can show or hide each model's codings.
  Dated at its run; described ``theme_assist suggestion: CODE (score 0.830, rank 1, run 3)`` followed by what
  coders did with it (``Review: rejected by Ana at 2026-… (decision 7); accepted by Bo at … (decision 9, undone
  at …)``; ``rejected ID (merged into NAME since: no rejection of it) by …``), so rejections show beside the
  suggestion they answer; suggestions of a code that a codebook revision
  dropped without mapping it (only codes no decision used can be) are left out with a warning, the audit CSV
  keeping them; a renamed or merged code is written as the code it is now;
* every decision → one selection by the deciding coder, at the decision's time, described
  ``theme_assist decision ID: accepted CODE, suggested by MODEL (score 0.830, rank 1, run 3)`` (``rejected …``,
  ``replaced OLD suggested by MODEL (…) with NEW``, ``added CODE``, ``undid decision ID (…)``; a code stored
  under an id a revision renamed or merged reads ``ID (now NAME)``, and a rejected code that a merge since made no
  rejection of the code it is now, ``ID (merged into NAME since: no rejection of it)``), with the reason
  and, where it no longer holds, ``undone by CODER at TIME`` or ``no longer applied``. The selection carries a
  coding of the applied code by that coder exactly when the code is among the coder's current codes
  (:func:`~theme_assist.project.state.coder_state`) and this is the latest decision applying it; rejections,
  undos and undone or overtaken decisions are selections without a coding, so each coder's codings in the
  file are what they stand by now (what agreement in a QDA program should compare), and nothing is left out.

Counting selections whose description starts with ``theme_assist decision`` gives the number of decision rows of
:func:`audit_table`; machine codings give its suggestion rows (those of the latest run, of every run with
``all_runs``; less those of codes the codebook no longer has).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from theme_assist.errors import listed
from theme_assist.project.state import coder_state, live_decisions
from theme_assist.project.store import ProjectStore

logger = logging.getLogger(__name__)

AUDIT_COLUMNS = ["time", "event", "action", "actor", "segment_id", "document", "code", "replaces", "score", "rank",
                 "model_id", "engine_version", "run_id", "suggestion_id", "decision_id", "undoes", "batch", "reason",
                 "source", "superseded", "code_now", "replaces_now", "suggestions_shown", "withdrawn"]


def audit_table(store: ProjectStore, run_id: int | None = None) -> pd.DataFrame:
    """The whole trail, oldest first (see the module docstring for the columns); the machine suggestions of run
    ``run_id`` only, where given (what :func:`export_qdpx` writes: the decisions still name the suggestion each
    answered, of any run)."""
    history = store.codebook_history()
    codebooks = pd.DataFrame({"time": history["created_at"], "event": "codebook",
                              "action": "version " + history["version"].astype(str), "actor": history["author"],
                              "reason": history["note"],
                              "superseded": history["version"] < history["version"].max(),
                              "code_now": history["version"].map(maps_of(store))})
    codings = store.codings(mapped=False, withdrawn=True)
    not_applied = _imported_not_applied(store, codings)
    human = pd.DataFrame({"time": codings["created_at"], "event": "human_coding", "action": "import",
                          "actor": codings["coder"], "segment_id": codings["segment_id"], "code": codings["code"],
                          "source": codings["source"], "reason": not_applied.where(not_applied != ""),
                          "superseded": not_applied != "", "code_now": codings["code_now"]})
    runs = store.runs()
    suggestions = store.all_suggestions(mapped=False, withdrawn=True, run_id=run_id)
    latest_run = runs["id"].max() if len(runs) else None
    made = suggestions if run_id is None else suggestions[suggestions["run_id"] == run_id]
    machine = pd.DataFrame({"time": made["created_at"], "event": "machine_suggestion", "action": "suggest",
                            "actor": made["model_id"], "segment_id": made["segment_id"],
                            "code": made["code"], "score": made["score"].astype(float).round(4),
                            "rank": made["rank"], "model_id": made["model_id"],
                            "engine_version": made["engine_version"], "run_id": made["run_id"],
                            "suggestion_id": made["id"], "superseded": made["run_id"] != latest_run,
                            "code_now": made["code_now"]})
    decisions = store.decisions(mapped=False, withdrawn=True)
    answered = suggestions.set_index("id")[["score", "rank", "model_id", "engine_version", "run_id"]]
    answered = answered.reindex(decisions["suggestion_id"].astype("Int64")).reset_index(drop=True)
    review = pd.DataFrame({"time": decisions["created_at"], "event": "decision", "action": decisions["action"],
                           "actor": decisions["coder"], "segment_id": decisions["segment_id"],
                           "code": decisions["code"], "replaces": decisions["replaces"],
                           "score": answered["score"].astype(float).round(4), "rank": answered["rank"],
                           "model_id": answered["model_id"], "engine_version": answered["engine_version"],
                           "run_id": answered["run_id"], "suggestion_id": decisions["suggestion_id"],
                           "decision_id": decisions["id"], "undoes": decisions["undoes"],
                           "batch": decisions["batch"], "reason": decisions["reason"],
                           "superseded": decisions["undone"] | ((decisions["action"] == "reject")
                                                                & (decisions["rejects"] == "")),
                           "code_now": decisions["code_now"],
                           "replaces_now": decisions["replaces_now"],
                           "suggestions_shown": decisions["suggestions_shown"]})
    added = store.documents_added()
    added = added[~added["added_at"].isin(added["added_at"].head(1))]  # not those the project was made with
    documents = pd.DataFrame({"time": added["added_at"], "event": "document", "action": "add",
                              "source": added["source"], "document_added": added["document"],
                              "reason": added["segments"].map(lambda n: f"{n} segment{'' if n == 1 else 's'}")})
    withdrawals = store.withdrawals()
    documents = pd.concat([part for part in (documents, pd.DataFrame({
        "time": withdrawals["created_at"], "event": "document", "action": withdrawals["action"],
        "actor": withdrawals["author"], "document_added": withdrawals["document"], "reason": withdrawals["reason"]}))
        if len(part)] or [documents], ignore_index=True)
    replacements = store.replacements()
    if len(replacements):
        documents = pd.concat([documents, pd.DataFrame({
            "time": replacements["created_at"], "event": "document", "action": "replace",
            "actor": replacements["author"], "document_added": replacements["new"],
            "reason": [f"replaces {old}" + (f": {reason}" if reason else "")
                       for old, reason in zip(replacements["old"], replacements["reason"])]})], ignore_index=True)
    changes = store.metadata_changes()
    metadata = pd.DataFrame({"time": changes["created_at"], "event": "metadata", "action": "set",
                             "actor": changes["author"], "document_added": changes["document"],
                             "reason": [f"{key}: {'(none)' if old is None else repr(old)} → {new!r}"
                                        for key, old, new in zip(changes["key"], changes["old"], changes["new"])]})
    # Columns a part leaves empty are dropped before the concatenation (pandas deprecates letting all-NA columns
    # take part in choosing the result's dtypes) and come back, empty, with the reindex.
    parts = [part.dropna(axis=1, how="all") for part in (codebooks, documents, metadata, human, machine, review)
             if len(part)]
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=AUDIT_COLUMNS)
    document_added = table["document_added"] if "document_added" in table else None
    table = table.reindex(columns=AUDIT_COLUMNS)
    document_of = store.segment_ids(withdrawn=True).set_index("segment_id")["document"]
    table["document"] = table["segment_id"].map(document_of)
    if document_added is not None:
        table["document"] = table["document"].fillna(document_added)
    table["withdrawn"] = table["document"].isin(set(store.withdrawn_documents()))
    for column in ("run_id", "suggestion_id", "decision_id", "undoes", "rank", "suggestions_shown"):
        table[column] = table[column].astype("Int64")
    return table.sort_values("time", kind="stable").reset_index(drop=True)


def map_text(pairs) -> str:
    """A code map's ``(old, new)`` pairs as ``old → new, …`` (``old → (recode)`` for a code split: ``project codebook
    --recode``)."""
    return ", ".join(f"{old} → {new or '(recode)'}" for old, new in pairs)


def maps_of(store: ProjectStore) -> dict[int, str]:
    """Per codebook version that renamed or merged codes, its map as :func:`map_text`."""
    return {int(version): map_text(zip(group["old"], group["new"]))
            for version, group in store.code_maps().groupby("version")}


def write_audit(store: ProjectStore, path: str | Path, table: pd.DataFrame | None = None) -> int:
    """Write :func:`audit_table` (``table``, where made already) as CSV (TSV for a ``.tsv`` name); returns the
    number of rows."""
    from theme_assist.inputs import write_table

    table = audit_table(store) if table is None else table
    write_table(with_project_segmentation(table, store), path)
    return len(table)


def with_project_segmentation(table: pd.DataFrame, store: ProjectStore) -> pd.DataFrame:
    """``table`` (an export with the project's segment ids) with the project's segmentation tag as its last column
    (:attr:`ProjectStore.segmentation`), so that a table read back later says which segmentation its ids name."""
    from theme_assist.segment import SEGMENTATION_COLUMN

    return table.assign(**{SEGMENTATION_COLUMN: store.segmentation})


def with_project_codebook_version(table: pd.DataFrame, store: ProjectStore) -> pd.DataFrame:
    """``table`` (an export of codes read under the project's current codebook) with
    :func:`with_project_segmentation`'s column, then the current codebook version as
    :data:`~theme_assist.codebook.CODEBOOK_VERSION_COLUMN`: tables exported under two versions (a code renamed or
    merged in between) name codes apart, and ``agree`` refuses them put together."""
    from theme_assist.codebook import CODEBOOK_VERSION_COLUMN

    return with_project_segmentation(table, store).assign(**{CODEBOOK_VERSION_COLUMN: store.codebook_version()})


def _imported_not_applied(store: ProjectStore, codings: pd.DataFrame) -> pd.Series:
    """Why each imported coding is not (or no longer) a coding of its coder, ``""`` where it is: their own later
    decisions took the code away, or a later decision of theirs applies the same code (and carries it from then
    on), or the codebook takes one code per segment and it is not the coder's first imported code there
    (:func:`~theme_assist.project.state.coder_state` starts a coder's replay from their imports), or a merge of
    codes made it one of its coder's earlier codings on the segment, or a revision split its code since (``project
    codebook --recode``: to recode) (``codings`` as stored, with ``code_now``)."""
    exclusive = store.codebook().exclusive
    decisions = store.decisions(withdrawn=True)  # ``codings``, of the trail, has those of withdrawn documents
    alike = ["segment_id", "coder", "source"]
    merged = codings.duplicated(alike + ["code_now"]) & ~codings.duplicated(alike + ["code"])
    stored = codings["code"]
    codings = codings.assign(code=codings["code_now"])
    state = coder_state(decisions, exclusive=exclusive, imported=codings[codings["code"] != ""])
    reviewed = set(zip(state.loc[state["last_decision"] > 0, "segment_id"], state.loc[state["last_decision"] > 0,
                                                                                       "coder"]))
    standing = state.explode("codes").dropna(subset=["codes"])
    standing = set(zip(standing["segment_id"], standing["coder"], standing["codes"]))
    live = decisions[decisions["action"].isin(_APPLYING) & ~decisions["undone"].astype(bool)]
    applied = set(zip(live["segment_id"], live["coder"], live["code"]))
    reasons = []
    for segment, code, coder, one_of_merged, split in zip(codings["segment_id"], codings["code"], codings["coder"],
                                                          merged, stored):
        if not code:
            reasons.append(_named(split, code, {}))
        elif one_of_merged:
            reasons.append(f"the same code as an earlier coding of its coder here, since codes were merged into {code}")
        elif not coder:
            reasons.append("")
        elif (segment, coder, code) not in standing:
            reasons.append("no longer applied (a later decision of its coder changed it)" if (segment, coder)
                           in reviewed else "not applied (one code per segment: its coder's first code counts)")
        elif (segment, coder, code) in applied:
            reasons.append("applied again by a later decision of its coder, which carries it")
        else:
            reasons.append("")
    return pd.Series(reasons, index=codings.index, dtype=object)


def coders_now(store: ProjectStore, decisions: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What :func:`current_codings` and :func:`rejected_without_code` read, for a caller of both to make once: each
    coder's state on each segment they coded or decided on (:func:`~theme_assist.project.state.coder_state`) and
    the imported codings it starts from (:meth:`ProjectStore.codings`). ``decisions``: the project's
    (:meth:`ProjectStore.decisions`), where read already."""
    codings = store.codings()
    decisions = store.decisions() if decisions is None else decisions
    return coder_state(decisions, exclusive=store.codebook().exclusive, imported=codings), codings


def current_codings(store: ProjectStore, decisions: pd.DataFrame | None = None,
                    now: tuple[pd.DataFrame, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Every coder's codes as they stand after review, starting from the codings imported under the coder's name
    (another coder's decision leaves them standing), and the imported codings without a coder: ``segment_id``,
    ``code``, ``coder``. Those are named by the file they came from (``CODED.csv``), so that the table is one
    ``theme-assist agree`` reads. ``decisions``: the project's (:meth:`ProjectStore.decisions`), where read
    already; ``now``: :func:`coders_now`'s, where made already."""
    state, codings = coders_now(store, decisions) if now is None else now
    reviewed_by = pd.MultiIndex.from_frame(state[["segment_id", "coder"]])
    state = state.explode("codes").dropna(subset=["codes"])
    reviewed = pd.DataFrame({"segment_id": state["segment_id"], "code": state["codes"], "coder": state["coder"]})
    codings = _imported_codings(codings)
    imported = codings[~pd.MultiIndex.from_frame(codings[["segment_id", "coder"]]).isin(reviewed_by)]
    return pd.concat([imported, reviewed], ignore_index=True).drop_duplicates().reset_index(drop=True)


def independent_codings(store: ProjectStore, table: pd.DataFrame,
                        decisions: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows of ``table`` (:func:`current_codings`) a coder made independently of the machine: every live
    decision (:func:`~theme_assist.project.state.live_decisions`) of their coder on the segment was made with no
    suggestion on screen (``suggestions_shown`` 0). Imported codings no live decision of their coder touches count:
    they were made outside theme_assist, with none of its suggestions in view. Codings ``project replace`` carried
    over count as the decisions they come from (:meth:`~theme_assist.project.store.ProjectStore.carried_codings`):
    a coder's codes on a segment with a carried coding of theirs made with suggestions shown are not independent,
    and those with one of unknown state are left out as unknown. ``decisions``: the project's
    (:meth:`ProjectStore.decisions`), where read already.

    Returns
    -------
    tuple of DataFrame
        The rows kept, and the rows left out only because a decision's state is unknown (stored before
        theme_assist recorded it) and none is known to have had suggestions shown.
    """
    live = live_decisions(store.decisions() if decisions is None else decisions)
    flags = live.assign(anchored=live["suggestions_shown"] == 1, unknown=live["suggestions_shown"].isna())
    carried = store.carried_codings()
    if len(carried):
        shown = pd.to_numeric(carried["suggestions_shown"])
        flags = pd.concat([flags[["segment_id", "coder", "anchored", "unknown"]],
                           carried.assign(anchored=shown == 1, unknown=shown.isna())[
                               ["segment_id", "coder", "anchored", "unknown"]]], ignore_index=True)
    per_pair = flags.groupby(["segment_id", "coder"])[["anchored", "unknown"]].any()
    pairs = pd.MultiIndex.from_frame(table[["segment_id", "coder"]])
    anchored = per_pair["anchored"].reindex(pairs, fill_value=False).to_numpy(dtype=bool)
    unknown = per_pair["unknown"].reindex(pairs, fill_value=False).to_numpy(dtype=bool) & ~anchored
    return table[~anchored & ~unknown].reset_index(drop=True), table[unknown].reset_index(drop=True)


def rejected_without_code(store: ProjectStore, decisions: pd.DataFrame | None = None,
                          now: tuple[pd.DataFrame, pd.DataFrame] | None = None) -> pd.DataFrame:
    """The segments a coder rejected codes on and holds no code on (``segment_id``, ``coder``, ``rejected``: the
    codes rejected, sorted; none for rejections a merge since made no rejection of a code), by coder, then in the
    segments' order. :func:`current_codings` has no row for them, so ``agree`` counts them as not rated by that
    coder: not as a disagreement with the machine or another coder.
    ``decisions``: the project's (:meth:`ProjectStore.decisions`), where read already; ``now``:
    :func:`coders_now`'s, where made already."""
    state = (coders_now(store, decisions) if now is None else now)[0]
    # a coder's decisions that leave no code are rejections, also those a merge since made no rejection of a code;
    # not a code split since, which the coder is to recode (:func:`to_recode_by_code` says so)
    recode = store.to_recode()
    left = state[(state["codes"].map(len) == 0) & (state["last_decision"] > 0)
                 & ~pd.MultiIndex.from_frame(state[["segment_id", "coder"]]).isin(
                     pd.MultiIndex.from_frame(recode[["segment_id", "coder"]]))]
    order = {segment: i for i, segment in enumerate(store.segment_ids()["segment_id"])}
    left = left.assign(order=left["segment_id"].map(order)).sort_values(["coder", "order"])
    return left[["segment_id", "coder", "rejected"]].reset_index(drop=True)


def to_recode_by_code(store: ProjectStore, documents=None) -> pd.Series:
    """How many segments (of ``documents``, where given) each code split since (``project codebook --recode``)
    leaves to recode, by code: their coders' codings of it are no codings of :func:`current_codings` until they
    recode them."""
    recode = of_documents(store.to_recode(), store, documents)
    return recode.groupby("code", sort=True)["segment_id"].nunique()


def coding_counts(store: ProjectStore) -> tuple[int, int]:
    """How many codings :func:`current_codings` (``project export --codings``) holds, and how many of them no
    imported coding holds: the codes review decisions gave (accepted, replaced by, added).

    Returns
    -------
    tuple of int
        ``(current, from_review)``.
    """
    current = current_codings(store)
    imported = pd.MultiIndex.from_frame(_imported_codings(store.codings()))
    from_review = ~pd.MultiIndex.from_frame(current[["segment_id", "code", "coder"]]).isin(imported)
    return len(current), int(from_review.sum())


def _imported_codings(codings: pd.DataFrame) -> pd.DataFrame:
    """``segment_id``, ``code``, ``coder`` of imported codings, those without a coder named by their source."""
    codings = codings.assign(coder=codings["coder"].where(codings["coder"] != "", codings["source"]))
    return codings[["segment_id", "code", "coder"]]


def of_documents(table: pd.DataFrame, store: ProjectStore, documents) -> pd.DataFrame:
    """The rows of ``table`` (an export with a ``segment_id`` column) whose segments are of ``documents`` (ids as
    the project stores them); ``table`` itself where ``documents`` is ``None``."""
    if documents is None:
        return table
    segments = store.segment_ids()
    kept = segments.loc[segments["document"].isin(set(documents)), "segment_id"]
    return table[table["segment_id"].isin(set(kept))].reset_index(drop=True)


def machine_before_review(store: ProjectStore, documents=None) -> pd.DataFrame:
    """The machine's suggestions for each reviewed segment as they stood before its first decision, in the columns
    of ``suggest``'s output (``segment_id``, ``code``, ``score``, ``rank``, ``evidence``; an empty code is an
    abstention) and ``run_id``, the number of the run that made them (as the audit trail names it; ``project info``
    lists the runs; ``export-qdpx --suggestions`` says it in each suggestion's description), for ``theme-assist agree
    CODINGS.csv --machine``.

    They come from the latest run made before anyone decided on the segment, so the engine had not learnt that
    segment's codes yet: its agreement with the coders is that of a pre-coding, not of a model tested on what it
    was trained on. Segments decided before any run, and segments with a coding imported before that run (which
    the run learnt from), are left out, and so are segments whose decisions were all undone (not reviewed). Where
    that leaves nothing, a warning says why (no decision, no run, no run before a decision): ``agree --machine``
    refuses the table, without saying why. The turns of the speakers the project skips now are left out too, as the
    review page no longer shows the suggestions a run made for them before they were skipped. ``documents`` (ids
    as the project stores them; default: all) restricts the table, and its warnings, to their segments."""
    decisions = of_documents(store.decisions(), store, documents)
    reviewed = live_decisions(decisions)["segment_id"]  # a segment whose decisions were all undone is not reviewed
    made = decisions[(decisions["action"] != "undo") & decisions["segment_id"].isin(reviewed)]
    # timed from the first decision made, undone or not: a run fitted while it stood may have learnt from it
    first = (made.groupby("segment_id")["created_at"].min()
             .rename("decided_at").reset_index().sort_values("decided_at"))
    runs = store.runs()[["id", "created_at"]].rename(columns={"id": "run_id"}).sort_values("created_at")
    if first.empty or runs.empty:
        given = " on the documents given" if documents is not None else ""
        logger.warning("the machine's pre-coding is empty: the project has %s", f"no review decision yet{given} "
                       "(codings from project init are not reviewed segments)" if first.empty else "no model run (run "
                       "`theme-assist project suggest` before the coders review)")
        from theme_assist.suggest import SUGGESTION_COLUMNS

        return pd.DataFrame(columns=[*SUGGESTION_COLUMNS, "run_id"])
    # the latest run strictly before the first decision (ISO 8601 UTC times sort as text)
    first["at"] = pd.to_datetime(first["decided_at"], utc=True)
    runs["at"] = pd.to_datetime(runs["created_at"], utc=True)
    shown = pd.merge_asof(first, runs[["at", "run_id"]], on="at", allow_exact_matches=False).dropna(subset=["run_id"])
    shown = shown.merge(runs[["run_id", "at"]].rename(columns={"at": "run_at"}), on="run_id")
    imported = store.codings()
    imported_at = pd.to_datetime(imported["created_at"], utc=True).groupby(imported["segment_id"]).min()
    learnt = shown["segment_id"].map(imported_at) <= shown["run_at"]  # NaT (no imported coding) compares False
    shown = shown[~learnt.fillna(False).astype(bool)]
    shown = shown[~shown["segment_id"].isin(store.skipped_segment_ids())]  # skipped since: suggested for before
    suggestions = store.all_suggestions()
    chosen = suggestions.merge(shown[["segment_id", "run_id"]].astype({"run_id": int}), on=["segment_id", "run_id"])
    _warn_split_pre_coding(store, shown)
    chosen = chosen.sort_values(["segment_id", "rank"], kind="stable")
    if chosen.empty:
        logger.warning("the machine's pre-coding is empty: no reviewed segment had a model run's suggestions before "
                       "its first decision, other than on codings that run learnt from and turns of skipped "
                       "speakers")
    else:
        unsuggested = sorted(set(shown["segment_id"]) - set(chosen["segment_id"]))
        if unsuggested:  # agree reads them as not rated by the machine: said, as the other segments left out are
            logger.warning("%d reviewed segment(s) had no suggestion of the latest run before their first decision "
                           "(a transcript added after it, a speaker it skipped): they are left out (%s)",
                           len(unsuggested), listed(unsuggested, 3))
    return pd.DataFrame({"segment_id": chosen["segment_id"], "code": chosen["code"],
                         "score": chosen["score"].astype(float).round(4), "rank": chosen["rank"],
                         "evidence": "[]", "run_id": chosen["run_id"].astype(int)}).reset_index(drop=True)


def _warn_split_pre_coding(store: ProjectStore, shown: pd.DataFrame) -> None:
    """Warn of the segments of ``shown`` (``segment_id``, ``run_id``: the run whose suggestions are their pre-coding)
    whose rank-1 suggestion was of a code split since (``project codebook --recode``): it reads as none, so the
    table has no rank-1 row for them, which agree reads as not rated by the machine."""
    stored = store.all_suggestions(mapped=False)
    split = stored[(stored["rank"] == 1) & (stored["code"] != "") & (stored["code_now"] == "")]
    split = split.merge(shown[["segment_id", "run_id"]].astype({"run_id": int}), on=["segment_id", "run_id"])
    if len(split):
        logger.warning("%d reviewed segment(s) had as the machine's first suggestion a code split since (%s): it "
                       "reads as none, so they have no rank-1 row, and agree counts them as not rated by the machine",
                       split["segment_id"].nunique(), listed(sorted(set(split["code"]))))


_APPLYING = ("accept", "replace", "add")
_PAST = {"accept": "accepted", "reject": "rejected", "replace": "replaced", "add": "added"}
_DECISION_PREFIX = "theme_assist decision"


def _suggested_by(row) -> str:
    """``suggested by MODEL (score …, rank …, run …)`` for a decision answering a suggestion, else ``""``."""
    if pd.isna(row.model_id):
        return ""
    return f"suggested by {row.model_id} (score {row.score:.3f}, rank {int(row.rank)}, run {int(row.run_id)})"


def _decision_descriptions(decisions: pd.DataFrame, in_force: pd.Series, name: dict[str, str],
                           merged: set) -> pd.Series:
    """The description of each decision row of the audit table (see the module docstring); ``merged``: the ids of
    the rejections a merge since made no rejection of their code now (:func:`_merged_rejections`)."""
    by_id = decisions.set_index("decision_id")
    undo_of = decisions[decisions["action"] == "undo"].set_index("undoes")
    texts = []
    for row, applied in zip(decisions.itertuples(index=False), in_force):
        code, suggested = _named(row.code, row.code_now, name), _suggested_by(row)
        if row.action in ("accept", "reject"):
            code = _named(row.code, row.code_now, name, row.decision_id in merged)
            what = f"{_PAST[row.action]} {code}" + (f", {suggested}" if suggested else "")
        elif row.action == "replace":
            what = f"replaced {_named(row.replaces, row.replaces_now, name, row.decision_id in merged)} "
            what += (f"{suggested} " if suggested else "") + f"with {code}"
        elif row.action == "add":
            what = f"added {code}"
        else:
            undone = by_id.loc[row.undoes]
            old = (f"{_named(undone['replaces'], undone['replaces_now'], name, row.undoes in merged)} with "
                   if undone["action"] == "replace" else "")
            new = _named(undone["code"], undone["code_now"], name, row.undoes in merged and not old)
            what = f"undid decision {row.undoes} ({_PAST[undone['action']]} {old}{new})"
        if isinstance(row.reason, str) and row.reason:
            what += f"; reason: {row.reason}"
        if row.decision_id in undo_of.index:
            undo = undo_of.loc[row.decision_id]
            what += f"; undone by {undo['actor']} at {undo['time']} (decision {undo['decision_id']})"
        elif row.action in _APPLYING and not applied and row.code_now != "":  # a split's code: said so above
            what += "; no longer applied (a later decision changed it)"
        texts.append(f"{_DECISION_PREFIX} {row.decision_id}: {what}")
    return pd.Series(texts, index=decisions.index, dtype=object)


def _named(code: str, code_now: str, name: dict[str, str], merged: bool = False) -> str:
    """A code's name, or for an id a revision renamed or merged, ``ID (now NAME)``; for the code of a rejection a
    merge since made no rejection of the code it is now (``merged``: :func:`_merged_rejections`), ``ID (merged
    into NAME since: no rejection of it)``; for an id a revision split since (``project codebook --recode``),
    ``ID (split since: to recode)``."""
    if code and not code_now:
        return f"{code} (split since: to recode)"
    if merged:
        return f"{code} (merged into {name.get(code_now, code_now)} since: no rejection of it)"
    return name.get(code, code) if code == code_now else f"{code} (now {name.get(code_now, code_now)})"


def _merged_rejections(decisions: pd.DataFrame, store: ProjectStore) -> pd.Series:
    """Whether each decision row of the audit table is a rejection (a ``reject``, a ``replace``'s replaced code)
    that a merge since made no rejection of the code it reads as now (:meth:`ProjectStore.rejections_now`)."""
    turned_down = decisions["code"].where(decisions["action"] == "reject",
                                          decisions["replaces"].where(decisions["action"] == "replace", ""))
    turned_down = turned_down.fillna("").astype(str)
    return (turned_down != "") & (store.rejections_now(turned_down, decisions["time"]) == "")


def _in_force(decisions: pd.DataFrame, store: ProjectStore, exclusive: bool) -> pd.Series:
    """Whether each decision row is the latest live one applying a code that its coder still has on the segment."""
    state = coder_state(store.decisions(), exclusive=exclusive).explode("codes").dropna(subset=["codes"])
    current = set(zip(state["segment_id"], state["coder"], state["codes"]))
    applying = decisions[decisions["action"].isin(_APPLYING) & ~decisions["superseded"].astype(bool)]
    latest = applying.drop_duplicates(["segment_id", "actor", "code_now"], keep="last")
    holding = {row.decision_id for row in latest.itertuples() if (row.segment_id, row.actor, row.code_now) in current}
    return decisions["decision_id"].isin(holding)


def _review_notes(decisions: pd.DataFrame, name: dict[str, str], merged: set) -> pd.Series:
    """Per suggestion id, what coders did with it: ``Review: accepted by Ana at … (decision 7); …`` (``rejected
    ID (merged into NAME since: no rejection of it) by …`` for one of ``merged``: see
    :func:`_decision_descriptions`)."""
    answers = decisions[decisions["suggestion_id"].notna() & (decisions["action"] != "undo")]
    undone_at = decisions[decisions["action"] == "undo"].set_index("undoes")["time"]
    undone_at = dict(zip(undone_at.index, undone_at))
    parts: dict = {}
    # one pass over the rows: a pass over each suggestion's group of the wide audit table took ~2 ms a suggestion
    for row in answers[["suggestion_id", "code", "code_now", "action", "actor", "time", "decision_id", "replaces",
                        "replaces_now"]].itertuples(index=False):
        verb = f"replaced by {_named(row.code, row.code_now, name)}" if row.action == "replace" else _PAST[row.action]
        if row.decision_id in merged:  # the suggestion is written as the code it is now: say what was turned down
            turned_down = (row.replaces, row.replaces_now) if row.action == "replace" else (row.code, row.code_now)
            verb = (f"{_named(*turned_down, name, merged=True)} " + verb if row.action == "replace"
                    else f"{verb} {_named(*turned_down, name, merged=True)}")
        undone = f", undone at {undone_at[row.decision_id]}" if row.decision_id in undone_at else ""
        parts.setdefault(row.suggestion_id, []).append(
            f"{verb} by {row.actor} at {row.time} (decision {row.decision_id}{undone})")
    return pd.Series({suggestion_id: "Review: " + "; ".join(texts) for suggestion_id, texts in parts.items()},
                     dtype=object)


def audit_codings(store: ProjectStore, table: pd.DataFrame | None = None,
                  run_id: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The audit trail (``table``: its :func:`audit_table`, where made already) as the codings and suggestions
    tables :func:`theme_assist.refi.export_project` takes; the suggestions of run ``run_id`` only, where given.

    Returns
    -------
    codings : DataFrame
        ``segment_id``, ``code`` (empty for a decision that applies no code now), ``coder``, ``created``,
        ``description``: imported human codings and every decision.
    suggestions : DataFrame
        ``segment_id``, ``code``, ``score``, ``rank``, ``run_id``, ``created``, ``model``, ``model_version``,
        ``description`` (what coders did with it): every suggestion of every run (of run ``run_id``), less those of
        a code a revision split since (``project codebook --recode``).
    """
    table = audit_table(store) if table is None else table
    table = table[~table["withdrawn"]]  # as if they were not in the project
    codebook = store.codebook()
    name = {code.id: code.name for code in codebook.all_codes}
    human = table[table["event"] == "human_coding"]
    why = human["reason"].fillna("")
    human = pd.DataFrame({"segment_id": human["segment_id"], "code": human["code_now"].where(why == "", ""),
                          "coder": human["actor"].where(human["actor"] != "", human["source"]),  # as --codings
                          "created": human["time"],
                          "description": human["source"].astype(str).map(
                              lambda source: source if source.startswith("carried from ") else
                              f"imported from {source}")
                          + why.map(lambda reason: f"; {reason}" if reason else "")})
    decisions = table[table["event"] == "decision"]
    in_force = _in_force(decisions, store, codebook.exclusive)
    merged = set(decisions.loc[_merged_rejections(decisions, store), "decision_id"])
    decided = pd.DataFrame({"segment_id": decisions["segment_id"], "code": decisions["code_now"].where(in_force, ""),
                            "coder": decisions["actor"], "created": decisions["time"],
                            "description": _decision_descriptions(decisions, in_force, name, merged)})
    machine = table[table["event"] == "machine_suggestion"]
    machine = machine[~_split_since(machine)]  # no code now, nor an abstention: the audit CSV keeps them
    if run_id is not None:
        machine = machine[machine["run_id"] == run_id]
    suggestions = pd.DataFrame({"segment_id": machine["segment_id"], "code": machine["code_now"],
                                "score": machine["score"], "rank": machine["rank"], "run_id": machine["run_id"],
                                "created": machine["time"], "model": machine["run_id"].map(_machine_models(store)),
                                "model_version": machine["engine_version"],
                                "description": machine["suggestion_id"].map(_review_notes(decisions, name, merged))})
    # suggestions of one run that a merge made alike: the best ranked, with what coders did with any of them
    # (grouping only those: a group per suggestion took most of a large export's time)
    alike = ["run_id", "segment_id", "code"]
    merged = suggestions.duplicated(alike, keep=False)
    notes = suggestions[merged].groupby(alike)["description"].transform(
        lambda texts: "; ".join(texts.dropna()) or None)
    suggestions = suggestions.assign(description=suggestions["description"].where(~merged, notes))
    suggestions = suggestions.sort_values("rank", kind="stable").drop_duplicates(alike)
    return pd.concat([human, decided], ignore_index=True), suggestions.sort_index().reset_index(drop=True)


def _split_since(rows: pd.DataFrame) -> pd.Series:
    """Whether each row of the audit table holds a code a revision split since (``project codebook --recode``):
    stored as a code, read as none."""
    return (rows["code"].fillna("") != "") & (rows["code_now"].fillna("") == "")


def _machine_models(store: ProjectStore) -> dict[int, str]:
    """Each run's model as its machine user names it (``trained on all-MiniLM-L6-v2@53aa51172d14``): the run's
    ``model_id`` names the engine and its version too, which the user's name has already."""
    return {int(run.id): f"{run.mode} on {run.embedding_model}" for run in store.runs().itertuples(index=False)}


def export_qdpx(store: ProjectStore, out: str | Path, table: pd.DataFrame | None = None, all_runs: bool = False):
    """Write the project and its audit trail (``table``: its :func:`audit_table`, where made already) as a
    REFI-QDA ``.qdpx``: texts, codebook, imported codings, every decision and the suggestions of the latest run
    (those the review page shows; of every run where ``all_runs``), with who, when and which model (mapping:
    module docstring).

    Returns
    -------
    theme_assist.refi.Exported
    """
    from theme_assist.refi import export_project

    latest = store.latest_run()
    # every run's suggestions are a segment's machine codings of one code several times over: tens of refits made
    # millions of codings no QDA program could use
    run_id = None if all_runs or latest is None else int(latest["id"])
    table = audit_table(store, run_id) if table is None else table  # not every run's suggestions where not written
    codings, suggestions = audit_codings(store, table, run_id)
    machine = table[table["event"] == "machine_suggestion"]
    if run_id is not None:  # a table made for --audit too has every run's: the file has the latest's
        machine = machine[pd.to_numeric(machine["run_id"]) == run_id]
    split = _split_since(machine)
    if split.any():
        logger.warning("%d machine suggestion(s) of code(s) split since (%s) are left out of %s; the audit CSV "
                       "(--audit) keeps them", int(split.sum()), ", ".join(sorted(set(machine.loc[split, "code"]))),
                       Path(out).name)
    codebook = store.codebook()
    # A revision may drop a code that only the machine suggested without mapping it (one a decision used must be
    # mapped): the file has the codebook as it is now, so those suggestions cannot be codings in it; the audit CSV
    # keeps them.
    dropped = (suggestions["code"] != "") & ~suggestions["code"].isin(set(codebook.ids))
    if dropped.any():
        codes = sorted(set(suggestions.loc[dropped, "code"]))
        logger.warning("%d machine suggestion(s) of code(s) the codebook no longer has (%s) are left out of %s; the "
                       "audit CSV (--audit) keeps them", int(dropped.sum()), ", ".join(codes), Path(out).name)
    return export_project(codebook, store.documents_with_text(), codings, suggestions[~dropped], out=out,
                          segments=store.segments())
