"""``helpdesk mail check``: connect to every mailbox and the SMTP server, step by step.

Each step (DNS, TCP, TLS, login, folder) is tried in turn and the first failure is named
exactly, because "cannot connect" is no help to whoever has to fix it.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from helpdesk_tui.mail_settings import MailboxSettings, MailSettings, Security, SmtpSettings


@dataclass(frozen=True)
class Step:
    name: str
    ok: bool
    detail: str


@dataclass
class CheckReport:
    target: str
    steps: list[Step] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(step.ok for step in self.steps)

    def passed(self, name: str, detail: str) -> None:
        self.steps.append(Step(name, True, detail))

    def failed(self, name: str, detail: str) -> None:
        self.steps.append(Step(name, False, detail))


def server_text(error: BaseException) -> str:
    """What an IMAP client error says, on one line: imapclient puts the server's reply in
    as the ``repr`` of its bytes (``b'[AUTHENTICATIONFAILED] Authentication failed.'``)."""
    text = " ".join(str(error).split())
    if len(text) >= 3 and text[0] == "b" and text[1] in "'\"" and text[-1] == text[1]:
        text = text[2:-1]
    return text or type(error).__name__


def tls_text(error: ssl.SSLError) -> str:
    """A failed TLS handshake in words: ``WRONG_VERSION_NUMBER`` is a server that does not
    speak TLS on that port at all (implicit TLS set on a plain port)."""
    reason = str(error.reason or "")
    if reason == "WRONG_VERSION_NUMBER":
        return (
            'the server does not speak TLS on this port (security = "tls" is for ports '
            '993 and 465; use security = "starttls" on ports 143 and 587)'
        )
    return " ".join((reason or str(error)).split()) or type(error).__name__


def _one_line(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    if isinstance(error, ssl.SSLError) and error.reason:
        return " ".join(str(error.reason).split())
    return server_text(error)


def _reach(report: CheckReport, host: str, port: int, timeout: float) -> bool:
    """DNS and TCP, shared by IMAP and SMTP."""
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        report.failed("DNS", f"cannot resolve {host}: {_one_line(error)}")
        return False
    report.passed("DNS", f"{host} is {addresses[0][4][0]}")
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as error:
        report.failed("TCP", f"cannot connect to {host}:{port}: {_one_line(error)}")
        return False
    report.passed("TCP", f"{host}:{port} accepts connections")
    return True


def check_imap(name: str, box: MailboxSettings) -> CheckReport:
    port = box.effective_port
    report = CheckReport(f"IMAP mailbox {name} ({box.user} at {box.host}:{port})")
    if not _reach(report, box.host, port, box.timeout):
        return report
    context = ssl.create_default_context()
    try:
        client = IMAPClient(
            box.host,
            port=port,
            ssl=box.security is Security.TLS,
            ssl_context=context if box.security is Security.TLS else None,
            timeout=box.timeout,
        )
    except ssl.SSLError as error:
        report.failed("TLS", f"handshake failed: {tls_text(error)}")
        return report
    except (OSError, IMAPClientError) as error:
        step = "TLS" if box.security is Security.TLS else "IMAP"
        report.failed(step, f"no IMAP greeting: {_one_line(error)}")
        return report
    try:
        _imap_session(report, client, box, context)
    finally:
        try:
            client.logout()
        except Exception:
            client.shutdown()
    return report


def _imap_session(
    report: CheckReport, client: IMAPClient, box: MailboxSettings, context: ssl.SSLContext
) -> None:
    if box.security is Security.STARTTLS:
        try:
            client.starttls(context)
        except (ssl.SSLError, OSError, IMAPClientError) as error:
            report.failed("TLS", f"STARTTLS failed: {_one_line(error)}")
            return
        report.passed("TLS", "STARTTLS, certificate verified")
    elif box.security is Security.TLS:
        report.passed("TLS", "implicit TLS, certificate verified")
    else:
        report.passed("TLS", "not used (security = none)")
    try:
        client.login(box.user, box.password.get_secret_value())
    except LoginError as error:
        report.failed("login", f"refused for {box.user}: {_one_line(error)}")
        return
    except (OSError, IMAPClientError) as error:
        report.failed("login", f"failed for {box.user}: {_one_line(error)}")
        return
    report.passed("login", f"logged in as {box.user}")
    try:
        selected = client.select_folder(box.folder, readonly=True)
    except (OSError, IMAPClientError) as error:
        report.failed("folder", f"cannot open {box.folder!r}: {_one_line(error)}")
        return
    report.passed("folder", f"{box.folder!r} holds {int(selected.get(b'EXISTS', 0))} messages")
    for label, folder in (
        ("processed folder", box.processed_folder),
        ("spam folder", box.spam_folder),
    ):
        if folder is None:
            continue
        exists = client.folder_exists(folder)
        report.passed(
            label, f"{folder!r} exists" if exists else f"{folder!r} will be created on first poll"
        )


def check_smtp(smtp: SmtpSettings) -> CheckReport:
    port = smtp.effective_port
    report = CheckReport(f"SMTP server {smtp.host}:{port}")
    if not _reach(report, smtp.host, port, smtp.timeout):
        return report
    context = ssl.create_default_context()
    try:
        if smtp.security is Security.TLS:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                smtp.host, port, timeout=smtp.timeout, context=context
            )
        else:
            client = smtplib.SMTP(smtp.host, port, timeout=smtp.timeout)
    except ssl.SSLError as error:
        report.failed("TLS", f"handshake failed: {tls_text(error)}")
        return report
    except (OSError, smtplib.SMTPException) as error:
        report.failed("SMTP", f"no SMTP greeting: {_one_line(error)}")
        return report
    try:
        _smtp_session(report, client, smtp, context)
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()
    return report


def _smtp_session(
    report: CheckReport, client: smtplib.SMTP, smtp: SmtpSettings, context: ssl.SSLContext
) -> None:
    try:
        client.ehlo()
        if smtp.security is Security.STARTTLS:
            client.starttls(context=context)
            client.ehlo()
            report.passed("TLS", "STARTTLS, certificate verified")
        elif smtp.security is Security.TLS:
            report.passed("TLS", "implicit TLS, certificate verified")
        else:
            report.passed("TLS", "not used (security = none)")
    except (ssl.SSLError, OSError, smtplib.SMTPException) as error:
        report.failed("TLS", f"STARTTLS failed: {_one_line(error)}")
        return
    if not smtp.user:
        report.passed("login", "no SMTP AUTH configured")
        return
    try:
        client.login(smtp.user, smtp.password.get_secret_value())
    except smtplib.SMTPAuthenticationError as error:
        reason = (
            error.smtp_error.decode(errors="replace")
            if isinstance(error.smtp_error, bytes)
            else str(error.smtp_error)
        )
        report.failed("login", f"refused for {smtp.user}: {error.smtp_code} {reason}")
        return
    except (OSError, smtplib.SMTPException) as error:
        report.failed("login", f"failed for {smtp.user}: {_one_line(error)}")
        return
    report.passed("login", f"logged in as {smtp.user}")


def check_all(
    mail: MailSettings, *, on_report: Callable[[CheckReport], None] | None = None
) -> list[CheckReport]:
    """Every mailbox, then SMTP; ``on_report`` sees each as it finishes."""
    reports = []
    targets: list[Callable[[], CheckReport]] = [
        partial(check_imap, name, box) for name, box in mail.mailboxes.items()
    ]
    if mail.smtp is not None:
        smtp = mail.smtp
        targets.append(lambda: check_smtp(smtp))
    for target in targets:
        report = target()
        reports.append(report)
        if on_report is not None:
            on_report(report)
    return reports
