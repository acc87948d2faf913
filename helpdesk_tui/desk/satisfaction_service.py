"""`SatisfactionService`: customer-satisfaction ratings on the desk facade."""

from __future__ import annotations

from helpdesk_tui.desk import history
from helpdesk_tui.desk.satisfaction import Rating, record_rating, ticket_rating
from helpdesk_tui.desk.service import DeskService
from helpdesk_tui.desk.tickets import load_ticket
from helpdesk_tui.storage.models import Channel


class SatisfactionService(DeskService):
    """Ratings: recorded from a survey answer (intake) or by an agent (a phone call)."""

    def satisfaction_rate(
        self,
        number: int,
        score: int,
        *,
        comment: str | None = None,
        expected_version: int | None = None,
    ) -> Rating:
        """Record a rating the customer gave an agent (by phone); the status stays."""
        with self._write() as session:
            ticket = load_ticket(session, number, for_update=True)
            history.check_version(session, ticket, expected_version)
            record_rating(session, self.actor, ticket, score, comment, channel=Channel.PHONE)
            session.flush()
            rating = ticket_rating(session, ticket)
        assert rating is not None
        return rating

    def satisfaction_of(self, number: int) -> Rating | None:
        """The ticket's latest rating, if it has one."""
        with self._read() as session:
            return ticket_rating(session, load_ticket(session, number))
