"""Service-level clocks, computed from a ticket's history: pure functions, no database.

A :class:`Calendar` says which instants count (working days and hours in a time zone, minus
public holidays and extra closed days). A :class:`Policy` gives targets in business minutes.
:func:`clocks` replays a ticket's :class:`Fact` list — created, agent replies, customer
messages, status changes — into three clocks:

- **first response**: from creation to the first agent reply;
- **next response**: from a customer message that follows a reply, to the next reply;
- **resolution**: from creation to resolved (or closed); a reopen resumes it.

Every clock pauses while the ticket waits on the customer (and while it is resolved), and
resumes when that ends; the due time moves by the business time spent paused. Because the
result is a function of the history, the stored due columns can always be explained (and
are recomputed when a policy or calendar changes).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import cached_property, lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# (the on-screen level of a deadline: a module of its own, which the queue's first paint loads)
from helpdesk_tui.desk.due import DEFAULT_WARN_PERCENT as DEFAULT_WARN_PERCENT
from helpdesk_tui.desk.due import DueLevel as DueLevel
from helpdesk_tui.desk.due import due_level as due_level
from helpdesk_tui.desk.errors import InvalidValue

PAUSING = frozenset({"waiting", "resolved", "closed"})
"""Statuses in which no clock runs (waiting on the customer; resolved or closed)."""
STOPPING = frozenset({"resolved", "closed"})
"""Statuses that end a pending response (there is nothing left to answer)."""
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SEARCH_DAYS = 10 * 366
"""How far ahead a due time is searched before a calendar counts as never open (a target
is at most :data:`MAX_TARGET_MINUTES`: a year of 8-hour days; one open day a week covers it)."""
MAX_TARGET_MINUTES = 2000 * 60


class ClockKind(StrEnum):
    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"
    RESOLUTION = "resolution"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class ClockState(StrEnum):
    RUNNING = "running"
    WARNING = "warning"
    BREACHED = "breached"
    PAUSED = "paused"
    MET = "met"
    MISSED = "missed"
    """Stopped after its due time (the target was breached)."""


@lru_cache(maxsize=256)
def _holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    import holidays  # a large package: loaded only by a calendar that names a country

    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year).keys())


def check_holidays(country: str, subdivision: str | None) -> None:
    """Refuse, in one line, a country or subdivision the ``holidays`` package does not know."""
    try:
        _holidays(country, subdivision, 2000)
    except NotImplementedError:
        raise InvalidValue(f"no public holidays known for country {country!r}") from None
    except Exception as error:  # the package's own errors (unknown subdivision …)
        raise InvalidValue(f"holidays {country}/{subdivision}: {error}") from None


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidValue(f"unknown time zone {name!r} (e.g. Europe/Berlin, UTC)") from None


@dataclass(frozen=True)
class Calendar:
    """Which instants count as business time."""

    name: str = "business hours"
    timezone: str = "UTC"
    work_days: frozenset[int] = frozenset(range(5))
    start_minute: int = 9 * 60
    end_minute: int = 17 * 60
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    closed_days: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if not 0 <= self.start_minute < self.end_minute <= 24 * 60:
            raise InvalidValue(f"calendar {self.name}: working hours must be within a day")
        if not self.work_days or not self.work_days <= set(range(7)):
            raise InvalidValue(f"calendar {self.name}: needs at least one working day")
        zone(self.timezone)

    @property
    def hours(self) -> str:
        """The working hours as ``calendar set --hours`` takes them: ``09:00-17:00``."""
        return f"{_hhmm(self.start_minute)}-{_hhmm(self.end_minute)}"

    @property
    def holidays(self) -> str | None:
        """The public holidays as ``calendar set --holidays`` takes them: ``DE``, ``DE-BY``."""
        if not self.holiday_country:
            return None
        sub = f"-{self.holiday_subdivision}" if self.holiday_subdivision else ""
        return f"{self.holiday_country}{sub}"

    def describe(self) -> str:
        days = ",".join(DAY_NAMES[d] for d in sorted(self.work_days))
        extra = ""
        if self.holidays:
            extra += f", holidays {self.holidays}"
        if self.closed_days:
            extra += f", closed {', '.join(d.isoformat() for d in sorted(self.closed_days))}"
        return f"{self.name} ({days} {self.hours} {self.timezone}{extra})"

    def is_working_day(self, day: date) -> bool:
        if day.weekday() not in self.work_days or day in self.closed_days:
            return False
        return not (
            self.holiday_country
            and day in _holidays(self.holiday_country, self.holiday_subdivision, day.year)
        )

    def window(self, day: date) -> tuple[datetime, datetime]:
        """The day's working hours in UTC (the local wall clock, whatever DST does)."""
        tz = zone(self.timezone)
        start = datetime.combine(day, time(), tz) + timedelta(minutes=self.start_minute)
        if self.end_minute == 24 * 60:
            end = datetime.combine(day + timedelta(days=1), time(), tz)
        else:
            end = datetime.combine(day, time(), tz) + timedelta(minutes=self.end_minute)
        # Aware arithmetic with one zone is wall-clock arithmetic: each end has its own offset.
        return start.astimezone(UTC), end.astimezone(UTC)

    def contains(self, moment: datetime) -> bool:
        """Whether ``moment`` (aware) is business time: within a working day's hours, not on a
        public holiday or closed day. Routing's ``business_hours`` condition asks this."""
        hours = _working_window(self, moment.astimezone(zone(self.timezone)).date())
        return hours is not None and hours[0] <= moment < hours[1]

    def add(self, start: datetime, minutes: float) -> datetime:
        """The instant ``minutes`` of business time after ``start``."""
        return self._timeline.add(start, round(minutes * 60_000_000))

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Business time from ``start`` to ``end`` (zero if ``end`` is not later)."""
        if end <= start:
            return timedelta()
        return timedelta(microseconds=self._timeline.between(start, end))

    @cached_property
    def _timeline(self) -> _Timeline:
        return _Timeline(self)


@lru_cache(maxsize=1 << 16)
def _working_window(calendar: Calendar, day: date) -> tuple[datetime, datetime] | None:
    """A day's working hours in UTC, or ``None`` on a closed day (computed once each)."""
    return calendar.window(day) if calendar.is_working_day(day) else None


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_FIRST_DAYS = 31
"""Days of working windows laid out either side of the days first asked for: one ticket's
clocks (a CLI write) seldom look further, and laying out 800 days took ≈ 3 ms of its start.
A timeline that must grow grows by its own width at least (doubling), so a recompute over
every open ticket lays out each day a few times at most."""
_SEARCH_US = _SEARCH_DAYS * 86_400_000_000


def _us(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


class _Span(NamedTuple):
    """Working windows laid out from day ``first`` to ``last`` (microseconds since the
    epoch, UTC), with the business time before and through each window."""

    first: date
    last: date
    starts: list[int]
    ends: list[int]
    before: list[int]
    through: list[int]
    low: datetime
    high: datetime
    """Instants inside these (UTC) lie on days the span covers with a day to spare."""

    def used(self, at: int) -> int:
        """Business time from the start of the span to ``at``."""
        i = bisect_right(self.starts, at) - 1
        if i < 0:
            return 0
        return self.before[i] + min(at, self.ends[i]) - self.starts[i]


class _Timeline:
    """A calendar's working windows over a span of days, with the business time before
    each, so that :meth:`Calendar.add` and :meth:`Calendar.between` are binary searches
    instead of a walk over the days (a recompute asks them for every clock of every open
    ticket). The span grows as earlier or later days are asked for; it is replaced whole,
    never changed in place, so threads sharing a calendar each read a consistent one.
    """

    def __init__(self, calendar: Calendar) -> None:
        self.calendar = calendar
        self.span: _Span | None = None

    def _lay_out(self, first: date, last: date) -> _Span:
        starts, ends, before, through, total = [], [], [], [], 0
        day = first
        while day <= last:
            hours = _working_window(self.calendar, day)
            if hours is not None:
                start, end = _us(hours[0]), _us(hours[1])
                starts.append(start)
                ends.append(end)
                before.append(total)
                total += end - start
                through.append(total)
            day += timedelta(days=1)
        tz = zone(self.calendar.timezone)
        low = datetime.combine(first + timedelta(days=1), time(), tz).astimezone(UTC)
        high = datetime.combine(last, time(), tz).astimezone(UTC)
        span = _Span(first, last, starts, ends, before, through, low, high)
        self.span = span
        return span

    def _around(self, *moments: datetime) -> _Span:
        """A span that covers the local days of ``moments`` (and a day either side)."""
        span = self.span
        if span is not None and all(span.low <= m < span.high for m in moments):
            return span
        days = [m.astimezone(zone(self.calendar.timezone)).date() for m in moments]
        low, high = min(days) - timedelta(days=1), max(days) + timedelta(days=1)
        if span is None:
            pad = timedelta(days=_FIRST_DAYS)
            return self._lay_out(low - pad, high + pad)
        pad = _growth(span)
        first = min(span.first, low - pad)
        return self._lay_out(first, max(span.last, high + pad))

    def between(self, start: datetime, end: datetime) -> int:
        span = self._around(start, end)
        return span.used(_us(end)) - span.used(_us(start))

    def add(self, start: datetime, amount: int) -> datetime:
        span = self._around(start)
        at = _us(start)
        horizon: date | None = None
        while True:
            if amount <= 0:  # the first business instant at or after ``start``
                i = bisect_right(span.ends, at)
                found = max(span.starts[i], at) if i < len(span.starts) else None
            else:
                target = span.used(at) + amount
                i = bisect_left(span.through, target)
                found = span.starts[i] + target - span.before[i] if i < len(span.starts) else None
            if found is not None:
                if found - at <= _SEARCH_US:
                    return _EPOCH + timedelta(microseconds=found)
                break
            if horizon is None:
                horizon = start.astimezone(zone(self.calendar.timezone)).date()
                horizon += timedelta(days=_SEARCH_DAYS)
            if span.last >= horizon:
                break
            span = self._lay_out(span.first, span.last + _growth(span))
        raise InvalidValue(
            f"calendar {self.calendar.name} has no working time in the next ten years"
        )


def _growth(span: _Span) -> timedelta:
    """How far a timeline grows past the days asked for: its own width, a month at least."""
    return max(span.last - span.first, timedelta(days=_FIRST_DAYS))


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


class Targets(NamedTuple):
    first_response: int
    next_response: int
    resolution: int
    """Business minutes."""

    def of(self, kind: ClockKind) -> int:
        return {
            ClockKind.FIRST_RESPONSE: self.first_response,
            ClockKind.NEXT_RESPONSE: self.next_response,
            ClockKind.RESOLUTION: self.resolution,
        }[kind]


@dataclass(frozen=True)
class Policy:
    """Targets for tickets it matches; the most specific matching policy wins."""

    name: str
    targets: Targets
    calendar: str | None = None
    """The calendar's name; ``None`` is the built-in business calendar."""
    priority: str | None = None
    organization: str | None = None
    type: str | None = None
    category: str | None = None
    warn_percent: int = DEFAULT_WARN_PERCENT
    built_in: bool = False

    def __post_init__(self) -> None:
        if min(self.targets.first_response, self.targets.next_response) <= 0 or (
            self.targets.resolution <= 0
        ):
            raise InvalidValue(f"policy {self.name}: every target must be positive")
        if not 1 <= self.warn_percent <= 99:
            raise InvalidValue(f"policy {self.name}: the warning must be at 1-99% elapsed")

    def specificity(self) -> int:
        """How narrow the policy is; organization beats category beats type beats priority."""
        return (
            (8 if self.organization else 0)
            + (4 if self.category else 0)
            + (2 if self.type else 0)
            + (1 if self.priority else 0)
        )

    def matches(self, ticket: TicketFacts) -> bool:
        return (
            (self.priority is None or self.priority == ticket.priority)
            and (self.organization is None or self.organization == ticket.organization)
            and (self.type is None or self.type == ticket.type)
            and (self.category is None or self.category == ticket.category)
        )

    def describe(self) -> str:
        scope = [
            f"{name} {value}"
            for name, value in (
                ("priority", self.priority),
                ("organization", self.organization),
                ("type", self.type),
                ("category", self.category),
            )
            if value
        ]
        t = self.targets
        return (
            f"{self.name}{' (built-in)' if self.built_in else ''}: "
            f"{', '.join(scope) or 'every ticket'} → first response {duration(t.first_response)}, "
            f"next response {duration(t.next_response)}, resolution {duration(t.resolution)}; "
            f"warn at {self.warn_percent}%"
            f"{f'; calendar {self.calendar}' if self.calendar else ''}"
        )


DEFAULT_CALENDAR = Calendar()
"""Monday to Friday, 09:00-17:00 UTC: a new desk's clocks count these hours."""

BUILT_IN_POLICIES: tuple[Policy, ...] = tuple(
    Policy(f"default-{priority}", Targets(*minutes), priority=priority, built_in=True)
    for priority, minutes in (
        ("urgent", (60, 120, 8 * 60)),
        ("high", (4 * 60, 4 * 60, 16 * 60)),
        ("normal", (8 * 60, 8 * 60, 40 * 60)),
        ("low", (16 * 60, 16 * 60, 80 * 60)),
    )
)
"""What every desk starts with; a policy an admin sets for a priority takes its place."""


def choose_policy(policies: Sequence[Policy], ticket: TicketFacts) -> Policy:
    """The most specific matching policy; an admin's beats a built-in one of equal scope."""
    best: Policy | None = None
    for policy in (*policies, *BUILT_IN_POLICIES):
        if policy.matches(ticket) and (best is None or policy.specificity() > best.specificity()):
            best = policy
    assert best is not None  # the built-ins cover every priority
    return best


def duration(minutes: float) -> str:
    """``90`` → ``1h30m``; ``2880`` → ``48h`` (business time has no calendar days)."""
    minutes = round(minutes)
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    if not hours:
        return f"{sign}{rest}m"
    return f"{sign}{hours}h{f'{rest:02d}m' if rest else ''}"


def parse_duration(value: str, what: str = "target") -> int:
    """``90m``, ``4h``, ``1h30m`` (business time; a bare number is minutes)."""
    text = value.strip().lower().replace(" ", "")
    total = 0
    number = ""
    units = {"m": 1, "h": 60}
    for char in text:
        if char.isdigit():
            number += char
        elif char in units and number:
            total += int(number) * units[char]
            number = ""
        else:
            raise InvalidValue(f"{what} {value!r}: write minutes or hours, e.g. 90m, 4h, 1h30m")
    if number:  # a bare number is minutes
        total += int(number)
    if total <= 0 or total > MAX_TARGET_MINUTES:
        raise InvalidValue(f"{what} {value!r} must be between 1 minute and 2000 hours")
    return total


class Fact(NamedTuple):
    """One thing in a ticket's history that moves a clock."""

    at: datetime
    kind: str
    """``reply`` (agent), ``customer`` (a customer message or call), ``status``."""
    status: str | None = None


class TicketFacts(NamedTuple):
    created_at: datetime
    status: str
    priority: str
    type: str
    category: str | None
    organization: str | None
    facts: tuple[Fact, ...] = ()


class Pause(NamedTuple):
    start: datetime
    end: datetime | None
    status: str


class Clock(NamedTuple):
    """One run of one clock, explained."""

    kind: ClockKind
    target_minutes: int
    started_at: datetime
    due_at: datetime | None
    """``None`` while paused (the due time moves on when the clock resumes)."""
    warn_at: datetime | None
    stopped_at: datetime | None
    pauses: tuple[Pause, ...]
    state: ClockState
    remaining_minutes: float
    """Business minutes left (negative: overdue), at ``now`` or when it stopped."""


class Explanation(NamedTuple):
    policy: Policy
    calendar: Calendar
    clocks: tuple[Clock, ...]
    """Every run, in order of start (the first response, each next response, resolution)."""
    response_due_at: datetime | None
    """The first response's due time (kept once met or missed)."""
    resolution_due_at: datetime | None
    reply_due_at: datetime | None
    """The pending reply's due time (first or next response); ``None`` if no reply is
    pending or the clock is paused."""
    reply_started_at: datetime | None
    """When that pending reply's clock started."""
    now: datetime

    @property
    def due_at(self) -> datetime | None:
        """The earliest pending target: what the queue sorts by and its badge shows (the
        ticket's ``sla_due_at``, which the database computes by the same rule)."""
        pending = [d for d in (self.reply_due_at, self.resolution_due_at) if d is not None]
        return min(pending) if pending else None

    def current(self) -> list[Clock]:
        """The last run of each kind of clock."""
        last: dict[ClockKind, Clock] = {}
        for clock in self.clocks:
            last[clock.kind] = clock
        return list(last.values())


@dataclass
class _Run:
    kind: ClockKind
    start: datetime
    stop: datetime | None = None
    pauses: list[Pause] = field(default_factory=list)


def _status_pauses(ticket: TicketFacts) -> list[Pause]:
    pauses: list[Pause] = []
    opened: Pause | None = None
    for fact in ticket.facts:
        if fact.kind != "status" or fact.status is None:
            continue
        if opened is not None and fact.status not in PAUSING:
            pauses.append(Pause(opened.start, fact.at, opened.status))
            opened = None
        elif opened is None and fact.status in PAUSING:
            opened = Pause(fact.at, None, fact.status)
        elif opened is not None and fact.status != opened.status:
            pauses.append(Pause(opened.start, fact.at, opened.status))
            opened = Pause(fact.at, None, fact.status)
    if opened is not None:
        pauses.append(opened)
    return pauses


def _runs(ticket: TicketFacts) -> list[_Run]:
    first = _Run(ClockKind.FIRST_RESPONSE, ticket.created_at)
    resolution = _Run(ClockKind.RESOLUTION, ticket.created_at)
    runs = [first]
    pending: _Run | None = first
    replied = False
    for fact in ticket.facts:
        if fact.kind == "reply":
            if pending is not None:
                pending.stop = fact.at
                pending = None
            replied = True
        elif fact.kind == "customer" and replied and pending is None:
            pending = _Run(ClockKind.NEXT_RESPONSE, fact.at)
            runs.append(pending)
        elif fact.kind == "status" and fact.status in STOPPING:
            if pending is not None:
                pending.stop = fact.at
                pending = None
            resolution.stop = fact.at
        elif fact.kind == "status":
            resolution.stop = None
    runs.append(resolution)
    return runs


def _walk(
    calendar: Calendar, start: datetime, minutes: float, pauses: Sequence[Pause]
) -> tuple[datetime | None, float]:
    """When ``minutes`` of unpaused business time after ``start`` are used up.

    Returns the instant, or ``None`` and the minutes still left when an open pause stops it.
    """
    remaining = timedelta(minutes=minutes)
    cursor = start
    for pause in pauses:
        if pause.end is not None and pause.end <= cursor:
            continue
        begin = max(pause.start, cursor)
        candidate = calendar.add(cursor, remaining / timedelta(minutes=1))
        if candidate <= begin:
            return candidate, 0
        remaining -= calendar.between(cursor, begin)
        if pause.end is None:
            return None, remaining / timedelta(minutes=1)
        cursor = pause.end
    return calendar.add(cursor, remaining / timedelta(minutes=1)), 0


def _used(calendar: Calendar, start: datetime, end: datetime, pauses: Sequence[Pause]) -> float:
    """Unpaused business minutes from ``start`` to ``end``."""
    total = calendar.between(start, end)
    for pause in pauses:
        pause_end = end if pause.end is None else min(pause.end, end)
        total -= calendar.between(max(pause.start, start), pause_end)
    return total / timedelta(minutes=1)


_BARE = ClockState.RUNNING
"""The state a ``dues_only`` clock reports (its state was not worked out)."""

SAME_WRITE = timedelta(seconds=1)
"""A customer's message that ends a wait starts the next response, and the status change it
causes is written with it, a moment after: a pause begun before a run and ending that soon
after its start ended with it, and is not one of the run's pauses (the timeline listed the
wait as the new run's, "paused" before it "started")."""


def _shown_pauses(run: _Run, pauses: tuple[Pause, ...]) -> tuple[Pause, ...]:
    """The pauses a run's timeline lists: not the one its own start ended
    (:data:`SAME_WRITE`). Its due time counts them all (that one's moment changes nothing)."""
    return tuple(
        p for p in pauses if p.start >= run.start or p.end is None or p.end - run.start > SAME_WRITE
    )


def _clock(
    run: _Run,
    policy: Policy,
    calendar: Calendar,
    pauses: Sequence[Pause],
    now: datetime,
    dues_only: bool = False,
) -> Clock:
    target = policy.targets.of(run.kind)
    end = run.stop or now
    # The due time depends on the history only, never on ``now``.
    mine = tuple(
        p
        for p in pauses
        if (p.end is None or p.end > run.start) and (run.stop is None or p.start < run.stop)
    )
    # A pause still open when the run stopped ends there for the run (a reply while waiting).
    walked = tuple(
        p
        if run.stop is None or (p.end is not None and p.end <= run.stop)
        else Pause(p.start, run.stop, p.status)
        for p in mine
    )
    due, _left = _walk(calendar, run.start, target, walked)
    warn_at = None
    if not dues_only or (run.stop is None and due is not None):
        # (a running clock's warning time: when its next alert can come, ``sla_clock``)
        warn_at, _ = _walk(calendar, run.start, target * policy.warn_percent / 100, walked)
    if dues_only:  # what the due columns need; the rest walks the calendar up to ``now``
        return Clock(
            run.kind, target, run.start, due, warn_at, run.stop, _shown_pauses(run, mine), _BARE, 0
        )
    remaining = target - _used(calendar, run.start, end, walked)
    if run.stop is not None:
        stopped_due = due if due is not None else run.stop
        state = ClockState.MET if run.stop <= stopped_due else ClockState.MISSED
    elif due is None:
        state = ClockState.PAUSED
    elif now >= due:
        state = ClockState.BREACHED
    elif warn_at is not None and now >= warn_at:
        state = ClockState.WARNING
    else:
        state = ClockState.RUNNING
    shown = _shown_pauses(run, mine)
    return Clock(run.kind, target, run.start, due, warn_at, run.stop, shown, state, remaining)


def explain(
    ticket: TicketFacts,
    policies: Sequence[Policy],
    calendars: dict[str, Calendar],
    now: datetime,
    *,
    dues_only: bool = False,
) -> Explanation:
    """Every clock of the ticket as of ``now``, and what its due columns should hold.

    ``response_due_at`` is the first response's due time; ``reply_due_at`` the due time of
    the response run still pending (the first response, or a next response after a customer's
    follow-up), if any; ``resolution_due_at`` the resolution's. A paused clock has no due
    time (``None``): it is not counting down.
    """
    policy = choose_policy(policies, ticket)
    calendar = calendars.get(policy.calendar or "", DEFAULT_CALENDAR)
    pauses = _status_pauses(ticket)
    clocks = tuple(_clock(run, policy, calendar, pauses, now, dues_only) for run in _runs(ticket))
    first, resolution = clocks[0], clocks[-1]
    pending = [c for c in clocks[:-1] if c.stopped_at is None and c.due_at is not None]
    reply = pending[-1] if pending else None
    return Explanation(
        policy,
        calendar,
        clocks,
        first.due_at,
        resolution.due_at,
        reply.due_at if reply else None,
        reply.started_at if reply else None,
        now,
    )
