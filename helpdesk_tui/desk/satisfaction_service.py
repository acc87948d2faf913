"""`SatisfactionService`: customer-satisfaction ratings on the desk facade."""

from __future__ import annotations

from sqlalchemy import select

from helpdesk_tui.desk import history
from helpdesk_tui.desk.contacts import find_or_create_contact
from helpdesk_tui.desk.queue_values import QueueQuery, TicketFilter
from helpdesk_tui.desk.satisfaction import (
    FOLLOW_UP_TAG,
    Rating,
    follow_up_done,
    forget_opt_out_hash,
    record_rating,
    set_opt_out,
    set_surveys_enabled,
    ticket_rating,
)
from helpdesk_tui.desk.survey_reads import SurveyReads
from helpdesk_tui.desk.tickets import load_ticket
from helpdesk_tui.desk.values import parse_address
from helpdesk_tui.storage.core_tables import Tag, TicketTag, tag, ticket, ticket_tag
from helpdesk_tui.storage.models import Channel, Role

FOLLOW_UPS_COUNTED = 1000
"""The most follow-ups counted: past it a desk of a million tickets says "1,000 or more"
(the count walks the tag's index entries, so it stays bounded)."""


def followed_up_said(number: int, done: bool) -> str:
    """What every front door says of :meth:`SatisfactionService.satisfaction_followed_up`."""
    said = "followed up: its follow-up tag is off" if done else "was followed up already"
    return f"#{number} {said}"


class SatisfactionService(SurveyReads):
    """Ratings: recorded from a survey answer (intake) or by an agent (a phone call); whether
    surveys are sent (read: ``SurveyReads``)."""

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
            record_rating(
                session,
                self.actor,
                ticket,
                score,
                comment,
                channel=Channel.PHONE,
                now=self.clock(),
            )
            session.flush()
            rating = ticket_rating(session, ticket)
        assert rating is not None
        return rating

    def satisfaction_surveys(self, enabled: bool | None = None) -> bool:
        """Whether this desk sends surveys; ``enabled`` switches them (admins only)."""
        if enabled is None:
            return self.satisfaction_surveys_on()
        self.actor.require(Role.ADMIN, "switch satisfaction surveys")
        from helpdesk_tui.desk.settings import record_setting_change
        from helpdesk_tui.desk.survey_reads import surveys_enabled

        with self._write() as session:
            before = surveys_enabled(session)
            set_surveys_enabled(session, enabled)
            record_setting_change(
                session,
                self.actor,
                self.clock(),
                "surveys",
                "on" if before else "off",
                "on" if enabled else "off",
            )
        return enabled

    def satisfaction_opt_out(self, address: str, opted_out: bool = True) -> None:
        """Never (or again) send surveys to the requester at ``address``."""
        with self._write() as session:
            address = parse_address(address)
            contact = find_or_create_contact(session, address)
            session.flush()
            assert contact.id is not None
            set_opt_out(session, contact.id, opted_out)
            if not opted_out:  # (also the opt-out a forgotten contact left as a hash)
                forget_opt_out_hash(session, address)

    def satisfaction_follow_ups(self, limit: int = FOLLOW_UPS_COUNTED) -> int:
        """How many tickets :meth:`satisfaction_follow_up_numbers` finds."""
        return len(self.satisfaction_follow_up_numbers(limit))

    def satisfaction_follow_up_numbers(self, limit: int = FOLLOW_UPS_COUNTED) -> frozenset[int]:
        """The tickets that still carry the ``follow-up`` tag a rating that needs an agent's
        follow-up put on them (taken off once followed up), by number: this agent's own, or
        for supervisors and admins the desk's, up to ``limit``. One walk of ticket_tag's
        index by tag (and assignee) that stops at ``limit``, whatever the desk's size, and
        each one's number by its primary key (an agent's terminal keeps those it was told
        of: ``notices``)."""
        tagged = (
            select(ticket.c.number)
            .select_from(
                ticket_tag.join(tag, Tag.id == TicketTag.tag_id).join(
                    ticket, ticket.c.id == TicketTag.ticket_id
                )
            )
            .where(Tag.name == FOLLOW_UP_TAG)
        )
        if not self.actor.can(Role.SUPERVISOR):
            tagged = tagged.where(TicketTag.assignee_id == self.actor.agent_id)
        with self._read_rows() as conn:
            return frozenset(int(n) for n in conn.execute(tagged.limit(limit)).scalars())

    def satisfaction_follow_up_query(self) -> QueueQuery:
        """The list of the tickets :meth:`satisfaction_follow_ups` counts: tagged
        ``follow-up``, any status, latest change first; this agent's own unless a supervisor
        or an admin asks."""
        mine = None if self.actor.can(Role.SUPERVISOR) else self.actor.name
        return QueueQuery(TicketFilter(tag=FOLLOW_UP_TAG, assignee=mine))

    def satisfaction_followed_up(self, number: int, *, expected_version: int | None = None) -> bool:
        """Mark the rating on ticket ``number`` followed up (:func:`follow_up_done`: its
        ``follow-up`` tag comes off); False when it had none (followed up already)."""
        with self._write_rows() as session:
            return follow_up_done(session, self.actor, number, expected_version)

    def satisfaction_of(self, number: int) -> Rating | None:
        """The ticket's latest rating, if it has one."""
        with self._read() as session:
            return ticket_rating(session, load_ticket(session, number))
