"""The SLA area of the desk facade: policies, calendars, clocks explained, recomputes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from helpdesk_tui.desk import report_service, sla, sla_alerts, sla_clock, tiers
from helpdesk_tui.desk.errors import ChangedMeanwhile, InvalidValue, NotFound
from helpdesk_tui.desk.fields import find_team
from helpdesk_tui.desk.mail_reads import SLA_LEASE, current_holder, sends_mail
from helpdesk_tui.desk.satisfaction import RATING_CONCERN
from helpdesk_tui.desk.settings import record_setting_change
from helpdesk_tui.desk.sla_alerts import AutoEscalate
from helpdesk_tui.desk.sla_reads import (
    SlaCalendarView,
    SlaPolicyView,
    SlaReads,
    SlaTierView,
    calendar_view,
    load_calendars,
    load_rules,
    policy_view,
)
from helpdesk_tui.desk.tickets import load_ticket
from helpdesk_tui.desk.values import parse_priority, parse_tier, parse_type, text_value
from helpdesk_tui.storage.models import Event, Organization, Role, Ticket
from helpdesk_tui.storage.sla_models import SlaCalendar, SlaPolicy, TeamTier

RECOMPUTE_BATCH = 2000
"""Open tickets recomputed per transaction after a policy or calendar change."""


class Verdict(StrEnum):
    """What a set did to a setting of that name."""

    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    """Written as it was: nothing recomputed, no event."""


@dataclass(frozen=True)
class SlaSaved:
    """What ``sla_set_policy`` or ``sla_set_calendar`` did: the verdict, the setting as it
    is now and as it was (``None``: there was none of that name, it was added)."""

    verdict: Verdict
    tickets: int
    """How many open tickets' due times changed (none when unchanged: nothing recomputed)."""
    after: str
    before: str | None

    @property
    def added(self) -> bool:
        return self.verdict is Verdict.ADDED

    def lines(self, what: str) -> tuple[str, ...]:
        """What every front door says of it, ``what`` being ``policy`` or ``calendar``:
        ``added policy vip: …``; ``updated policy vip: …`` and ``  was vip: …``; then the
        open tickets with new due times. ``unchanged policy vip: …`` alone: nothing was
        recomputed. (Descriptions come from the desk's rows: a front door cleans them.)"""
        moved = f"{self.tickets} open ticket(s) have new due times"
        return _said(self.verdict, f"{what} {self.after}", self.before or "", moved)


@dataclass(frozen=True)
class TierSaved:
    """What ``sla_set_team_tier`` did: the verdict, the tier the team works now and the one
    it worked (``None``: none, it was added)."""

    verdict: Verdict
    team: str
    tier: int
    before: int | None

    def lines(self) -> tuple[str, ...]:
        """What every front door says of it: ``added team tier: Network works tier 2``;
        ``updated …`` and ``  was tier 1``; then where escalation to that tier goes.
        ``unchanged team tier: …`` alone: nothing was written."""
        head = f"team tier: {self.team} works tier {self.tier}"
        moved = f"escalation to tier {self.tier} goes to {self.team}"
        return _said(self.verdict, head, f"tier {self.before}", moved)


def _said(verdict: Verdict, head: str, was: str, moved: str) -> tuple[str, ...]:
    """What a saved setting says: ``{verdict} {head}``; unchanged, that alone (nothing was
    written); updated, ``  was {was}`` under it; then ``moved``, what the save moved."""
    said = [f"{verdict.value} {head}"]
    if verdict is Verdict.UNCHANGED:
        return tuple(said)
    if verdict is Verdict.UPDATED:
        said.append(f"  was {was}")
    said.append(moved)
    return tuple(said)


def _verdict(before: object | None, after: object) -> Verdict:
    if before is None:
        return Verdict.ADDED
    return Verdict.UNCHANGED if before == after else Verdict.UPDATED


@dataclass(frozen=True)
class SlaPause:
    start: datetime
    end: datetime | None
    status: str


@dataclass(frozen=True)
class SlaClockView:
    clock: str
    """``first response``, ``next response``, ``resolution``."""
    state: str
    """A :class:`~helpdesk_tui.desk.sla.ClockState` value."""
    target: str
    started_at: datetime
    due_at: datetime | None
    warn_at: datetime | None
    stopped_at: datetime | None
    remaining: str
    """Business time left (``-25m``: overdue), now or when it stopped."""
    remaining_minutes: float
    pauses: tuple[SlaPause, ...]


@dataclass(frozen=True)
class SlaTimeline:
    """``helpdesk ticket sla N``: which policy and calendar, and every clock's run."""

    number: int
    policy: str
    calendar: str
    clocks: tuple[SlaClockView, ...]
    response_due_at: datetime | None
    resolution_due_at: datetime | None
    reply_due_at: datetime | None
    """What the ticket stores (equal to the clocks' due times): the first response's, the
    resolution's, and the pending reply's (first or next response) if one is pending."""
    due_at: datetime | None
    """The ticket's ``sla_due_at``: the earliest pending target, what the queue sorts by and
    its badge shows; ``None`` while the clocks are paused (or nothing is pending)."""
    due_clock: str | None
    """Which clock ``due_at`` is (``next response``, ``resolution`` …)."""
    warn_percent: int


@dataclass(frozen=True)
class SlaStatus:
    """What ``helpdesk sla status`` says: the desk's alerting at a glance."""

    policies: int
    """The admins' policies (the built-in ones come on top)."""
    next_alert_at: datetime | None
    """The earliest alert coming or owed (past: owed, no pass has run since)."""
    overdue: bool
    """``next_alert_at`` has passed and no process runs the passes (nobody holds the alerts'
    lease: no ``helpdesk mail run``, no terminal open): the alerts owed wait for one."""
    alerts_by_mail: bool
    """Alerts are mailed and shown in the terminal; False: the terminal only (no SMTP)."""
    last_pass_at: datetime | None
    """When an alert pass last ran (to within ``sla_alerts.LAST_PASS_EVERY``)."""
    runner: str | None
    """Who holds the alerts' lease now (None: no process runs them)."""
    auto_escalate: str
    """``off``, ``warning`` or ``breach``."""
    unaddressed: str | None = None
    """``tiers.NOBODY_BY_MAIL`` when no active supervisor or admin has an email address (a
    team-less ticket's alerts and rating concerns would reach nobody by mail); None: some do."""


_TITLES = {sla_alerts.ALERT_EVENTS["warning"]: "SLA warning", RATING_CONCERN: "Customer rating"}


@dataclass(frozen=True)
class SlaAlertView:
    """A warning or breach alert, for a notification."""

    event_id: int
    number: int
    text: str
    breach: bool
    title: str = ""
    """The notification's title: "SLA breached", "SLA warning", or "Customer rating" (a
    rating that needs follow-up, ``satisfaction.RATING_CONCERN``)."""
    concern: bool = False
    """A rating that needs follow-up: the terminal that tells it keeps it as seen."""


def _clock_view(clock: sla.Clock) -> SlaClockView:
    return SlaClockView(
        clock=clock.kind.label,
        state=clock.state.value,
        target=sla.duration(clock.target_minutes),
        started_at=clock.started_at,
        due_at=clock.due_at,
        warn_at=clock.warn_at,
        stopped_at=clock.stopped_at,
        remaining=sla.duration(clock.remaining_minutes),
        remaining_minutes=clock.remaining_minutes,
        pauses=tuple(SlaPause(p.start, p.end, p.status) for p in clock.pauses),
    )


def parse_days(value: str) -> frozenset[int]:
    """``mon-fri``, ``mon,wed,fri``, ``sun-thu`` → weekday numbers (Monday = 0)."""
    days: set[int] = set()
    for part in value.lower().replace(" ", "").split(","):
        ends = part.split("-")
        try:
            first, last = (sla.DAY_NAMES.index(e[:3]) for e in (ends[0], ends[-1]))
        except ValueError:
            raise InvalidValue(f"working days {value!r}: write e.g. mon-fri or mon,wed") from None
        day = first
        days.add(day)
        while day != last:
            day = (day + 1) % 7
            days.add(day)
    return frozenset(days)


def _minute(clock: str) -> int:
    hour, _, minute = clock.partition(":")
    return int(hour) * 60 + int(minute or 0)


def parse_hours(value: str) -> tuple[int, int]:
    """``09:00-17:30`` → minutes after midnight; ``00:00-24:00`` is the whole day."""
    try:
        start, end = value.replace(" ", "").split("-")
        minutes = [_minute(part) for part in (start, end)]
    except ValueError:
        raise InvalidValue(f"working hours {value!r}: write e.g. 09:00-17:00") from None
    if not 0 <= minutes[0] < minutes[1] <= 24 * 60:
        raise InvalidValue(f"working hours {value!r}: the start must come before the end")
    return minutes[0], minutes[1]


class SlaService(SlaReads):
    """Service levels: the policies and calendars (their lists: ``SlaReads``), and the clocks
    they give each ticket."""

    def sla_status(self) -> SlaStatus:
        """The desk's SLA alerting in one read: policies, next alert, by mail or terminal
        only, last pass, automatic escalation."""
        now = self.clock()
        with self._read() as session:
            holder = current_holder(session, SLA_LEASE, now=now)
            next_alert = sla_alerts.next_alert_due(session)
            return SlaStatus(
                policies=len(sla_clock.load_rules(session)[0]),
                next_alert_at=next_alert,
                overdue=holder is None and next_alert is not None and next_alert <= now,
                alerts_by_mail=sends_mail(session, now),
                last_pass_at=sla_alerts.last_pass(session),
                runner=str(holder.holder) if holder is not None else None,
                auto_escalate=sla_alerts.auto_escalates(session).value,
                unaddressed=None if tiers.desk_alert_addresses(session) else tiers.NOBODY_BY_MAIL,
            )

    def sla_explain(self, number: int) -> SlaTimeline:
        """The ticket's clocks from its history, with the policy and calendar that set them."""
        with self._read() as session:
            ticket = load_ticket(session, number)
            assert ticket.id is not None
            policies, calendars = sla_clock.load_rules(session)
            facts = sla_clock.facts(session, [ticket.id])[ticket.id]
            explained = sla.explain(facts, policies, calendars, self.clock())
        return SlaTimeline(
            number=number,
            policy=explained.policy.describe(),
            calendar=explained.calendar.describe(),
            clocks=tuple(_clock_view(c) for c in explained.clocks),
            response_due_at=ticket.response_due_at,
            resolution_due_at=ticket.resolution_due_at,
            reply_due_at=ticket.reply_due_at,
            due_at=ticket.sla_due_at,
            due_clock=_due_clock(explained),
            warn_percent=explained.policy.warn_percent,
        )

    def sla_set_policy(
        self,
        name: str,
        *,
        first_response: str,
        next_response: str,
        resolution: str,
        priority: str | None = None,
        organization: str | None = None,
        ticket_type: str | None = None,
        category: str | None = None,
        calendar: str | None = None,
        warn_percent: int | str = 75,
        new: bool = False,
        expected: SlaPolicyView | None = None,
    ) -> SlaSaved:
        """Add or replace a policy (admins); every open ticket's clocks follow. Returns the
        policy as it was and is now, and how many tickets' due times changed.

        ``new``: only a policy of a name the desk has no policy of yet (``ChangedMeanwhile``
        otherwise); ``expected``: only the policy as a form read it, unchanged since (its
        scope, calendar, targets and warning). The change is one ``setting_changed`` event.
        """
        self.actor.require(Role.ADMIN, "change SLA policies")
        name = " ".join(text_value(name, "policy name", single_line=True).split())
        if not name:
            raise InvalidValue("a policy needs a name")
        targets = sla.Targets(
            sla.parse_duration(first_response, "first response target"),
            sla.parse_duration(next_response, "next response target"),
            sla.parse_duration(resolution, "resolution target"),
        )
        values = {
            "priority": parse_priority(priority).value if priority else None,
            "type": parse_type(ticket_type).value if ticket_type else None,
            "category": " ".join(category.split()) if category else None,
        }
        warn_percent = _percent(warn_percent)
        sla.Policy(name, targets, warn_percent=warn_percent)  # checks targets and the warning
        with self._write() as session:
            org_id = _organization_id(session, organization) if organization else None
            calendar_id = _calendar_id(session, calendar) if calendar else None
            row = session.exec(
                select(SlaPolicy).where(SlaPolicy.name == name).with_for_update()
            ).first()
            before = _policy_now(session, name) if row is not None else None
            _check_unchanged("policy", name, before, expected, new)
            scopes = [sla_clock.Scope.of(row)] if row is not None else []
            row = row or SlaPolicy(
                name=name, first_response_minutes=0, next_response_minutes=0, resolution_minutes=0
            )
            row.first_response_minutes = targets.first_response
            row.next_response_minutes = targets.next_response
            row.resolution_minutes = targets.resolution
            row.priority = values["priority"]
            row.type = values["type"]
            row.category = values["category"]
            row.organization_id = org_id
            row.calendar_id = calendar_id
            row.warn_percent = warn_percent
            session.add(row)
            scopes.append(sla_clock.Scope.of(row))
            session.flush()
            after = _policy_now(session, name)
            record_setting_change(
                session,
                self.actor,
                self.clock(),
                "sla policy",
                before.description if before else None,
                after.description if after else None,
            )
            verdict = _verdict(before, after)
            if verdict is not Verdict.UNCHANGED:
                report_service.replay_everything(session)
        tickets = self.sla_recompute(scopes=scopes) if verdict is not Verdict.UNCHANGED else 0
        return SlaSaved(
            verdict,
            tickets,
            after.description if after else name,
            before.description if before else None,
        )

    def sla_remove_policy(self, name: str) -> int:
        self.actor.require(Role.ADMIN, "change SLA policies")
        with self._write() as session:
            row = session.exec(select(SlaPolicy).where(SlaPolicy.name == name.strip())).first()
            if row is None:
                raise NotFound(f"no SLA policy {name!r}; see: helpdesk sla policy list")
            scopes = [sla_clock.Scope.of(row)]
            before = _policy_now(session, row.name)
            session.delete(row)
            record_setting_change(
                session,
                self.actor,
                self.clock(),
                "sla policy",
                before.description if before else None,
                None,
            )
            report_service.replay_everything(session)
        return self.sla_recompute(scopes=scopes)

    def sla_set_calendar(
        self,
        name: str,
        *,
        timezone: str = "UTC",
        days: str = "mon-fri",
        hours: str = "09:00-17:00",
        holidays: str | None = None,
        closed: Sequence[str] = (),
        new: bool = False,
        expected: SlaCalendarView | None = None,
    ) -> SlaSaved:
        """Add or replace a business calendar (admins); open tickets' clocks follow. Returns
        what :meth:`sla_set_policy` returns.

        ``holidays``: a country code with an optional subdivision, ``DE`` or ``DE-BY``.
        ``new`` and ``expected``: as :meth:`sla_set_policy`'s (a new name only; only the
        calendar as a form read it).
        """
        self.actor.require(Role.ADMIN, "change SLA calendars")
        name = " ".join(text_value(name, "calendar name", single_line=True).split())
        if not name or name == sla.DEFAULT_CALENDAR.name:
            raise InvalidValue(f"a calendar needs a name other than {sla.DEFAULT_CALENDAR.name!r}")
        country, _, subdivision = (holidays or "").upper().partition("-")
        if country:
            sla.check_holidays(country, subdivision or None)
        try:
            closed_days = sorted({date.fromisoformat(d.strip()) for d in closed if d.strip()})
        except ValueError:
            raise InvalidValue(
                f"closed days {', '.join(closed)}: write ISO dates, 2026-12-24"
            ) from None
        start, end = parse_hours(hours)
        work_days = parse_days(days)
        sla.Calendar(name, timezone, work_days, start, end)  # checks zone, hours and days
        with self._write() as session:
            row = session.exec(
                select(SlaCalendar).where(SlaCalendar.name == name).with_for_update()
            ).first()
            before = load_calendars(session).get(name) if row is not None else None
            was = calendar_view(before) if before is not None else None
            _check_unchanged("calendar", name, was, expected, new)
            row = row or SlaCalendar(name=name)
            row.timezone = timezone
            row.work_days = ",".join(str(d) for d in sorted(work_days))
            row.start_minute, row.end_minute = start, end
            row.holiday_country = country or None
            row.holiday_subdivision = subdivision or None
            row.closed_days = ",".join(d.isoformat() for d in closed_days)
            session.add(row)
            session.flush()
            after = load_calendars(session)[name]
            record_setting_change(
                session,
                self.actor,
                self.clock(),
                "sla calendar",
                was.description if was else None,
                after.describe(),
            )
            verdict = _verdict(was, calendar_view(after))
            if verdict is not Verdict.UNCHANGED:
                report_service.replay_everything(session)
        tickets = self.sla_recompute() if verdict is not Verdict.UNCHANGED else 0
        return SlaSaved(verdict, tickets, after.describe(), was.description if was else None)

    def sla_set_team_tier(
        self, team: str, tier: int | str, *, expected: SlaTierView | None = None
    ) -> TierSaved:
        """Say which tier ``team`` works (admins): escalation moves tickets to it.
        ``expected``: only while the team works the tier a form read (``ChangedMeanwhile``
        otherwise). Returns what it did (:class:`TierSaved`): the tier it already works is
        ``unchanged`` and writes nothing (no ``setting_changed`` event)."""
        self.actor.require(Role.ADMIN, "set team tiers")
        value = parse_tier(tier)
        with self._write() as session:
            found = find_team(session, team)
            assert found.id is not None
            row = session.get(TeamTier, found.id, with_for_update=True)
            before = row.tier if row is not None else None
            if expected is not None and expected.tier != before:
                raise ChangedMeanwhile(
                    f"team {found.name}'s tier was changed meanwhile (now "
                    f"{before or 'none'}); nothing saved: see it again"
                )
            verdict = _verdict(before, value)
            if verdict is not Verdict.UNCHANGED:
                row = row or TeamTier(team_id=found.id, tier=value)
                row.tier = value
                session.add(row)
                record_setting_change(
                    session,
                    self.actor,
                    self.clock(),
                    "team tier",
                    f"{found.name}: tier {before}" if before is not None else None,
                    f"{found.name}: tier {value}",
                )
        return TierSaved(verdict, found.name, value, before)

    def sla_auto_escalate(
        self, at: str | None = None, *, expected: AutoEscalate | str | None = None
    ) -> AutoEscalate:
        """At which alert (``off``, ``warning``, ``breach``) a ticket moves one tier up by
        itself; ``at`` sets it for the whole desk (admins only; ``on`` means ``breach``).
        ``expected``: only while it is still what a form read (``ChangedMeanwhile``)."""
        if at is None:
            with self._read() as session:
                return sla_alerts.auto_escalates(session)
        self.actor.require(Role.ADMIN, "switch automatic escalation")
        try:
            value = AutoEscalate.BREACH if at == "on" else AutoEscalate(at)
        except ValueError:
            raise InvalidValue(f"automatic escalation {at!r}: say off, warning or breach") from None
        with self._write() as session:
            before = sla_alerts.auto_escalates(session)
            if expected is not None and AutoEscalate(expected) != before:
                raise ChangedMeanwhile(
                    f"automatic escalation was changed meanwhile (now {before.value}); "
                    "nothing saved: see it again"
                )
            sla_alerts.set_auto_escalate(session, value)
            record_setting_change(
                session, self.actor, self.clock(), "sla auto-escalation", before.value, value.value
            )
        return value

    def sla_check_alerts(self, *, auto_escalate: AutoEscalate | None = None) -> int:
        """Send the warning and breach alerts that are due (the alert lease holder calls
        this); how many were sent. ``auto_escalate``: default, the desk's setting."""
        return len(sla_alerts.check(self.db, self.clock(), auto_escalate=auto_escalate))

    def sla_alerts_since(self, event_id: int, limit: int = 5) -> list[SlaAlertView]:
        """Alerts recorded after ``event_id`` on tickets this agent owns (supervisors and
        admins: every ticket), newest last — a rating that needs follow-up
        (``satisfaction.RATING_CONCERN``) among them, as a breach is; a summary of breaches
        owed while alerts were not running (``sla_alerts.OVERDUE_EVENT``, on no ticket) as
        one alert: this agent's, or for supervisors and admins the desk's."""
        everyone = self.actor.can(Role.SUPERVISOR)
        summary = "desk" if everyone else f"agent:{self.actor.agent_id}"
        overdue = (col(Event.kind) == sla_alerts.OVERDUE_EVENT) & (col(Event.field) == summary)
        ticket_alert: ColumnElement[bool] = col(Event.kind).in_(
            [*sla_alerts.ALERT_EVENTS.values(), RATING_CONCERN]
        )
        if not everyone:
            ticket_alert = ticket_alert & (col(Ticket.assignee_id) == self.actor.agent_id)
        with self._read() as session:
            statement = (
                select(Event)
                .outerjoin(Ticket, col(Ticket.id) == col(Event.ticket_id))
                .where(
                    col(Event.id) > event_id,
                    ticket_alert | overdue,
                )
                .order_by(col(Event.id).desc())
                .limit(limit)
            )
            rows = session.exec(statement).all()
        return [
            SlaAlertView(
                int(event.id or 0),
                int(event.ticket_number or 0),
                f"#{event.ticket_number}: {event.new_value}"
                if event.ticket_number is not None
                else str(event.new_value),
                event.kind != sla_alerts.ALERT_EVENTS["warning"],
                _TITLES.get(event.kind, "SLA breached"),
                event.kind == RATING_CONCERN,
            )
            for event in reversed(rows)
        ]

    def sla_recompute(
        self,
        batch: int = RECOMPUTE_BATCH,
        *,
        scopes: Sequence[sla_clock.Scope] | None = None,
        numbers: tuple[int, int] | None = None,
    ) -> int:
        """Every open ticket's clocks from its history, ``batch`` tickets per transaction
        (``scopes``: only the tickets a changed policy's old or new version can apply to;
        ``numbers``: only those numbered first to last, the tickets a load added).

        Returns how many tickets' due times changed.

        When any did, one event says so (``sla_recomputed``, on no ticket), committed after
        the last batch: the recompute writes no ticket's history, and the desk's change
        mark is its newest event, so without it neither the SLA worker (``ChangeProbe``:
        a new next-alert time waited up to ``SLA_FULL_PASS``) nor an open queue (its SLA
        column) learned of a policy or calendar edit.
        """
        changed = 0
        with self._read() as session:
            rules = sla_clock.load_rules(session)
            batches = list(sla_clock.open_ticket_batches(session, batch, scopes, numbers))
        for ids in batches:
            with self._write() as session:
                changed += sla_clock.refresh(session, ids, rules)
        if changed:
            with self._write() as session:
                sla_clock.record_recompute(session, self.actor, changed)
        return changed


def _due_clock(explained: sla.Explanation) -> str | None:
    """The pending clock whose due time is the ticket's earliest (the queue's)."""
    due = explained.due_at
    pending = [c for c in explained.current() if c.stopped_at is None and c.due_at == due]
    return pending[0].kind.label if due is not None and pending else None


def _percent(value: int | str) -> int:
    try:
        return int(str(value).strip().removesuffix("%"))
    except ValueError:
        raise InvalidValue(f"warning at {value!r}: a whole percent, 1 to 99") from None


def _policy_now(session: Session, name: str) -> SlaPolicyView | None:
    """The admins' policy ``name`` as the transaction has it (flushed)."""
    found = next((p for p in load_rules(session)[0] if p.name == name), None)
    return policy_view(found) if found is not None else None


def _check_unchanged(
    what: str, name: str, now: object | None, expected: object | None, new: bool
) -> None:
    """A form's write only onto what it read: ``new`` where there is nothing yet, or
    ``expected`` still as it is now."""
    if new and now is not None:
        raise ChangedMeanwhile(f"there is a {what} {name} already: give the new one another name")
    if expected is not None and now is None:
        raise ChangedMeanwhile(f"{what} {name} is no longer there; nothing saved")
    if expected is not None and now != expected:
        raise ChangedMeanwhile(f"{what} {name} was changed meanwhile; nothing saved: open it again")


def _organization_id(session: Session, name: str) -> int:
    found = session.exec(select(Organization.id).where(Organization.name == name.strip())).first()
    if found is None:
        raise NotFound(f"no organization {name!r}")
    return int(found)


def _calendar_id(session: Session, name: str) -> int | None:
    if name.strip() == sla.DEFAULT_CALENDAR.name:
        return None
    found = session.exec(
        select(SlaCalendar.id).where(col(SlaCalendar.name) == name.strip())
    ).first()
    if found is None:
        raise NotFound(f"no SLA calendar {name!r}; see: helpdesk sla calendar list")
    return int(found)
