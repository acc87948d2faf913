"""The test servers themselves: what other mail tests rely on."""

from __future__ import annotations

import smtplib
import socket

import pytest

from .servers import DovecotServer, ImapAccount, SmtpServer, message_bytes

MESSAGE = message_bytes(
    [
        "From: Customer <customer@example.org>",
        "To: support@example.com",
        "Subject: Printer on fire",
        "Message-ID: <fire-1@example.org>",
        "",
        "It is still burning.",
    ]
)


def test_append_then_fetch(dovecot: ImapAccount) -> None:
    uid = dovecot.append("INBOX", MESSAGE)

    assert dovecot.list_uids("INBOX") == [uid]
    assert dovecot.fetch_raw("INBOX", uid) == MESSAGE
    assert dovecot.fetch_flags("INBOX") == {uid: ()}


def test_each_test_gets_an_empty_mailbox(dovecot: ImapAccount) -> None:
    assert dovecot.list_uids("INBOX") == []


def test_capabilities_the_poller_needs(dovecot: ImapAccount) -> None:
    with dovecot.connect() as client:
        for capability in ("IDLE", "MOVE", "UIDPLUS", "CONDSTORE"):
            assert client.has_capability(capability), capability


def test_flags_folders_and_move(dovecot: ImapAccount) -> None:
    uid = dovecot.append("INBOX", MESSAGE, flags=[r"\Flagged"])
    dovecot.create_folder("Processed")

    with dovecot.connect() as client:
        client.select_folder("INBOX")
        client.add_flags([uid], [r"\Seen"])
        client.move([uid], "Processed")

    assert dovecot.list_uids("INBOX") == []
    [moved] = dovecot.list_uids("Processed")
    assert set(dovecot.fetch_flags("Processed")[moved]) == {b"\\Seen", b"\\Flagged"}
    assert dovecot.uidvalidity("Processed") > 0


def test_idle_sees_new_mail(dovecot: ImapAccount) -> None:
    with dovecot.connect() as client:
        client.select_folder("INBOX")
        client.idle()
        dovecot.append("INBOX", MESSAGE)
        responses = client.idle_check(timeout=5)
        client.idle_done()
    assert (1, b"EXISTS") in responses


def test_stop_and_start_on_the_same_port(
    dovecot: ImapAccount, dovecot_server: DovecotServer
) -> None:
    uid = dovecot.append("INBOX", MESSAGE)
    port = dovecot.port
    client = dovecot.connect()
    client.select_folder("INBOX")

    dovecot.stop()
    assert not dovecot_server.running
    with pytest.raises(OSError):
        socket.create_connection((dovecot.host, port), timeout=1).close()
    with pytest.raises((OSError, client.Error, client.AbortError)):
        client.noop()

    dovecot.start()  # fails if Dovecot does not answer within its start-up timeout
    assert dovecot.port == port
    assert dovecot.list_uids("INBOX") == [uid]


def test_smtp_receives(smtp_server: SmtpServer) -> None:
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as smtp:
        smtp.sendmail("support@example.com", ["customer@example.org"], MESSAGE)

    [mail] = smtp_server.wait_for(1)
    assert mail.mail_from == "support@example.com"
    assert mail.rcpt_tos == ("customer@example.org",)
    assert mail.raw.replace(b"\r\n", b"\n") == MESSAGE.replace(b"\r\n", b"\n")


def test_smtp_refuses_when_told(smtp_server: SmtpServer) -> None:
    smtp_server.respond_with = "451 4.3.0 Try again later"

    with (
        smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as smtp,
        pytest.raises(smtplib.SMTPDataError) as refused,
    ):
        smtp.sendmail("support@example.com", ["customer@example.org"], MESSAGE)

    assert refused.value.smtp_code == 451
    assert smtp_server.messages == []


def test_smtp_stop_and_start_on_the_same_port(smtp_server: SmtpServer) -> None:
    port = smtp_server.port
    smtp_server.stop()
    with pytest.raises(OSError):
        smtplib.SMTP(smtp_server.host, port, timeout=2)

    smtp_server.start()
    with smtplib.SMTP(smtp_server.host, port, timeout=10) as smtp:
        smtp.sendmail("support@example.com", ["customer@example.org"], MESSAGE)
    assert len(smtp_server.wait_for(1)) == 1
