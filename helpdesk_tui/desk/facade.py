"""`Desk`: the one door through which screens, widgets, the app and the CLI reach the desk.

Callers never see storage: every method owns its transaction and returns value objects.
Each area's operations live in their own module as a :class:`DeskService` subclass and are
joined here; a new area adds one base class below.
"""

from __future__ import annotations

from helpdesk_tui.desk.routing_service import RoutingService


class Desk(RoutingService):
    """One agent's (or the system's) session of work on the desk."""
