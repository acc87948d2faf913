"""``helpdesk report``: the same tables as the screen, as text, CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import time_machine

from tests.cli.conftest import Invoke


def _desk(invoke: Invoke) -> None:
    for n, channel in enumerate(("email", "phone", "email")):
        result = invoke("ticket", "new", "--subject", f"s{n}", "--body", "b", "--channel", channel)
        assert result.exit_code == 0, result.output


def test_csv_is_the_group_by_table(use_db: str, invoke: Invoke) -> None:
    _desk(invoke)
    result = invoke("report", "--group-by", "channel", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert list(csv.reader(io.StringIO(result.stdout))) == [
        ["channel", "created", "resolved"],
        ["email", "2", "0"],
        ["phone", "1", "0"],
    ]


NOON = datetime(2026, 3, 4, 12, tzinfo=UTC)
"""The desk's clock for a test that reads "today": the tickets are made and the day is
read on the same day whenever the test runs (the wall clock's could cross midnight UTC
between the two)."""


def test_json_and_text_carry_every_table(use_db: str, invoke: Invoke) -> None:
    today = NOON.date().isoformat()
    with time_machine.travel(NOON, tick=True):
        _desk(invoke)
        result = invoke("report", "--from", today, "--to", today, "--format", "json")
        text = invoke("report", "--from", today, "--to", today)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["per_day"] == [
        {"period": today, "created": 3, "resolved": 0, "ratings": 0, "satisfaction": None}
    ]
    summary = {row["figure"]: row["value"] for row in data["summary"]}
    assert (summary["created"], summary["backlog"]) == (3, 3)
    assert text.exit_code == 0, text.output
    assert "Per agent" in text.stdout and "Backlog" in text.stdout


def test_bad_dates_and_unknown_names_are_one_line(use_db: str, invoke: Invoke) -> None:
    result = invoke("report", "--from", "yesterday")
    assert result.exit_code == 2 and "not a date" in result.output
    result = invoke("report", "--team", "Nobody")
    assert result.exit_code != 0 and "no team is called 'Nobody'" in result.output


def test_a_phone_rating_shows_in_the_report(use_db: str, invoke: Invoke) -> None:
    _desk(invoke)
    rated = invoke("ticket", "rate", "2", "4", "--comment", "quick and kind")
    assert rated.exit_code == 0, rated.output
    assert rated.stdout.strip() == "#2 rated 4/5: quick and kind"
    assert invoke("ticket", "rate", "2", "6").exit_code == 2
    data = json.loads(invoke("report", "--format", "json").stdout)
    summary = {row["figure"]: row["value"] for row in data["summary"]}
    assert (summary["ratings"], summary["satisfaction (1-5)"]) == (1, 4.0)
    shown = invoke("ticket", "show", "2")
    assert "Satisfaction rating 4/5: quick and kind" in shown.stdout
    assert invoke("ticket", "rate", "3", "1").exit_code == 0  # low: to follow up
    assert invoke("ticket", "list", "--tag", "follow-up", "--ids").stdout.split() == ["3"]
    done = invoke("ticket", "followed-up", "3")
    assert done.stdout.strip() == "#3 followed up: its follow-up tag is off"
    assert invoke("ticket", "list", "--tag", "follow-up", "--ids").stdout.split() == []
    again = invoke("ticket", "followed-up", "3")
    assert (again.exit_code, again.stdout.strip()) == (0, "#3 was followed up already")


def test_surveys_switch_per_desk_and_requester(use_db: str, invoke: Invoke) -> None:
    assert invoke("survey", "status").stdout.strip() == "surveys are on for this desk"
    assert invoke("survey", "off").exit_code == 0
    assert invoke("survey", "status").stdout.strip() == "surveys are off for this desk"
    result = invoke("survey", "opt-out", "ann@example.com")
    assert result.exit_code == 0 and "gets no surveys" in result.stdout
