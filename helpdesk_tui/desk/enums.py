"""The desk's fixed words, for callers that may not import storage (screens, widgets, CLI).

One place to import them from: the values themselves are the storage enums, so a word
written here is the word stored.
"""

from __future__ import annotations

from helpdesk_tui.storage.models import Priority, Role, Status, TicketType

__all__ = ["Priority", "Role", "Status", "TicketType"]
