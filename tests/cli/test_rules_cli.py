"""``helpdesk rules``: list, check, test on sample messages; away/back; routed new tickets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import Invoke, as_login, on_sqlite_only, one_error_line
from tests.mail.mailbuild import email

CORPUS = Path("/work/shared/mail-corpus/mail-parser")
RULES = """
calendar = "berlin"

[teams.Billing]
assign = "round_robin"

[canned.billing-ack]
body = "Hello {name}, your question is #{number}."

[[set]]
name = "triage"
match = "first"
[[set.rule]]
name = "Invoices"
if = { subject_contains = ["invoice", "refund"] }
then = { team = "Billing", priority = "high", canned_reply = "billing-ack" }
[[set.rule]]
name = "Night shift"
if = { business_hours = false }
then = { tags = ["after-hours"] }
[[set.rule]]
name = "Russian mail"
if = { sender_domain = "nalg.ru" }
then = { category = "Spam check" }
"""


@pytest.fixture
def rules_file(tmp_path: Path, invoke: Invoke, use_db: str) -> Path:
    """RULES beside the user's config (no site file), with the Billing team and the business
    calendar it names."""
    path = tmp_path / "config" / "rules.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(RULES, encoding="utf-8")
    assert invoke("team", "add", "Billing").exit_code == 0
    berlin = ("sla", "calendar", "set", "berlin", "--tz", "Europe/Berlin", "--holidays", "DE-BE")
    assert invoke(*berlin).exit_code == 0
    return path


def _eml(tmp_path: Path, **kw: str) -> str:
    path = tmp_path / "message.eml"
    path.write_bytes(email(**kw))
    return str(path)


def test_rules_list_names_the_file_and_every_rule(invoke: Invoke, rules_file: Path) -> None:
    result = invoke("rules", "list")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"rules from {rules_file}"
    assert "triage (first match) · Invoices  on new" in lines
    assert "    if   subject_contains in ['invoice', 'refund']" in lines
    assert "    then team → Billing; priority → high; send canned reply 'billing-ack'" in lines
    assert lines[-1] == "team Billing: assigned by round-robin"
    data = json.loads(invoke("rules", "list", "--json").stdout)
    assert [r["name"] for r in data["rules"]] == ["Invoices", "Night shift", "Russian mail"]


# SQLite only: the count's wording; rules check's reads run on PostgreSQL in
# test_rules_check_passes_then_names_a_missing_team.
@on_sqlite_only
def test_rules_check_counts_one_rule_as_one(invoke: Invoke, rules_file: Path) -> None:
    """Found on a walk: a desk's first rules file said "1 rules, all usable"."""
    start = RULES.index("[[set.rule]]")
    second = RULES.index("[[set.rule]]", start + 1)
    rules_file.write_text(RULES[:second])
    result = invoke("rules", "check")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == f"{rules_file}: 1 rule, all usable"


def test_rules_check_passes_then_names_a_missing_team(invoke: Invoke, rules_file: Path) -> None:
    result = invoke("rules", "check")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == f"{rules_file}: 3 rules, all usable"
    rules_file.write_text(RULES.replace('team = "Billing"', 'team = "Finance"'))
    result = invoke("rules", "check")
    assert result.exit_code == 1
    assert one_error_line(result.stderr) == (
        f"error: {rules_file}: rule 'Invoices': no team 'Finance' (see: helpdesk team list)"
    )


def test_rules_check_names_a_rule_asking_a_calendar_the_desk_lacks(
    invoke: Invoke, rules_file: Path
) -> None:
    rules_file.write_text(RULES.replace("business_hours = false", 'business_hours = "tokyo"'))
    result = invoke("rules", "check")
    assert result.exit_code == 1
    assert one_error_line(result.stderr) == (
        f"error: {rules_file}: rule 'Night shift': no business calendar 'tokyo' "
        "(see: helpdesk sla calendar list)"
    )


# SQLite only: a fault in the file, found before any SQL; rules check's reads run on PostgreSQL in
# test_rules_check_passes_then_names_a_missing_team.
@on_sqlite_only
@pytest.mark.parametrize(
    ("fault", "said"),
    [
        ('subject_contains = ["invoice", "refund"]', "rule 'Invoices': if: unknown key 'subjct'"),
        ("business_hours = false", "rule 'Night shift': business_hours is true, false or the"),
        ('sender_domain = "nalg.ru"', "rule 'Russian mail': body_matches: bad regular expression"),
    ],
)
def test_a_bad_rule_is_one_line_naming_it(
    invoke: Invoke, rules_file: Path, fault: str, said: str
) -> None:
    broken = {
        'subject_contains = ["invoice", "refund"]': 'subjct = "invoice"',
        "business_hours = false": "business_hours = 3",
        'sender_domain = "nalg.ru"': 'body_matches = "[unclosed"',
    }[fault]
    rules_file.write_text(RULES.replace(fault, broken))
    for command in (("rules", "list"), ("rules", "check")):
        result = invoke(*command)
        assert result.exit_code == 1
        assert one_error_line(result.stderr).startswith(f"error: {rules_file}: ")
        assert said in result.stderr


def test_rules_test_shows_which_rule_fires_and_changes_nothing(
    invoke: Invoke, rules_file: Path, tmp_path: Path
) -> None:
    monday_ten = "2026-12-07T10:00+01:00"
    eml = _eml(tmp_path, subject="Refund for invoice 17")
    result = invoke("rules", "test", eml, "--at", monday_ten)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "fires: Invoices",
        "  would set team → Billing",
        "  would set priority → high",
        "  would set send canned reply 'billing-ack'",
    ]
    eml = _eml(tmp_path, subject="Printer on fire")
    assert invoke("rules", "test", eml, "--at", monday_ten).stdout.splitlines() == [
        "no rule fires: the ticket stays as it comes"
    ]
    saturday = invoke("rules", "test", eml, "--at", "2026-12-05T10:00+01:00", "--json")
    assert json.loads(saturday.stdout)["rules"] == ["Night shift"]
    # A public holiday of the desk's calendar is not business hours: Christmas, a Friday.
    christmas = invoke("rules", "test", eml, "--at", "2026-12-25T10:00+01:00", "--json")
    assert json.loads(christmas.stdout)["rules"] == ["Night shift"]
    friday = invoke("rules", "test", eml, "--at", "2026-12-18T10:00+01:00", "--json")
    assert json.loads(friday.stdout)["rules"] == []
    assert json.loads(invoke("ticket", "list", "--json").stdout) == []


# SQLite only: the mail read and the rules matched in Python; rules test's reads run on PostgreSQL
# in test_rules_test_shows_which_rule_fires_and_changes_nothing.
@on_sqlite_only
def test_rules_test_on_a_message_from_the_wild(invoke: Invoke, rules_file: Path) -> None:
    sample = CORPUS / "mail_test_1"
    if not sample.exists():
        pytest.skip("the shared mail corpus is not here")
    result = invoke("rules", "test", str(sample), "--at", "2026-12-07T10:00+01:00")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "fires: Russian mail",
        "  would set category → Spam check",
    ]


# SQLite only: an argument refused before any SQL
# (test_rules_test_shows_which_rule_fires_and_changes_nothing runs rules test on PostgreSQL).
@on_sqlite_only
def test_rules_test_refuses_what_is_not_mail_or_a_time(
    invoke: Invoke, rules_file: Path, tmp_path: Path
) -> None:
    eml = _eml(tmp_path)
    result = invoke("rules", "test", eml, "--at", "tomorrow")
    assert result.exit_code == 1
    assert "not an ISO time" in one_error_line(result.stderr)


def test_a_new_ticket_from_the_cli_is_routed_and_auto_assigned(
    invoke: Invoke, rules_file: Path
) -> None:
    assert invoke("agent", "add", "bob", "--team", "Billing").exit_code == 0
    bob = as_login("bob")
    assert bob("agent", "back").exit_code == 0
    result = invoke("ticket", "new", "--subject", "Invoice twice", "--body", "x", "--json")
    assert result.exit_code == 0, result.stderr
    assert "routed by rule Invoices" in result.stderr
    row = json.loads(result.stdout)
    assert row["priority"] == "high"
    # Bob has no terminal running, so he is not on shift: the ticket waits unassigned.
    assert row["assignee"] is None


# SQLite only: the warning; a new ticket from the CLI is made on PostgreSQL in
# test_a_new_ticket_from_the_cli_is_routed_and_auto_assigned.
@on_sqlite_only
def test_a_faulty_rules_file_is_a_warning_and_the_ticket_is_made_unrouted(
    invoke: Invoke, rules_file: Path
) -> None:
    rules_file.write_text("[[rule]\nname = 'half a rule'\n", encoding="utf-8")
    result = invoke("ticket", "new", "--subject", "Invoice twice", "--body", "x", "--json")
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    [warning] = result.stderr.splitlines()
    assert warning.startswith("warning: not routed: ") and "not valid TOML" in warning
    assert json.loads(result.stdout)["priority"] == "normal"


def test_agents_set_themselves_away_and_supervisors_set_capacity(
    invoke: Invoke, use_db: str
) -> None:
    assert invoke("agent", "add", "bob").exit_code == 0
    bob = as_login("bob")
    result = bob("agent", "away")
    assert (result.exit_code, result.stdout.strip()) == (
        0,
        "bob is away; helpdesk agent back undoes it",
    )
    shifts = {s["login"]: s for s in json.loads(invoke("agent", "shifts", "--json").stdout)}
    assert shifts["bob"]["away"] is True
    assert bob("agent", "back").stdout.strip() == "bob is back"
    refused = bob("agent", "capacity", "bob", "3")
    assert refused.exit_code == 1
    assert "only a supervisor may set capacities" in one_error_line(refused.stderr)
    assert invoke("agent", "capacity", "bob", "3").stdout.strip() == (
        "bob: at most 3 open tickets by automatic assignment"
    )
    assert invoke("agent", "skills", "bob", "vpn", "printers").exit_code == 0
    shifts = {s["login"]: s for s in json.loads(invoke("agent", "shifts", "--json").stdout)}
    assert (shifts["bob"]["capacity"], shifts["bob"]["skills"]) == (3, ["printers", "vpn"])
