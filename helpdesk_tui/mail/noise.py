"""Classify incoming mail: a person, a machine (and which kind), our own mail, or spam.

Machines are not customers. What a class means for the desk — recorded on a ticket, held
apart, acknowledged or not — is decided in :func:`helpdesk_tui.desk.intake.decide`; this
module only says what the message is, from its headers and MIME structure:

- **bounce**: a delivery status notification (``multipart/report;
  report-type=delivery-status`` or a ``message/delivery-status`` part), or
  ``X-Failed-Recipients``, or a mail-system sender (``MAILER-DAEMON``, ``postmaster``, or
  a null ``Return-Path``) *and* a bounce subject. The sender alone proves nothing: people
  write from ``postmaster@`` too.
- **receipt**: ``report-type=disposition-notification`` (MDN), or a read-receipt subject
  (``Read: …``, ``Gelesen: …``) as clients send when they do not send an MDN.
- **report**: ``report-type=feedback-report`` (ARF abuse reports).
- **own**: mail we sent (it carries :data:`LOOP_HEADER`); **own address**: mail whose
  From is one of the desk's addresses without that mark (a colleague's mail client, a web
  form sending as the desk, a forgery) — machine mail too, never a ticket of its own.
- **auto-reply**: RFC 3834 ``Auto-Submitted`` (anything but ``no``), ``X-Autoreply``,
  ``X-Autorespond``, ``Precedence: auto_reply/bulk/junk``, or an out-of-office subject
  that answers a mail (``Out of Office: <subject>``, the whole subject — "Out of Office
  AutoReply" too —, or In-Reply-To): "Out of office not working in Outlook", new, is a
  person's question. A subject in an automatic reply's form beyond that ("Out of office
  until Monday", "AUTO: Jane Doe is out of the office", "[Auto-Reply] …") is one in answer
  to a mail; new, it may be a person's: a person's mail, with no acknowledgement, marked
  ``automatic`` (the desk tags its ticket so the queue can filter it).

A person's mail may still be unfit for an acknowledgement (``no_ack``): a mailing list
(``List-Id``, ``Precedence: list``), ``X-Auto-Response-Suppress``, a null sender.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from helpdesk_tui.desk.inbound import MailClass
from helpdesk_tui.desk.subjects import leading_tags, list_name, without_list_tag
from helpdesk_tui.mail.parse import ParsedMessage, mailboxes

LOOP_HEADER = "x-helpdesk-loop"
"""Set on every message we send; finding it on incoming mail means it came from a helpdesk."""

_MAIL_SYSTEM = frozenset({"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"})
_MACHINE_PRECEDENCE = frozenset({"bulk", "junk", "auto_reply"})

_REPLY_WORDS = r"(?:re|aw|sv|vs|odp|antw|r|rif|ref|réf|wg|fw|fwd)"
"""Reply and forward prefixes of subjects, as mail clients in several languages write them."""
_PREFIX = rf"^\s*(?:{_REPLY_WORDS}\s*:\s*)*"
_OUT_OF_OFFICE_WORDS = (
    r"(?:"
    # en
    r"out[- ]of[- ](?:the[- ])?office|automatic reply|auto[- ]?reply|auto[- ]?response|autoresponse"
    r"|away from (?:the )?office|on vacation|vacation (?:reply|notice|message)"
    # de
    r"|abwesenheitsnotiz|automatische antwort|abwesend|nicht im büro|außer haus"
    # fr
    r"|réponse automatique|reponse automatique|absence du bureau|absent du bureau"
    r"|message d'absence|je suis absente?"
    # es
    r"|respuesta automática|respuesta automatica|fuera de la oficina|fuera de oficina"
    # it
    r"|risposta automatica|fuori sede|fuori ufficio|assente dall'ufficio"
    # nl
    r"|automatisch antwoord|afwezig|niet aanwezig|buiten kantoor"
    # pt
    r"|resposta automática|resposta automatica|ausente do escritório|fora do escritório"
    # sv, da, no
    r"|autosvar|automatiskt svar|frånvaromeddelande|automatisk svar|fraværsmelding|fravær"
    # pl
    r"|odpowiedź automatyczna|odpowiedz automatyczna|automatyczna odpowiedź|poza biurem"
    r"|nieobecność"
    # fi, cs, tr
    r"|automaattinen vastaus|poissa toimistolta|automatická odpověď|mimo kancelář"
    r"|otomatik yan\u0131t|ofis d\u0131\u015f\u0131nda"
    r")"
)
_OUT_OF_OFFICE = re.compile(_PREFIX + _OUT_OF_OFFICE_WORDS + r"\b", re.IGNORECASE)
"""Out-of-office subjects in the languages customers most often write in."""

_READ_RECEIPT_SUBJECT = re.compile(
    r"^\s*(?:"
    r"not read|read"  # en (Outlook's receipts when they are not sent as MDN)
    r"|nicht gelesen|ungelesen|gelesen"  # de
    r"|non lu|lu"  # fr
    r"|no le[ií]do|le[ií]do"  # es
    r"|non letto|letto"  # it
    r"|niet gelezen|gelezen"  # nl
    r"|n[aã]o lid[oa]|lid[oa]"  # pt
    r"|ol[äa]st|l[äa]st|l[æa]est|lest|luettu|przeczytan[oa]|p[řr]e[čc]teno"  # sv da no fi pl cs
    r")\s*:\s*\S",
    re.IGNORECASE,
)
"""A read receipt sent as an ordinary message: "Read: <our subject>", in the languages of
:data:`_OUT_OF_OFFICE`. Only at the very start: ``Re: Read: …`` is a person answering one."""

_BOUNCE_SUBJECT = re.compile(
    r"undeliver|undelivered|delivery status notification|returned mail|failure notice"
    r"|delivery failure|mail delivery failed|non[- ]?deliver|delivery has failed"
    r"|unzustellbar|nicht zugestellt|non remis|non distribuable|no se puede entregar"
    r"|mancata consegna|onbestelbaar",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Verdict:
    mail_class: MailClass
    reason: str | None = None
    """Why it is spam, or what kind of machine mail it is."""
    no_ack: str | None = None
    """Why a person's message gets no acknowledgement."""
    automatic: bool = False
    """A person's message whose subject looks automatic (:func:`looks_automatic`)."""


def classify(
    parsed: ParsedMessage, *, own_addresses: Iterable[str], blocked: Iterable[str]
) -> Verdict:
    """What kind of mail this is; OWN > OWN_ADDRESS > SPAM > BOUNCE > REPORT > RECEIPT >
    AUTO_REPLY.

    ``blocked`` entries are full addresses, ``@domain`` or ``domain`` (case-insensitive;
    a domain entry matches that domain only, not its subdomains).
    """
    if LOOP_HEADER in parsed.internal_headers:
        return Verdict(MailClass.OWN)
    own = {address.strip().lower() for address in own_addresses}
    if parsed.from_address is not None and parsed.from_address in own:
        return Verdict(MailClass.OWN_ADDRESS, "not sent by this desk")
    spam = _spam_reason(parsed, blocked)
    if spam is not None:
        return Verdict(MailClass.SPAM, spam)
    report_type = parsed.report_type
    auto = _auto_reply_reason(parsed)
    bounce = _bounce_reason(parsed, report_type, auto_reply=auto is not None)
    if bounce is not None:
        return Verdict(MailClass.BOUNCE, bounce)
    if report_type == "feedback-report":
        return Verdict(MailClass.REPORT, "feedback report (ARF)")
    if report_type == "disposition-notification":
        return Verdict(MailClass.RECEIPT, "read receipt (MDN)")
    if _READ_RECEIPT_SUBJECT.match(parsed.subject):
        return Verdict(MailClass.RECEIPT, "read receipt (subject)")
    if auto is not None:
        return Verdict(MailClass.AUTO_REPLY, auto)
    if looks_automatic(parsed):
        reason = _no_ack_reason(parsed) or "the subject of an automatic reply"
        return Verdict(MailClass.NORMAL, no_ack=reason, automatic=True)
    return Verdict(MailClass.NORMAL, no_ack=_no_ack_reason(parsed))


def _spam_reason(parsed: ParsedMessage, blocked: Iterable[str]) -> str | None:
    if parsed.headers.get("x-spam-flag", "").strip().lower() == "yes":
        return "X-Spam-Flag: YES"
    if parsed.from_address is None:
        return None
    domain = parsed.from_address.rpartition("@")[2]
    for entry in blocked:
        entry = entry.strip().lower()
        if not entry:
            continue
        if "@" in entry.lstrip("@"):
            if entry == parsed.from_address:
                return f"sender {parsed.from_address} is on the block list"
        elif entry.lstrip("@") == domain:
            return f"sender {parsed.from_address} is on the block list"
    return None


def _null_sender(parsed: ParsedMessage) -> bool:
    return re.sub(r"\s", "", parsed.headers.get("return-path", "")) == "<>"


def _bounce_reason(
    parsed: ParsedMessage, report_type: str | None, *, auto_reply: bool
) -> str | None:
    """A delivery report by its structure, or a mail system's mail that says it is one."""
    if report_type == "delivery-status" or (
        parsed.is_delivery_report and report_type not in ("disposition-notification",)
    ):
        return "delivery status notification"
    if "x-failed-recipients" in parsed.headers:
        return "X-Failed-Recipients"
    # "MAILER-DAEMON" often comes without a domain, so look at the raw From as well.
    senders = [parsed.from_address] if parsed.from_address else []
    senders += [address for _, address in mailboxes(parsed.headers.get("from", ""))]
    mail_system = any(s.partition("@")[0].strip().lower() in _MAIL_SYSTEM for s in senders)
    if (mail_system or (_null_sender(parsed) and not auto_reply)) and _BOUNCE_SUBJECT.search(
        parsed.subject
    ):
        return "delivery failure from the mail system"
    return None


_REPLY_SUBJECT = re.compile(
    r"^\s*(?:\[[^\[\]]{1,40}\]\s*)*(?:re|aw|sv|antw|odp|r|res|rif|ref)\s*(?:\[\d{1,3}\])?\s*:",
    re.IGNORECASE,
)
"""A reply's subject: Re: (English and most), AW: (German), SV: (Nordic), Antw: (Dutch),
Odp: (Polish), R:/Rif: (Italian), RES:/Ref: (Portuguese); after a gateway's ``[EXT]`` too."""


def answered_customer(
    parsed: ParsedMessage, *, own_addresses: Iterable[str], quotes: bool
) -> str | None:
    """The outside address a mail from our own address clearly answers, or None.

    Clearly a colleague answering a customer from the desk's address in a mail client: a
    reply's subject, ``quotes`` (the text quotes the mail it answers), an outside address
    in To, and nothing automatic about it (no Auto-Submitted, Precedence, list or
    auto-response headers, no null sender). Web forms and notifications sending as the desk
    are none of that, and stay held.
    """
    own = {address.strip().lower() for address in own_addresses}
    if not quotes or not _REPLY_SUBJECT.match(parsed.subject or ""):
        return None
    if _auto_reply_reason(parsed) is not None or _no_ack_reason(parsed) is not None:
        return None
    outside = [address for address in parsed.to if address and address.lower() not in own]
    return outside[0].lower() if outside else None


def _auto_reply_reason(parsed: ParsedMessage) -> str | None:
    headers = parsed.headers
    auto_submitted = headers.get("auto-submitted", "no").split(";", 1)[0].strip().lower()
    if auto_submitted not in ("", "no"):
        return f"Auto-Submitted: {auto_submitted}"
    precedence = headers.get("precedence", "").strip().lower()
    if precedence in _MACHINE_PRECEDENCE:
        return f"Precedence: {precedence}"
    for marker in ("x-autoreply", "x-autorespond"):
        if marker in headers:
            return f"{marker.title()} header"
    if _out_of_office_subject(parsed):
        return "out-of-office subject"
    if looks_automatic(parsed) and (
        parsed.in_reply_to or parsed.references or _TOKEN.search(parsed.subject or "")
    ):
        return "out-of-office subject"
    return None


_TOKEN = re.compile(r"\[#\d+\]")
_ANSWERED_SUBJECT = re.compile(rf"^(?::|{_REPLY_WORDS}\s*:)|\[#\d+\]", re.IGNORECASE)
_SUFFIX_WORDS = (
    r"(?:auto[- ]?reply|auto[- ]?response|autoresponder|reply|response|notice|notification"
    r"|message|antwort|notiz|meldung|réponse|reponse|respuesta|risposta|resposta)"
)
_SUFFIXES = re.compile(rf"(?:[\s\-\u2013]*{_SUFFIX_WORDS}\b)*[\s.!]*", re.IGNORECASE)
"""What may follow the phrase in the same form: "Out of Office AutoReply", "Out of office
reply", "Out of office." (not "Out of office notifications not working")."""
_RETURN_WORDS = (
    r"(?:until|till|til|through|thru|back|returning|return|bis|ab|zurück|zurueck|wieder"
    r"|jusqu|de retour|retour|hasta|fino|tot|vanaf|t/m|from\s+(?:\d|mon|tue|wed|thu|fri)|\d)"
)
_AWAY = (
    r"(?:out\s+of\s+(?:the\s+)?office|away\s+from\s+(?:the\s+|my\s+)?(?:office|desk)"
    r"|on\s+(?:vacation|holiday|holidays|leave|annual\s+leave|parental\s+leave)"
    r"|nicht\s+im\s+b[üu]ro|abwesend|absente?(?:\s+du\s+bureau)?|en\s+vacances|en\s+cong[ée]s?)"
)
_LOOKS_AUTOMATIC = re.compile(
    _PREFIX + r"(?:"
    # a gateway's or Lotus Notes' mark: "[Auto-Reply] …", "AUTO: …"
    r"auto\s*:|\[\s*(?:auto[- ]?(?:reply|response|antwort)|automatic\s+reply|ooo"
    r"|out\s+of\s+(?:the\s+)?office)\s*\]"
    # the phrase and when it ends: "Out of office until Monday", "Abwesend bis 14.12."
    rf"|{_OUT_OF_OFFICE_WORDS}(?:[\s\-\u2013]*{_SUFFIX_WORDS}\b)*"
    rf"[\s,;:\-\u2013\u2014(\[]*{_RETURN_WORDS}\b"
    r"|ooo\b"
    # who is away: "John Smith is out of the office", "I am on vacation"
    r"|(?:i\s+am|i['\u2019]m|ich\s+bin|je\s+suis"
    r"|[^\W\d_][\w.'\u2019-]*(?:\s+[^\W\d_][\w.'\u2019-]*){0,3}\s+(?:is|ist|est))"
    rf"\s+(?:currently\s+|now\s+)?{_AWAY}\b"
    rf"(?:[\s.!]*(?:\[#\d+\]\s*)?$|[\s,;:\-\u2013\u2014(\[]*{_RETURN_WORDS}\b)"
    r")",
    re.IGNORECASE,
)
"""An automatic reply's form beyond the phrase alone: a mark, a return date, who is away.
Without a reply's headers a person may have written it ("On vacation until Monday - who
covers my tickets?"), so it is a person's new ticket, but with no acknowledgement (a
machine would answer it), its ticket tagged ``auto-reply`` (``desk.inbound.AUTOMATIC_TAG``);
in answer to a mail it is an auto-reply."""


def looks_automatic(parsed: ParsedMessage) -> bool:
    """Whether the subject has an automatic reply's form (:data:`_LOOKS_AUTOMATIC`)."""
    return _LOOKS_AUTOMATIC.match(parsed.subject or "") is not None


def _out_of_office_subject(parsed: ParsedMessage) -> bool:
    """An out-of-office subject that is one: it names the mail it answers ("Out of Office:
    <subject>", "Automatic reply Re: …", a ticket token), is the whole subject, or the mail
    answers another (In-Reply-To, References). "Out of office not working in Outlook",
    new, is a person's question."""
    subject = parsed.subject or ""
    found = _OUT_OF_OFFICE.search(subject)
    if found is None:
        return False
    rest = subject[found.end() :]
    suffixes = _SUFFIXES.match(rest)  # ("Out of Office AutoReply" is the whole form)
    rest = rest[suffixes.end() if suffixes else 0 :].strip()
    if not rest or parsed.in_reply_to or parsed.references:
        return True
    return _ANSWERED_SUBJECT.search(rest) is not None


def from_a_list(parsed: ParsedMessage) -> bool:
    """A mailing list delivered it: ``List-Id`` (RFC 2919) or ``Precedence: list``."""
    headers = parsed.headers
    return "list-id" in headers or headers.get("precedence", "").strip().lower() == "list"


_LIST_ID = re.compile(r"^\s*(.*?)\s*<\s*([^<>]+?)\s*>", re.DOTALL)
_LIST_POST = re.compile(r"<\s*mailto:([^@>?\s]+@[^>?\s]+)", re.IGNORECASE)


class ListSubject(NamedTuple):
    """A message's subject as a mailing list's copy's tag leaves it (:func:`list_subject`)."""

    subject: str
    """The subject without the tag that names the list, when one does."""
    tag: str | None
    """On a list's copy whose subject has no tag naming the list: its first leading tag
    (``IT-Support`` of ``[IT-Support] VPN``), which the desk may know for the list's own
    by the list's earlier posts (``desk/list_tags``: the rule). None otherwise."""


def list_subject(parsed: ParsedMessage) -> ListSubject:
    """The subject without the tag a mailing list put before it (``[users] Wiki is down``:
    ``Wiki is down``; ``Re: [users] …`` keeps its ``Re:``), only on a list's copy and only
    the list's own tag: the leading ``[…]`` that names the list (its ``List-Id`` name or
    label, its ``List-Post`` mailbox, with Mailman's post number or not). Any other tag
    stays (a customer's ``[URGENT] printer down``), and is given as ``tag``: the desk
    strips it when the list's posts taught it as the list's (``desk/list_tags``). One
    reading of the subject for both."""
    subject = parsed.subject or ""
    if not from_a_list(parsed):
        return ListSubject(subject, None)
    stripped = without_list_tag(subject, _list_names(parsed))
    if stripped is not None:
        return ListSubject(stripped, None)
    tags = leading_tags(subject)
    return ListSubject(subject, tags[0] if tags else None)


def list_id(parsed: ParsedMessage) -> str | None:
    """Which list a list's copy came through: its ``List-Id`` identifier, else its
    ``List-Post`` mailbox (lower case); None when only ``Precedence: list`` says it."""
    if not from_a_list(parsed):
        return None
    headers = parsed.headers
    found = _LIST_ID.match(headers.get("list-id", ""))
    if found is not None:
        return found.group(2).strip().lower()
    posted = _LIST_POST.search(headers.get("list-post", ""))
    return posted.group(1).lower() if posted is not None else None


def _list_names(parsed: ParsedMessage) -> set[str]:
    """A list's names as its tag may write them: ``List-Id: Printer users
    <printers.lists.example.org>`` gives "printerusers" and "printers"; ``List-Post:
    <mailto:printers@…>`` "printers"."""
    headers = parsed.headers
    names: set[str] = set()
    found = _LIST_ID.match(headers.get("list-id", ""))
    if found is not None:
        names.add(list_name(found.group(1)))
        names.add(list_name(found.group(2).split(".", 1)[0]))
    posted = _LIST_POST.search(headers.get("list-post", ""))
    if posted is not None:
        names.add(list_name(posted.group(1).split("@", 1)[0]))
    names.discard("")
    return names


def _no_ack_reason(parsed: ParsedMessage) -> str | None:
    headers = parsed.headers
    if from_a_list(parsed):
        return f"mailing list ({'List-Id' if 'list-id' in headers else 'Precedence: list'})"
    if "x-auto-response-suppress" in headers:
        return "X-Auto-Response-Suppress"
    if _null_sender(parsed):
        return "null sender (Return-Path: <>)"
    return None
