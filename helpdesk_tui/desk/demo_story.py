"""One demo ticket's life, written as plain rows: the ticket, its thread and its history.

``StoryWriter.write`` plays a ticket from its creation to a status that fits its age (old
tickets are mostly closed, recent ones new or open) and appends its rows' values, ready for a
bulk ``INSERT``. It follows the desk's own rules so the rows look as if agents had done the work:
every step bumps ``version`` once and writes its events with that version, status changes
follow the allowed transitions, ``first_response_at`` is the first reply, ``resolved_at`` and
``closed_at`` are set when the ticket got there. Nothing here touches the database.

Rows are not objects of their own: each table's values go into one flat list, row after row
(``Batch``), so a batch of 4,000 tickets is four lists rather than about 66,000, which keeps
the garbage collector, and the thread that hands the values to the driver, out of the way.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from math import ceil
from operator import attrgetter
from typing import Any, TypeVar

from helpdesk_tui.desk import sla
from helpdesk_tui.desk.demo_content import (
    APPS,
    BAD_COMMENTS,
    CALLS,
    CATEGORIES,
    CUSTOMER_FOLLOW_UPS,
    DETAILS,
    DEVICES,
    GOOD_COMMENTS,
    MIXED_COMMENTS,
    NOTES,
    PRINTERS,
    RATING_WEIGHTS,
    REPLIES,
    RESOLUTIONS,
    SITES,
    SUPPORT_ADDRESS,
)
from helpdesk_tui.desk.escalation import Place, Reason, TierMove
from helpdesk_tui.desk.kinds import RATED
from helpdesk_tui.desk.report_catchup import REPORT_TICKET_COLUMNS, counted_reply
from helpdesk_tui.desk.report_figures import HistoryEvent, TicketNow
from helpdesk_tui.desk.report_rollups import Key, reply_key, ticket_keys
from helpdesk_tui.desk.report_service import Rules
from helpdesk_tui.desk.reports import DONE, day_number
from helpdesk_tui.desk.satisfaction import (
    FOLLOW_UP_TAG,
    RATING_CONCERN,
    SURVEY_KIND,
    Surveys,
    follow_up_reason,
    rating_entry,
    read_answer,
)
from helpdesk_tui.desk.sla_clock import event_fact, next_alert_at
from helpdesk_tui.desk.statuses import ALL_STATUSES
from helpdesk_tui.desk.subjects import reply_subject
from helpdesk_tui.storage.enums import OutboxStatus
from helpdesk_tui.storage.models import PRIORITY_RANK

Values = list[Any]
Dues = tuple[datetime | None, datetime | None, datetime | None, datetime | None, datetime | None]
T = TypeVar("T")

TICKET_COLUMNS = (
    "number",
    "subject",
    "requester_id",
    "status",
    "priority",
    "priority_rank",
    "type",
    "category",
    "channel",
    "team_id",
    "assignee_id",
    "tier",
    "created_at",
    "updated_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "response_due_at",
    "resolution_due_at",
    "reply_due_at",
    "reply_started_at",
    "sla_alert_at",
    "version",
)
MESSAGE_COLUMNS = (
    "ticket_id",
    "kind",
    "channel",
    "author_agent_id",
    "author_contact_id",
    "subject",
    "body",
    "from_address",
    "to_addresses",
    "email_message_id",
    "in_reply_to",
    "created_at",
)
EVENT_COLUMNS = (
    "ticket_id",
    "ticket_number",
    "ticket_version",
    "actor_agent_id",
    "actor",
    "kind",
    "field",
    "old_value",
    "new_value",
    "created_at",
)
TICKET_TAG_COLUMNS = ("ticket_id", "tag_id", "status", "updated_at", "assignee_id")
OUTBOX_COLUMNS = (
    "ticket_id",
    "kind",
    "to_addresses",
    "subject",
    "body",
    "email_message_id",
    "status",
    "attempts",
    "next_attempt_at",
    "created_at",
    "sent_at",
)
"""A row's values come in these column orders; ``ticket_id`` always comes first."""
REPORT_REPLY_VALUES = ("number", "agent_id", "day")
"""A ``report_reply`` row as the story knows it: the loader puts the event's id first."""

MAX_MESSAGES = 8
_SLA_DUE_AT = REPORT_TICKET_COLUMNS.index("sla_due_at")
_HOUR = timedelta(hours=1)

PRIORITIES = ("low", "normal", "high", "urgent")
_PRIORITY_WEIGHTS = tuple(accumulate((15, 55, 22, 8)))
_RESPONSE_HOURS = {"low": 24, "normal": 8, "high": 4, "urgent": 1}
_RESOLUTION_HOURS = {"low": 240, "normal": 120, "high": 48, "urgent": 8}
_CHANNELS = ("email", "phone", "web", "manual")
_CHANNEL_WEIGHTS = tuple(accumulate((65, 15, 12, 8)))
_STATUSES = ALL_STATUSES
# Final status by age: (age limit in hours, cumulative weights in _STATUSES order).
_STATUS_BY_AGE = tuple(
    (limit, tuple(accumulate(weights)))
    for limit, weights in (
        (4, (50, 25, 10, 10, 0, 5, 0)),
        (72, (10, 25, 20, 20, 5, 20, 0)),
        (336, (2, 10, 10, 13, 5, 25, 35)),
        (None, (0, 1, 1, 1, 2, 3, 92)),
    )
)
_MIDDLE_STEPS = ("customer", "note", "call", "ask", "priority", "escalate")
_MIDDLE_WEIGHTS = tuple(accumulate((30, 25, 10, 20, 7, 8)))
_ROUNDS = (0, 1, 2, 3)
_ROUND_WEIGHTS = tuple(accumulate((30, 35, 25, 10)))
# (low, high) delay in hours before each kind of step.
_DELAYS = {
    "assign": (0.05, 2.0),
    "customer": (1.0, 48.0),
    "note": (0.2, 8.0),
    "call": (1.0, 24.0),
    "ask": (1.0, 24.0),
    "reply": (1.0, 24.0),
    "priority": (0.5, 24.0),
    "escalate": (0.5, 24.0),
    "in_progress": (0.1, 4.0),
    "on_hold": (0.5, 4.0),
    "resolve": (2.0, 72.0),
    "close": (72.0, 168.0),
}


RATED_SHARE = 0.3
"""The share of requesters who answer the satisfaction survey their ticket's resolution
sent (a closed ticket's answer came before the close; a resolved one's may still come)."""
_ANSWER_HOURS = (0.25, 48.0)
"""How long after the survey a resolved ticket's requester answers: mostly soon (the
draw is squared), at most two days; an answer not due yet is not there."""
_SENT_AFTER = timedelta(seconds=30)
"""The outbox sends the survey this long after the resolution queued it."""
_RATINGS = tuple(score for score, _ in RATING_WEIGHTS)
_RATING_CUMULATIVE = tuple(accumulate(weight for _, weight in RATING_WEIGHTS))
_COMMENTED = 0.4
"""The share of ratings that come with a comment."""
_MASK = (1 << 64) - 1


def survey_random(seed: int, number: int) -> random.Random | None:
    """The random of ticket ``number``'s survey answer, or None if its requester did not
    answer (``RATED_SHARE`` answer). Its own, from the seed and the number: the stories'
    stream is not drawn from, so each ticket's content stays what it was before ratings."""
    mixed = (number * 0x9E3779B97F4A7C15 + seed * 0xBF58476D1CE4E5B9 + 1) & _MASK
    mixed = ((mixed ^ (mixed >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    mixed = ((mixed ^ (mixed >> 27)) * 0x94D049BB133111EB) & _MASK
    mixed ^= mixed >> 31
    if mixed >= RATED_SHARE * (1 << 64):
        return None
    return random.Random(mixed)


def _one(rng: random.Random, population: Sequence[T]) -> T:
    """``rng.choice(population)``, without its overhead."""
    return population[int(rng.random() * len(population))]


def _pick(rng: random.Random, population: Sequence[T], cumulative: Sequence[int]) -> T:
    """``rng.choices(population, cum_weights=cumulative)[0]``, without its overhead."""
    return population[bisect_right(cumulative, rng.random() * cumulative[-1])]


def _floor(n: int) -> str:
    """A floor of an office building from a story's number: "1st" to "12th" (English
    ordinals, where "{n}th" made "2th floor" and "21th floor")."""
    floor = 1 + n % 12
    suffix = "th" if floor in (11, 12) else {1: "st", 2: "nd", 3: "rd"}.get(floor % 10, "th")
    return f"{floor}{suffix}"


@dataclass(frozen=True)
class DemoPerson:
    """An agent or contact as the story needs it; ``id`` is the database id."""

    id: int
    name: str
    email: str
    login: str = ""
    team: str = ""
    tier: int = 1
    organization: str | None = None
    """A contact's organization's name (its SLA policy may depend on it)."""


class Clock:
    """Maps ticket ``i`` of ``n`` to a creation time between ``start`` and ``now`` (naive UTC).

    Business hours on weekdays weigh most, nights and weekends little; the mapping is
    monotonic, so ticket numbers grow with creation time.
    """

    def __init__(self, now: datetime, start: datetime) -> None:
        end = now.replace(minute=0, second=0, microsecond=0)
        hours = max(1, ceil((end - start) / _HOUR))
        self.start = end - hours * _HOUR
        weights = [self._weight(self.start + h * _HOUR) for h in range(hours)]
        self._weights = weights
        self._cumulative = list(accumulate(weights))

    @staticmethod
    def _weight(moment: datetime) -> float:
        if moment.weekday() >= 5:
            return 0.5
        if 8 <= moment.hour < 18:
            return 10.0
        return 2.0 if 6 <= moment.hour < 22 else 0.3

    def at(self, fraction: float) -> datetime:
        """The time below which ``fraction`` (0 ≤ f < 1) of all tickets were created."""
        target = fraction * self._cumulative[-1]
        hour = min(bisect_right(self._cumulative, target), len(self._cumulative) - 1)
        before = self._cumulative[hour - 1] if hour else 0.0
        within = (target - before) / self._weights[hour]
        return self.start + (hour + min(within, 0.999)) * _HOUR


@dataclass(frozen=True)
class Batch:
    """The rows of a run of tickets, ready to insert.

    Each table's rows are one flat list of values, row after row, each row in the order of
    the table's ``*_COLUMNS``.
    """

    tickets: Values
    messages: Values
    events: Values
    ticket_tags: Values
    report_tickets: Values = field(default_factory=list)
    """The tickets' ``report_ticket`` rows (``REPORT_TICKET_COLUMNS``)."""
    report_replies: Values = field(default_factory=list)
    """``REPORT_REPLY_VALUES`` per agent reply of those tickets, in the events' order."""
    rollups: Counter[Key] = field(default_factory=Counter)
    """What those rows add to ``report_rollup``."""
    outbox: Values = field(default_factory=list)
    """The satisfaction surveys the tickets' resolutions sent (``OUTBOX_COLUMNS``)."""

    @property
    def ticket_count(self) -> int:
        return len(self.tickets) // len(TICKET_COLUMNS)

    @property
    def message_count(self) -> int:
        return len(self.messages) // len(MESSAGE_COLUMNS)

    @property
    def event_count(self) -> int:
        return len(self.events) // len(EVENT_COLUMNS)


@dataclass
class StoryWriter:
    """Writes tickets' rows into value lists; ``clear()`` starts new lists for the next batch.

    Times are naive UTC datetimes here (``now`` too): cheaper to compute with by the
    million; ``stamp`` makes them database values.

    ``ticket_id`` in message, event and ticket-tag rows holds the ticket's *number* until
    the caller swaps in the id the database assigned.
    """

    rng: random.Random
    now: datetime
    seed: int
    agents: dict[str, list[DemoPerson]]
    contacts: list[DemoPerson]
    team_ids: dict[str, int]
    tag_ids: dict[str, int]
    stamp: Callable[[datetime], Any]
    """Turns a naive UTC datetime into the value the database driver is given."""
    rules: Rules
    """The SLA policies and calendars the open tickets' due times come from, and the report
    rule their ``report_ticket`` rows come from (as the database's would, once written)."""
    surveys: Surveys | None = None
    """The desk's survey rule (``satisfaction.Surveys``): whom a resolution sends a survey
    and what it says; None: no surveys, so no ratings either."""
    tickets: Values = field(default_factory=list)
    messages: Values = field(default_factory=list)
    events: Values = field(default_factory=list)
    ticket_tags: Values = field(default_factory=list)
    report_tickets: Values = field(default_factory=list)
    report_replies: Values = field(default_factory=list)
    rollups: Counter[Key] = field(default_factory=Counter)
    outbox: Values = field(default_factory=list)

    def clear(self) -> None:
        self.tickets, self.messages, self.events, self.ticket_tags = [], [], [], []
        self.report_tickets, self.report_replies = [], []
        self.rollups = Counter()
        self.outbox = []

    def batch(self) -> Batch:
        return Batch(
            self.tickets,
            self.messages,
            self.events,
            self.ticket_tags,
            self.report_tickets,
            self.report_replies,
            self.rollups,
            self.outbox,
        )

    def write(self, number: int, created_at: datetime) -> None:
        _Ticket(self, number, created_at).play()


class _Ticket:
    """The state of one ticket while its story plays; emits rows as it goes."""

    def __init__(self, out: StoryWriter, number: int, created_at: datetime) -> None:
        rng = out.rng
        self.out, self.rng, self.number, self.t = out, rng, number, created_at
        self.stamp = out.stamp
        self._stamped: tuple[datetime, Any] = (created_at, out.stamp(created_at))
        self.category = _one(rng, CATEGORIES)
        self.fill = {
            "app": _one(rng, APPS),
            "device": _one(rng, DEVICES),
            "printer": _one(rng, PRINTERS),
            "site": _one(rng, SITES),
            "n": (n := rng.randint(2, 45)),
            "floor": _floor(n),
        }
        self.subject = _one(rng, self.category.subjects).format(**self.fill)
        self.contact = out.contacts[int(len(out.contacts) * rng.random() ** 2)]
        self.priority = _pick(rng, PRIORITIES, _PRIORITY_WEIGHTS)
        self.channel = _pick(rng, _CHANNELS, _CHANNEL_WEIGHTS)
        self.status = "new"
        self.version = 1
        self.tier = 1
        self.team: str | None = None
        self.assignee: DemoPerson | None = None
        self.first_response_at: datetime | None = None
        self.resolved_at: datetime | None = None
        self.closed_at: datetime | None = None
        self.message_count = 0
        self.last_email_id: str | None = None
        self.created_at = created_at
        self.tags: list[str] = []
        self.history: list[HistoryEvent] = []
        self._aware: tuple[datetime, datetime] = (created_at, created_at.replace(tzinfo=UTC))
        self.survey: tuple[str, str, str] | None = None
        """The survey the resolution sent: its Message-ID, subject (as queued) and text."""

    # -- rows -------------------------------------------------------------------------------

    def _event(
        self,
        actor: DemoPerson | str,
        kind: str,
        field: str | None = None,
        old: str | int | None = None,
        new: str | int | None = None,
    ) -> None:
        agent_id, name = (None, actor) if isinstance(actor, str) else (actor.id, actor.login)
        old_value = None if old is None else str(old)
        new_value = None if new is None else str(new)
        self.out.events.extend(
            (
                self.number,
                self.number,
                self.version,
                agent_id,
                name,
                kind,
                field,
                old_value,
                new_value,
                self._stamp_t(),
            )
        )
        moment, aware = self._aware
        if moment != self.t:
            aware = self.t.replace(tzinfo=UTC)
            self._aware = (self.t, aware)
        self.history.append(HistoryEvent(kind, field, old_value, new_value, agent_id, aware))

    def _message(
        self,
        kind: str,
        channel: str,
        body: str,
        *,
        agent: DemoPerson | None = None,
        from_customer: bool = False,
    ) -> None:
        self.message_count += 1
        email_id = None
        from_address = to_addresses = subject = None
        if channel == "email":
            # Zero-padded, so ids sort as they are made: appends to the unique index.
            email_id = (
                f"<demo.{self.number:012d}.{self.message_count}.{self.out.seed}@helpdesk.example>"
            )
            if from_customer:
                from_address, to_addresses = self.contact.email, SUPPORT_ADDRESS
            else:
                from_address, to_addresses = SUPPORT_ADDRESS, self.contact.email
            subject = self.subject if self.last_email_id is None else f"Re: {self.subject}"
        self.out.messages.extend(
            (
                self.number,
                kind,
                channel,
                agent.id if agent else None,
                self.contact.id if from_customer else None,
                subject,
                body,
                from_address,
                to_addresses,
                email_id,
                self.last_email_id if email_id else None,
                self._stamp_t(),
            )
        )
        if email_id:
            self.last_email_id = email_id

    def _stamp_t(self) -> Any:
        """The database value of the current time; a step's rows share it, so it is kept."""
        moment, value = self._stamped
        if moment != self.t:
            value = self.stamp(self.t)
            self._stamped = (self.t, value)
        return value

    def _text(self, options: tuple[str, ...]) -> str:
        return _one(self.rng, options).format(**self.fill)

    def _set_status(self, actor: DemoPerson | str, new: str) -> None:
        if new == self.status:
            return
        self._event(actor, "status", "status", self.status, new)
        if new == "resolved":
            self.resolved_at = self.t
        elif new == "closed":
            self.closed_at = self.t
        elif self.status == "resolved":
            self.resolved_at = None
        self.status = new

    def _agent(self) -> DemoPerson:
        assert self.assignee is not None
        return self.assignee

    # -- the story --------------------------------------------------------------------------

    def play(self) -> None:
        self._create()
        plan = self._plan()
        random = self.rng.random
        delays = [low + (high - low) * random() for low, high in map(_DELAYS.__getitem__, plan)]
        if plan:
            # The first answer comes within about the response target; some miss it.
            delays[1] = (0.05 + 1.25 * random()) * _RESPONSE_HOURS[self.priority]
        available = (self.out.now - self.created_at) / _HOUR * 0.97
        scale = min(1.0, available / sum(delays)) if delays else 1.0
        for step, delay in zip(plan, delays, strict=True):
            self.t += timedelta(hours=delay * scale)
            self.version += 1
            _STEPS[step](self)
        if self.status == "resolved":  # (its requester may have answered the survey since)
            self._survey_answered(self.out.now, closing=False)
        self._emit_ticket()

    def _plan(self) -> list[str]:
        rng = self.rng
        age_hours = (self.out.now - self.created_at) / _HOUR
        weights = next(w for limit, w in _STATUS_BY_AGE if limit is None or age_hours < limit)
        final = _pick(rng, _STATUSES, weights)
        if final == "new":
            return []
        plan = ["assign", "reply" if rng.random() < 0.7 else "ask"]
        rounds = _pick(rng, _ROUNDS, _ROUND_WEIGHTS)
        plan += [_pick(rng, _MIDDLE_STEPS, _MIDDLE_WEIGHTS) for _ in range(rounds)]
        plan += {
            "open": ["customer"] if plan[-1] == "ask" else [],
            "in_progress": ["in_progress"],
            "waiting": ["ask"],
            "on_hold": ["note", "on_hold"],
            "resolved": ["resolve"],
            "closed": ["resolve", "close"],
        }[final]
        return plan

    def _create(self) -> None:
        channel, contact = self.channel, self.contact
        problem = self._text(self.category.problems)
        detail = self._text(DETAILS)
        first = contact.name.split(" ")[0]
        if channel == "phone":
            self.creator: DemoPerson | str = _one(self.rng, self.out.agents["Service Desk"])
            body = f"Phone call from {contact.name}: {problem} {detail}"
            self._message("customer", "phone", body, agent=self.creator, from_customer=True)
        else:
            self.creator = {"email": "mail", "web": "system"}.get(channel) or _one(
                self.rng, self.out.agents["Service Desk"]
            )
            body = f"Hello,\n\n{problem} {detail}\n\nThanks,\n{first}"
            self._message("customer", channel, body, from_customer=True)
        self._event(self.creator, "created", None, None, f"via {channel}")
        tags = self.rng.sample(self.category.tags, self.rng.randint(0, len(self.category.tags)))
        if self.priority == "urgent" or self.rng.random() < 0.03:
            tags.append("vip")
        self.tags = sorted(set(tags))
        for tag in self.tags:
            self._event(self.creator, "tag_added", "tags", None, tag)

    def _step_assign(self) -> None:
        team = self.category.team
        self.team = team
        self.assignee = _one(self.rng, self.out.agents[team])
        dispatcher = _one(self.rng, (self.assignee, self.out.agents["Service Desk"][0]))
        self._event(dispatcher, "team", "team", None, team)
        self._event(dispatcher, "assignee", "assignee", None, self.assignee.login)

    def _reply(self, body: str) -> None:
        agent = self._agent()
        first = self.contact.name.split(" ")[0]
        if self.message_count < MAX_MESSAGES:
            text = f"Hi {first},\n\n{body}\n\nBest regards,\n{agent.name}"
            self._message("reply", "email", text, agent=agent)
        self._event(agent, "reply")
        if self.first_response_at is None:
            self.first_response_at = self.t

    def _step_reply(self) -> None:
        self._reply(self._text(REPLIES))
        if self.status == "new":
            self._set_status(self._agent(), "open")

    def _step_ask(self) -> None:
        self._reply(self._text(REPLIES))
        self._set_status(self._agent(), "waiting")

    def _step_customer(self) -> None:
        if self.message_count < MAX_MESSAGES:
            body = f"{self._text(CUSTOMER_FOLLOW_UPS)}\n\n{self.contact.name}"
            self._message("customer", "email", body, from_customer=True)
        self._event("mail", "customer_message", None, None, "via email")
        if self.status in ("waiting", "resolved"):
            self._set_status("mail", "open")

    def _step_note(self) -> None:
        if self.message_count < MAX_MESSAGES:
            self._message("note", "manual", self._text(NOTES), agent=self._agent())
        self._event(self._agent(), "note")

    def _step_call(self) -> None:
        if self.message_count < MAX_MESSAGES:
            agent = self._agent()
            self._message("customer", "phone", self._text(CALLS), agent=agent, from_customer=True)
        self._event(self._agent(), "phone_call")
        if self.status in ("waiting", "resolved"):
            self._set_status(self._agent(), "open")

    def _step_priority(self) -> None:
        new = "urgent" if self.priority == "high" else "high"
        if new == self.priority:
            new = "normal"
        self._event(self._agent(), "priority", "priority", self.priority, new)
        self.priority = new

    def _step_escalate(self) -> None:
        if self.tier >= 4:
            self._step_note()
            return
        actor = self._agent()
        # One event, as the desk records a move between tiers (desk/escalation.py).
        move = TierMove(
            True, Place(self.tier, self.team), Place(self.tier + 1, self.team), Reason.MANUAL
        )
        self._event(actor, move.kind, move.reason.value, move.before.stored(), move.after.stored())
        self.tier += 1
        experts = [a for a in self.out.agents[self.team or ""] if a.tier >= self.tier]
        if experts and self.assignee not in experts:
            expert = _one(self.rng, experts)
            self._event(actor, "assignee", "assignee", actor.login, expert.login)
            self.assignee = expert

    def _step_in_progress(self) -> None:
        self._set_status(self._agent(), "in_progress")

    def _step_on_hold(self) -> None:
        self._set_status(self._agent(), "on_hold")

    def _step_resolve(self) -> None:
        self._reply(self._text(RESOLUTIONS))
        self._set_status(self._agent(), "resolved")
        self._survey_sent()

    def _step_close(self) -> None:
        self._survey_answered(self.t, closing=True)
        self._set_status("system", "closed")

    def _survey_sent(self) -> None:
        """The resolution queues the satisfaction survey by the desk's rule
        (``satisfaction.Surveys``, as ``queue_survey``), and the outbox sends it: its row as
        the sender leaves it (sent, once, with the Message-ID an answer refers to)."""
        surveys, contact = self.out.surveys, self.contact
        mail = (
            surveys.mail(self.number, self.subject, contact.id, contact.email, contact.name or "")
            if surveys
            else None
        )
        if mail is None:
            return
        email_id = f"<demo.{self.number:012d}.survey.{self.out.seed}@helpdesk.example>"
        queued = self._stamp_t()
        sent = self.stamp(min(self.t + _SENT_AFTER, self.out.now))
        self.out.outbox.extend(
            (
                self.number,
                SURVEY_KIND,
                mail.to,
                mail.subject,
                mail.body,
                email_id,
                OutboxStatus.SENT.value,
                1,
                queued,
                queued,
                sent,
            )
        )
        self.survey = (email_id, mail.subject, mail.body)

    def _survey_answered(self, end: datetime, *, closing: bool) -> None:
        """Some requesters answer the survey their ticket's resolution sent: a closed
        ticket's answer came before the close (``end``), a resolved one's within
        ``_ANSWER_HOURS`` if that is before now (``end``). The reply is in the thread as the
        mail intake keeps a survey answer, and the rating is what the desk reads in it
        (``satisfaction.read_answer``), recorded as ``record_rating`` records one: a
        ``rated`` event by the mail intake, its own version, and a system entry; and a rating
        that needs follow-up (``satisfaction.follow_up_reason``, the one rule) tags the ticket
        ``follow-up`` and writes its ``rating_concern`` event, as there."""
        rng = survey_random(self.out.seed, self.number)
        if rng is None or self.resolved_at is None or self.survey is None:
            return
        score = _pick(rng, _RATINGS, _RATING_CUMULATIVE)
        comment = None
        if rng.random() < _COMMENTED:
            comment = _one(
                rng, GOOD_COMMENTS if score >= 4 else MIXED_COMMENTS if score == 3 else BAD_COMMENTS
            )
        if closing:  # (the close comes after, at a version of its own)
            at = self.resolved_at + (end - self.resolved_at) * (0.05 + 0.5 * rng.random())
        else:
            low, high = _ANSWER_HOURS
            at = self.resolved_at + (low + (high - low) * rng.random() ** 2) * _HOUR
            if at >= end:
                return  # (not answered yet)
            self.version += 1
        email_id, subject, asked = self.survey
        subject = reply_subject(subject, self.number)  # (as the sender sent it)
        line = f"{score}" if comment is None else f"{score} - {comment}"
        written = f"{line}\n\n> {asked.splitlines()[0]}"
        answer = read_answer(written)
        assert answer is not None, written
        value, body = rating_entry(answer.score, answer.comment)
        self.t = at
        self.message_count += 1
        self.out.messages.extend(
            (
                self.number,
                "customer",
                "email",
                None,
                self.contact.id,
                subject,
                written,
                self.contact.email,
                SUPPORT_ADDRESS,
                f"<demo.{self.number:012d}.{self.message_count}.{self.out.seed}@helpdesk.example>",
                email_id,
                self._stamp_t(),
            )
        )
        # (as ``tickets.add_message`` writes a system entry: no author, no mail headers)
        self.out.messages.extend(
            (
                self.number,
                "system",
                "email",
                None,
                None,
                None,
                body,
                None,
                None,
                None,
                None,
                self._stamp_t(),
            )
        )
        self._event("mail", RATED, None, None, value)
        concern = follow_up_reason(answer.score, answer.comment)
        if concern is not None:  # (what ``record_rating`` writes then, by the one rule)
            if FOLLOW_UP_TAG not in self.tags:
                self.tags = sorted([*self.tags, FOLLOW_UP_TAG])
                self._event("mail", "tag_added", "tags", None, FOLLOW_UP_TAG)
            self._event("mail", RATING_CONCERN, None, None, concern)
        if closing:
            self.version += 1
            self.t = end

    def _emit_ticket(self) -> None:
        created, stamp, maybe = self.created_at, self.stamp, self._maybe
        updated = self._stamp_t()
        dues = self._dues()
        assignee_id = self.assignee.id if self.assignee else None
        for tag in self.tags:
            # With the ticket's copies (migration 0017): no trigger needs to look them up.
            self.out.ticket_tags.extend(
                (self.number, self.out.tag_ids[tag], self.status, updated, assignee_id)
            )
        self.out.tickets.extend(
            (
                self.number,
                self.subject,
                self.contact.id,
                self.status,
                self.priority,
                PRIORITY_RANK[self.priority],
                self.category.ticket_type,
                self.category.name,
                self.channel,
                self.out.team_ids[self.team] if self.team else None,
                assignee_id,
                self.tier,
                stamp(created),
                updated,
                maybe(self.first_response_at),
                maybe(self.resolved_at),
                maybe(self.closed_at),
                *map(maybe, dues),
                self.version,
            )
        )
        self._report(assignee_id, dues)

    def _dues(self) -> Dues:
        """The ticket's response, resolution and pending reply due times, when that
        reply's clock started and when its next SLA alert is due (naive UTC).

        An open ticket's are what ``sla_clock.refresh`` stores: its policy's, from its
        history (no alert given yet: the load records its past ones after, as given,
        ``sla_alerts.record_past``). A finished one's are its priority's default targets,
        which nothing recomputes (no clock of a resolved or closed ticket runs)."""
        created = self.created_at
        if self.status in DONE:
            return (
                created + _RESPONSE_HOURS[self.priority] * _HOUR,
                created + _RESOLUTION_HOURS[self.priority] * _HOUR,
                None,
                None,
                None,
            )
        found = (event_fact(e.kind, e.new, e.at) for e in self.history)
        facts = sorted((fact for fact in found if fact is not None), key=attrgetter("at"))
        ticket = sla.TicketFacts(
            created_at=created.replace(tzinfo=UTC),
            status=self.status,
            priority=self.priority,
            type=self.category.ticket_type,
            category=self.category.name,
            organization=self.contact.organization,
            facts=tuple(facts),
        )
        rules = self.out.rules
        now = self.out.now.replace(tzinfo=UTC)  # (only the clocks' states use it)
        explained = sla.explain(ticket, rules.policies, rules.calendars, now, dues_only=True)
        return (
            _naive(explained.response_due_at),
            _naive(explained.resolution_due_at),
            _naive(explained.reply_due_at),
            _naive(explained.reply_started_at),
            _naive(next_alert_at(explained)),
        )

    def _report(
        self,
        assignee_id: int | None,
        dues: Dues,
    ) -> None:
        """The ticket's report rows, by the report rule itself, from the ticket and its
        history as the database will hold them (aware UTC times, as read back)."""
        report = self.out  # (the lists the rows go to)
        history = self.history
        response, resolution, pending, _, _ = dues
        # models.SLA_DUE: the pending reply's due time if it comes first, else the resolution's
        due = resolution
        if pending is not None and (resolution is None or pending < resolution):
            due = pending
        now = TicketNow(
            number=self.number,
            ticket_id=self.number,  # the loader swaps in the id, as for the other rows
            created_at=self.created_at.replace(tzinfo=UTC),
            team_id=self.out.team_ids[self.team] if self.team else None,
            assignee_id=assignee_id,
            channel=self.channel,
            category=self.category.name,
            type=self.category.ticket_type,
            priority=self.priority,
            status=self.status,
            merged=False,
            response_due_at=_aware(response),
            resolution_due_at=_aware(resolution),
            sla_due_at=_aware(due),
        )
        row = vars(report.rules.figures(now, history, self.contact.organization))
        report.rollups.update(ticket_keys(row))
        values = [row[name] for name in REPORT_TICKET_COLUMNS]
        values[_SLA_DUE_AT] = self._maybe(due)
        report.report_tickets.extend(values)
        for event in history:
            if counted_reply(event.kind, event.agent_id):
                reply = {
                    "number": self.number,
                    "agent_id": event.agent_id,
                    "day": day_number(event.at),
                }
                report.report_replies.extend(reply[name] for name in REPORT_REPLY_VALUES)
                report.rollups[reply_key(reply)] += 1

    def _maybe(self, moment: datetime | None) -> Any:
        return None if moment is None else self.stamp(moment)


def _naive(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(UTC).replace(tzinfo=None)


def _aware(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(tzinfo=UTC)


_STEPS: dict[str, Callable[[_Ticket], None]] = {
    name.removeprefix("_step_"): function
    for name, function in vars(_Ticket).items()
    if name.startswith("_step_")
}
