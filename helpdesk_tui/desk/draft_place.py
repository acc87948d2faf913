"""Where an agent's drafts on a ticket are kept (``TicketsService.draft_place``).

A value of its own, with no data layer: closing asks first, naming the drafts that stay
behind (``helpdesk ticket status … closed``), and the question's read imported the whole
ticket view with SQLModel, pydantic and the ORM (≈ 0.5 s before the question) to get it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DraftPlace:
    """Where drafts on one ticket are kept: the desk's identity, the ticket's key (None:
    no such ticket)."""

    desk: str
    ticket: str | None
