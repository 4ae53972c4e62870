"""How close to a human coder? The evaluation protocol.

Cross-validation grouped by document (no transcript is on both sides of a split), repeated over a learning curve of
coded examples per code, for any engine with ``fit(coded, codebook)`` and ``predict_proba(segments)``.

Metrics, on the coded segments of each test fold (the other segments of a test document stay in as context):

``accuracy``, ``macro_f1``, ``kappa``
    of the top code against the human code (Cohen's κ from :mod:`theme_assist.agree`; macro-F1 is the mean F1 of
    the codes the human or the engine gave in the fold, so a code the engine gave that the fold's human codes lack
    counts as 0, and codes neither gave do not count);
``top3_recall``
    the human code is among the three best;
``abstention_rate``, ``accuracy_answered``
    share of segments whose best score is below the engine's threshold, and accuracy on the rest;
``ece``
    expected calibration error of the best score (10 equal-width bins).

Per code (:func:`code_counts`, :func:`per_code_agreement`, pooled over folds by :func:`per_code_summary`): how
often the human and the engine's top code gave it, precision, recall, F1 and Cohen's κ on its presence/absence —
which codes a team can hand to the machine and which it should keep checking.

The coders' agreement (:func:`coders_agreement`): where several coders coded some segments of a team's file, their
κ with each other on those segments, and the machine's out-of-fold κ with each of them on the same segments.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from theme_assist.codebook import Codebook
from theme_assist.errors import InputError

ALL = None  #: learning-curve size meaning "every coded example"
DEFAULT_SIZES = (0, 5, 10, 25, 50, 100, ALL)
FEW_SEGMENTS = 10
"""A test fold, or a code in the per-code table, with fewer human-coded segments than this is named as resting on
little (``agree`` flags comparisons on fewer than 10 units alike)."""


def grouped_folds(segments: pd.DataFrame, n_folds: int = 5, seed: int = 0) -> list[tuple[set, set]]:
    """Split documents into ``n_folds`` groups, shuffled with ``seed``: ``[(train_documents, test_documents)]``.

    Documents are dealt round-robin after a seeded shuffle, largest first, so folds have similar sizes.
    """
    documents = segments.groupby("document", sort=True)["code"].apply(lambda c: int((c != "").sum()))
    refuse_too_few_documents(documents, n_folds)
    rng = np.random.default_rng(seed)
    shuffled = documents.iloc[rng.permutation(len(documents))]
    ordered = shuffled.sort_values(ascending=False, kind="stable").index.tolist()
    folds = [set(ordered[i::n_folds]) for i in range(n_folds)]
    everything = set(documents.index)
    return [(everything - test, test) for test in folds]


def refuse_too_few_documents(documents: pd.Series, n_folds: int) -> None:
    """Raise :class:`InputError` unless ``n_folds`` of ``documents`` (document → its number of coded segments)
    have coded segments: dealt largest first, each test fold then holds one (a test fold of uncoded documents only
    had nothing to score, and F1 failed with a traceback)."""
    coded = int((documents > 0).sum())
    if coded >= n_folds:
        return
    uncoded = len(documents) - coded
    found = f"found {coded}" + (f" ({uncoded} more have uncoded segments only)" if uncoded else "")
    if coded >= 2:
        raise InputError(f"grouped cross-validation in {n_folds} folds needs at least {n_folds} documents with coded "
                         f"segments, {found}: give fewer folds (--folds)")
    # fewer folds cannot help: --folds is at least 2
    advice = ("code segments in a second document" if uncoded else
              "the 'document' column says which transcript each row is from; give each transcript its own name there")
    raise InputError(f"grouped cross-validation needs at least 2 documents with coded segments, {found}: {advice}")


def limit_examples(segments: pd.DataFrame, per_code: int | None, seed: int = 0) -> pd.DataFrame:
    """Keep at most ``per_code`` coded segments of each code (seeded choice); the others lose their code but stay
    as context. ``None`` keeps everything; ``0`` removes every code (codebook only)."""
    if per_code is None:
        return segments
    if per_code < 0:
        raise InputError(f"examples per code cannot be negative, got {per_code}")
    rng = np.random.default_rng(seed)
    keep = []
    for _, rows in segments[segments["code"] != ""].groupby("code", sort=True):
        index = rows.index.to_numpy()
        keep.extend(rng.permutation(index)[:per_code])
    out = segments.copy()
    out.loc[~out.index.isin(keep), "code"] = ""
    return out


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, n_bins: int = 10) -> float:
    """Mean |accuracy − confidence| over equal-width confidence bins, weighted by bin size."""
    if len(confidence) == 0:
        return float("nan")
    bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
    error = 0.0
    for b in np.unique(bins):
        in_bin = bins == b
        error += in_bin.mean() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return float(error)


def score_predictions(truth: pd.Series, proba: pd.DataFrame, threshold: float = 0.0) -> dict:
    """The metrics of the module docstring for human codes ``truth`` and scores ``proba`` (same index)."""
    from sklearn.metrics import f1_score

    from theme_assist.agree import cohen_kappa

    proba = proba.loc[truth.index]
    classes = np.array(proba.columns)
    scores = proba.to_numpy()
    order = np.argsort(-scores, axis=1, kind="stable")
    predicted = classes[order[:, 0]]
    truth_values = truth.to_numpy().astype(str)
    correct = predicted == truth_values
    confidence = scores[np.arange(len(scores)), order[:, 0]]
    answered = confidence >= threshold
    top3 = (classes[order[:, :3]] == truth_values[:, None]).any(axis=1)
    return {
        "n": int(len(truth)),
        "accuracy": float(correct.mean()),
        "macro_f1": float(f1_score(truth_values, predicted, average="macro", zero_division=0)),
        "kappa": float(cohen_kappa(truth_values, predicted).value),
        "top3_recall": float(top3.mean()),
        "abstention_rate": float(1 - answered.mean()),
        "accuracy_answered": float(correct[answered].mean()) if answered.any() else float("nan"),
        "ece": expected_calibration_error(confidence, correct),
        "code_counts": code_counts(truth_values, predicted).to_dict(orient="list"),
    }


def code_counts(truth, predicted) -> pd.DataFrame:
    """One row per code that the human or the engine gave, in sorted order: ``reference`` (segments the human
    gave it), ``suggested`` (segments whose top code it is) and ``agreed`` (both)."""
    truth, predicted = np.asarray(truth, dtype=str), np.asarray(predicted, dtype=str)
    codes = sorted(set(truth) | set(predicted))
    return pd.DataFrame({"code": codes,
                         "reference": [int((truth == c).sum()) for c in codes],
                         "suggested": [int((predicted == c).sum()) for c in codes],
                         "agreed": [int(((truth == c) & (predicted == c)).sum()) for c in codes]})


def per_code_agreement(counts: pd.DataFrame, n: int) -> pd.DataFrame:
    """``counts`` (:func:`code_counts`, over ``n`` segments) with ``precision``, ``recall``, ``f1`` and ``kappa``:
    Cohen's κ between human and engine on the code's presence/absence (NaN where it is undefined)."""
    from theme_assist.agree import cohen_kappa

    out = counts.copy()
    reference, suggested, agreed = (out[c].to_numpy(dtype=float) for c in ("reference", "suggested", "agreed"))
    with np.errstate(invalid="ignore", divide="ignore"):
        out["precision"] = agreed / suggested
        out["recall"] = agreed / reference
        out["f1"] = 2 * agreed / (reference + suggested)
    kappas = []
    for both, human, machine in zip(agreed.astype(int), reference.astype(int), suggested.astype(int)):
        # the 2x2 table as units: both / human only / engine only / neither
        cells = [both, human - both, machine - both, n - human - machine + both]
        human_says = np.repeat([1, 1, 0, 0], cells)
        machine_says = np.repeat([1, 0, 1, 0], cells)
        kappas.append(cohen_kappa(human_says, machine_says, categories=(0, 1)).value)
    out["kappa"] = np.array(kappas, dtype=float)
    return out


def per_code_summary(results: pd.DataFrame, per_code="all") -> pd.DataFrame:
    """:func:`per_code_agreement` of every engine at learning-curve size ``per_code``, counts added over folds:
    one row per (engine, code), ``per_code`` repeated in a column of that name."""
    tables = []
    for engine, rows in results[results["per_code"] == per_code].groupby("engine", sort=False):
        counts = pd.concat([pd.DataFrame(c) for c in rows["code_counts"]]).groupby("code", sort=True).sum()
        tables.append(per_code_agreement(counts.reset_index(), int(rows["n"].sum()))
                      .assign(engine=engine, per_code=per_code))
    columns = ["engine", "per_code", "code", "reference", "suggested", "agreed", "precision", "recall", "f1", "kappa"]
    return pd.concat(tables, ignore_index=True)[columns] if tables else pd.DataFrame(columns=columns)


@dataclass
class Engine:
    """A named factory of fresh engines, and the threshold its abstentions are measured at when a fitted engine
    does not say (``threshold_``)."""

    name: str
    make: Callable[[], object]
    threshold: float = 0.0


def cross_validate(segments: pd.DataFrame, codebook: Codebook, engines: list[Engine],
                   sizes=DEFAULT_SIZES, n_folds: int = 5, seed: int = 0,
                   progress: Callable[[str], None] | None = None,
                   top_codes: dict | None = None) -> pd.DataFrame:
    """Run every engine on every fold and learning-curve size; one row of metrics per (engine, size, fold).

    ``top_codes``, where given, gets ``(engine, per_code) → Series``: the top code of every coded segment (index
    ``segment_id``), each from the fold that held its document out (the out-of-fold predictions the metrics are
    computed on; ``per_code`` as in the results, ``"all"`` for every example).
    """
    rows = []
    for fold, (train_documents, test_documents) in enumerate(grouped_folds(segments, n_folds, seed)):
        train = segments[segments["document"].isin(train_documents)]
        test = segments[segments["document"].isin(test_documents)]
        truth = test[test["code"] != ""].set_index("segment_id")["code"]
        for size in sizes:
            limited = limit_examples(train, size, seed=seed + fold)
            for engine in engines:
                if progress:
                    progress(f"fold {fold + 1}/{n_folds}, {size if size is not None else 'all'} per code, "
                             f"{engine.name}")
                started = time.perf_counter()
                model = engine.make().fit(limited if size != 0 else None, codebook)
                proba = model.predict_proba(test)
                metrics = score_predictions(truth, proba, getattr(model, "threshold_", engine.threshold))
                if top_codes is not None:
                    # the first of equal best scores, as score_predictions takes it
                    best = proba.loc[truth.index].idxmax(axis=1)
                    key = (engine.name, "all" if size is None else size)
                    top_codes[key] = pd.concat([top_codes[key], best]) if key in top_codes else best
                rows.append({"engine": engine.name, "per_code": "all" if size is None else size, "fold": fold,
                             "n_train": int((limited["code"] != "").sum()) if size != 0 else 0,
                             "seconds": round(time.perf_counter() - started, 2), **metrics})
    return pd.DataFrame(rows)


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation over folds for every engine and size."""
    metrics = ["accuracy", "macro_f1", "kappa", "top3_recall", "abstention_rate", "accuracy_answered", "ece",
               "seconds"]
    grouped = results.groupby(["engine", "per_code"], sort=False)[metrics]
    summary = grouped.mean().round(3) + 0.0  # a κ of -1e-17 (rounding error of a constant answer) reads 0.0, not -0.0
    spread = grouped.std().round(3).add_suffix("_sd")
    return summary.join(spread[["kappa_sd", "macro_f1_sd"]]).reset_index()


ROUGH_FOLD = 30
"""Test folds holding a median of fewer coded segments than this make every figure rough (:func:`rough_note`)."""
ROUGH_KAPPA_SD = 0.15
"""A κ standard deviation over the folds above this makes the figures rough (:func:`rough_note`)."""


def rough_note(results: pd.DataFrame) -> str | None:
    """A sentence saying that the figures of :func:`cross_validate`'s ``results`` are rough, where they are; None
    where they are not.

    They are rough where the test folds hold a median of fewer than :data:`ROUGH_FOLD` coded segments, or where κ's
    standard deviation over the folds exceeds :data:`ROUGH_KAPPA_SD` for an engine at the largest learning-curve size
    (the figures a reader takes away). Both bounds follow from κ's standard error on ``n`` segments, about
    ``sqrt(p_o (1 - p_o) / n) / (1 - p_e)`` (Cohen 1960): at an agreement ``p_o`` of 0.7 and a chance agreement
    ``p_e`` of 0.3 it is 0.12 at 30 segments and 0.19 at 12, so below 30 a fold's κ is uncertain by more than half
    of one band of Landis and Koch (0.2 wide: "moderate", "substantial"), and folds scattering by more than 0.15 put
    the mean's band itself in doubt. The smaller notes of :func:`reliability_notes` (a fold of fewer than
    :data:`FEW_SEGMENTS`) name single folds; this one says that the figures as a whole are rough, as the benchmarks'
    (600 to 1,200 segments a fold, κ spread 0.06 at most) are not. Folds whose κ is undefined are left out of the
    spread, as :func:`summarise` leaves them out.

    Parameters
    ----------
    results : DataFrame
        One row per (engine, size, fold): ``engine``, ``per_code``, ``fold``, ``n`` (the fold's coded segments),
        ``kappa``.

    Returns
    -------
    str or None
        The sentence, without a final full stop.
    """
    if not len(results):
        return None
    fold_sizes = results.groupby("fold")["n"].first()
    median = float(fold_sizes.median())
    sizes = set(results["per_code"])
    largest = "all" if "all" in sizes else max(sizes)
    spread = results[results["per_code"] == largest].groupby("engine", sort=False)["kappa"].std().dropna()
    wide = spread[spread > ROUGH_KAPPA_SD].round(2)
    reasons = []
    if median < ROUGH_FOLD:
        reasons.append(f"the test folds hold a median of {median:g} coded segments (fewer than {ROUGH_FOLD})")
    if len(wide):
        reasons.append("κ varies over the folds by ±" + ", ±".join(f"{sd:.2f} ({engine})" for engine, sd in
                                                                    wide.items())
                       + f" at {largest} per code (more than ±{ROUGH_KAPPA_SD})")
    if not reasons:
        return None
    return (f"these figures are rough: {' and '.join(reasons)}; a fold's κ on so few segments, or so unlike the "
            "others, is uncertain by about ±0.1 to ±0.2, so differences between engines or sizes smaller than that "
            "may be chance; code more documents"
            + (", or give fewer folds (each test fold then holds more)" if fold_sizes.size > 2 else ""))


def reliability_notes(results: pd.DataFrame, per_code: pd.DataFrame, n_choices: int | None = None,
                      with_rough: bool = True) -> list[str]:
    """Sentences naming the figures of :func:`cross_validate`'s ``results`` and :func:`per_code_summary`'s
    ``per_code`` that rest on little: first :func:`rough_note`'s, where the figures as a whole are rough (unless
    ``with_rough`` is false: for a caller that makes it itself, to say it apart); test folds
    and codes with fewer than :data:`FEW_SEGMENTS` human-coded segments, folds whose human codes are all one code
    (κ is 0 or undefined there, whatever the accuracy), folds whose human codes and top codes are all one code (κ is
    undefined there, so its mean is over the other folds, and accuracy and macro-F1 are 1.0 there), and top-3 recall
    where the engines choose among ``n_choices`` codes, 3 or fewer (it is then 1.0 whatever the engine)."""
    notes = [note] if with_rough and (note := rough_note(results)) else []
    if n_choices is not None and n_choices <= 3:
        notes.append(f"the engines choose among {n_choices} codes, so the human code is always among the three "
                     "best: top3_recall is 1.0 for any engine and says nothing here")
    n_folds = results["fold"].nunique()
    fold_sizes = results.groupby("fold")["n"].first()
    small = fold_sizes[fold_sizes < FEW_SEGMENTS]
    if len(small):
        notes.append(f"{len(small)} of the {n_folds} test folds hold fewer than {FEW_SEGMENTS} coded segments "
                     f"({', '.join(map(str, small))}): each of their figures rests on a handful of segments")
    # κ against one human code is p_o - p_o over 1 - p_o: 0 whatever the accuracy, or undefined when it is 1.0
    one_code = results.groupby("fold")["code_counts"].first().map(lambda c: sum(n > 0 for n in c["reference"]) == 1)
    if one_code.any():
        notes.append(f"{int(one_code.sum())} of the {n_folds} test folds hold segments of one human code only: κ "
                     "there is 0 for an engine whose top codes are not all that code, however many it got right, and "
                     "undefined for one whose are, so the mean κ says little of them; read accuracy and macro-F1"
                     + (", or give fewer folds (documents of other codes then share them)" if n_folds > 2 else ""))
    defined = results.groupby(["engine", "per_code"], sort=False)["kappa"].count()
    short = defined[defined < n_folds]
    if len(short):
        which = ", ".join(f"{engine} at {size} per code in {n_folds - count}" for (engine, size), count in
                          short.items())
        notes.append(f"in some test folds the human codes and the top codes are all one code ({which} of the "
                     f"{n_folds} folds): κ is undefined there and its mean is over the other folds; accuracy and "
                     "macro-F1 are 1.0 there")
    few = per_code[(per_code["engine"] == per_code["engine"].iloc[0]) & (per_code["reference"] > 0)
                   & (per_code["reference"] < FEW_SEGMENTS)] if len(per_code) else per_code
    if len(few):
        listed = ", ".join(f"{code} {n}" for code, n in zip(few["code"][:5], few["reference"][:5]))
        notes.append(f"{len(few)} code(s) were given to fewer than {FEW_SEGMENTS} segments by the human coder "
                     f"({listed}{', …' if len(few) > 5 else ''}): their per-code figures change a lot with one "
                     "segment more or less")
    return notes


ROUGH_SHARED = 20
"""Fewer segments coded by two coders or more than this make :func:`coders_agreement`'s figures rough: by the bound
of :func:`rough_note`, κ's standard error on 20 segments is about 0.15 (p_o 0.7, p_e 0.3), most of one band of
Landis and Koch, so the coders' κ and the machine's beside it could trade places by chance."""
CODERS_RESAMPLES = 1000
"""Bootstrap resamples of :func:`coders_agreement`'s intervals: as many as ``theme-assist agree`` draws by default."""


def coders_agreement(coders: pd.DataFrame, top_codes: pd.Series, trained_on: str, per_code: int | str,
                     machine: str = "theme_assist", n_boot: int = CODERS_RESAMPLES, seed: int = 0) -> dict:
    """The coders' agreement with each other on the segments several of them coded, and the machine's with each of
    them on the same segments: how far the machine's κ is from the humans' own, on one set of units.

    The comparisons are :func:`~theme_assist.agree.machine.agreement_report`'s, as ``theme-assist agree --machine``
    makes them: Cohen's κ of each pair of coders and of the machine with each coder, on the segments both gave a
    code (Fleiss' κ of all the coders too, where there are three or more), each with a 95% BCa bootstrap interval
    over segments (``n_boot`` resamples; each comparison's seed derived from ``seed`` and its two names). The
    machine's codes are its out-of-fold top codes (:func:`cross_validate`'s ``top_codes``), without abstention, as
    the evaluation's κ takes them; its κ here is on the segments pooled over the folds, not a mean over folds.

    Parameters
    ----------
    coders : DataFrame
        Segments × coders (:attr:`~theme_assist.benchmarks.Benchmark.coders`), ``trained_on`` first: each coder's
        code, NaN where that coder gave none.
    top_codes : Series
        The machine's top code of each segment (index ``segment_id``), from the fold that held its document out.
    trained_on : str
        The coder whose codes the machine learned from (``--coder``).
    per_code : int or "all"
        The learning-curve size ``top_codes`` are from: examples per code the machine learned from.
    machine : str
        The machine's name in the comparisons (another where a coder has it).
    n_boot, seed : int
        The bootstrap's resamples and seed.

    Returns
    -------
    dict
        JSON-ready: ``n_segments`` (segments ``trained_on`` and at least one other coder coded), ``coders``
        (their names, ``trained_on`` first), ``trained_on``, ``machine``, ``per_code``, ``interval`` (how the
        intervals were drawn: ``confidence``, ``method`` ``"bca"``, ``n_boot``, ``seed``), ``comparisons`` (the
        coders' pairs, ``all coders`` where there are three or more, then the machine against each coder; each with
        ``comparison`` (``"ana vs ben"``, ``"theme_assist vs ana"``), ``kind`` (``human-human``, ``humans``,
        ``machine-human``), ``coefficient`` (``"Cohen's kappa"``, ``"Fleiss' kappa"``), ``n_units`` (segments both
        sides coded), ``kappa``, ``ci`` (``[low, high]``; null without a bootstrap, its limits null where
        undefined), ``reason`` (why κ or its interval is undefined; null)), ``rough`` (the sentence saying that the
        figures are rough, where fewer than :data:`ROUGH_SHARED` segments are compared; null), ``in_place``
        (the machine in place of ``trained_on``: ``comparison``, ``difference`` (its κ with the other coders less
        ``trained_on``'s; null where undefined), ``machine`` and ``coder`` (the two κ), ``ci`` (paired), ``reason``)
        and ``notes``
        (sentences without a final full stop: ``rough`` first where there is one, then which coder the machine
        learned from, then why a κ or interval is n/a, naming the comparisons of each reason).
    """
    from theme_assist.agree.machine import agreement_report
    from theme_assist.errors import listed

    while machine in coders.columns:  # a coder named "theme_assist", and one "theme_assist (machine)" too
        machine = f"{machine} (machine)"
    report = agreement_report(coders, top_codes.reindex(coders.index).rename(machine), metrics=["cohen"],
                              n_boot=n_boot, seed=seed)
    order = {"human-human": 0, "humans": 1, "machine-human": 2}  # the humans' own first, the machine's beside it
    report = report[report["kind"].isin(order)].sort_values("kind", key=lambda kind: kind.map(order), kind="stable")
    comparisons = []
    for row in report.itertuples():
        entry = row.metrics["cohen"]
        comparisons.append({"comparison": "all coders" if row.kind == "humans" else row.comparison,
                            "kind": row.kind, "coefficient": entry["coefficient"], "n_units": int(row.n_units),
                            "kappa": entry["value"], "ci": entry.get("ci"), "reason": entry["reason"]})
    n = len(coders)
    others = listed([str(name) for name in coders.columns[1:]])
    learned = f"{trained_on}'s codes alone" + ("" if per_code == "all" else f", at most {per_code} per code")
    pooled = "κ here is on these segments pooled over the folds, not a mean over folds as in the table above"
    notes = [f"{machine} learned from {learned} (those of {others} were not used): each segment's code is its top "
             f"code in the fold that held its document out, so it never saw that segment's code; its κ against "
             f"{trained_on} says how well it learned that coder's way of coding, its κ against {others} how well "
             f"that carries over to another coder, and the coders' κ with each other is what either can be read "
             f"against. {pooled}"]
    if per_code == 0:  # it learned no coder's way of coding: the codebook's definitions and examples alone
        notes = [f"{machine} learned from no coded examples (the codebook alone, per_code 0): its κ against each "
                 f"coder ({trained_on}, {others}) says how near the codebook alone brings it to that coder's way of "
                 f"coding, and the coders' κ with each other is what it can be read against. {pooled}"]
    undefined: dict[str, list[str]] = {}  # the tables show "n/a" alone: why, once per reason
    for row in comparisons:
        if row["reason"]:
            undefined.setdefault(row["reason"], []).append(row["comparison"])
    notes += [f"n/a for {listed(names)}: {reason}" for reason, names in undefined.items()]
    rough = None
    if n < ROUGH_SHARED:
        rough = (f"these figures are rough: {n} segment(s) are coded by {trained_on} and another coder (fewer than "
                 f"{ROUGH_SHARED}); κ on so few segments is uncertain by ±0.3 or more (read the intervals), so a "
                 "difference between the coders' κ and the machine's smaller than that may be chance; have more "
                 "segments coded twice")
    return {"n_segments": n, "coders": [str(name) for name in coders.columns], "trained_on": trained_on,
            "machine": machine, "per_code": per_code,
            "interval": {"confidence": 0.95, "method": "bca", "n_boot": n_boot, "seed": seed},
            "comparisons": comparisons, "in_place": _in_place_of(coders, top_codes, trained_on, machine, n_boot, seed),
            "rough": rough, "notes": [rough, *notes] if rough else notes}


def _in_place_of(coders: pd.DataFrame, top_codes: pd.Series, trained_on: str, machine: str, n_boot: int,
                 seed: int) -> dict:
    """The machine in place of the coder it learned from (:func:`~theme_assist.agree.paired.machine_in_place`):
    its κ with the other coders less ``trained_on``'s, with a paired interval. Only that coder's row is fair here:
    the machine's κ with ``trained_on`` is that of a learner with its teacher, so it is in no side of this one."""
    from theme_assist.agree.paired import machine_in_place

    rows = machine_in_place(coders, top_codes.reindex(coders.index).rename(machine), metrics=["cohen"],
                            n_boot=n_boot, seed=seed, bootstrap_interval="bca")
    entry = next(row for row in rows if row["coder"] == str(trained_on))["metrics"]["cohen"]
    return {"comparison": f"{machine} in place of {trained_on}", "difference": entry["value"],
            "machine": entry["machine"], "coder": entry["coders"], "ci": entry.get("ci"), "reason": entry["reason"]}


def in_place_sentence(agreement: dict) -> str:
    """What the report and the terminal say of :func:`coders_agreement`'s ``in_place``, without a final full stop."""
    from theme_assist.errors import listed

    found = agreement["in_place"]
    others = listed([name for name in agreement["coders"] if name != agreement["trained_on"]])
    if found["difference"] is None:
        return f"{found['comparison']}: n/a ({found['reason']})"
    ci = found["ci"] or [None, None]
    interval = "" if None in ci else f" (95% interval {figure(ci[0])} to {figure(ci[1])}, paired: both κ on the " \
                                     "same resampled segments)"
    return (f"{found['comparison']}: its κ with {others} less {agreement['trained_on']}'s, "
            f"{figure(found['machine'])} − {figure(found['coder'])} = {found['difference']:+.3f}{interval}; below 0 "
            f"it agrees with {others} less than {agreement['trained_on']} does (`theme-assist agree --machine "
            "--margin` tests it against a margin)")


def coders_agreement_markdown(agreement: dict) -> list[str]:
    """Lines of the report's section on :func:`coders_agreement`'s figures: a sentence on what is compared, a table
    of the comparisons, and the notes."""
    interval = agreement["interval"]
    lines = ["## The coders' agreement, and the machine's beside it", "",
             f"On the {agreement['n_segments']} segments that {agreement['trained_on']} and another coder both coded "
             f"(coders: {', '.join(agreement['coders'])}): Cohen's κ of each pair"
             + (", Fleiss' κ of all the coders" if len(agreement["coders"]) > 2 else "")
             + f", and of {agreement['machine']}'s top code (out of fold) with each coder, with 95% intervals "
               f"(BCa bootstrap over segments, {interval['n_boot']:,} resamples, seed {interval['seed']}, as "
               "`theme-assist agree` draws them).", "",
             "| comparison | segments | κ | 95% interval |", "|---|---|---|---|"]
    for row in agreement["comparisons"]:
        ci = row["ci"] or [None, None]
        interval_cell = "n/a" if None in ci else f"{figure(ci[0])} to {figure(ci[1])}"
        lines.append(f"| {row['comparison'].replace('|', chr(92) + '|')} | {row['n_units']} | "
                     f"{figure(row['kappa'])} | {interval_cell} |")
    lines += ["", in_place_sentence(agreement) + ".", ""]
    lines += [f"Note: {note}." for note in agreement["notes"]]
    return lines


#: Goals of the project for each benchmark (metric, value) and the TF-IDF baseline measured when they were set.
GOALS = {"annomi-therapist": ("kappa", 0.74), "annomi-client": ("kappa", 0.47), "esconv": ("macro_f1", 0.60),
         "epitome-er": ("kappa", 0.60)}


def default_engines(embedder=None) -> list[Engine]:
    """The suggester with its default settings (on ``embedder``; ``None``: the packaged model), and the two
    baselines."""
    from theme_assist.baselines import MajorityBaseline, TfidfLogisticBaseline
    from theme_assist.suggest import CodeSuggester

    return [
        Engine("theme_assist", lambda: CodeSuggester(embedder=embedder)),
        Engine("tfidf_logreg", TfidfLogisticBaseline),
        Engine("majority", MajorityBaseline),
    ]


def report_markdown(name: str, summary: pd.DataFrame, meta: dict, per_code: pd.DataFrame | None = None) -> str:
    """The evaluation of one corpus as Markdown: the learning curve table, goals and human agreement (with what it
    was measured on, ``human_kappa_basis``, where that is not the corpus scored), the coders' agreement and the
    machine's beside it (:func:`coders_agreement`, ``coders_agreement``) where several coders coded some segments,
    and the per-code table (:func:`per_code_summary`) where one is given."""
    lines = [f"# Evaluation: {name}", "", meta.get("citation", ""), "",
             f"{meta['n_folds']}-fold cross-validation grouped by document (seed {meta['seed']}), "
             f"{meta['n_segments']} coded segments in {meta['n_documents']} documents, {meta['n_codes']} codes. "
             f"`per_code` = coded examples per code in the training folds (0 = codebook only). "
             f"Each figure is the mean of the {meta['n_folds']} test folds' (κ on each fold's segments alone, not on "
             f"the folds' predictions pooled); `kappa_sd`: κ's standard deviation over the folds. "
             f"Abstention: theme_assist's default threshold ({meta['threshold']}). "
             f"Embedding model: {meta.get('embedding_model', 'the packaged default')}.", ""]
    columns = ["engine", "per_code", "accuracy", "macro_f1", "kappa", "kappa_sd", "top3_recall",
               "abstention_rate", "accuracy_answered", "ece", "seconds"]
    lines.append("| " + " | ".join(columns) + " |")
    lines.append("|" + "---|" * len(columns))
    for row in summary[columns].itertuples(index=False):
        lines.append("| " + " | ".join("" if pd.isna(v) else str(v) for v in row) + " |")
    lines.append("")
    lines += [f"Note: {note}." for note in meta.get("notes", [])]
    if meta.get("human_kappa") is not None:
        basis = f", {meta['human_kappa_basis']}" if meta.get("human_kappa_basis") else ""
        lines.append(f"Human–human agreement (published, mean pairwise Cohen's κ{basis}): {meta['human_kappa']}.")
    if meta.get("goal"):
        metric, goal = meta["goal"]
        ours = summary[(summary["engine"] == "theme_assist") & (summary["per_code"] == "all")][metric]
        value = float(ours.iloc[0]) if len(ours) else float("nan")
        verdict = "met" if value >= goal else "not met"
        lines.append(f"Goal: {metric} ≥ {goal} with all examples — theme_assist {value:.3f}: **{verdict}**.")
    if meta.get("coders_agreement"):
        lines += ["", *coders_agreement_markdown(meta["coders_agreement"])]
    if per_code is not None and len(per_code):
        lines += ["", *per_code_markdown(per_code, meta["n_folds"], meta.get("coder"))]
    lines += ["", meta["machine_markdown"], ""]
    return "\n".join(lines)


def figure(value) -> str:
    """``value`` with three decimals for a report's or the console's table, ``n/a`` where it is undefined (NaN)."""
    # rounded first: a κ of -1e-14 (a code the engine never gave, rounding error) read "-0.000"
    return "n/a" if pd.isna(value) else f"{round(float(value), 3) + 0.0:.3f}"


def per_code_markdown(per_code: pd.DataFrame, n_folds: int, coder: str | None = None) -> list[str]:
    """Lines of a Markdown table: each code's human count, theme_assist's precision, recall, F1 and κ, and the F1
    of the other engines beside it. ``coder``: whose the human codes are, where they are one coder's of several
    (``evaluate --coder``), named in the human column's header and the sentence above the table."""
    size = per_code["per_code"].iloc[0]
    ours = per_code[per_code["engine"] == "theme_assist"].set_index("code")
    others = [e for e in per_code["engine"].unique() if e != "theme_assist"]
    if coder is not None:  # a line break typed in a spreadsheet's cell (Alt+Enter) split the table's header row
        coder = " ".join(str(coder).split())
    human = "human" if coder is None else f"human ({coder})".replace("|", "\\|")
    whose = ("Precision, recall and F1 of the engine's top code; κ: Cohen's κ between the human and the engine"
             if coder is None else f"human ({coder}): the segments {coder} gave the code (the human codes are "
             f"{coder}'s alone); precision, recall and F1 of the engine's top code against {coder}'s codes; κ: "
             f"Cohen's κ between {coder} and the engine")
    lines = [f"## Per code ({size} examples per code, counts pooled over the {n_folds} test folds)", "",
             f"{whose} on whether the code applies. Read them to decide which codes the suggestions can be trusted "
             "on.", "",
             f"| code | {human} | suggested | precision | recall | F1 | κ | " + " | ".join(f"{e} F1" for e in others)
             + " |", "|---|" + "---|" * (6 + len(others))]

    for code, row in ours.iterrows():
        cell = str(code).replace("|", "\\|")  # a code id "costs|money" split its row into one cell more
        other_f1 = [figure(per_code[(per_code["engine"] == e) & (per_code["code"] == code)]["f1"].max())
                    for e in others]
        lines.append(f"| {cell} | {row['reference']} | {row['suggested']} | {figure(row['precision'])} | "
                     f"{figure(row['recall'])} | {figure(row['f1'])} | {figure(row['kappa'])} | "
                     + " | ".join(other_f1) + " |")
    return lines


def plot_learning_curve(name: str, summary: pd.DataFrame, path, metric: str = "kappa",
                        human_kappa: float | None = None, goal: tuple[str, float] | None = None) -> None:
    """A PNG of ``metric`` against examples per code, one line per engine, with the human–human κ and the goal
    as horizontal lines where they apply."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6.4, 4))
    for engine, rows in summary.groupby("engine", sort=False):
        axis.plot([str(v) for v in rows["per_code"]], rows[metric], marker="o", label=engine)
    if human_kappa is not None and metric == "kappa":
        axis.axhline(human_kappa, color="grey", linestyle="--", label=f"human–human κ {human_kappa}")
    if goal is not None and goal[0] == metric:
        axis.axhline(goal[1], color="black", linestyle=":", label=f"goal {goal[1]}")
    axis.set_xlabel("coded examples per code (0 = codebook only)")
    axis.set_ylabel(metric)
    axis.set_title(f"{name}: learning curve")
    axis.grid(alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
