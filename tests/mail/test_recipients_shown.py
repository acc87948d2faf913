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
    # Bob, in Cc of Ann's mail, is one of the ticket's copies: the reply goes to him too.
    assert str(mail["Cc"]) == "bob@example.org, carol@example.org"
    assert sorted(sent.rcpt_tos) == ["ann@example.org", "bob@example.org", "carol@example.org"]

    detail = TicketsCliService(db, admin).ticket_show(ticket.number)
    shown = "\n".join(_detail_text(detail, 200))
    assert "── customer via email from ann@example.org · " in shown
    assert f"· to {DESK} · cc bob@example.org" in shown
    assert "── reply via email · " in shown
    assert "to ann@example.org · cc bob@example.org, carol@example.org" in shown
    customer, reply = detail.as_json()["messages"]
    assert (customer["to"], customer["cc"]) == (DESK, "bob@example.org")
    assert (reply["to"], reply["cc"]) == ("ann@example.org", "bob@example.org, carol@example.org")

    with db.read() as session:
        view = load_view(session, ticket.number)
    console = Console(width=44, color_system=None, record=True)
    for entry in view.entries:
        console.print(render_entry(entry, entry.at, unfold=False, split=None))
    lines = console.export_text().splitlines()
    # At 44 columns To and Cc go on a line of their own, whole (they were cut "to sup…").
    assert lines[0] == "Customer · Ann Customer · just now"
    assert lines[1] == f"to {DESK} · cc bob@example.org"
    reply_at = next(i for i, line in enumerate(lines) if line.startswith("Reply · "))
    assert lines[reply_at + 1] == "to ann@example.org · cc bob@example.org +1"
