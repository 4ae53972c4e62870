"""SetFit-style contrastive fine-tuning of the sentence-transformer on a few coded segments.

SetFit (Tunstall et al., 2022) adapts a sentence-transformer to a labelling task from a handful of examples per
label: pairs of texts with the same label are pulled together, pairs with different labels pushed apart, with a
cosine-similarity loss, for one epoch. Afterwards the usual head (here :class:`~theme_assist.suggest.CodeSuggester`'s
logistic regression) is trained on the new embeddings.

This module does it with plain sentence-transformers and torch (no ``setfit`` package, no ``datasets``), on the CPU,
deterministically: the pairs are drawn with a seeded :class:`numpy.random.Generator`, torch is seeded in a forked RNG
state and runs with deterministic algorithms, batches are built in order without worker processes.

The result, :class:`FinetunedEmbedder`, is used wherever an :class:`~theme_assist.embed.Embedder` is: it has a
``model_id`` (the base model's id, ``+setfit@`` and a hash of the training texts, labels and parameters, so its
cached vectors never mix with another model's) and ``encode(texts)``.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Hashable, Sequence

import numpy as np

from theme_assist.embed import Embedder, ModelSource, file_sha256, verify_weights
from theme_assist.errors import InputError

FINETUNE_CONFIG = "finetune.json"


@dataclass(frozen=True)
class FinetuneParams:
    """Settings of one fine-tuning run (SetFit's defaults, except where noted).

    Attributes
    ----------
    n_iterations : int
        SetFit's R: rounds of pair sampling; each round gives every example one positive and one negative pair
        (SetFit uses 20; 10 halves the CPU time).
    epochs : int
        Passes over the pairs.
    batch_size : int
        Pairs per optimiser step.
    learning_rate : float
        Peak AdamW learning rate, reached after a linear warm-up over the first ``warmup_proportion`` of steps.
    warmup_proportion : float
    max_seq_length : int
        Tokens per text during training only (a batch is padded to its longest text, so a few long segments
        would otherwise set the cost); encoding afterwards uses the model's own limit.
    seed : int
        Seeds the pair sampling, the batch order, dropout and the optimiser.
    """

    n_iterations: int = 10
    epochs: int = 1
    batch_size: int = 16
    learning_rate: float = 2e-5
    warmup_proportion: float = 0.1
    max_seq_length: int = 64
    seed: int = 0


def contrastive_pairs(labels: Sequence[Hashable], n_iterations: int, seed: int = 0) -> list[tuple[int, int, float]]:
    """SetFit's pairs as ``(index a, index b, target similarity)``: per round and example, one partner with the
    same label (1.0) and one with another label (0.0), drawn with ``seed``.

    An example whose label nobody else has gets no positive pair; with a single label there are no negatives.
    """
    labels = list(labels)
    rng = np.random.default_rng(seed)
    same_label = {label: np.array([i for i, other in enumerate(labels) if other == label])
                  for label in dict.fromkeys(labels)}
    other_label = {label: np.array([i for i, other in enumerate(labels) if other != label], dtype=int)
                   for label in same_label}
    pairs = []
    for _ in range(n_iterations):
        for i, label in enumerate(labels):
            partners = same_label[label][same_label[label] != i]
            if len(partners):
                pairs.append((i, int(rng.choice(partners)), 1.0))
            if len(other_label[label]):
                pairs.append((i, int(rng.choice(other_label[label])), 0.0))
    return pairs


def training_hash(base_model_id: str, texts: Sequence[str], labels: Sequence[Hashable],
                  params: FinetuneParams) -> str:
    """First 12 hex digits of the sha256 of everything that determines the fine-tuned weights."""
    payload = json.dumps({"base": base_model_id, "texts": list(texts), "labels": [str(x) for x in labels],
                          "params": asdict(params)}, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:12]


@dataclass
class FinetunedEmbedder(Embedder):
    """An :class:`~theme_assist.embed.Embedder` whose model is a fine-tuned copy held in memory (or read back by
    :meth:`load`); ``finetuned_id`` replaces the base model's id in caches and saved suggesters."""

    finetuned_id: str = ""

    @property
    def model_id(self) -> str:
        return self.finetuned_id

    @classmethod
    def holding(cls, loaded, finetuned_id: str, **settings) -> "FinetunedEmbedder":
        """An embedder of the sentence-transformers model ``loaded`` (already in memory), known by ``finetuned_id``;
        ``settings`` are the other :class:`~theme_assist.embed.Embedder` fields (``model``, ``cache_dir``, ...)."""
        embedder = cls(finetuned_id=finetuned_id, **settings)
        embedder._model = loaded
        return embedder

    def load_model(self):
        if self._model is None:
            raise InputError(f"fine-tuned embedding model {self.finetuned_id} is not loaded; load it from its folder")
        return self._model

    def save(self, folder: str | Path) -> Path:
        """Write the model as safetensors (sentence-transformers layout) and ``finetune.json`` with its id and the
        sha256 of its weights, which :meth:`load` checks."""
        folder = Path(folder)
        self.load_model().save(str(folder), create_model_card=False, safe_serialization=True)
        config = {"model_id": self.finetuned_id, "weights_sha256": file_sha256(folder / "model.safetensors")}
        (folder / FINETUNE_CONFIG).write_text(json.dumps(config, indent=2), encoding="utf-8")
        return folder

    @classmethod
    def load(cls, folder: str | Path, cache_dir: str | Path | None = None, batch_size: int = 64,
             device: str = "cpu", weights_sha256_computed: str | None = None) -> "FinetunedEmbedder":
        """Read a model written by :meth:`save`, refusing weights that do not match their recorded sha256.

        ``weights_sha256_computed`` is the sha256 of the folder's ``model.safetensors`` that the caller has itself
        just computed from the file, trusted without reading the weights again (``already_hashed`` of
        :func:`~theme_assist.embed.verify_weights`): never the one recorded in a manifest or in ``finetune.json``.
        ``None``: the weights are hashed here.
        """
        folder = Path(folder)
        try:
            config = json.loads((folder / FINETUNE_CONFIG).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(f"{folder} holds no fine-tuned embedding model ({FINETUNE_CONFIG} is missing)") from None
        except json.JSONDecodeError as exc:
            raise InputError(f"{folder / FINETUNE_CONFIG} is damaged ({exc})") from None
        verify_weights(folder, config["weights_sha256"],  # not the packaged model's: no package to reinstall
                       remedy="fine-tune and save it again (a save or copy that did not finish leaves other weights)",
                       already_hashed=weights_sha256_computed)
        # its weights are checked above: a source of its own, or resolving the folder hashes them again for an id
        reader = Embedder.from_source(ModelSource(str(folder.expanduser().resolve()), config["model_id"]),
                                      device=device)
        return cls.holding(reader.load_model(), config["model_id"], model=str(folder), cache_dir=cache_dir,
                           batch_size=batch_size, device=device)


def finetune_embedder(texts: Sequence[str], labels: Sequence[Hashable], base: Embedder | None = None,
                      params: FinetuneParams | None = None) -> FinetunedEmbedder:
    """Fine-tune a copy of ``base``'s model on coded ``texts`` with SetFit's pairs and a cosine-similarity loss.

    Parameters
    ----------
    texts : sequence of str
        Coded segments (few-shot: a few to a few dozen per code).
    labels : sequence of hashable
        Their codes (one per text; for multi-label data pass e.g. a frozenset of codes).
    base : Embedder or None
        Model to start from and settings (cache folder, batch size, device) to inherit; ``None``: the packaged
        default.
    params : FinetuneParams or None

    Returns
    -------
    FinetunedEmbedder
        Same input, parameters and machine → same weights, hence same embeddings.
    """
    import torch
    from sentence_transformers.sentence_transformer.losses import CosineSimilarityLoss
    from transformers import get_linear_schedule_with_warmup

    base = base or Embedder()
    params = params or FinetuneParams()
    texts = [str(t) for t in texts]
    labels = list(labels)
    if len(texts) != len(labels):
        raise InputError(f"fine-tuning needs one label per text, got {len(texts)} texts and {len(labels)} labels")
    if len(set(labels)) < 2:
        raise InputError("fine-tuning needs coded examples of at least two codes")
    pairs = contrastive_pairs(labels, params.n_iterations, params.seed)
    model = copy.deepcopy(base.load_model())
    encoding_length, model.max_seq_length = model.max_seq_length, params.max_seq_length
    loss = CosineSimilarityLoss(model)

    order = np.random.default_rng(params.seed).permutation(len(pairs))
    batches = [order[i:i + params.batch_size] for i in range(0, len(order), params.batch_size)]
    n_steps = len(batches) * params.epochs
    deterministic = torch.are_deterministic_algorithms_enabled()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(params.seed)
        torch.use_deterministic_algorithms(True)
        try:
            optimizer = torch.optim.AdamW(model.parameters(), lr=params.learning_rate)
            schedule = get_linear_schedule_with_warmup(optimizer, int(params.warmup_proportion * n_steps), n_steps)
            model.train()
            for _ in range(params.epochs):
                for batch in batches:
                    left = model.preprocess([texts[pairs[j][0]] for j in batch])
                    right = model.preprocess([texts[pairs[j][1]] for j in batch])
                    target = torch.tensor([pairs[j][2] for j in batch], dtype=torch.float32)
                    loss([left, right], target).backward()
                    optimizer.step()
                    schedule.step()
                    optimizer.zero_grad()
        finally:
            model.eval()
            model.max_seq_length = encoding_length
            torch.use_deterministic_algorithms(deterministic)

    finetuned_id = f"{base.model_id}+setfit@{training_hash(base.model_id, texts, labels, params)}"
    return FinetunedEmbedder.holding(model, finetuned_id, model=base.model, cache_dir=base.cache_dir,
                                     batch_size=base.batch_size, device=base.device)
