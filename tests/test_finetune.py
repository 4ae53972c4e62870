from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from theme_assist.embed import Embedder
from theme_assist.errors import InputError
from theme_assist.finetune import FinetunedEmbedder, FinetuneParams, contrastive_pairs, finetune_embedder

TEXTS = [
    "So you feel nobody at home listens to you.",
    "It sounds like the waiting list has worn you down.",
    "You are saying the group helped more than the pills.",
    "How many nights a week do you sleep badly?",
    "What would you like to get out of today?",
    "When did you last talk to your peer worker?",
]
LABELS = ["reflection", "reflection", "reflection", "question", "question", "question"]
TINY = FinetuneParams(n_iterations=2, batch_size=4, seed=3)


@pytest.fixture(scope="module")
def base():
    return Embedder(cache_dir="")


@pytest.fixture(scope="module")
def tuned(base):
    return finetune_embedder(TEXTS, LABELS, base, TINY)


def test_pairs_follow_setfit_sampling():
    pairs = contrastive_pairs(LABELS, n_iterations=3, seed=1)
    assert len(pairs) == 2 * 3 * len(LABELS)
    assert Counter(a for a, _, _ in pairs) == {i: 6 for i in range(len(LABELS))}
    for a, b, target in pairs:
        assert a != b
        assert (LABELS[a] == LABELS[b]) == (target == 1.0)
    assert Counter(target for _, _, target in pairs) == {1.0: 18, 0.0: 18}
    assert contrastive_pairs(LABELS, 3, seed=1) == pairs
    assert contrastive_pairs(LABELS, 3, seed=2) != pairs


def test_a_code_used_once_gets_no_positive_pair():
    pairs = contrastive_pairs(["a", "a", "b"], n_iterations=1)
    assert [(a, target) for a, _, target in pairs if a == 2] == [(2, 0.0)]


def test_fine_tuning_is_deterministic_and_changes_the_embeddings(base, tuned):
    again = finetune_embedder(TEXTS, LABELS, base, TINY)
    vectors = tuned.encode(TEXTS)
    assert np.array_equal(vectors, again.encode(TEXTS))
    assert vectors.dtype == np.float32 and vectors.shape == (len(TEXTS), 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert not np.allclose(vectors, base.encode(TEXTS), atol=1e-4)
    assert tuned.model_id == again.model_id
    assert tuned.model_id.startswith(base.model_id + "+setfit@")


def test_the_base_model_is_left_untouched(base, tuned):
    fresh = Embedder(cache_dir="")
    assert np.allclose(base.encode(TEXTS), fresh.encode(TEXTS), atol=1e-6)


def test_model_id_names_the_training_data_and_settings(base, tuned):
    relabelled = ["question"] + LABELS[1:-1] + ["reflection"]
    other_labels = finetune_embedder(TEXTS, relabelled, base, FinetuneParams(n_iterations=1, batch_size=8))
    same_data_other_seed = finetune_embedder(TEXTS, LABELS, base,
                                             FinetuneParams(n_iterations=1, batch_size=8, seed=4))
    assert len({tuned.model_id, other_labels.model_id, same_data_other_seed.model_id}) == 3


def test_cache_is_keyed_by_the_fine_tuned_model(tmp_path, base):
    cached_base = Embedder(cache_dir=tmp_path)
    cached_base.encode(TEXTS[:2])
    tuned = finetune_embedder(TEXTS, LABELS, cached_base, FinetuneParams(n_iterations=1, batch_size=8))
    tuned.encode(TEXTS[:2])
    assert (tuned.n_computed, tuned.n_cached) == (2, 0)
    tuned.encode(TEXTS[:2])
    assert (tuned.n_computed, tuned.n_cached) == (0, 2)


def test_save_and_load_give_the_same_embeddings(tmp_path, tuned):
    tuned.save(tmp_path / "encoder")
    loaded = FinetunedEmbedder.load(tmp_path / "encoder", cache_dir="")
    assert loaded.model_id == tuned.model_id
    assert np.allclose(loaded.encode(TEXTS), tuned.encode(TEXTS), atol=1e-6)


def test_loading_a_saved_model_reads_its_weights_once(tmp_path, tuned, monkeypatch):
    """Once for the check against finetune.json; the id is that file's, not one made by hashing them again."""
    from theme_assist import embed

    tuned.save(tmp_path / "encoder")
    hashed, file_sha256 = [], embed.file_sha256
    monkeypatch.setattr(embed, "file_sha256", lambda path: hashed.append(Path(path).name) or file_sha256(path))
    loaded = FinetunedEmbedder.load(tmp_path / "encoder", cache_dir="")
    assert hashed == ["model.safetensors"]
    assert type(loaded) is FinetunedEmbedder and loaded.model_id == tuned.model_id
    # a sha256 the caller has just computed from the file is checked, and the weights are not read again
    hashed.clear()
    computed = file_sha256(tmp_path / "encoder" / "model.safetensors")
    assert FinetunedEmbedder.load(tmp_path / "encoder", weights_sha256_computed=computed).model_id == tuned.model_id
    with pytest.raises(InputError, match="integrity check"):
        FinetunedEmbedder.load(tmp_path / "encoder", weights_sha256_computed="0" * 64)
    assert hashed == []


def test_tampered_or_missing_saved_model_is_refused(tmp_path, tuned):
    folder = tuned.save(tmp_path / "encoder")
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-1] + b"\0")
    with pytest.raises(InputError, match="integrity check") as refusal:
        FinetunedEmbedder.load(folder)
    assert "fine-tune and save it again" in str(refusal.value) and "package" not in str(refusal.value)
    with pytest.raises(InputError, match="no fine-tuned embedding model"):
        FinetunedEmbedder.load(tmp_path / "elsewhere")


def test_bad_training_data_is_an_input_error(base):
    with pytest.raises(InputError, match="at least two codes"):
        finetune_embedder(TEXTS, ["reflection"] * len(TEXTS), base, TINY)
    with pytest.raises(InputError, match="one label per text"):
        finetune_embedder(TEXTS, LABELS[:-1], base, TINY)


def test_a_suggester_on_a_fine_tuned_model_is_saved_whole_with_it(tmp_path, base, tuned, monkeypatch):
    """The suggester and its fine-tuned model are one save. The command line wrote the model after the suggester,
    into the same folder, so a job stopped between the two left a new suggester beside an earlier model (refused
    for another model's id) or beside none (read with the base model)."""
    import json

    from theme_assist.codebook import parse_codebook
    from theme_assist.suggest import CodeSuggester
    from tests.test_suggest import CODEBOOK, CODED

    book = parse_codebook(CODEBOOK.format(exclusive="true"))
    CodeSuggester(embedder=tuned, top_k=2).fit(CODED, book).save(tmp_path / "model")
    assert "encoder/model.safetensors" in json.loads((tmp_path / "model" / "manifest.json").read_text())["files"]
    loaded = CodeSuggester.load(tmp_path / "model", book, embedder=base)  # read with its own model
    assert loaded.embedder.model_id == tuned.model_id and loaded.top_k == 2
    # run as the embedder given runs (its cache, batch size, device), not with the defaults
    assert (loaded.embedder.cache_dir, loaded.embedder.batch_size) == (base.cache_dir, base.batch_size)

    def disk_full(self, folder):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(FinetunedEmbedder, "save", disk_full)
    with pytest.raises(InputError, match="No space left on device"):
        CodeSuggester(embedder=tuned, top_k=3).fit(CODED, book).save(tmp_path / "model")
    monkeypatch.undo()
    assert CodeSuggester.load(tmp_path / "model", book).top_k == 2  # the earlier one, whole

    weights = tmp_path / "model" / "encoder" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])  # a copy cut short
    with pytest.raises(InputError, match=r"incomplete or altered \(encoder/model.safetensors is not the file"):
        CodeSuggester.load(tmp_path / "model", book)


def test_a_saved_fine_tuned_model_is_read_once_and_still_checked(tmp_path, base, tuned, monkeypatch):
    """Loading a suggester saved with its fine-tuned model hashed the weights three times (its manifest, the
    model's finetune.json, the model's id): once now, each check made on that one sha256."""
    import json

    from theme_assist import embed
    from theme_assist.codebook import parse_codebook
    from theme_assist.suggest import CodeSuggester
    from tests.test_suggest import CODEBOOK, CODED

    book = parse_codebook(CODEBOOK.format(exclusive="true"))
    CodeSuggester(embedder=tuned, top_k=2).fit(CODED, book).save(tmp_path / "model")
    hashed, file_sha256 = [], embed.file_sha256
    monkeypatch.setattr(embed, "file_sha256", lambda path: hashed.append(Path(path).name) or file_sha256(path))
    loaded = CodeSuggester.load(tmp_path / "model", book, embedder=base)
    assert np.allclose(loaded.embedder.encode(TEXTS), tuned.encode(TEXTS), atol=1e-6)
    assert hashed.count("model.safetensors") == 1
    # other weights that the manifest lists (a manifest written again by hand) are still not finetune.json's
    weights, manifest = tmp_path / "model" / "encoder" / "model.safetensors", tmp_path / "model" / "manifest.json"
    weights.write_bytes(weights.read_bytes()[:-1] + b"\0")
    listed = json.loads(manifest.read_text())
    listed["files"]["encoder/model.safetensors"] = file_sha256(weights)
    manifest.write_text(json.dumps(listed))
    with pytest.raises(InputError, match="integrity check"):
        CodeSuggester.load(tmp_path / "model", book, embedder=base)
    manifest.unlink()  # a save from before manifests: the model's own check reads the weights
    config = json.loads((tmp_path / "model" / "config.json").read_text())
    (tmp_path / "model" / "config.json").write_text(json.dumps({**config, "manifest": None}))
    with pytest.raises(InputError, match="integrity check"):
        CodeSuggester.load(tmp_path / "model", book, embedder=base)
