"""SQLite files on a network file system: the embedding cache and a project use a rollback journal there, not the
write-ahead log (whose shared-memory index such file systems do not share between machines), and say so once."""

from __future__ import annotations

import logging
import sqlite3

import numpy as np
import pytest

from theme_assist import filesystems
from theme_assist.embed import EmbeddingCache
from theme_assist.filesystems import filesystem_type, journal_mode
from theme_assist.project import ProjectStore
from theme_assist.project.testing import make_project


@pytest.fixture
def shared_folder(tmp_path, monkeypatch):
    """``tmp_path/share`` listed as an NFS mount (its name with a space, escaped as /proc/mounts escapes it) inside
    the local file system that holds ``tmp_path``."""
    share = tmp_path / "lab share"
    share.mkdir()
    mounts = tmp_path / "mounts"
    escaped = str(share.resolve()).replace(" ", "\\040")
    mounts.write_text(f"/dev/sda1 / ext4 rw,relatime 0 0\nserver:/export {escaped} nfs4 rw,relatime 0 0\n"
                      f"tmpfs {escaped}/cache tmpfs rw 0 0\n", encoding="utf-8")
    monkeypatch.setattr(filesystems, "MOUNTS", mounts)
    return share


def mode_of(path) -> str:
    connection = sqlite3.connect(path)
    try:
        return connection.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        connection.close()


def test_the_file_system_of_a_path_is_that_of_its_nearest_mount_point(shared_folder, tmp_path):
    assert filesystem_type(shared_folder) == "nfs4"
    assert filesystem_type(shared_folder / "not yet" / "made.sqlite") == "nfs4"  # the nearest folder that exists
    (shared_folder / "cache").mkdir()
    assert filesystem_type(shared_folder / "cache" / "embeddings.sqlite") == "tmpfs"  # a mount inside the share
    assert filesystem_type(tmp_path / "elsewhere") == "ext4"


def test_without_a_list_of_mounts_the_write_ahead_log_is_used(tmp_path, monkeypatch):
    monkeypatch.setattr(filesystems, "MOUNTS", tmp_path / "no such file")
    assert filesystem_type(tmp_path) is None
    assert journal_mode(tmp_path, "the cache") == "WAL"


def test_the_embedding_cache_on_a_network_file_system_uses_a_rollback_journal_and_says_so_once(shared_folder,
                                                                                             caplog):
    cache = EmbeddingCache(shared_folder / "embeddings.sqlite")
    with caplog.at_level(logging.WARNING, logger="theme_assist.filesystems"):
        cache.put_many("model", {"a": np.ones(3, dtype=np.float32)})
        assert list(cache.get_many("model", ["a"])) == ["a"]
    assert mode_of(shared_folder / "embeddings.sqlite") == "delete"
    assert not (shared_folder / "embeddings.sqlite-wal").exists()
    warnings = [record.getMessage() for record in caplog.records]
    assert len(warnings) == 1 and "network file system (nfs4)" in warnings[0] and "embedding cache" in warnings[0]


def test_a_local_embedding_cache_keeps_the_write_ahead_log(tmp_path, shared_folder, caplog):
    cache = EmbeddingCache(tmp_path / "embeddings.sqlite")
    with caplog.at_level(logging.WARNING, logger="theme_assist.filesystems"):
        cache.put_many("model", {"a": np.ones(3, dtype=np.float32)})
    assert mode_of(tmp_path / "embeddings.sqlite") == "wal"
    assert not caplog.records


def test_a_project_moved_to_a_network_file_system_leaves_the_write_ahead_log(tmp_path, shared_folder, caplog):
    make_project(tmp_path / "study.taproj").close()
    assert mode_of(tmp_path / "study.taproj") == "wal"
    moved = shared_folder / "study.taproj"
    (tmp_path / "study.taproj").rename(moved)
    with caplog.at_level(logging.WARNING, logger="theme_assist.filesystems"):
        with ProjectStore(moved) as store:
            segments = store.segments()
    assert not segments.empty
    assert mode_of(moved) == "delete"
    assert any("project" in record.getMessage() and "nfs4" in record.getMessage() for record in caplog.records)


def test_a_project_open_elsewhere_in_the_write_ahead_log_still_opens_on_a_network_file_system(tmp_path,
                                                                                           shared_folder):
    """Leaving the write-ahead log needs the file to itself: while another connection holds it (a review page
    served from a WAL-mode project), the project opens as it is rather than being called no project file."""
    local = tmp_path / "study.taproj"
    make_project(local).close()
    moved = shared_folder / "study.taproj"
    local.rename(moved)
    other = sqlite3.connect(moved)
    try:
        other.execute("SELECT count(*) FROM segments").fetchone()
        other.execute("BEGIN")
        other.execute("SELECT count(*) FROM segments").fetchone()  # a read transaction held open
        with ProjectStore(moved) as store:
            assert not store.segments().empty
    finally:
        other.close()


def test_of_mounts_stacked_on_one_point_the_last_listed_is_the_one(tmp_path, monkeypatch):
    """An automount listed first and the NFS share it mounts after: the share is on top (the first listed won, and
    a project on the share stayed in WAL mode)."""
    data = tmp_path / "data"
    data.mkdir()
    mounts = tmp_path / "mounts"
    mounts.write_text(f"/dev/sda1 / ext4 rw 0 0\n/etc/auto.direct {data} autofs rw 0 0\n"
                      f"server:/data {data} nfs4 rw 0 0\n", encoding="utf-8")
    monkeypatch.setattr(filesystems, "MOUNTS", mounts)
    assert filesystem_type(data / "study.taproj") == "nfs4"


@pytest.mark.parametrize("name", ["Łódź share", "研究 share", "café share"])
def test_a_mount_point_of_any_letters_is_found(tmp_path, monkeypatch, name):
    """/proc/mounts escapes spaces (\\040) and writes other letters as they are: a point outside Latin-1 never
    matched."""
    share = tmp_path / name
    share.mkdir()
    mounts = tmp_path / "mounts"
    mounts.write_text(f"/dev/sda1 / ext4 rw 0 0\nserver:/x {str(share).replace(' ', chr(92) + '040')} nfs rw 0 0\n",
                      encoding="utf-8")
    monkeypatch.setattr(filesystems, "MOUNTS", mounts)
    assert filesystem_type(share / "embeddings.sqlite") == "nfs"


def test_a_project_opened_through_a_link_is_journalled_as_its_file(tmp_path, shared_folder):
    make_project(shared_folder / "study.taproj").close()
    link = tmp_path / "study.taproj"
    link.symlink_to(shared_folder / "study.taproj")
    with ProjectStore(link) as store:
        assert not store.segments().empty
    assert mode_of(shared_folder / "study.taproj") == "delete"


def test_a_new_file_that_another_connection_switches_to_the_write_ahead_log_at_once_is_switched(tmp_path):
    """The jobs of an array started together on a new THEME_ASSIST_CACHE: of two connections switching it to the
    write-ahead log at once, SQLite answered one "database is locked" without waiting, and that job stopped, told to
    delete the cache the others were filling."""
    path = tmp_path / "embeddings.sqlite"

    class SwitchedByAnotherAtOnce:
        def __init__(self):
            self.connection, self.refused = sqlite3.connect(path), 0

        def execute(self, statement):
            if statement.startswith("PRAGMA journal_mode") and self.refused < 2:
                self.refused += 1
                raise sqlite3.OperationalError("database is locked")
            return self.connection.execute(statement)

    connection = SwitchedByAnotherAtOnce()
    filesystems.set_journal_mode(connection, "WAL")
    connection.connection.close()
    assert connection.refused == 2 and mode_of(path) == "wal"
