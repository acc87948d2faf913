"""SLA clocks as pure functions of a ticket's history, with a frozen clock.

Nights, weekends, public holidays, both DST changes, waiting periods, met and breached.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from helpdesk_tui.desk import sla
from helpdesk_tui.desk.errors import InvalidValue
from helpdesk_tui.desk.sla import Calendar, ClockKind, ClockState, Fact, Policy, Targets

OFFICE = Calendar()  # Mon-Fri 09:00-17:00 UTC
BERLIN = Calendar("berlin", "Europe/Berlin", holiday_country="DE", holiday_subdivision="BY")
ROUND_THE_CLOCK = Calendar("24x7", "Europe/Berlin", frozenset(range(7)), 0, 24 * 60)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def ticket(created: datetime, *facts: Fact, status: str = "open", priority: str = "normal"):
    return sla.TicketFacts(created, status, priority, "question", None, None, facts)


def policy(first: int, resolution: int, *, calendar: str | None = None, nxt: int = 60) -> Policy:
    return Policy("p", Targets(first, nxt, resolution), calendar=calendar, priority="normal")


def clock(explained: sla.Explanation, kind: ClockKind) -> sla.Clock:
    return [c for c in explained.clocks if c.kind is kind][-1]


def test_a_night_does_not_count() -> None:
    # Monday 16:30: 30 minutes today, the other 30 on Tuesday morning.
    assert OFFICE.add(utc(2026, 11, 30, 16, 30), 60) == utc(2026, 12, 1, 9, 30)
    assert OFFICE.between(utc(2026, 11, 30, 16, 30), utc(2026, 12, 1, 9, 30)) == timedelta(hours=1)


def test_a_weekend_does_not_count() -> None:
    assert OFFICE.add(utc(2026, 12, 4, 16, 0), 120) == utc(2026, 12, 7, 10, 0)
    # Created on a Saturday: the clock starts on Monday at nine.
    assert OFFICE.add(utc(2026, 12, 5, 12, 0), 30) == utc(2026, 12, 7, 9, 30)


def test_public_holidays_and_closed_days_do_not_count() -> None:
    # Thursday 24 Dec 16:00 in Berlin; Friday 25 Dec is Christmas, then the weekend.
    start = datetime(2026, 12, 24, 16, 0, tzinfo=sla.zone("Europe/Berlin"))
    assert BERLIN.add(start, 120) == utc(2026, 12, 28, 9, 0)  # Monday 10:00 CET
    closed = Calendar(
        "c", "Europe/Berlin", holiday_country="DE", closed_days=frozenset({date(2026, 12, 28)})
    )
    assert closed.add(start, 120) == utc(2026, 12, 29, 9, 0)  # and Monday was closed too
    # Bavaria has Epiphany (6 January); Berlin's calendar without a subdivision does not.
    assert not BERLIN.is_working_day(date(2027, 1, 6))
    assert Calendar("de", "Europe/Berlin", holiday_country="DE").is_working_day(date(2027, 1, 6))


def test_working_hours_follow_the_local_clock_across_the_autumn_dst_change() -> None:
    # Friday 23 Oct 2026 16:00 CEST (14:00 UTC); summer time ends on Sunday 25 Oct.
    start = utc(2026, 10, 23, 14, 0)
    assert BERLIN.add(start, 120) == utc(2026, 10, 26, 9, 0)  # Monday 10:00 CET = 09:00 UTC


def test_a_round_the_clock_calendar_counts_real_hours_across_the_spring_dst_change() -> None:
    # Sunday 29 Mar 2026 has 23 hours in Berlin; 24 business hours are 24 real hours.
    start = utc(2026, 3, 28, 11, 0)
    assert ROUND_THE_CLOCK.add(start, 24 * 60) == start + timedelta(hours=24)
    assert ROUND_THE_CLOCK.between(start, start + timedelta(hours=48)) == timedelta(hours=48)


def test_waiting_on_the_customer_pauses_and_moves_the_due_time() -> None:
    created = utc(2026, 11, 30, 10, 0)  # Monday
    waiting = Fact(utc(2026, 11, 30, 10, 30), "status", "waiting")
    back = Fact(utc(2026, 12, 1, 11, 0), "status", "open")
    rules = [policy(120, 240)]
    # While waiting: no due time, the clock is paused with 90 minutes left.
    paused = sla.explain(ticket(created, waiting, status="waiting"), rules, {}, utc(2026, 12, 1, 8))
    first = clock(paused, ClockKind.FIRST_RESPONSE)
    assert (first.state, first.due_at, first.remaining_minutes) == (ClockState.PAUSED, None, 90)
    assert paused.response_due_at is None and paused.resolution_due_at is None
    # Resumed Tuesday 11:00: 90 minutes left → 12:30; resolution: 210 left → 14:30.
    resumed = sla.explain(ticket(created, waiting, back), rules, {}, utc(2026, 12, 1, 11, 5))
    assert resumed.response_due_at == utc(2026, 12, 1, 12, 30)
    assert resumed.resolution_due_at == utc(2026, 12, 1, 14, 30)
    first = clock(resumed, ClockKind.FIRST_RESPONSE)
    assert first.pauses == (sla.Pause(waiting.at, back.at, "waiting"),)
    assert first.state is ClockState.RUNNING


def test_met_breached_and_the_warning() -> None:
    created = utc(2026, 11, 30, 9, 0)
    rules = [policy(60, 480)]
    on_time = sla.explain(
        ticket(created, Fact(utc(2026, 11, 30, 9, 50), "reply")), rules, {}, utc(2026, 12, 1)
    )
    assert clock(on_time, ClockKind.FIRST_RESPONSE).state is ClockState.MET
    late = sla.explain(
        ticket(created, Fact(utc(2026, 11, 30, 10, 5), "reply")), rules, {}, utc(2026, 12, 1)
    )
    assert clock(late, ClockKind.FIRST_RESPONSE).state is ClockState.MISSED
    assert clock(late, ClockKind.FIRST_RESPONSE).remaining_minutes == -5
    # No reply yet: running, then warning at 75% (45 minutes), then breached.
    states = [
        clock(sla.explain(ticket(created), rules, {}, now), ClockKind.FIRST_RESPONSE).state
        for now in (utc(2026, 11, 30, 9, 44), utc(2026, 11, 30, 9, 45), utc(2026, 11, 30, 10))
    ]
    assert states == [ClockState.RUNNING, ClockState.WARNING, ClockState.BREACHED]
    # Resolved in time: the resolution clock is met and stops.
    resolved = sla.explain(
        ticket(created, Fact(utc(2026, 11, 30, 12), "status", "resolved"), status="resolved"),
        rules,
        {},
        utc(2026, 12, 3),
    )
    assert clock(resolved, ClockKind.RESOLUTION).state is ClockState.MET


def test_a_customer_message_after_a_reply_starts_the_next_response_clock() -> None:
    created = utc(2026, 11, 30, 9, 0)
    history = (
        Fact(utc(2026, 11, 30, 9, 30), "reply"),
        Fact(utc(2026, 11, 30, 16, 30), "customer"),
    )
    explained = sla.explain(ticket(created, *history), [policy(60, 960, nxt=90)], {}, created)
    nxt = clock(explained, ClockKind.NEXT_RESPONSE)
    assert nxt.started_at == utc(2026, 11, 30, 16, 30)
    assert nxt.due_at == explained.reply_due_at == explained.due_at == utc(2026, 12, 1, 10, 0)
    assert explained.reply_started_at == utc(2026, 11, 30, 16, 30)
    assert explained.response_due_at == utc(2026, 11, 30, 10, 0)  # the first response's
    answered = sla.explain(
        ticket(created, *history, Fact(utc(2026, 12, 1, 9, 15), "reply")),
        [policy(60, 960, nxt=90)],
        {},
        created,
    )
    assert clock(answered, ClockKind.NEXT_RESPONSE).state is ClockState.MET
    assert answered.reply_due_at is None and answered.due_at == answered.resolution_due_at


def test_the_wait_a_customer_message_ends_is_not_a_pause_of_the_next_response() -> None:
    """Found walking a month of SLAs: `helpdesk ticket sla` listed, under the next response
    a customer's call started, the wait that call ended ("paused" before "started")."""
    created = utc(2026, 11, 30, 9, 0)
    called = utc(2026, 12, 1, 10, 0)
    reopened = called + timedelta(microseconds=300)  # the status change the call writes
    history = (
        Fact(utc(2026, 11, 30, 9, 30), "reply"),
        Fact(utc(2026, 11, 30, 9, 30), "status", "waiting"),
        Fact(called, "customer"),
        Fact(reopened, "status", "open"),
    )
    explained = sla.explain(ticket(created, *history), [policy(60, 960)], {}, called)
    assert clock(explained, ClockKind.NEXT_RESPONSE).pauses == ()
    waited = sla.Pause(utc(2026, 11, 30, 9, 30), reopened, "waiting")
    assert clock(explained, ClockKind.RESOLUTION).pauses == (waited,)
    # A wait that went on after the message (an agent reopened it later) is the run's.
    later = (*history[:3], Fact(called + timedelta(hours=1), "status", "open"))
    kept = sla.explain(ticket(created, *later), [policy(60, 960)], {}, called)
    assert clock(kept, ClockKind.NEXT_RESPONSE).pauses == (
        sla.Pause(utc(2026, 11, 30, 9, 30), called + timedelta(hours=1), "waiting"),
    )


def test_the_most_specific_policy_wins_and_names_its_calendar() -> None:
    facts = sla.TicketFacts(
        utc(2026, 10, 23, 14), "open", "high", "incident", "network", "Acme", ()
    )
    policies = [
        Policy("high", Targets(30, 30, 60), priority="high"),
        Policy("acme", Targets(15, 15, 120), organization="Acme", calendar="berlin"),
        Policy("net", Targets(45, 45, 90), category="network", priority="high"),
    ]
    explained = sla.explain(facts, policies, {"berlin": BERLIN}, utc(2026, 10, 23, 14))
    assert (explained.policy.name, explained.calendar.name) == ("acme", "berlin")
    # Friday 16:00 CEST + 15 min → 16:15 local.
    assert explained.response_due_at == utc(2026, 10, 23, 14, 15)
    assert sla.choose_policy([], facts).name == "default-high"


@pytest.mark.parametrize(("text", "minutes"), [("90m", 90), ("4h", 240), ("1h30m", 90), ("45", 45)])
def test_durations(text: str, minutes: int) -> None:
    assert sla.parse_duration(text) == minutes
    assert sla.parse_duration(sla.duration(minutes)) == minutes


@pytest.mark.parametrize("text", ["0m", "-5m", "soon", "4d", ""])
def test_a_bad_duration_is_one_line(text: str) -> None:
    with pytest.raises(InvalidValue) as error:
        sla.parse_duration(text)
    assert "\n" not in str(error.value)


def test_a_bad_calendar_is_refused() -> None:
    with pytest.raises(InvalidValue, match="time zone"):
        Calendar("x", "Mars/Olympus")
    with pytest.raises(InvalidValue, match="within a day"):
        Calendar("x", start_minute=600, end_minute=500)
    with pytest.raises(InvalidValue, match="holidays"):
        sla.check_holidays("XX", None)


@pytest.mark.parametrize(
    "calendar",
    [
        OFFICE,
        BERLIN,
        ROUND_THE_CLOCK,
        Calendar("nyc-weekends", "America/New_York", frozenset({5, 6}), 13 * 60 + 30, 14 * 60),
        Calendar("lord-howe", "Australia/Lord_Howe", frozenset(range(6)), 60, 23 * 60),
    ],
    ids=lambda c: c.name,
)
def test_business_time_added_is_business_time_between(calendar: Calendar) -> None:
    """``add`` and ``between`` agree over three years of starts (DST of half an hour on Lord
    Howe, holidays in Bavaria, 30 minutes a week in New York), and ``add`` never goes back."""
    rng = random.Random(13)
    for _ in range(500):
        start = utc(2025, 1, 1) + timedelta(minutes=rng.randrange(3 * 365 * 24 * 60))
        minutes = rng.choice([1, 30, 90, 480, 2400, rng.randrange(1, 6000)])
        due = calendar.add(start, minutes)
        assert due > start
        assert calendar.between(start, due) == timedelta(minutes=minutes)
        assert calendar.contains(due - timedelta(microseconds=1))
        assert calendar.add(start, 0) <= due


def test_a_first_clock_lays_out_a_month_either_side_and_grows_to_the_same_answers() -> None:
    """One ticket's clocks (a CLI write) lay out about two months of working windows, not
    years (≈ 3 ms of the verb's start); a due time years ahead grows the span and is the
    same as on a calendar laid out over those years first."""
    start = utc(2026, 3, 2, 10)
    fresh = Calendar("fresh", "Europe/Berlin")
    due = fresh.add(start, 8 * 60 * 3)
    span = fresh._timeline.span
    assert span is not None and (span.last - span.first).days < 80
    wide = Calendar("wide", "Europe/Berlin")
    wide.between(start - timedelta(days=2000), start + timedelta(days=2000))
    assert wide.add(start, 8 * 60 * 3) == due
    far = fresh.add(start, 8 * 60 * 700)
    assert far == wide.add(start, 8 * 60 * 700)
    assert fresh.between(start, far) == wide.between(start, far) == timedelta(hours=8 * 700)
