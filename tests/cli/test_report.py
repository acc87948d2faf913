"""``helpdesk report``: the same tables as the screen, as text, CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

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


def test_json_and_text_carry_every_table(use_db: str, invoke: Invoke) -> None:
    _desk(invoke)
    today = datetime.now(UTC).date().isoformat()
    result = invoke("report", "--from", today, "--to", today, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["per_day"] == [
        {"period": today, "created": 3, "resolved": 0, "ratings": 0, "satisfaction": None}
    ]
    summary = {row["figure"]: row["value"] for row in data["summary"]}
    assert (summary["created"], summary["backlog"]) == (3, 3)
    text = invoke("report", "--from", today, "--to", today)
    assert text.exit_code == 0, text.output
    assert "Per agent" in text.stdout and "Backlog" in text.stdout


def test_bad_dates_and_unknown_names_are_one_line(use_db: str, invoke: Invoke) -> None:
    result = invoke("report", "--from", "yesterday")
    assert result.exit_code == 2 and "not a date" in result.output
    result = invoke("report", "--team", "Nobody")
    assert result.exit_code != 0 and "no team is called 'Nobody'" in result.output
