"""``helpdesk ticket cc``: who a ticket's replies copy, changed and shown from the CLI."""

from __future__ import annotations

import json

from sqlmodel import select

from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import Outbox
from tests.cli.conftest import Invoke, one_error_line
from tests.cli.test_tickets import _new, _show


def test_cc_adds_removes_and_the_reply_copies_them(
    invoke: Invoke, use_db: str, db_url: str
) -> None:
    number = _new(invoke)
    added = invoke("ticket", "cc", str(number), "--add", "Petra@Acme.test", "--add", "li@acme.test")
    assert added.exit_code == 0, added.stderr
    assert added.stdout.splitlines()[-1] == f"#{number} cc petra@acme.test, li@acme.test"
    removed = invoke("ticket", "cc", str(number), "--remove", "li@acme.test", "--json")
    assert removed.exit_code == 0, removed.stderr
    assert json.loads(removed.stdout)["copies"] == ["petra@acme.test"]
    detail = _show(invoke, number)
    assert detail["copies"] == ["petra@acme.test"]
    shown = invoke("ticket", "show", str(number))
    assert "cc petra@acme.test" in shown.stdout.splitlines()
    history = [line for line in shown.stdout.splitlines() if "copies" in line]
    assert len(history) == 3  # two added, one removed: each an event
    assert invoke("ticket", "reply", str(number), "--body", "Done.").exit_code == 0
    db = Database(db_url)
    try:
        with db.read() as session:
            [mail] = session.exec(select(Outbox)).all()
        assert (mail.to_addresses, mail.cc_addresses) == ("ann@example.com", "petra@acme.test")
    finally:
        db.dispose()


def test_cc_refuses_the_requester_a_machine_and_hostile_text(invoke: Invoke, use_db: str) -> None:
    number = _new(invoke)
    for value, said in (
        ("ann@example.com", "requester"),
        ("no-reply@acme.test", "nobody reads"),
        ("petra@acme.test\x1b[2J", "not an address to copy"),
        ("a@acme.test, b@acme.test", "not an address to copy"),
    ):
        result = invoke("ticket", "cc", str(number), "--add", value)
        assert result.exit_code == 1
        line = one_error_line(result.stderr)
        assert said in line and "\x1b" not in line
    assert _show(invoke, number)["copies"] == []
