"""REFI-QDA archives built here: hostile ones (each refused with one line, nothing written) and a rich project
whose every unmodelled element survives import → export → import."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

import pytest

from theme_assist.cli import main
from theme_assist.errors import InputError
from theme_assist.refi import ZipLimits, export_project, import_project
from theme_assist.refi.folder import read_base, read_documents

NS = 'xmlns="urn:QDA-XML:project:1.0"'
USER = "11111111-1111-1111-1111-111111111111"
CODE = "22222222-2222-2222-2222-222222222222"


def write_zip(path: Path, entries: dict[str, bytes | str], infos: list[tuple[zipfile.ZipInfo, bytes]] = ()) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        for info, data in infos:
            archive.writestr(info, data)
    return path


def small_project(selection: str = f'<PlainTextSelection guid="33333333-3333-3333-3333-333333333333" '
                                   f'startPosition="0" endPosition="5"><Coding guid="44444444-4444-4444-4444-444444444444">'
                                   f'<CodeRef targetGUID="{CODE}"/></Coding></PlainTextSelection>') -> str:
    return (f'<Project {NS} name="p"><Users><User guid="{USER}" name="ann"/></Users>'
            f'<CodeBook><Codes><Code guid="{CODE}" name="hope" isCodable="true"/></Codes></CodeBook>'
            f'<Sources><TextSource guid="55555555-5555-5555-5555-555555555555" name="t">'
            f'<PlainTextContent>Hello world</PlainTextContent>{selection}</TextSource></Sources></Project>')


def run_cli(*args) -> int:
    with pytest.raises(SystemExit) as exit_info:
        main([str(arg) for arg in args])
    return exit_info.value.code


def assert_refused(tmp_path: Path, archive: Path, *words: str, capsys) -> str:
    """The import fails with exit 2 and one line naming ``words``, and leaves nothing but the archive behind."""
    before = sorted(p.name for p in tmp_path.iterdir())
    assert run_cli("import-qdpx", archive, "--out", tmp_path / "out") == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith("theme-assist: error:"), error
    for word in words:
        assert word in error, error
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no partial folder, no temp folder, no evil file
    assert not (tmp_path.parent / "evil").exists()
    return error


# --- hostile archives -------------------------------------------------------------------------------------

def test_zip_slip_entry_is_refused(tmp_path, capsys):
    archive = write_zip(tmp_path / "slip.qdpx", {"project.qde": small_project(), "../evil": "x"})
    assert_refused(tmp_path, archive, "'../evil'", "zip slip", capsys=capsys)


def test_absolute_and_drive_paths_are_refused(tmp_path, capsys):
    archive = write_zip(tmp_path / "abs.qdpx", {"project.qde": small_project(), "/tmp/evil": "x"})
    assert_refused(tmp_path, archive, "absolute path", capsys=capsys)
    archive.unlink()
    archive = write_zip(tmp_path / "drive.qdpx", {"project.qde": small_project(), "C:\\evil": "x"})
    assert_refused(tmp_path, archive, "absolute path", capsys=capsys)


def test_symlink_entry_is_refused(tmp_path, capsys):
    link = zipfile.ZipInfo("sources/passwd.txt")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive = write_zip(tmp_path / "link.qdpx", {"project.qde": small_project()}, [(link, b"/etc/passwd")])
    assert_refused(tmp_path, archive, "symbolic link", capsys=capsys)


def test_zip_bomb_is_refused_by_ratio_and_by_total_size(tmp_path, capsys):
    archive = write_zip(tmp_path / "bomb.qdpx", {"project.qde": small_project(), "sources/zeros.txt": b"\0" * (20 << 20)})
    assert_refused(tmp_path, archive, "zip bomb", capsys=capsys)
    archive.unlink()
    normal = write_zip(tmp_path / "normal.qdpx", {"project.qde": small_project()})
    with pytest.raises(InputError, match="inflates to more than 100 bytes"):
        import_project(normal, tmp_path / "out", limits=ZipLimits(max_total_bytes=100))
    with pytest.raises(InputError, match="more than the cap of 1"):
        import_project(write_zip(tmp_path / "two.qdpx", {"project.qde": small_project(), "a": "b"}),
                       tmp_path / "out", limits=ZipLimits(max_entries=1))
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("doctype, words", [
    ('<!DOCTYPE Project [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
     '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>', ("DTD",)),
    ('<!DOCTYPE Project [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', ("DTD",)),
    ('<!DOCTYPE Project SYSTEM "http://example.invalid/evil.dtd">', ("DTD",)),
], ids=["billion-laughs", "external-entity", "external-dtd"])
def test_dtd_and_entities_are_refused(tmp_path, capsys, doctype, words, no_network):
    xml = small_project().replace("<Project ", doctype + "<Project ")
    archive = write_zip(tmp_path / "xml.qdpx", {"project.qde": xml})
    assert_refused(tmp_path, archive, "project.qde", *words, capsys=capsys)


def test_malformed_xml_and_wrong_root_are_refused(tmp_path, capsys):
    archive = write_zip(tmp_path / "bad.qdpx", {"project.qde": small_project()[:-20]})
    assert_refused(tmp_path, archive, "not well-formed XML", capsys=capsys)
    archive.unlink()
    archive = write_zip(tmp_path / "root.qdpx", {"project.qde": "<html/>"})
    assert_refused(tmp_path, archive, "not a REFI-QDA <Project>", capsys=capsys)


@pytest.mark.parametrize("encoding", ["klingon", "utf-32", "rot13"])
def test_xml_declaring_an_encoding_that_cannot_be_read_is_refused_in_one_line(tmp_path, capsys, encoding):
    """An XML declaration naming an encoding Python has no text codec for stopped the import with a traceback
    (LookupError: unknown encoding; ValueError: multi-byte encodings are not supported)."""
    xml = f'<?xml version="1.0" encoding="{encoding}"?>' + small_project()
    archive = write_zip(tmp_path / "enc.qdpx", {"project.qde": xml})
    assert_refused(tmp_path, archive, f"enc.qdpx/project.qde: the XML declares the encoding '{encoding}', which "
                   "cannot be read (REFI-QDA files are UTF-8)", capsys=capsys)
    archive.unlink()
    bare = tmp_path / "enc.qde"
    bare.write_text(xml, encoding="utf-8")
    assert_refused(tmp_path, bare, "enc.qde: the XML declares the encoding", capsys=capsys)
    bare.write_bytes(b"\xef\xbb\xbf" + xml.encode())  # a byte-order mark before the declaration: named all the same
    assert_refused(tmp_path, bare, f"enc.qde: the XML declares the encoding '{encoding}'", capsys=capsys)


@pytest.mark.parametrize("entries, named, why", [
    ({"media/a": "x", "media/a/b": "y"}, "media/a/b", "File exists"),  # a file where a folder must go
    ({"media/" + "a" * 300 + ".bin": "x"}, "media/aaa", "File name too long"),
    ({"d/" * 2000 + "x": "y"}, "d/d/d", "2000 folders deep"),  # was: "its elements are nested too deeply"
])
def test_an_attachment_that_cannot_be_written_is_named_by_its_entry(tmp_path, capsys, entries, named, why):
    """The error named the path in the hidden folder the import is built in (".out.x9pilk14.part/attachments/…"),
    a path the user never gave, rather than the archive's entry."""
    archive = write_zip(tmp_path / "att.qdpx", {"project.qde": small_project(), **entries})
    error = assert_refused(tmp_path, archive, f"att.qdpx: entry '{named}", "cannot be written into the import's "
                           f"attachments/ ({why})", capsys=capsys)
    assert ".part" not in error


def test_not_a_zip_empty_file_and_missing_project_are_refused(tmp_path, capsys):
    (tmp_path / "text.qdpx").write_text("just text")
    assert_refused(tmp_path, tmp_path / "text.qdpx", "not a zip archive", capsys=capsys)
    (tmp_path / "text.qdpx").unlink()
    (tmp_path / "empty.qdpx").write_bytes(b"")
    assert_refused(tmp_path, tmp_path / "empty.qdpx", "empty", capsys=capsys)
    (tmp_path / "empty.qdpx").unlink()
    archive = write_zip(tmp_path / "none.qdpx", {"sources/a.txt": "x"})
    assert_refused(tmp_path, archive, "no project.qde", capsys=capsys)


def test_absurdly_deep_nesting_is_refused(tmp_path, capsys):
    depth = 5000
    codes = "".join(f'<Code guid="{i:08d}-0000-4000-8000-000000000000" name="c" isCodable="true">' for i in range(depth))
    xml = f'<Project {NS} name="p"><CodeBook><Codes>{codes}{"</Code>" * depth}</Codes></CodeBook></Project>'
    archive = write_zip(tmp_path / "deep.qdpx", {"project.qde": xml})
    assert_refused(tmp_path, archive, "nested too deeply", capsys=capsys)


def test_selection_outside_its_source_and_coding_of_missing_code_are_skipped(tmp_path, capsys):
    selections = (f'<PlainTextSelection guid="33333333-3333-3333-3333-333333333333" startPosition="6" endPosition="99">'
                  f'<Coding guid="44444444-4444-4444-4444-444444444444"><CodeRef targetGUID="{CODE}"/></Coding>'
                  f'</PlainTextSelection>'
                  f'<PlainTextSelection guid="66666666-6666-6666-6666-666666666666" startPosition="0" endPosition="5">'
                  f'<Coding guid="77777777-7777-7777-7777-777777777777"><CodeRef targetGUID="{CODE}"/></Coding>'
                  f'<Coding guid="88888888-8888-8888-8888-888888888888">'
                  f'<CodeRef targetGUID="99999999-9999-9999-9999-999999999999"/></Coding></PlainTextSelection>')
    archive = write_zip(tmp_path / "data.qdpx", {"project.qde": small_project(selections)})
    assert run_cli("import-qdpx", archive, "--out", tmp_path / "out") == 0
    printed = " ".join(capsys.readouterr().out.split())
    assert "Skipped: selection 33333333-3333-3333-3333-333333333333" in printed and "outside" in printed
    assert "coding 88888888-8888-8888-8888-888888888888" in printed and "not in the codebook" in printed
    codings = (tmp_path / "out" / "codings.csv").read_text()
    assert "77777777" in codings and "44444444" not in codings and "88888888" not in codings


def test_text_paths_outside_the_archive_are_never_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("host secret")
    sources = "".join(f'<TextSource guid="5555555{i}-5555-5555-5555-555555555555" name="s{i}" plainTextPath="{path}"/>'
                      for i, path in enumerate([str(secret), f"file://{secret}", "../secret.txt",
                                                "relative://secret.txt", "internal://../../secret.txt"]))
    xml = f'<Project {NS} name="p"><Sources>{sources}</Sources></Project>'
    imported = import_project(write_zip(tmp_path / "paths.qdpx", {"project.qde": xml}), tmp_path / "out")
    assert imported.documents == [] and imported.report.kept_aside["TextSource"] == 5
    assert len(imported.report.skipped) == 5 and all("kept aside unread" in s for s in imported.report.skipped)
    assert "host secret" not in (tmp_path / "out" / "project.json").read_text()


def test_existing_folder_is_kept_unless_forced_and_force_replaces_only_an_earlier_import(tmp_path, capsys):
    archive = write_zip(tmp_path / "p.qdpx", {"project.qde": small_project()})
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "mine.txt").write_text("keep me")
    assert run_cli("import-qdpx", archive, "--out", tmp_path / "out") == 2
    assert "--force" in capsys.readouterr().err and (tmp_path / "out" / "mine.txt").exists()
    assert run_cli("import-qdpx", archive, "--out", tmp_path / "out", "--force") == 2  # not an import's folder
    assert "not a folder written by import-qdpx" in capsys.readouterr().err
    assert (tmp_path / "out" / "mine.txt").read_text() == "keep me"
    assert run_cli("import-qdpx", archive, "--out", tmp_path / "fresh") == 0
    (tmp_path / "fresh" / "codings.csv").write_text("edited since")
    (tmp_path / "fresh" / "memo.txt").write_text("my notes")
    (tmp_path / "fresh" / "documents" / "analysis").mkdir()
    # work added to an import's folder is never deleted by --force
    assert run_cli("import-qdpx", archive, "--out", tmp_path / "fresh", "--force") == 2
    assert ("also holds memo.txt, documents/analysis, which import-qdpx did not write and --force would delete"
            in capsys.readouterr().err)
    assert (tmp_path / "fresh" / "memo.txt").read_text() == "my notes"
    (tmp_path / "fresh" / "memo.txt").unlink()
    (tmp_path / "fresh" / "documents" / "analysis").rmdir()
    assert run_cli("import-qdpx", archive, "--out", tmp_path / "fresh", "--force") == 0  # what it wrote: replaced
    assert (tmp_path / "fresh" / "codings.csv").read_text() != "edited since"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fresh", "out", "p.qdpx"]


def test_force_into_a_folder_another_save_moved_aside_meanwhile_imports(tmp_path, monkeypatch):
    """A folder seen a moment ago and gone when listed (another save swapping it in) is an empty one, not a
    FileNotFoundError (refi.atomic.folder_entries)."""
    archive = write_zip(tmp_path / "p.qdpx", {"project.qde": small_project()})
    out = tmp_path / "out"
    seen, is_dir = [], Path.is_dir
    monkeypatch.setattr(Path, "is_dir", lambda self: (self == out and not seen and not seen.append(1)) or is_dir(self))
    import_project(archive, out, force=True)
    assert (out / "project.json").is_file()


def test_export_replaces_an_existing_archive_only_with_force_and_with_the_usual_permissions(tmp_path, capsys):
    import os
    import stat

    archive = write_zip(tmp_path / "p.qdpx", {"project.qde": small_project()})
    original = archive.read_bytes()
    assert run_cli("import-qdpx", archive, "--out", tmp_path / "imported") == 0
    assert run_cli("export-qdpx", "--project", tmp_path / "imported", "--out", archive) == 2
    assert "--out " in (err := capsys.readouterr().err) and "exists (use --force to replace it)" in err
    assert archive.read_bytes() == original
    os.chmod(archive, 0o640)
    assert run_cli("export-qdpx", "--project", tmp_path / "imported", "--out", archive, "--force") == 0
    assert archive.read_bytes() != original and stat.S_IMODE(archive.stat().st_mode) == 0o640
    assert run_cli("export-qdpx", "--project", tmp_path / "imported", "--out", tmp_path / "new.qdpx") == 0
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((tmp_path / "new.qdpx").stat().st_mode) == 0o666 & ~umask
    assert stat.S_IMODE((tmp_path / "imported").stat().st_mode) == 0o777 & ~umask


# --- a rich project: nothing we do not model is lost --------------------------------------------------------

def docx_bytes(paragraphs: list[str]) -> bytes:
    import docx

    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


G = "{:08d}-0000-4000-8000-000000000000".format
EMOJI_TEXT = "Peer 🙂 support: I felt seen."  # an astral character before the selection: code points, not UTF-16
CRLF_TEXT = "A: first line\r\nB: second line\r\n"


def rich_project_xml() -> str:
    def selection(guid, start, end, code, extra=""):
        return (f'<PlainTextSelection guid="{G(guid)}" name="sel{guid}" startPosition="{start}" endPosition="{end}" '
                f'creatingUser="{USER}" creationDateTime="2024-01-02T03:04:05Z"><Description>why</Description>'
                f'<Coding guid="{G(guid + 1)}" creatingUser="{USER}" creationDateTime="2024-01-02T03:04:06Z">'
                f'<CodeRef targetGUID="{code}"/><NoteRef targetGUID="{G(900)}"/></Coding>{extra}</PlainTextSelection>')

    start = EMOJI_TEXT.index("I felt")
    crlf_start = CRLF_TEXT.index("B:")
    note_ref = f'<NoteRef targetGUID="{G(900)}"/>'
    return (
        f'<?xml version="1.0" encoding="utf-8"?><Project {NS} name="Rich study" origin="Tool 1" '
        f'creatingUserGUID="{USER}" creationDateTime="2024-01-01T00:00:00Z">'
        f'<Users><User guid="{USER}" name="ann" id="A"/><User guid="{G(2)}" name="ben"/></Users>'
        f'<CodeBook><Codes><Code guid="{G(10)}" name="Support" isCodable="false" color="#AA3377">'
        f'<Description>  Parent code.\n</Description><NoteRef targetGUID="{G(900)}"/>'
        f'<Code guid="{CODE}" name="Being seen" isCodable="true" color="#123"><Description>Feeling seen.</Description>'
        f'</Code></Code></Codes></CodeBook>'
        f'<Variables><Variable guid="{G(20)}" name="site" typeOfVariable="Text"/></Variables>'
        f'<Cases><Case guid="{G(30)}" name="case 1"><VariableValue><VariableRef targetGUID="{G(20)}"/>'
        f'<TextValue>Lisbon</TextValue></VariableValue><SourceRef targetGUID="{G(40)}"/></Case></Cases>'
        f'<Sources>'
        f'<TextSource guid="{G(40)}" name="emoji interview" creatingUser="{USER}"><Description>inline</Description>'
        f'<PlainTextContent>{EMOJI_TEXT}</PlainTextContent>'
        f'{selection(100, start, len(EMOJI_TEXT) - 1, CODE, extra=note_ref)}'
        f'<Coding guid="{G(110)}"><CodeRef targetGUID="{G(10)}"/></Coding><NoteRef targetGUID="{G(900)}"/>'
        f'<VariableValue><VariableRef targetGUID="{G(20)}"/><TextValue>Lisbon</TextValue></VariableValue></TextSource>'
        f'<PictureSource guid="{G(50)}" name="photo" path="internal://photo.png">'
        f'<PictureSelection guid="{G(51)}" firstX="1" firstY="2" secondX="3" secondY="4">'
        f'<Coding guid="{G(52)}" creatingUser="{G(2)}"><CodeRef targetGUID="{CODE}"/></Coding></PictureSelection>'
        f'</PictureSource>'
        f'<TextSource guid="{G(60)}" name="crlf.txt" plainTextPath="internal://crlf.txt" '
        f'richTextPath="internal://crlf.docx">{selection(200, crlf_start, crlf_start + 14, CODE)}</TextSource>'
        f'<TextSource guid="{G(70)}" name="word only" richTextPath="internal://word.docx">'
        f'{selection(300, 0, 5, CODE)}</TextSource>'
        f'</Sources>'
        f'<Notes><Note guid="{G(900)}" name="memo" creatingUser="{USER}"><PlainTextContent>A memo.</PlainTextContent>'
        f'</Note></Notes>'
        f'<Links><Link guid="{G(910)}" originGUID="{CODE}" targetGUID="{G(10)}"/></Links>'
        f'<Sets><Set guid="{G(920)}" name="set"><MemberCode targetGUID="{CODE}"/></Set></Sets>'
        f'<Graphs><Graph guid="{G(930)}"><Vertex guid="{G(931)}" firstX="0" firstY="0"/></Graph></Graphs>'
        f'<Description>About the study</Description><NoteRef targetGUID="{G(900)}"/></Project>')


@pytest.fixture()
def rich_archive(tmp_path) -> Path:
    return write_zip(tmp_path / "rich.qdpx", {
        "project.qde": rich_project_xml(),
        "sources/crlf.txt": "\ufeff".encode() + CRLF_TEXT.encode("utf-8"),
        "sources/crlf.docx": docx_bytes(["A: first line", "B: second line"]),
        "sources/word.docx": docx_bytes(["Hello from Word", "second paragraph"]),
        "sources/photo.png": b"\x89PNG fake image bytes",
    })


def comparable(project) -> dict:
    """The project as a dict, minus what an export rightly changes: the origin and the plain-text file paths."""
    data = project.to_dict()
    data["attrs"].pop("origin")
    for source in data["sources"]:
        source.get("attrs", {}).pop("plainTextPath", None)
    return data


def test_rich_project_import_reads_every_kind_of_source(rich_archive, tmp_path):
    imported = import_project(rich_archive, tmp_path / "rich")
    report = imported.report
    assert dict(report.counts) == {"users": 2, "codes": 2, "sources": 3, "selections": 3, "codings": 3}
    texts = {d.id: d.text for d in imported.documents}
    assert texts["emoji_interview"] == EMOJI_TEXT and texts["crlf"] == CRLF_TEXT
    assert texts["word_only"] == "Hello from Word\nsecond paragraph"
    assert any("word.docx" in note and "python-docx" in note for note in report.notes)
    assert (tmp_path / "rich" / "documents" / "crlf.txt").read_bytes() == CRLF_TEXT.encode("utf-8")
    codings = imported.codings.set_index("selection_guid")
    assert codings.loc[G(100), "text"] == "I felt seen"  # code points: the emoji counts as one character
    assert codings.loc[G(200), "text"] == "B: second line"  # \r\n counts as two
    for kind in ("Variable", "Case", "Note", "Link", "Set", "Graph", "Description", "NoteRef", "PictureSource",
                 "Coding (on a source)", "VariableValue (on a source)", "NoteRef (on a selection)"):
        assert report.kept_aside[kind] >= 1, kind
    assert report.kept_aside["archive file carried along"] == 3  # two .docx and the picture
    assert (tmp_path / "rich" / "attachments" / "sources" / "photo.png").read_bytes() == b"\x89PNG fake image bytes"
    codebook = imported.codebook
    assert [(c.name, c.color, c.definition) for c in codebook.all_codes] == [
        ("Support", "#AA3377", "Parent code."), ("Being seen", "#123", "Feeling seen.")]


def test_rich_project_round_trip_loses_nothing(rich_archive, tmp_path):
    first = import_project(rich_archive, tmp_path / "rich")
    folder = tmp_path / "rich"
    from theme_assist.codebook import load_codebook
    import pandas as pd

    export_project(load_codebook(folder / "codebook.yaml"), read_documents(folder / "documents"),
                   pd.read_csv(folder / "codings.csv", dtype=str, keep_default_na=False), out=tmp_path / "again.qdpx",
                   base=read_base(folder / "project.json"), attachments_dir=folder / "attachments")
    second = import_project(tmp_path / "again.qdpx", tmp_path / "again")
    assert comparable(second.project) == comparable(first.project)
    assert second.report.kept_aside == first.report.kept_aside
    with zipfile.ZipFile(tmp_path / "again.qdpx") as archive:
        names = archive.namelist()
        assert "sources/photo.png" in names and "sources/crlf.txt" in names
        assert archive.read("sources/crlf.txt") == "\ufeff".encode() + CRLF_TEXT.encode("utf-8")  # BOM kept


def test_rich_project_export_validates(rich_archive, tmp_path, shared_dir):
    xmlschema = pytest.importorskip("xmlschema")
    schema = xmlschema.XMLSchema(str(shared_dir / "refi" / "Project-mrt2019.xsd"))
    with zipfile.ZipFile(rich_archive) as archive:
        schema.validate(archive.read("project.qde").decode())  # the fixture itself is valid QDA-XML
    first = import_project(rich_archive, tmp_path / "rich")
    folder = tmp_path / "rich"  # no --project: the project.json next to --documents is found and reused
    assert run_cli("export-qdpx", "--codebook", folder / "codebook.yaml", "--documents", folder / "documents",
                   "--codings", folder / "codings.csv", "--out", tmp_path / "again.qdpx") == 0
    with zipfile.ZipFile(tmp_path / "again.qdpx") as archive:
        schema.validate(archive.read("project.qde").decode())
    assert import_project(tmp_path / "again.qdpx", tmp_path / "again").report.kept_aside == first.report.kept_aside


# --- a .docx inside the archive is a zip too ------------------------------------------------------------------

def docx_bomb(pad: int = 3 << 20) -> bytes:
    """A valid .docx whose document.xml is padded with ``pad`` spaces: a few KB, compressed about 1000:1."""
    with zipfile.ZipFile(io.BytesIO(docx_bytes(["Hello"]))) as word:
        entries = {info.filename: word.read(info.filename) for info in word.infolist()}
    entries["word/document.xml"] = entries["word/document.xml"].replace(b"<w:body>", b"<w:body>" + b" " * pad, 1)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in entries.items():
            out.writestr(name, data)
    return buffer.getvalue()


def word_source_project() -> str:
    return (f'<Project {NS} name="p"><Sources><TextSource guid="55555555-5555-5555-5555-555555555555" name="w" '
            f'richTextPath="internal://w.docx"/></Sources></Project>')


def test_nested_docx_zip_bomb_is_refused(tmp_path, capsys, monkeypatch):
    import docx

    bomb = docx_bomb()
    assert len(bomb) < 100_000

    def never(*args, **kwargs):
        raise AssertionError("python-docx was given the bomb")

    monkeypatch.setattr(docx, "Document", never)
    archive = write_zip(tmp_path / "nested.qdpx", {"project.qde": word_source_project(), "sources/w.docx": bomb})
    assert_refused(tmp_path, archive, "nested.qdpx: sources/w.docx", "word/document.xml", "zip bomb", capsys=capsys)


def test_nested_docx_counts_against_the_archive_cap(tmp_path):
    word = docx_bytes(["Hello from Word"])
    with zipfile.ZipFile(io.BytesIO(word)) as inner:
        inner_total = sum(info.file_size for info in inner.infolist())
    project = word_source_project()
    archive = write_zip(tmp_path / "p.qdpx", {"project.qde": project, "sources/w.docx": word})
    outer_total = len(project.encode()) + len(word)
    # the .docx is read once for its text and once more into attachments/: both count, as does what it declares
    fits = ZipLimits(max_total_bytes=outer_total + inner_total + len(word))
    imported = import_project(archive, tmp_path / "fits", limits=fits)
    assert [d.text for d in imported.documents] == ["Hello from Word"]
    with pytest.raises(InputError, match=r"p.qdpx: sources/w.docx inflates to more than \d+ bytes"):
        import_project(archive, tmp_path / "out", limits=ZipLimits(max_total_bytes=outer_total + inner_total - 1))
    assert not (tmp_path / "out").exists()


def test_nested_docx_that_is_not_a_zip_is_kept_aside_with_the_reason(tmp_path):
    archive = write_zip(tmp_path / "p.qdpx", {"project.qde": word_source_project(), "sources/w.docx": "plain text"})
    imported = import_project(archive, tmp_path / "out")
    assert imported.documents == [] and imported.report.kept_aside["TextSource"] == 1
    (skipped,) = imported.report.skipped
    assert "sources/w.docx could not be read" in skipped and "not a zip archive" in skipped


# --- export: project.json is the user's file, and may have been edited ------------------------------------------

@pytest.fixture()
def imported_folder(tmp_path) -> Path:
    archive = write_zip(tmp_path / "p.qdpx", {"project.qde": small_project(), "sources/photo.png": b"PNG bytes"})
    import_project(archive, tmp_path / "proj")
    return tmp_path / "proj"


def edit_project_json(folder: Path, edit) -> None:
    import json

    path = folder / "project.json"
    path.write_text(json.dumps(edit(json.loads(path.read_text(encoding="utf-8")))), encoding="utf-8")


def assert_export_refused(folder: Path, capsys, *words: str) -> str:
    out = folder.parent / "out.qdpx"
    assert run_cli("export-qdpx", "--project", folder, "--out", out) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith("theme-assist: error:") and "Traceback" not in error, error
    for word in words:
        assert word in error, error
    assert not out.exists() and not [p for p in folder.parent.iterdir() if p.name.startswith(".out.qdpx")]
    return error


def test_export_carries_the_imported_attachments(imported_folder, tmp_path):
    assert run_cli("export-qdpx", "--project", imported_folder, "--out", tmp_path / "out.qdpx") == 0
    with zipfile.ZipFile(tmp_path / "out.qdpx") as archive:
        assert archive.read("sources/photo.png") == b"PNG bytes"


@pytest.mark.parametrize("names, words", [
    (["../../../../../etc/passwd", "/etc/hostname"], ["'../../../../../etc/passwd'", "zip slip"]),
    (["/etc/hostname"], ["'/etc/hostname'", "absolute path"]),
    (["sources/../../secret.txt"], ["climbs out"]),
    (["C:\\Windows\\win.ini"], ["absolute path"]),
], ids=["dot-dot", "absolute", "inner-dot-dot", "drive"])
def test_export_refuses_attachment_names_that_escape(imported_folder, capsys, names, words):
    (imported_folder.parent / "secret.txt").write_text("host secret")
    edit_project_json(imported_folder, lambda meta: {**meta, "project": {**meta["project"], "attachments": names}})
    assert_export_refused(imported_folder, capsys, "project.json", *words)


def test_export_refuses_an_attachment_reached_through_a_link_out_of_the_folder(imported_folder, tmp_path, capsys):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.txt").write_text("host secret")
    (imported_folder / "attachments" / "linked").symlink_to(outside, target_is_directory=True)
    edit_project_json(imported_folder, lambda meta: {**meta, "project": {**meta["project"],
                                                                         "attachments": ["linked/secret.txt"]}})
    assert_export_refused(imported_folder, capsys, "'linked/secret.txt'", "outside")


def test_writer_checks_attachment_names_itself(tmp_path):
    from theme_assist.refi.model import Project
    from theme_assist.refi.writer import write_qdpx

    (tmp_path / "secret.txt").write_text("host secret")
    (tmp_path / "attachments").mkdir()
    for names, message in ((["../secret.txt"], "zip slip"), (["project.qde"], "would replace"),
                           (["a.png", "./a.png"], "listed twice")):
        with pytest.raises(InputError, match=message):
            write_qdpx(Project(name="p", attachments=names), tmp_path / "out.qdpx", tmp_path / "attachments")
        assert not (tmp_path / "out.qdpx").exists()


def _with_project(change):
    return lambda meta: {**meta, "project": change(dict(meta["project"]))}


@pytest.mark.parametrize("edit, words", [
    (lambda meta: [], ["not a theme_assist project file", "a list"]),
    (lambda meta: "x", ["not a theme_assist project file", "a string"]),
    (lambda meta: {**meta, "project": None}, ["project is null"]),
    (_with_project(lambda p: {**p, "sources": p["sources"] + [None]}), ["project.sources[1] is null"]),
    (_with_project(lambda p: {**p, "extras": [{"kind": "Notes", "xml": 5}]}), ["project.extras[0]: 'xml' is a number"]),
    (_with_project(lambda p: {**p, "attachments": "sources/photo.png"}), ["'attachments' is a string"]),
    (_with_project(lambda p: {**p, "attachments": [None]}), ["project.attachments[0] is null"]),
    (_with_project(lambda p: {**p, "users": [{"guid": USER, "attrs": {"id": 5}}]}), ["users[0].attrs: 'id'"]),
    (_with_project(lambda p: {**p, "codes": [{"guid": CODE}]}), ["project.codes[0] has no 'name'"]),
    (_with_project(lambda p: {**p, "sources": [{**p["sources"][0], "selections": [{"guid": "g", "start": "x",
                                                                                   "end": 1}]}]}),
     ["selections[0]: 'start' is 'x', not a whole number"]),
], ids=["list", "string", "null-project", "null-source", "xml-number", "attachments-string", "null-attachment",
        "attr-number", "code-without-name", "bad-start"])
def test_export_refuses_a_malformed_project_json_with_one_line(imported_folder, capsys, edit, words):
    edit_project_json(imported_folder, edit)
    assert_export_refused(imported_folder, capsys, "project.json", *words)


def test_cli_round_trip_of_a_selection_across_a_crlf_line_end(tmp_path):
    # codings.csv holds the selection's text with its \r\n; reading the CSV back turns that into \n, while the
    # offsets still count the \r: the export must take the row, not refuse it as shifted
    text = "I: How was it?\r\nP1: Hard. The clinic was far.\r\n"
    selection = (f'<PlainTextSelection guid="{G(200)}" startPosition="5" endPosition="25"><Coding guid="{G(201)}">'
                 f'<CodeRef targetGUID="{CODE}"/></Coding></PlainTextSelection>')
    project = small_project(selection).replace('name="t"><PlainTextContent>Hello world</PlainTextContent>',
                                               'name="t" plainTextPath="internal://t.txt">')
    write_zip(tmp_path / "crlf.qdpx", {"project.qde": project, "sources/t.txt": text})
    assert run_cli("import-qdpx", tmp_path / "crlf.qdpx", "--out", tmp_path / "one") == 0
    assert run_cli("export-qdpx", "--project", tmp_path / "one", "--out", tmp_path / "again.qdpx") == 0
    again = import_project(tmp_path / "again.qdpx", tmp_path / "two")
    assert again.codings[["start", "end", "text"]].values.tolist() == [[5, 25, "w was it?\r\nP1: Hard."]]


def test_cli_round_trip_keeps_the_windows_line_ends_of_a_selections_description(tmp_path):
    # codings.csv holds the description with its \r\n; reading the CSV back turns that into \n, which export-qdpx
    # took for an edited description and wrote instead of the imported one
    selection = (f'<PlainTextSelection guid="{G(210)}" startPosition="0" endPosition="5"><Description>why 😀&#13;\n'
                 f'here</Description><Coding guid="{G(211)}"><CodeRef targetGUID="{CODE}"/></Coding>'
                 '</PlainTextSelection>')
    write_zip(tmp_path / "memo.qdpx", {"project.qde": small_project(selection)})
    assert run_cli("import-qdpx", tmp_path / "memo.qdpx", "--out", tmp_path / "one") == 0
    assert run_cli("export-qdpx", "--project", tmp_path / "one", "--out", tmp_path / "again.qdpx") == 0
    again = import_project(tmp_path / "again.qdpx", tmp_path / "two")
    assert [selection.description for selection in again.project.text_sources[0].selections] == ["why 😀\r\nhere"]


@pytest.mark.parametrize("in_xml, in_zip", [("Caf\u00e9 \U0001F600.txt", "Cafe\u0301 \U0001F600.txt"),
                                            ("Cafe\u0301 \U0001F600.txt", "Caf\u00e9 \U0001F600.txt")])
def test_a_source_file_named_in_another_unicode_normal_form_is_read(tmp_path, in_xml, in_zip):
    """macOS names files decomposed (e and U+0301 for é): a source whose plainTextPath and archive entry spelt one
    name in two normal forms was kept aside unread ('the archive has no file'), its codings lost."""
    project = small_project().replace('name="t"><PlainTextContent>Hello world</PlainTextContent>',
                                      f'name="t" plainTextPath="internal://{in_xml}">')
    write_zip(tmp_path / "nfd.qdpx", {"project.qde": project, f"sources/{in_zip}": "Héllo 😀 world"})
    imported = import_project(tmp_path / "nfd.qdpx", tmp_path / "one")
    assert not imported.report.skipped and not imported.project.attachments
    assert imported.codings[["start", "end", "text"]].values.tolist() == [[0, 5, "Héllo"]]
    export_project(imported.codebook, imported.documents, imported.codings, out=tmp_path / "again.qdpx",
                   base=imported.project)
    again = import_project(tmp_path / "again.qdpx", tmp_path / "two")
    assert again.codings[["start", "end", "text"]].values.tolist() == [[0, 5, "Héllo"]]


@pytest.mark.parametrize("line_end", ["\n", "\r\n"])
def test_a_source_of_one_utterance_per_line_is_warned_of_as_a_plain_transcript_is(tmp_path, caplog, line_end):
    """A plain-text transcript without speaker labels, one utterance per line, is warned of (--unit sentence); the
    same text imported from a .qdpx (import-qdpx, project init --qdpx) was not: its turns were found elsewhere."""
    import logging

    from theme_assist.ingest import read_documents as read_transcripts
    from theme_assist.refi import read_project

    text = "".join(f"This is what I said {i}.{line_end}" for i in range(8))
    project = small_project("").replace('name="t"><PlainTextContent>Hello world</PlainTextContent>',
                                        'name="lines" plainTextPath="internal://t.txt">')
    write_zip(tmp_path / "lines.qdpx", {"project.qde": project, "sources/t.txt": text})
    (tmp_path / "lines.txt").write_text(text, encoding="utf-8", newline="")
    with caplog.at_level(logging.WARNING, logger="theme_assist"):
        read_project(tmp_path / "lines.qdpx")  # project init --qdpx
        assert run_cli("import-qdpx", tmp_path / "lines.qdpx", "--out", tmp_path / "imported") == 0
        read_transcripts(tmp_path / "lines.txt")
    said = [record.getMessage() for record in caplog.records if "no speaker labels" in record.getMessage()]
    assert len(said) == 3
    assert all("1 source (lines) has no speaker labels" in line and "`suggest` --unit sentence" in line
               for line in said[:2])
    assert "8 lines are read as 1 turn(s)" in said[2] and "give --unit sentence" in said[2]


def test_many_sources_of_one_utterance_per_line_are_warned_of_once(tmp_path, caplog):
    """Each such source of a .qdpx was warned of on a line of its own (30 sources, 30 lines), each telling the user
    to give import-qdpx a --unit it does not take."""
    import logging

    from theme_assist.codebook import Code, Codebook
    from theme_assist.documents import Document
    from theme_assist.ingest.speakers import parse_turns
    from theme_assist.refi import export_project, read_project

    text = "".join(f"This is what I said {i}.\r\n" for i in range(8))
    documents = [Document(id=f"d{i:02}", text=text, turns=parse_turns(text)) for i in range(30)]
    export_project(Codebook(name="cb", codes=[Code(id="hope", name="Hope", definition="hope")]), documents,
                   out=tmp_path / "many.qdpx")
    with caplog.at_level(logging.WARNING, logger="theme_assist"):
        read_project(tmp_path / "many.qdpx")
    (said,) = [record.getMessage() for record in caplog.records if "no speaker labels" in record.getMessage()]
    assert said.startswith("30 sources (e.g. d00, d01, d02, …) have no speaker labels")
    assert "give `project init` or `suggest` --unit sentence" in said


def test_guids_differing_in_case_or_braces_still_refer_and_repeated_guids_are_given_new_ones(tmp_path, capsys):
    def coding(number, code, user):
        return (f'<PlainTextSelection guid="{G(200)}" startPosition="{number}" endPosition="{number + 3}" '
                f'creatingUser="{user}"><Coding guid="{G(300 + number)}" creatingUser="{user}"><CodeRef '
                f'targetGUID="{code}"/></Coding></PlainTextSelection>')

    # a merged project: two codes share a guid, two selections share one (the schema forbids neither), and
    # references spell guids in lower case or in braces, as the schema allows
    selections = (coding(0, CODE.replace("2", "a"), USER) + coding(4, "{" + G(10) + "}", "{" + USER + "}")
                  + coding(8, G(10).upper(), ""))
    project = (small_project(selections)
               .replace(f'<Code guid="{CODE}"', f'<Code guid="{CODE.replace("2", "A")}"')
               .replace('isCodable="true"/>', f'isCodable="true"/><Code guid="{G(10)}" name="fear" isCodable="true"/>'
                                              f'<Code guid="{G(10)}" name="anger" isCodable="true"/>'))
    write_zip(tmp_path / "merged.qdpx", {"project.qde": project})
    assert run_cli("import-qdpx", tmp_path / "merged.qdpx", "--out", tmp_path / "one") == 0
    printed = " ".join(capsys.readouterr().out.split())
    assert "code 'anger' has the guid" in printed and "its codings stay with 'fear'" in printed
    assert "has the guid of an earlier selection" in printed
    first = read_base(tmp_path / "one" / "project.json")
    codings = import_project(tmp_path / "merged.qdpx", tmp_path / "two").codings
    assert codings[["start", "code", "coder"]].values.tolist() == [[0, "hope", "ann"], [4, "fear", "ann"],
                                                                   [8, "fear", ""]]
    assert len(set(codings["selection_guid"])) == 3

    assert run_cli("export-qdpx", "--project", tmp_path / "one", "--out", tmp_path / "again.qdpx") == 0
    again = import_project(tmp_path / "again.qdpx", tmp_path / "three")
    assert again.codings[["start", "code", "coder"]].values.tolist() == [[0, "hope", "ann"], [4, "fear", "ann"],
                                                                         [8, "fear", ""]]
    assert [c.guid for c in again.project.all_codes()] == [c.guid for c in first.all_codes()]
    with zipfile.ZipFile(tmp_path / "again.qdpx") as archive:
        assert 'creatingUser=""' not in archive.read("project.qde").decode()  # not a guid: the schema refuses it


def test_a_source_kept_aside_for_its_encoding_keeps_its_file_in_the_export(tmp_path):
    latin1 = "P1: Très bien, merci.\n".encode("latin-1")
    project = small_project().replace('name="t"><PlainTextContent>Hello world</PlainTextContent>',
                                      'name="t" plainTextPath="internal://t.txt">')
    write_zip(tmp_path / "latin1.qdpx", {"project.qde": project, "sources/t.txt": latin1})
    first = import_project(tmp_path / "latin1.qdpx", tmp_path / "one")
    assert any("not UTF-8" in line for line in first.report.skipped) and not first.documents
    assert run_cli("export-qdpx", "--project", tmp_path / "one", "--out", tmp_path / "again.qdpx") == 0
    with zipfile.ZipFile(tmp_path / "again.qdpx") as archive:
        assert archive.read("sources/t.txt") == latin1  # the raw TextSource still refers to it


def test_a_code_whose_guid_is_not_a_guid_keeps_its_codings_and_exports(tmp_path, capsys):
    project = small_project().replace(CODE, "3").replace(
        'isCodable="true"/>', 'isCodable="true"/><Code name="no guid" isCodable="true"/>', 1)
    write_zip(tmp_path / "lax.qdpx", {"project.qde": project})
    assert run_cli("import-qdpx", tmp_path / "lax.qdpx", "--out", tmp_path / "one") == 0
    printed = " ".join(capsys.readouterr().out.split())
    assert "code 'hope' has the guid '3', which is not a GUID: it gets the new guid" in printed
    assert "code 'no guid' has no guid: it gets the new guid" in printed
    assert run_cli("export-qdpx", "--project", tmp_path / "one", "--out", tmp_path / "again.qdpx") == 0  # was refused
    again = import_project(tmp_path / "again.qdpx", tmp_path / "two")
    assert again.codings[["text", "code"]].values.tolist() == [["Hello", "hope"]]
    assert not any("GUID" in note for note in again.report.notes)
