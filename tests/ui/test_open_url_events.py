"""macOS: the tel: link that launches the app arrives as a QFileOpenEvent before the session
exists; it waits and pops once the session runs (synthetic events, the real QApplication and
the real session)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtWidgets import QApplication

from app.sandbox.server import SandboxServer
from app.ui.open_url_events import EarlyCallLinks
from tests.fixtures.qt_async import wait_until
from tests.ui.conftest import quiesce
from tests.ui.test_session import (  # noqa: F401 (make_session is a fixture)
    KNOWN,
    RunAsync,
    SessionFactory,
    _demo_overrides,
    make_session,
)


@pytest.fixture
def early_links(qapp: QApplication) -> Iterator[EarlyCallLinks]:
    early = EarlyCallLinks(qapp)
    yield early
    qapp.removeEventFilter(early)


def _open(link: str) -> None:
    QApplication.postEvent(QApplication.instance(), QFileOpenEvent(QUrl(link)))


def test_the_link_that_launched_the_app_pops_once_the_session_runs(
        early_links: EarlyCallLinks, make_session: SessionFactory,  # noqa: F811 (fixture)
        run_async: RunAsync,
        sandbox: SandboxServer) -> None:
    _open("tel:+91-98765-43210")
    _open("/Users/agent/notes.txt")  # a file: not a call link, not kept

    async def delivered_before_any_session() -> None:
        await wait_until(lambda: early_links.waiting)

    run_async(delivered_before_any_session())
    assert early_links.waiting == ["tel:+91-98765-43210"]
    session = make_session(_demo_overrides(sandbox))
    session.url_open.install(QApplication.instance())  # as build_session does on macOS
    early_links.hand_over(session.url_open.open_link)

    async def shown() -> None:
        await wait_until(lambda: session.window.status == "found")
        await quiesce()

    run_async(shown())
    assert (session.state()["number"], session.state()["source"]) == (KNOWN, "tel-link")
    assert early_links.waiting == []


def test_links_past_the_limit_are_dropped_not_kept_without_bound(
        early_links: EarlyCallLinks) -> None:
    app = QApplication.instance()
    for _ in range(20):
        assert early_links.eventFilter(app, QFileOpenEvent(QUrl("tel:+919876543210")))
    assert len(early_links.waiting) == 16
    opened: list[str] = []
    early_links.hand_over(opened.append)
    assert len(opened) == 16
    # Handed over: the session's own filter takes later links; this one no longer sees them.
    _open("tel:+919876543210")
    QApplication.sendPostedEvents()
    assert early_links.waiting == []
