"""Tables behind the reports (migration ``0012``).

``report_ticket`` holds one row of figures per ticket number, derived from that ticket's
events by :mod:`helpdesk_tui.desk.reports`; ``report_reply`` one row per agent reply. Both
are a cache of the event history, caught up from ``report_state``'s watermark (the last
event id read), so a report over a million tickets aggregates small integers instead of
replaying ten million events. The surveys' tables, made by the same migration, are in
``survey_models``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, Integer, String, text
from sqlmodel import Field

from helpdesk_tui.storage.table import Table
from helpdesk_tui.storage.types import UTCDateTime


def _ts() -> Column[datetime]:
    return Column(UTCDateTime(), nullable=True)


QUANTILE_INDEXES: dict[str, tuple[str, ...]] = {
    "resolution_q": ("resolved_day", "resolution_mins", "agent_id"),
    "response_q": ("response_day", "response_mins", "responder_id"),
    "resolution_bq": ("resolved_day", "resolution_bmins"),
    "response_bq": ("response_day", "response_bmins"),
}
"""Migration 0025: the minutes inside one duration bucket, read day by day (a seek per day
of the report). Day first, so a new ticket's key lands beside the other recent days' at the
index's end, not at a random place among a million tickets' minutes. The agent is in the
first two: everyone's and the agents' minutes in one bucket are read together, and a
month's histogram per agent from the index alone."""


class ReportTicket(Table, table=True):
    """One ticket's figures; days are whole days since 1970-01-01 (UTC), durations minutes."""

    __tablename__ = "report_ticket"
    __table_args__ = (
        Index("ix_report_ticket_created", "created_day", "channel", "category", "type"),
        Index(
            "ix_report_ticket_resolved",
            "resolved_day",
            "agent_id",
            "resolution_mins",
            "reopens",
            "resolution_met",
        ),
        Index(
            "ix_report_ticket_response",
            "response_day",
            "responder_id",
            "response_mins",
            "response_met",
        ),
        Index("ix_report_ticket_rated", "rated_day", "agent_id", "rating"),
        # Migration 0028: the backlog's open tickets only (a closed ticket costs no key);
        # the backlog's read says "open = 1" as a literal, as SQLite's planner needs, and
        # "open" is in the key for SQLite to read the index alone (it has 1 throughout).
        Index(
            "ix_report_ticket_backlog",
            "status",
            "priority",
            "sla_due_at",
            "open",
            sqlite_where=text("open = 1"),
            postgresql_where=text("open = 1"),
        ),
        # Migration 0025 (0015 had them minutes first): a quantile read from the rollups'
        # buckets is made exact by counting the minutes inside one bucket.
        *(
            Index(f"ix_report_ticket_{name}", *columns)
            for name, columns in QUANTILE_INDEXES.items()
        ),
    )

    number: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    ticket_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    created_day: int = Field(sa_column=Column(Integer, nullable=False))
    team_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    agent_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    """Who handled it: the assignee when it was resolved, else the assignee now."""
    channel: str = Field(sa_column=Column(String(10), nullable=False))
    category: str | None = Field(default=None, sa_column=Column(String(100), nullable=True))
    type: str = Field(sa_column=Column(String(20), nullable=False))
    priority: str = Field(sa_column=Column(String(10), nullable=False))
    status: str = Field(sa_column=Column(String(20), nullable=False))
    open: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    """1 while the ticket is in the backlog (not resolved, closed or merged)."""
    merged: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    response_day: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    response_mins: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    responder_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    response_met: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    """1 met, 0 missed, NULL when no response due time was set."""
    resolved_day: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    resolution_mins: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    resolution_met: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    reopens: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    rating: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    rated_day: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    response_bmins: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    """First response in business minutes of the ticket's SLA calendar (migration 0015)."""
    resolution_bmins: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    sla_due_at: datetime | None = Field(default=None, sa_column=_ts())


class ReportReply(Table, table=True):
    """One agent reply (for the per-agent reply counts), keyed to its ticket number."""

    __tablename__ = "report_reply"
    __table_args__ = (Index("ix_report_reply_day", "day", "agent_id", "number"),)

    event_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    number: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    agent_id: int = Field(sa_column=Column(Integer, nullable=False))
    day: int = Field(sa_column=Column(Integer, nullable=False))


class ReportState(Table, table=True):
    """Named integers: ``events_read`` is the last event id the report tables include."""

    __tablename__ = "report_state"

    name: str = Field(sa_column=Column(String(50), primary_key=True))
    value: int = Field(sa_column=Column(BigInteger, nullable=False))


class ReportRollup(Table, table=True):
    """Counts of ``report_ticket`` / ``report_reply`` rows (migration ``0015``), kept by the
    one writer of those tables as "minus a ticket's old row, plus its new row".

    ``measure`` says what a row counts and what ``period`` is: a day (days since 1970-01-01)
    for the counts, a month (``year * 12 + month - 1``) for the duration histograms, whose
    ``value`` is a bucket of :mod:`helpdesk_tui.desk.reports`. ``agent`` is 0 for none; ``a``,
    ``b``, ``c`` are category, channel and type where the measure has them, else ``''``.
    """

    __tablename__ = "report_rollup"
    __table_args__ = {"sqlite_with_rowid": False}  # (on SQLite the key is the row)

    measure: str = Field(sa_column=Column(String(20), primary_key=True))
    period: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    agent: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    a: str = Field(sa_column=Column(String(100), primary_key=True))
    b: str = Field(sa_column=Column(String(20), primary_key=True))
    c: str = Field(sa_column=Column(String(20), primary_key=True))
    value: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    n: int = Field(sa_column=Column(BigInteger, nullable=False))
