"""Fixtures for mail tests: a real Dovecot and a real SMTP server on loopback.

One server of each kind runs per test session (per xdist worker); every test gets a fresh
mail user (empty INBOX) and an empty SMTP inbox, and finds both servers running again
even if the previous test stopped them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from .servers import DovecotMissing, DovecotServer, ImapAccount, SmtpServer


def _missing(what: str) -> NoReturn:
    """Something a test needs is not installed: an error under CI, a skip elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(f"CI is set and {what}")
    pytest.skip(what)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests that need Dovecot, so ``-m "not dovecot"`` leaves them out."""
    for item in items:
        if "dovecot_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.dovecot)


@pytest.fixture(scope="session")
def dovecot_server() -> Iterator[DovecotServer]:
    try:
        server = DovecotServer()
    except DovecotMissing as exc:
        _missing(str(exc))
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def dovecot(dovecot_server: DovecotServer) -> ImapAccount:
    """A new mail user on the session's Dovecot: ``.append()``, ``.list_uids()``, ``.stop()``…"""
    dovecot_server.start()
    user, password = dovecot_server.new_account()
    return ImapAccount(dovecot_server, user, password)


@pytest.fixture(scope="session")
def _smtp_session() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp_server(_smtp_session: SmtpServer) -> SmtpServer:
    """The session's SMTP server, running, accepting, with no messages received yet."""
    _smtp_session.start()
    _smtp_session.respond_with = None
    _smtp_session.on_data = None
    _smtp_session.clear()
    return _smtp_session


# --- real-world mail kept outside the project (see ../shared/mail-corpus/README.md) ------


def _find_corpus() -> Path:
    """``shared/mail-corpus`` beside the checkout (a worktree may sit one level deeper)."""
    override = os.environ.get("HELPDESK_MAIL_CORPUS")
    if override:
        return Path(override)
    here = Path(__file__).resolve()
    for parent in here.parents[3:]:
        candidate = parent / "shared" / "mail-corpus"
        if candidate.is_dir():
            return candidate
    return here.parents[3] / "shared" / "mail-corpus"


MAIL_CORPUS = _find_corpus()
_CORPUS_ARGUMENTS = {"mail_parser_file": "mail-parser", "reply_parser_file": "email-reply-parser"}


@pytest.fixture
def mail_corpus() -> Path:
    """The corpus root; each folder holds messages from another project's test suite."""
    if not MAIL_CORPUS.is_dir():
        _missing(f"the mail corpus is not at {MAIL_CORPUS}")
    return MAIL_CORPUS


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run a test taking ``mail_parser_file`` / ``reply_parser_file`` once per corpus file."""
    for argument, folder_name in _CORPUS_ARGUMENTS.items():
        if argument not in metafunc.fixturenames:
            continue
        folder = MAIL_CORPUS / folder_name
        files = (
            sorted(path for path in folder.iterdir() if path.is_file()) if folder.is_dir() else []
        )
        metafunc.parametrize(
            argument,
            files or [folder],
            ids=[path.name for path in files] or ["missing"],
            indirect=True,
        )


def _corpus_file(request: pytest.FixtureRequest) -> Path:
    path: Path = request.param
    if not path.is_file():
        _missing(f"no mail corpus files in {path}")
    return path


@pytest.fixture
def mail_parser_file(request: pytest.FixtureRequest) -> Path:
    return _corpus_file(request)


@pytest.fixture
def reply_parser_file(request: pytest.FixtureRequest) -> Path:
    return _corpus_file(request)
