"""Outputs never overwrite inputs: every command checks its output paths before any work
(:func:`theme_assist.inputs.check_outputs`), so a slip of the keyboard loses nothing."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from theme_assist.cli import main
from theme_assist.codebook import packaged_codebook
from theme_assist.errors import InputError
from theme_assist.inputs import check_outputs, write_table
from theme_assist.project import ProjectStore
from theme_assist.project.testing import make_project
from theme_assist.refi.folder import PROJECT_JSON


def run(capsys, *args):
    with pytest.raises(SystemExit) as exit_info:
        main([str(a) for a in args])
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) <= 1 and "Traceback" not in err, err
    return exit_info.value.code, err


def test_an_output_that_is_an_input_or_another_output_or_a_folder_is_refused(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("x\n")
    with pytest.raises(InputError, match="--out .* would overwrite --input"):
        check_outputs({"--out": tmp_path / "." / "in.csv"}, {"--input": source})
    with pytest.raises(InputError, match="--b and --a are the same file"):
        check_outputs({"--a": tmp_path / "o.csv", "--b": tmp_path / "o.csv"}, {})
    with pytest.raises(InputError, match="is a folder"):
        check_outputs({"--out": tmp_path}, {})
    with pytest.raises(InputError, match="is a folder holding the archive"):  # a folder output holding an input
        check_outputs({"--out": tmp_path}, {"the archive": source}, folders=("--out",))
    check_outputs({"--out": tmp_path / "new" / "deeper" / "o.csv"}, {"--input": source})
    assert not (tmp_path / "new").exists()  # made where the output is written: a run refused later leaves none
    with pytest.raises(InputError, match="--out .*: cannot create its folder .*in.csv is a file, not a folder"):
        check_outputs({"--out": source / "deeper" / "o.csv"}, {})


def test_a_run_refused_after_its_outputs_are_checked_leaves_no_folder_and_one_that_runs_makes_them(tmp_path,
                                                                                                     capsys):
    """``merge notcsv.txt --out new/sub/o.csv`` and ``import-qdpx missing.qdpx --out new/deep/out`` left the empty
    folders of their outputs behind: :func:`check_outputs` made them before the inputs were read."""
    project = tmp_path / "study.taproj"
    make_project(project).close()
    (tmp_path / "notcsv.txt").write_text("not a table\n")
    segments = tmp_path / "segments.csv"
    pd.DataFrame({"segment_id": ["s1"], "text": ["We listen to each other."]}).to_csv(segments, index=False)
    new = tmp_path / "new"
    for args in (["merge", tmp_path / "notcsv.txt", "--out", new / "sub" / "o.csv"],
                 ["import-qdpx", tmp_path / "missing.qdpx", "--out", new / "deep" / "out"],
                 ["export-qdpx", "--codebook", tmp_path / "missing.yaml", "--out", new / "deep" / "o.qdc"],
                 ["suggest", "--codebook", tmp_path / "missing.yaml", "--input", segments, "--out", new / "o.csv"],
                 ["project", "export", project, "--codebook", new / "cb.yaml", "--codebook-version", "99"]):
        code, err = run(capsys, *args)
        assert code == 2 and "error" in err, args
        assert not new.exists(), args
    deep = new / "a" / "b"
    for args in (["project", "export", project, "--codings", deep / "c.csv", "--codebook", deep / "cb.yaml",
                  "--qdpx", deep / "p.qdpx", "--audit", deep / "audit.csv"],
                 ["project", "backup", project, deep / "copy" / "k.taproj"],
                 ["import-qdpx", deep / "p.qdpx", "--out", deep / "imported" / "here"],
                 ["export-qdpx", "--project", deep / "imported" / "here", "--out", deep / "again" / "p.qdpx"],
                 ["suggest", "--codebook", packaged_codebook("upsides"), "--input", segments,
                  "--out", deep / "suggest" / "o.csv"],
                 ["merge", deep / "suggest" / "o.csv", "--out", deep / "merged" / "o.csv"],
                 ["project", "init", deep / "init" / "s.taproj", "--codebook", packaged_codebook("upsides"), "--input",
                  segments]):
        with pytest.raises(SystemExit) as exit_info:
            main([str(a) for a in args])
        assert exit_info.value.code == 0, (args, capsys.readouterr().err)
    for path in ("c.csv", "cb.yaml", "p.qdpx", "audit.csv", "copy/k.taproj", "imported/here/" + PROJECT_JSON,
                 "again/p.qdpx", "suggest/o.csv", "merged/o.csv", "init/s.taproj"):
        assert (deep / path).is_file(), path


@pytest.mark.parametrize("command", ["discover", "discover --codebook-out", "suggest --save-model", "evaluate", "demo"])
def test_an_output_whose_write_fails_after_the_work_leaves_no_folder(tmp_path, capsys, monkeypatch, command):
    """``discover``, ``suggest --save-model``, ``evaluate`` and ``demo`` made their outputs' folders after the work,
    before writing, and left them empty when the write failed (a full disk): the writers make them, and remove those
    they made if the write fails, as for every other output."""
    import shutil
    import tempfile

    from tests.test_suggest import CODEBOOK, CODED
    from theme_assist.demo import DEMO_CORPUS

    new = tmp_path / "new"
    for name in ("mkstemp", "mkdtemp"):
        def full(*args, made=getattr(tempfile, name), **kwargs):  # a full disk, in the new folders only
            if Path(kwargs.get("dir", "")).resolve().is_relative_to(new.resolve()):
                raise OSError(28, "No space left on device", str(kwargs["dir"]))
            return made(*args, **kwargs)
        monkeypatch.setattr(tempfile, name, full)
    book = tmp_path / "cb.yaml"
    book.write_text(CODEBOOK.format(exclusive="true"), encoding="utf-8")
    coded = tmp_path / "coded.csv"
    pd.concat([CODED.assign(document=CODED["document"] + f"-{copy}", segment_id=CODED["segment_id"] + f"-{copy}")
               for copy in range(3)]).to_csv(coded, index=False)
    corpus = tmp_path / "corpus"
    (corpus / "transcripts").mkdir(parents=True)
    documents = ["fg_ulm_01", "fg_hamburg_01"]
    for document in documents:
        shutil.copy(DEMO_CORPUS / "transcripts" / f"{document}.txt", corpus / "transcripts")
    for table in ("metadata.csv", "reference_coding.csv"):
        rows = pd.read_csv(DEMO_CORPUS / table, dtype=str, keep_default_na=False)
        rows[rows["document"].isin(documents)].to_csv(corpus / table, index=False)
    args = {"discover": ["discover", "--input", coded, "--out", new / "deep" / "t.json", "--resamples", 0],
            "discover --codebook-out": ["discover", "--input", coded, "--codebook", book, "--out", tmp_path / "t.json",
                                        "--codebook-out", new / "deep" / "cb.yaml", "--resamples", 0],
            "suggest --save-model": ["suggest", "--codebook", book, "--train", coded, "--input", coded,
                                     "--out", tmp_path / "o.csv", "--save-model", new / "deep" / "model"],
            # two folds and one size: the work before the write is what matters here, not how much of it
            "evaluate": ["evaluate", "--corpus", coded, "--codebook", book, "--folds", 2, "--sizes", "all",
                         "--out", new / "deep"],
            "demo": ["demo", "--corpus", corpus, "--out", new / "deep"]}[command]
    with pytest.raises(SystemExit) as exit_info:
        main([str(a) for a in args])
    err = capsys.readouterr().err.strip()
    assert exit_info.value.code == 2 and "No space left on device" in err.splitlines()[-1], err
    assert not new.exists()


def test_an_output_that_is_the_input_under_another_name_is_refused(tmp_path):
    source = tmp_path / "coded.csv"
    source.write_text("text,code\nHello,a\n")
    (tmp_path / "Coded-link.csv").hardlink_to(source)  # one file, two names (as Coded.csv is on macOS's disk)
    with pytest.raises(InputError, match="would overwrite --coded"):
        check_outputs({"--codings": tmp_path / "Coded-link.csv"}, {"--coded": source})
    assert source.read_text() == "text,code\nHello,a\n"


def test_project_export_onto_the_project_file_is_refused_and_the_project_survives(tmp_path, capsys):
    project = tmp_path / "study.taproj"
    make_project(project).close()
    code, err = run(capsys, "project", "export", project, "--codings", project)
    assert code == 2 and "would overwrite the project" in err
    with ProjectStore(project) as store:
        assert len(store.segments()) and len(store.runs())


def test_suggest_onto_its_own_input_is_refused_before_any_work(tmp_path, capsys):
    codebook = packaged_codebook("upsides")
    segments = tmp_path / "segments.csv"
    pd.DataFrame({"segment_id": ["s1"], "text": ["We listen to each other."]}).to_csv(segments, index=False)
    before = segments.read_bytes()
    code, err = run(capsys, "suggest", "--codebook", codebook, "--input", segments, "--out", tmp_path / "o.csv",
                    "--segments-out", segments)
    assert code == 2 and "--segments-out" in err and "would overwrite --input" in err
    assert segments.read_bytes() == before


def test_import_qdpx_into_the_folder_holding_the_archive_is_refused(tmp_path, capsys):
    folder = tmp_path / "study"
    folder.mkdir()
    archive = folder / "study.qdpx"
    archive.write_bytes(b"PK\x05\x06" + b"\x00" * 18)  # an empty zip: the check comes before reading it
    code, err = run(capsys, "import-qdpx", archive, "--out", folder, "--force")
    assert code == 2 and "is a folder holding the archive" in err
    assert archive.exists()


@pytest.mark.parametrize("command", ["suggest", "discover"])
def test_an_output_inside_the_input_folder_is_refused_and_the_transcript_survives(tmp_path, capsys, command):
    transcripts = tmp_path / "transcripts"
    transcripts.mkdir()
    interview = transcripts / "iv1.txt"
    interview.write_text("Anna: I felt hope when the peer worker listened.\n")
    before = interview.read_bytes()
    for out in (interview, transcripts / "suggestions.csv"):  # replacing a transcript, or becoming one
        code, err = run(capsys, command, "--codebook", packaged_codebook("upsides"), "--input", transcripts,
                        "--out", out)
        assert code == 2 and "is inside the folder --input" in err and "read as input" in err
    assert interview.read_bytes() == before and sorted(transcripts.iterdir()) == [interview]


def test_a_folder_output_holding_an_input_is_named_as_that_folder(tmp_path, capsys):
    """The model folder would not overwrite the input file itself: the message says it is the folder holding it."""
    folder = tmp_path / "txt"
    folder.mkdir()
    titles = folder / "titles.txt"
    titles.write_text("Anna: I felt hope when the peer worker listened.\n")
    code, err = run(capsys, "suggest", "--codebook", packaged_codebook("upsides"), "--input", titles,
                    "--out", tmp_path / "o.csv", "--save-model", folder)
    assert code == 2 and f"--save-model {folder} is a folder holding --input {titles}" in err
    assert "would overwrite" not in err
    assert sorted(folder.iterdir()) == [titles] and not (tmp_path / "o.csv").exists()


def test_a_folder_output_that_is_a_file_is_refused_before_any_work(tmp_path, capsys):
    existing = tmp_path / "mine.csv"
    existing.write_text("keep me\n")
    with pytest.raises(InputError, match="--save-model .* is a file: give a folder"):
        check_outputs({"--save-model": existing}, {}, folders=("--save-model",))
    code, err = run(capsys, "evaluate", "--corpus", "annomi-therapist", "--out", existing)
    assert code == 2 and "--out" in err and "is a file: give a folder" in err
    assert existing.read_text() == "keep me\n"


def test_an_output_in_a_folder_that_cannot_be_written_is_refused_before_any_work(tmp_path, capsys, monkeypatch):
    """A read-only folder (simulated: the tests may run as root, whom permissions do not stop) was found only when
    the output was written, after the embedding and fitting; a folder output (--save-model) too."""
    import tempfile

    read_only = tmp_path / "archive"
    read_only.mkdir()
    mkstemp = tempfile.mkstemp

    def refused_there(*args, **kwargs):  # as a read-only folder answers the probe file
        if Path(kwargs.get("dir", "")) == read_only:
            raise PermissionError(13, "Permission denied", str(read_only))
        return mkstemp(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", refused_there)
    monkeypatch.setattr("theme_assist.suggest.CodeSuggester.fit", lambda *a, **k: pytest.fail("work began"))
    segments = tmp_path / "segments.csv"
    pd.DataFrame({"segment_id": ["s1"], "text": ["We listen to each other."]}).to_csv(segments, index=False)
    code, err = run(capsys, "suggest", "--codebook", packaged_codebook("upsides"), "--input", segments,
                    "--out", read_only / "o.csv")
    assert code == 2 and f"--out {read_only / 'o.csv'}: its folder {read_only} cannot be written to" in err
    with pytest.raises(InputError, match="--save-model .* cannot be written to"):
        check_outputs({"--save-model": read_only / "model"}, {}, folders=("--save-model",))
    assert list(read_only.iterdir()) == []
    # a folder output that exists is written into (demo --out ., evaluate --out): tried inside, not its parent
    mine = read_only / "mine"
    mine.mkdir()
    check_outputs({"--out": mine}, {}, folders=("--out",))
    assert list(mine.iterdir()) == []
    with pytest.raises(InputError, match=r"--out .*archive: it cannot be written to \(Permission denied\)"):
        check_outputs({"--out": read_only}, {}, folders=("--out",))


def test_output_paths_holding_brackets_are_printed_as_written(tmp_path, capsys):
    """``--out 'a[/b]c.csv'`` (a folder ``a[`` holding ``b]c.csv``) stopped the closing ✓ line with rich's
    MarkupError, a traceback after the file was written (and the outputs after it not written); ``[bold]`` vanished
    from a path."""
    project = tmp_path / "study.taproj"
    make_project(project).close()
    folder = tmp_path / "a["
    codings, codebook, qdpx, copy = (folder / "b]c.csv", folder / "[bold]cb.yaml", folder / "b]s.qdpx",
                                     folder / "b]k.taproj")
    segments = tmp_path / "segments.csv"
    pd.DataFrame({"segment_id": ["s1"], "text": ["We listen to each other."]}).to_csv(segments, index=False)
    for args in (["project", "export", project, "--codings", codings, "--codebook", codebook, "--qdpx", qdpx],
                 ["project", "backup", project, copy], ["import-qdpx", qdpx, "--out", folder / "[bold]imported"],
                 ["suggest", "--codebook", packaged_codebook("upsides"), "--input", segments,
                  "--out", folder / "b]o.csv"],
                 ["export-qdpx", "--project", folder / "[bold]imported", "--out", folder / "b]again.qdpx"]):
        with pytest.raises(SystemExit) as exit_info:
            main([str(a) for a in args])
        assert exit_info.value.code == 0
    captured = capsys.readouterr()
    said = "".join((captured.out + captured.err).split())  # a table's title may fold
    for path in (codings, codebook, qdpx, copy, folder / "[bold]imported", folder / "b]o.csv",
                 folder / "[bold]imported" / PROJECT_JSON, folder / "b]again.qdpx"):
        assert path.exists() and str(path) in said, path


def test_tables_are_written_as_csv_or_tsv_by_their_name_and_other_names_are_refused(tmp_path, capsys):
    segments = tmp_path / "segments.csv"
    pd.DataFrame({"segment_id": ["s1", "s2"], "text": ["We listen to each other.", "I got paid, finally."]}).to_csv(
        segments, index=False)
    codebook = packaged_codebook("upsides")
    for option in ("--out", "--segments-out"):
        outputs = {"--out": tmp_path / "o.csv", option: tmp_path / "o.xlsx"}
        code, err = run(capsys, "suggest", "--codebook", codebook, "--input", segments,
                        *[x for pair in outputs.items() for x in pair])
        assert code == 2 and f"{option} " in err and "written as .csv or .tsv" in err
    assert not (tmp_path / "o.xlsx").exists() and not (tmp_path / "o.csv").exists()
    with pytest.raises(SystemExit) as finished:
        main(["suggest", "--codebook", str(codebook), "--input", str(segments), "--out", str(tmp_path / "o.tsv"),
              "--segments-out", str(tmp_path / "seg.tsv")])
    assert finished.value.code == 0
    written = pd.read_csv(tmp_path / "o.tsv", sep="\t")
    assert list(written.columns) == ["segment_id", "code", "score", "rank", "evidence", "segmentation"]
    assert pd.read_csv(tmp_path / "seg.tsv", sep="\t")["text"].tolist()[1] == "I got paid, finally."


def test_a_table_stopped_while_written_leaves_the_earlier_one_whole_and_no_half_table(tmp_path, monkeypatch):
    """A batch job stopped while writing (its time limit, a full disk) left a half suggestions table, with no sign
    that it was cut short, in place of the one an earlier run wrote."""
    out = tmp_path / "suggestions.csv"
    write_table(pd.DataFrame({"segment_id": ["s1"], "code": ["work"]}), out)
    earlier = out.read_text(encoding="utf-8")
    to_csv = pd.DataFrame.to_csv

    def cut_short(table, path, **options):
        to_csv(table.head(1), path, **options)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", cut_short)
    with pytest.raises(OSError):
        write_table(pd.DataFrame({"segment_id": ["s1", "s2"], "code": ["stigma", "family"]}), out)
    assert out.read_text(encoding="utf-8") == earlier
    assert [path.name for path in tmp_path.iterdir()] == ["suggestions.csv"]
    monkeypatch.undo()
    (tmp_path / "shared").mkdir()
    linked = tmp_path / "linked.csv"
    linked.symlink_to(tmp_path / "shared" / "suggestions.csv")
    write_table(pd.DataFrame({"segment_id": ["s1"], "code": ["stigma"]}), linked)
    assert linked.is_symlink() and "stigma" in (tmp_path / "shared" / "suggestions.csv").read_text(encoding="utf-8")


def test_a_codebook_or_report_stopped_while_written_leaves_the_earlier_one_whole(tmp_path, monkeypatch):
    """project export --codebook, discover --out / --codebook-out, evaluate's and the demo's reports: a half YAML
    codebook read back with fewer codes, as if whole."""
    from pathlib import Path

    from theme_assist.codebook import load_codebook, save_codebook

    out = tmp_path / "codebook.yaml"
    save_codebook(load_codebook(packaged_codebook("upsides")), out)
    earlier = out.read_text(encoding="utf-8")
    write_text = Path.write_text

    def cut_short(path, text, **options):
        write_text(path, text[: len(text) // 2], **options)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", cut_short)
    with pytest.raises(OSError):
        save_codebook(load_codebook(packaged_codebook("upsides")), out)
    monkeypatch.undo()
    assert out.read_text(encoding="utf-8") == earlier
    assert [path.name for path in tmp_path.iterdir()] == ["codebook.yaml"]


@pytest.mark.parametrize("args, named", [
    (["suggest", "--codebook", "cb.yaml", "--input", "", "--out", "o.csv"], "to --input"),
    (["agree", ""], "an empty value was given"),
    (["suggest", "--input=", "--out", "o.csv"], "to --input"),
])
def test_an_empty_value_is_refused_rather_than_read_as_the_current_folder(tmp_path, monkeypatch, capsys, args,
                                                                          named):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("I: Not a transcript of this study.\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert error.startswith("theme-assist: error: an empty value was given") and named in error
    assert sorted(path.name for path in tmp_path.iterdir()) == ["notes.txt"]


@pytest.mark.parametrize("looped", ["input", "out"])
def test_a_symbolic_link_that_leads_back_to_itself_is_one_line(tmp_path, capsys, looped):
    """Path.resolve raises a RuntimeError for a link loop (Python < 3.13): a traceback, from suggest, project init,
    export-qdpx and every command that checks its outputs."""
    segments = tmp_path / "segments.csv"
    segments.write_text("segment_id,text\ns1,I felt hope when the peer worker listened.\n", encoding="utf-8")
    loop = tmp_path / "loop.csv"
    loop.symlink_to(loop.name)
    given = {"input": segments, "out": tmp_path / "o.csv", looped: loop}
    code, err = run(capsys, "suggest", "--codebook", packaged_codebook("upsides"), "--input", given["input"],
                    "--out", given["out"])
    assert code == 2 and f"--{looped} {loop} is a symbolic link that leads back to itself" in err
    code, err = run(capsys, "project", "init", tmp_path / "p.taproj", "--codebook", packaged_codebook("upsides"),
                    "--input", segments, "--coded", loop)
    assert code == 2 and f"--coded {loop} is a symbolic link that leads back to itself" in err
    code, err = run(capsys, "suggest", "--codebook", packaged_codebook("upsides"), "--input", segments,
                    "--out", tmp_path / "o.csv", "--save-model", loop)  # checked against --out before the rest
    assert code == 2 and f"--save-model {loop} is a symbolic link that leads back to itself" in err
    code, err = run(capsys, "project", "init", loop, "--codebook", packaged_codebook("upsides"), "--input", segments)
    assert code == 2 and f"project {loop} is a symbolic link that leads back to itself" in err
    assert sorted(path.name for path in tmp_path.iterdir()) == ["loop.csv", "segments.csv"]


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="no named pipes here")
def test_an_output_that_is_a_device_or_a_pipe_is_refused_not_replaced(tmp_path, capsys):
    """Outputs are written as a new file moved into place: run as root (a container), `discover --out /dev/null`
    and `project backup P /dev/null --force` replaced /dev/null itself with a regular file. A named pipe stands in
    for the device here (making a device takes root)."""
    import os
    import stat

    pipe = tmp_path / "pipe.yaml"
    os.mkfifo(pipe)
    with pytest.raises(InputError, match="--codebook-out .*pipe.yaml is a device or a pipe, not a file"):
        check_outputs({"--out": tmp_path / "t.json", "--codebook-out": pipe}, {})
    project = tmp_path / "study.taproj"
    make_project(project).close()
    for args in (("project", "backup", project, pipe, "--force"),
                 ("project", "export", project, "--codebook", pipe, "--force")):
        code, err = run(capsys, *args)
        assert code == 2 and "is a device or a pipe, not a file" in err
        assert stat.S_ISFIFO(pipe.stat().st_mode)


def test_a_symbolic_link_loop_is_one_line_where_resolve_leaves_it_unfollowed(tmp_path, capsys, monkeypatch):
    """Python 3.13 and later resolve a link loop without the RuntimeError of 3.11 and 3.12: they give the link back,
    which passed as a new output (and a --metadata loop stayed in the folder's documents)."""
    import os

    monkeypatch.setattr(Path, "resolve", lambda self, strict=False: Path(os.path.realpath(self)))  # as in 3.13
    segments = tmp_path / "segments.csv"
    segments.write_text("segment_id,text\ns1,I felt hope when the peer worker listened.\n", encoding="utf-8")
    loop = tmp_path / "loop.csv"
    loop.symlink_to(loop.name)
    assert Path(loop).resolve().is_symlink()
    code, err = run(capsys, "suggest", "--codebook", packaged_codebook("upsides"), "--input", segments,
                    "--out", loop)
    assert code == 2 and f"--out {loop} is a symbolic link that leads back to itself" in err
    from theme_assist.inputs import resolved_or_none

    assert resolved_or_none(loop) is None and resolved_or_none(segments) == segments.resolve()


def _command_paths(group, path=()):
    for name, command in sorted(group.commands.items()):
        yield (*path, name)
        if hasattr(command, "commands"):  # a group (typer may carry its own copy of click's classes)
            yield from _command_paths(command, (*path, name))


def test_no_flag_is_shown_in_help_as_taking_a_value(capsys):
    """typer 0.29 wrote every flag as `--recursive <bool>`: a user typing `--recursive true` got "unexpected extra
    argument (true)". Every command's help, sub-commands too, shows a flag without a value."""
    import typer

    from theme_assist.cli import app

    paths = list(_command_paths(typer.main.get_command(app)))
    assert ("project", "replace") in paths and ("suggest",) in paths
    for path in paths:
        with pytest.raises(SystemExit):
            main([*path, "--help"])
        shown = capsys.readouterr().out
        assert "--help" in shown, path
        assert "<bool>" not in shown and "BOOLEAN" not in shown, path
