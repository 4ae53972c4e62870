"""Issue #4, an idea tried and not kept: a dialogue-act tagger over whole conversations.

The suggestion head scores each segment on its own (with its neighbours' features beside it). Dialogue-act
tagging usually gains from a sequence model over the whole conversation, so here one reads the frozen features of
every turn of a transcript in order — both speakers, coded or not — and gives each coded turn a distribution over
the codes; it is compared with, and averaged with, the replica head of ``evaluation/experiments.py`` (its
features and balanced logistic regression), on the same folds (5, grouped by document, seed 0), paired by fold.

Sequence model: per turn, the cached sentence embedding and hidden layers (the replica's represented vector), a
speaker one-hot and the relative position in the document → Linear + LayerNorm + GELU (256) → bidirectional GRU
(128 per direction) over the conversation → softmax over the codes from the GRU state and the turn's own
projection. Class-balanced cross-entropy on coded turns only, dropout 0.3 (0.1 on the input), AdamW (lr 1e-3),
batches of 8 documents of similar length, early stopping on κ + macro-F1 of an inner validation split of the
training documents (``grouped_folds(train documents, 5, seed=1)[0]``; patience 6, at most 40 epochs). By default
the early-stopped models of 3 seeds are averaged (``--refit`` instead refits one model per seed on all training
documents for the best number of epochs). CPU, two threads, fixed seeds, deterministic algorithms. The test fold
is never looked at before scoring. EPITOME has one response per document, so it is left out.

Rows: the replica, the sequence model, and the mean of their probabilities (arithmetic and geometric).

    python evaluation/sequence_model.py [--corpus annomi-client ...] [--seeds 3] [--refit]

About 20 minutes for the three corpora on 2 cores. Writes ``evaluation/results/sequence_model.{json,md}``.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from theme_assist.evaluate import grouped_folds
from theme_assist.features import FeatureBuilder
from theme_assist.machine import rerun_command, write_results

sys.path.insert(0, str(Path(__file__).resolve().parent))
from experiments import Corpus, fit_head, score  # noqa: E402

warnings.filterwarnings("ignore", category=UserWarning)
CORPORA = ["annomi-therapist", "annomi-client", "esconv"]
RESULTS = Path(__file__).resolve().parent / "results"


def replica_proba(corpus: Corpus, train_documents, test_documents):
    """The replica head's probabilities for the test fold, fitted as ``experiments.run_fold`` fits it."""
    train, test = corpus.rows(train_documents), corpus.rows(test_documents)
    represented = corpus.represented()
    builder = FeatureBuilder()
    head = fit_head(corpus.features(train, builder, represented, fit=True), corpus.labels[train])
    return head.classes_.astype(str), head.predict_proba(corpus.features(test, builder, represented))


class Tagger(nn.Module):
    """Projection of each turn, a bidirectional GRU over the conversation, and a softmax per turn."""

    def __init__(self, d_in: int, n_classes: int, proj: int = 256, hidden: int = 128, dropout: float = 0.3):
        super().__init__()
        self.input_dropout = nn.Dropout(0.1)
        self.proj = nn.Sequential(nn.Linear(d_in, proj), nn.LayerNorm(proj), nn.GELU(), nn.Dropout(dropout))
        self.context = nn.GRU(proj, hidden, batch_first=True, bidirectional=True)
        self.out = nn.Sequential(nn.Dropout(dropout), nn.Linear(2 * hidden + proj, n_classes))

    def forward(self, x, lengths):
        h = self.proj(self.input_dropout(x))
        packed = nn.utils.rnn.pack_padded_sequence(h, lengths, batch_first=True, enforce_sorted=False)
        c, _ = self.context(packed)
        c, _ = nn.utils.rnn.pad_packed_sequence(c, batch_first=True, total_length=x.shape[1])
        return self.out(torch.cat([c, h], dim=-1))


def document_rows(corpus: Corpus) -> dict[str, np.ndarray]:
    out: dict[str, list[int]] = {}
    for i, d in enumerate(corpus.documents):
        out.setdefault(d, []).append(i)
    return {d: np.array(r) for d, r in out.items()}


def utterance_inputs(corpus: Corpus) -> np.ndarray:
    represented = corpus.represented().astype(np.float32)
    speakers = sorted(corpus.segments["speaker"].astype(str).unique())
    speaker = corpus.segments["speaker"].astype(str).to_numpy()
    onehot = np.stack([(speaker == s) for s in speakers], axis=1).astype(np.float32)
    position = np.zeros(len(speaker), dtype=np.float32)
    for rows in document_rows(corpus).values():
        position[rows] = np.arange(len(rows)) / max(len(rows) - 1, 1)
    # scale the represented block so its entries are ~unit variance like the indicators
    return np.hstack([represented * np.sqrt(represented.shape[1] / 4), onehot, position[:, None]])


def batches(doc_list, rows_of, inputs, targets, batch_docs, rng=None):
    # length bucketing: documents of similar length share a batch (jittered per epoch), batches in random order
    sizes = np.array([len(rows_of[d]) for d in doc_list], dtype=float)
    if rng is not None:
        sizes = sizes * (1 + 0.3 * rng.random(len(sizes)))
    order = np.argsort(sizes, kind="stable")
    starts = list(range(0, len(order), batch_docs))
    if rng is not None:
        starts = [starts[i] for i in rng.permutation(len(starts))]
    for start in starts:
        docs = [doc_list[i] for i in order[start:start + batch_docs]]
        lengths = [len(rows_of[d]) for d in docs]
        T = max(lengths)
        x = np.zeros((len(docs), T, inputs.shape[1]), dtype=np.float32)
        y = np.full((len(docs), T), -100, dtype=np.int64)
        index = np.full((len(docs), T), -1, dtype=np.int64)
        for b, d in enumerate(docs):
            r = rows_of[d]
            x[b, :len(r)] = inputs[r]
            y[b, :len(r)] = targets[r]
            index[b, :len(r)] = r
        yield torch.from_numpy(x), torch.tensor(lengths), torch.from_numpy(y), index


def predict(model, doc_list, rows_of, inputs, n_rows, n_classes, batch_docs=16):
    model.eval()
    proba = np.zeros((n_rows, n_classes), dtype=np.float64)
    dummy = np.full(n_rows, -100, dtype=np.int64)
    with torch.no_grad():
        for x, lengths, _, index in batches(doc_list, rows_of, inputs, dummy, batch_docs):
            p = torch.softmax(model(x, lengths), dim=-1).numpy()
            keep = index >= 0
            proba[index[keep]] = p[keep]
    return proba


def train_model(seed, inputs, targets, weights, rows_of, train_docs, n_classes, epochs,
                val_docs=None, val_rows=None, val_truth=None, patience=6, batch_docs=8, lr=1e-3):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = Tagger(inputs.shape[1], n_classes)
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-2)
    loss_fn = nn.CrossEntropyLoss(weight=torch.tensor(weights, dtype=torch.float32), ignore_index=-100)
    history, best, best_epoch, best_state = [], -np.inf, 0, None
    for epoch in range(1, epochs + 1):
        model.train()
        for x, lengths, y, _ in batches(train_docs, rows_of, inputs, targets, batch_docs, rng):
            if (y >= 0).sum() == 0:
                continue
            optimiser.zero_grad()
            logits = model(x, lengths)
            loss = loss_fn(logits.reshape(-1, n_classes), y.reshape(-1))
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
        if val_docs is not None:
            p = predict(model, val_docs, rows_of, inputs, len(inputs), n_classes)[val_rows]
            s = score(val_truth, p.argmax(1))
            crit = s["kappa"] + s["macro_f1"]
            history.append(round(crit, 4))
            if crit > best + 1e-6:
                best, best_epoch = crit, epoch
                best_state = {k: v.clone() for k, v in model.state_dict().items()}
            elif epoch - best_epoch >= patience:
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    return model, best_epoch, history


def sequence_proba(corpus, name, fold, train_documents, test_documents, classes, seeds, refit):
    inputs = utterance_inputs(corpus)
    rows_of = document_rows(corpus)
    class_index = {c: i for i, c in enumerate(classes)}
    targets = np.array([class_index.get(c, -100) if c else -100 for c in corpus.labels], dtype=np.int64)
    train_rows = corpus.rows(train_documents)
    counts = np.bincount(targets[train_rows], minlength=len(classes))
    weights = len(train_rows) / (len(classes) * np.maximum(counts, 1))  # sklearn's "balanced"
    # inner validation split of the training documents, grouped by document (seed 1, as experiments.py's inner folds)
    train_frame = corpus.segments[np.isin(corpus.documents, list(train_documents))]
    inner_train, inner_val = grouped_folds(train_frame, n_folds=5, seed=1)[0]
    inner_train, inner_val = sorted(inner_train), sorted(inner_val)
    val_rows = corpus.rows(inner_val)
    test_docs = sorted(test_documents)
    test_rows = corpus.rows(test_documents)
    # inner targets: hide nothing else; validation docs are not in the inner training list
    probas = []
    for seed in seeds:
        t0 = time.time()
        model, best_epoch, history = train_model(seed, inputs, targets, weights, rows_of, inner_train,
                                                 len(classes), epochs=40, val_docs=inner_val, val_rows=val_rows,
                                                 val_truth=targets[val_rows])
        if refit:
            model, _, _ = train_model(seed, inputs, targets, weights, rows_of, sorted(train_documents),
                                      len(classes), epochs=best_epoch)
        probas.append(predict(model, test_docs, rows_of, inputs, len(inputs), len(classes))[test_rows])
        print(f"{name} fold {fold} seed {seed}: best epoch {best_epoch}, inner kappa + macro-F1 "
              f"{max(history):.3f}, {time.time() - t0:.0f} s", file=sys.stderr, flush=True)
    return np.mean(probas, axis=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", action="append", choices=CORPORA, help="repeat for several (default: all)")
    parser.add_argument("--seeds", type=int, default=3, help="models averaged (seeds 0 to N-1)")
    parser.add_argument("--refit", action="store_true", help="refit each seed's model on all training documents")
    args = parser.parse_args()
    if args.seeds < 1:
        parser.error("--seeds must be 1 or more")
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    rows = []
    for name in args.corpus or CORPORA:
        corpus = Corpus(name)
        per_fold = []
        for fold, (train, test) in enumerate(grouped_folds(corpus.segments)):
            classes, p_replica = replica_proba(corpus, train, test)
            truth = corpus.labels[corpus.rows(test)]
            p_sequence = sequence_proba(corpus, name, fold, train, test, classes, range(args.seeds), args.refit)
            mixtures = {"replica": p_replica, "sequence model": p_sequence,
                        "mean of both": (p_replica + p_sequence) / 2,
                        "geometric mean of both": np.log(p_replica + 1e-12) + np.log(p_sequence + 1e-12)}
            per_fold.append({variant: score(truth, classes[p.argmax(1)]) for variant, p in mixtures.items()})
        base = np.array([fold["replica"]["kappa"] for fold in per_fold])
        for variant in per_fold[0]:
            kappas = np.array([fold[variant]["kappa"] for fold in per_fold])
            rows.append({"corpus": name, "variant": variant, "kappa": kappas.mean(), "kappa_sd": kappas.std(ddof=1),
                         "macro_f1": float(np.mean([fold[variant]["macro_f1"] for fold in per_fold])),
                         "fold_kappas": kappas.round(4).tolist(), "paired_delta": (kappas - base).mean(),
                         "folds_better": int((kappas > base).sum())})
    ran = {"--corpus": args.corpus or CORPORA, "--seeds": args.seeds}
    how = f"{args.seeds} seed(s), " + ("refitted on all training documents" if args.refit else "early-stopped models")
    lines = ["# Ideas tried and not kept: a sequence model over whole conversations", "",
             "5-fold cross-validation grouped by document (seed 0), all coded examples, paired by fold with the "
             "replica head of `experiments.md`. The sequence model is a bidirectional GRU over the frozen features "
             f"of every turn of a conversation ({how}); see the docstring of `evaluation/sequence_model.py`. "
             "Reproduce: `" + rerun_command("evaluation/sequence_model.py", ran)
             + (" --refit" if args.refit else "") + "`.", "",
             "| corpus | variant | κ | κ sd | macro-F1 | Δκ (paired) | folds better | κ per fold |",
             "|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r['corpus']} | {r['variant']} | {r['kappa']:.3f} | {r['kappa_sd']:.3f} | {r['macro_f1']:.3f} | "
              f"{r['paired_delta']:+.3f} | {r['folds_better']}/5 | {' '.join(f'{k:.3f}' for k in r['fold_kappas'])} |"
              for r in rows]
    write_results(RESULTS, "sequence_model", {"seeds": args.seeds, "refit": args.refit, "rows": rows}, lines)


if __name__ == "__main__":
    main()
