"""What a team takes out to a QDA program and back in keeps: document metadata (as REFI-QDA variables), a
one-code-per-segment codebook, and document ids with folders; every file written validates against the schema."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest

from theme_assist.cli import main
from theme_assist.codebook import load_codebook, save_codebook
from theme_assist.project import ProjectStore, create_project
from theme_assist.refi import export_project, import_project, read_project
from theme_assist.refi.convert import stable_guid
from theme_assist.refi.folder import read_base, read_documents

CODEBOOK = Path(__file__).resolve().parents[1] / "theme_assist" / "data" / "upsides.codebook.yaml"


@pytest.fixture(scope="module")
def project_schema(shared_dir):
    xmlschema = pytest.importorskip("xmlschema")
    return xmlschema.XMLSchema(str(shared_dir / "refi" / "Project-mrt2019.xsd"))


def run_cli(*args) -> int:
    with pytest.raises(SystemExit) as exit_info:
        main([str(arg) for arg in args])
    return exit_info.value.code


def qdpx_of(path: Path, sources: str, origin: str, before_sources: str = "", schema=None) -> Path:
    """A .qdpx at ``path`` holding a project of the ``sources`` XML, with ``origin``, and ``before_sources`` (its
    CodeBook, Variables, Cases) before them; checked against the REFI-QDA ``schema`` where given."""
    xml = ('<?xml version="1.0" encoding="utf-8"?><Project xmlns="urn:QDA-XML:project:1.0" name="p" '
           f'origin="{origin}">{before_sources}<Sources>{sources}</Sources></Project>')
    if schema is not None:
        schema.validate(xml)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.qde", xml)
    return path


def qde(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read("project.qde").decode("utf-8")


@pytest.fixture
def sites(tmp_path) -> tuple[Path, Path]:
    """Two sites' focus groups with the same file name, and their metadata."""
    folder = tmp_path / "transcripts"
    for site, said in (("butabika", "I was paid for peer support for the first time."),
                       ("ulm", "My mother – she understands now.")):
        (folder / site).mkdir(parents=True)
        (folder / site / "fg_01.txt").write_text(f"Moderator: What changed?\nP1: {said}\n", encoding="utf-8")
    metadata = tmp_path / "meta.csv"
    pd.DataFrame({"document": ["butabika/fg_01.txt", "ulm/fg_01.txt"], "site": ["Butabika", "Ulm"],
                  "country": ["Uganda", "Germany"], "income group": ["low", "NA"]}).to_csv(metadata, index=False)
    return folder, metadata


EXPECTED = {"butabika/fg_01": {"site": "Butabika", "country": "Uganda", "income group": "low"},
            "ulm/fg_01": {"site": "Ulm", "country": "Germany", "income group": "NA"}}


def test_export_qdpx_carries_metadata_ids_and_exclusivity_there_and_back(sites, tmp_path, project_schema, caplog):
    folder, metadata = sites
    codebook = load_codebook(CODEBOOK)
    codebook.exclusive = True
    save_codebook(codebook, tmp_path / "cb.yaml")
    out = tmp_path / "out.qdpx"
    assert run_cli("export-qdpx", "--codebook", tmp_path / "cb.yaml", "--documents", folder, "--recursive",
                   "--metadata", metadata, "--out", out) == 0
    project_schema.validate(qde(out))
    assert "<TextValue>Uganda</TextValue>" in qde(out) and 'typeOfVariable="Text"' in qde(out)
    back = tmp_path / "back"
    assert run_cli("import-qdpx", out, "--out", back) == 0
    assert sorted(p.relative_to(back / "documents").as_posix() for p in (back / "documents").rglob("*.txt")) == [
        "butabika/fg_01.txt", "ulm/fg_01.txt"]
    assert load_codebook(back / "codebook.yaml").exclusive is True
    table = pd.read_csv(back / "metadata.csv", dtype=str, keep_default_na=False)
    assert table.set_index("document").to_dict("index") == EXPECTED
    # the folder exports again as it came: same ids, variables declared once, values not repeated
    again = tmp_path / "again.qdpx"
    assert run_cli("export-qdpx", "--project", back, "--out", again) == 0
    project_schema.validate(qde(again))
    assert qde(again).count("<Variable ") == 3 and qde(again).count("<VariableValue>") == 6
    documents = read_project(again).documents
    assert {document.id: document.metadata for document in documents} == EXPECTED
    # an edited metadata.csv wins: a value changed, one emptied
    table.loc[0, "site"], table.loc[1, "country"] = "Kampala", ""
    table.to_csv(back / "metadata.csv", index=False)
    assert run_cli("export-qdpx", "--project", back, "--out", again, "--force") == 0
    edited = {document.id: document.metadata for document in read_project(again).documents}
    assert edited["butabika/fg_01"]["site"] == "Kampala" and "country" not in edited["ulm/fg_01"]
    assert qde(again).count("<Variable ") == 3
    # --metadata given: its table is joined instead of the import's (which is not read)
    other = tmp_path / "other.csv"
    pd.DataFrame({"document": ["butabika/fg_01", "ulm/fg_01"], "site": ["A", "B"]}).to_csv(other, index=False)
    (back / "metadata.csv").write_text("document,site\nnot_here,X\n", encoding="utf-8")  # would warn if read
    with caplog.at_level("WARNING"):
        assert run_cli("export-qdpx", "--project", back, "--metadata", other, "--out", again, "--force") == 0
    assert "unknown document" not in caplog.text
    assert {d.id: d.metadata["site"] for d in read_project(again).documents} == {"butabika/fg_01": "A",
                                                                                 "ulm/fg_01": "B"}


def test_a_project_goes_out_and_comes_back_as_it_was(sites, tmp_path, project_schema):
    """project init with metadata and an exclusive codebook → project export --qdpx → project init --qdpx: the
    documents keep their ids and metadata (discover --by site works), the codebook stays exclusive."""
    folder, metadata = sites
    codebook = load_codebook(CODEBOOK)
    codebook.exclusive = True
    with create_project(tmp_path / "a.taproj", codebook, input=folder, metadata=metadata, recursive=True):
        pass
    assert run_cli("project", "export", tmp_path / "a.taproj", "--qdpx", tmp_path / "a.qdpx") == 0
    project_schema.validate(qde(tmp_path / "a.qdpx"))
    with create_project(tmp_path / "b.taproj", qdpx=tmp_path / "a.qdpx") as store:
        assert store.codebook().exclusive is True
        documents = store.documents_with_text()
        assert {document.id: document.metadata for document in documents} == EXPECTED
        assert set(store.segments()["document"]) == set(EXPECTED)
    with ProjectStore(tmp_path / "a.taproj") as original:
        assert [d.text for d in documents] == [d.text for d in original.documents_with_text()]


def test_other_tools_files_keep_todays_names_and_stay_non_exclusive(tmp_path, project_schema):
    """A source named "Interview 3/4" by MAXQDA (its own guid) is still named by its last part; an origin other
    than theme_assist's says nothing about exclusivity; a path-like name made unsafe never leaves documents/."""
    texts = {"Interview 3/4": "A: one\n", "../../evil": "A: two\n", "butabika/fg_01": "A: three\n"}
    guids = {"Interview 3/4": "A" * 8 + "-AAAA-AAAA-AAAA-" + "A" * 12,
             "../../evil": stable_guid("source", "../../evil"),  # a crafted guid: the name is still unsafe
             "butabika/fg_01": "B" * 8 + "-BBBB-BBBB-BBBB-" + "B" * 12}
    sources = "".join(f'<TextSource guid="{guids[name]}" name="{name}"><PlainTextContent>{text}</PlainTextContent>'
                      "</TextSource>" for name, text in texts.items())
    path = qdpx_of(tmp_path / "other.qdpx", sources, "MAXQDA 2022; codebook: one code per segment")
    imported = import_project(path, tmp_path / "imported")
    assert [document.id for document in imported.documents] == ["4", "evil", "fg_01"]
    assert imported.codebook.exclusive is False
    assert sorted(p.name for p in (tmp_path / "imported" / "documents").iterdir()) == ["4.txt", "evil.txt",
                                                                                      "fg_01.txt"]


def test_variables_of_another_tool_import_as_metadata_and_go_back_unchanged(tmp_path, project_schema):
    """MAXQDA-style document variables (typed, one of them named like the metadata table's document column)."""
    site, age, document = (f"{c * 8}-{c * 4}-{c * 4}-{c * 4}-{c * 12}" for c in "123")
    value = '<VariableValue><VariableRef targetGUID="{}"/><{}>{}</{}></VariableValue>'
    source = ('<TextSource guid="AAAAAAAA-AAAA-AAAA-AAAA-AAAAAAAAAAAA" name="Interview 1"><PlainTextContent>A: hi'
              "</PlainTextContent>" + value.format(site, "TextValue", "Ulm", "TextValue")
              + value.format(age, "IntegerValue", "42", "IntegerValue")
              + value.format(document, "TextValue", "kept", "TextValue") + "</TextSource>")
    path = qdpx_of(tmp_path / "maxqda.qdpx", source, "MAXQDA",
                   '<CodeBook><Codes><Code guid="CCCCCCCC-CCCC-CCCC-CCCC-CCCCCCCCCCCC" name="c" isCodable="true"/>'
                   f'</Codes></CodeBook><Variables><Variable guid="{site}" name="site" typeOfVariable="Text">'
                   '<Description>where</Description>'
                   f'</Variable><Variable guid="{age}" name="age" typeOfVariable="Integer"/>'
                   f'<Variable guid="{document}" name="Document" typeOfVariable="Text"/></Variables>',
                   project_schema)
    folder = tmp_path / "imported"
    imported = import_project(path, folder)
    assert imported.documents[0].metadata == {"site": "Ulm", "age": "42"}
    out = tmp_path / "back.qdpx"
    export_project(load_codebook(folder / "codebook.yaml"), read_documents(folder / "documents"), out=out,
                   base=read_base(folder / "project.json"))
    written = qde(out)
    project_schema.validate(written)
    assert "<IntegerValue>42</IntegerValue>" in written and "<TextValue>kept</TextValue>" in written
    assert "<Description>where</Description>" in written and written.count("<VariableValue>") == 3
    # a value that does not fit the declared type is refused by name
    table = pd.read_csv(folder / "metadata.csv", dtype=str, keep_default_na=False)
    table.loc[0, "age"] = "forty"
    table.to_csv(folder / "metadata.csv", index=False)
    assert run_cli("export-qdpx", "--project", folder, "--out", tmp_path / "x.qdpx") == 2


def test_an_own_export_keeps_folder_ids_and_exclusivity(sites, tmp_path, project_schema):
    """No metadata: documents read with --recursive come back as butabika/fg_01 and ulm/fg_01 (not fg_01 and
    fg_01-2), in sub-folders of documents/ that an export of the folder reads back; an exclusive codebook stays so."""
    folder, _ = sites
    codebook = load_codebook(CODEBOOK)
    codebook.exclusive = True
    from theme_assist.ingest import read_documents as read_transcripts

    export_project(codebook, read_transcripts(folder, recursive=True), out=tmp_path / "a.qdpx")
    project_schema.validate(qde(tmp_path / "a.qdpx"))
    imported = import_project(tmp_path / "a.qdpx", tmp_path / "a")
    assert [document.id for document in imported.documents] == ["butabika/fg_01", "ulm/fg_01"]
    assert imported.codebook.exclusive is True
    assert [d.id for d in read_documents(tmp_path / "a" / "documents")] == ["butabika/fg_01", "ulm/fg_01"]
    assert run_cli("import-qdpx", tmp_path / "a.qdpx", "--out", tmp_path / "a", "--force") == 0  # its own folder
    codebook.exclusive = False
    export_project(codebook, read_transcripts(folder, recursive=True), out=tmp_path / "b.qdpx")
    assert import_project(tmp_path / "b.qdpx", tmp_path / "b").codebook.exclusive is False


def test_own_ids_that_cannot_be_files_keep_the_last_part(tmp_path):
    """Names with theme_assist's guid that documents/ cannot hold as folders: a file and a folder of one name
    (x from x.docx beside a folder x.txt/ read with --recursive) and ids thousands of folders deep are imported
    by their last part, as other tools' names are, instead of stopping the import."""
    deep = "/".join(["d"] * 1500)
    names = ["x", "x.txt/y", deep, "/".join(["e" * 99] * 45)]
    sources = "".join(f'<TextSource guid="{stable_guid("source", name)}" name="{name}"><PlainTextContent>A: {i}'
                      "</PlainTextContent></TextSource>" for i, name in enumerate(names))
    path = qdpx_of(tmp_path / "crafted.qdpx", sources, "theme_assist 0.1.0")
    imported = import_project(path, tmp_path / "imported")
    assert [document.id for document in imported.documents] == ["x", "y", "d", "e" * 99]
    assert {d.id: d.text for d in read_documents(tmp_path / "imported" / "documents")} == {
        "x": "A: 0", "y": "A: 1", "d": "A: 2", "e" * 99: "A: 3"}


def test_metadata_with_characters_xml_cannot_hold_is_exported(tmp_path, project_schema, caplog):
    """A vertical tab pasted from Word into a metadata cell (or a column name) is a line break in the .qdpx, as in
    every other text it writes; the export stopped with 'kept-aside <VariableValue> is not well-formed XML'."""
    folder = tmp_path / "transcripts"
    folder.mkdir()
    (folder / "i1.txt").write_text("Moderator: What changed?\nP1: I was paid.\n", encoding="utf-8")
    metadata = tmp_path / "meta.csv"
    metadata.write_text('document,site,"no\vte"\ni1.txt,"Bu\vtabika",x\fy\n', encoding="utf-8")
    out = tmp_path / "out.qdpx"
    assert run_cli("export-qdpx", "--codebook", CODEBOOK, "--documents", folder, "--metadata", metadata,
                   "--out", out) == 0
    project_schema.validate(qde(out))
    assert "3 character(s) that XML 1.0 cannot hold were replaced" in caplog.text
    assert read_project(out).documents[0].metadata == {"site": "Bu\ntabika", "no\nte": "x\ny"}


def test_force_keeps_texts_the_import_did_not_write(sites, tmp_path, capsys):
    """A transcript or memo added to documents/ (or a folder of it) is other work, though it ends in .txt:
    import-qdpx --force deleted it with the folder."""
    folder, _ = sites
    from theme_assist.ingest import read_documents as read_transcripts

    export_project(load_codebook(CODEBOOK), read_transcripts(folder, recursive=True), out=tmp_path / "a.qdpx")
    assert run_cli("import-qdpx", tmp_path / "a.qdpx", "--out", tmp_path / "a") == 0
    documents = tmp_path / "a" / "documents"
    (documents / "memos").mkdir()
    (documents / "memos" / "notes.txt").write_text("my notes", encoding="utf-8")
    (documents / "butabika" / "fg_02.txt").write_text("Mod: A new group.\n", encoding="utf-8")
    capsys.readouterr()
    assert run_cli("import-qdpx", tmp_path / "a.qdpx", "--out", tmp_path / "a", "--force") == 2
    assert ("also holds documents/butabika/fg_02.txt, documents/memos, documents/memos/notes.txt, which import-qdpx "
            "did not write") in capsys.readouterr().err
    assert (documents / "memos" / "notes.txt").read_text(encoding="utf-8") == "my notes"
    (documents / "butabika" / "fg_02.txt").unlink()
    (documents / "memos" / "notes.txt").unlink()
    (documents / "memos").rmdir()
    assert run_cli("import-qdpx", tmp_path / "a.qdpx", "--out", tmp_path / "a", "--force") == 0


def test_hidden_folders_of_an_imports_documents_are_no_documents(tmp_path):
    """Jupyter's .ipynb_checkpoints/ beside the texts was read as a document and would have been exported."""
    from theme_assist.refi.folder import read_documents

    documents = tmp_path / "imported" / "documents"
    (documents / "butabika").mkdir(parents=True)
    (documents / ".ipynb_checkpoints").mkdir()
    (documents / "butabika" / "fg_01.txt").write_text("P1: Hello.\n", encoding="utf-8")
    (documents / ".ipynb_checkpoints" / "fg_01-checkpoint.txt").write_text("P1: Hello.\n", encoding="utf-8")
    (documents / ".notes.txt").write_text("mine\n", encoding="utf-8")
    assert [document.id for document in read_documents(documents)] == ["butabika/fg_01"]


def test_case_variables_of_another_tool_are_the_metadata_of_its_sources(tmp_path, project_schema, caplog):
    """NVivo keeps attributes on cases: a case's values are the metadata of the sources it holds (by SourceRef,
    SelectionRef or a CodeRef coded in them); a source's own value wins, cases that disagree leave the value empty,
    each with a warning; the export writes the values back once, on the cases."""
    def g(n: int) -> str:
        return f"00000000-0000-0000-0000-{n:012d}"

    def value(variable: int, kind: str, text: str) -> str:
        return f'<VariableValue><VariableRef targetGUID="{g(variable)}"/><{kind}>{text}</{kind}></VariableValue>'

    def case(n: int, values: str, refs: str) -> str:  # the schema puts CodeRefs before the values
        code_refs = refs if refs.startswith("<CodeRef") else ""
        return f'<Case guid="{g(n)}" name="case {n}">{code_refs}{values}{refs[len(code_refs):]}</Case>'

    site, seen, consent, age = 1, 2, 3, 4
    variables = "".join(f'<Variable guid="{g(n)}" name="{name}" typeOfVariable="{kind}"/>' for n, name, kind in (
        (site, "site", "Text"), (seen, "interviewed", "Date"), (consent, "consent", "Boolean"),
        (age, "age", "Integer")))
    cases = "".join((
        case(30, value(site, "TextValue", "Butabika") + value(seen, "DateValue", "2019-05-01")
             + value(consent, "BooleanValue", "true") + value(age, "IntegerValue", "34") + value(site, "TextValue", ""),
             f'<SourceRef targetGUID="{g(40)}"/>'),
        case(31, value(site, "TextValue", "Ulm"), f'<SourceRef targetGUID="{g(41)}"/>'),
        case(32, value(site, "TextValue", "Berlin") + value(age, "IntegerValue", "51"),
             f'<CodeRef targetGUID="{g(20)}"/>'),
        case(33, value(site, "TextValue", "Porto"), f'<SelectionRef targetGUID="{g(50)}"/>'),
        case(34, value(site, "TextValue", "nowhere"), ""),  # a case without sources
        case(35, value(site, "TextValue", "Ulm"), f'<SourceRef targetGUID="{g(41)}"/>')))
    sources = (f'<TextSource guid="{g(40)}" name="i1"><PlainTextContent>A: one</PlainTextContent></TextSource>'
               f'<TextSource guid="{g(41)}" name="i2"><PlainTextContent>A: two</PlainTextContent>'
               f'<PlainTextSelection guid="{g(51)}" startPosition="0" endPosition="6"><Coding guid="{g(52)}">'
               f'<CodeRef targetGUID="{g(20)}"/></Coding></PlainTextSelection></TextSource>'
               f'<TextSource guid="{g(42)}" name="i3"><PlainTextContent>A: three</PlainTextContent>'
               f'<PlainTextSelection guid="{g(50)}" startPosition="0" endPosition="2"/>'
               f'{value(site, "TextValue", "Lisbon")}</TextSource>')
    path = qdpx_of(tmp_path / "nvivo.qdpx", sources, "NVivo",
                   f'<CodeBook><Codes><Code guid="{g(20)}" name="Berlin group" isCodable="true"/></Codes></CodeBook>'
                   f"<Variables>{variables}</Variables><Cases>{cases}</Cases>", project_schema)
    back = tmp_path / "imported"
    with caplog.at_level("WARNING"):
        assert run_cli("import-qdpx", path, "--out", back) == 0
    expected = {"i1": {"site": "Butabika", "interviewed": "2019-05-01", "consent": "true", "age": "34"},
                "i2": {"site": "", "interviewed": "", "consent": "", "age": "51"},
                "i3": {"site": "Lisbon", "interviewed": "", "consent": "", "age": ""}}
    table = pd.read_csv(back / "metadata.csv", dtype=str, keep_default_na=False)
    assert table.set_index("document").to_dict("index") == expected
    assert "site: left empty where a document's cases disagree: 'i2' ('Berlin' or 'Ulm')" in caplog.text
    assert "site: a document's own value wins over its cases': 'i3' ('Lisbon', cases 'Porto')" in caplog.text
    assert "nowhere" not in (back / "metadata.csv").read_text(encoding="utf-8")
    # the export keeps the values on the cases: variables declared once, no value copied onto a source
    again = tmp_path / "again.qdpx"
    assert run_cli("export-qdpx", "--project", back, "--out", again) == 0
    project_schema.validate(qde(again))
    assert qde(again).count("<Variable ") == 4
    assert qde(again).count("<VariableValue>") == qde(path).count("<VariableValue>")
    assert {d.id: d.metadata for d in read_project(again).documents} == {
        document: {name: value for name, value in values.items() if value} for document, values in expected.items()}
    # a case's value emptied in metadata.csv cannot be emptied on the source alone: said, not silently undone
    table.loc[0, "interviewed"], table.loc[2, "site"] = "", ""  # i3's own site emptied: its case's is left
    table.to_csv(back / "metadata.csv", index=False)
    caplog.clear()
    with caplog.at_level("WARNING"):
        assert run_cli("export-qdpx", "--project", back, "--out", again, "--force") == 0
    assert "interviewed: empty in the metadata, but given by the cases of 'i1' ('2019-05-01')" in caplog.text
    assert "site: empty in the metadata, but given by the cases of 'i3' ('Porto')" in caplog.text
    assert "'i2'" not in caplog.text  # i2's site, which its cases disagree on, was empty as imported


def test_typed_values_as_the_schema_writes_them_export_again(tmp_path, project_schema):
    """A date with a time zone is an xsd:date (as NVivo or MAXQDA may write it): its import was refused on export
    as 'not a Date value', so an unchanged import could not be exported."""
    variable, guid = "11111111-1111-1111-1111-111111111111", "AAAAAAAA-AAAA-AAAA-AAAA-AAAAAAAAAAAA"
    sources = (f'<TextSource guid="{guid}" name="i1"><PlainTextContent>A: hi</PlainTextContent><VariableValue>'
               f'<VariableRef targetGUID="{variable}"/><DateValue>2019-05-01+02:00</DateValue></VariableValue>'
               "</TextSource>")
    path = qdpx_of(tmp_path / "dated.qdpx", sources, "NVivo",
                   '<CodeBook><Codes><Code guid="CCCCCCCC-CCCC-CCCC-CCCC-CCCCCCCCCCCC" name="c" isCodable="true"/>'
                   f'</Codes></CodeBook><Variables><Variable guid="{variable}" name="interviewed" '
                   'typeOfVariable="Date"/></Variables>', project_schema)
    assert run_cli("import-qdpx", path, "--out", tmp_path / "imported") == 0
    assert run_cli("export-qdpx", "--project", tmp_path / "imported", "--out", tmp_path / "again.qdpx") == 0
    project_schema.validate(qde(tmp_path / "again.qdpx"))
    assert read_project(tmp_path / "again.qdpx").documents[0].metadata == {"interviewed": "2019-05-01+02:00"}


def test_variables_of_one_name_are_one_field(tmp_path, project_schema, caplog):
    """NVivo's attribute 'site' of a file classification and 'site' of a case classification are two variables of
    one name: the second one's values (here those of the cases) were not read, without a word."""
    on_files, on_cases = "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"

    def value(variable: str, text: str) -> str:
        return f'<VariableValue><VariableRef targetGUID="{variable}"/><TextValue>{text}</TextValue></VariableValue>'

    guids = {name: f"{c * 8}-{c * 4}-{c * 4}-{c * 4}-{c * 12}" for name, c in (("i1", "A"), ("i2", "B"), ("i3", "D"))}
    sources = "".join(f'<TextSource guid="{guids[name]}" name="{name}"><PlainTextContent>A: {name}</PlainTextContent>'
                      f"{own}</TextSource>" for name, own in (("i1", value(on_files, "Ulm")), ("i2", ""),
                                                              ("i3", value(on_files, "Lisbon"))))
    cases = "".join(f'<Case guid="{guid}">{value(on_cases, site)}<SourceRef targetGUID="{guids[name]}"/></Case>'
                    for guid, site, name in (("EEEEEEEE-EEEE-EEEE-EEEE-EEEEEEEEEEEE", "Berlin", "i2"),
                                             ("FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF", "Porto", "i3")))
    path = qdpx_of(tmp_path / "nvivo.qdpx", sources, "NVivo",
                   '<CodeBook><Codes><Code guid="CCCCCCCC-CCCC-CCCC-CCCC-CCCCCCCCCCCC" name="c" isCodable="true"/>'
                   f'</Codes></CodeBook><Variables><Variable guid="{on_files}" name="site" typeOfVariable="Text"/>'
                   f'<Variable guid="{on_cases}" name="site" typeOfVariable="Text"/></Variables>'
                   f"<Cases>{cases}</Cases>", project_schema)
    expected = {"i1": {"site": "Ulm"}, "i2": {"site": "Berlin"}, "i3": {"site": "Lisbon"}}
    with caplog.at_level("WARNING"):
        assert run_cli("import-qdpx", path, "--out", tmp_path / "imported") == 0
    assert "site: a document's own value wins over its cases': 'i3' ('Lisbon', cases 'Porto')" in caplog.text
    table = pd.read_csv(tmp_path / "imported" / "metadata.csv", dtype=str, keep_default_na=False)
    assert table.set_index("document").to_dict("index") == expected
    again = tmp_path / "again.qdpx"
    assert run_cli("export-qdpx", "--project", tmp_path / "imported", "--out", again) == 0
    project_schema.validate(qde(again))
    assert qde(again).count("<Variable ") == 2 and qde(again).count("<VariableValue>") == 4
    assert {d.id: d.metadata for d in read_project(again).documents} == expected
