"""settings.ini has one reading: the Qt-free reader, used by the app's Settings, the credentials,
``screenpop lookup`` and ``screenpop pop``. Odd files (a section or key twice, a BOM, bytes that
are not UTF-8, junk lines, an unknown region) give the same answer everywhere, with a warning."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QSettings

from app.commands import lookup, pop
from app.services.credentials import read_stored_account
from app.services.settings import Settings
from app.services.settings_file import SETTINGS_FILE_NAME, read_settings_file, unescape_value

A = "https://a.example"
B = "https://b.example"

# file bytes -> (brand_url, user_id, default_region), the one answer, and a warning's words
CASES = {
    "duplicated General": (f"[General]\nbrand_url={A}\n[General]\nuser_id=7\n".encode(),
                           (A, "7", "IN"), "appears more than once"),
    "duplicated key": (f"[General]\nbrand_url={A}\nuser_id=1\nbrand_url={B}\n".encode(),
                       (B, "1", "IN"), "the later one counts"),
    "region in the second General": (b"[General]\ndefault_region=IN\nuser_id=3\n"
                                     b"[Other]\nx=1\n[general]\ndefault_region=gb\n",
                                     ("", "3", "GB"), "appears more than once"),
    "BOM": (f"\ufeff[General]\r\nbrand_url={A}\r\nuser_id=2\r\n".encode(),
            (A, "2", "IN"), None),
    "not UTF-8": (b"[General]\nbrand_url=https://caf\xe9.example\nuser_id=5\n",
                  ("https://caf\ufffd.example", "5", "IN"), "not UTF-8"),
    "junk lines": (f"junk line\n[General]\nthis is junk\nbrand_url = {A} ; a comment\n"
                   f"; comment=1\nuser_id=\"1,2\"\n".encode(), (A, "1,2", "IN"),
                   "line 3 is not 'name=value'"),
    "keys before any section": (f"brand_url={A}\n[Other]\nuser_id=9\n".encode(),
                                (A, "", "IN"), None),
    "unknown region": (b"[General]\ndefault_region=XX\n", ("", "", "IN"),
                       "'XX' is not a country code"),
}


def write(profile: Path, content: bytes) -> None:
    (profile / SETTINGS_FILE_NAME).write_bytes(content)


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_reader_gives_the_one_answer(tmp_path: Path, case: str) -> None:
    content, answer, _ = CASES[case]
    write(tmp_path, content)
    settings = Settings(tmp_path)
    stored = read_stored_account(tmp_path)
    assert (settings.brand_url, settings.user_id, settings.default_region) == answer
    assert (stored.brand_url, stored.user_id) == answer[:2]
    assert pop.profile_region(tmp_path) == answer[2]
    assert lookup.saved_settings(tmp_path).region() == answer[2]


@pytest.mark.parametrize("case", sorted(CASES))
def test_an_odd_file_is_warned_about(tmp_path: Path, case: str,
                                     caplog: pytest.LogCaptureFixture) -> None:
    content, _, words = CASES[case]
    write(tmp_path, content)
    file = read_settings_file(tmp_path / SETTINGS_FILE_NAME)
    warned: list[str] = []
    file.region(warned.append)
    warnings = [*file.warnings, *warned]
    if words is None:
        assert warnings == []
    else:
        assert any(words in warning for warning in warnings), warnings
        with caplog.at_level(logging.WARNING):
            _ = Settings(tmp_path).default_region
        assert words in caplog.text


@pytest.mark.parametrize("value", [
    "https://bücher.example", "12,34", 'x"y', "semi;colon", "back\\slash", "tab\there",
    "#hash", "@at", "=eq", " lead space", "", '"quoted"', "日本", "12345, with comma",
    # Characters str.splitlines() breaks on, which QSettings writes raw or escaped: a value
    # must never split into a second line (a second key, such as brand_url).
    "42\u2028brand_url=https://evil.example", "42\u2029x=1", "42\x85brand_url=https://e.example",
    "a\x0bb", "a\x0cb", "a\x1cb", "a\x1db", "a\x1eb", "nul\x00here", "line\nbreak", "cr\rhere"])
def test_what_the_app_writes_is_read_back_unchanged(tmp_path: Path, value: str) -> None:
    Settings(tmp_path).user_id = value  # written through QSettings, as the app does
    assert read_settings_file(tmp_path / SETTINGS_FILE_NAME).values["user_id"] == value


@pytest.mark.parametrize(("raw", "text"), [
    ('"a, b" ; comment', "a, b"), ("a, b", "a,b"), ("@ByteArray(QUJD)", "QUJD"),
    (r"\x41\x42", "AB"), (r"a\x41b", "a\u041b"), ("@@x", "@x"),
    (r'"@String(nul\0x, y)"', "nul\0x, y"), (r'"@ByteArray(q\0,w)"', "q\0,w"),
    ("@@a, @@b", "@a,@b"), ("a\x85", "a\x85"), ("\xa0a ", "\xa0a")])
def test_values_unescape_as_qsettings_reads_them(raw: str, text: str) -> None:
    assert unescape_value(raw) == text


def test_a_missing_or_unreadable_file_is_empty(tmp_path: Path) -> None:
    assert read_settings_file(tmp_path / SETTINGS_FILE_NAME).values == {}
    (tmp_path / SETTINGS_FILE_NAME).mkdir()  # a folder where the file should be
    file = read_settings_file(tmp_path / SETTINGS_FILE_NAME)
    assert file.values == {}
    assert "cannot be read" in file.warnings[0]


def test_a_value_that_cannot_be_written_is_still_used_for_this_run(tmp_path: Path) -> None:
    (tmp_path / SETTINGS_FILE_NAME).mkdir()  # QSettings cannot write there (even as root)
    settings = Settings(tmp_path)
    settings.dedupe_seconds = 7
    assert settings.dedupe_seconds == 7


# The deliberate differences from QSettings' reading (listed in the module) are values the app
# never writes into a setting; a lone surrogate cannot be written at all.
@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.text(max_size=24))
def test_any_text_written_through_qsettings_reads_back_unchanged(tmp_path: Path,
                                                                 value: str) -> None:
    path = tmp_path / SETTINGS_FILE_NAME
    qsettings = QSettings(str(path), QSettings.Format.IniFormat)
    qsettings.clear()
    qsettings.setValue("brand_url", A)
    qsettings.setValue("user_id", value)
    qsettings.sync()
    assert qsettings.status() == QSettings.Status.NoError
    del qsettings
    # QSettings itself drops one leading BOM of a value when it writes it.
    written = value.removeprefix("\ufeff")
    assert QSettings(str(path), QSettings.Format.IniFormat).value("user_id") == written
    assert read_settings_file(path).values == {"brand_url": A, "user_id": written}


def test_a_write_after_a_failed_one_is_saved_with_what_could_not_be_saved(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # QSettings keeps its first error for good: every later write looked failed, and the
    # values kept in memory outlived the run's later hand edits.
    (tmp_path / SETTINGS_FILE_NAME).mkdir()
    settings = Settings(tmp_path)
    with caplog.at_level(logging.WARNING):
        settings.dedupe_seconds = 7
    assert "could not be written" in caplog.text
    (tmp_path / SETTINGS_FILE_NAME).rmdir()  # the profile is writable again
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        settings.cache_seconds = 50
    assert "could not be written" not in caplog.text
    saved = read_settings_file(tmp_path / SETTINGS_FILE_NAME).values
    assert (saved.get("dedupe_seconds"), saved.get("cache_seconds")) == ("7", "50")
    assert (Settings(tmp_path).dedupe_seconds, Settings(tmp_path).cache_seconds) == (7, 50)


def test_the_file_is_read_once_not_at_every_pop(tmp_path: Path) -> None:
    # Every read stat()ed the file on the GUI thread (2-3 times a pop), and a hand edit
    # reached direct reads but not watch()ers. Now: read once, again after our own write.
    write(tmp_path, f"[General]\nbrand_url={A}\npop_behaviour=tray_only\n".encode())
    settings = Settings(tmp_path)
    watched: list[object] = []
    settings.watch("pop_behaviour", watched.append)
    assert settings.pop_behaviour == "tray_only"
    write(tmp_path, f"[General]\nbrand_url={B}\npop_behaviour=raise\n".encode())  # hand edit
    assert (settings.pop_behaviour, settings.brand_url) == ("tray_only", A)
    (tmp_path / SETTINGS_FILE_NAME).unlink()
    assert (settings.pop_behaviour, settings.brand_url) == ("tray_only", A)
    settings.set_window_geometry("screens-1-x", b"geometry")
    assert (settings.pop_behaviour, settings.brand_url) == ("tray_only", A)
    assert watched == []


def test_a_warning_about_the_file_is_logged_once(tmp_path: Path,
                                                caplog: pytest.LogCaptureFixture) -> None:
    # Each write (a window move saves its geometry) made the next pop read and warn again.
    (tmp_path / SETTINGS_FILE_NAME).mkdir()  # unreadable, and every write fails
    settings = Settings(tmp_path)
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            _ = settings.pop_behaviour
            settings.set_window_geometry("screens-1-x", b"geometry")
        settings.dedupe_seconds = 7  # our own write: the file is read again
        assert (settings.dedupe_seconds, settings.pop_behaviour) == (7, "raise")
    assert caplog.text.count("cannot be read") == 1


def test_an_unknown_region_is_refused_on_set_and_read_as_the_default_from_the_file(
        tmp_path: Path) -> None:
    # The refusal once said "numbers without a country code are read as IN", which is what
    # reading the file does, not what a refused setting does.
    with pytest.raises(ValueError, match="'xx' is not a country code") as caught:
        Settings(tmp_path).set_value("default_region", "xx")
    assert "read as" not in str(caught.value)
    write(tmp_path, b"[General]\ndefault_region=XX\n")
    warned: list[str] = []
    assert read_settings_file(tmp_path / SETTINGS_FILE_NAME).region(warned.append) == "IN"
    assert "numbers without a country code are read as IN" in warned[0]


HAND_WRITTEN = {
    **{name: content for name, (content, _, _) in CASES.items()},
    "escapes and quotes": (b'[General]\na="x, y" ; c\nb=\\x41\\t\\"q\\"\nc=@@at\n'
                           b'd="@String(n\\0)"\n'),
    "blanks QSettings keeps": "[General]\na=\x85x\u2028\nb=\xa0y\n\tc = z \t\n".encode(),
    "CR line ends": b"[General]\ra=1\r\nb=2\rc=3",
    "another section": b"[Other]\na=1\n[General]\nb=2\n",
}


@pytest.mark.parametrize("case", sorted(HAND_WRITTEN))
def test_our_reader_agrees_with_qsettings_on_hand_written_files(tmp_path: Path,
                                                                case: str) -> None:
    # The deliberate differences (listed in the module) are left out: lists are compared
    # joined with "," as Settings reads them.
    path = tmp_path / SETTINGS_FILE_NAME
    path.write_bytes(HAND_WRITTEN[case])
    qsettings = QSettings(str(path), QSettings.Format.IniFormat)
    theirs: dict[str, object] = {}
    for key in qsettings.allKeys():
        value = qsettings.value(key)
        theirs[key] = ",".join(value) if isinstance(value, list) else value
    assert read_settings_file(path).values == theirs
