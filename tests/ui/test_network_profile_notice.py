"""A profile on a network folder (issue 13), in the whole app: said once, in the log and in the
window, naming the folder and what IT should change; the real store runs without WAL there.
Only the OS calls that tell a network folder are faked (each OS's own, so this runs on each)."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.core import network_folder
from app.core.field_mapping import default_mapping
from app.services import mapping_store
from app.services.store import DATABASE_FILE_NAME
from app.ui import status_notices
from tests.ui.test_session import SessionFactory, make_session  # noqa: F401 (the fixture)


@pytest.fixture
def profile_on_a_share(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(network_folder, "_linux_mount_table",
                        lambda: "1 0 0:50 / / rw - cifs //files01/home rw\n")
    monkeypatch.setattr(network_folder, "_macos_fs_type", lambda _path: "smbfs")
    monkeypatch.setattr(network_folder, "_windows_drive_type",
                        lambda _root: network_folder.DRIVE_REMOTE)


def test_a_profile_on_a_share_is_said_once_and_the_store_avoids_wal(
        make_session: SessionFactory, profile_on_a_share: None,  # noqa: F811
        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="app.session"):
        session = make_session()
    profile = session.profile_dir
    shown = session.window.statusBar().currentMessage()
    assert f"Screen-Pop's profile folder {profile} is on " in shown
    assert "IT: " in shown
    assert "--profile" in shown
    said = [r.getMessage() for r in caplog.records if "profile folder" in r.getMessage()]
    assert said == [shown]  # once, and the same words
    with sqlite3.connect(Path(profile) / DATABASE_FILE_NAME) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_a_local_profile_says_nothing(make_session: SessionFactory,  # noqa: F811
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(network_folder, "_linux_mount_table",
                        lambda: "1 0 8:1 / / rw - ext4 /dev/sda1 rw\n")
    session = make_session()
    assert "profile folder" not in session.window.statusBar().currentMessage()
    assert session.store.journal_mode == "WAL"


def test_beside_a_mapping_warning_both_are_shown(
        make_session: SessionFactory, profile_on_a_share: None,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch, qtbot: QtBot) -> None:
    broken = "The saved field mapping could not be used, so the standard one is shown instead."
    monkeypatch.setattr(mapping_store, "load_active_mapping",
                        lambda *_a, **_k: (default_mapping(), broken))
    monkeypatch.setattr(status_notices, "NOTICE_MS", 100)
    window = make_session().window
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith(
        "Screen-Pop's profile folder "))
    # One after the other: the mapping warning first, then the network notice (which stays).
    assert broken not in window.statusBar().currentMessage()


def test_a_switch_that_did_not_happen_is_what_the_window_says(
        make_session: SessionFactory, profile_on_a_share: None,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The -wal could not be removed (on Windows: a scanner holding it open). What SQLite does
    # then is proven for real in tests/services/test_store_network.py; here only the window.
    from app.services.store import LocalStore

    switch = LocalStore._set_journal_mode

    def held_open(store: LocalStore, db: sqlite3.Connection) -> None:
        switch(store, db)
        store.wal_left, store._journal_mode = store.path.with_name("x.sqlite3-wal"), "WAL"

    monkeypatch.setattr(LocalStore, "_set_journal_mode", held_open)
    session = make_session()
    shown = session.window.statusBar().currentMessage()
    assert f"{session.store.wal_left} could not be removed" in shown
