"""Routing rules: every condition and action, rule sets, bad rules, and mail intake routing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from helpdesk_tui.config import IntakeOptions
from helpdesk_tui.desk import assignment, outbox
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.agents import add_agent, ensure_team
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.inbound import ReportedRecipient
from helpdesk_tui.desk.queries import ticket_detail
from helpdesk_tui.desk.routing import Facts, RulesError, Trigger, evaluate, parse_rules
from helpdesk_tui.desk.routing_service import MessageFields
from helpdesk_tui.desk.sla import Calendar
from helpdesk_tui.desk.tags import ticket_tags
from helpdesk_tui.mail.ingest import IngestConfig, ingest
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import Contact, Event, Organization, Outbox, Ticket
from tests.desk.conftest import on_sqlite_only
from tests.mail.mailbuild import email, mail_settings

MONDAY_10_BERLIN = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # 10:00 in Berlin
SATURDAY = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
CHRISTMAS_10_BERLIN = datetime(2026, 12, 25, 9, 0, tzinfo=UTC)  # a Friday
BERLIN = Calendar("berlin", "Europe/Berlin", holiday_country="DE")
CALENDARS = {"berlin": BERLIN}
HOURS = 'calendar = "berlin"\n'


def _one_rule(condition: str, then: str = 'team = "Billing"', on: str = '["new"]') -> str:
    return f"""{HOURS}
[[set]]
name = "main"
[[set.rule]]
name = "the rule"
on = {on}
if = {{ {condition} }}
then = {{ {then} }}
"""


def _facts(**kw: object) -> Facts:
    values: dict[str, object] = {
        "trigger": Trigger.NEW,
        "at": MONDAY_10_BERLIN,
        "channel": "email",
        "sender": "ann@mail.acme.com",
        "organization": "acme",
        "subject": "Invoice 2026-117 is wrong",
        "body": "Please refund order #4411.",
        "type": "question",
        "category": "Billing",
        "priority": "high",
    }
    values.update(kw)
    return Facts(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("condition", "matching", "other"),
    [
        ('channel = "email"', {}, {"channel": "phone"}),
        ('channel = ["phone", "web"]', {"channel": "web"}, {"channel": "email"}),
        ('sender = "Ann@Mail.Acme.com"', {}, {"sender": "bob@mail.acme.com"}),
        ('sender_domain = "acme.com"', {}, {"sender": "ann@acme.com.evil.org"}),
        ('sender_domain = "mail.acme.com"', {}, {"sender": "ann@other.org"}),
        ('organization = "ACME"', {}, {"organization": None}),
        ('subject_contains = "INVOICE"', {}, {"subject": "Printer on fire"}),
        ('subject_contains = ["printer", "invoice"]', {}, {"subject": "VPN down"}),
        ('body_contains = "refund"', {}, {"body": "thanks"}),
        (r'subject_matches = "\\d{4}-\\d{3}"', {}, {"subject": "Invoice wrong"}),
        ('body_matches = "#[0-9]+"', {}, {"body": "order 4411"}),
        ('type = "question"', {}, {"type": "incident"}),
        ('type = "service request"', {"type": "service_request"}, {"type": "question"}),
        ('category = "billing"', {}, {"category": None}),
        ('priority = "high"', {}, {"priority": "low"}),
        ("business_hours = true", {}, {"at": SATURDAY}),
        ("business_hours = false", {"at": SATURDAY}, {"at": MONDAY_10_BERLIN}),
        ('tag = "vip"', {"tags": ("vip",)}, {"tags": ("other",)}),
    ],
)
def test_each_condition_matches_and_refuses(
    condition: str, matching: dict[str, object], other: dict[str, object]
) -> None:
    rules = parse_rules(_one_rule(condition))
    fired = evaluate(rules, _facts(**matching), CALENDARS).matches
    assert [m.name for m in fired] == ["the rule"]
    assert evaluate(rules, _facts(**{**matching, **other}), CALENDARS).matches == ()


def test_business_hours_follow_the_calendar_time_zone() -> None:
    rules = parse_rules(_one_rule("business_hours = true"))
    before_nine_berlin = datetime(2026, 12, 7, 7, 59, tzinfo=UTC)  # 08:59 in Berlin
    five_pm_berlin = datetime(2026, 12, 7, 16, 0, tzinfo=UTC)
    nine_berlin = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    assert not evaluate(rules, _facts(at=before_nine_berlin), CALENDARS).matches
    assert evaluate(rules, _facts(at=nine_berlin), CALENDARS).matches
    assert not evaluate(rules, _facts(at=five_pm_berlin), CALENDARS).matches


def test_a_public_holiday_of_the_calendar_is_not_business_hours() -> None:
    inside = parse_rules(_one_rule("business_hours = true"))
    outside = parse_rules(_one_rule("business_hours = false"))
    christmas = _facts(at=CHRISTMAS_10_BERLIN)
    assert not evaluate(inside, christmas, CALENDARS).matches
    assert evaluate(outside, christmas, CALENDARS).matches
    # The same Friday morning counts where the calendar knows no holidays.
    plain = {"berlin": Calendar("berlin", "Europe/Berlin")}
    assert evaluate(inside, christmas, plain).matches


def test_a_closed_day_and_a_named_calendar_per_condition() -> None:
    closed = Calendar("support", "Europe/Berlin", closed_days=frozenset({date(2026, 12, 7)}))
    rules = parse_rules(_one_rule('business_hours = "support"'))
    assert not evaluate(rules, _facts(), {**CALENDARS, "support": closed}).matches
    assert evaluate(
        rules, _facts(at=datetime(2026, 12, 8, 9, 0, tzinfo=UTC)), {"support": closed}
    ).matches


def test_without_a_calendar_business_hours_are_the_desk_default() -> None:
    rules = parse_rules(_one_rule("business_hours = true").replace(HOURS, ""))
    assert rules.calendar is None
    eight_utc = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # 09:00 Berlin, before 09:00 UTC
    assert not evaluate(rules, _facts(at=eight_utc)).matches
    assert evaluate(rules, _facts(at=MONDAY_10_BERLIN)).matches


def test_a_calendar_the_desk_does_not_have_is_one_line_naming_the_rule() -> None:
    rules = parse_rules(_one_rule('business_hours = "tokyo"'))
    with pytest.raises(RulesError) as caught:
        evaluate(rules, _facts(), CALENDARS)
    assert str(caught.value) == (
        "rules.toml: rule 'the rule': no business calendar 'tokyo' "
        "(see: helpdesk sla calendar list)"
    )


def test_a_rule_runs_on_new_tickets_unless_told_follow_ups_too() -> None:
    new_only = parse_rules(_one_rule('channel = "email"'))
    both = parse_rules(_one_rule('channel = "email"', on='["new", "follow_up"]'))
    follow_up = _facts(trigger=Trigger.FOLLOW_UP)
    assert not evaluate(new_only, follow_up).matches
    assert evaluate(both, follow_up).matches


def test_first_match_stops_all_match_goes_on_and_later_sets_see_earlier_changes() -> None:
    rules = parse_rules(
        """
[[set]]
name = "classify"
match = "all"
[[set.rule]]
name = "invoices"
if = { subject_contains = "invoice" }
then = { category = "Billing", tags = ["money"] }
[[set.rule]]
name = "refunds"
if = { body_contains = "refund" }
then = { tags = ["refund"], priority = "high" }

[[set]]
name = "route"
match = "first"
[[set.rule]]
name = "billing team"
if = { category = "billing" }
then = { team = "Billing" }
[[set.rule]]
name = "catch all"
then = { team = "Support" }
"""
    )
    outcome = evaluate(rules, _facts(category=None, priority="normal"))
    assert [m.name for m in outcome.matches] == ["invoices", "refunds", "billing team"]
    assert outcome.result.team == "Billing"
    assert outcome.result.tags == ("money", "refund")
    assert outcome.result.priority == "high"
    other = evaluate(rules, _facts(subject="VPN", body="down", category=None))
    assert [m.name for m in other.matches] == ["catch all"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_one_rule('subjct = "x"'), "rule 'the rule': if: unknown key 'subjct'"),
        (_one_rule('subject_matches = "(unclosed"'), "rule 'the rule': subject_matches: bad"),
        (_one_rule('priority = "hot"'), "rule 'the rule': priority: unknown priority"),
        (_one_rule('channel = "email"', 'colour = "red"'), "rule 'the rule': then: unknown key"),
        (_one_rule('channel = "email"', "tier = 9"), "rule 'the rule': tier"),
        (_one_rule('channel = "email"', 'canned_reply = "nope"'), "no canned reply 'nope'"),
        (_one_rule('channel = "email"', on='["sometimes"]'), "rule 'the rule': on: 'sometimes'"),
        ("[hours]\ntimezone = 'UTC'", "[hours] is no longer read: name an SLA business"),
        ("calendar = 3", "calendar: give the name of an SLA business calendar"),
        (_one_rule("business_hours = 1"), "rule 'the rule': business_hours is true, false or"),
        ("[[set]]\nmatch = 'most'", "set 1: match: 'most' is not one of first, all"),
        ("[teams.Network]\nassign = 'random'", "[teams.Network]: assign: 'random'"),
        ("not toml at all = = =", "not valid TOML"),
    ],
)
def test_a_bad_rules_file_is_one_line_naming_the_rule(text: str, message: str) -> None:
    with pytest.raises(RulesError) as caught:
        parse_rules(text, source="rules.toml")
    said = str(caught.value)
    assert said.startswith("rules.toml: ") and "\n" not in said
    assert message in said


def test_rules_check_names_unknown_teams_agents_and_calendars(db: Database, admin: Actor) -> None:
    desk = Desk(db, admin)
    desk.sla_set_calendar("berlin", timezone="Europe/Berlin", holidays="DE")
    rules = parse_rules(
        """
calendar = "Atlantis"
[teams.Ghosts]
assign = "round_robin"
[[set]]
[[set.rule]]
name = "to nowhere"
then = { team = "Nowhere", assignee = "nobody" }
[[set.rule]]
name = "fine"
then = { team = "Support", assignee = "ada" }
[[set.rule]]
name = "after hours in Tokyo"
if = { business_hours = "tokyo" }
then = { tags = ["late"] }
[[set.rule]]
name = "Berlin hours"
if = { business_hours = "berlin" }
then = { tags = ["day"] }
"""
    )
    problems = desk.rules_check(rules)
    assert problems == [
        "rules.toml: rule 'to nowhere': no team 'Nowhere' (see: helpdesk team list)",
        "rules.toml: rule 'to nowhere': no agent 'nobody' (see: helpdesk agent list)",
        "rules.toml: [teams.Ghosts]: no team 'Ghosts'",
        "rules.toml: calendar: no business calendar 'Atlantis' (see: helpdesk sla calendar list)",
        "rules.toml: rule 'after hours in Tokyo': no business calendar 'tokyo' "
        "(see: helpdesk sla calendar list)",
    ]


# --- on the desk: mail intake and agents' tickets ---------------------------------------------

ALL_ACTIONS = """
[canned.billing-ack]
subject = "About your invoice (#{number})"
body = "Hello {name}, {desk} has your question about {subject} as #{number}."

[[set]]
name = "main"
match = "all"
[[set.rule]]
name = "invoices"
if = { subject_contains = "invoice", sender_domain = "acme.com" }
then = { team = "Billing", category = "Invoices", type = "service_request", priority = "urgent", tags = ["billing", "vip"], assignee = "bob", tier = 2, canned_reply = "billing-ack" }
"""  # noqa: E501


def _config(tmp_path: Path, text: str) -> IngestConfig:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return IngestConfig.from_options(
        IntakeOptions(mail_settings(), "Desk Support", rules_file=path)
    )


def _ingest(db: Database, config: IngestConfig, raw: bytes) -> int:
    with db.write() as session:
        result = ingest(session, raw, config, now=MONDAY_10_BERLIN)
    assert result.ticket_number is not None
    return result.ticket_number


def test_mail_intake_carries_out_every_action_and_the_history_names_the_rule(
    db: Database, admin: Actor, agent_bob: Actor, tmp_path: Path
) -> None:
    with db.write() as s:
        ensure_team(s, "Billing")
    config = _config(tmp_path, ALL_ACTIONS)
    raw = email(sender="Ann <ann@acme.com>", subject="Invoice wrong", message_id="<inv@acme.com>")
    number = _ingest(db, config, raw)
    with db.read() as s:
        ticket = s.exec(select(Ticket).where(Ticket.number == number)).one()
        detail = ticket_detail(s, number)
        tags = ticket_tags(s, ticket.id or 0)
        events = s.exec(select(Event).where(Event.ticket_id == ticket.id)).all()
        mail = s.exec(select(Outbox).where(Outbox.ticket_id == ticket.id)).all()
    row = detail.row
    assert (row.team, row.category, row.type, row.priority, row.assignee, row.tier) == (
        "Billing",
        "Invoices",
        "service_request",
        "urgent",
        "bob",
        2,
    )
    assert tags == ["billing", "vip"]
    routed = [e for e in events if e.kind == "routed"]
    assert [(e.actor, e.new_value) for e in routed] == [
        ("rule invoices", "by rule 'invoices' (set 'main')")
    ]
    assert {e.field for e in events if e.actor == "rule invoices" and e.field} >= {
        "team",
        "category",
        "type",
        "priority",
        "tags",
        "assignee",
        "tier",
    }
    canned = [m for m in mail if m.subject.startswith("About your invoice")]
    assert len(canned) == 1
    assert canned[0].to_addresses == "ann@acme.com"
    assert canned[0].body == (
        f"Hello Ann, Desk Support has your question about Invoice wrong as #{number}."
    )
    # An answer to her mail: her client shows it under the mail she sent, as the
    # acknowledgement and every reply are.
    assert (canned[0].in_reply_to, canned[0].references) == ("<inv@acme.com>", "<inv@acme.com>")
    # It is her acknowledgement: one automatic answer, not the desk's standard one beside it.
    assert [(m.kind, m.to_addresses) for m in mail] == [("ack", "ann@acme.com")]


@on_sqlite_only(
    "tests/desk/test_routing.py::"
    "test_mail_intake_carries_out_every_action_and_the_history_names_the_rule"
)
def test_a_rules_canned_reply_names_the_desk_as_its_admin_named_it(
    db: Database, admin: Actor, tmp_path: Path
) -> None:
    """The mail runner's config ("Desk Support") names only a desk never named, in a rule's
    canned reply as in the acknowledgement it replaces."""
    from helpdesk_tui.desk.facade import Desk

    with db.write() as s:
        ensure_team(s, "Billing")
    Desk(db, admin).desk_set_name("Acme IT")
    config = _config(tmp_path, ALL_ACTIONS.replace(', assignee = "bob"', ""))
    number = _ingest(db, config, email(sender="Ann <ann@acme.com>", subject="Invoice wrong"))
    with db.read() as s:
        [body] = s.exec(select(Outbox.body)).all()
    assert body == f"Hello Ann, Acme IT has your question about Invoice wrong as #{number}."


def test_a_canned_reply_goes_only_where_the_acknowledgement_would(
    db: Database, admin: Actor, tmp_path: Path
) -> None:
    """Past the hourly limit of automatic answers to an address, neither goes."""
    with db.write() as s:
        ensure_team(s, "Billing")
    path = tmp_path / "rules.toml"
    path.write_text(ALL_ACTIONS.replace(', assignee = "bob"', ""), encoding="utf-8")
    config = IngestConfig.from_options(
        IntakeOptions(mail_settings(ack_limit_per_hour=1), "Desk Support", rules_file=path)
    )
    sender = "Ann <ann@acme.com>"
    first = _ingest(db, config, email(sender=sender, subject="Invoice 1", message_id="<i1@a>"))
    second = _ingest(db, config, email(sender=sender, subject="Invoice 2", message_id="<i2@a>"))
    with db.read() as s:
        mail = s.exec(select(Outbox.subject).order_by(col(Outbox.id))).all()
        failed = s.exec(
            select(Event.new_value).where(
                Event.ticket_number == second, Event.kind == "routing_failed"
            )
        ).all()
    assert mail == [f"About your invoice (#{first})"]
    assert failed == [
        "rule 'invoices': canned reply 'billing-ack' not sent: no acknowledgement "
        "(ann@acme.com had 1 this hour)"
    ]


def test_mail_that_matches_no_rule_stays_as_it_came(
    db: Database, admin: Actor, tmp_path: Path
) -> None:
    with db.write() as s:
        ensure_team(s, "Billing")
    number = _ingest(db, _config(tmp_path, ALL_ACTIONS), email(subject="Printer on fire"))
    with db.read() as s:
        row = ticket_detail(s, number).row
        kinds = s.exec(select(Event.kind).where(Event.ticket_number == number)).all()
    assert (row.team, row.priority, row.assignee) == (None, "normal", None)
    assert "routed" not in kinds


def test_follow_ups_are_routed_by_rules_that_ask_for_them(
    db: Database, admin: Actor, tmp_path: Path
) -> None:
    with db.write() as s:
        ensure_team(s, "Escalations")
    text = _one_rule(
        'body_contains = "lawyer"', 'team = "Escalations", priority = "urgent"', '["follow_up"]'
    )
    config = _config(tmp_path, text)
    first = email(message_id="<first@example.org>", body="My lawyer will call.")
    number = _ingest(db, config, first)
    with db.read() as s:
        assert ticket_detail(s, number).row.team is None  # a new ticket: the rule is not for it
    again = email(
        in_reply_to="<first@example.org>", subject="Re: Printer on fire", body="My lawyer!"
    )
    assert _ingest(db, config, again) == number
    with db.read() as s:
        row = ticket_detail(s, number).row
    assert (row.team, row.priority) == ("Escalations", "urgent")


@pytest.mark.parametrize(
    "condition",
    ['subject_contains = "[it-help]"', 'subject_matches = "^VPN"', 'subject_contains = "vpn"'],
)
def test_a_subject_rule_sees_a_list_s_copy_as_it_arrived_and_as_the_ticket_has_it(
    db: Database, admin: Actor, tmp_path: Path, condition: str
) -> None:
    """A rule written against what its author sees in a mail client (``[it-help] VPN
    drops``, the list's tag in it) never fired: the rules read the ticket's subject, the
    list's tag left out. A subject condition now holds on either subject; a rule written
    against the ticket's subject (``^VPN``) still fires."""
    with db.write() as s:
        ensure_team(s, "Billing")
    listed = email(
        subject="[it-help] VPN drops",
        headers=["List-Id: IT help <it-help.lists.example.com>", "Precedence: list"],
    )
    number = _ingest(db, _config(tmp_path, _one_rule(condition)), listed)
    with db.read() as s:
        row = ticket_detail(s, number).row
    assert (row.subject, row.team) == ("VPN drops", "Billing")
    facts = _facts(subject="VPN drops", arrived_subject="[it-help] VPN drops")
    assert evaluate(parse_rules(_one_rule(condition)), facts, CALENDARS).matches
    desk = Desk(db, admin, clock=lambda: MONDAY_10_BERLIN)
    message = MessageFields("ann@acme.com", "[it-help] VPN drops", "", "VPN drops")
    assert desk.rules_test(parse_rules(_one_rule(condition)), message).rules == ("the rule",)


def test_organization_condition_reads_the_requesters_organization(
    db: Database, admin: Actor, tmp_path: Path
) -> None:
    with db.write() as s:
        ensure_team(s, "Key accounts")
        s.add(Organization(name="Acme", domain="acme.com"))
    config = _config(tmp_path, _one_rule('organization = "acme"', 'team = "Key accounts"'))
    number = _ingest(db, config, email(sender="ann@acme.com"))
    with db.read() as s:
        contact = s.exec(select(Contact).where(Contact.email == "ann@acme.com")).one()
        assert contact.organization_id is not None
        assert ticket_detail(s, number).row.team == "Key accounts"


def test_a_rule_naming_a_deleted_team_leaves_an_event_and_the_mail_is_stored(
    db: Database, admin: Actor, tmp_path: Path
) -> None:
    config = _config(tmp_path, _one_rule('channel = "email"', 'team = "Gone", priority = "high"'))
    number = _ingest(db, config, email())
    with db.read() as s:
        row = ticket_detail(s, number).row
        failed = s.exec(
            select(Event.new_value).where(
                Event.ticket_number == number, Event.kind == "routing_failed"
            )
        ).all()
    assert row.priority == "high"
    assert failed == ["rule 'the rule': team: no team 'Gone'; see: helpdesk team list"]


def test_an_agents_new_ticket_is_routed_in_the_same_write(db: Database, admin: Actor) -> None:
    with db.write() as s:
        ensure_team(s, "Phones")
    rules = parse_rules(_one_rule('channel = "phone"', 'team = "Phones"'))
    created = Desk(db, admin).ticket_create(
        subject="Desk phone dead", body="x", channel="phone", rules=rules
    )
    assert created.routed is not None and created.routed.rules == ("the rule",)
    assert created.row.team == "Phones"
    with db.read() as s:
        assert ticket_detail(s, created.row.number).row.team == "Phones"
        versions = s.exec(
            select(Event.ticket_version).where(Event.ticket_number == created.row.number)
        ).all()
    assert created.row.version == max(versions)


def test_a_failing_rule_leaves_no_ticket_behind(
    db: Database, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = parse_rules(_one_rule('channel = "phone"', 'priority = "high"'))

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("helpdesk_tui.desk.routing_apply.route", broken)
    with pytest.raises(RuntimeError):
        Desk(db, admin).ticket_create(subject="Lost?", body="x", channel="phone", rules=rules)
    with db.read() as s:
        assert s.exec(select(Ticket.id)).all() == []


def test_rules_test_changes_nothing(db: Database, admin: Actor) -> None:
    with db.write() as s:
        ensure_team(s, "Billing")
        count = len(s.exec(select(Event.id)).all())
    rules = parse_rules(ALL_ACTIONS)
    desk = Desk(db, admin, clock=lambda: MONDAY_10_BERLIN)
    routed = desk.rules_test(rules, MessageFields("ann@acme.com", "Invoice wrong", "hello"))
    assert routed.rules == ("invoices",)
    assert "team → Billing" in routed.actions
    assert "send canned reply 'billing-ack'" in routed.actions
    assert desk.rules_test(rules, MessageFields("ann@other.org", "Invoice", "")).rules == ()
    with db.read() as s:
        assert len(s.exec(select(Event.id)).all()) == count
        assert s.exec(select(Ticket.id)).all() == []


def test_a_canned_reply_never_goes_to_a_no_reply_address(
    db: Database, admin: Actor, tmp_path: Path
) -> None:
    config = _config(tmp_path, ALL_ACTIONS.replace(', sender_domain = "acme.com"', ""))
    with db.write() as s:
        ensure_team(s, "Billing")
        add_agent(s, admin, "bob", teams=["Billing"])
    number = _ingest(db, config, email(sender="noreply@acme.com", subject="Invoice ready"))
    with db.read() as s:
        ticket = s.exec(select(Ticket).where(Ticket.number == number)).one()
        subjects = s.exec(select(Outbox.subject).where(Outbox.ticket_id == ticket.id)).all()
        failed = s.exec(
            select(Event.new_value)
            .where(Event.ticket_id == ticket.id, Event.kind == "routing_failed")
            .order_by(col(Event.id))
        ).all()
    assert not [t for t in subjects if t.startswith("About your invoice")]
    assert failed == [
        "rule 'invoices': canned reply 'billing-ack' not sent: no address a person reads"
    ]


def test_no_canned_reply_to_an_address_that_bounced_and_none_of_the_ack_goes(
    db: Database, admin: Actor, tmp_path: Path
) -> None:
    """Mail to ann bounced for good last week: the rule's canned reply is not queued (and no
    note says it was sent), nor the acknowledgement it would have replaced (intake decides
    it with the sender's rule, ``outbox.dead_address``: nothing queued to be withdrawn)."""
    config = _config(tmp_path, ALL_ACTIONS)
    with db.write() as s:
        ensure_team(s, "Billing")
        add_agent(s, admin, "bob", teams=["Billing"])
        outbox.record_hard_bounces(
            s, [ReportedRecipient("ann@acme.com", "failed", "5.1.1")], now=MONDAY_10_BERLIN
        )
    number = _ingest(db, config, email(sender="ann@acme.com", subject="Invoice wrong"))
    with db.write() as s:
        assert outbox.claim_due(s, MONDAY_10_BERLIN + timedelta(minutes=1), str) == []
    with db.read() as s:
        ticket = s.exec(select(Ticket).where(Ticket.number == number)).one()
        mail = s.exec(select(Outbox).where(Outbox.ticket_id == ticket.id)).all()
        events = s.exec(
            select(Event.kind, Event.new_value)
            .where(
                Event.ticket_id == ticket.id,
                col(Event.kind).in_(("routing_failed", "acknowledgement", "canned_reply")),
            )
            .order_by(col(Event.id))
        ).all()
    assert mail == []
    why = "mail to ann@acme.com bounced (5.1.1)"
    assert [tuple(e) for e in events] == [
        ("acknowledgement", f"not sent: {why}"),
        (
            "routing_failed",
            f"rule 'invoices': canned reply 'billing-ack' not sent: no acknowledgement ({why})",
        ),
    ]


def test_mail_routed_to_a_team_is_handed_to_an_agent_on_shift(
    db: Database, admin: Actor, tmp_path: Path
) -> None:
    with db.write() as s:
        ensure_team(s, "Billing")
        amy = add_agent(s, admin, "amy", teams=["Billing"])
        add_agent(s, admin, "ben", teams=["Billing"])  # never opened a terminal: off shift
        assert amy.id is not None
        assignment.on_shift(s, amy.id, MONDAY_10_BERLIN)
    text = _one_rule('subject_contains = "invoice"', 'team = "Billing"') + (
        '[teams.Billing]\nassign = "least_open"\n'
    )
    config = _config(tmp_path, text)
    first = _ingest(db, config, email(subject="Invoice 1"))
    second = _ingest(db, config, email(subject="Invoice 2"))
    with db.read() as s:
        rows = [ticket_detail(s, n).row for n in (first, second)]
        said = s.exec(
            select(Event.actor, Event.new_value).where(
                Event.ticket_number == first, Event.kind == "auto_assigned"
            )
        ).all()
    assert [(r.team, r.assignee) for r in rows] == [("Billing", "amy"), ("Billing", "amy")]
    assert said == [("routing", "amy by least-open in Billing")]


def test_a_running_poller_follows_edits_and_keeps_the_last_good_rules(
    db: Database, admin: Actor, tmp_path: Path
) -> None:
    with db.write() as s:
        ensure_team(s, "Billing")
        ensure_team(s, "Network")
    config = _config(tmp_path, _one_rule('channel = "email"', 'team = "Billing"'))
    rules_file = tmp_path / "rules.toml"
    first = _ingest(db, config, email())
    rules_file.write_text(_one_rule('channel = "email"', 'team = "Network", tier = 2'))
    second = _ingest(db, config, email())
    rules_file.write_text("this is = = not TOML")
    third = _ingest(db, config, email())
    with db.read() as s:
        teams = [ticket_detail(s, n).row.team for n in (first, second, third)]
    assert teams == ["Billing", "Network", "Network"]


WIKI_RULE = """
[canned.wiki-ack]
subject = "Wiki trouble (#{number})"
body = "Hello {name}, we are on the wiki as #{number}."

[[set]]
name = "main"
[[set.rule]]
name = "wiki"
if = { subject_contains = "wiki" }
then = { tags = ["wiki"], canned_reply = "wiki-ack" }
"""


def test_her_direct_copy_after_the_list_copy_brings_the_rules_canned_reply(
    db: Database, admin: Actor, tmp_path: Path
) -> None:
    """The list's copy opened the ticket and its rule's canned reply was withheld with the
    acknowledgement (a list's mail gets no automatic answer); ann's own copy then brought
    the standard acknowledgement. It brings what her copy would have had, had it come
    first: the rule's canned reply, in the acknowledgement's place; nothing else of the
    rule is done again."""
    config = _config(tmp_path, WIKI_RULE)
    message_id = "<wiki@example.org>"
    listed = email(
        message_id=message_id,
        sender="Ann Customer via users <users@lists.example.org>",
        subject="[users] Wiki is down",
        to="support@desk.test, users@lists.example.org",
        body="The wiki is down.\n\n--\nusers mailing list\nhttps://lists.example.org/users",
        headers=[
            "List-Id: Wiki users <users.lists.example.org>",
            "List-Post: <mailto:users@lists.example.org>",
            "Reply-To: users@lists.example.org",
        ],
    )
    direct = email(
        message_id=message_id,
        subject="Wiki is down",
        to="support@desk.test, users@lists.example.org",
        body="The wiki is down.",
    )
    number = _ingest(db, config, listed)
    assert _ingest(db, config, direct) == number
    with db.read() as s:
        ticket = s.exec(select(Ticket).where(Ticket.number == number)).one()
        [ack] = s.exec(select(Outbox).where(Outbox.ticket_id == ticket.id)).all()
        kinds = s.exec(
            select(Event.kind).where(
                Event.ticket_id == ticket.id,
                col(Event.kind).in_(("routed", "canned_reply", "routing_failed")),
            )
        ).all()
    assert ack.to_addresses == "ann@example.org"
    assert ack.subject == f"Wiki trouble (#{number})"
    assert ack.body == f"Hello Ann Customer, we are on the wiki as #{number}."
    # once each: routed and withheld for the list's copy, sent for hers
    assert sorted(kinds) == ["canned_reply", "routed", "routing_failed"]
