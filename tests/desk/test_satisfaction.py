"""Ratings and surveys: reading an answer, the signed token, once per ticket, the switches."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import select

from helpdesk_tui.desk import fields
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.errors import InvalidValue, PermissionDenied
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.outbox import mail_subject
from helpdesk_tui.desk.queue import first_page
from helpdesk_tui.desk.satisfaction import (
    SURVEY_KIND,
    Answer,
    follow_up_reason,
    read_answer,
    survey_answer,
    survey_token,
    token_number,
)
from helpdesk_tui.desk.ticket_reads import ticket_tags
from helpdesk_tui.desk.tickets import create_ticket
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import Event, Outbox, Status, Ticket
from tests.desk.conftest import on_sqlite_only


@pytest.mark.parametrize(
    ("body", "answer"),
    [
        ("4 — quick and kind", Answer(4, "quick and kind")),
        ("5", Answer(5, None)),
        ("  3/5, slow but fine\n> How did we do?", Answer(3, "slow but fine")),
        (
            "4\n\nQuick and kind,\nbut slow.\n\n> How did we do?",
            Answer(4, "Quick and kind, but slow."),
        ),
        ("Good, thanks!\nReally.", Answer(5, "thanks! Really.")),
        ("\n\nGood, thanks!", Answer(5, "thanks!")),
        ("sehr gut", None),  # the first word decides: "sehr" is no rating
        ("Gut!", Answer(5, None)),
        ("très bien", None),
        ("bien, merci", Answer(5, "merci")),
        ("Bueno", Answer(5, None)),
        ("goed", Answer(5, None)),
        ("ótimo atendimento", Answer(5, "atendimento")),
        ("Schlecht. Niemand hat geantwortet", Answer(1, "Niemand hat geantwortet")),
        ("mauvais", Answer(1, None)),
        ("slecht", Answer(1, None)),
        ("cattivo servizio", Answer(1, "servizio")),
        ("bad", Answer(1, None)),
        ("It broke again.", None),
        ("6 stars", None),
        ("4.5", None),
        ("2023 was better", None),
        ("> 5\n", None),
        ("Hi,\n\n5\n\nThanks", Answer(5, "Thanks")),  # a bare greeting first
        ("Hello team,\n4 - quick\nBob", Answer(4, "quick Bob")),
        ("Good morning!\n\nbad, nobody called", Answer(1, "nobody called")),
        ("Guten Tag Frau Meier,\n\nGut", Answer(5, None)),
        ("Buona sera,\ncattivo", Answer(1, None)),
        ("Hi,\n\nIt broke again.\n5 people are waiting", None),  # no rating: a follow-up
        ("Hi,\nHello,\n5", None),  # one greeting line, not any number of them
        ("\u2b50\u2b50\u2b50\u2b50\u2b50", Answer(5, None)),  # stars, as phones write them
        ("\u2605\u2605\u2605 ok I guess", Answer(3, "ok I guess")),
        ("\u2b50\ufe0f\u2b50\ufe0f\u2b50\ufe0f\u2b50\ufe0f - great", Answer(4, "great")),
        ("\u2605\u2605\u2605\u2605\u2605\u2605", None),  # six: no rating
        ("\u2605 It broke again.", Answer(1, "It broke again.")),
        # a rating in the first line's words, with its scale or given: the line is the comment
        ("Thanks! 5 stars\n", Answer(5, "Thanks! 5 stars")),
        ("5 stars", Answer(5, None)),
        ("5/5 would recommend", Answer(5, "would recommend")),
        ("I'd give it a 4", Answer(4, "I'd give it a 4")),
        ("Great service, 4 out of 5", Answer(4, "Great service, 4 out of 5")),  # not "great"
        ("Slow. Two stars\nNobody called back", Answer(2, "Slow. Two stars Nobody called back")),
        ("Thanks, a 5-star service", Answer(5, "Thanks, a 5-star service")),
        # ...and a number in a sentence stays a follow-up
        ("I have 5 printers down", None),
        ("Still broken: 3 of 5 printers, out of 5 toners 2 are empty", None),
        ("Thanks, but 4.5/5 of the disk is full", None),
        ("It broke again, 16 stars on the error page", None),
        ("Can you give it a 4 hour window?", None),
        ("Thanks\nI have 5 stars on my badge", None),  # the first line only
    ],
)
def test_reading_an_answer(body: str, answer: Answer | None) -> None:
    assert read_answer(body) == answer


@pytest.mark.parametrize(
    ("body", "answer"),
    [
        ("5/5", Answer(5, None)),
        ("4 out of 5", Answer(4, None)),
        ("4 out of 5, thanks", Answer(4, "thanks")),
        ("5 stars", Answer(5, None)),
        ("3 stars - slow but polite", Answer(3, "slow but polite")),
        ("\u2b50\u2b50\u2b50\u2b50", Answer(4, None)),
        ("5 - great", Answer(5, "great")),
        ("5: great", Answer(5, "great")),
        ("5. Quick and kind.", Answer(5, "Quick and kind.")),
        ("2, nobody called back", Answer(2, "nobody called back")),
        ("Rating: 4", Answer(4, None)),
        ("rating 4 - ok", Answer(4, "ok")),
        ("Score: 5/5", Answer(5, None)),
        ("5!", Answer(5, None)),
        ("5!!!", Answer(5, None)),
        ("5 \U0001f44d", Answer(5, "\U0001f44d")),
        ("5 thanks", Answer(5, "thanks")),
        ("5 thank you!", Answer(5, "thank you!")),
        ("5 Thanks for the quick fix", Answer(5, "Thanks for the quick fix")),
        ("5 great", Answer(5, "great")),
        ("5 great job", Answer(5, "great job")),
        ("1 very bad service", Answer(1, "very bad service")),
        ("5, danke", Answer(5, "danke")),
        ("5 danke!", Answer(5, "danke!")),
        ("5 merci", Answer(5, "merci")),
        ("5 Sterne", Answer(5, None)),
        ("4 von 5", Answer(4, None)),
        ("Bewertung: 4", Answer(4, None)),
        ("5 étoiles", Answer(5, None)),
        ("Note : 5", Answer(5, None)),
        ("4 sur 5, merci", Answer(4, "merci")),
        ("5 estrellas", Answer(5, None)),
        ("5 stelle, grazie", Answer(5, "grazie")),
        ("5 sterren", Answer(5, None)),
        ("Danke, 5 Sterne", Answer(5, "Danke, 5 Sterne")),
        ("Hi,\n\n5\n\nThe printer works again.", Answer(5, "The printer works again.")),
        ("Good, thanks", Answer(5, "thanks")),
        ("Great job!", Answer(5, "job!")),
        ("Bad service, nobody called", Answer(1, "service, nobody called")),
    ],
)
def test_a_rating_alone_or_with_its_scale_is_a_rating(body: str, answer: Answer) -> None:
    """Survey answers as customers write them: a number alone, with its scale, a label, a
    separator and a comment, thanks or praise; stars; in English and its neighbours."""
    assert read_answer(body) == answer


@pytest.mark.parametrize(
    ("body", "answer"),
    [
        ("5 :)", Answer(5, None)),
        ("5 :-)", Answer(5, None)),
        ("4 ;)", Answer(4, None)),
        ("5 :D", Answer(5, None)),
        ("5 xD", Answer(5, None)),
        ("5 <3", Answer(5, None)),
        ("5 ^^", Answer(5, None)),
        ("5 :) :)", Answer(5, None)),
        ("5 :)\n\n:)", Answer(5, None)),
        ("Good :)", Answer(5, None)),
        ("\u2b50\u2b50\u2b50\u2b50\u2b50 :)", Answer(5, None)),
        ("5 - :) quick and kind", Answer(5, "quick and kind")),
        ("4 :( slow", Answer(4, "slow")),
        ("5 :Perfect", Answer(5, "Perfect")),
        ("5 (fast)", Answer(5, "(fast)")),
        ("5 - great :)", Answer(5, "great :)")),
    ],
)
def test_a_smiley_or_punctuation_after_the_rating_is_no_comment(body: str, answer: Answer) -> None:
    """ "5 :)" stored ")" as the customer's comment: a typed smiley (or punctuation) after
    the rating says nothing more; one inside a comment stays, and an emoji is a comment."""
    assert read_answer(body) == answer


@pytest.mark.parametrize(
    "body",
    [
        "5 printers down since Monday",
        "5 printers down since Monday\n\nThe whole second floor cannot print.",
        "3 users cannot log in since the update",
        "2 more questions about the invoice",
        "1 thing still does not work: the VPN",
        "4 out of 5 printers are down again",
        "4 von 5 Druckern drucken nicht",
        "5 Drucker sind seit Montag kaputt",
        "5 imprimantes en panne depuis lundi",
        "5 bad sectors on the disk now",
        "5th floor printer is broken again",
        "5% of our users cannot log in",
        "5:30 this morning the server went down",
        "5-10 users cannot print",
        "5 - 10 users cannot print",
        "4.5 GB of mail are missing",
        "3/10 laptops still have no VPN",
        "Rating: 4 printers still down",
        "Hi,\n\n5 printers down since Monday",
        "Good morning, the printer is down again",
        "Bad news: the VPN is down again",
        "Good morning,\n2 laptops won't boot",
        "Great news: it broke again",
    ],
)
def test_a_number_that_starts_a_sentence_is_no_rating(body: str) -> None:
    """ "5 printers down since Monday" in reply to a survey was a 5-star rating, and the
    customer's problem never reached an agent: no rating here makes it a follow-up."""
    assert read_answer(body) is None


def _ticket(db: Database, admin: Actor, email: str = "ann@example.com") -> int:
    with db.write() as session:
        return create_ticket(
            session, admin, subject="VPN", body="broken", requester_email=email
        ).number


def _surveys(db: Database) -> list[Outbox]:
    with db.read() as session:
        return list(session.exec(select(Outbox).where(Outbox.kind == SURVEY_KIND)))


def test_a_token_rates_only_its_own_ticket(db: Database, admin: Actor) -> None:
    one, two = _ticket(db, admin), _ticket(db, admin)
    with db.write() as session:
        token = survey_token(session, one)
        assert token_number(session, f"Re: How did we do? (survey {token}) [#{one}]") == one
        forged = f"survey {two}-{token.split('-')[1]}"
        assert token_number(session, forged) is None
        assert survey_answer(session, f"(survey {token})", "5", two) is None
        assert survey_answer(session, f"(survey {token})", "5", one) == Answer(5, None)
        assert survey_token(session, one) == token  # one key per desk, kept


@on_sqlite_only("tests/desk/test_satisfaction.py::test_a_token_rates_only_its_own_ticket")
def test_the_survey_greets_its_customer_and_names_their_request(db: Database, admin: Actor) -> None:
    """It had no greeting and its subject named only the code ("How did we do? (survey
    1-…)"): it greets as the acknowledgement does ("Last, First" first name first) and its
    subject names the request; the code stays in it, and an answer to it is read."""
    with db.write() as session:
        number = create_ticket(
            session,
            admin,
            subject="Re: VPN keeps disconnecting [#77]",
            body="broken",
            requester_email="jiri@example.com",
            requester_name="Dvořák, Jiří",
        ).number
    with db.write() as session:
        fields.set_status(session, admin, number, "resolved")
    [survey] = _surveys(db)
    assert survey.body.startswith("Hello Jiří Dvořák,\n\nYour request #")
    with db.write() as session:
        token = survey_token(session, number)
        subject = mail_subject(survey, number)
        asked = "How did we do with: VPN keeps disconnecting"
        assert subject == f"{asked} (survey {token}) [#{number}]"
        assert survey_answer(session, f"Re: {subject}", "4", number) == Answer(4, None)


def test_one_survey_per_ticket_and_the_switches(db: Database, admin: Actor) -> None:
    desk = Desk(db, admin)
    first, quiet, opted = (_ticket(db, admin, f"{n}@example.com") for n in ("a", "b", "c"))
    assert desk.satisfaction_opt_out_count() == 0
    desk.satisfaction_opt_out("c@example.com")
    desk.satisfaction_opt_out("c@example.com")  # (once is once)
    desk.satisfaction_opt_out("d@example.com")
    desk.satisfaction_opt_out("d@example.com", False)
    assert desk.satisfaction_opt_out_count() == 1
    for _ in range(2):
        for number in (first, opted):
            with db.write() as session:
                fields.set_status(session, admin, number, "resolved")
            with db.write() as session:
                fields.set_status(session, admin, number, "open")
    [survey] = _surveys(db)
    assert survey.to_addresses == "a@example.com" and "survey" in survey.subject
    desk.satisfaction_surveys(False)
    with db.write() as session:
        fields.set_status(session, admin, quiet, "resolved")
    assert len(_surveys(db)) == 1
    assert desk.satisfaction_surveys() is False


@on_sqlite_only("tests/desk/test_satisfaction.py::test_one_survey_per_ticket_and_the_switches")
def test_the_survey_names_the_request_by_its_subject(db: Database, admin: Actor) -> None:
    """Found on a walk: the survey said only "Your request #1 has been resolved", and a
    customer knows her request as "VPN bricht ständig ab", not as #1."""
    with db.write() as session:
        number = create_ticket(
            session, admin, subject="VPN bricht ständig ab", body="…", requester_email="z@ex.com"
        ).number
    with db.write() as session:
        fields.set_status(session, admin, number, "resolved")
    [survey] = _surveys(db)
    assert f'Your request #{number}, "VPN bricht ständig ab", has been resolved.' in survey.body


def test_a_phone_rating_keeps_the_status(db: Database, admin: Actor, agent_bob: Actor) -> None:
    number = _ticket(db, admin)
    with db.write() as session:
        fields.set_status(session, admin, number, "resolved")
    rating = Desk(db, agent_bob).satisfaction_rate(number, 2, comment="  too   slow ")
    assert (rating.score, rating.by, rating.comment) == (2, "bob", "too slow")
    with db.read() as session:
        ticket = session.exec(select(Ticket).where(Ticket.number == number)).one()
        assert ticket.status == Status.RESOLVED
    with pytest.raises(InvalidValue):
        Desk(db, agent_bob).satisfaction_rate(number, 0)
    with pytest.raises(PermissionDenied):
        Desk(db, agent_bob).satisfaction_surveys(False)


@pytest.mark.parametrize(
    "score, comment",
    [
        (4, "but the VPN is still down"),
        (2, "printers still down"),
        (1, None),
        (5, "nice people but it doesn't work"),
        (4, "printer broke again this morning"),
        (3, "Outlook still crashes"),
        (4, "the problem is back"),
        (4, "funktioniert immer noch nicht"),
        (4, "still waiting for the new laptop though"),
        # found since: more of the ways customers say it, in their languages
        (4, "VPN stopped working again"),
        (4, "still having issues with Outlook"),
        (3, "same problem as before"),
        (4, "It did not work out, the VPN drops"),
        (4, "could not log in again today"),
        (4, "didn't work before and still doesn't"),
        (4, "funktioniert nicht mehr"),
        (4, "geht leider nicht"),
        (4, "schon wieder kaputt"),
        (4, "ça ne marche plus"),
        (4, "marche toujours pas"),
        (4, "sigue fallando"),
        (4, "el correo sigue caído"),
        (4, "ainda não está funcionando"),
        (4, "continua sem funcionar"),
        (4, "ancora rotto"),
        (4, "doet het nog steeds niet"),
        (4, "nog steeds kapot"),
    ],
)
def test_a_low_rating_or_a_reported_problem_needs_follow_up(score: int, comment: str) -> None:
    reason = follow_up_reason(score, comment)
    assert reason is not None and reason.startswith(f"rated {score}/5")
    assert comment is None or comment in reason


@pytest.mark.parametrize(
    "score, comment",
    [
        (5, None),
        (3, None),
        (5, "great, thanks!"),
        (5, "it works again, thanks"),
        (4, "no problems since"),
        (5, "thank you, VPN is not down anymore"),
        (4, "Good, the printer is working now"),
        (5, "not a single issue since"),
        (4, "great, fixed in minutes"),
        (3, "took too long"),
        # words that look like a problem's and say none
        (5, "could not work out how to thank you"),
        (5, "I can't thank you enough"),
        (5, "can't complain"),
        (5, "still can't believe how fast that was"),
        (5, "couldn't have worked better"),
        (5, "could not have worked out better"),
        (5, "not only fixed it but explained it"),
        (4, "nothing is broken anymore"),
        (5, "you fixed the laptop I broke"),
        (5, "fixed my broken laptop in minutes"),
        (4, "could not log in before, now all good"),
        (5, "I couldn't print until you reset the queue, thanks"),
        (5, "no funcionaba antes, ahora sí, gracias"),
        (5, "non funzionava, ora va benissimo"),
        (5, "não funcionava, agora sim"),
        (5, "nichts mehr kaputt, danke"),
    ],
)
def test_praise_or_a_fair_mark_needs_no_follow_up(score: int, comment: str | None) -> None:
    assert follow_up_reason(score, comment) is None


def test_a_rating_that_reports_a_problem_reaches_the_assignee(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    """ "4 stars but the VPN is still down": recorded, the ticket stays resolved, and it is
    tagged follow-up with an event that bob's (the assignee's) alert line shows; praise
    leaves the ticket and the alert line as they were."""
    praised, troubled, low = _ticket(db, admin), _ticket(db, admin), _ticket(db, admin)
    with db.write() as session:
        for number in (praised, troubled, low):
            fields.assign(session, admin, number, agent="bob")
            fields.set_status(session, admin, number, "resolved")
    desk = Desk(db, agent_bob)
    desk.satisfaction_rate(praised, 5, comment="great, it works again, thanks")
    desk.satisfaction_rate(troubled, 4, comment="but the VPN is still down")
    Desk(db, admin).satisfaction_rate(low, 2, comment="slow")
    with db.read() as session:
        found = {
            t.number: (t.status, ticket_tags(session, t.id or 0))
            for t in session.exec(select(Ticket)).all()
        }
    assert found == {
        praised: (Status.RESOLVED, []),
        troubled: (Status.RESOLVED, ["follow-up"]),
        low: (Status.RESOLVED, ["follow-up"]),
    }
    shown = [(a.number, a.text, a.title) for a in desk.sla_alerts_since(0, limit=10)]
    assert shown == [
        (
            troubled,
            f"#{troubled}: rated 4/5, the comment reports a problem — follow up: "
            "but the VPN is still down",
            "Customer rating",
        ),
        (low, f"#{low}: rated 2/5, low rating — follow up: slow", "Customer rating"),
    ]


def test_ratings_waiting_for_a_follow_up_are_counted_once_in_one_index_walk(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    """What the queue tells at start: tickets a rating tagged follow-up that still carry the
    tag — bob's own for bob, the desk's for an admin, up to a limit (a desk of a million
    tickets counts no further); one taken off (followed up) is not counted. The palette's
    list of them holds the same tickets. On SQLite the count walks ticket_tag's index."""
    bobs, admins, done = _ticket(db, admin), _ticket(db, admin), _ticket(db, admin)
    with db.write() as session:
        for number in (bobs, done):
            fields.assign(session, admin, number, agent="bob")
        for number in (bobs, admins, done):
            fields.set_status(session, admin, number, "resolved")
    ada, bob = Desk(db, admin), Desk(db, agent_bob)
    assert ada.satisfaction_follow_ups() == 0
    for number in (bobs, admins, done):
        ada.satisfaction_rate(number, 1, comment="still broken")
    assert bob.satisfaction_followed_up(done) is True  # (the tag off: one event)
    assert bob.satisfaction_followed_up(done) is False  # (followed up already)
    with db.read() as session:
        removed = session.exec(
            select(Event.actor, Event.old_value).where(
                Event.ticket_number == done, Event.kind == "tag_removed"
            )
        ).all()
    assert [tuple(r) for r in removed] == [("bob", "follow-up")]
    assert bob.satisfaction_follow_ups() == 1
    assert ada.satisfaction_follow_ups() == 2
    assert ada.satisfaction_follow_ups(limit=1) == 1
    with db.read() as session:
        for desk, numbers in ((bob, [bobs]), (ada, [admins, bobs])):
            query = desk.satisfaction_follow_up_query()
            assert [row.number for row in first_page(session, query, 10).rows] == numbers
    if db.sqlite_path is None:
        return
    sent: list[tuple[str, Any]] = []

    def seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        bob.satisfaction_follow_ups()
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    [(sql, parameters)] = [(s, p) for s, p in sent if "ticket_tag" in s]
    with db.engine.connect() as conn:
        plan = " | ".join(
            str(row[-1]) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, parameters)
        )
    assert "SEARCH ticket_tag USING COVERING INDEX" in plan, plan
    assert "SCAN ticket_tag" not in plan and "TEMP B-TREE" not in plan, plan
