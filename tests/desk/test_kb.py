"""The knowledge base through the facade, on SQLite and PostgreSQL: ranking, versions, rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from helpdesk_tui.desk.actors import SYSTEM, Actor
from helpdesk_tui.desk.errors import InvalidTransition, InvalidValue, PermissionDenied
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.kb import ArticleConflict
from helpdesk_tui.desk.kb_service import ArticleData
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.kb_search import search_articles
from tests.desk.kb_fixture import ARTICLES, QUERIES

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def clock_from(start: datetime):  # type: ignore[no-untyped-def]
    moments = iter(start + timedelta(minutes=i) for i in range(10_000))
    return lambda: next(moments)


def load_fixture(desk: Desk, *, status: str = "published", visibility: str = "public") -> None:
    desk.kb_import(
        [
            ArticleData(
                slug=a.slug,
                title=a.title,
                body=a.body,
                category=a.category,
                tags=a.tags,
                status=status,
                visibility=visibility,
                author="ada",
                created_at=T0,
                updated_at=T0,
            )
            for a in ARTICLES
        ]
    )


def test_realistic_queries_find_the_intended_article_in_the_top_3(db: Database) -> None:
    desk = Desk(db, SYSTEM, clock=clock_from(T0))
    load_fixture(desk)
    assert len(desk.kb_list(limit=None)) == 200
    misses = {}
    for query, slug in QUERIES:
        top = [r.article.slug for r in desk.kb_search(query, limit=3)]
        if slug not in top:
            misses[query] = top
    assert misses == {}


def test_a_search_too_common_to_rank_on_bodies_still_finds_the_article(db: Database) -> None:
    """Over ``CANDIDATES`` matches a tier is ranked on titles and tags only (10,000 articles
    in the benchmark); here the bound is lowered so that the 200 articles take that path."""
    load_fixture(Desk(db, SYSTEM, clock=clock_from(T0)))
    with db.read() as session:
        slugs = {i: s for i, s in session.execute(text("SELECT id, slug FROM kb_article"))}
        misses = {}
        for query, slug in QUERIES:
            found = search_articles(session, query, limit=3, candidates=10)
            top = [slugs[hit.article_id] for hit in found.hits]
            if slug not in top:
                misses[query] = top
    assert misses == {}


def test_typos_are_fixed_with_the_words_of_new_and_changed_articles(db: Database) -> None:
    desk = Desk(db, SYSTEM, clock=clock_from(T0))
    first = desk.kb_create("Kerberos tickets", "Renew them with kinit.")
    assert [r.article.id for r in desk.kb_search("kerbros")] == [first.id]
    second = desk.kb_create("Zendesk migration", "Old tickets move in May.")
    assert [r.article.id for r in desk.kb_search("zendesc")] == [second.id]
    desk.kb_update(first.id, title="Kerberos and Wireguard")
    assert [r.article.id for r in desk.kb_search("wiregard")] == [first.id]


def test_title_weighs_more_than_body_and_exact_before_prefix(db: Database) -> None:
    desk = Desk(db, SYSTEM, clock=clock_from(T0))
    body_only = desk.kb_create("Meeting rooms", "Ask reception about the printer in room 4.")
    in_title = desk.kb_create("Printer on the third floor", "Ask reception.")
    prefix_only = desk.kb_create("Printers and scanners overview", "Ask reception.")
    ranked = [r.article.id for r in desk.kb_search("printer")]
    # Stemming makes "printers" a whole-word match too; the title matches come first.
    assert ranked.index(in_title.id) < ranked.index(body_only.id)
    assert ranked.index(prefix_only.id) < ranked.index(body_only.id)
    typing = desk.kb_search("recep")
    assert {r.article.id for r in typing} == {body_only.id, in_title.id, prefix_only.id}
    assert all(r.tier == 1 for r in typing)


def test_results_carry_highlight_spans_of_the_searched_words(db: Database) -> None:
    desk = Desk(db, SYSTEM, clock=clock_from(T0))
    desk.kb_create("Reset your VPN password", "Open the portal and reset the password.")
    [result] = desk.kb_search("pasword")  # a typo: found through the title vocabulary
    title = result.article.title
    assert [title[s:e] for s, e in result.title_spans] == ["password"]
    assert "password" in [result.snippet[s:e] for s, e in result.snippet_spans]


def test_every_version_is_kept_with_a_diff_and_an_event_per_change(db: Database) -> None:
    desk = Desk(db, SYSTEM, clock=clock_from(T0))
    article = desk.kb_create("Guest Wi-Fi", "Ask reception.", category="Network", tags=["wifi"])
    desk.kb_update(article.id, expected_version=1, body="Ask reception for a voucher.")
    desk.kb_update(article.slug, expected_version=2, tags=["wifi", "guest"])
    desk.kb_update(article.id, expected_version=3, tags=["wifi", "guest"])  # no change
    desk.kb_publish(article.id)
    versions = desk.kb_versions(article.id)
    assert [v.version for v in versions] == [1, 2, 3, 4]
    assert versions[0].body == "Ask reception.\n"
    assert versions[-1].status == "published"
    diff = desk.kb_diff(article.id, 1, 2)
    assert "-Ask reception.\n+Ask reception for a voucher.\n" in diff
    assert "+tags: wifi guest" in desk.kb_diff(article.id, 2)
    kinds = [(e.kind, e.field, e.version) for e in desk.kb_history(article.id)]
    assert kinds == [
        ("created", None, 1),
        ("updated", "body", 2),
        ("updated", "tags", 3),
        ("published", "status", 4),
    ]
    with pytest.raises(InvalidTransition):
        desk.kb_publish(article.id)


def test_a_stale_edit_is_refused(db: Database) -> None:
    desk = Desk(db, SYSTEM, clock=clock_from(T0))
    article = desk.kb_create("Guest Wi-Fi", "Ask reception.")
    desk.kb_update(article.id, expected_version=1, title="Guest wireless")
    with pytest.raises(ArticleConflict) as refused:
        desk.kb_update(article.id, expected_version=1, body="Something else")
    assert refused.value.current_version == 2
    assert desk.kb_article(article.id).body == "Ask reception.\n"


def test_agents_write_drafts_supervisors_publish(db: Database, agent_bob: Actor) -> None:
    bob = Desk(db, agent_bob, clock=clock_from(T0))
    article = bob.kb_create("Guest Wi-Fi", "Ask reception.", visibility="public")
    assert article.author == "bob"
    bob.kb_update(article.id, body="Ask reception for a voucher.")
    with pytest.raises(PermissionDenied):
        bob.kb_publish(article.id)
    Desk(db, SYSTEM).kb_publish(article.id)
    with pytest.raises(PermissionDenied):
        bob.kb_update(article.id, body="Changed what customers read")


def test_acknowledgement_lists_good_public_matches_only(db: Database) -> None:
    desk = Desk(db, SYSTEM, clock=clock_from(T0))
    load_fixture(desk)
    found = desk.kb_for_acknowledgement(
        "VPN keeps disconnecting", "Hello, since yesterday my VPN drops every few minutes."
    )
    assert 1 <= len(found) <= 3
    assert found[0].slug == "vpn-keeps-disconnecting-every-few-minutes"
    nothing = desk.kb_for_acknowledgement(
        "Lunch order for Friday", "Could you add two vegetarian sandwiches to the order?"
    )
    assert nothing == []


def test_the_side_panel_and_the_acknowledgement_suggest_by_one_rule(
    db: Database, admin: Actor
) -> None:
    """An Italian order mail ("cliente") was offered "VPN keeps disconnecting" in the side
    panel (a typo's fix: "client", a tag of it), where the acknowledgement's check refused
    it: both keep an article only when it is worth suggesting, and a true match stays."""
    from helpdesk_tui.desk.tickets import create_ticket

    desk = Desk(db, admin, clock=clock_from(T0))
    vpn = desk.kb_create(
        "VPN keeps disconnecting",
        "Update the VPN client, then sign in again.",
        tags=["vpn", "client"],
        visibility="public",
    )
    desk.kb_publish(vpn.id)
    mails = {
        "order": ("Ordine 4471 per il cliente", "Buongiorno, il cliente chiede dell'ordine."),
        "vpn": ("VPN keeps disconnecting at home", "Since Monday it drops every hour."),
    }
    numbers = {}
    with db.write() as session:
        for name, (subject, body) in mails.items():
            numbers[name] = create_ticket(
                session, admin, subject=subject, body=body, requester_email="a@example.org"
            ).number
    assert desk.kb_suggest_for_ticket(numbers["order"]) == []
    assert desk.kb_for_acknowledgement(*mails["order"]) == []
    assert [r.article.id for r in desk.kb_suggest_for_ticket(numbers["vpn"])] == [vpn.id]
    assert [a.id for a in desk.kb_for_acknowledgement(*mails["vpn"])] == [vpn.id]


def test_acknowledgement_never_lists_drafts_or_internal_articles(db: Database) -> None:
    desk = Desk(db, SYSTEM, clock=clock_from(T0))
    load_fixture(desk, visibility="internal")
    assert desk.kb_for_acknowledgement("VPN keeps disconnecting", "It drops.") == []


def test_a_reply_takes_published_articles_and_links_only_public_ones(db: Database) -> None:
    """The composer's article picker: drafts are not offered; a link is refused for an
    article the help site does not have (it would be a dead link in the customer's mail)."""
    desk = Desk(db, SYSTEM, clock=clock_from(T0))
    draft = desk.kb_create("VPN draft steps", "Not checked yet.", visibility="public")
    public = desk.kb_create("VPN on a new laptop", "Install the client.", visibility="public")
    public = desk.kb_publish(public.id)
    internal = desk.kb_publish(desk.kb_create("VPN server restart", "Runbook.").id)
    assert {a.id for a in desk.kb_for_reply("vpn")} == {public.id, internal.id}
    assert {a.id for a in desk.kb_for_reply(" ")} == {public.id, internal.id}
    site = "https://help.example.com/"
    assert public.reply_link(site) == "https://help.example.com/article/vpn-on-a-new-laptop.html"
    with pytest.raises(InvalidValue, match=r'^"VPN server restart" is internal: it is not on'):
        internal.reply_link(site)
    with pytest.raises(InvalidValue, match="is a draft: it is not on the help site"):
        draft.reply_link(site)
    with pytest.raises(InvalidValue, match="No help site address: set \\[kb\\] public_url"):
        public.reply_link("")


def test_a_short_start_of_a_word_matches_titles_and_tags_only(db: Database) -> None:
    desk = Desk(db, SYSTEM, clock=clock_from(T0))
    in_title = desk.kb_create("Firmware updates", "Plug in the charger.")
    desk.kb_create("Docking station", "Update the firmware first.")
    assert [r.article.id for r in desk.kb_search("fir")] == [in_title.id]
    assert len(desk.kb_search("firm")) == 2


def test_a_resolved_tickets_reply_becomes_a_draft(db: Database, admin: Actor) -> None:
    from helpdesk_tui.desk import fields, thread
    from helpdesk_tui.desk.tickets import create_ticket

    desk = Desk(db, admin, clock=clock_from(T0))
    with db.write() as session:
        number = create_ticket(
            session, admin, subject="Printer jams", body="Tray 2", requester_email="a@example.org"
        ).number
    with pytest.raises(InvalidTransition):
        desk.kb_from_ticket(number)
    with db.write() as session:
        thread.reply(session, admin, number, body="Fan the paper before loading it.")
    with db.write() as session:
        fields.set_status(session, admin, number, "resolved")
    made = desk.kb_from_ticket(number)
    assert (made.title, made.body, made.status, made.tags) == (
        "Printer jams",
        "Fan the paper before loading it.\n",
        "draft",
        ("from-ticket",),
    )
    assert [r.article.id for r in desk.kb_suggest_for_ticket(number)] == [made.id]
    with pytest.raises(InvalidValue, match="is a draft: it goes into no reply until published"):
        made.reply_text()  # (`i` on the ticket: a suggested draft's text goes into no mail)
