"""``helpdesk mail``: check, status, quarantine and spam, against the real test servers."""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from click.testing import CliRunner

from helpdesk_tui.cli import main
from helpdesk_tui.config import user_config_file
from helpdesk_tui.mail.outbox_sender import OutboxSender
from helpdesk_tui.mail.poller import MailboxPoller
from helpdesk_tui.storage.database import Database
from tests.cli.conftest import Invoke, lines, on_sqlite_only, one_error_line, write_toml
from tests.conftest import need
from tests.mail.mailbuild import DESK, SECRET, config_for, email, server_settings
from tests.mail.servers import DovecotMissing, DovecotServer, ImapAccount, SmtpServer, free_port
from tests.mail.test_ingest_quarantine import nested_too_deep
from tests.mail.test_intake_scenarios import delivery_report


@pytest.fixture(scope="module")
def imap_server() -> Iterator[DovecotServer]:
    """This module's own Dovecot (the mail package's fixtures are not visible from here)."""
    try:
        server = DovecotServer()
    except DovecotMissing as error:
        need(str(error))
    server.start()
    yield server
    server.close()


@pytest.fixture
def dovecot(imap_server: DovecotServer) -> ImapAccount:
    imap_server.start()
    return ImapAccount(imap_server, *imap_server.new_account())


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


def configure(
    tmp_path: Path,
    migrated: Path,
    dovecot: ImapAccount,
    smtp: SmtpServer,
    *,
    password: str | None = None,
    host: str | None = None,
    imap_port: int | None = None,
    folder: str = "INBOX",
    extra: str = "",
) -> str:
    url = f"sqlite:///{tmp_path / 'cli-mail.db'}"
    shutil.copy(migrated, tmp_path / "cli-mail.db")  # (init makes its first admin, as use_db)
    write_toml(
        user_config_file(),
        f"""\
database_url = "{url}"

[mail]
addresses = ["{DESK}"]
message_id_secret = "{SECRET}"
{extra}

[mail.mailboxes.support]
host = "{host or dovecot.host}"
port = {imap_port or dovecot.port}
security = "none"
user = "{dovecot.user}"
password = "{password or dovecot.password}"
folder = "{folder}"
timeout = 3

[mail.smtp]
host = "{smtp.host}"
port = {smtp.port}
security = "none"
""",
    )
    made = CliRunner().invoke(main, ["init"])
    assert made.exit_code == 0, made.stderr
    return url


def import_inbox(url: str, dovecot: ImapAccount, **overrides: object) -> None:
    settings = server_settings(dovecot, **overrides)
    db = Database(url)
    try:
        box = settings.mailboxes["support"]
        MailboxPoller(
            db, "support", box, settings, config_for(settings), stop=threading.Event()
        ).run_once()
    finally:
        db.dispose()


def test_check_passes_every_step_on_working_servers(
    invoke: Invoke,
    tmp_path: Path,
    _migrated_sqlite: Path,
    dovecot: ImapAccount,
    smtp_server: SmtpServer,
) -> None:
    configure(tmp_path, _migrated_sqlite, dovecot, smtp_server)
    result = invoke("mail", "check")
    assert result.exit_code == 0, result.output + result.stderr
    out = result.stdout
    for step in ("settings", "DNS", "TCP", "TLS", "login", "folder", "processed folder"):
        assert f"ok   {step}" in out, out
    assert "FAIL" not in out


@pytest.mark.parametrize(
    ("change", "step", "words"),
    [
        ({"password": "wrong"}, "login", "refused for user"),
        ({"host": "no-such-host.invalid"}, "DNS", "cannot resolve no-such-host.invalid"),
        ({"imap_port": "closed"}, "TCP", "cannot connect"),
        ({"folder": "Nope"}, "folder", "cannot open 'Nope'"),
    ],
    ids=["login", "dns", "tcp", "folder"],
)
def test_check_names_exactly_what_failed(
    invoke: Invoke,
    tmp_path: Path,
    _migrated_sqlite: Path,
    dovecot: ImapAccount,
    smtp_server: SmtpServer,
    change: dict[str, object],
    step: str,
    words: str,
) -> None:
    if change.get("imap_port") == "closed":
        change = {"imap_port": free_port()}
    configure(tmp_path, _migrated_sqlite, dovecot, smtp_server, **change)  # type: ignore[arg-type]
    result = invoke("mail", "check")
    assert result.exit_code == 1
    [failure] = [line for line in lines(result.stdout) if "FAIL" in line]
    assert f"FAIL {step}" in failure and words in failure, failure
    assert "b'" not in failure, "the server's words, not a Python bytes literal"
    assert dovecot.password not in result.stdout + result.stderr
    assert "1 of 3 checks failed" in one_error_line(result.stderr)


def test_check_fails_without_the_message_id_secret_mail_run_needs(
    invoke: Invoke,
    tmp_path: Path,
    _migrated_sqlite: Path,
    dovecot: ImapAccount,
    smtp_server: SmtpServer,
) -> None:
    """Every server answered "ok" and ``mail check`` passed, then ``mail run`` (and every
    terminal) refused to start for want of ``mail.message_id_secret``: the check names it."""
    configure(tmp_path, _migrated_sqlite, dovecot, smtp_server)
    text = user_config_file().read_text().replace(f'message_id_secret = "{SECRET}"\n', "")
    write_toml(user_config_file(), text)
    result = invoke("mail", "check")
    assert result.exit_code == 1
    [failure] = [line for line in lines(result.stdout) if "FAIL" in line]
    assert "FAIL settings" in failure and "mail.message_id_secret is missing" in failure
    assert "ok   login" in result.stdout, "the servers are checked all the same"
    assert "1 of 3 checks failed" in one_error_line(result.stderr)


def test_check_smtp_down_and_tls_mismatch(
    invoke: Invoke,
    tmp_path: Path,
    _migrated_sqlite: Path,
    dovecot: ImapAccount,
    smtp_server: SmtpServer,
) -> None:
    configure(tmp_path, _migrated_sqlite, dovecot, smtp_server)
    text = user_config_file().read_text().replace('security = "none"\n', 'security = "tls"\n', 1)
    write_toml(user_config_file(), text)
    smtp_server.stop()
    result = invoke("mail", "check")
    assert result.exit_code == 1
    failures = [line for line in lines(result.stdout) if "FAIL" in line]
    assert len(failures) == 2, result.stdout
    assert "FAIL TLS" in failures[0]  # implicit TLS spoken to a plain IMAP port
    assert "the server does not speak TLS on this port" in failures[0], "not WRONG_VERSION_NUMBER"
    assert "FAIL TCP" in failures[1] and str(smtp_server.port) in failures[1]


def test_status_quarantine_and_spam(
    invoke: Invoke,
    tmp_path: Path,
    _migrated_sqlite: Path,
    dovecot: ImapAccount,
    smtp_server: SmtpServer,
) -> None:
    url = configure(
        tmp_path, _migrated_sqlite, dovecot, smtp_server, extra='blocked = ["@spammy.example"]'
    )
    assert invoke("db", "upgrade").exit_code == 0
    evil_subject = "Hi \x1b]52;c;cm0gLXJmIH4=\x07 there"
    with dovecot.connect() as client:
        for raw in (
            email(subject="real one"),
            nested_too_deep(),
            email(sender="x@spammy.example", subject=evil_subject),
            delivery_report("<backscatter@elsewhere.example>", "gone@example.net"),
        ):
            client.append("INBOX", raw)
    import_inbox(url, dovecot, blocked=["@spammy.example"])

    status = invoke("mail", "status")
    assert status.exit_code == 0, status.stderr
    assert "support/INBOX: last poll" in status.stdout and "backlog 0" in status.stdout
    assert "outbox: 1 queued" in status.stdout
    assert "held: 1 in quarantine, 1 as spam, 1 machine mail" in status.stdout
    data = json.loads(invoke("mail", "status", "--json").stdout)
    assert data["backlog"] == 1 and data["folders"][0]["last_uid"] == 4
    assert (data["quarantined"], data["spam"], data["machine"]) == (1, 1, 1)

    machine = invoke("mail", "machine", "list")
    assert machine.exit_code == 0 and "bounce" in machine.stdout
    machine_id = machine.stdout.split()[0]
    shown_machine = invoke("mail", "machine", "show", machine_id)
    assert shown_machine.exit_code == 0, shown_machine.stderr
    assert "status:    5.1.2" in shown_machine.stdout
    assert "about:     <backscatter@elsewhere.example>" in shown_machine.stdout
    assert invoke("mail", "machine", "list", "--kind", "receipt").stdout == (
        "no machine mail held\n"
    )
    released_machine = invoke("mail", "machine", "release", machine_id)
    assert released_machine.exit_code == 0, released_machine.stderr
    assert released_machine.stdout.startswith("ticket: now in #2")
    assert "released by" in invoke("mail", "machine", "list", "--all").stdout

    listed = invoke("mail", "quarantine", "list")
    assert listed.exit_code == 0 and "nested" in listed.stdout
    entry_id = listed.stdout.split()[0]
    shown = invoke("mail", "quarantine", "show", entry_id)
    assert shown.exit_code == 0 and "reason:" in shown.stdout and "Russian dolls" in shown.stdout
    raw = invoke("mail", "quarantine", "show", entry_id, "--raw")
    assert raw.stdout_bytes == nested_too_deep()
    retried = invoke("mail", "quarantine", "retry", entry_id)
    assert retried.exit_code == 1 and "still quarantined" in one_error_line(retried.stderr)
    missing = invoke("mail", "quarantine", "show", "999")
    assert one_error_line(missing.stderr) == "error: no quarantined message 999"

    spam = invoke("mail", "spam", "list")
    assert spam.exit_code == 0 and "x@spammy.example" in spam.stdout
    assert "\x1b" not in spam.stdout and "\x07" not in spam.stdout
    spam_id = spam.stdout.split()[0]
    released = invoke("mail", "spam", "release", spam_id)
    assert released.exit_code == 0, released.stderr
    assert released.stdout.startswith("ticket: now in #3")
    again = invoke("mail", "spam", "release", spam_id)
    assert "released already" in one_error_line(again.stderr)
    assert invoke("mail", "spam", "list").stdout.strip() == "no spam held"


def test_undelivered_mail_is_listed_with_the_reason_and_resent(
    invoke: Invoke,
    tmp_path: Path,
    _migrated_sqlite: Path,
    dovecot: ImapAccount,
    smtp_server: SmtpServer,
) -> None:
    url = configure(tmp_path, _migrated_sqlite, dovecot, smtp_server)
    settings = server_settings(dovecot, smtp_server)
    assert invoke("db", "upgrade").exit_code == 0
    assert invoke("ticket", "new", "--subject", "VPN", "--from", "ann@example.org", "--body", "x")
    assert invoke("ticket", "reply", "1", "--body", "Try again now.").exit_code == 0
    smtp_server.respond_with = "550 5.1.1 <ann@example.org>: no such user"
    db = Database(url)
    try:
        worker = OutboxSender(db, settings, config_for(settings).signer)
        assert asyncio.run(worker.send_due()).failed == 1
        why = "failed after 1 try: 550 5.1.1 <ann@example.org>: no such user"

        status = invoke("mail", "status")
        assert status.exit_code == 0, status.stderr
        assert "outbox: 1 failed" in status.stdout
        assert f"  mail 1 #1 reply to ann@example.org: {why}" in lines(status.stdout)
        data = json.loads(invoke("mail", "status", "--json").stdout)
        [failed] = data["undelivered"]
        assert (failed["id"], failed["status"], failed["attempts"]) == (1, "failed", 1)

        shown = invoke("ticket", "show", "1")
        assert f"   [mail 1: {why}]" in shown.stdout.splitlines()
        assert f"mail 1 reply to ann@example.org: {why}" in shown.stdout.splitlines()

        resent = invoke("mail", "resend", "1")
        assert resent.exit_code == 0, resent.stderr
        assert resent.stdout.startswith("mail 1 #1 reply to ann@example.org: queued;")
        again = invoke("mail", "resend", "1")
        assert "only failed or bounced mail is re-sent" in one_error_line(again.stderr)

        smtp_server.respond_with = None
        assert asyncio.run(worker.send_due()).sent == 1
    finally:
        db.dispose()
    [ticket] = json.loads(invoke("ticket", "show", "1", "--json").stdout)
    [outgoing] = ticket["outgoing"]
    assert (outgoing["status"], outgoing["resendable"]) == ("sent", False)
    assert ticket["messages"][-1]["mail"] == 1
    [event] = [e for e in ticket["history"] if e["kind"] == "resent"]
    assert (event["old"], event["new"]) == ("failed", "queued")
    assert "not delivered" not in invoke("mail", "status").stdout


def test_mail_run_without_mail_runs_the_sla_alerts(
    invoke: Invoke, use_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A desk without [mail] got SLA alerts only while a terminal was open (``mail run``
    refused to start): it runs them alone, and says so in one line. The alerts are events
    the terminal shows; no mail is queued that could never go (``mail status`` counted it
    as waiting), and ``mail status`` says where alerts go."""
    from sqlmodel import select

    from helpdesk_tui.desk import fields
    from helpdesk_tui.desk.actors import actor_of, os_login
    from helpdesk_tui.desk.outbox import queue_mail
    from helpdesk_tui.desk.tickets import create_ticket
    from helpdesk_tui.mail.service import MailService
    from helpdesk_tui.storage.models import Agent, Ticket

    allday = ("sla", "calendar", "set", "allday", "--days", "mon-sun", "--hours", "00:00-24:00")
    assert invoke(*allday).exit_code == 0
    fast = (
        "sla",
        "policy",
        "set",
        "fast",
        "--first",
        "1m",
        "--resolve",
        "8h",
        "--priority",
        "normal",
    )
    assert invoke(*fast, "--calendar", "allday").exit_code == 0
    db = Database(use_db)
    try:
        actor = actor_of(db, os_login())
        earlier = datetime.now(UTC) - timedelta(minutes=10)
        with time_machine.travel(earlier, tick=False), db.write() as session:
            number = create_ticket(
                session, actor, subject="VPN", body="x", requester_email="a@x.test"
            ).number
            fields.assign(session, actor, number, agent=os_login())  # (an agent with mail)
        with db.write() as session:
            session.exec(select(Agent).where(Agent.login == os_login())).one().email = "me@x.test"
            ticket = session.exec(select(Ticket).where(Ticket.number == number)).one()
            queue_mail(
                session,
                ticket,
                now=datetime.now(UTC),
                kind="sla_alert",
                to=["me@x.test"],
                body="queued before",
            )
    finally:
        db.dispose()
    real = MailService._sla_pass

    def one_pass(service: MailService, now: datetime) -> datetime | None:
        try:
            return real(service, now)
        finally:
            service.stop_event.set()  # (one pass, then the service stops as on SIGTERM)

    monkeypatch.setattr(MailService, "_sla_pass", one_pass)
    result = invoke("mail", "run")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[0] == (
        "mail is not configured (no [mail.mailboxes.<name>], no [mail.smtp]): "
        "running the SLA alerts only"
    )
    assert "error" not in result.stderr.lower() and "Traceback" not in result.stderr
    [ticket] = json.loads(invoke("ticket", "show", "1", "--json").stdout)
    assert "sla_breach" in [e["kind"] for e in ticket["history"]], (
        ticket["history"],
        result.stderr,
    )
    [before] = ticket["outgoing"]  # no new mail; what an older version queued: withdrawn
    assert before["status"] == "withdrawn", before
    status = invoke("mail", "status")
    assert "outbox: 1 withdrawn" in status.stdout
    assert (
        "SLA alerts: in the terminal only (no outbox sender ran here for a day: no SMTP)"
        in status.stdout.splitlines()
    )
    monkeypatch.setenv("HELPDESK_MAIL__SMTP__HOST", "127.0.0.1")  # mail that cannot run: refused
    monkeypatch.setenv("HELPDESK_MAIL__ADDRESSES", '["help@x.test"]')
    refused = invoke("mail", "run")
    assert refused.exit_code == 1, refused.stderr
    assert "mail.message_id_secret is missing" in one_error_line(refused.stderr)


# SQLite only: refused on the settings before any SQL; the mail verbs run on PostgreSQL in
# test_mail_run_without_mail_runs_the_sla_alerts.
@on_sqlite_only
def test_mail_check_refuses_without_configuration(invoke: Invoke, use_db: str) -> None:
    result = invoke("mail", "check")
    assert result.exit_code == 1
    assert "mail is not configured" in one_error_line(result.stderr)
