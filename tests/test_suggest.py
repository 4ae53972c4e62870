import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from theme_assist.codebook import parse_codebook
from theme_assist.errors import InputError
from theme_assist.suggest import SUGGESTION_COLUMNS, CodeSuggester, anchor_texts

CODEBOOK = """\
name: Peer support mini
exclusive: {exclusive}
codes:
  - id: work
    name: Paid work and employment
    definition: Talk about jobs, salaries, contracts and the workplace.
    examples: ["I finally got paid for the work I do.", "My contract was only for six months."]
  - id: family
    name: Family relationships
    definition: Talk about parents, children, partners and relatives.
    examples: ["My mother now understands my illness.", "My brother visits me again."]
  - id: stigma
    name: Stigma and discrimination
    definition: Being judged, excluded or labelled because of mental illness.
    examples: ["People in the village called me mad.", "The police treated me like a criminal."]
"""

CODED = pd.DataFrame({
    "segment_id": [f"s{i}" for i in range(12)],
    "document": ["d1"] * 6 + ["d2"] * 6,
    "text": [
        "The salary is small but it pays my rent.", "My sister helps me with the children now.",
        "Neighbours still whisper that I am crazy.", "I signed a new employment contract last week.",
        "My father started to talk with me again.", "At church they looked at me as if I was dangerous.",
        "I work twenty hours a week at the centre.", "My wife and I are closer than before.",
        "My employer does not want to hear about my diagnosis.", "They said a mad person cannot be trusted.",
        "My parents came to the meeting with the peer worker.", "Getting paid made me feel like a worker again.",
    ],
    "code": ["work", "family", "stigma", "work", "family", "stigma",
             "work", "family", "work", "stigma", "family", "work"],
})

NEW = pd.DataFrame({
    "segment_id": ["n1", "n2", "n3"],
    "document": ["d3"] * 3,
    "text": ["I got my first pay cheque from the hospital job.", "My daughter is proud of me.",
             "The shopkeeper refused to serve me because of my illness."],
})


@pytest.fixture(scope="module")
def exclusive_book():
    return parse_codebook(CODEBOOK.format(exclusive="true"))


@pytest.fixture(scope="module")
def fitted(exclusive_book, embedder):
    return CodeSuggester(embedder=embedder, top_k=2, threshold=0.0).fit(CODED, exclusive_book)


def test_trained_suggestions_rank_the_right_code_first(fitted):
    out = fitted.suggest(NEW)
    assert list(out.columns) == list(SUGGESTION_COLUMNS) == ["segment_id", "code", "score", "rank", "evidence"]
    best = out[out["rank"] == 1].set_index("segment_id")["code"]
    assert best.to_dict() == {"n1": "work", "n2": "family", "n3": "stigma"}
    assert out["score"].between(0, 1).all()
    assert out.groupby("segment_id")["rank"].apply(list).tolist() == [[1, 2]] * 3
    # scores of an exclusive codebook are a distribution over its codes
    proba = fitted.predict_proba(NEW)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert list(proba.index) == ["n1", "n2", "n3"]


def test_the_suggestion_tables_columns_are_written_in_one_place():
    import inspect

    from theme_assist.cli import merge
    from theme_assist.project import audit, store

    for module in (merge, audit, store):
        assert '"code", "score", "rank"' not in inspect.getsource(module), module.__name__


def test_evidence_is_the_most_similar_coded_quotes_of_that_code(fitted):
    out = fitted.suggest(NEW)
    row = out[(out["segment_id"] == "n1") & (out["rank"] == 1)].iloc[0]
    evidence = row["evidence"]
    assert 1 <= len(evidence) <= 3
    coded_work = set(CODED.loc[CODED["code"] == "work", "segment_id"])
    assert {e["segment_id"] for e in evidence} <= coded_work
    similarities = [e["similarity"] for e in evidence]
    assert similarities == sorted(similarities, reverse=True)


def test_evidence_never_quotes_the_segment_itself(fitted):
    out = fitted.suggest(CODED)
    for _, row in out.iterrows():
        assert row["segment_id"] not in {e["segment_id"] for e in row["evidence"]}


def test_zero_shot_uses_only_the_codebook(exclusive_book, embedder):
    suggester = CodeSuggester(embedder=embedder, threshold=0.0).fit(None, exclusive_book)
    assert suggester.mode_ == "zero-shot"
    best = suggester.suggest(NEW).query("rank == 1").set_index("segment_id")["code"]
    assert best["n1"] == "work" and best["n2"] == "family"
    evidence = suggester.suggest(NEW).iloc[0]["evidence"]
    assert evidence and all(e["segment_id"].startswith("codebook:") for e in evidence)


def test_abstains_when_nothing_clears_the_threshold(exclusive_book, embedder):
    suggester = CodeSuggester(embedder=embedder, threshold=0.99, calibrate=False).fit(CODED, exclusive_book)
    out = suggester.suggest(NEW)
    assert len(out) == 3
    assert (out["code"] == "").all() and (out["rank"] == 1).all()
    assert (out["score"] < 0.99).all()


def test_multi_label_codebook_can_suggest_several_codes(embedder):
    book = parse_codebook(CODEBOOK.format(exclusive="false"))
    coded = pd.concat([CODED, pd.DataFrame({
        "segment_id": ["s1", "m1", "m1"], "document": ["d1", "d4", "d4"],
        "text": ["My sister helps me with the children now.", "My family said I could never hold a job.",
                 "My family said I could never hold a job."],
        "code": ["work", "family", "work"]})], ignore_index=True)
    suggester = CodeSuggester(embedder=embedder, threshold=0.2, top_k=3).fit(coded, book)
    proba = suggester.predict_proba(NEW)
    assert not np.allclose(proba.sum(axis=1), 1.0)  # independent per-code scores
    out = suggester.suggest(pd.DataFrame({"segment_id": ["x"], "text": ["My uncle found me a job at his shop."]}))
    assert {"work", "family"} <= set(out["code"])


def test_same_input_same_output(exclusive_book, embedder):
    first = CodeSuggester(embedder=embedder).fit(CODED, exclusive_book).suggest(NEW)
    second = CodeSuggester(embedder=embedder).fit(CODED, exclusive_book).suggest(NEW)
    pd.testing.assert_frame_equal(first, second)


def test_save_and_load_give_identical_suggestions(fitted, exclusive_book, embedder, tmp_path):
    fitted.save(tmp_path / "mini")
    assert sorted(p.name for p in (tmp_path / "mini").iterdir()) == ["arrays.npz", "config.json", "evidence.json",
                                                                      "manifest.json"]
    with np.load(tmp_path / "mini" / "arrays.npz", allow_pickle=False) as arrays:
        assert all(arrays[name].dtype != object for name in arrays.files)
    loaded = CodeSuggester.load(tmp_path / "mini", exclusive_book, embedder=embedder)
    pd.testing.assert_frame_equal(fitted.suggest(NEW), loaded.suggest(NEW))
    config = json.loads((tmp_path / "mini" / "config.json").read_text())
    assert config["embedding_model_id"] == embedder.model_id


def test_a_saved_suggester_is_refused_with_another_embedding_model(fitted, exclusive_book, tmp_path):
    from theme_assist.project.testing import FakeEmbedder

    fitted.save(tmp_path / "mini")
    with pytest.raises(InputError, match=r"fitted with embedding model all-MiniLM-L6-v2@\w+, not fake-hash@1"):
        CodeSuggester.load(tmp_path / "mini", exclusive_book, embedder=FakeEmbedder())


def _refitted_on_swapped_codes(book, embedder):
    """A suggester as big as ``fitted`` that suggests otherwise: work and stigma swapped in the coding."""
    swapped = CODED.assign(code=CODED["code"].replace({"work": "stigma", "stigma": "work"}))
    return CodeSuggester(embedder=embedder, top_k=2, threshold=0.0).fit(swapped, book)


def test_a_save_stopped_midway_leaves_the_earlier_suggester_whole(fitted, exclusive_book, embedder, tmp_path,
                                                                  monkeypatch):
    """A job stopped (Ctrl+C, a time limit, a full disk) while saving over a suggester left the new config and
    evidence beside the old weights, which loaded without error and quoted evidence of other codes."""
    import theme_assist.suggest as suggest_module

    fitted.save(tmp_path / "mini")
    refitted = _refitted_on_swapped_codes(exclusive_book, embedder)

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(suggest_module.np, "savez", stopped)
    with pytest.raises(KeyboardInterrupt):
        refitted.save(tmp_path / "mini")
    monkeypatch.undo()
    assert [p.name for p in tmp_path.iterdir()] == ["mini"]  # no half-written folder left beside it
    loaded = CodeSuggester.load(tmp_path / "mini", exclusive_book, embedder=embedder)
    pd.testing.assert_frame_equal(loaded.suggest(NEW), fitted.suggest(NEW))


def test_a_saved_folder_of_mixed_or_missing_files_is_refused_in_one_line(fitted, exclusive_book, embedder,
                                                                         tmp_path):
    """What a copy cut short or a save of an earlier version stopped midway leaves: files of two suggesters."""
    import shutil

    fitted.save(tmp_path / "old")
    _refitted_on_swapped_codes(exclusive_book, embedder).save(tmp_path / "new")
    shutil.copy(tmp_path / "old" / "arrays.npz", tmp_path / "new" / "arrays.npz")
    with pytest.raises(InputError, match=r"is incomplete or altered \(arrays.npz is not the file its save wrote\)"):
        CodeSuggester.load(tmp_path / "new", exclusive_book, embedder=embedder)
    (tmp_path / "old" / "manifest.json").unlink()
    with pytest.raises(InputError, match=r"is incomplete or altered \(manifest.json is missing\)"):
        CodeSuggester.load(tmp_path / "old", exclusive_book, embedder=embedder)


def test_a_folder_saved_before_manifests_still_loads(fitted, exclusive_book, embedder, tmp_path):
    fitted.save(tmp_path / "mini")
    (tmp_path / "mini" / "manifest.json").unlink()
    config = json.loads((tmp_path / "mini" / "config.json").read_text())
    del config["manifest"]
    (tmp_path / "mini" / "config.json").write_text(json.dumps(config))
    loaded = CodeSuggester.load(tmp_path / "mini", exclusive_book, embedder=embedder)
    pd.testing.assert_frame_equal(loaded.suggest(NEW), fitted.suggest(NEW))


def test_saving_into_a_folder_of_other_files_is_refused_and_leaves_them(fitted, tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match=r"holds files that are not a saved suggester's \(notes.txt\)"):
        fitted.save(tmp_path / "models")
    assert [p.name for p in (tmp_path / "models").iterdir()] == ["notes.txt"]


def test_a_file_browsers_own_files_neither_block_a_save_nor_fail_a_load(fitted, exclusive_book, embedder,
                                                                      tmp_path):
    fitted.save(tmp_path / "mini")
    (tmp_path / "mini" / ".DS_Store").write_bytes(b"\0")  # what macOS's Finder leaves in a folder it showed
    (tmp_path / "mini" / "._config.json").write_bytes(b"\0")  # and beside a file copied to another file system
    (tmp_path / "mini" / ".ipynb_checkpoints").mkdir()  # what Jupyter leaves
    CodeSuggester.load(tmp_path / "mini", exclusive_book, embedder=embedder)
    fitted.save(tmp_path / "mini")


def test_a_save_that_fails_is_one_line_and_leaves_the_earlier_suggester(fitted, exclusive_book, embedder, tmp_path,
                                                                       monkeypatch):
    """A full disk, or a folder that cannot be swapped (a mount point, a read-only folder above it)."""
    fitted.save(tmp_path / "mini")
    before = {path.name: path.read_bytes() for path in (tmp_path / "mini").iterdir()}

    def full_disk(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(CodeSuggester, "_write", full_disk)
    with pytest.raises(InputError, match=r"could not save the suggester in .*mini \(No space left on device\); an "
                                         "earlier one there is as it was"):
        fitted.save(tmp_path / "mini")
    assert {path.name: path.read_bytes() for path in (tmp_path / "mini").iterdir()} == before


def test_a_save_through_a_link_replaces_the_folder_it_points_to(fitted, exclusive_book, embedder, tmp_path):
    (tmp_path / "disk").mkdir()
    (tmp_path / "models").symlink_to(tmp_path / "disk")
    fitted.save(tmp_path / "models")
    fitted.save(tmp_path / "models")
    assert (tmp_path / "models").is_symlink() and (tmp_path / "disk" / "manifest.json").is_file()
    CodeSuggester.load(tmp_path / "models", exclusive_book, embedder=embedder)


def test_saved_params_gives_every_parameter_but_the_embedder_and_round_trips(embedder):
    import inspect

    suggester = CodeSuggester(embedder=embedder, C=2.0, hidden_layers=(-2,), calibrate=False)
    params = suggester.saved_params()
    assert list(params) == [n for n in inspect.signature(CodeSuggester).parameters if n != "embedder"]
    assert params["C"] == 2.0 and params["hidden_layers"] == (-2,) and params["calibrate"] is False
    assert CodeSuggester(embedder=embedder, **params).saved_params() == params
    assert suggester.get_params(deep=False) == {"embedder": embedder, **params}


def test_the_suggester_is_a_scikit_learn_estimator(embedder):
    from sklearn.base import clone

    suggester = CodeSuggester(embedder=embedder, C=2.0, top_k=2)
    assert suggester.set_params(top_k=1) is suggester and suggester.top_k == 1
    copy = clone(suggester)
    assert copy is not suggester and copy.embedder is embedder  # the embedder is a parameter: clone keeps it
    assert copy.get_params() == suggester.get_params()
    assert repr(CodeSuggester(top_k=1, C=2.0)) == "CodeSuggester(C=2.0, top_k=1)"


def test_a_saved_suggester_keeps_its_parameters(exclusive_book, embedder, tmp_path):
    suggester = CodeSuggester(embedder=embedder, C=0.5, top_k=2, calibrate=False).fit(CODED, exclusive_book)
    suggester.save(tmp_path / "mini")
    loaded = CodeSuggester.load(tmp_path / "mini", exclusive_book, embedder=embedder)
    assert loaded.get_params() == suggester.get_params()
    assert loaded.saved_params() == suggester.saved_params()


def test_loading_refuses_another_codebook_or_a_damaged_folder(fitted, embedder, tmp_path):
    fitted.save(tmp_path / "mini")
    other = parse_codebook(CODEBOOK.format(exclusive="true").replace("Family relationships", "Kin"))
    with pytest.raises(InputError, match="fitted on another codebook"):
        CodeSuggester.load(tmp_path / "mini", other, embedder=embedder)
    (tmp_path / "mini" / "arrays.npz").unlink()
    with pytest.raises(InputError, match="arrays.npz is missing"):
        CodeSuggester.load(tmp_path / "mini", fitted.codebook_, embedder=embedder)


def _resealed(folder):
    """Write ``folder``'s manifest anew, as a save that wrote its files as they are now would have: the loader's
    checks beyond the manifest's then see them."""
    from theme_assist.embed import file_hashes

    hashes = file_hashes(folder)
    hashes.pop("manifest.json")
    (folder / "manifest.json").write_text(json.dumps({"files": hashes}))


def _drop_key(path, key):
    data = json.loads(path.read_text())
    del data[key]
    path.write_text(json.dumps(data))


@pytest.mark.parametrize("damage", [
    lambda folder: (folder / "config.json").write_text("[]"),
    lambda folder: _drop_key(folder / "config.json", "classes"),
    lambda folder: (folder / "evidence.json").write_text("[1]"),
    lambda folder: (folder / "arrays.npz").write_bytes(b""),
    lambda folder: (folder / "arrays.npz").write_bytes((folder / "arrays.npz").read_bytes()[:100]),
    lambda folder: (folder / "config.json").write_bytes("{}".encode("utf-16")),
    lambda folder: _drop_key(folder / "evidence.json", "texts"),
])
def test_a_damaged_saved_suggester_is_one_input_error(fitted, embedder, tmp_path, damage):
    fitted.save(tmp_path / "mini")
    damage(tmp_path / "mini")
    _resealed(tmp_path / "mini")
    with pytest.raises(InputError, match="is damaged"):
        CodeSuggester.load(tmp_path / "mini", fitted.codebook_, embedder=embedder)


def test_a_saved_suggester_with_weights_for_other_codes_is_refused(fitted, embedder, tmp_path):
    fitted.save(tmp_path / "mini")
    config = json.loads((tmp_path / "mini" / "config.json").read_text())
    config["classes"] = config["classes"][:1]
    (tmp_path / "mini" / "config.json").write_text(json.dumps(config))
    _resealed(tmp_path / "mini")
    with pytest.raises(InputError, match="rows of weights"):
        CodeSuggester.load(tmp_path / "mini", fitted.codebook_, embedder=embedder)


def test_a_saved_suggester_with_weights_of_another_width_fails_in_one_line(fitted, embedder, tmp_path):
    fitted.save(tmp_path / "mini")
    arrays = dict(np.load(tmp_path / "mini" / "arrays.npz"))
    arrays["coef"] = arrays["coef"][:, :5]
    np.savez(tmp_path / "mini" / "arrays.npz", **arrays)
    _resealed(tmp_path / "mini")
    loaded = CodeSuggester.load(tmp_path / "mini", fitted.codebook_, embedder=embedder)
    with pytest.raises(InputError, match="weights expect 5 features"):
        loaded.suggest(NEW)


def test_bad_training_data_is_refused(exclusive_book, embedder):
    with pytest.raises(InputError, match="code 'unknown' in the coded data is not in codebook"):
        CodeSuggester(embedder=embedder).fit(CODED.assign(code=["unknown"] + list(CODED["code"][1:])),
                                             exclusive_book)
    for given, meant in (("Family", "family"), ("Stigma and discrimination", "stigma")):
        with pytest.raises(InputError, match=f"code '{given}' in the coded data .*did you mean '{meant}'"):
            CodeSuggester(embedder=embedder).fit(CODED.assign(code=[given] + list(CODED["code"][1:])),
                                                 exclusive_book)
    # a spreadsheet's cell of two codes is told to take a row per code, not only that it is no code
    with pytest.raises(InputError, match="code 'family; Stigma' .*several codes in one cell: give each code a row"):
        CodeSuggester(embedder=embedder).fit(CODED.assign(code=["family; Stigma"] + list(CODED["code"][1:])),
                                             exclusive_book)
    doubled = pd.concat([CODED, CODED.iloc[[0]].assign(code="family")])
    with pytest.raises(InputError, match="exclusive .* segment 's0' has 2 codes"):
        CodeSuggester(embedder=embedder).fit(doubled, exclusive_book)
    with pytest.raises(InputError, match="not fitted"):
        CodeSuggester(embedder=embedder).suggest(NEW)


@pytest.mark.parametrize("exclusive", ["true", "false"])
def test_one_segment_id_on_rows_of_different_documents_or_texts_is_refused(embedder, exclusive):
    from theme_assist.suggest import codes_per_segment

    book = parse_codebook(CODEBOOK.format(exclusive=exclusive))
    numbered_per_document = CODED.assign(segment_id=[str(i % 6) for i in range(len(CODED))])
    with pytest.raises(InputError, match="segment_id '0' is on rows of different documents \\('d1', 'd2'; 5 more"):
        CodeSuggester(embedder=embedder).fit(numbered_per_document, book)
    other_text = pd.concat([CODED, CODED.iloc[[0]].assign(text="Another turn altogether.")])
    with pytest.raises(InputError, match="segment_id 's0' is on rows of different texts"):
        codes_per_segment(other_text, book)
    if exclusive == "false":  # one segment's several codes, on repeated rows, stay one segment
        several = pd.concat([CODED, CODED.iloc[[0]].assign(code="family")])
        assert codes_per_segment(several, book).iloc[0]["codes"] == ["family", "work"]


def test_calibration_rescales_scores_without_changing_the_ranking(exclusive_book, embedder, monkeypatch):
    import theme_assist.suggest

    assert not CodeSuggester(embedder=embedder).fit(CODED, exclusive_book).calibrated_  # 12 segments: too few
    assert theme_assist.suggest.MIN_CALIBRATION_SEGMENTS > len(CODED)
    monkeypatch.setattr(theme_assist.suggest, "MIN_CALIBRATION_SEGMENTS", 10)
    raw = CodeSuggester(embedder=embedder, calibrate=False).fit(CODED, exclusive_book)
    calibrated = CodeSuggester(embedder=embedder).fit(CODED, exclusive_book)
    assert raw.temperature_ == 1.0
    # held-out documents are coded perfectly here, so the calibrated head is sharper than the regularised one
    assert calibrated.temperature_ < 1.0
    before, after = raw.predict_proba(NEW), calibrated.predict_proba(NEW)
    assert (before.idxmax(axis=1) == after.idxmax(axis=1)).all()
    assert (after.max(axis=1) > before.max(axis=1)).all()
    assert np.allclose(after.sum(axis=1), 1.0)



def test_a_head_too_little_coding_calibrates_is_as_sure_as_the_codebook_alone(exclusive_book, embedder, tmp_path):
    """12 coded segments are too few to hold any out: the head's own scores were flatter than the codebook's, and
    below the abstention threshold where the codebook alone had suggested codes."""
    raw = CodeSuggester(embedder=embedder, calibrate=False).fit(CODED, exclusive_book)
    sharpened = CodeSuggester(embedder=embedder).fit(CODED, exclusive_book)
    alone = CodeSuggester(embedder=embedder).fit(None, exclusive_book).predict_proba(CODED)
    assert not sharpened.calibrated_ and sharpened.temperature_ < 1.0
    before, after = raw.predict_proba(CODED), sharpened.predict_proba(CODED)
    assert before.max(axis=1).mean() < alone.max(axis=1).mean()
    assert after.max(axis=1).mean() == pytest.approx(alone.max(axis=1).mean(), abs=1e-3)
    assert (before.idxmax(axis=1) == after.idxmax(axis=1)).all()  # no ranking changes
    sharpened.save(tmp_path / "saved")
    loaded = CodeSuggester.load(tmp_path / "saved", exclusive_book, embedder=embedder)
    pd.testing.assert_frame_equal(loaded.predict_proba(NEW), sharpened.predict_proba(NEW))

def test_a_small_coding_is_calibrated_on_ten_folds_a_large_one_on_three(exclusive_book, embedder, monkeypatch):
    import theme_assist.suggest

    monkeypatch.setattr(theme_assist.suggest, "MIN_CALIBRATION_SEGMENTS", 10)
    one_per_document = CODED.assign(document=[f"d{i}" for i in range(len(CODED))])
    fits = []
    original = CodeSuggester._fit_head
    monkeypatch.setattr(CodeSuggester, "_fit_head", lambda self, *args: fits.append(1) or original(self, *args))

    def head_fits() -> int:
        fits.clear()
        CodeSuggester(embedder=embedder).fit(one_per_document, exclusive_book)
        return len(fits)

    assert head_fits() == 1 + 10  # the final head, then one per held-out fold
    monkeypatch.setattr(theme_assist.suggest, "SMALL_CODING", 12)  # 12 coded segments are now a large coding
    assert head_fits() == 1 + 3


def test_prior_correction_shifts_each_code_by_its_log_share_and_is_saved(exclusive_book, embedder, monkeypatch,
                                                                          tmp_path):
    import theme_assist.calibrate
    import theme_assist.suggest

    monkeypatch.setattr(theme_assist.suggest, "MIN_CALIBRATION_SEGMENTS", 10)
    chosen = []
    monkeypatch.setattr(theme_assist.calibrate, "fit_prior_strength", lambda *args: chosen.append(1) or 1.0)
    balanced = CodeSuggester(embedder=embedder, calibrate=False, prior_correction=False).fit(CODED, exclusive_book)
    corrected = CodeSuggester(embedder=embedder, calibrate=False).fit(CODED, exclusive_book)
    assert not chosen and corrected.prior_strength_ == 0.0  # 12 coded segments: too few to choose a strength on
    monkeypatch.setattr(theme_assist.suggest, "SMALL_CODING", 12)
    corrected = CodeSuggester(embedder=embedder, calibrate=False).fit(CODED, exclusive_book)
    assert chosen and corrected.prior_strength_ == 1.0 and balanced.prior_strength_ == 0.0
    shares = CODED["code"].value_counts(normalize=True)[corrected.classes_].to_numpy()
    shift = np.log(corrected.predict_proba(NEW).to_numpy()) - np.log(balanced.predict_proba(NEW).to_numpy())
    assert np.allclose(shift - np.log(shares), (shift - np.log(shares))[:, :1])  # up to one constant per row
    loaded = CodeSuggester.load(corrected.save(tmp_path / "saved"), exclusive_book, embedder=embedder)
    assert loaded.prior_strength_ == 1.0
    pd.testing.assert_frame_equal(loaded.predict_proba(NEW), corrected.predict_proba(NEW))


def test_a_user_is_told_when_trained_scores_are_not_calibrated(exclusive_book, embedder, monkeypatch):
    import theme_assist.suggest
    from theme_assist.suggest import uncalibrated_note

    assert "needs at least 20 coded segments" in uncalibrated_note(CodeSuggester(embedder=embedder).fit(
        CODED, exclusive_book))
    assert uncalibrated_note(CodeSuggester(embedder=embedder).fit(None, exclusive_book)) is None  # zero-shot
    assert uncalibrated_note(CodeSuggester(embedder=embedder, calibrate=False).fit(CODED, exclusive_book)) is None
    monkeypatch.setattr(theme_assist.suggest, "MIN_CALIBRATION_SEGMENTS", 10)
    assert uncalibrated_note(CodeSuggester(embedder=embedder).fit(CODED, exclusive_book)) is None


def test_calibration_needs_several_documents(exclusive_book, embedder, monkeypatch):
    import theme_assist.suggest

    monkeypatch.setattr(theme_assist.suggest, "MIN_CALIBRATION_SEGMENTS", 10)
    one_document = CODED.assign(document="d1")
    assert not CodeSuggester(embedder=embedder).fit(one_document, exclusive_book).calibrated_


def test_a_coding_of_one_code_is_not_calibrated_into_certainty(exclusive_book, embedder, monkeypatch):
    import theme_assist.suggest
    from theme_assist.suggest import uncalibrated_note

    monkeypatch.setattr(theme_assist.suggest, "MIN_CALIBRATION_SEGMENTS", 10)
    only_work = CODED.assign(code="work")  # every held-out segment has the same code
    suggester = CodeSuggester(embedder=embedder).fit(only_work, exclusive_book)
    assert not suggester.calibrated_
    assert "two codes or more" in uncalibrated_note(suggester)
    assert (suggester.predict_proba(NEW).max(axis=1) < 0.99).all()


def test_a_codebook_of_one_code_gives_every_segment_that_code(embedder, tmp_path):
    # a parent with one child has one leaf code: sklearn refuses to fit a head on one class
    book = parse_codebook("name: one\nexclusive: true\ncodes:\n  - id: parent\n    name: Parent\n"
                          "    definition: Talk about work.\n    children:\n      - id: work\n"
                          "        name: Work\n        definition: Talk about jobs and salaries.\n")
    suggester = CodeSuggester(embedder=embedder).fit(CODED.assign(code="work"), book)
    assert suggester.mode_ == "trained" and suggester.classes_ == ["work"]
    out = suggester.suggest(NEW)
    assert out["code"].tolist() == ["work"] * 3 and np.allclose(out["score"], 1.0)
    suggester.save(tmp_path / "model")
    loaded = CodeSuggester.load(tmp_path / "model", book, embedder=embedder)
    pd.testing.assert_frame_equal(loaded.predict_proba(NEW), suggester.predict_proba(NEW))


def test_hidden_layers_join_the_features_and_survive_saving(exclusive_book, embedder, tmp_path):
    with_layers = CodeSuggester(embedder=embedder).fit(CODED, exclusive_book)
    sentence_only = CodeSuggester(embedder=embedder, hidden_layers=()).fit(CODED, exclusive_book)
    assert with_layers.hidden_layers_ == (-2, -3, -4) and sentence_only.hidden_layers_ == ()
    assert with_layers.coef_.shape[1] > sentence_only.coef_.shape[1]
    assert not np.allclose(with_layers.predict_proba(NEW), sentence_only.predict_proba(NEW))

    with_layers.save(tmp_path / "model")
    config = json.loads((tmp_path / "model" / "config.json").read_text())
    assert config["format_version"] == 2 and config["hidden_layers"] == [-2, -3, -4]
    loaded = CodeSuggester.load(tmp_path / "model", exclusive_book, embedder=embedder)
    pd.testing.assert_frame_equal(loaded.predict_proba(NEW), with_layers.predict_proba(NEW))


def test_a_suggester_saved_in_format_1_still_loads(exclusive_book, embedder, tmp_path):
    """Format 1 had no hidden layers: such a suggester is the sentence-embedding-only head."""
    fitted = CodeSuggester(embedder=embedder, hidden_layers=()).fit(CODED, exclusive_book)
    fitted.save(tmp_path / "old")
    config_file = tmp_path / "old" / "config.json"
    config = json.loads(config_file.read_text())
    config["format_version"] = 1
    del config["hidden_layers"], config["params"]["hidden_layers"], config["manifest"]
    config_file.write_text(json.dumps(config))
    (tmp_path / "old" / "manifest.json").unlink()  # written since format 2
    loaded = CodeSuggester.load(tmp_path / "old", exclusive_book, embedder=embedder)
    assert loaded.hidden_layers_ == ()
    pd.testing.assert_frame_equal(loaded.predict_proba(NEW), fitted.predict_proba(NEW))


def test_an_embedder_without_hidden_layers_uses_the_sentence_embedding(exclusive_book, embedder):
    class SentenceOnly:
        model_id = embedder.model_id

        def encode(self, texts, show_progress=False):
            return embedder.encode(texts)

    plain = CodeSuggester(embedder=SentenceOnly()).fit(CODED, exclusive_book)
    reference = CodeSuggester(embedder=embedder, hidden_layers=()).fit(CODED, exclusive_book)
    assert plain.hidden_layers_ == ()
    pd.testing.assert_frame_equal(plain.predict_proba(NEW), reference.predict_proba(NEW))


@pytest.mark.parametrize("layers", [("last",), (1.5,), (True,)])
def test_hidden_layers_must_be_layer_numbers(exclusive_book, embedder, layers):
    with pytest.raises(InputError, match="hidden_layers must be layer numbers"):
        CodeSuggester(embedder=embedder, hidden_layers=layers).fit(CODED, exclusive_book)


def test_segments_go_through_the_model_once_for_both_representations(exclusive_book, monkeypatch):
    from theme_assist.embed import Embedder

    embedder = Embedder(cache_dir="")  # no cache: every request reaches the model
    seen = []
    forward = Embedder._forward

    def counting(self, texts, layers, show_progress, keep=None):
        seen.extend(texts)
        return forward(self, texts, layers, show_progress, keep)

    monkeypatch.setattr(Embedder, "_forward", counting)
    CodeSuggester(embedder=embedder).fit(CODED, exclusive_book)
    assert all(seen.count(text) == 1 for text in CODED["text"])
    assert all(seen.count(text) == 1 for _, text in anchor_texts(exclusive_book))
    seen.clear()
    CodeSuggester(embedder=embedder).fit(CODED, exclusive_book).predict_proba(NEW)
    assert all(seen.count(text) == 1 for text in NEW["text"])


class _CountingList(list):
    """A list that counts how often it is walked through."""

    walks = 0

    def __iter__(self):
        type(self).walks += 1
        return super().__iter__()


def _brute_force_evidence(suggester, vector, code, exclude, text):
    rows = [j for j, labels in enumerate(suggester.evidence_labels_)
            if code in labels and suggester.evidence_ids_[j] != exclude and suggester.evidence_texts_[j] != text]
    similarity = suggester.evidence_vectors_[rows] @ vector
    best = np.argsort(-similarity, kind="stable")[: suggester.n_evidence]
    return [(suggester.evidence_ids_[rows[b]], round(float(similarity[b]), 4)) for b in best]


def test_evidence_does_not_walk_every_coded_quote_for_every_suggestion(exclusive_book, embedder):
    """Each suggestion scanned the labels of every coded quote in Python: (segments × top-k × coded quotes), hours
    for a large batch after a large coding. The quotes are gathered per code once, with the same result."""
    coded = pd.concat([CODED, CODED.assign(segment_id=CODED["segment_id"] + "b", document="d9")],
                      ignore_index=True)  # every text twice: ties in similarity, and quotes of the segment's text
    suggester = CodeSuggester(embedder=embedder, top_k=3, threshold=0.0).fit(coded, exclusive_book)
    new = pd.concat([NEW, coded.drop(columns="code")], ignore_index=True)
    _CountingList.walks = 0
    suggester.evidence_labels_ = _CountingList(suggester.evidence_labels_)
    suggestions = suggester.suggest(new)
    assert _CountingList.walks == 0
    vectors = dict(zip(new["segment_id"], embedder.encode(new["text"].tolist())))
    texts = dict(zip(new["segment_id"], new["text"]))
    for row in suggestions.itertuples(index=False):
        expected = _brute_force_evidence(suggester, vectors[row.segment_id], row.code, row.segment_id,
                                         texts[row.segment_id])
        assert [(e["segment_id"], e["similarity"]) for e in row.evidence] == expected


def test_evidence_leaves_out_the_segments_own_text_whatever_the_batchs_index(exclusive_book, embedder):
    """The text a suggestion's quotes must not repeat is read once per batch, by position: a batch with a
    shuffled, repeated index gets the suggestions and quotes of the same batch indexed 0, 1, …"""
    coded = pd.concat([CODED, CODED.assign(segment_id=CODED["segment_id"] + "b", document="d9")],
                      ignore_index=True)
    suggester = CodeSuggester(embedder=embedder, top_k=3, threshold=0.0).fit(coded, exclusive_book)
    new = pd.concat([NEW, coded.drop(columns="code").assign(segment_id=lambda f: f["segment_id"] + "c")],
                    ignore_index=True)
    plain = suggester.suggest(new)
    shuffled = suggester.suggest(new.set_axis([7, 3] * (len(new) // 2) + [7] * (len(new) % 2)))
    pd.testing.assert_frame_equal(shuffled, plain)
    texts = dict(zip(new["segment_id"], new["text"]))
    quoted = [e for row in plain.itertuples(index=False) for e in row.evidence]
    assert quoted and all(e["text"] != texts[row.segment_id] for row in plain.itertuples(index=False)
                          for e in row.evidence)


def test_scores_are_built_block_by_block_with_the_same_result(fitted, monkeypatch):
    """The features of a whole batch took gigabytes at tens of thousands of segments: they are built a block of
    rows at a time, and each segment's scores do not depend on the block it falls in."""
    import theme_assist.suggest as suggest_module

    segments = pd.concat([CODED.drop(columns="code"), NEW], ignore_index=True)
    whole = fitted.predict_proba(segments)
    sizes = []
    transform = fitted.features_.transform
    monkeypatch.setattr(fitted.features_, "transform",
                        lambda texts, *rest: sizes.append(len(texts)) or transform(texts, *rest))
    monkeypatch.setattr(suggest_module, "SCORING_ROWS", 4)
    blocks = fitted.predict_proba(segments)
    assert sizes == [4, 4, 4, 3]
    np.testing.assert_array_equal(blocks.to_numpy(), whole.to_numpy())


def test_a_batchs_representations_are_made_block_by_block_with_the_same_suggestions(fitted, monkeypatch):
    """The sentence embeddings and hidden layers side by side took a copy of a whole batch's representations (600 MB
    at 100,000 segments) beside them: they are made a block of rows at a time, with the same suggestions."""
    import theme_assist.suggest as suggest_module
    from theme_assist.embed import RepresentedRows

    segments = pd.concat([CODED.drop(columns="code"), NEW], ignore_index=True)
    vectors, represented, _ = fitted._embed_segments(segments)
    assert isinstance(represented, RepresentedRows) and represented.dtype == np.float32
    whole = represented[:]
    assert whole.shape == represented.shape and whole.dtype == np.float32
    np.testing.assert_array_equal(represented[3:7], whole[3:7])
    np.testing.assert_array_equal(represented[np.array([5, 0, 5])], whole[[5, 0, 5]])
    blocks = fitted.suggest(segments)
    embed = suggest_module.embed_with_layers
    monkeypatch.setattr(suggest_module, "embed_with_layers",
                        lambda *args, by_rows=False: embed(*args))  # the whole batch's array, as before
    monkeypatch.setattr(suggest_module, "SCORING_ROWS", 4)
    pd.testing.assert_frame_equal(fitted.suggest(segments), blocks)


def test_dense_features_become_the_same_sparse_matrix():
    from scipy import sparse

    from theme_assist.features import dense_to_csr

    dense = np.random.default_rng(0).normal(size=(7, 5)).astype(np.float32)
    dense[dense < 0.2] = 0.0
    dense[3] = 0.0
    built, expected = dense_to_csr(dense), sparse.csr_matrix(dense)
    for part in ("data", "indices", "indptr"):
        np.testing.assert_array_equal(getattr(built, part), getattr(expected, part))
    assert built.shape == expected.shape and dense_to_csr(np.zeros((0, 5), np.float32)).shape == (0, 5)


def test_several_coders_codes_on_one_segment_of_an_exclusive_codebook_name_the_coders(exclusive_book):
    """A double-coded .qdpx import's codings.csv (a coder column) as training data: the refusal says the codes
    are two coders' and what to do (it named only the codes, as if one coder had given both)."""
    from theme_assist.suggest import codes_per_segment

    coders = CODED.assign(coder="ana")
    doubled = pd.concat([coders, coders.iloc[[0]].assign(code="family", coder="bo")])
    with pytest.raises(InputError, match=r"segment 's0' has 2 codes: family, work, of 2 coders \(ana, bo\): an "
                                         r"exclusive codebook learns one code per segment, so learn from one "
                                         r"coder's rows \(--coder NAME\)"):
        codes_per_segment(doubled, exclusive_book)
    with pytest.raises(InputError, match=r"segment 's0' has 2 codes: family, work$"):  # one coder's two codes
        codes_per_segment(pd.concat([coders, coders.iloc[[0]].assign(code="family")]), exclusive_book)


def test_features_with_tfidf_are_the_sparse_stack_of_the_blocks_built_block_by_block(monkeypatch):
    """The sparse features are built a block of rows at a time into arrays of their final size (the whole dense
    block and the copies of stacking it took gigabytes at 20,000 coded segments): the same matrix, exactly."""
    from scipy import sparse

    import theme_assist.features as features
    from theme_assist.features import FeatureBuilder, dense_to_csr

    rng = np.random.default_rng(0)
    texts = [" ".join(rng.choice(["so", "you", "feel", "?", "work", "family", "no"], size=5)) for _ in range(11)]
    embeddings = rng.normal(size=(11, 6)).astype(np.float32)
    embeddings[embeddings < -0.5] = 0.0
    context = [np.vstack([np.zeros((1, 6), np.float32), embeddings[:-1]]),
               np.vstack([embeddings[1:], np.zeros((1, 6), np.float32)])]
    builder = FeatureBuilder(context_weight=0.5, tfidf_weight=0.7, min_df=1)
    builder.fit_transform(texts, embeddings, context)
    dense = np.hstack([embeddings] + [0.5 * block for block in context])
    expected = sparse.hstack([dense_to_csr(dense), 0.7 * builder.tfidf_.transform(texts)], format="csr")
    for rows in (2048, 4, 1):
        monkeypatch.setattr(features, "FEATURE_ROWS", rows)
        built = builder.transform(texts, embeddings, context)
        assert built.shape == expected.shape and built.dtype == expected.dtype == np.float32
        for part in ("data", "indices", "indptr"):
            np.testing.assert_array_equal(getattr(built, part), getattr(expected, part))
            assert getattr(built, part).dtype == getattr(expected, part).dtype


def test_sparse_features_take_little_more_memory_than_themselves(monkeypatch):
    """Building the features of many segments needs not much more than the result: not the dense matrix of all
    rows, its sparse copy and stacking's copies besides (several times the result)."""
    import tracemalloc

    import theme_assist.features as features
    from theme_assist.features import FeatureBuilder

    monkeypatch.setattr(features, "FEATURE_ROWS", 256)
    rng = np.random.default_rng(0)
    texts = [f"text {i % 50} about work and family?" for i in range(6000)]
    embeddings = rng.normal(size=(6000, 128)).astype(np.float32)
    context = [rng.normal(size=(6000, 128)).astype(np.float32) for _ in range(2)]
    builder = FeatureBuilder()
    builder.fit_transform(texts[:100], embeddings[:100], [block[:100] for block in context])
    tracemalloc.start()
    try:
        built = builder.transform(texts, embeddings, context)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    result = built.data.nbytes + built.indices.nbytes + built.indptr.nbytes
    assert peak < 1.3 * result


@pytest.mark.parametrize("exclusive", [True, False])
def test_a_fitted_head_leaves_nothing_holding_its_training_matrix(fitted, exclusive, monkeypatch):
    """scipy's optimiser keeps the matrix a head was fitted on in a reference cycle until the garbage collector
    runs: each calibration fold's copy of the training rows stayed in memory, a fold after another."""
    import gc
    import weakref

    from scipy import sparse

    import theme_assist.suggest as suggest_module

    monkeypatch.setattr(fitted, "exclusive_", exclusive)
    X = sparse.random(60, 40, density=0.3, format="csr", dtype=np.float32, random_state=0)
    monkeypatch.setattr(suggest_module, "COLLECT_AFTER_FIT_BYTES", suggest_module._matrix_bytes(X))  # one this big
    held = weakref.ref(X)
    labels = [[fitted.classes_[i % len(fitted.classes_)]] for i in range(60)]
    gc.disable()
    try:
        fitted._fit_head(X, labels, np.ones(60))
        del X
        assert held() is None
    finally:
        gc.enable()


@pytest.mark.parametrize("dense", [False, True])
def test_a_head_fitted_on_a_small_matrix_runs_no_full_collection(fitted, monkeypatch, dense):
    """Every head fit ran a full garbage collection, which walks every object torch and pandas made (0.4-1 s): a
    third of a demo's fits; it is there for the copies of large matrices only."""
    import gc

    from scipy import sparse

    import theme_assist.suggest as suggest_module

    X = sparse.random(60, 40, density=0.3, format="csr", dtype=np.float32, random_state=0)
    X = X.toarray() if dense else X
    assert suggest_module._matrix_bytes(X) == (X.nbytes if dense else X.data.nbytes + X.indices.nbytes
                                               + X.indptr.nbytes)
    collections = []
    monkeypatch.setattr(gc, "collect", lambda *args: collections.append(args))
    labels = [[fitted.classes_[i % len(fitted.classes_)]] for i in range(60)]
    fitted._fit_head(X, labels, np.ones(60))
    assert collections == []
    monkeypatch.setattr(suggest_module, "COLLECT_AFTER_FIT_BYTES", suggest_module._matrix_bytes(X))
    fitted._fit_head(X, labels, np.ones(60))
    assert collections == [()]


def test_the_head_is_fitted_without_the_representations_its_features_were_built_from(exclusive_book, embedder,
                                                                                    monkeypatch):
    """The segments' representations and their copies for the features took hundreds of MB beside the feature
    matrix at 20,000 coded segments, through every fit of the head: they are gone once the features are built."""
    import weakref

    import theme_assist.suggest as suggest_module
    from theme_assist.features import FeatureBuilder

    made, alive_at_fit = [], []
    embed = suggest_module.embed_with_layers
    fit_transform = FeatureBuilder.fit_transform
    fit_head = CodeSuggester._fit_head

    def embedded(*args, **kwargs):
        arrays = embed(*args, **kwargs)
        made.extend(weakref.ref(array) for array in arrays)
        return arrays

    def features(self, texts, represented, context):
        made.extend(weakref.ref(array) for array in [represented, *context])
        return fit_transform(self, texts, represented, context)

    def head(self, *args):
        alive_at_fit.append(sum(ref() is not None for ref in made))
        return fit_head(self, *args)

    monkeypatch.setattr(suggest_module, "embed_with_layers", embedded)
    monkeypatch.setattr(FeatureBuilder, "fit_transform", features)
    monkeypatch.setattr(CodeSuggester, "_fit_head", head)
    CodeSuggester(embedder=embedder, calibrate=False).fit(CODED, exclusive_book)
    # the codebook's anchors' embeddings (two arrays, a few rows) are all that is left
    assert alive_at_fit == [2]


DEMO = Path(__file__).resolve().parents[1] / "corpora" / "demo"


@pytest.fixture(scope="module")
def ulm_turns():
    """The demo's two Ulm transcripts as the reference codes them, one row per turn."""
    coded = pd.read_csv(DEMO / "reference_coding.csv")
    coded = coded[coded["document"].isin(["fg_ulm_01", "iv_ulm_01"])].reset_index(drop=True)
    return coded.assign(segment_id=coded["document"] + ":" + coded["turn"].astype(str))


@pytest.mark.parametrize("coded_id", ["fg_ulm_01:3", "iv_ulm_01:12"])
def test_one_coded_segment_does_not_make_its_code_the_best_of_every_turn(ulm_turns, upsides_codebook, embedder,
                                                                          coded_id):
    """Anchor texts had zero rows for context, every coded segment (a turn, with neighbours) had some: beside one
    coded segment the head learnt "has neighbours" as its code, the best code of 21 of 82 turns (6 from the
    codebook alone)."""
    segments = ulm_turns[["segment_id", "document", "speaker", "text"]]
    code = ulm_turns.set_index("segment_id").at[coded_id, "code"]
    coded = segments.assign(code=np.where(segments["segment_id"] == coded_id, code, ""))

    def times_best(suggester):
        scores = suggester.predict_proba(segments)
        return int((scores.idxmax(axis=1) == code).sum())

    alone = times_best(CodeSuggester(embedder=embedder).fit(None, upsides_codebook))
    assert times_best(CodeSuggester(embedder=embedder).fit(coded, upsides_codebook)) <= alone + 3


def test_twenty_segments_of_one_code_do_not_make_it_the_best_of_every_turn(ulm_turns, upsides_codebook, embedder):
    """Anchor texts took the segments' mean neighbour as context only beside fewer than 20 coded segments: at 20,
    all of one code, the other codes were again learnt from anchors alone with zero rows, and the coded code became
    the best of 79 of 82 turns, where 19 coded segments gave 36 (the reference codes it on 25, the codebook alone
    suggests it for 9; on the whole demo 513 of 537 turns against 119)."""
    segments = ulm_turns[["segment_id", "document", "speaker", "text"]]
    code = "other"
    ids = ulm_turns["segment_id"][ulm_turns["code"] == code].iloc[:20]
    assert ulm_turns.set_index("segment_id").loc[ids, "document"].nunique() == 2

    def times_best(n_coded):
        coded = segments.assign(code=np.where(segments["segment_id"].isin(ids[:n_coded]), code, ""))
        scores = CodeSuggester(embedder=embedder).fit(coded, upsides_codebook).predict_proba(segments)
        return int((scores.idxmax(axis=1) == code).sum())

    twenty = times_best(20)
    assert twenty <= times_best(19) + 5
    assert twenty < len(segments) / 2


def test_the_sharpening_sample_is_made_only_where_it_can_be_used(exclusive_book, embedder, monkeypatch):
    """A sample of the segments (38 MB at dim 1536) was made at every fit and kept through every calibration fold;
    only an exclusive codebook's head, with calibration on, can be sharpened with it."""
    import theme_assist.suggest as suggest_module

    def refuse(*args):
        raise AssertionError("sample made")

    monkeypatch.setattr(suggest_module, "_spread", refuse)
    CodeSuggester(embedder=embedder, calibrate=False).fit(CODED, exclusive_book)


def test_a_coded_parent_code_sharpens_to_the_codebook_alones_level(ulm_turns, upsides_codebook, embedder):
    """The sharpening target was computed over ``classes_``, a coded parent code among the leaves, where the
    codebook alone compares segments with its leaf codes only: the head was made less sure than the codebook."""
    segments = ulm_turns[["segment_id", "document", "speaker", "text"]]
    parent = next(code.id for code in upsides_codebook.all_codes if code.children)
    coded = segments.assign(code=np.where(segments["segment_id"] == "fg_ulm_01:3", parent, ""))
    suggester = CodeSuggester(embedder=embedder).fit(coded, upsides_codebook)
    alone = CodeSuggester(embedder=embedder).fit(None, upsides_codebook).predict_proba(segments)
    assert parent in suggester.classes_
    assert suggester.predict_proba(segments).max(axis=1).mean() == pytest.approx(alone.max(axis=1).mean(), abs=1e-3)


@pytest.mark.parametrize("column", ["position", "start", "turn", "segment_id"])
def test_neighbours_follow_reading_order_not_row_order(column):
    """A spreadsheet sorted by code put a document's segments of one code side by side, so each segment's
    neighbours told its code (a team's evaluate read κ 0.784 for 0.726 in reading order)."""
    from theme_assist.features import neighbour_index

    place = [("a", 2), ("b", 1), ("a", 0), ("b", 0), ("a", 3), ("a", 1)]  # rows out of reading order
    table = pd.DataFrame({"document": [d for d, _ in place], "position": [n for _, n in place]})
    table["start"], table["turn"] = table["position"] * 10, table["position"]
    table["segment_id"] = table["document"] + ":" + table["position"].astype(str)
    row_of = {where: row for row, where in enumerate(place)}
    previous, following = neighbour_index(table[["document", column]])
    assert previous.tolist() == [row_of.get((d, n - 1), -1) for d, n in place]
    assert following.tolist() == [row_of.get((d, n + 1), -1) for d, n in place]


def test_neighbours_without_a_position_are_the_rows_of_their_document_as_given():
    from theme_assist.features import neighbour_index

    interleaved = pd.DataFrame({"document": ["a", "b", "a", "b", "a"], "segment_id": ["x", "y", "z", "w", "v"]})
    previous, following = neighbour_index(interleaved)
    assert previous.tolist() == [-1, -1, 0, 1, 2] and following.tolist() == [2, 3, 4, -1, -1]


def test_an_order_column_filled_for_some_documents_orders_those_and_the_others_are_read_as_given(tmp_path, caplog):
    """A ``turn`` column filled for some documents only was ignored for the whole table: every document was read in
    its rows' order. It orders each document whose rows it all numbers (another column or DOCUMENT:N ids where it
    does not), the others' rows are read as given, and reading the table says how many once."""
    from theme_assist.features import neighbour_index
    from theme_assist.inputs import read_coded

    table = pd.DataFrame({"document": ["a", "a", "a", "b", "b", "b", "c", "c"],
                          "turn": [2, 0, 1, None, 5, 4, None, None], "position": [None] * 6 + [1, 0],
                          "segment_id": ["x", "y", "z", "b:0", "w", "b:1", "v", "u"]})
    previous, following = neighbour_index(table)
    assert previous.tolist() == [2, -1, 1, -1, 3, 4, 7, -1]  # a: rows 1, 2, 0; b: as given; c: rows 7, 6
    assert following.tolist() == [-1, 2, 0, 4, 5, -1, -1, 6]
    previous, _ = neighbour_index(table.drop(columns="position"))
    assert previous.tolist() == [2, -1, 1, -1, 3, 4, -1, 6]
    previous, _ = neighbour_index(table.assign(segment_id=["b:0", "w", "b:1", "a:0", "a:1", "a:2", "v", "u"]))
    assert previous.tolist()[3:6] == [-1, 3, 4]  # ids of another document say nothing

    table.assign(code="c1", text=[f"text {i}" for i in range(8)]).to_csv(tmp_path / "coded.csv", index=False)
    read_coded(tmp_path / "coded.csv")
    (said,) = [record.getMessage() for record in caplog.records if "order of their rows" in record.getMessage()]
    assert "says where the rows stand in 2 of 3 documents; the other 1 are read in the order of their rows" in said
    caplog.clear()
    table.dropna(subset="turn").assign(code="c1", text="t").to_csv(tmp_path / "coded.csv", index=False)
    read_coded(tmp_path / "coded.csv")
    assert "order of their rows" not in caplog.text


def test_a_document_read_as_given_beside_documents_with_turns_is_warned_of_if_sorted_by_code(tmp_path, caplog):
    """The warning of rows sorted by code looks at the documents whose order the table does not say."""
    from theme_assist.inputs import read_coded

    codes = ["c1"] * 4 + ["c2"] * 3 + ["c3"] * 3 + ["c1", "c3", "c2"]
    rows = pd.DataFrame({"document": ["a"] * 10 + ["b"] * 3, "code": codes, "text": [f"text {i}" for i in range(13)],
                         "turn": [None] * 10 + [0, 1, 2]})
    rows.to_csv(tmp_path / "coded.csv", index=False)
    read_coded(tmp_path / "coded.csv")
    assert "each document's rows are sorted by code" in caplog.text


def test_reading_a_coded_table_finds_where_its_rows_stand_once(tmp_path, caplog, monkeypatch):
    """Both checks of a coded table's order (rows sorted by code, documents read as given) read where its rows stand:
    each worked it out again."""
    import theme_assist.features as features
    from theme_assist.inputs import read_coded

    calls, position_in_document = [], features.position_in_document
    monkeypatch.setattr(features, "position_in_document", lambda table: calls.append(1) or position_in_document(table))
    codes = ["c1"] * 4 + ["c2"] * 3 + ["c3"] * 3 + ["c1", "c3", "c2"]
    pd.DataFrame({"document": ["a"] * 10 + ["b"] * 3, "code": codes, "text": [f"text {i}" for i in range(13)],
                  "turn": [None] * 10 + [0, 1, 2]}).to_csv(tmp_path / "coded.csv", index=False)
    read_coded(tmp_path / "coded.csv")
    assert "each document's rows are sorted by code" in caplog.text
    assert "says where the rows stand in 1 of 2 documents; the other 1 are read in the order" in caplog.text
    assert len(calls) == 1


def test_a_coded_table_sorted_by_code_without_a_position_is_warned_of(tmp_path, caplog):
    from theme_assist.inputs import read_coded

    codes = ["c1"] * 3 + ["c2"] * 3 + ["c3"] * 2 + ["c1", "c2", "c2"]
    rows = pd.DataFrame({"document": ["a"] * 8 + ["b"] * 3, "code": codes, "text": [f"text {i}" for i in range(11)]})
    for name, table, warned in [("sorted", rows, True), ("descending", rows.iloc[::-1], True),
                                ("reading order", rows.iloc[[1, 0, 3, 2, 4, 6, 5, 7, 8, 10, 9]], False),
                                ("sorted, with turns", rows.assign(turn=[3, 0, 1, 2, 7, 5, 4, 6, 2, 0, 1]), False),
                                ("too few rows to tell", rows.iloc[[0, 3, 6]], False)]:
        table.to_csv(tmp_path / "coded.csv", index=False)
        caplog.clear()
        read_coded(tmp_path / "coded.csv")
        assert ("each document's rows are sorted by code" in caplog.text) == warned, name


def test_a_coded_tables_order_column_is_read_whatever_its_case(tmp_path, caplog):
    """A spreadsheet's ``Turn`` column was left unread: neighbours followed the rows sorted by code, and the warning
    advised adding the turn column the table had."""
    from theme_assist.features import neighbour_index
    from theme_assist.inputs import read_coded

    pd.DataFrame({"document": ["a"] * 4, "code": ["c1", "c1", "c2", "c3"], "text": [f"text {i}" for i in range(4)],
                  "Turn": [3, 0, 1, 2]}).to_csv(tmp_path / "coded.csv", index=False)
    coded = read_coded(tmp_path / "coded.csv")
    previous, following = neighbour_index(coded)
    assert previous.tolist() == [3, -1, 1, 2] and following.tolist() == [-1, 2, 3, 0]
    assert "sorted by code" not in caplog.text


@pytest.mark.parametrize("codes", [["apple", "apple", "Banana", "cherry"], ["2", "9", "10", "10"],
                                   ["cherry", "Banana", "apple", "apple"]])
def test_a_coded_table_sorted_by_code_in_a_spreadsheet_is_warned_of(tmp_path, caplog, codes):
    """A spreadsheet sorts apart from case and numbers by value: its sort by code was not recognised."""
    from theme_assist.inputs import read_coded

    pd.DataFrame({"document": "a", "code": [c for c in codes for _ in range(3)],
                  "text": [f"text {i}" for i in range(12)]}).to_csv(tmp_path / "coded.csv", index=False)
    read_coded(tmp_path / "coded.csv")
    assert "each document's rows are sorted by code" in caplog.text


def test_segments_that_share_a_turn_follow_their_ids_within_it():
    """Sentences of one turn share its number: a table sorted by code kept them in code order, so a sentence's
    neighbour within its turn was the one of its code."""
    from theme_assist.features import neighbour_index

    table = pd.DataFrame({"document": ["a"] * 4, "turn": [0, 1, 0, 1], "segment_id": ["a:1", "a:2", "a:0", "a:3"]})
    previous, following = neighbour_index(table)  # reading order: rows 2, 0, 1, 3
    assert previous.tolist() == [2, 0, -1, 1] and following.tolist() == [1, 3, 0, -1]
    previous, following = neighbour_index(table.assign(segment_id=["x", "y", "z", "w"]))  # ties: as given
    assert previous.tolist() == [-1, 2, 0, 1] and following.tolist() == [2, 3, 1, -1]


def test_fitting_leaves_the_embedder_parameter_as_it_was_set(exclusive_book):
    suggester = CodeSuggester(top_k=2).fit(CODED, exclusive_book)
    assert suggester.embedder is None and suggester.get_params()["embedder"] is None
    assert len(suggester.suggest(NEW))


def test_results_before_fitting_raise_scikit_learns_not_fitted_error(embedder):
    from sklearn.exceptions import NotFittedError

    for call in (lambda s: s.predict_proba(NEW), lambda s: s.suggest(NEW), lambda s: s.save("unused")):
        with pytest.raises(NotFittedError, match="not fitted yet: call fit"):
            call(CodeSuggester(embedder=embedder))
        with pytest.raises(InputError):  # one line on the command line
            call(CodeSuggester(embedder=embedder))


def test_tables_without_their_columns_are_refused_naming_them(exclusive_book, fitted):
    with pytest.raises(InputError, match=r"coded segments need a 'code' column \(columns: segment_id, document, "
                                         r"text\)"):
        CodeSuggester().fit(CODED.drop(columns="code"), exclusive_book)
    with pytest.raises(InputError, match="coded segments need a 'text' column"):
        CodeSuggester().fit(CODED.drop(columns="text"), exclusive_book)
    with pytest.raises(InputError, match="coded segments must be a DataFrame with columns 'text', 'code', not list"):
        CodeSuggester().fit(CODED.to_dict("records"), exclusive_book)
    for call in (fitted.suggest, fitted.predict_proba):
        with pytest.raises(InputError, match="segments must be a DataFrame with a 'text' column, not list"):
            call(NEW["text"].tolist())
        with pytest.raises(InputError, match="segments need a 'text' column"):
            call(NEW.rename(columns={"text": "utterance"}))


def test_a_custom_embedders_scale_changes_no_score(exclusive_book, embedder):
    class Scaled:  # an embedder whose vectors are not of unit length, given as lists
        model_id = "scaled"

        def __init__(self, factor):
            self.factor = factor

        def encode(self, texts):
            return (self.factor * embedder.encode(texts)).tolist()

    for coded in (None, CODED):
        unit, scaled = (CodeSuggester(embedder=Scaled(factor)).fit(coded, exclusive_book) for factor in (1.0, 7.0))
        pd.testing.assert_frame_equal(scaled.predict_proba(NEW), unit.predict_proba(NEW), atol=1e-4)
        evidence = scaled.suggest(NEW)["evidence"].iloc[0]
        assert evidence and all(-1.0 <= quote["similarity"] <= 1.0 for quote in evidence)
