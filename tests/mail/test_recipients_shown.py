"""To and Cc of a customer's mail (read from a real Dovecot) and of an agent's reply (sent
through real SMTP) are shown where an agent looks: the ticket thread's header line, cut to
fit, and ``helpdesk ticket show`` (text and JSON). Nobody could see who else got a reply."""

from __future__ import annotations

from email import message_from_bytes, policy

from rich.console import Console

from helpdesk_tui.cli.ticket.show import _detail_text
from helpdesk_tui.config import IntakeOptions
from helpdesk_tui.desk import thread
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.ticket_view import load_view
from helpdesk_tui.desk.tickets_cli_service import TicketsCliService
from helpdesk_tui.mail.service import MailService
from helpdesk_tui.storage.database import Database
from helpdesk_tui.widgets.thread import render_entry

from .mailbuild import DESK, email, new_id, server_settings, tickets
from .servers import ImapAccount, SmtpServer


def test_to_and_cc_of_mail_and_replies_are_shown(
    db: Database, admin: Actor, dovecot: ImapAccount, smtp_server: SmtpServer
) -> None:
    service = MailService(db, IntakeOptions(server_settings(dovecot, smtp_server)))
    service.start()
    try:
        dovecot.append(
            "INBOX",
            email(
                message_id=new_id(),
                subject="VPN broken",
                headers=["Cc: Bob Boss <bob@example.org>"],
            ),
        )
        smtp_server.wait_for(1)  # the acknowledgement
        [ticket] = tickets(db)
        with db.write() as session:
            thread.reply(
                session, admin, ticket.number, body="Restart it.", cc=["carol@example.org"]
            )
        sent = smtp_server.wait_for(2)[-1]
    finally:
        service.stop()
    mail = message_from_bytes(sent.raw, policy=policy.default)
    assert str(mail["Cc"]) == "carol@example.org"

    detail = TicketsCliService(db, admin).ticket_show(ticket.number)
    shown = "\n".join(_detail_text(detail, 200))
    assert "── customer via email from ann@example.org · " in shown
    assert f"· to {DESK} · cc bob@example.org" in shown
    assert "── reply via email · " in shown and "to ann@example.org · cc carol@example.org" in shown
    customer, reply = detail.as_json()["messages"]
    assert (customer["to"], customer["cc"]) == (DESK, "bob@example.org")
    assert (reply["to"], reply["cc"]) == ("ann@example.org", "carol@example.org")

    with db.read() as session:
        view = load_view(session, ticket.number)
    console = Console(width=44, color_system=None, record=True)
    for entry in view.entries[:2]:
        console.print(render_entry(entry, entry.at, unfold=False, split=None))
    customer_header, _, reply_header, *_ = console.export_text().splitlines()
    assert customer_header.startswith("Customer · Ann Customer · ")
    assert customer_header.endswith(" · just now · to sup…")
    assert len(customer_header) == 44, "one line, cut to fit the thread"
    assert reply_header.startswith("Reply · ") and "· to ann@example.org" in reply_header
