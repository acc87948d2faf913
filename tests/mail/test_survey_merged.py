"""A rating that answers the survey of a ticket since merged into another: the rating is
the customer's answer to a survey the desk sent, not a new question. In process, on SQLite
and PostgreSQL (the poller's path without the IMAP round trip; the survey round trip
through real servers is ``test_survey_roundtrip``)."""

from __future__ import annotations

from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.mail.ingest import IngestConfig, ingest
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.mail_models import Outcome
from helpdesk_tui.storage.models import Status

from .mailbuild import config_for, email, mail_settings, outbox, tickets


def test_a_rating_to_the_survey_of_a_merged_ticket_is_a_rating_on_the_one_that_remains(
    db: Database, admin: Actor
) -> None:
    """ann's first ticket was resolved and surveyed, then merged into her second, which was
    resolved too. Her "5" to the first survey went in as a follow-up of the second: no
    rating in the reports, and the resolved ticket opened again. Now it is that ticket's
    rating, and the ticket stays resolved."""
    config: IngestConfig = config_for(mail_settings())
    with db.write() as session:
        first = ingest(session, email(subject="VPN broken"), config).ticket_number
    with db.write() as session:
        second = ingest(session, email(subject="VPN again"), config).ticket_number
    assert first is not None and second is not None
    desk = Desk(db, admin)
    desk.ticket_set_status(first, Status.RESOLVED)
    [survey] = outbox(db, "survey")
    desk.ticket_merge(first, second)
    desk.ticket_set_status(second, Status.RESOLVED)

    answer = email(subject=f"Re: {survey.subject} [#{first}]", body="5 - fixed for good\n")
    with db.write() as session:
        result = ingest(session, answer, config)

    assert (result.outcome, result.ticket_number) == (Outcome.FOLLOW_UP, second)
    rating = desk.satisfaction_of(second)
    assert rating is not None and (rating.score, rating.comment) == (5, "fixed for good")
    assert {t.number: t.status for t in tickets(db)} == {
        first: Status.CLOSED,
        second: Status.RESOLVED,
    }


def test_a_token_for_an_unrelated_ticket_still_rates_nothing(db: Database, admin: Actor) -> None:
    """A survey token of another ticket (not merged into this one) in a reply to this one
    is no rating: a plain follow-up, as before."""
    config = config_for(mail_settings())
    with db.write() as session:
        first = ingest(session, email(subject="VPN broken"), config).ticket_number
    with db.write() as session:
        second = ingest(session, email(subject="Printer"), config).ticket_number
    assert first is not None and second is not None
    desk = Desk(db, admin)
    desk.ticket_set_status(first, Status.RESOLVED)
    [survey] = outbox(db, "survey")
    desk.ticket_set_status(second, Status.RESOLVED)
    answer = email(subject=f"Re: {survey.subject} [#{second}]", body="5\n")
    with db.write() as session:
        assert ingest(session, answer, config).ticket_number == second
    assert desk.satisfaction_of(second) is None
    assert desk.satisfaction_of(first) is None
    assert {t.number: t.status for t in tickets(db)}[second] == Status.OPEN
