"""macOS tel: links: a QFileOpenEvent on the application becomes a pop (offscreen, in-process)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QCoreApplication, QUrl
from PySide6.QtGui import QFileOpenEvent
from pytestqt.qtbot import QtBot

from app.core.pop_request import PopRequest
from app.sources.url_open import SOURCE, UrlOpenFilter


@pytest.fixture
def url_filter(qapp: QCoreApplication) -> Iterator[UrlOpenFilter]:
    url_filter = UrlOpenFilter()
    url_filter.install(qapp)
    yield url_filter
    url_filter.uninstall(qapp)


@pytest.mark.parametrize("link", [
    "tel:+91-83023-90884", "TEL:08302390884", "tel:%2B918302390884",
    "tel:+918302390884;phone-context=+91", "callto:+918302390884",
    "sip:+918302390884@pbx.example.com",
])
def test_a_posted_file_open_event_pops_the_number(qtbot: QtBot, qapp: QCoreApplication,
                                                  url_filter: UrlOpenFilter, link: str) -> None:
    # Posted, as macOS delivers it through the event loop.
    with qtbot.waitSignal(url_filter.popRequested, timeout=3000) as blocker:
        QCoreApplication.postEvent(qapp, QFileOpenEvent(QUrl(link)))
    assert blocker.args == [PopRequest("+918302390884", source=SOURCE)]


def test_the_event_is_consumed_only_for_call_links(qapp: QCoreApplication,
                                                   url_filter: UrlOpenFilter) -> None:
    pops: list[PopRequest] = []
    url_filter.popRequested.connect(pops.append)
    assert url_filter.eventFilter(qapp, QFileOpenEvent(QUrl("tel:08302390884"))) is True
    assert url_filter.eventFilter(qapp, QFileOpenEvent(QUrl("https://example.com/0830239088")))\
        is False
    assert url_filter.eventFilter(qapp, QFileOpenEvent("/tmp/08302390884.txt")) is False
    assert [p.number for p in pops] == ["+918302390884"]


def test_a_link_without_a_valid_number_is_rejected_plainly(
        qtbot: QtBot, qapp: QCoreApplication, url_filter: UrlOpenFilter) -> None:
    pops: list[PopRequest] = []
    url_filter.popRequested.connect(pops.append)
    with qtbot.waitSignal(url_filter.linkRejected, timeout=3000) as blocker:
        QCoreApplication.sendEvent(qapp, QFileOpenEvent(QUrl("tel:12345")))
    assert blocker.args == ["The link does not hold a valid phone number: '12345'"]
    assert pops == []


def test_the_region_setting_applies(qapp: QCoreApplication, url_filter: UrlOpenFilter) -> None:
    url_filter.set_default_region("GB")
    request = url_filter.open_link("tel:020-7219-3000")
    assert request is not None
    assert request.number == "+442072193000"
