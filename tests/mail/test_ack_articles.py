"""The acknowledgement of a new email ticket lists up to 3 published public articles that
answer it well, with their links — and none when nothing does (SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from helpdesk_tui.desk.actors import SYSTEM
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.intake import ARTICLES_INTRO
from helpdesk_tui.mail.ingest import IngestConfig, ingest
from helpdesk_tui.storage.database import Database
from tests.desk.test_kb import load_fixture

from .mailbuild import config_for, email, mail_settings, outbox

pytestmark = pytest.mark.usefixtures("admin")
SITE = "https://help.example.com/"


@pytest.fixture
def config() -> IngestConfig:
    base = config_for(mail_settings())
    return replace(base, desk=replace(base.desk, kb_public_url=SITE))


def ack_body(db: Database, config: IngestConfig, subject: str, body: str) -> str:
    with db.write() as session:
        result = ingest(session, email(subject=subject, body=body), config)
    assert result.acknowledged
    [ack] = outbox(db, "ack")
    return ack.body


def test_a_good_match_is_listed_with_its_link(db: Database, config: IngestConfig) -> None:
    load_fixture(Desk(db, SYSTEM))
    body = ack_body(db, config, "VPN keeps disconnecting", "Since Monday my VPN drops.")
    assert ARTICLES_INTRO in body
    listed = body.split(ARTICLES_INTRO, 1)[1]
    assert "- VPN keeps disconnecting every few minutes\n" in listed
    link = f"{SITE}article/vpn-keeps-disconnecting-every-few-minutes.html"
    assert f"  {link}\n" in listed
    assert 1 <= sum(line.startswith("- ") for line in listed.splitlines()) <= 3


def test_nothing_is_listed_when_nothing_matches_well(db: Database, config: IngestConfig) -> None:
    load_fixture(Desk(db, SYSTEM))
    body = ack_body(
        db, config, "Lunch order for Friday", "Please add two sandwiches and a printer joke."
    )
    assert ARTICLES_INTRO not in body
    assert "help.example.com" not in body


def test_internal_or_draft_articles_are_never_listed(db: Database, config: IngestConfig) -> None:
    load_fixture(Desk(db, SYSTEM), visibility="internal")
    body = ack_body(db, config, "VPN keeps disconnecting", "Since Monday my VPN drops.")
    assert ARTICLES_INTRO not in body


def test_without_a_help_site_address_nothing_is_listed(db: Database) -> None:
    load_fixture(Desk(db, SYSTEM))
    body = ack_body(db, config_for(mail_settings()), "VPN keeps disconnecting", "My VPN drops.")
    assert ARTICLES_INTRO not in body
