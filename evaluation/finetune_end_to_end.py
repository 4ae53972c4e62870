"""Would fine-tuning the encoder end to end, on a GPU, close the gap to the goals of the evaluation?

The engine reads a frozen all-MiniLM-L6-v2 (sentence embedding, hidden layers, neighbouring turns, TF-IDF) with a
logistic-regression head; on CPU that is at its ceiling (``experiments.md``, ``ablation.md``, ``setfit.md``).
This script measures the remaining idea: train every weight of the encoder, with a classification head, on each
training fold's coded segments, reading the segment together with its previous and next turn as one input
("text [SEP] previous [SEP] next", pooled over the segment's own tokens), in the same 5-fold cross-validation
grouped by document as ``theme-assist evaluate`` — and, beside it, the fine-tuned model's probabilities averaged
with the default head's (an ensemble of the two).

Three steps, so that the training can run on a machine that has a GPU but neither ``../shared`` nor this package:

    python evaluation/finetune_end_to_end.py prepare --to .gpu     # here: corpora, folds, model (fp16) into .gpu/
    python evaluation/finetune_end_to_end.py train --data .gpu --out OUT   # anywhere with torch + transformers
    python evaluation/finetune_end_to_end.py score --predictions OUT      # here: metrics, ensemble, results

``prepare --model PATH`` takes another local model instead of the packaged all-MiniLM-L6-v2 (for example
``models/all-mpnet-base-v2`` after ``make mpnet``), written in fp16 shards of at most ``--shard-mb`` MB. Where a
machine takes 64 MiB per call (this project's device tool), MiniLM (45 MB) travels in one; all-mpnet-base-v2
(5 shards, 219 MB) takes one call per shard back to back while the machine stays warm: the first carrying
``.gpu/corpora.json.gz``, the model's small files and the first shard, the next ones a shard each (ignored files
stay there between calls), the last one running ``train``. Not measured yet: no machine was left for it.

``train`` needs only torch, transformers and numpy (CPU works, for hours; a GPU takes minutes). ``prepare`` writes
the benchmark texts into the folder given: keep it out of git (the corpora are not ours to copy; ``.gpu/`` is
ignored).
``score`` writes ``evaluation/results/finetune_end_to_end.{json,md}`` with both machines' descriptions.
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import time
from pathlib import Path

import numpy as np

DEFAULT_MODEL = "all-MiniLM-L6-v2"
CORPORA = ["annomi-therapist", "annomi-client", "esconv", "epitome-er"]
DEFAULT_HEAD = "default head (frozen encoder)"
FEW_SHOT = {"annomi-therapist": 10}  # corpus -> coded examples per code of the learning-curve point measured
CONTEXT_WORDS = (48, 24)  # the end of the previous turn and the start of the next turn, in words


# ---------------------------------------------------------------------------------------------------- prepare (here)

def test_fold(segments) -> np.ndarray:
    """The fold (0-4) in which each segment is tested: ``theme-assist evaluate``'s grouped folds."""
    from theme_assist.evaluate import grouped_folds

    fold = np.full(len(segments), -1)
    for k, (_, test_documents) in enumerate(grouped_folds(segments)):
        fold[segments["document"].isin(test_documents).to_numpy()] = k
    return fold


def training_rows(segments, per_code: int | None) -> dict[int, list[int]]:
    """Each fold's coded training rows; with ``per_code``, the seeded choice of ``theme-assist evaluate``'s
    learning curve."""
    from theme_assist.evaluate import grouped_folds, limit_examples

    rows = {}
    for k, (train_documents, _) in enumerate(grouped_folds(segments)):
        limited = limit_examples(segments[segments["document"].isin(train_documents)], per_code, seed=0 + k)
        rows[k] = limited.index[limited["code"] != ""].tolist()
    return rows


def prepare(folder: Path, model: str | None = None, shard_mb: int = 50) -> None:
    import torch
    from transformers import AutoModel, AutoTokenizer

    from theme_assist.benchmarks import load_benchmark
    from theme_assist.embed import packaged_model_dir
    from theme_assist.features import neighbour_index

    folder.mkdir(parents=True, exist_ok=True)
    corpora = {}
    for name in CORPORA:
        segments = load_benchmark(name).segments.reset_index(drop=True)
        texts = segments["text"].astype(str).tolist()
        previous, following = neighbour_index(segments)
        fold = test_fold(segments)
        few_shot = training_rows(segments, FEW_SHOT[name]) if name in FEW_SHOT else {}
        corpora[name] = {
            "text": texts,
            "previous": [" ".join(texts[i].split()[-CONTEXT_WORDS[0]:]) if i >= 0 else "" for i in previous],
            "next": [" ".join(texts[i].split()[:CONTEXT_WORDS[1]]) if i >= 0 else "" for i in following],
            "code": segments["code"].astype(str).tolist(), "fold": fold.tolist(),
            "few_shot": {"per_code": FEW_SHOT.get(name), "rows": few_shot}}
    with gzip.open(folder / "corpora.json.gz", "wt", encoding="utf-8") as out:
        json.dump(corpora, out)
    # Weights in fp16 (half the size; train() widens them to fp32 again), in shards small enough to travel one
    # per call to a machine that takes 64 MiB at a time.
    model_dir = model or packaged_model_dir()
    (folder / "model.json").write_text(json.dumps({"model": Path(model).name if model else DEFAULT_MODEL}))
    AutoModel.from_pretrained(model_dir, dtype=torch.float16).save_pretrained(folder / "model",
                                                                              max_shard_size=f"{shard_mb}MB")
    AutoTokenizer.from_pretrained(model_dir).save_pretrained(folder / "model")
    print(f"wrote {folder}: " + ", ".join(f"{n} {len(c['text'])} segments" for n, c in corpora.items()))


# ------------------------------------------------------------------------------------------------ train (anywhere)

def balanced_weights(labels: np.ndarray, n_classes: int) -> np.ndarray:
    counts = np.bincount(labels, minlength=n_classes).astype(float)
    return np.where(counts > 0, len(labels) / (n_classes * np.maximum(counts, 1)), 0.0)


class Classifier:
    """Encoder + mean pooling over the segment's own tokens + dropout + linear layer, trained end to end."""

    def __init__(self, model_dir: Path, n_classes: int, device):
        import torch
        from transformers import AutoModel

        self.encoder = AutoModel.from_pretrained(model_dir, dtype=torch.float32).to(device)
        self.head = torch.nn.Linear(self.encoder.config.hidden_size, n_classes).to(device)
        self.dropout = torch.nn.Dropout(0.1)

    def parameters(self):
        return [*self.encoder.parameters(), *self.head.parameters()]

    def train(self, mode: bool = True):
        self.encoder.train(mode)
        self.dropout.train(mode)

    def __call__(self, batch):
        inputs = {key: batch[key] for key in ("input_ids", "attention_mask", "token_type_ids") if key in batch}
        hidden = self.encoder(**inputs).last_hidden_state
        own = batch["own"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * own).sum(1) / own.sum(1).clamp(min=1)
        return self.head(self.dropout(pooled))


def own_tokens(batch):
    """1 for the tokens of the segment itself (its special tokens included), 0 for the context turns and padding:
    every attended token before the second text of the pair."""
    import torch

    own = torch.zeros_like(batch["attention_mask"])
    for i in range(len(own)):
        sequence = batch.sequence_ids(i)
        own[i, :sequence.index(1) if 1 in sequence else len(sequence)] = 1
    return own * batch["attention_mask"]


def train_fold(tokenizer, model_dir, inputs, labels, train_rows, test_rows, n_classes, settings, device, seed):
    import torch

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = Classifier(model_dir, n_classes, device)
    weights = torch.tensor(balanced_weights(labels[train_rows], n_classes), dtype=torch.float32, device=device)
    loss_fn = torch.nn.CrossEntropyLoss(weight=weights)
    batch_size, epochs = settings["batch_size"], settings["epochs"]
    steps_per_epoch = max(1, int(np.ceil(len(train_rows) / batch_size)))
    epochs = max(epochs, int(np.ceil(settings.get("min_steps", 0) / steps_per_epoch)))
    total = steps_per_epoch * epochs
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings["lr"], weight_decay=0.01,
                                  fused=device.type == "cuda")
    warmup = max(1, int(0.06 * total))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (total - step) / max(1, total - warmup))))
    autocast = dict(device_type=device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")

    def encode(rows):
        first = [inputs[0][i] for i in rows]
        second = [inputs[1][i] for i in rows] if inputs[1] is not None else None
        batch = tokenizer(first, second, truncation="longest_first", max_length=settings["max_length"],
                          padding=True, return_tensors="pt")
        return {**{key: value.to(device) for key, value in batch.items()}, "own": own_tokens(batch).to(device)}

    model.train()
    for _ in range(epochs):
        order = rng.permutation(train_rows)
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            with torch.autocast(**autocast):
                logits = model(encode(rows))
            loss = loss_fn(logits.float(), torch.as_tensor(labels[rows], device=device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
    model.train(False)
    out = []
    with torch.no_grad():
        for start in range(0, len(test_rows), 256):
            with torch.autocast(**autocast):
                logits = model(encode(test_rows[start:start + 256]))
            out.append(torch.softmax(logits.float(), -1).cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, n_classes))


SETTINGS = {  # name -> training settings; "context": read the previous and next turn beside the segment
    "context": {"context": True, "lr": 5e-5, "epochs": 5, "batch_size": 32, "max_length": 192},
    "context-long": {"context": True, "lr": 8e-5, "epochs": 10, "batch_size": 32, "max_length": 192},
    "no-context": {"context": False, "lr": 5e-5, "epochs": 5, "batch_size": 32, "max_length": 128},
}


def train(data: Path, out: Path, settings_names: list[str], corpora: list[str], few_shot: bool) -> None:
    import torch
    from transformers import AutoTokenizer

    out.mkdir(parents=True, exist_ok=True)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    with gzip.open(data / "corpora.json.gz", "rt", encoding="utf-8") as f:
        all_corpora = json.load(f)
    model_dir = data / "model"
    prepared = data / "model.json"
    model_name = json.loads(prepared.read_text())["model"] if prepared.exists() else DEFAULT_MODEL
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    machine = {"platform": platform.platform(), "python": platform.python_version(), "torch": torch.__version__,
               "device": torch.cuda.get_device_name(0) if device.type == "cuda" else platform.processor() or "cpu"}
    for settings_name in settings_names:
        settings = SETTINGS[settings_name]
        arrays, meta = {}, {"settings": settings, "machine": machine, "model": model_name, "corpora": {}}
        for name in corpora:
            corpus = all_corpora[name]
            codes = np.array(corpus["code"])
            classes = sorted(set(codes[codes != ""]))
            labels = np.array([classes.index(c) if c else -1 for c in codes])
            fold = np.array(corpus["fold"])
            context = [f"{p} {tokenizer.sep_token} {n}" for p, n in zip(corpus["previous"], corpus["next"])]
            inputs = (corpus["text"], context if settings["context"] else None)
            plans = [("all", {k: np.flatnonzero((fold != k) & (labels >= 0)) for k in range(5)}, settings)]
            if few_shot and corpus["few_shot"]["per_code"]:
                few = {**settings, "epochs": 30, "min_steps": 60}
                plans.append((str(corpus["few_shot"]["per_code"]),
                              {int(k): np.array(v) for k, v in corpus["few_shot"]["rows"].items()}, few))
            for size, train_rows, plan_settings in plans:
                started = time.perf_counter()
                proba = np.zeros((len(codes), len(classes)), dtype=np.float32)
                for k in range(5):
                    test_rows = np.flatnonzero((fold == k) & (labels >= 0))
                    proba[test_rows] = train_fold(tokenizer, model_dir, inputs, labels, train_rows[k], test_rows,
                                                  len(classes), plan_settings, device, seed=k)
                key = f"{name}@{size}"
                arrays[key] = proba
                seconds = time.perf_counter() - started
                meta["corpora"][key] = {"classes": classes, "seconds": round(seconds, 1)}
                accuracy = (proba.argmax(1) == labels)[labels >= 0].mean()
                print(f"{settings_name:12s} {key:24s} accuracy {accuracy:.3f}  {seconds:.0f} s", flush=True)
                np.savez_compressed(out / f"{settings_name}.npz", **arrays)  # after every corpus: a timeout
                (out / f"{settings_name}.json").write_text(json.dumps(meta, indent=1))  # keeps what is done


# ---------------------------------------------------------------------------------------------------- score (here)

def score(predictions: Path, results: Path, stem: str = "finetune_end_to_end") -> None:
    from experiments import Corpus  # the replica of the default head, beside this script

    from theme_assist.evaluate import GOALS
    from theme_assist.machine import describe_machine, write_results

    runs = {stem: (np.load(predictions / f"{stem}.npz"), json.loads((predictions / f"{stem}.json").read_text()))
            for stem in SETTINGS if (predictions / f"{stem}.npz").exists()}
    rows = []
    for name in CORPORA:
        corpus = Corpus(name)
        segments = corpus.segments
        fold = test_fold(segments)
        goal_metric, goal = GOALS.get(name, ("kappa", None))
        sizes = sorted({key.split("@")[1] for _, meta in runs.values() for key in meta["corpora"]
                        if key.split("@")[0] == name}, key=lambda size: size != "all")
        for size in sizes:
            per_code = None if size == "all" else int(size)
            head, classes = default_head_probabilities(corpus, fold, training_rows(segments, per_code))
            base = fold_scores(segments, fold, head, classes)
            found = [(DEFAULT_HEAD, head)]
            for run_name, (arrays, meta) in runs.items():
                key = f"{name}@{size}"
                if key in meta["corpora"] and list(meta["corpora"][key]["classes"]) == classes:
                    model = meta.get("model", DEFAULT_MODEL)
                    label = run_name if model == DEFAULT_MODEL else f"{model}, {run_name}"
                    found += [(f"fine-tuned end to end ({label})", arrays[key]),
                              (f"mean of both ({label})", (arrays[key] + head) / 2)]
            for engine, proba in found:
                row = {"corpus": name, "engine": engine, "per_code": size,
                       **fold_scores(segments, fold, proba, classes, base), "goal": goal, "goal_metric": goal_metric}
                rows.append(row)
                print(f"{name:18s} {engine:38s} {size:>4} kappa {row['kappa']:.3f} ± {row['kappa_sd']:.3f} "
                      f"F1 {row['macro_f1']:.3f} ECE {row['ece']:.3f} paired {row['paired_delta']:+.3f}", flush=True)
    machines = {run_name: meta["machine"] for run_name, (_, meta) in runs.items()}
    settings = {run_name: meta["settings"] for run_name, (_, meta) in runs.items()}
    seconds = {run_name: {key: info["seconds"] for key, info in meta["corpora"].items()}
               for run_name, (_, meta) in runs.items()}
    lines = ["# Fine-tuning the encoder end to end", "",
             "5-fold cross-validation grouped by document (seed 0, the folds and the seeded choice of examples of "
             "`theme-assist evaluate`), κ and macro-F1 per fold against the human codes, mean ± sd over folds. "
             "*Default head*: the engine's features on the frozen all-MiniLM-L6-v2 with its balanced logistic "
             "regression (the replica of `experiments.md`). *Fine-tuned end to end*: every weight of "
             "the encoder (all-MiniLM-L6-v2 where no other is named) and a linear head trained on each training fold (balanced cross-entropy, AdamW, "
             "linear warm-up and decay, bf16 on the GPU); settings below. *Mean of both*: the two models' "
             "probabilities averaged. Δκ: mean over folds of the engine's κ minus the default head's with the same "
             "examples in the same fold; 'better' counts those folds. What each run is: the docstring of "
             "`evaluation/finetune_end_to_end.py`.", "",
             "| corpus | engine | coded per code | κ | κ sd | macro-F1 | ECE | Δκ (paired) | folds better | goal |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        goal = f"{r['goal_metric'].replace('macro_f1', 'macro-F1').replace('kappa', 'κ')} ≥ {r['goal']}" \
            if r["goal"] and r["per_code"] == "all" else ""
        paired = ("— | —" if r["engine"] == DEFAULT_HEAD
                  else f"{r['paired_delta']:+.3f} | {r['folds_better']}/5")
        lines.append(f"| {r['corpus']} | {r['engine']} | {r['per_code']} | {r['kappa']:.3f} | {r['kappa_sd']:.3f} | "
                     f"{r['macro_f1']:.3f} | {r['ece']:.3f} | {paired} | {goal} |")
    lines += ["", "## Training", ""]
    for run_name in runs:
        lines.append(f"- `{run_name}`: {json.dumps(settings[run_name])}; seconds per corpus (5 folds): "
                     f"{json.dumps(seconds[run_name])}; on {machines[run_name]['device']} "
                     f"(torch {machines[run_name]['torch']}, {machines[run_name]['platform']})")
    write_results(results, stem,
                  {"rows": rows, "training": {"settings": settings, "seconds": seconds, "machines": machines},
                   "scored_on": describe_machine()}, lines)


def fold_scores(segments, fold, proba, classes, base: dict | None = None) -> dict:
    """κ and macro-F1 of the best code per fold (mean, sd, per fold), ECE, and the paired difference in κ to
    ``base`` (an earlier result of this function)."""
    from sklearn.metrics import f1_score

    from theme_assist.agree import cohen_kappa
    from theme_assist.evaluate import expected_calibration_error

    codes = segments["code"].to_numpy(dtype=str)
    coded = codes != ""
    predicted = np.asarray(classes)[proba.argmax(1)]
    tested = [(fold == k) & coded for k in range(5)]
    kappa = np.array([cohen_kappa(list(codes[rows]), list(predicted[rows])).value for rows in tested])
    f1 = np.array([f1_score(codes[rows], predicted[rows], average="macro") for rows in tested])
    base_kappa = np.array(base["fold_kappas"]) if base else kappa
    return {"kappa": float(kappa.mean()), "kappa_sd": float(kappa.std(ddof=1)), "macro_f1": float(f1.mean()),
            "ece": expected_calibration_error(proba.max(1)[coded], (predicted == codes)[coded]),
            "paired_delta": float((kappa - base_kappa).mean()), "folds_better": int((kappa > base_kappa).sum()),
            "fold_kappas": kappa.tolist()}


def default_head_probabilities(corpus, fold, train_rows: dict[int, list[int]]) -> tuple[np.ndarray, list[str]]:
    """Out-of-fold probabilities of the default head (the replica of ``experiments.py``) on an
    ``experiments.Corpus``, fitted on ``train_rows[k]`` for the coded segments of fold ``k``."""
    from experiments import aligned, fit_head

    from theme_assist.features import FeatureBuilder

    classes = sorted(set(corpus.labels[corpus.coded]))
    proba = np.zeros((len(corpus.texts), len(classes)))
    for k, train in train_rows.items():
        train = np.asarray(train, dtype=int)
        test = np.flatnonzero((fold == k) & corpus.coded)
        builder = FeatureBuilder()
        head = fit_head(corpus.features(train, builder, corpus.represented(), fit=True), corpus.labels[train])
        proba[test] = aligned(head, classes, corpus.features(test, builder, corpus.represented()))
    return proba, classes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("prepare", help="write the corpora, folds and model to a folder (outside git)")
    p.add_argument("--to", type=Path, default=Path(".gpu"))
    p.add_argument("--model", help="a local sentence-transformers or transformers model folder (default: the "
                                   "packaged all-MiniLM-L6-v2)")
    p.add_argument("--shard-mb", type=int, default=50, help="largest weight file written, in MB")
    t = commands.add_parser("train", help="fine-tune on every fold; out-of-fold probabilities to --out")
    t.add_argument("--data", type=Path, default=Path(".gpu"))
    t.add_argument("--out", type=Path, required=True)
    t.add_argument("--settings", action="append", choices=sorted(SETTINGS), help="repeatable; default: all")
    t.add_argument("--corpus", action="append", choices=CORPORA, help="repeatable; default: all")
    t.add_argument("--no-few-shot", action="store_true", help="skip the learning-curve point")
    s = commands.add_parser("score", help="metrics of the out-of-fold probabilities, with the default head's")
    s.add_argument("--predictions", type=Path, required=True)
    s.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    s.add_argument("--name", default="finetune_end_to_end", help="stem of the result files")
    args = parser.parse_args()
    if args.command == "prepare":
        prepare(args.to, args.model, args.shard_mb)
    elif args.command == "train":
        train(args.data, args.out, args.settings or list(SETTINGS), args.corpus or CORPORA, not args.no_few_shot)
    else:
        score(args.predictions, args.out, args.name)


if __name__ == "__main__":
    main()
