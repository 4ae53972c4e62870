import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from theme_assist.embed import (DEFAULT_WEIGHTS_SHA256, Embedder, ModelSource, embed_with_layers, packaged_model_dir,
                                resolve_model, verify_weights)
from theme_assist.errors import InputError


def test_default_model_is_the_pinned_package():
    source = resolve_model(None)
    assert source.location == str(packaged_model_dir())
    assert source.expected_sha256 == DEFAULT_WEIGHTS_SHA256
    assert resolve_model("sentence-transformers/all-MiniLM-L6-v2") == source
    verify_weights(packaged_model_dir(), DEFAULT_WEIGHTS_SHA256)


def test_tampered_weights_are_refused(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"not the real weights")
    with pytest.raises(InputError, match="fail the integrity check"):
        verify_weights(tmp_path, DEFAULT_WEIGHTS_SHA256)
    embedder = Embedder.from_source(ModelSource(str(tmp_path), "fake", DEFAULT_WEIGHTS_SHA256), cache_dir="")
    with pytest.raises(InputError, match="refusing to load"):
        embedder.encode(["anything"])


def test_a_sha256_the_caller_computed_is_checked_without_reading_the_weights_again(tmp_path, monkeypatch):
    from theme_assist import embed

    (tmp_path / "model.safetensors").write_bytes(b"not the real weights")
    hashed = []
    monkeypatch.setattr(embed, "file_sha256", lambda path: hashed.append(path) or "f" * 64)
    verify_weights(tmp_path, DEFAULT_WEIGHTS_SHA256, already_hashed=DEFAULT_WEIGHTS_SHA256)  # trusted as the file's
    with pytest.raises(InputError, match=r"fail the integrity check \(sha256 0000"):
        verify_weights(tmp_path, DEFAULT_WEIGHTS_SHA256, already_hashed="0" * 64)
    assert hashed == []
    with pytest.raises(InputError, match=r"fail the integrity check \(sha256 ffff"):
        verify_weights(tmp_path, DEFAULT_WEIGHTS_SHA256)
    assert hashed == [tmp_path / "model.safetensors"]


def test_an_embedder_of_a_resolved_source_takes_it_as_given(tmp_path, monkeypatch):
    """A model folder's id names the hash of its weights: an embedder made from its source (a fine-tuned model
    whose weights were just checked) does not read them again for it, and no caller sets the private field."""
    from theme_assist import embed

    (tmp_path / "model.safetensors").write_bytes(b"weights")
    hashed = []
    monkeypatch.setattr(embed, "file_sha256", lambda path: hashed.append(path) or "0" * 64)
    source = ModelSource(str(tmp_path), "mine@123", None)
    embedder = Embedder.from_source(source, cache_dir="", batch_size=8)
    assert (embedder.source, embedder.model_id, embedder.model) == (source, "mine@123", str(tmp_path))
    assert (embedder.cache_dir, embedder.batch_size) == ("", 8) and hashed == []
    assert Embedder(model=str(tmp_path)).model_id == f"{tmp_path.name}@000000000000" and len(hashed) == 1


def test_unknown_model_name_is_not_fetched(no_network):
    embedder = Embedder(model="someone/model-that-is-not-cached", cache_dir="")
    with pytest.raises(InputError, match="not available offline.*never downloads") as error:
        embedder.encode(["hello"])
    assert "couldn't connect" not in str(error.value)  # nothing tried to


def test_missing_model_folder_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        resolve_model(str(tmp_path / "nope"))


def test_a_folder_that_is_not_a_model_is_a_clear_error(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(InputError, match="cannot be loaded|not available offline"):
        Embedder(model=str(tmp_path)).load_model()


def test_embeddings_are_normalised_and_cached(tmp_path):
    texts = ["I felt listened to for the first time.", "The ward staff did not know my role.",
             "I felt listened to for the first time."]
    first = Embedder(cache_dir=tmp_path)
    vectors = first.encode(texts)
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(vectors[0], vectors[2])
    assert (first.n_computed, first.n_cached) == (2, 0)

    second = Embedder(cache_dir=tmp_path)
    again = second.encode(texts)
    assert (second.n_computed, second.n_cached) == (0, 3)
    assert second._model is None, "a fully cached run must not load the model"
    assert np.array_equal(vectors, again)


@pytest.mark.parametrize("damage", ["not a database", "a folder"])
def test_a_cache_that_cannot_be_used_is_one_line_saying_what_to_do(tmp_path, damage):
    """A damaged cache file (a copy cut short, a disk or network file system that lost writes) was a traceback
    of sqlite3.DatabaseError."""
    cache = tmp_path / "embeddings.sqlite"
    if damage == "a folder":
        cache.mkdir()
    else:
        cache.write_bytes(b"half a copy of the cache\n" * 400)
    with pytest.raises(InputError, match=r"^the embedding cache .* cannot be used \(.*\): delete it .*"
                                         "THEME_ASSIST_CACHE"):
        Embedder(cache_dir=tmp_path).encode(["I felt listened to for the first time."])


def test_a_filled_cache_in_a_read_only_folder_is_not_called_damaged(tmp_path, monkeypatch):
    """A cache shared read-only (SQLite cannot make its journal beside it) was refused with 'delete it', as if
    damaged; deleting a team's filled cache would not have helped."""
    import sqlite3
    import tempfile

    import theme_assist.embed

    Embedder(cache_dir=tmp_path).encode(["I felt listened to for the first time."])
    mkstemp = tempfile.mkstemp

    def refused_here(*args, **kwargs):  # as a read-only folder answers (root ignores mode bits: simulated)
        if Path(kwargs.get("dir", "")) == tmp_path:
            raise PermissionError(13, "Permission denied", str(tmp_path))
        return mkstemp(*args, **kwargs)

    def unable(*args, **kwargs):
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(tempfile, "mkstemp", refused_here)
    monkeypatch.setattr(theme_assist.embed.sqlite3, "connect", unable)
    with pytest.raises(InputError, match=r"^the embedding cache .* cannot be written .*set THEME_ASSIST_CACHE to a "
                                         "folder you can write to, copying the cache there") as refused:
        Embedder(cache_dir=tmp_path).encode(["Something new."])
    assert "delete it" not in str(refused.value)


@pytest.mark.parametrize("where", ["a file", "a read-only folder"])
def test_a_cache_folder_that_takes_no_file_says_to_set_theme_assist_cache(tmp_path, monkeypatch, where):
    """THEME_ASSIST_CACHE on a read-only path (a shared folder, a file) was an OSError naming a folder but not the
    cache, or told the user to delete a cache file that was never there."""
    import sqlite3

    import theme_assist.embed

    folder = tmp_path / "cache"
    if where == "a file":
        folder.write_text("not a folder\n")
    else:  # as SQLite answers in a folder that takes no new file (root ignores mode bits, so it is simulated)
        folder.mkdir()

        def unable(*args, **kwargs):
            raise sqlite3.OperationalError("unable to open database file")

        monkeypatch.setattr(theme_assist.embed.sqlite3, "connect", unable)
    with pytest.raises(InputError, match=r"^the embedding cache.* cannot be created \(.*\): set THEME_ASSIST_CACHE to "
                                         "a folder you can write to$"):
        Embedder(cache_dir=folder).encode(["I felt listened to for the first time."])


def test_sentence_embeddings_match_sentence_transformers_encode(tmp_path):
    texts = ["Hi.", "So you feel that drinking helps you relax after a long day?", "I got the job!"]
    embedder = Embedder(cache_dir=tmp_path)
    ours = embedder.encode(texts)
    reference = embedder.load_model().encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    assert np.allclose(ours, reference, atol=1e-5)


def test_hidden_layers_are_mean_pooled_unit_blocks_cached_apart(tmp_path):
    texts = ["What brings you here today?", "My brother visits me again.", "What brings you here today?"]
    first = Embedder(cache_dir=tmp_path)
    layers = first.encode_layers(texts, (-1, -2, -4))
    assert layers.shape == (3, 3 * 384) and layers.dtype == np.float32
    blocks = layers.reshape(3, 3, 384)
    assert np.allclose(np.linalg.norm(blocks, axis=2), 1.0, atol=1e-5)
    assert np.array_equal(layers[0], layers[2])
    # all-MiniLM-L6-v2 pools the last layer by its mean: layer -1 is the sentence embedding itself
    assert np.allclose(blocks[:, 0], first.encode(texts), atol=1e-5)
    assert not np.allclose(blocks[:, 1], blocks[:, 2], atol=1e-2), "different layers, different vectors"
    assert (first.n_computed, first.n_cached) == (0, 3), "the sentence embeddings came with the same pass"

    second = Embedder(cache_dir=tmp_path)
    assert np.array_equal(second.encode_layers(texts, (-1, -2, -4)), layers)
    assert second._model is None
    other = second.encode_layers(texts[:1], (-2,))
    assert second.n_computed == 1, "another choice of layers is cached under its own key"
    assert np.allclose(other[0], blocks[0, 1], atol=1e-5)
    with pytest.raises(InputError, match="hidden layers -7 to 6"):
        second.encode_layers(["a text nobody embedded"], (-8,))


def test_representations_are_float32_sentence_and_layers_side_by_side_scaled(tmp_path):
    texts = ["What brings you here today?", "My brother visits me again."]
    embedder = Embedder(cache_dir=tmp_path)
    vectors, represented = embed_with_layers(embedder, texts, (-2, -3))
    sentences, hidden = Embedder(cache_dir=tmp_path).encode_with_layers(texts, (-2, -3))
    assert vectors.dtype == represented.dtype == sentences.dtype == hidden.dtype == np.float32
    assert np.array_equal(vectors, sentences)
    # the formula the representations were always made with, bit for bit (now divided in place)
    assert np.array_equal(represented, np.hstack([sentences, hidden]) / np.float32(np.sqrt(3)))
    assert np.allclose(np.linalg.norm(represented, axis=1), 1.0, atol=1e-5)
    given = vectors.astype(np.float64)  # sentence embeddings at hand keep their dtype, as before
    assert np.array_equal(embed_with_layers(embedder, texts, (-2, -3), vectors=given)[1],
                          np.hstack([given, hidden]) / np.float32(np.sqrt(3)))


def test_no_socket_is_opened_while_importing_embedding_and_suggesting(tmp_path):
    """Run the whole path in a fresh interpreter whose socket module refuses internet sockets from the start."""
    script = textwrap.dedent(f"""
        import socket
        real = socket.socket
        class Guard(real):
            def __init__(self, family=socket.AF_INET, *a, **k):
                if family in (socket.AF_INET, socket.AF_INET6):
                    raise SystemExit("network socket opened")
                super().__init__(family, *a, **k)
        socket.socket = Guard
        def refuse(*a, **k):
            raise SystemExit("network lookup attempted")
        socket.create_connection = socket.getaddrinfo = refuse

        import pandas as pd
        from theme_assist.codebook import parse_codebook
        from theme_assist.embed import Embedder
        from theme_assist.suggest import CodeSuggester
        book = parse_codebook("name: t\\nexclusive: true\\ncodes:\\n - {{id: a, name: work}}\\n - {{id: b, name: family}}\\n")
        coded = pd.DataFrame({{"text": ["my job", "my mother"], "code": ["a", "b"]}})
        s = CodeSuggester(embedder=Embedder(cache_dir={str(tmp_path)!r})).fit(coded, book)
        out = s.suggest(pd.DataFrame({{"segment_id": ["x"], "text": ["my boss"]}}))
        assert s.embedder._model is not None
        print("OK", out.loc[0, "code"])
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:] + result.stdout[-500:]
    assert result.stdout.startswith("OK ")


def test_a_text_longer_than_the_model_reads_is_named_in_a_warning(tmp_path, caplog):
    long_text = " ".join(["peer support workers shared their own experience of recovery"] * 60)
    with caplog.at_level("WARNING", logger="theme_assist"):
        Embedder(cache_dir=tmp_path).encode(["A short turn.", long_text])
    warnings = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    assert len(warnings) == 1 and warnings[0].startswith("1 of 2 texts fill the 256 word pieces"), warnings

    caplog.clear()
    with caplog.at_level("WARNING", logger="theme_assist"):
        Embedder(cache_dir=tmp_path / "other").encode(["A short turn.", "Another one."])
    assert not [record for record in caplog.records if record.levelname == "WARNING"]


def test_the_long_text_warning_is_given_again_when_the_texts_come_from_the_cache(tmp_path, caplog):
    """A second run on the same texts read them from the cache and truncated the long one without a word; the
    warning comes from the word pieces the cache recorded beside the vectors, without loading the model. A cache
    written before they were recorded has its texts tokenized once (not embedded), and recorded."""
    import sqlite3

    long_text = " ".join(["peer support workers shared their own experience of recovery"] * 60)
    Embedder(cache_dir=tmp_path).encode_with_layers(["A short turn.", long_text], (-2,))
    for layers in ((), (-2,)):
        caplog.clear()
        again = Embedder(cache_dir=tmp_path)
        with caplog.at_level("WARNING", logger="theme_assist"):
            again.encode_with_layers([long_text, "A short turn.", long_text], layers)
        warnings = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
        assert len(warnings) == 1 and warnings[0].startswith("1 of 2 texts fill the 256 word pieces"), warnings
    assert again.n_computed == 0 and again._model is None, "the check must not load the model"
    caplog.clear()
    with caplog.at_level("WARNING", logger="theme_assist"):
        again.encode([long_text])  # the same embedder, the same texts again (a command embeds them more than once)
    assert not [record for record in caplog.records if record.levelname == "WARNING"]

    with sqlite3.connect(tmp_path / "embeddings.sqlite") as db:  # as a cache from before the word pieces were kept
        db.execute("DELETE FROM embeddings WHERE model_id LIKE '%#word-pieces'")
    db.close()
    for loads in (True, False):
        caplog.clear()
        legacy = Embedder(cache_dir=tmp_path)
        with caplog.at_level("WARNING", logger="theme_assist"):
            legacy.encode(["A short turn.", long_text])
        warnings = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
        assert len(warnings) == 1 and warnings[0].startswith("1 of 2 texts fill the 256 word pieces"), warnings
        assert legacy.n_computed == 0 and (legacy._model is not None) == loads


def test_progress_in_a_batch_jobs_log_is_a_line_at_every_tenth(tmp_path, capsys):
    texts = [f"Turn number {i} of a long focus group." for i in range(40)]
    Embedder(cache_dir=tmp_path, batch_size=2).encode(texts, show_progress=True)  # stderr is captured: no terminal
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "embedding: 4 of 40 texts" and lines[-1] == "embedding: 40 of 40 texts" and len(lines) == 10


def test_an_interrupted_run_keeps_what_it_embedded(tmp_path, monkeypatch):
    import theme_assist.embed as embed

    texts = [f"Turn {i}: the peer worker listened and shared what helped her." for i in range(12)]
    reference = Embedder(cache_dir="", batch_size=2).encode_with_layers(texts, embed.DEFAULT_HIDDEN_LAYERS)
    monkeypatch.setattr(embed, "KEEP_EVERY", 4)
    interrupted = Embedder(cache_dir=tmp_path, batch_size=2)
    model = interrupted.load_model()
    calls = {"n": 0}
    real_forward = type(model).forward

    def stop_after_three_batches(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 3:
            raise KeyboardInterrupt
        return real_forward(self, *args, **kwargs)

    monkeypatch.setattr(type(model), "forward", stop_after_three_batches)
    with pytest.raises(KeyboardInterrupt):
        interrupted.encode_with_layers(texts, embed.DEFAULT_HIDDEN_LAYERS)
    monkeypatch.undo()

    resumed = Embedder(cache_dir=tmp_path, batch_size=2)
    sentences, hidden = resumed.encode_with_layers(texts, embed.DEFAULT_HIDDEN_LAYERS)
    assert (resumed.n_cached, resumed.n_computed) == (4, 8), "the first four texts were kept, not the batch after them"
    assert np.allclose(sentences, reference[0], atol=1e-5) and np.allclose(hidden, reference[1], atol=1e-5)


def test_unit_rows_scales_rows_and_leaves_unit_rows_bit_for_bit():
    from theme_assist.embed import unit_rows

    unit = np.random.default_rng(0).normal(size=(4, 8)).astype(np.float32)
    unit /= np.linalg.norm(unit, axis=1, keepdims=True)
    assert unit_rows(unit) is unit
    scaled = unit_rows((3 * unit).tolist() + [[0.0] * 8])
    assert np.allclose(scaled[:4], unit, atol=1e-6) and not scaled[4].any()
