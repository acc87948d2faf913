"""The SLA rules as the desk has them, read on Core tables (``storage/core_tables``): the
admins' policies and business calendars, and which team works each tier.

The one place they are read: the clocks (``sla_clock``, before every commit that touched
one), routing, reports and :class:`SlaReads`, the base of the facade's ``SlaService`` that
alone is what ``helpdesk sla policy list``, ``sla calendar list`` and ``sla tier`` hold
(so those verbs import neither the ORM nor SQLModel). Read as rows, not ORM objects: the
ORM's loading was most of the rules' cost in the poller's every batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, text

from helpdesk_tui.desk import sla
from helpdesk_tui.desk.service import DeskService
from helpdesk_tui.storage.core_tables import (
    Organization,
    Team,
    TeamTier,
    sla_calendar,
    sla_policy,
    team,
    team_tier,
)
from helpdesk_tui.storage.core_text import column_names
from helpdesk_tui.storage.database import connection_of

if TYPE_CHECKING:
    from helpdesk_tui.storage.database import Reader


@dataclass(frozen=True)
class SlaPolicyView:
    name: str
    description: str
    built_in: bool
    priority: str | None = None
    organization: str | None = None
    type: str | None = None
    category: str | None = None
    calendar: str | None = None
    """The business calendar's name; ``None`` is the built-in one."""
    first_response: str = ""
    next_response: str = ""
    resolution: str = ""
    """The targets as written (``4h``, ``1h30m``; business time), as ``policy set`` takes them."""
    warn_percent: int = sla.DEFAULT_WARN_PERCENT


@dataclass(frozen=True)
class SlaCalendarView:
    """A business calendar, its parts as ``helpdesk sla calendar set`` takes them."""

    name: str
    description: str
    built_in: bool = False
    timezone: str = "UTC"
    days: str = "mon-fri"
    hours: str = "09:00-17:00"
    holidays: str | None = None
    """A country with an optional subdivision: ``DE`` or ``DE-BY``."""
    closed: tuple[str, ...] = ()
    """Extra closed days, ISO dates, in order."""


@dataclass(frozen=True)
class SlaTierView:
    """A team and the support tier (1-4) it works; ``None``: none set."""

    team: str
    tier: int | None


def days_text(work_days: frozenset[int]) -> str:
    """Weekday numbers as ``calendar set --days`` takes them: ``mon-fri``, ``mon,wed,sat-sun``."""
    runs: list[list[int]] = []
    for day in sorted(work_days):
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    names = sla.DAY_NAMES
    return ",".join(
        names[run[0]] if len(run) == 1 else f"{names[run[0]]}-{names[run[-1]]}" for run in runs
    )


def calendar_view(c: sla.Calendar, *, built_in: bool = False) -> SlaCalendarView:
    return SlaCalendarView(
        c.name,
        c.describe(),
        built_in,
        timezone=c.timezone,
        days=days_text(c.work_days),
        hours=c.hours,
        holidays=c.holidays,
        closed=tuple(d.isoformat() for d in sorted(c.closed_days)),
    )


def calendar_of(row: Any) -> sla.Calendar:
    """A business calendar from its row (ORM or Core)."""
    return sla.Calendar(
        name=row.name,
        timezone=row.timezone,
        work_days=frozenset(int(d) for d in row.work_days.split(",") if d),
        start_minute=row.start_minute,
        end_minute=row.end_minute,
        holiday_country=row.holiday_country,
        holiday_subdivision=row.holiday_subdivision,
        closed_days=frozenset(date.fromisoformat(d) for d in row.closed_days.split(",") if d),
    )


# The rules' two reads as SQL text, typed by their tables' columns: every write that moves
# an SLA clock reads them, and SQLAlchemy compiled the Core statements anew in every
# command (≈ 1.5 ms of a reply's or a status change's start; the text ≈ 0.3).
_CALENDARS = text(f"SELECT {column_names(sla_calendar.c)} FROM sla_calendar").columns(
    *sla_calendar.c
)
_POLICIES = text(
    f"SELECT {column_names(sla_policy.c)}, organization.name AS organization FROM sla_policy"
    " LEFT OUTER JOIN organization ON organization.id = sla_policy.organization_id"
    " ORDER BY sla_policy.id"
).columns(*sla_policy.c, organization=Organization.name.type)


def load_calendars(reader: Reader) -> dict[str, sla.Calendar]:
    """The admins' business calendars by name (the built-in one is not among them)."""
    return {row.name: calendar_of(row) for row in connection_of(reader).execute(_CALENDARS)}


def load_rules(reader: Reader) -> tuple[list[sla.Policy], dict[str, sla.Calendar]]:
    """The admins' policies (without the built-in ones) and calendars by name."""
    conn = connection_of(reader)
    calendars = {row.id: calendar_of(row) for row in conn.execute(_CALENDARS)}
    policies = []
    for row in conn.execute(_POLICIES):
        policies.append(
            sla.Policy(
                row.name,
                sla.Targets(
                    row.first_response_minutes, row.next_response_minutes, row.resolution_minutes
                ),
                calendar=calendars[row.calendar_id].name if row.calendar_id else None,
                priority=row.priority,
                organization=row.organization,
                type=row.type,
                category=row.category,
                warn_percent=row.warn_percent,
            )
        )
    return policies, {c.name: c for c in calendars.values()}


def policy_view(p: sla.Policy) -> SlaPolicyView:
    return SlaPolicyView(
        p.name,
        p.describe(),
        p.built_in,
        priority=p.priority,
        organization=p.organization,
        type=p.type,
        category=p.category,
        calendar=p.calendar,
        first_response=sla.duration(p.targets.first_response),
        next_response=sla.duration(p.targets.next_response),
        resolution=sla.duration(p.targets.resolution),
        warn_percent=p.warn_percent,
    )


class SlaReads(DeskService):
    """The policies, calendars and tiers, as every agent may read them."""

    def sla_policies(self) -> list[SlaPolicyView]:
        """The admins' policies, then the built-in ones they fall back on."""
        with self._read_rows() as conn:
            policies, _calendars = load_rules(conn)
        return [policy_view(p) for p in (*policies, *sla.BUILT_IN_POLICIES)]

    def sla_calendars(self) -> list[SlaCalendarView]:
        """The built-in business calendar, then the admins'."""
        with self._read_rows() as conn:
            calendars = load_calendars(conn)
        return [
            calendar_view(sla.DEFAULT_CALENDAR, built_in=True),
            *(calendar_view(c) for c in calendars.values()),
        ]

    def sla_alerts_unaddressed(self) -> str | None:
        """``tiers.NOBODY_BY_MAIL`` while no active supervisor or admin has an email address:
        the SLA alerts and rating concerns of a ticket without a team (nobody holding it)
        then reach nobody by mail, only its history and the alert lines; None: they reach
        the desk's supervisors and admins (``tiers.alert_recipients``)."""
        from helpdesk_tui.desk import tiers

        with self._read_rows() as conn:
            return None if tiers.desk_alert_addresses(conn) else tiers.NOBODY_BY_MAIL

    def sla_tiers(self) -> list[SlaTierView]:
        """Every team by name, with the tier it works (``None``: not set)."""
        with self._read_rows() as conn:
            rows = conn.execute(
                select(Team.name, TeamTier.tier)
                .select_from(team.outerjoin(team_tier, Team.id == TeamTier.team_id))
                .order_by(Team.name)
            ).all()
        return [SlaTierView(str(name), None if t is None else int(t)) for name, t in rows]
