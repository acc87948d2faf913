from __future__ import annotations

import json
import re
from pathlib import Path

from helpdesk_tui.desk.actors import os_login
from tests.cli.conftest import Invoke, Terminal, on_sqlite_only, one_error_line


def test_demo_fills_a_fresh_desk_and_prints_its_rate(invoke: Invoke, use_db: str) -> None:
    result = invoke("demo", "--tickets", "40", "--seed", "7")
    assert result.exit_code == 0, result.stderr
    assert re.fullmatch(
        r"added 40 demo tickets \(\d+ messages, \d+ events, \d+ new contacts\) to .+ "
        r"in \d+\.\d s: [\d,]+ tickets/s\n"
        r"added \d+ knowledge-base articles, \d+ canned responses and \d+ macros "
        r"\(those the desk did not have yet\)",
        result.stdout.strip(),
    ), result.stdout
    listed = invoke("ticket", "list", "--ids", "--limit", "0").stdout.split()
    assert len(listed) == 40
    assert len(json.loads(invoke("agent", "list", "--json").stdout)) > 1


def test_demo_is_for_admins(invoke: Invoke, use_db: str) -> None:
    assert invoke("agent", "add", "ada", "--role", "admin").exit_code == 0
    assert invoke("agent", "set-role", os_login(), "agent").exit_code == 0
    result = invoke("demo", "--tickets", "5")
    assert result.exit_code == 1
    assert one_error_line(result.stderr).startswith("error: only an admin may fill the desk")
    assert invoke("ticket", "list", "--ids").stdout == ""


@on_sqlite_only
def test_the_progress_bar_is_drawn_in_place_on_a_terminal(
    invoke: Invoke, use_db: str, in_terminal: Terminal
) -> None:
    """The bar is our own fixed text: it bypasses the cleaning stream to move the cursor,
    and a transient bar is erased at the end instead of piling up on one line."""
    code, shown = in_terminal("demo", "--tickets", "30", answer="")
    assert code == 0, shown
    assert "\x1b[2K" in shown  # the bar erased in place
    assert "added 30 demo tickets" in shown


@on_sqlite_only
def test_a_demo_desk_has_articles_canned_responses_and_ratings(
    invoke: Invoke, use_db: str, tmp_path: Path
) -> None:
    """Every screen shows work: the knowledge base (and the help site), canned responses,
    macros and the report's satisfaction figure; a second run adds none of the first."""
    assert invoke("demo", "--tickets", "300", "--seed", "3").exit_code == 0
    found = invoke("kb", "search", "vpn", "--status", "published", "--visibility", "public")
    assert "vpn-keeps-disconnecting" in found.stdout, found.stderr
    assert invoke("kb", "export", "--html", str(tmp_path / "site")).exit_code == 0
    pages = " ".join(p.read_text() for p in (tmp_path / "site").rglob("*.html"))
    assert "Connect to the VPN from home" in pages
    canned = invoke("canned", "list").stdout
    assert "VPN first steps" in canned and "Password reset done" in canned
    assert "Resolve: fixed" in invoke("macro", "list").stdout
    summary = json.loads(invoke("report", "--format", "json").stdout)["summary"]
    figures = {row["figure"]: row["value"] for row in summary}
    assert figures["ratings"] > 0 and 3.5 < figures["satisfaction (1-5)"] < 5, figures
    articles = json.loads(invoke("kb", "export", str(tmp_path / "md"), "--json").stdout)

    again = invoke("demo", "--tickets", "10", "--seed", "4")
    assert again.exit_code == 0
    assert again.stdout.splitlines()[-1] == (
        "the demo's knowledge-base articles, canned responses and macros are there"
    )
    assert invoke("canned", "list").stdout == canned
    after = json.loads(invoke("kb", "export", str(tmp_path / "md2"), "--json").stdout)
    assert after["articles"] == articles["articles"] > 0
