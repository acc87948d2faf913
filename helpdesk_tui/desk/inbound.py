"""Incoming mail as the mail layer reads it and the desk decides on it: plain values only.

The mail layer's reading (parse, classify, hash) makes an :class:`Inbound`; everything
about it that intake decides and writes is in :mod:`helpdesk_tui.desk.intake`. This module
imports no database code, so the poller's parse process, which only reads, starts quickly.
What any new message may carry (:class:`EmailMeta`, :class:`NewAttachment`) is
``desk/email_meta``'s: a ticket write imports that, not the mail's values here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from helpdesk_tui.desk.email_meta import EmailMeta as EmailMeta
from helpdesk_tui.desk.email_meta import NewAttachment as NewAttachment

if TYPE_CHECKING:
    from sqlmodel import Session

    from helpdesk_tui.desk.routing import Arrival
    from helpdesk_tui.storage.mail_models import Outcome

ACK_KIND = "ack"
"""Outbox kind of an acknowledgement (sent as ``Auto-Submitted: auto-replied``)."""
AUTOMATIC_TAG = "auto-reply"
"""The tag on a ticket opened by mail whose subject looks like an automatic reply's but
may be a person's (``mail.noise.looks_automatic``): no acknowledgement went out, and the
queue can filter it (``tag:auto-reply``)."""


class MailClass(StrEnum):
    """What the mail layer says a message is; :func:`decide` says what to do with it."""

    NORMAL = "normal"
    """A person wrote it."""
    AUTO_REPLY = "auto_reply"
    """Out-of-office and other answers a machine wrote on someone's behalf."""
    RECEIPT = "receipt"
    """A read receipt (MDN, ``report-type=disposition-notification``)."""
    REPORT = "report"
    """An abuse or feedback report (ARF, ``report-type=feedback-report``)."""
    BOUNCE = "bounce"
    """A delivery status notification (DSN) or equally strong evidence of one."""
    OWN = "own"
    """Our own mail coming back (it carries the mark every message we send carries)."""
    OWN_ADDRESS = "own_address"
    """Mail from one of our own addresses that this desk did not send: a colleague answering
    from a mail client with the shared address, a web form that sends as the desk, or a
    forgery. Never a ticket of its own; recorded on the ticket it answers, else held."""
    SPAM = "spam"


MACHINE_CLASSES = frozenset(
    {
        MailClass.AUTO_REPLY,
        MailClass.RECEIPT,
        MailClass.REPORT,
        MailClass.BOUNCE,
        MailClass.OWN_ADDRESS,
    }
)
"""Mail no person should be answered for: recorded on the ticket it refers to (a system note,
no status change, no answer), else held apart as machine mail an agent may release."""


@dataclass(frozen=True)
class Source:
    """Where a message was read: lets the poller find what became of a UID later."""

    mailbox: str
    uidvalidity: int
    uid: int


@dataclass(frozen=True)
class ThreadRef:
    """A Message-ID a message refers to; ``ticket_number`` when it is one of ours, signed."""

    message_id: str
    ticket_number: int | None = None


@dataclass(frozen=True)
class Report:
    """What a machine-readable report says: DSN ``Status``/``Diagnostic-Code``, MDN, ARF."""

    status: str | None = None
    diagnostic: str | None = None
    recipient: str | None = None
    action: str | None = None
    """A DSN's ``Action``: ``failed``, or ``delayed`` (still trying), ``delivered``…"""
    detail: str | None = None
    """``Disposition`` of a receipt, ``Feedback-Type`` of a report."""
    recipients: tuple[ReportedRecipient, ...] = ()
    """A DSN's per-recipient blocks as written (the parser keeps at most 100): which of
    them bounced for good is ``desk/outbox``'s rule (:func:`~.outbox.hard_bounces`)."""


@dataclass(frozen=True)
class ReportedRecipient:
    """One recipient block of a DSN: ``Final-Recipient`` (type stripped), ``Action``,
    ``Status`` (the code, when the field holds one), as the report wrote them."""

    address: str | None
    action: str | None
    status: str | None


@dataclass(frozen=True)
class QuotedMessage:
    """The customer's message a colleague's answer quotes, recovered from the quote."""

    text: str
    date: datetime | None = None
    """When the customer wrote it, from the quote's attribution line (None: it gives none
    that parses, or one later than the answer)."""


@dataclass(frozen=True)
class Skipped:
    """An attachment over the size limit: not kept, but the agent learns it existed."""

    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class Inbound:
    """One incoming message as the mail layer read it; all :func:`decide` looks at."""

    raw: bytes | bytearray
    """A big message comes as the buffer it was fetched into (not copied)."""
    sha: str
    """sha256 of the raw bytes: the raw message is stored once per distinct bytes."""
    source: Source | None
    content_hash: str
    """Normalized content (sender, subject, date, text, attachments), not transport headers."""
    failure: str | None = None
    """Why the message cannot be parsed: it goes to quarantine."""
    mail_class: MailClass = MailClass.NORMAL
    reason: str | None = None
    """Why it is spam, or what kind of machine mail it is."""
    no_ack: str | None = None
    """Why a person's message gets no acknowledgement (a list, a bulk sender…)."""
    automatic: bool = False
    """A person's message whose subject looks like an automatic reply's: a ticket it opens
    is tagged :data:`AUTOMATIC_TAG`."""
    mailing_list: bool = False
    """The copy a mailing list delivered (``List-Id``, ``Precedence: list``): under a
    Message-ID the desk has, it is that message with the list's subject tag and footer."""
    list_address: str | None = None
    """The list's posting address (``List-Post``) on a list's copy: never the requester's or
    the reply address, which would send an agent's reply to every subscriber."""
    list_id: str | None = None
    """Which list a list's copy came through (its ``List-Id`` identifier, else its
    ``List-Post`` address); None: not a list's copy, or one that does not say."""
    list_tag: str | None = None
    """A list's copy's first leading ``[…]`` tag when none names the list
    (``noise.list_subject``): the list's own once its posts taught it so, which
    ``desk/list_tags`` knows (the rule) and strips."""
    message_id: str | None = None
    subject: str = ""
    """The subject, without a mailing list's own tag on a list's copy
    (``noise.list_subject``, ``desk/list_tags``): the ticket's; the message keeps the one
    it came with (``email.subject``), which routing rules read as well."""
    from_address: str | None = None
    from_name: str = ""
    reply_to: str | None = None
    body: str = ""
    new_text: str | None = None
    """The top of the reply in the sender's own words, quoted history, its attribution line
    and signature left out (the mail layer's ``own_words`` of the body's start): what a
    survey answer reads. None: use ``body``."""
    forwarded_from: str | None = None
    """The original sender of a forwarded message (a ``Fwd:`` subject and a forwarded header
    block or attached message), as the mail layer read it; None: no forward."""
    forwarded_name: str = ""
    notes: tuple[str, ...] = ()
    """One line each about what the mail layer could not read as it should (a broken
    ``winmail.dat`` kept as it came): a system note on the ticket."""
    answered: str | None = None
    """Mail from our own address the desk did not send that clearly answers a customer (a
    colleague's reply in a mail client: a reply's subject, quoted text, not automatic): the
    outside address it went to, as the mail layer read it; None otherwise."""
    answered_name: str = ""
    """The display name To gives :attr:`answered` (one line, safe), "" when none."""
    quoted: QuotedMessage | None = None
    """The customer's message the colleague's answer quotes, when the quote gives it (its
    attribution names no other address)."""
    email: EmailMeta = field(default_factory=EmailMeta)
    thread_refs: tuple[ThreadRef, ...] = ()
    """The Message-IDs it answers or reports on, most direct first; forged ones left out."""
    tokens: tuple[int, ...] = ()
    """Ticket numbers named in the subject, newest first."""
    report: Report | None = None
    skipped: tuple[Skipped, ...] = ()

    @property
    def key(self) -> str:
        """The dedupe key: a copy of this message (same ID, same content) has the same one.

        A message that cannot be parsed keeps the key of its bytes alone, as before its
        Message-ID was read from its raw header (a quarantine retry finds its row)."""
        if self.message_id and self.failure is None:
            return f"{self.message_id} {self.content_hash}"
        return f"sha256:{self.content_hash}"

    @functools.cached_property
    def normal_hash(self) -> str | None:
        """For a message without a Message-ID: the hash of its bytes as any server keeps
        them (``desk/mailstate.normal_hash``), which finds it again when a server re-encoded
        it and an upgrade changed its content hash. Computed in the desk, when asked."""
        if self.message_id:
            return None
        from helpdesk_tui.desk.mailstate import normal_hash

        return normal_hash(self.raw)


@dataclass(frozen=True)
class IntakeConfig:
    """What intake needs from the settings, resolved once."""

    own_addresses: frozenset[str]
    """``mail.addresses`` (the first is the From of everything the desk sends)."""
    mailbox_addresses: frozenset[str] = frozenset()
    """The logins of the desk's IMAP mailboxes that are addresses."""
    max_attachment_bytes: int = 10_000_000
    desk_name: str = "Helpdesk"
    ack_enabled: bool = True
    ack_subject: str = "Re: {subject} [#{number}]"
    ack_template: str = "Your request is ticket #{number}."
    ack_limit_per_hour: int = 3
    ack_forwards: bool = False
    """Acknowledge a ticket opened from an agent's forward (to the original sender)."""
    kb_public_url: str = ""
    """The published help site (``[kb] public_url``): when set, an acknowledgement lists the
    public articles that answer the new ticket well, with their links."""
    router: Callable[[Session, Sequence[Arrival], datetime], None] | None = None
    """Routing rules (:class:`~.routing_apply.IntakeRouter`), run on each new ticket and
    follow-up once its rows are written; None: no rules."""


@dataclass(frozen=True)
class IngestResult:
    outcome: Outcome
    ticket_number: int | None = None
    duplicate: bool = False
    """Seen before: nothing was changed this time (``outcome`` is the first time's)."""
    acknowledged: bool = False
    reason: str | None = None
    """Why a message was quarantined, held as spam or held as machine mail."""
