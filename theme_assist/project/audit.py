"""The audit trail: every codebook version, imported coding, machine suggestion and review decision of a project,
with who (coder or model), when and which model, in one time-ordered table; and the project's REFI-QDA export.

Columns of :func:`audit_table` (:data:`AUDIT_COLUMNS`):

``time``            when it was stored (ISO 8601 UTC).
``event``           ``codebook``, ``human_coding``, ``machine_suggestion`` or ``decision``.
``action``          a decision's action (``accept``, ``reject``, ``replace``, ``add``, ``undo``); ``suggest`` for
                    a machine suggestion, ``import`` for a human coding, ``version N`` for a codebook.
``actor``           the coder, or the model id for a machine suggestion.
``segment_id``, ``document``, ``code``, ``replaces``
``score``, ``rank``  of a suggestion (also on a decision that answers one).
``model_id``, ``engine_version``, ``run_id``  the model run of a suggestion (or of the suggestion a decision
                    answers).
``suggestion_id``, ``decision_id``, ``undoes``, ``batch``, ``reason``, ``source``
``superseded``      whether something later replaced it: a later run (suggestions), an ``undo`` (decisions), a
                    newer codebook version.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from theme_assist.project.state import coder_state
from theme_assist.project.store import ProjectStore

AUDIT_COLUMNS = ["time", "event", "action", "actor", "segment_id", "document", "code", "replaces", "score", "rank",
                 "model_id", "engine_version", "run_id", "suggestion_id", "decision_id", "undoes", "batch", "reason",
                 "source", "superseded"]


def audit_table(store: ProjectStore) -> pd.DataFrame:
    """The whole trail, oldest first (see the module docstring for the columns)."""
    history = store.codebook_history()
    codebooks = pd.DataFrame({"time": history["created_at"], "event": "codebook",
                              "action": "version " + history["version"].astype(str), "actor": history["author"],
                              "reason": history["note"],
                              "superseded": history["version"] < history["version"].max()})
    codings = store.codings()
    human = pd.DataFrame({"time": codings["created_at"], "event": "human_coding", "action": "import",
                          "actor": codings["coder"], "segment_id": codings["segment_id"], "code": codings["code"],
                          "source": codings["source"], "superseded": False})
    runs = store.runs()
    suggestions = store.all_suggestions()
    latest_run = runs["id"].max() if len(runs) else None
    machine = pd.DataFrame({"time": suggestions["created_at"], "event": "machine_suggestion", "action": "suggest",
                            "actor": suggestions["model_id"], "segment_id": suggestions["segment_id"],
                            "code": suggestions["code"], "score": suggestions["score"].round(4),
                            "rank": suggestions["rank"], "model_id": suggestions["model_id"],
                            "engine_version": suggestions["engine_version"], "run_id": suggestions["run_id"],
                            "suggestion_id": suggestions["id"], "superseded": suggestions["run_id"] != latest_run})
    decisions = store.decisions()
    answered = suggestions.set_index("id")[["score", "rank", "model_id", "engine_version", "run_id"]]
    answered = answered.reindex(decisions["suggestion_id"].astype("Int64")).reset_index(drop=True)
    review = pd.DataFrame({"time": decisions["created_at"], "event": "decision", "action": decisions["action"],
                           "actor": decisions["coder"], "segment_id": decisions["segment_id"],
                           "code": decisions["code"], "replaces": decisions["replaces"],
                           "score": answered["score"].round(4), "rank": answered["rank"],
                           "model_id": answered["model_id"], "engine_version": answered["engine_version"],
                           "run_id": answered["run_id"], "suggestion_id": decisions["suggestion_id"],
                           "decision_id": decisions["id"], "undoes": decisions["undoes"],
                           "batch": decisions["batch"], "reason": decisions["reason"],
                           "superseded": decisions["undone"]})
    parts = [part for part in (codebooks, human, machine, review) if len(part)]
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=AUDIT_COLUMNS)
    table = table.reindex(columns=AUDIT_COLUMNS)
    document_of = store.segments().set_index("segment_id")["document"]
    table["document"] = table["segment_id"].map(document_of)
    for column in ("run_id", "suggestion_id", "decision_id", "undoes", "rank"):
        table[column] = table[column].astype("Int64")
    return table.sort_values("time", kind="stable").reset_index(drop=True)


def write_audit(store: ProjectStore, path: str | Path) -> int:
    """Write :func:`audit_table` as CSV; returns the number of rows."""
    table = audit_table(store)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, index=False)
    return len(table)


def current_codings(store: ProjectStore) -> pd.DataFrame:
    """Every coder's codes as they stand after review, plus imported codings of segments nobody reviewed:
    ``segment_id``, ``code``, ``coder``."""
    codebook = store.codebook()
    state = coder_state(store.decisions(), exclusive=codebook.exclusive).explode("codes").dropna(subset=["codes"])
    reviewed = pd.DataFrame({"segment_id": state["segment_id"], "code": state["codes"], "coder": state["coder"]})
    codings = store.codings()
    imported = codings[~codings["segment_id"].isin(set(state["segment_id"]))][["segment_id", "code", "coder"]]
    return pd.concat([imported, reviewed], ignore_index=True).drop_duplicates().reset_index(drop=True)


def export_qdpx(store: ProjectStore, out: str | Path):
    """Write the project as a REFI-QDA ``.qdpx``: texts, codebook, each coder's current codings (by coder) and
    the latest run's suggestions (by a user named after the model, score and rank in the description).

    The per-decision history (time, undo, the suggestion answered) is not part of QDA-XML codings as
    :func:`theme_assist.refi.export_project` writes them; it goes to the audit CSV (:func:`write_audit`).
    """
    from theme_assist.refi import export_project

    run = store.latest_run()
    suggestions = store.suggestions() if run else None
    return export_project(store.codebook(), store.documents_with_text(), current_codings(store), suggestions,
                          out=out, segments=store.segments(),
                          model=run["embedding_model"] if run else "no model")
