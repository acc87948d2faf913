"""Canned responses: placeholders rendered as plain text, unknown ones refused by name,
shared and personal scopes with their roles, fuzzy picking — on both engines."""

from __future__ import annotations

import pytest

from helpdesk_tui.desk.actors import MAIL, Actor
from helpdesk_tui.desk.admin_reads import DeskNameView
from helpdesk_tui.desk.canned import PLACEHOLDERS, UnknownPlaceholder, rank, render
from helpdesk_tui.desk.errors import ChangedMeanwhile, InvalidValue, NotFound, PermissionDenied
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.tickets import create_ticket
from helpdesk_tui.storage.database import Database
from tests.desk.conftest import on_sqlite_only

VALUES = {name: f"<{name}>" for name in PLACEHOLDERS}


def test_render_fills_every_placeholder_in_one_pass() -> None:
    body = "Hi {{requester.name}}, re #{{ ticket.number }}: {{ticket.subject}}\n-- {{agent.name}}"
    assert render(body, VALUES) == (
        "Hi <requester.name>, re #<ticket.number>: <ticket.subject>\n-- <agent.name>"
    )


def test_values_are_plain_text_never_read_again() -> None:
    values = {
        "requester.name": "{{agent.email}} [bold]x[/] \x1b]52;c;AAAA\x07\nline",
        "agent.email": "secret@example.com",
    }
    text = render("Dear {{requester.name}}", values)
    assert text == "Dear {{agent.email}} [bold]x[/] line"
    assert "secret" not in text


def test_unknown_placeholders_are_named_and_nothing_is_rendered() -> None:
    with pytest.raises(UnknownPlaceholder) as caught:
        render("Hi {{requester.nmae}} and {{ticket.id}}, {{requester.name}}", VALUES)
    assert caught.value.names == ("requester.nmae", "ticket.id")
    assert "{{requester.nmae}}" in str(caught.value)
    assert "nothing was inserted" in str(caught.value)


def test_missing_known_value_is_empty() -> None:
    assert render("[{{requester.email}}]", {}) == "[]"


def test_rank_forgives_typos_and_weighs_the_name() -> None:
    items = ["Password reset", "Printer offline", "Refund policy", "VPN setup"]
    found = rank("pasword", items, name=lambda s: s, body=lambda s: "")
    assert found[0].item == "Password reset"
    assert rank("", items, name=lambda s: s, body=lambda s: "")[0].item == "Password reset"
    assert [r.item for r in rank("zzzzqq", items, name=lambda s: s, body=lambda s: "")] == []


def _ticket(db: Database) -> int:
    with db.write() as s:
        return create_ticket(
            s,
            MAIL,
            subject="VPN drops every hour",
            body="help",
            requester_email="ann@example.org",
            requester_name="Ann Smith",
        ).number


def test_shared_and_personal_scopes(db: Database, admin: Actor, agent_bob: Actor) -> None:
    ada, bob = Desk(db, admin), Desk(db, agent_bob)
    shared = ada.canned_save("Thanks", "Thanks, {{requester.first_name}}!", shared=True)
    mine = bob.canned_save("Thanks", "Cheers {{requester.name}} — {{agent.name}}")
    ada.canned_save("Ada only", "private")
    assert [(v.name, v.shared) for v in bob.canned_list()] == [("Thanks", False), ("Thanks", True)]
    assert bob.canned_get("thanks").id == mine.id
    assert bob.canned_get("thanks", shared=True).id == shared.id
    with pytest.raises(NotFound):
        bob.canned_get("Ada only")
    with pytest.raises(PermissionDenied):
        bob.canned_save("Mine now", "x", shared=True)
    with pytest.raises(PermissionDenied):
        bob.canned_save("Thanks", "changed", shared=True, canned_id=shared.id)
    with pytest.raises(PermissionDenied):
        bob.canned_delete(shared.id)
    with pytest.raises(InvalidValue, match="already"):
        bob.canned_save("THANKS", "again")
    edited = bob.canned_save("Thanks a lot", "Cheers!", canned_id=mine.id)
    assert (edited.name, edited.body, edited.shared) == ("Thanks a lot", "Cheers!", False)
    bob.canned_delete(mine.id)
    assert [v.name for v in bob.canned_list()] == ["Thanks"]


@on_sqlite_only("tests/desk/test_canned.py::test_the_desk_name_is_the_desks_not_each_agents")
def test_render_on_a_ticket(db: Database, admin: Actor, agent_bob: Actor) -> None:
    number = _ticket(db)
    bob = Desk(db, agent_bob)
    canned = bob.canned_save(
        "Hello",
        "Hi {{requester.first_name}} <{{requester.email}}>, #{{ticket.number}} "
        "{{ticket.subject}} — {{agent.name}}, {{desk.name}}",
    )
    text = bob.canned_render(canned.id, number, desk_name="Acme Support")
    assert text == (
        f"Hi Ann <ann@example.org>, #{number} VPN drops every hour — Bob Agent, Acme Support"
    )


def test_the_desk_name_is_the_desks_not_each_agents(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    """An admin names the desk for everyone: {{desk.name}} says it whatever the agent's
    config says (which names only a desk never named), cleaned of escape sequences."""
    number = _ticket(db)
    bob = Desk(db, agent_bob)
    canned = bob.canned_save("Sign", "-- {{desk.name}}")
    assert bob.canned_render(canned.id, number, desk_name="Helpdesk") == "-- Helpdesk"
    with pytest.raises(PermissionDenied):
        bob.desk_set_name("Bob's Desk")
    assert Desk(db, admin).desk_set_name(" Walk4\x1b]0;pwned\x07 \x1b[31mDesk\n") == "Walk4 Desk"
    assert bob.canned_render(canned.id, number, desk_name="Helpdesk") == "-- Walk4 Desk"
    assert bob.desk_name("Helpdesk") == "Walk4 Desk"
    with pytest.raises(InvalidValue, match="visible"):
        Desk(db, admin).desk_set_name("\x1b[0m\u200b")
    read = bob.desk_name_view("Acme")
    assert read == DeskNameView("Walk4 Desk", "Walk4 Desk")
    assert Desk(db, admin).desk_set_name(None) is None
    assert bob.desk_name("Acme") == "Acme"
    with pytest.raises(ChangedMeanwhile, match="now it has none of its own"):
        Desk(db, admin).desk_set_name("Acme IT", expected=read)  # (a form's guard)
    assert bob.desk_name_view("Acme") == DeskNameView("Acme", None)


@on_sqlite_only("tests/desk/test_canned.py::test_shared_and_personal_scopes")
def test_unknown_placeholder_is_refused_when_saved(db: Database, agent_bob: Actor) -> None:
    with pytest.raises(UnknownPlaceholder, match=r"\{\{customer\.name\}\}"):
        Desk(db, agent_bob).canned_save("Bad", "Hi {{customer.name}}")
    assert Desk(db, agent_bob).canned_list() == []


def test_pick_ranks_by_fuzzy_name(db: Database, admin: Actor) -> None:
    ada = Desk(db, admin)
    for name in ("Password reset", "Printer offline", "Refund policy", "VPN setup guide"):
        ada.canned_save(name, f"About {name.lower()}.", shared=True)
    assert ada.canned_pick("vpn")[0].canned.name == "VPN setup guide"
    assert ada.canned_pick("refnd")[0].canned.name == "Refund policy"
    assert len(ada.canned_pick("")) == 4


@on_sqlite_only("tests/desk/test_canned.py::test_the_desk_name_is_the_desks_not_each_agents")
def test_texts_are_stored_and_rendered_without_escape_sequences(
    db: Database, agent_bob: Actor
) -> None:
    number = _ticket(db)
    bob = Desk(db, agent_bob)
    saved = bob.canned_save("Red", "Hi\x1b[31m there\x07\n\tbye [b]x[/b]")
    assert saved.body == "Hi there\n\tbye [b]x[/b]"
    assert render("a\x1b]52;c;QUFB\x07b {{desk.name}}", {"desk.name": "D"}) == "ab D"
    assert bob.canned_render(saved.id, number, desk_name="D") == saved.body


@on_sqlite_only("tests/desk/test_canned.py::test_the_desk_name_is_the_desks_not_each_agents")
def test_first_names_of_requesters_as_mail_gives_them(db: Database, agent_bob: Actor) -> None:
    """Real mail often has no display name, or Outlook's "Last, First": a greeting with
    ``{{requester.first_name}}`` never reads "Hi ," or "Hi Miller,,"; with no name, an
    address written first.last gives "Hi Taro," (not "Hi taro.yamada@example.jp,")."""
    bob = Desk(db, agent_bob)
    canned = bob.canned_save("Greet", "Hi {{requester.first_name}},")
    numbers = []
    for name, email in (
        ("", "zoe@example.org"),
        ("Miller, Zoe Ann", "zm@example.org"),
        ("Ann Smith", "as@example.org"),
        ("Acme, Inc.", "acme@example.org"),
        ("", "TARO.yamada@example.jp"),
        ("", "support.team@example.org"),
        ("", "j.smith@example.org"),
    ):
        with db.write() as s:
            ticket = create_ticket(
                s, MAIL, subject="s", body="b", requester_email=email, requester_name=name
            )
            numbers.append(ticket.number)
    assert [bob.canned_render(canned.id, n, desk_name="D") for n in numbers] == [
        "Hi zoe@example.org,",
        "Hi Zoe,",
        "Hi Ann,",
        "Hi Acme,",
        "Hi Taro,",  # first.last: the first name; a role or an initial keeps the address
        "Hi support.team@example.org,",
        "Hi j.smith@example.org,",
    ]
