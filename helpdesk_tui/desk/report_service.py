"""`ReportService`: the reports area of the desk facade.

A report reads ``report_ticket`` / ``report_reply`` (one row of figures per ticket, one per
agent reply) with a handful of GROUP BY queries — or, without filters, their rollups
(:mod:`report_rollups`) — then :func:`reports.build_result` makes the figures. Those tables
are a cache of the event history, caught up from a watermark (the last event id read):
every ticket number with a newer event is replayed by :func:`report_figures.ticket_figures`,
whichever writer recorded the event (an agent, intake's batch writer, the demo loader), and
a deleted ticket's row goes. Catching up costs what changed since the last catch-up, not the
size of the desk; the demo loader and the mail service's SLA worker catch up after they
write (:meth:`ReportService.report_catch_up`), so a report seldom finds much to do. The
replay itself is :mod:`report_catchup`'s, on Core tables.

The demo loader writes its finished tickets' rows itself, in the transaction that adds
them, computed by the same rule (:meth:`Rules.figures`, :func:`counted_reply`,
``report_rollups.ticket_keys``) from the stories it has in memory; it hands the catch-up a
:class:`Written` per batch, and the catch-up skips those tickets until they change again.
"""

from __future__ import annotations

from sqlmodel import Session

from helpdesk_tui.desk.report_catchup import lock_state, set_watermark
from helpdesk_tui.desk.report_reads import ReportReads
from helpdesk_tui.desk.report_reads import Rules as Rules
from helpdesk_tui.desk.report_reads import Written as Written
from helpdesk_tui.desk.report_reads import pending as pending
from helpdesk_tui.desk.satisfaction_service import SatisfactionService


def replay_everything(session: Session) -> None:
    """Have the next catch-up replay every ticket: the SLA policies or calendars changed,
    and with them due times met and business minutes, which no event records."""
    conn = session.connection()
    lock_state(conn)
    set_watermark(conn, 0)


class ReportService(ReportReads, SatisfactionService):
    """Reports: every figure a support lead runs the team on (read: ``ReportReads``), and
    the ratings they count."""
