"""What the decisions add up to: each coder's codes on each segment, and the codings the engine learns from.

Decisions are replayed in the order they were made, skipping those an ``undo`` answers:

* ``accept`` / ``add`` code *c*: *c* is applied;
* ``reject`` code *c*: *c* is not applied (and is remembered as rejected);
* ``replace`` *o* by *c*: *o* is rejected, *c* is applied.

A code a codebook revision split since (``project codebook --recode``) reads as ``""``: applying it applies no code
(in an exclusive codebook it still takes the place of the segment's earlier codes), and rejecting it rejects none;
the store's ``to_recode`` names the segments its coders are to recode.

A rejection made before a codebook revision merged its code with others rejects nothing now (it still takes the
coder's own code away): the store's ``rejects`` (:meth:`~theme_assist.project.store.ProjectStore.decisions`) says
what each decision rejects as the current codebook reads it.

In an exclusive codebook (one code per segment) an applied code takes the place of the segment's earlier codes:
the current codebook's rule, or the rule of the version in force when the decision was made (the store's
``exclusive_codebook``), so a codebook revised to allow several codes does not bring back codes a coder replaced.
"""

from __future__ import annotations

import pandas as pd

STATE_COLUMNS = ["segment_id", "coder", "codes", "rejected", "last_decision"]
"""Columns of :func:`coder_state`: ``codes`` and ``rejected`` are sorted lists of code ids; ``last_decision`` the
id of the coder's latest live decision on the segment."""


def live_decisions(decisions: pd.DataFrame) -> pd.DataFrame:
    """The decisions that stand: neither an ``undo`` nor one an ``undo`` answers (an undone decision counts as never
    made: a segment whose decisions were all undone is not reviewed).

    Parameters
    ----------
    decisions : DataFrame
        As returned by :meth:`~theme_assist.project.store.ProjectStore.decisions` (with ``undone``).
    """
    return decisions[(decisions["action"] != "undo") & ~decisions["undone"].astype(bool)]


def coder_state(decisions: pd.DataFrame, exclusive: bool = False, imported: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each (segment, coder)'s applied and rejected codes after replaying the live decisions.

    Parameters
    ----------
    decisions : DataFrame
        As returned by :meth:`~theme_assist.project.store.ProjectStore.decisions` (with ``undone``).
    exclusive : bool
        Whether the codebook allows one code per segment only; a decision with ``exclusive_codebook`` made under
        an exclusive version is replayed as exclusive either way.
    imported : DataFrame, optional
        Imported codings (``segment_id``, ``code``, ``coder``): a named coder's replay starts from that coder's
        imported codes (in an exclusive codebook, the first), with ``last_decision`` 0 until a decision. Codings
        without a coder are nobody's starting point.
    """
    live = live_decisions(decisions)
    if "exclusive_codebook" in live:
        live = live.assign(exclusive_codebook=live["exclusive_codebook"].astype(bool) | exclusive)
    else:
        live = live.assign(exclusive_codebook=exclusive)
    with_rejects = "rejects" in live
    state: dict[tuple[str, str], dict] = {}
    if imported is not None:
        for row in imported[imported["coder"].fillna("") != ""].itertuples(index=False):
            entry = state.setdefault((row.segment_id, row.coder), {"codes": [], "rejected": set(), "last": 0})
            if row.code not in entry["codes"] and not (exclusive and entry["codes"]):
                entry["codes"].append(row.code)
    for row in live.itertuples(index=False):
        entry = state.setdefault((row.segment_id, row.coder), {"codes": [], "rejected": set(), "last": 0})
        codes = entry["codes"]
        if row.action in ("reject", "replace"):
            target = row.code if row.action == "reject" else row.replaces
            if target in codes:
                codes.remove(target)
            rejects = row.rejects if with_rejects else target  # "" where a merge since made it no rejection
            if rejects:
                entry["rejected"].add(rejects)
        if row.action in ("accept", "add", "replace"):
            if row.exclusive_codebook:
                codes.clear()
            if row.code and row.code not in codes:  # "": a code split since, no code until recoded
                codes.append(row.code)
            entry["rejected"].discard(row.code)
        entry["last"] = int(row.id)
    rows = [(segment, coder, sorted(entry["codes"]), sorted(entry["rejected"]), entry["last"])
            for (segment, coder), entry in state.items()]
    return pd.DataFrame(rows, columns=STATE_COLUMNS)


def segment_status(state: pd.DataFrame) -> pd.Series:
    """``coded`` (some code applied) or ``rejected`` (only rejections) per segment id of a coder's state."""
    status = state["codes"].map(lambda codes: "coded" if codes else "rejected")
    return pd.Series(status.to_numpy(), index=state["segment_id"].to_numpy(), name="status")


def training_codings(codings: pd.DataFrame, decisions: pd.DataFrame, exclusive: bool) -> pd.DataFrame:
    """The codes the engine learns from: ``segment_id``, ``code`` (one row per code).

    A segment a coder has decided on takes the codes of the coder who decided on it most recently, starting from
    that coder's own imported codes. A rejection alone teaches nothing positive: where the latest coder holds no
    code there, the segment takes those of the coder before (or else its imported codings), less the codes a later
    coder rejected; a segment left with none is left out. Other segments keep their imported human codings. In an
    exclusive codebook a segment with several imported codes keeps its first.
    """
    state = coder_state(decisions, exclusive=exclusive, imported=codings)
    state = state[state["last_decision"] > 0].sort_values("last_decision", ascending=False)
    imported = codings[["segment_id", "code"]].drop_duplicates()
    if exclusive:
        imported = imported.drop_duplicates("segment_id")
    imported_codes = imported.groupby("segment_id", sort=False)["code"].agg(list).to_dict()
    decided = state.drop_duplicates("segment_id").iloc[::-1]["segment_id"]  # by their latest decision
    held: dict[str, list[tuple[list, list]]] = {}  # one pass: a DataFrame per segment took seconds at 20k decisions
    for segment, codes, rejected in zip(state["segment_id"], state["codes"], state["rejected"]):
        held.setdefault(segment, []).append((codes, rejected))
    from_decisions = pd.DataFrame(
        [(segment, code) for segment in decided
         for code in _codes_taught(held[segment], imported_codes.get(segment, []))],
        columns=["segment_id", "code"])
    return pd.concat([imported[~imported["segment_id"].isin(decided)], from_decisions], ignore_index=True)


def _codes_taught(held: list[tuple[list, list]], imported: list[str]) -> list[str]:
    """The codes one segment teaches, from the coders' ``(codes, rejected)`` on it (latest decision first) and its
    ``imported`` codes: the latest coder's who holds some, less those a coder after them rejected."""
    rejected: set[str] = set()
    for codes, turned_down in held:
        if codes:
            return [code for code in codes if code not in rejected]
        rejected |= set(turned_down)
    return [code for code in imported if code not in rejected]
