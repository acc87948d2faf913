"""A customer's data on the `Desk`: who they are (any agent), everything the desk holds on
them and forgetting them (admins): ``helpdesk contact``. The rules are ``desk/privacy``'s."""

from __future__ import annotations

from typing import Any

from helpdesk_tui.desk.privacy import (
    ContactCard,
    ForgetPlan,
    ForgetResult,
    ForgottenEntry,
    contact_card,
    contact_export,
    forget_contact,
    forget_plan,
    forgotten,
)
from helpdesk_tui.desk.read_stop import ReadStop, ReadStopped
from helpdesk_tui.desk.service import DeskService

__all__ = [
    "ContactCard",
    "ContactService",
    "ForgetPlan",
    "ForgetResult",
    "ForgottenEntry",
    "ReadStop",
    "ReadStopped",
]


class ContactService(DeskService):
    def contact_show(
        self, address: str, *, copies: bool = False, stop: ReadStop | None = None
    ) -> ContactCard:
        """Who the customer at ``address`` is, their tickets and what else the desk keeps
        about them: opt-out, bounce, acknowledgements, held mail — by keys, at once. With
        ``copies``, the other tickets that name them too: a read of the whole desk, which
        ``stop`` ends from another thread (:class:`ReadStopped`)."""
        with self._read() as session:
            if stop is None:
                return contact_card(session, address, copies=copies)
            with stop.watching(session):
                return contact_card(session, address, copies=copies)

    def contact_export(self, address: str) -> dict[str, Any]:
        """Everything the desk holds on ``address``, as one JSON-ready value (admins)."""
        with self._read() as session:
            return contact_export(session, self.actor, address)

    def contact_forget_plan(self, address: str) -> ForgetPlan:
        """What forgetting ``address`` would delete and scrub (admins), to ask first."""
        with self._read() as session:
            return forget_plan(session, self.actor, address)

    def contact_forget(
        self, address: str, plan: ForgetPlan | None = None, *, stop: ReadStop | None = None
    ) -> ForgetResult:
        """Forget the customer at ``address`` (admins), in one transaction; with the
        ``plan`` the admin was asked about, on what it read unless the desk changed since
        (then read again: what came meanwhile goes too). ``stop`` ends it from another
        thread, at any point (:class:`ReadStopped`): nothing of it stays."""
        with self._write() as session:
            if stop is None:
                return forget_contact(session, self.actor, address, self.clock(), plan)
            with stop.watching(session):
                return forget_contact(session, self.actor, address, self.clock(), plan)

    def contacts_forgotten(self) -> list[ForgottenEntry]:
        """Every forget in the desk's history, newest first (admins)."""
        with self._read() as session:
            return forgotten(session, self.actor)
