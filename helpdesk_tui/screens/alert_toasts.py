"""The queue's notifications of SLA alerts and ratings to follow up: one per alert, or one per
kind when several of a kind came at once.

Thirty tickets whose first response falls due at the same business-hours start breach in
one pass, and a demo or an import records dozens of low ratings at once: a toast each covered
the queue's right half at 80x24 and told only the newest few. Three or more of a kind are one
toast that counts them and names the newest tickets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from helpdesk_tui.desk.sla_service import SlaAlertView

READ_AT_MOST = 50
"""Alerts read at one look; when the look reads this many, more may have come ("50+")."""
GROUP_FROM = 3
"""Alerts of one kind in one look from which they are one toast."""
NUMBERS_NAMED = 4
"""Ticket numbers a grouped toast names; the rest are counted."""


@dataclass(frozen=True)
class AlertToast:
    """One notification: its title, its one line, and whether it is an error (a breach or a
    rating to follow up) or a warning."""

    title: str
    text: str
    breach: bool


def _grouped(kind: Sequence[SlaAlertView], *, maybe_more: bool) -> str:
    newest = [f"#{alert.number}" for alert in reversed(kind)]
    named = ", ".join(newest[:NUMBERS_NAMED])
    rest = len(newest) - NUMBERS_NAMED
    listed = f"{named} and {rest}{'+' if maybe_more else ''} more" if rest > 0 else named
    count = f"{len(kind)}{'+' if maybe_more else ''}"
    first = kind[0]
    if first.concern:
        return f"{count} ratings to follow up: {listed}"
    return f"{count} tickets {'breached' if first.breach else 'nearly due'}: {listed}"


def alert_toasts(alerts: Sequence[SlaAlertView]) -> list[AlertToast]:
    """``alerts`` (oldest first, as ``Desk.sla_alerts_since`` gives them) as notifications:
    a summary of breaches owed while alerts were not running stays one of its own; of the
    ticket alerts, each kind (breach, warning, rating) with ``GROUP_FROM`` or more in this look
    is one toast where it first came, naming the newest tickets."""
    maybe_more = len(alerts) >= READ_AT_MOST
    kinds: dict[str, list[SlaAlertView]] = {}
    for alert in alerts:
        if alert.number:
            kinds.setdefault(alert.title, []).append(alert)
    toasts: list[AlertToast] = []
    told: set[str] = set()
    for alert in alerts:
        kind = kinds.get(alert.title, []) if alert.number else []
        if len(kind) < GROUP_FROM:
            toasts.append(AlertToast(alert.title, alert.text, alert.breach))
        elif alert.title not in told:
            told.add(alert.title)
            toasts.append(
                AlertToast(alert.title, _grouped(kind, maybe_more=maybe_more), alert.breach)
            )
    return toasts
