"""Customer satisfaction: ratings on tickets, and the survey that asks for them.

A rating is an event (``rated``, the score 1 to 5 as its value) on the ticket, with the
customer's comment, if any, as a system entry in the thread; the report reads the last
rating of each ticket. A rating never changes the ticket's status.

A rating that says something is wrong — a low score (at most :data:`LOW_SCORE`), or a
comment that reports a problem ("4 stars but the VPN is still down") — is not filed away:
:func:`follow_up_reason` decides (the one rule), and :func:`record_rating` tags the ticket
``follow-up`` (the queue's filters and the ticket show it) and writes a ``rating_concern``
event that the assignee's terminal (supervisors': every one) shows in its alert line; while
the desk sends mail, the assignee (unassigned: the team's supervisors) gets it by mail. The
ticket stays resolved: the customer was told that a reply without a rating reopens it, and
praise ("5, great, it works again!") must never reopen anything.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, insert, select

from helpdesk_tui.desk import history
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.canned import greeting_name
from helpdesk_tui.desk.errors import InvalidValue
from helpdesk_tui.desk.mail_reads import sends_mail
from helpdesk_tui.desk.outbox_rows import RATING_CONCERN_KIND as RATING_CONCERN_KIND
from helpdesk_tui.desk.outbox_rows import SURVEY_KIND as SURVEY_KIND
from helpdesk_tui.desk.outbox_rows import queue_mail
from helpdesk_tui.desk.settings import made_setting, set_switch
from helpdesk_tui.desk.subjects import base_subject
from helpdesk_tui.desk.survey_reads import ENABLED, surveys_enabled
from helpdesk_tui.desk.tags import apply_tags
from helpdesk_tui.desk.ticket_reads import RATED
from helpdesk_tui.desk.ticket_reads import Rating as Rating
from helpdesk_tui.desk.ticket_reads import ticket_rating as ticket_rating
from helpdesk_tui.desk.ticket_record import load_for_update, save
from helpdesk_tui.desk.tickets import add_message
from helpdesk_tui.desk.tiers import alert_recipients
from helpdesk_tui.storage.core_tables import (
    Contact,
    Outbox,
    SurveyOptOut,
    SurveyOptOutHash,
    Ticket,
    survey_opt_out,
    survey_opt_out_hash,
)
from helpdesk_tui.storage.database import connection_of
from helpdesk_tui.storage.enums import Channel, MessageKind, OutboxStatus, utcnow

if TYPE_CHECKING:
    from sqlmodel import Session

    from helpdesk_tui.desk.ticket_record import TicketState
    from helpdesk_tui.storage.database import Reader

MAX_COMMENT = 2000


def check_score(score: int) -> int:
    if not 1 <= score <= 5:
        raise InvalidValue(f"a rating is 1 to 5, not {score}")
    return score


def record_rating(
    session: Reader,
    actor: Actor,
    ticket: TicketState,
    score: int,
    comment: str | None,
    *,
    channel: str = Channel.EMAIL,
    now: datetime | None = None,
) -> None:
    """Record ``score`` (and the comment) on ``ticket``; its status stays as it is. A
    rating that needs follow-up is tagged, an event, and — while the desk sends mail — a
    mail to whom it concerns (:func:`_mail_concern`); ``now``: the desk's clock."""
    value, body = rating_entry(score, comment)
    history.bump(ticket)
    history.record(session, actor, ticket, RATED, new=value)
    add_message(session, actor, ticket, kind=MessageKind.SYSTEM, body=body, channel=channel)
    reason = follow_up_reason(score, comment)
    if reason is not None:
        apply_tags(session, actor, ticket, add=[FOLLOW_UP_TAG], bump=False)
        history.record(session, actor, ticket, RATING_CONCERN, new=reason)
        _mail_concern(session, ticket, reason, now or utcnow())


def follow_up_done(
    reader: Reader, actor: Actor, number: int, expected_version: int | None = None
) -> bool:
    """An agent followed up the rating on ticket ``number``: the ``follow-up`` tag its
    rating put on it comes off (a ``tag_removed`` event, who and when), so it leaves the
    count the start tells and the list the palette shows. False: it had no such tag."""
    ticket = load_for_update(reader, number)
    history.check_version(reader, ticket, expected_version)
    if not apply_tags(reader, actor, ticket, remove=[FOLLOW_UP_TAG]):
        return False
    save(reader, ticket)
    return True


def _mail_concern(reader: Reader, ticket: TicketState, reason: str, now: datetime) -> None:
    """The "Customer rating" alert's mail, queued in the rating's transaction as an SLA
    alert's is, and like it only while the desk sends mail (``mail_reads.sends_mail``):
    on a desk without SMTP the alert line alone tells."""
    to = alert_recipients(reader, ticket.assignee_id, ticket.team_id)
    if not to or not sends_mail(connection_of(reader), now):
        return
    queue_mail(
        reader,
        ticket,
        now=now,
        kind=RATING_CONCERN_KIND,
        to=to,
        subject="Customer rating: follow up",  # (the sender adds the token)
        body=f'#{ticket.number} "{ticket.subject}": {_sentence(reason)}\n',
    )


def _sentence(text: str) -> str:
    """``text`` ended by a full stop, unless the customer's comment it quotes ends one
    already ("… still squeaks." read "still squeaks.." in the alert mail)."""
    return text if text.endswith((".", "!", "?", "…")) else f"{text}."


LOW_SCORE = 2
"""A rating at or below this needs an agent's follow-up, whatever its comment says."""
FOLLOW_UP_TAG = "follow-up"
"""The tag a rating that needs follow-up puts on its ticket."""
RATING_CONCERN = "rating_concern"
"""The event of a rating that needs follow-up (its value: :func:`follow_up_reason`)."""
_CONCERN_CHARS = 160
_PROBLEM = re.compile(
    r"\b(?:"
    r"still\s+(?:\w+\s+)?(?:down|broken|off|offline|slow|waiting|crash\w*|fail\w*|happen\w*|not\b"
    r"|can'?t|cannot|won'?t|doesn'?t|does\s+not|isn'?t|is\s+not|an?\s+(?:issue|problem)"
    r"|(?:issue|problem|error)s\b|(?:the\s+)?same)"
    r"|(?:doesn'?t|does\s+not|don'?t|do\s+not|isn'?t|is\s+not|aren'?t|are\s+not|won'?t"
    r"|can'?t|cannot|unable\s+to|not)\s+(?:\w+\s+)?(?:work\w*|fixed|resolved|solved|connect\w*"
    r"|log\s*(?:in|on)|print\w*|open\w*|start\w*|send\w*|load\w*|boot\w*)"
    r"|(?:is|are|went|goes|keeps?\s+going)\s+down|broken|broke"
    r"|(?:problem|issue|error|fault)s?\s+(?:persists?|remains?|is\s+back|came\s+back|again)"
    r"|(?:happen\w*|broke|failed|crash\w*|down)\s+again|stopped\s+working"
    r"|(?:the\s+)?same\s+(?:problem|issue|error)\b"
    r"|(?:geht|funktioniert|klappt)\s+(?:(?:immer|noch|schon|wieder|leider|jetzt|gar)\s+)*nicht"
    r"|(?:immer\s+noch|schon\s+wieder|wieder)\s+kaputt"
    r"|ne\s+(?:marche|fonctionne)\s+(?:toujours\s+)?(?:pas|plus)\b"
    r"|(?:marche|fonctionne)\s+toujours\s+pas|(?:toujours|encore)\s+en\s+panne"
    r"|no\s+funciona\b|sigue\s+(?:sin\s+funcionar|fallando|ca[ií]d[oa])"
    r"|non\s+funziona\b|ancora\s+(?:rott[oa]|guast[oa]|non\s+va)"
    r"|n[aã]o\s+(?:est[aá]\s+)?funciona(?:ndo)?\b|continua\s+sem\s+funcionar"
    r"|werkt\s+(?:nog\s+)?(?:steeds\s+)?niet|doet\s+het\s+(?:nog\s+)?(?:steeds\s+)?niet"
    r"|(?:nog\s+)?steeds\s+kapot"
    r")",
    re.IGNORECASE,
)
"""A comment that reports a problem: something still down or not working, broken, back
again ("4 stars but the VPN is still down", "2, printers still down", "nice people but it
doesn't work", "funktioniert immer noch nicht", "ne marche plus", "sigue fallando"), in
the present: "no funcionaba" (it did not, before) is none. Praise that names a past
problem ("it works again", "no problems since") is none (:data:`_PRAISED_AWAY`)."""
_PRAISED_AWAY = re.compile(
    r"\b(?:no|without|zero|not\s+a)\s+(?:more\s+)?(?:problems?|issues?|errors?)\b"
    r"|\bnot\s+(?:down|broken)\s+(?:any\s*more|again)\b|\bnot\s+(?:a\s+)?single\b"
    # phrases whose words look like a problem's and say none
    r"|\bwork(?:ed|ing)?\s+out\s+(?:how|what|why|where|when|who|whether|if)\b"
    r"|\b(?:can'?t|can\s*not|couldn'?t|could\s+not)\s+(?:\w+\s+)?(?:believe|thank|complain)\b"
    r"|\b(?:couldn'?t|could\s+not|wouldn'?t|would\s+not)\s+have\s+(?:\w+\s+){1,2}?"
    r"(?:better|faster|quicker|sooner)\b"
    r"|\bnot\s+(?:only|just|merely)\b"
    r"|\b(?:nothing|never)\s+(?:is\s+|was\s+|got\s+)?(?:broken|down)\b"
    r"|\b(?:fixed|repaired|replaced|mended)\s+(?:my|the|our|a|that|what)\s+(?:\w+\s+)?"
    r"(?:(?:I|we)\s+)?(?:had\s+)?(?:broken|broke)\b"
    # a problem that was, up to the fix: "could not log in before", "until you reset it"
    r"|\b(?:could|did|was|were|had)(?:\s+not|n'?t)\s+(?:\w+\s+){0,3}?"
    r"(?:before|until|earlier|previously)\b"
    r"|\bnichts\s+(?:mehr\s+)?kaputt\b",
    re.IGNORECASE,
)
"""What takes a problem's words back: none any more ("no problems since", "not down
anymore"), a phrase that only looks like one ("could not work out how to thank you",
"can't complain", "couldn't have worked better", "not only fixed it but…", "fixed the
laptop I broke"), a problem that was, up to the fix ("could not print before")."""


def follow_up_reason(score: int, comment: str | None) -> str | None:
    """Why a rating needs an agent to follow up — its score is low (≤ :data:`LOW_SCORE`)
    or its comment reports a problem (:data:`_PROBLEM`) — as one line; None: it is praise
    (or a fair mark) and the ticket is left as it is. The one rule: :func:`record_rating`
    applies it wherever a rating comes from (a survey's answer, a call)."""
    said = " ".join((comment or "").split())
    problem = bool(said) and _PROBLEM.search(_PRAISED_AWAY.sub(" ", said)) is not None
    if score > LOW_SCORE and not problem:
        return None
    why = "low rating" if score <= LOW_SCORE else "the comment reports a problem"
    quoted = f": {said[:_CONCERN_CHARS]}{'…' if len(said) > _CONCERN_CHARS else ''}" if said else ""
    return f"rated {score}/5, {why} — follow up{quoted}"


def rating_entry(score: int, comment: str | None) -> tuple[str, str]:
    """A rating's ``rated`` event value and its system entry's text in the thread: what
    :func:`record_rating` writes, and the demo's stories write in bulk (``demo_story``)."""
    check_score(score)
    comment = " ".join((comment or "").split())[:MAX_COMMENT] or None
    shown = f"Satisfaction rating {score}/5"
    return str(score), f"{shown}: {comment}" if comment else shown


# -- the survey ------------------------------------------------------------------------------

SECRET = "survey.secret"
_TOKEN = re.compile(r"\bsurvey (\d{1,18})-([0-9a-f]{16})\b")


def _secret(reader: Reader) -> bytes:
    """The desk's survey key, made on first use."""
    return made_setting(connection_of(reader), SECRET, lambda: secrets.token_hex(32)).encode()


def survey_token(session: Reader, number: int) -> str:
    """``123-<16 hex>``: the ticket number and its HMAC under the desk's survey key."""
    return _token(_secret(session), number)


def _token(secret: bytes, number: int) -> str:
    mac = hmac.digest(secret, f"survey:{number}".encode(), hashlib.sha256)
    return f"{number}-{mac[:8].hex()}"


def token_number(session: Reader, text: str) -> int | None:
    """The ticket a survey token in ``text`` was made for, or None if there is none or it
    is forged (a token for one ticket never rates another)."""
    match = _TOKEN.search(text)
    if match is None:
        return None
    number = int(match.group(1))
    expected = survey_token(session, number)
    return number if hmac.compare_digest(expected, f"{number}-{match.group(2)}") else None


def set_surveys_enabled(session: Session, enabled: bool) -> None:
    set_switch(session, ENABLED, enabled)


def set_opt_out(reader: Reader, contact_id: int, opted_out: bool) -> None:
    conn = connection_of(reader)
    found = conn.execute(
        select(SurveyOptOut.contact_id).where(SurveyOptOut.contact_id == contact_id)
    ).first()
    if opted_out and found is None:
        conn.execute(insert(survey_opt_out).values(contact_id=contact_id))
    elif not opted_out and found is not None:
        conn.execute(delete(survey_opt_out).where(SurveyOptOut.contact_id == contact_id))


@dataclass(frozen=True)
class SurveyMail:
    """The survey a resolved ticket's requester is sent: the outbox row's address, subject
    (the sender adds the ticket token) and text."""

    to: str
    subject: str
    body: str


def survey_mail(
    number: int,
    subject: str,
    address: str | None,
    opted_out: bool,
    token: Callable[[int], str],
    *,
    name: str,
) -> SurveyMail | None:
    """The survey for ticket ``number`` (titled ``subject``) to its requester ``name`` at
    ``address``; None when there is no address or they opted out (``token``: the desk's
    token of a ticket number)."""
    if not address or opted_out:
        return None
    made = token(number)
    body = survey_body(number, subject, made, greeting_name(name, address))
    return SurveyMail(address, survey_subject(subject, made), body)


SUBJECT_TITLE = 60
"""Characters of the request's subject a survey's subject repeats (cut with "…")."""


def survey_subject(subject: str, token: str) -> str:
    """``How did we do with: <the request's subject> (survey <token>)``; the sender adds the
    ticket's ``[#12]`` as on every mail of the ticket. The token stays in the subject: the
    answer is matched by it (:func:`survey_answer`), and a reply keeps the subject. The
    subject said only "How did we do? (survey 12-…)", which named no request."""
    title = base_subject(subject)
    if len(title) > SUBJECT_TITLE:
        title = title[: SUBJECT_TITLE - 1].rstrip() + "…"
    asked = f"How did we do with: {title}" if title else "How did we do?"
    return f"{asked} (survey {token})"


def address_hash(address: str) -> str:
    """The sha256 of an address as an opt-out that outlived its contact keeps it
    (``survey_opt_out_hash``: ``helpdesk contact forget``)."""
    return hashlib.sha256(address.strip().lower().encode("utf-8", "surrogatepass")).hexdigest()


def forgotten_opt_out(reader: Reader, address: str) -> bool:
    """Whether a forgotten contact with this address had opted out of surveys."""
    found = connection_of(reader).execute(
        select(SurveyOptOutHash.address_hash).where(
            SurveyOptOutHash.address_hash == address_hash(address)
        )
    )
    return found.first() is not None


def forget_opt_out_hash(reader: Reader, address: str) -> None:
    """Surveys to ``address`` again, though a forgotten contact had opted out with it."""
    connection_of(reader).execute(
        delete(survey_opt_out_hash).where(SurveyOptOutHash.address_hash == address_hash(address))
    )


class Surveys:
    """The survey rule for many resolved tickets at once (the demo's bulk load): the desk's
    switch, its key and who opted out, read once, in the caller's transaction; then
    :meth:`mail` is ``queue_survey``'s decision and mail for one ticket, without a query."""

    def __init__(self, reader: Reader) -> None:
        conn = connection_of(reader)
        self.enabled = surveys_enabled(conn)
        self._secret = _secret(conn) if self.enabled else b""
        self._opted_out = frozenset(conn.execute(select(SurveyOptOut.contact_id)).scalars())
        self._forgotten = frozenset(conn.execute(select(SurveyOptOutHash.address_hash)).scalars())

    def mail(
        self, number: int, subject: str, contact_id: int | None, address: str | None, name: str
    ) -> SurveyMail | None:
        """The survey a new ticket resolved now sends (never merged, never asked before)."""
        if not self.enabled:
            return None
        opted_out = contact_id in self._opted_out or (
            address is not None and address_hash(address) in self._forgotten
        )
        return survey_mail(
            number, subject, address, opted_out, lambda n: _token(self._secret, n), name=name
        )


def survey_body(number: int, subject: str, token: str, greeting: str) -> str:
    """The survey's text, greeting the customer as the acknowledgement does (``greeting``:
    :func:`~helpdesk_tui.desk.canned.greeting_name`). It names the request by its subject
    as well as its number: a customer knows "VPN drops" but not "#1" (the survey said only
    "Your request #1 has been resolved", a puzzle to one with two requests open)."""
    title = " ".join(subject.split()) or "(no subject)"
    return (
        f"Hello {greeting},\n\n"
        f'Your request #{number}, "{title}", has been resolved. How did we do?\n\n'
        "Reply to this message with a rating from 1 (bad) to 5 (great) - or simply good or "
        "bad - on the first line, and any comment after it. Keep the subject as it is: "
        f"it carries the code that ties your rating to your request ({token}).\n\n"
        "Your ticket stays resolved; if you still need help, reply without a rating and it "
        "opens again.\n"
    )


def queue_survey(reader: Reader, ticket: TicketState) -> bool:
    """Ask the requester of a just-resolved ticket for a rating, once per ticket.

    Not when surveys are off for the desk, the requester opted out, there is no address to
    write to, the ticket was merged away, or a survey for it was queued before (and not
    withdrawn: one withdrawn because the ticket opened again before it went asks anew).
    """
    conn = connection_of(reader)
    if ticket.merged_into_id is not None or not surveys_enabled(conn):
        return False
    contact = (
        conn.execute(
            select(
                Contact.id,
                Contact.email,
                Contact.name,
                SurveyOptOut.contact_id.label("opted_out"),
            )
            .outerjoin_from(Contact.id.table, survey_opt_out, SurveyOptOut.contact_id == Contact.id)
            .where(Contact.id == ticket.requester_id)
        ).first()
        if ticket.requester_id
        else None
    )
    address = ticket.reply_to or (contact.email if contact else None)
    opted_out = contact is not None and contact.opted_out is not None
    if not opted_out and address:
        opted_out = forgotten_opt_out(conn, address)
    asked = conn.execute(
        select(Outbox.id).where(
            Outbox.ticket_id == ticket.id,
            Outbox.kind == SURVEY_KIND,
            Outbox.status != OutboxStatus.WITHDRAWN,
        )
    ).first()
    if asked is not None:
        return False
    mail = survey_mail(
        ticket.number,
        ticket.subject,
        address,
        opted_out,
        lambda n: survey_token(conn, n),
        name=(contact.name if contact else None) or "",
    )
    if mail is None:
        return False
    queue_mail(
        conn,
        ticket,
        now=utcnow(),
        kind=SURVEY_KIND,
        to=[mail.to],
        subject=mail.subject,
        body=mail.body,
    )
    return True


# -- reading an answer -------------------------------------------------------------------------

_WORDS: dict[str, int] = {
    word: score
    for words, score in (
        (
            "good great excellent gut super bien bon bueno buena buono bene bom boa ótimo "
            "otimo goed prima top",
            5,
        ),
        ("bad poor terrible schlecht mauvais mal malo mala cattivo male ruim slecht", 1),
    )
    for word in words.split()
}
"""Good and bad in English, German, French, Spanish, Italian, Portuguese and Dutch."""


def _any(words: str) -> str:
    return "|".join(sorted(words.split(), key=len, reverse=True))


_THANKS = _any(
    "thanks thank thx ty cheers danke dank vielen merci gracias grazie obrigado obrigada "
    "bedankt tack takk kiitos"
)
"""Thanks, after a rating, leaves it a rating ("5 thanks!", "4 danke")."""
_PRAISE = _any(
    " ".join(_WORDS)
    + " perfect awesome amazing fantastic brilliant fine ok okay perfekt toll klasse "
    "parfait génial genial perfecto excelente ottimo perfetto uitstekend"
)
_VERY = _any("very really so sehr très tres muy molto zeer muito")
_SERVICE = _any(
    "service support job work help experience team servizio assistenza lavoro aiuto "
    "atendimento serviço servico trabalho ajuda arbeit hilfe dienst hulp werk travail aide "
    "servicio atención atencion trabajo ayuda"
)
"""What a rating word may be said of ("great job", "ótimo atendimento", "bad service")."""
_STAR_WORDS = r"stars?|sterne?|[ée]toiles?|estrellas?|estrelas?|stelle|sterren"
_SCORE = re.compile(
    r"^\s*(?:(?:my\s+|meine\s+)?(?:rating|score|note|bewertung|valutazione|voto"
    r"|puntuaci[oó]n|calificaci[oó]n|nota|beoordeling|cijfer|avalia[cç][aã]o)\s*[:=]?\s*)?"
    r"([1-5])(.*)$",
    re.DOTALL | re.IGNORECASE,
)
"""A leading number, after a label ("Rating: 4", "Note : 5") if any: a rating only as
:func:`_leading_number` says."""
_SCALE = re.compile(rf"\s*+(?:/\s*5(?![\d.,]?\d)|(?:-\s*)?(?:{_STAR_WORDS})\b)", re.IGNORECASE)
"""A scale that makes the number a rating whatever follows: "5/5", "4 stars", "5 Sterne"."""
_OUT_OF = re.compile(
    r"\s+(?:out\s+of|of|von|sur|de|su|van|em|av|af|z)\s+"
    r"(?:5|five|fünf|cinq|cinco|cinque|vijf)(?![\d.,]?\d)",
    re.IGNORECASE,
)
"""A scale that may count things too ("4 out of 5" is a rating, "4 out of 5 printers" is
not): what follows it decides, as after a bare number."""
_NO_NUMBER_ALONE = re.compile(r"[\w%$€£#@&°'\u2019\"]|[.,:]\d|\s*[-\u2013\u2014/]\s*\d")
"""Right after a number, what makes it another number: "5th", "5%", "5:30", "4.5", "5-10"."""
_EMOTICON = r"(?:[:;=][-'^o]?[()\[\]DPpOo3/\\|*]+(?![^\W_])|[xX]-?D+\b|<3+|\^_*\^|[oO0-]_[oO0-])"
"""A smiley typed in ASCII: ``:)``, ``;-)``, ``:D``, ``xD``, ``<3``, ``^^``, ``o_O``."""
_ENDS_A_RATING = re.compile(
    rf"\s*+(?:$|[^\w\s]|{_EMOTICON}|(?:{_THANKS})\b"
    rf"|(?:(?:{_VERY})\s+)?(?:{_PRAISE})(?:\s*(?:$|[^\w\s])|\s+(?:{_SERVICE}|{_THANKS})\b))",
    re.IGNORECASE,
)
"""What may follow a number for it to be a rating: nothing, punctuation or a symbol ("5!",
"5 - great", "5 :)", "5 xD", "4, slow"), thanks ("5 thanks"), or a word of praise or blame that
ends there or is said of the service ("5 great", "5 excellent service"). Anything else
("5 printers down since Monday") makes the number part of a sentence: no rating."""
_AFTER_WORD = re.compile(rf"\s*+(?:$|[^\w\s]|(?:{_SERVICE}|{_THANKS})\b)", re.IGNORECASE)
"""What may follow a leading word of praise or blame for it to be a rating: "Good, thanks",
"Gut!", "great job"; not "Good morning, …" nor "Bad news: …"."""
_NUMBER = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
_RATED = re.compile(
    r"(?<![\w.,/])([1-5]|one|two|three|four|five)(?![\d.,]\d)"
    rf"(?:\s*/\s*5\b|\s*(?:-\s*)?(?:{_STAR_WORDS})\b|\s+out\s+of\s+(?:5|five)\b(?!\s*[^\W\d_]))"
    r"|\b(?:give|rate)\s+(?:it|you|us|this)\s+(?:an?\s+)?([1-5])(?![\d.,]?\d)(?!\s*[^\W\d_])",
    re.IGNORECASE,
)
"""A rating inside the first line's words: a number with its scale ("Thanks! 5 stars",
"a 5-star service", "great, 4 out of 5", "4/5", "Danke, 5 Sterne") or given ("I'd give it a
4"). Conservative: a bare number is no rating there ("I have 5 printers down"), nor is "1
out of 5 printers"."""
_STARS = re.compile(r"^\s*((?:[\u2605\u2b50]\ufe0f?\s?){1,5})(?![\u2605\u2b50])(.*)$", re.DOTALL)
"""One to five stars (``★``, ``⭐``, with or without the emoji variation selector), as a
phone's keyboard writes a rating."""
_LEAD = re.compile(r"^\s*([^\W\d_]+)\b(.*)$", re.DOTALL)
_SEPARATORS = " \t-\u2013\u2014:;,.!"


@dataclass(frozen=True)
class Answer:
    score: int
    comment: str | None


_GREETING = re.compile(
    r"^(?:hi|hello|hey|hiya|dear|greetings|good\s+(?:morning|afternoon|evening|day)|hallo|"
    r"moin|servus|liebe[rs]?|sehr\s+geehrte[rs]?|guten\s+(?:morgen|tag|abend)|bonjour|bonsoir|"
    r"salut|cher|ch[eè]re|hola|buen[oa]s\s+(?:d[ií]as|tardes|noches)|estimad[oa]s?|ciao|salve|"
    r"buon\s*giorno|buona\s*sera|gentile|ol[aá]|oi|bom\s+dia|boa\s+tarde|caro|cara|hoi|beste|"
    r"goedemorgen|goedemiddag)\b[^\d]{0,40}$",
    re.IGNORECASE,
)
"""A line that only greets ("Hi,", "Hello team,", "Guten Tag Frau Meier,"): no digit, short."""


def _own_lines(body: str) -> tuple[str, str]:
    """The reply's own first line with words, and its own lines after it (up to the first
    ``>`` quote: the survey quoted below is no comment). A bare greeting before it ("Hi,")
    is skipped: "Hi,\n\n5\n\nThanks" is a 5 with the comment "Thanks"."""
    first: str | None = None
    rest: list[str] = []
    greeted = False
    for raw in body.splitlines():
        text = raw.strip()
        if text.startswith(">"):
            break
        if first is not None:
            rest.append(text)
        elif text and not greeted and _GREETING.match(text):
            greeted = True  # (one greeting line; what follows it is the answer)
        elif text:
            first = text
    return first or "", " ".join(" ".join(rest).split())


def read_answer(body: str) -> Answer | None:
    """``4 — quick and kind`` → 4 and the comment; ``good, thanks`` → 5; ``⭐⭐⭐⭐`` → 4;
    ``Thanks! 5 stars`` → 5 with that line as the comment (:data:`_RATED`); else None.

    A leading number is a rating when it stands alone or with its scale ("5", "5/5",
    "4 out of 5", "Rating: 4", "5 - great", "5 thanks!"), not when it starts a sentence
    about things ("5 printers down since Monday": :data:`_ENDS_A_RATING`); a leading word
    likewise ("Good, thanks" is a 5, "Good morning, …" is none). No rating makes the
    answer a follow-up that reaches an agent.

    The comment is what follows the rating on its line and on the lines after it, as the
    survey asks ("a rating on the first line, and any comment after it")."""
    first, after = _own_lines(body)
    stars = _STARS.match(first)
    if (number := _leading_number(first)) is not None:
        score, rest = number
    elif stars is not None:
        score = sum(1 for char in stars.group(1) if char in "\u2605\u2b50")
        rest = stars.group(2)
    elif (rated := _RATED.search(first)) is not None:
        said = (rated.group(1) or rated.group(2)).lower()
        score, rest = _NUMBER.get(said) or int(said), first  # (the whole line: its words)
    else:
        match = _LEAD.match(first)
        if match is None or match.group(1).lower() not in _WORDS:
            return None
        if not _AFTER_WORD.match(match.group(2)):
            return None
        score, rest = _WORDS[match.group(1).lower()], match.group(2)
    comment = " ".join(part for part in (_said(rest), _said(after)) if part)
    return Answer(score, comment[:MAX_COMMENT] or None)


_UNSAID = re.compile(rf"^(?:{_EMOTICON}|[{re.escape(_SEPARATORS)}])*")
"""What a comment does not start with: separators after the rating, typed smileys."""


def _said(text: str) -> str:
    """A part of a comment as kept: without the separators and typed smileys it starts with
    ("5 :) quick" is a 5 with "quick"), nothing when nothing is said ("5 :)", "5!!!": a
    smiley or punctuation is no comment; a letter, digit or emoji such as 👍 is)."""
    unsaid = _UNSAID.match(text)
    text = text[unsaid.end() if unsaid else 0 :].strip()
    return text if any(_says(char) for char in text) else ""


def _says(char: str) -> bool:
    return unicodedata.category(char)[0] in "LN" or unicodedata.category(char) == "So"


def _leading_number(first: str) -> tuple[int, str] | None:
    """The rating a line starts with and the rest of the line, or None (no number there,
    or one that starts a sentence about things)."""
    match = _SCORE.match(first)
    if match is None:
        return None
    score, rest = int(match.group(1)), match.group(2)
    if (scale := _SCALE.match(rest)) is not None:
        return score, rest[scale.end() :]
    if _NO_NUMBER_ALONE.match(rest):
        return None
    if (scale := _OUT_OF.match(rest)) is not None:
        rest = rest[scale.end() :]
    return (score, rest) if _ENDS_A_RATING.match(rest) else None


def survey_answer(session: Reader, subject: str, body: str, number: int) -> Answer | None:
    """The rating in a reply to ticket ``number``'s survey: a valid token in the subject for
    that very ticket, or for one merged into it (its conversation goes on in ``number``,
    where the answer lands), and a rating on the first line; None makes it a plain
    follow-up."""
    asked = token_number(session, subject)
    if asked is None or not _merged_into(session, asked, number):
        return None
    return read_answer(body)


_MERGE_STEPS = 20
"""How many merges a survey's ticket may be away from the one its answer lands on."""


def _merged_into(session: Reader, asked: int, number: int) -> bool:
    """Whether ticket ``asked`` is ``number``, or was merged into it (directly or through
    other merges)."""
    conn = connection_of(session)
    current = asked
    for _ in range(_MERGE_STEPS):
        if current == number:
            return True
        into = conn.execute(
            select(Ticket.merged_into_id).where(Ticket.number == current)
        ).scalar_one_or_none()
        if into is None:
            return False
        current = conn.execute(select(Ticket.number).where(Ticket.id == into)).scalar_one()
    return False
