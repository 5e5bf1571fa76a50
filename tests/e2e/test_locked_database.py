"""End to end: ``screenpop`` started while another program holds the local database.

The app waits its busy timeout (5 s), then says the database is in use and exits 7; the file
stays where it is, with the note that waited in it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from app.services.store import DATABASE_FILE_NAME, LocalStore
from tests.fixtures.store_files import held_by_another_process
from tests.sources.processes import REPO

NUMBER = "+918302390884"


def test_the_app_reports_a_database_in_use_and_moves_nothing(tmp_path: Path) -> None:
    store = LocalStore.in_profile(tmp_path)
    store.enqueue("note", NUMBER, {"content": "Call back after the meeting"})
    store.close()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    with held_by_another_process(tmp_path / DATABASE_FILE_NAME, "PRAGMA locking_mode=EXCLUSIVE"):
        result = subprocess.run([sys.executable, "-m", "app", "--profile", str(tmp_path)],
                                cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
                                check=False)
    assert result.returncode == 7, result.stderr
    assert "is in use by another program" in result.stderr
    assert "Traceback" not in result.stderr
    assert [p.name for p in tmp_path.iterdir() if "damaged" in p.name] == []
    store = LocalStore.in_profile(tmp_path)
    assert [item.payload["content"] for item in store.outbox_items()] == [
        "Call back after the meeting"]
    store.close()
