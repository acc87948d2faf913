"""Raw mail in, an :class:`~helpdesk_tui.desk.intake.Inbound` out: parse, classify, hash.

This is all the mail layer does with an incoming message. What it *is* (a person, a
bounce, a receipt, spam…), which Message-IDs and ticket tokens it names, and a content hash
that tells a copy from another message under the same Message-ID are read here;
:mod:`helpdesk_tui.desk.intake` decides and writes. Mail reaches a ticket through the
poller, this module (with the parser and the classifier it calls) and ``desk.intake``.

:func:`read_message` needs no database, so the poller runs it in a reader thread.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import os
import re
import signal
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from helpdesk_tui.desk.blobs import Content, chunks_of
from helpdesk_tui.desk.inbound import (
    ACK_KIND,
    MACHINE_CLASSES,
    EmailMeta,
    Inbound,
    IngestResult,
    IntakeConfig,
    MailClass,
    NewAttachment,
    QuotedMessage,
    Report,
    ReportedRecipient,
    Skipped,
    Source,
    ThreadRef,
)
from helpdesk_tui.desk.subjects import tokens_newest_first
from helpdesk_tui.limits_settings import DEFAULT_MAX_BODY_BYTES
from helpdesk_tui.mail.forwards import forwarded_from
from helpdesk_tui.mail.message_ids import MessageIdSigner, Origin
from helpdesk_tui.mail.noise import (
    Verdict,
    answered_customer,
    classify,
    from_a_list,
    list_id,
    list_subject,
)
from helpdesk_tui.mail.parse import ParsedMessage, ParseError, header_message_id, parse_message
from helpdesk_tui.mail.quotes import attribution_date, own_words, quoted_message, quotes_history

if TYPE_CHECKING:
    from sqlmodel import Session

    from helpdesk_tui.config import IntakeOptions
    from helpdesk_tui.desk.actors import Actor
    from helpdesk_tui.desk.routing_apply import IntakeRouter
    from helpdesk_tui.storage.mail_models import Outcome

# Reading (read_message, and serve_reads in the poller's parse process) needs none of the
# database code: the desk's intake and holding areas are imported where they are used.

__all__ = [
    "ACK_KIND",
    "IngestConfig",
    "IngestResult",
    "ReadMessage",
    "Source",
    "ingest",
    "ingest_batch",
    "read_message",
    "release_machine",
    "release_spam",
    "retry_quarantined",
    "serve_reads",
]

ReadMessage = Inbound
"""A message read and classified, ready for :func:`ingest_batch`."""

_MAX_IDS = 50
NEW_TEXT_CHARS = 16 * 1024
"""Of a body's start, read for the sender's own words (a survey answer is at the top)."""
_SPACE = re.compile(r"[ \t]+\n")


@dataclass(frozen=True)
class IngestConfig:
    """What ingest needs from the settings, resolved once."""

    own_addresses: frozenset[str]
    blocked: tuple[str, ...]
    max_attachment_bytes: int
    signer: MessageIdSigner
    desk: IntakeConfig
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    """Text beyond this is cut (with a note at its top); the raw message is kept whole."""

    @classmethod
    def from_options(cls, options: IntakeOptions) -> IngestConfig:
        """The routing rules (``options.rules_file``) are read again when the file changes; a
        file with a fault is logged and the last good rules stay (mail keeps coming in);
        ``helpdesk rules check`` names the fault.
        """
        from helpdesk_tui.desk import intake

        mail = options.mail
        domain = (mail.from_address or "helpdesk.invalid").rpartition("@")[2]
        own = intake.own_addresses(mail.addresses)
        return cls(
            own_addresses=own,
            blocked=tuple(mail.blocked),
            max_attachment_bytes=mail.max_attachment_bytes,
            signer=MessageIdSigner(mail.message_id_secret.get_secret_value(), domain),
            max_body_bytes=mail.max_body_bytes,
            desk=IntakeConfig(
                own_addresses=own,
                mailbox_addresses=intake.own_addresses(
                    box.user for box in mail.mailboxes.values() if "@" in box.user
                ),
                max_attachment_bytes=mail.max_attachment_bytes,
                desk_name=options.desk_name,
                ack_enabled=mail.ack_enabled,
                ack_subject=mail.ack_subject,
                ack_template=mail.ack_template,
                ack_limit_per_hour=mail.ack_limit_per_hour,
                ack_forwards=mail.ack_forwards,
                kb_public_url=options.kb_public_url,
                router=_router(options.rules_file, options.desk_name),
            ),
        )


def _router(rules_file: Path | None, desk_name: str) -> IntakeRouter | None:
    if rules_file is None:
        return None
    from helpdesk_tui.desk.routing_apply import IntakeRouter

    return IntakeRouter(rules_file, desk=desk_name)


def ingest(
    session: Session,
    raw: bytes,
    config: IngestConfig,
    *,
    source: Source | None = None,
    redo: Outcome | None = None,
    not_spam: bool = False,
    as_person: bool = False,
    now: datetime | None = None,
) -> IngestResult:
    """Store one message: a batch of one (see :func:`helpdesk_tui.desk.intake.ingest_batch`).

    ``redo`` processes a message again whose earlier outcome was that one (a quarantine
    retry, a spam or machine-mail release); ``not_spam`` overrules the spam verdict and
    ``as_person`` the machine-mail one.
    """
    item = read_message(raw, source, config, not_spam=not_spam, as_person=as_person)
    [result] = ingest_batch(session, [item], config, redo=redo, not_spam=not_spam, now=now)
    return result


def ingest_batch(
    session: Session,
    items: Sequence[Inbound],
    config: IngestConfig,
    *,
    redo: Outcome | None = None,
    not_spam: bool = False,
    now: datetime | None = None,
) -> list[IngestResult]:
    """Each message decided and written by the desk, in order; one result each. The
    acknowledgements name the desk as an admin named it (``helpdesk desk name``), read
    with each batch; the config's ``desk_name`` only when it has no name of its own."""
    from helpdesk_tui.desk import intake
    from helpdesk_tui.desk.settings import desk_name

    desk = config.desk
    named = desk_name(session, desk.desk_name)
    if named != desk.desk_name:
        desk = dataclasses.replace(desk, desk_name=named)
    return intake.ingest_batch(session, items, desk, redo=redo, not_spam=not_spam, now=now)


def read_message(
    raw: bytes | bytearray,
    source: Source | None,
    config: IngestConfig,
    *,
    not_spam: bool = False,
    as_person: bool = False,
) -> Inbound:
    """Hash, parse and classify one message; needs no database (it may run in a thread).

    ``as_person`` takes machine mail an agent released as a person's (but without an
    acknowledgement: the sender may still be a machine that answers).
    """
    sha = hashlib.sha256(raw).hexdigest()
    try:
        parsed = parse_message(
            raw,
            max_attachment_bytes=config.max_attachment_bytes,
            max_body_bytes=config.max_body_bytes,
        )
    except ParseError as error:
        return Inbound(
            raw,
            sha,
            source,
            sha,
            failure=f"cannot be parsed: {error.reason}",
            message_id=header_message_id(raw),  # a copy of it, re-encoded, is a duplicate
        )
    verdict = classify(
        parsed,
        own_addresses=config.own_addresses,
        blocked=() if not_spam else config.blocked,
    )
    if not_spam and verdict.mail_class is MailClass.SPAM:  # the flag header, overruled
        headers = {k: v for k, v in parsed.headers.items() if k != "x-spam-flag"}
        verdict = classify(
            dataclasses.replace(parsed, headers=headers),
            own_addresses=config.own_addresses,
            blocked=(),
        )
    if as_person and verdict.mail_class in MACHINE_CLASSES:
        verdict = Verdict(MailClass.NORMAL, no_ack=f"released machine mail ({verdict.reason})")
    forward = forwarded_from(parsed) if verdict.mail_class is MailClass.NORMAL else None
    listed = list_subject(parsed)
    answered = (
        answered_customer(
            parsed,
            own_addresses=config.own_addresses,
            quotes=quotes_history(parsed.body_text[:NEW_TEXT_CHARS]),
        )
        if verdict.mail_class is MailClass.OWN_ADDRESS
        else None
    )
    return Inbound(
        raw=raw,
        sha=sha,
        source=source,
        content_hash=content_hash(parsed),
        mail_class=verdict.mail_class,
        reason=verdict.reason,
        no_ack=verdict.no_ack,
        automatic=verdict.automatic,
        mailing_list=from_a_list(parsed),
        list_address=_list_address(parsed),
        list_id=list_id(parsed),
        list_tag=listed.tag,
        message_id=parsed.message_id,
        subject=listed.subject,  # (the message keeps its own: email.subject)
        from_address=parsed.from_address,
        from_name=parsed.from_name,
        reply_to=parsed.reply_to,
        body=parsed.body_text,
        new_text=own_words(parsed.body_text[:NEW_TEXT_CHARS]),
        forwarded_from=forward[0] if forward else None,
        forwarded_name=forward[1] if forward else "",
        answered=answered,
        answered_name=parsed.to_names.get(answered, "") if answered else "",
        quoted=_quoted_customer(parsed, answered) if answered else None,
        notes=parsed.notes,
        email=_email(parsed),
        thread_refs=_thread_refs(parsed, verdict, config.signer),
        tokens=subject_tokens(parsed.subject),
        report=_report(parsed) if _is_report(verdict) else None,
        skipped=tuple(
            Skipped(s.filename, s.content_type, s.size) for s in parsed.skipped_attachments
        ),
    )


def _quoted_customer(parsed: ParsedMessage, customer: str) -> QuotedMessage | None:
    """The customer's message a colleague's answer quotes, when the quote shows it and its
    attribution names nobody else; dated by the attribution when it parses and is not
    later than the answer itself."""
    found = quoted_message(parsed.body_text)
    if found is None or (found.address is not None and found.address != customer):
        return None
    answered_at = parsed.date
    date = attribution_date(found.attribution, answered_at.tzinfo if answered_at else None)
    if date is not None and answered_at is not None and date > answered_at:
        date = None
    return QuotedMessage(found.text, date.astimezone(UTC) if date is not None else None)


def serve_reads(
    tasks: Connection,
    results: Connection,
    started: Any,
    taken: Any,
    config: IngestConfig,
) -> None:
    """The poller's parse process: read each task's messages (``(task id, [(raw, source)])``
    from ``tasks``) and send them back without their raw bytes (the poller has them), until
    the poller closes its end. Only reading happens here, so this module imports no
    database code at its top: the process starts in a fraction of the poller's time.

    A task's id goes into ``started`` (at ``id % len(started)``) before the work, and the
    task is skipped when the poller has put its id in ``taken`` (it parses that task
    itself): no lock is shared, so nothing this process does can hold the poller up. At
    worst both parse a task, and the poller keeps its own result.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the poller decides when this ends
    # Nothing from here may reach the terminal (the poller may run inside the TUI): a
    # library's warning or a crash would be written over the screen. The poller logs.
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)
    os.dup2(quiet, 2)
    os.close(quiet)
    gc.freeze()  # the imported modules' objects: not walked by every full collection
    try:
        while True:
            try:
                task_id, raws = tasks.recv()
            except EOFError:
                return
            slot = task_id % len(started)
            started[slot] = task_id
            if taken[slot] == task_id:
                results.send((task_id, None))
                continue
            try:
                read = [
                    dataclasses.replace(read_message(raw, source, config), raw=b"")
                    for raw, source in raws
                ]
            except Exception:  # the poller reads it again and meets the error itself
                read = None
            results.send((task_id, read))
    except (OSError, EOFError, KeyboardInterrupt):
        return  # the poller went away


_LIST_POST = re.compile(r"<\s*mailto:([^>?\s]+)", re.IGNORECASE)


def _list_address(parsed: ParsedMessage) -> str | None:
    """The address a mailing list posts to (RFC 2369 ``List-Post: <mailto:…>``; ``NO``: none),
    only on a list's copy: a reply there goes to every subscriber."""
    if not from_a_list(parsed):
        return None
    found = _LIST_POST.search(parsed.headers.get("list-post", ""))
    return unquote(found.group(1)).strip().lower() if found else None


def subject_tokens(subject: str) -> tuple[int, ...]:
    """Ticket numbers named in a subject (``[#1042]``), newest ticket first."""
    return tuple(tokens_newest_first(subject))


def content_hash(parsed: ParsedMessage) -> str:
    """What makes two messages under one Message-ID the same message.

    Sender, recipients, subject, date, text, HTML and attachments — not the transport
    headers (``Received``, ``Delivered-To``…) that differ between two copies of one message,
    nor line-end and trailing-space differences that relays and IMAP servers introduce.
    """
    digest = hashlib.sha256()

    def add(value: str | bytes | None) -> None:
        data = value if isinstance(value, bytes) else (value or "").encode("utf-8", "replace")
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)

    add(parsed.from_address)
    add(",".join(parsed.to))
    add(",".join(parsed.cc))
    add(parsed.subject)
    add(parsed.date.isoformat() if parsed.date else None)
    add(_normal_text(parsed.body_text))
    add(_normal_text(parsed.body_html or ""))
    for attachment in parsed.attachments:
        add(attachment.filename)
        add(_lf_digest(attachment.content))
    for skipped in parsed.skipped_attachments:
        add(f"{skipped.filename}:{skipped.size}")
    return digest.hexdigest()


def _lf_digest(content: Content) -> bytes:
    """SHA-256 of ``content`` with CRLF read as LF, a MiB at a time: no second copy of a big
    attachment. A CR at the end of a chunk waits for the next one, so no CRLF is split."""
    digest = hashlib.sha256()
    carry = b""
    for chunk in chunks_of(content):
        data = carry + bytes(chunk)
        carry = data[-1:] if data.endswith(b"\r") else b""
        digest.update(data[: len(data) - len(carry)].replace(b"\r\n", b"\n"))
    digest.update(carry)
    return digest.digest()


def _normal_text(text: str) -> str:
    return _SPACE.sub("\n", text.replace("\r\n", "\n")).strip()


def _is_report(verdict: Verdict) -> bool:
    return verdict.mail_class in (MailClass.BOUNCE, MailClass.RECEIPT, MailClass.REPORT)


def _report(parsed: ParsedMessage) -> Report:
    """What the parser read from a report's machine-readable part, as the desk records it."""
    status = parsed.delivery_status
    if status is None:
        return Report(detail=parsed.disposition or parsed.feedback_type)
    return Report(
        status=status.status,
        diagnostic=status.typed_diagnostic,
        recipient=status.final_recipient,
        action=status.action,
        detail=parsed.disposition or parsed.feedback_type,
        recipients=tuple(
            ReportedRecipient(r.final_recipient, r.action, r.status) for r in status.recipients
        ),
    )


def _thread_refs(
    parsed: ParsedMessage, verdict: Verdict, signer: MessageIdSigner
) -> tuple[ThreadRef, ...]:
    """The Message-IDs a message answers or reports on, most direct first, forged ones out.

    A report names the message it is about first (the bounced mail, the one a receipt is
    for), then what it answers.
    """
    wanted: list[str] = []
    if _is_report(verdict):
        about = (
            parsed.bounced_message_id if verdict.mail_class is MailClass.BOUNCE else None
        ) or parsed.reported_message_id
        if about:
            wanted.append(about)
    for message_id in [parsed.in_reply_to, *reversed(parsed.references)]:
        if message_id and message_id not in wanted:
            wanted.append(message_id)
    refs: list[ThreadRef] = []
    for message_id in wanted[:_MAX_IDS]:
        checked = signer.check(message_id)
        if checked.origin is Origin.FORGED:
            continue
        number = checked.ticket_number if checked.origin is Origin.OURS else None
        refs.append(ThreadRef(message_id, number))
    return tuple(refs)


def _email(parsed: ParsedMessage) -> EmailMeta:
    return EmailMeta(
        message_id=parsed.message_id,
        in_reply_to=parsed.in_reply_to,
        references=tuple(parsed.references),
        from_address=parsed.from_address,
        to=tuple(parsed.to),
        cc=tuple(parsed.cc),
        subject=parsed.subject[:500],
        body_html=parsed.body_html,
        attachments=tuple(
            NewAttachment(
                filename=a.filename,
                content=a.content,
                content_type=a.content_type,
                content_id=a.content_id,
                inline=a.inline,
            )
            for a in parsed.attachments
        ),
    )


def retry_quarantined(session: Session, entry_id: int, config: IngestConfig) -> IngestResult:
    """Run a quarantined message through ingest again; resolved when it gets through."""
    from helpdesk_tui.desk import intake, quarantine
    from helpdesk_tui.storage.mail_models import Outcome

    entry, raw = quarantine.open_entry(session, entry_id)
    result = ingest(session, raw, config, redo=Outcome.QUARANTINE)
    if result.outcome is not Outcome.QUARANTINE:
        quarantine.resolve(session, entry, intake.ticket_id_of(session, result.ticket_number))
    return result


def release_spam(
    session: Session, actor: Actor, entry_id: int, config: IngestConfig
) -> IngestResult:
    """Let a held message through as the normal ticket or follow-up it would have been."""
    from helpdesk_tui.desk import intake, spam
    from helpdesk_tui.storage.mail_models import Outcome

    entry, raw = spam.open_entry(session, entry_id)
    result = ingest(session, raw, config, redo=Outcome.SPAM, not_spam=True)
    ticket_id = intake.ticket_id_of(session, result.ticket_number)
    spam.mark_released(session, entry, actor, ticket_id)
    return result


def release_machine(
    session: Session, actor: Actor, entry_id: int, config: IngestConfig
) -> IngestResult:
    """Let held machine mail through as a person's: the ticket or follow-up it would be."""
    from helpdesk_tui.desk import intake, machine
    from helpdesk_tui.storage.mail_models import Outcome

    entry, raw = machine.open_entry(session, entry_id)
    result = ingest(session, raw, config, redo=Outcome.MACHINE, as_person=True)
    machine.mark_released(session, entry, actor, intake.ticket_id_of(session, result.ticket_number))
    return result
