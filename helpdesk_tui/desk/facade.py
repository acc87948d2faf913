"""`Desk`: the one door through which screens, widgets, the app and the CLI reach the desk.

Callers never see storage: every method owns its transaction and returns value objects.
Each area's operations live in their own module as a :class:`DeskService` subclass and are
joined here; a new area adds one base class below.
"""

from __future__ import annotations

from helpdesk_tui.desk.admin_service import AdminService
from helpdesk_tui.desk.canned_service import CannedService
from helpdesk_tui.desk.completion_service import CompletionService
from helpdesk_tui.desk.contact_service import ContactService
from helpdesk_tui.desk.kb_service import KbService
from helpdesk_tui.desk.mail_holding_service import MailHoldingService
from helpdesk_tui.desk.presence_service import PresenceService
from helpdesk_tui.desk.queue_watch import QueueWatchService
from helpdesk_tui.desk.report_service import ReportService
from helpdesk_tui.desk.routing_service import RoutingService
from helpdesk_tui.desk.sla_service import SlaService
from helpdesk_tui.desk.tickets_cli_service import TicketsCliService
from helpdesk_tui.desk.tickets_service import TicketsService


class Desk(
    TicketsService,
    TicketsCliService,
    PresenceService,
    AdminService,
    MailHoldingService,
    CannedService,
    ReportService,
    KbService,
    SlaService,
    RoutingService,
    CompletionService,
    QueueWatchService,
    ContactService,
):
    """One agent's (or the system's) session of work on the desk."""
