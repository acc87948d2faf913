"""No escape sequence reaches the terminal from any plain CLI output path (issue 8, item 6).

Each case drives one path with hostile values — OSC 0 (title), OSC 52 (clipboard), CSI, BEL,
an 8-bit CSI (C1), bidi overrides, zero-width characters — and checks the raw bytes written
to stdout and stderr.
"""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner, Result
from rich.cells import cell_len

from helpdesk_tui.cli import main
from tests.cli.conftest import Terminal

HOSTILE = "\x1b]0;owned\x07\x1b]52;c;aGk=\x07\x1b[2J\x07\x9b31m\x9d0;t\x9c\u202eexe.gnp\u200bX"


def _clean(result: Result) -> Result:
    for name, data in (("stdout", result.stdout_bytes), ("stderr", result.stderr_bytes or b"")):
        assert b"\x1b" not in data, (name, data)
        assert b"\x07" not in data, (name, data)
        text = data.decode("utf-8", "surrogateescape")
        assert not re.search(r"[\x80-\x9f\udc80-\udc9f\u202e]", text), (name, data)
    assert "Traceback" not in (result.stderr or ""), result.stderr
    return result


pytestmark = pytest.mark.usefixtures("private_desk")
"""Every test has the default desk in its data directory, as ``helpdesk init`` makes it."""


def _run(*args: str, input: str | None = None) -> Result:
    return _clean(CliRunner().invoke(main, list(args), input=input))


@pytest.fixture
def number() -> int:
    result = _run(
        "ticket", "new", "--subject", f"Subject {HOSTILE}", "--from", "ann@example.com",
        "--name", f"Ann {HOSTILE}", "--body", f"Body {HOSTILE}\nline two", "--tag", "x",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "Subject" in result.stdout
    listed = _run("ticket", "list", "--json")
    return int(json.loads(listed.stdout)[0]["number"])


def test_listing_and_show(number: int) -> None:
    assert "Subject" in _run("ticket", "list").stdout
    shown = _run("ticket", "show", str(number))
    assert "line two" in shown.stdout
    assert "── customer via manual · Ann exe.gnpX · 20" in shown.stdout  # her name, cleaned
    assert "\\u001b" in _run("ticket", "show", str(number), "--json").stdout


def test_batch_results_and_batch_errors(number: int) -> None:
    done = _run("ticket", "category", str(number), f"cat {HOSTILE}")
    assert done.exit_code == 0 and f"#{number} category cat" in done.stdout
    failed = _run("ticket", "priority", str(number), f"9{HOSTILE}", "high")
    assert failed.exit_code == 1
    assert "error:" in failed.stderr


def test_conflict_quotes_old_and_new_values(number: int) -> None:
    _run("ticket", "category", str(number), f"first {HOSTILE}")
    _run("ticket", "category", str(number), f"second {HOSTILE}")
    conflict = _run("ticket", "priority", str(number), "high", "--expect-version", "1")
    assert conflict.exit_code == 1
    assert "since you loaded it" in conflict.stderr and "second" in conflict.stderr


def test_desk_errors_and_usage_errors() -> None:
    unknown_agent = _run("ticket", "assign", "1", "--agent", HOSTILE)
    assert unknown_agent.exit_code != 0 and "error" in unknown_agent.stderr.lower()
    unknown_status = _run("ticket", "list", "--status", HOSTILE)
    assert unknown_status.exit_code == 1 and "unknown status" in unknown_status.stderr
    usage = _run("ticket", "priority", "1", "high", "--expect-version", HOSTILE)
    assert usage.exit_code == 2 and "owned" in usage.stderr
    bad_number = _run("ticket", "show", HOSTILE)
    assert bad_number.exit_code != 0
    no_such = _run(HOSTILE)
    assert no_such.exit_code == 2


def test_prompt_and_confirmation(number: int, in_terminal: Terminal) -> None:
    code, shown = in_terminal("ticket", "delete", f"{number}{HOSTILE}", answer="n")
    assert code == 1 and "for good?" in shown
    assert not re.search(r"[\x1b\x07\x80-\x9f\u202e]", shown), shown
    refused = _run("ticket", "delete", f"{number}{HOSTILE}")
    assert refused.exit_code == 1 and "pass --yes" in refused.stderr


def test_a_sequence_split_across_writes_loses_its_escape() -> None:
    from io import StringIO

    from helpdesk_tui.cli.streams import CleanStream

    sink = StringIO()
    stream = CleanStream(sink)
    stream.write("title\x1b]0;")
    stream.write("owned\x07 and \x9b")
    stream.write("31m \udc9b")
    assert not re.search(r"[\x1b\x07\x80-\x9f\udc80-\udcff]", sink.getvalue())


def test_bytes_echoed_by_click_are_cleaned_too() -> None:
    from io import StringIO

    from helpdesk_tui.cli.streams import CleanStream

    sink = StringIO()
    CleanStream(sink).buffer.write(b"ok\x1b]0;t\x07 \xc2\x9b31m \x9b")
    assert sink.getvalue() == "ok  \ufffd"


def test_settings_and_agents(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPDESK_DESK_NAME", f"Desk {HOSTILE}")
    shown = _run("config", "show")
    assert shown.exit_code == 0 and "Desk" in shown.stdout
    added = _run("agent", "add", "eve", "--name", f"Eve {HOSTILE}")
    assert added.exit_code == 0, added.stderr
    assert "Eve" in _run("agent", "list").stdout


def test_a_bugs_traceback_is_cleaned_too(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unexpected error's traceback quotes its message: it goes through the cleaning too."""
    import helpdesk_tui.cli.locate as locate

    def broken() -> None:
        raise RuntimeError(f"a bug about {HOSTILE}")

    monkeypatch.setattr(locate, "user_config_file", broken)
    with pytest.raises(SystemExit) as exited:
        main.main(["locate", "config"], prog_name="helpdesk")
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "RuntimeError: a bug about" in err
    assert not re.search("[\x1b\x07\x80-\x9f]", err)


def test_a_terminal_gets_each_ticket_on_one_line_a_pipe_gets_it_whole(
    monkeypatch: pytest.MonkeyPatch, in_terminal: Terminal
) -> None:
    """A 500-character subject of wide characters and a long address: on an 80-column
    terminal each listed ticket is one line cut with "…" (it took seven); piped, whole."""
    subject = f"Printer {HOSTILE} 漢字テスト 😀 " + "toner " * 100
    created = _run(
        "ticket", "new", "--subject", subject, "--from", "mallory@" + "x" * 60 + ".example",
        "--body", "Help.",
    )  # fmt: skip
    assert created.exit_code == 0, created.stderr
    assert "toner " * 50 in _run("ticket", "list").stdout  # (not a terminal)
    monkeypatch.setenv("COLUMNS", "80")
    for verb in (("ticket", "list"), ("ticket", "search", "printer")):
        status, shown = in_terminal(*verb, answer="")
        assert status == 0, shown
        [listed] = [line for line in shown.splitlines() if "Printer" in line]
        assert cell_len(listed) <= 80 and listed.endswith("…")
        assert listed.startswith("#") and "…  <mallory@" in listed


def test_a_terminal_gets_a_long_subject_in_a_few_lines_of_ticket_show_a_pipe_whole(
    monkeypatch: pytest.MonkeyPatch, in_terminal: Terminal
) -> None:
    """A 500-character subject took 7 lines of an 80-column terminal in ``ticket show``, a
    10,000-character name 125 (names are now stored cut to 200): each field line takes at
    most three, ending in "…"; the body is shown whole; piped, every line is whole."""
    subject = "Printer " + "toner " * 82
    body = "Lorem ipsum " * 100
    created = _run(
        "ticket", "new", "--subject", subject, "--from", "ann@example.com",
        "--name", "Ann " + "y" * 10_000, "--body", body,
    )  # fmt: skip
    assert created.exit_code == 0, created.stderr
    number = json.loads(_run("ticket", "list", "--json").stdout)[0]["number"]
    assert subject.strip() in _run("ticket", "show", str(number)).stdout  # (not a terminal)
    monkeypatch.setenv("COLUMNS", "80")
    status, shown = in_terminal("ticket", "show", str(number), answer="")
    assert status == 0, shown
    lines = shown.splitlines()
    assert 10 < len(lines) < 30, shown
    head = [index for index, line in enumerate(lines) if line.startswith(f"#{number} Printer")]
    assert head and lines[head[0] + 2].endswith("…"), shown
    assert lines[head[0] + 3].startswith("status "), shown
    requester = [index for index, line in enumerate(lines) if line.startswith("requester Ann")]
    assert requester and lines[requester[0] + 2].endswith("…"), shown
    assert " ".join(body.split()) in " ".join(shown.split())


@pytest.mark.parametrize(
    "args",
    [
        ("ticket", "list", "--tag", "x" * 3000),  # the desk's words
        ("report", "--from", "x" * 3000),  # click's words
        ("ticket", "list", "--no-such-" + "x" * 3000),  # an unknown option
        ("ticket", "list", "--tag", "ab " * 1000),  # a value with blanks
    ],
)
def test_an_error_quoting_a_huge_argument_stays_a_few_lines(args: tuple[str, ...]) -> None:
    """The line that says an argument is wrong quotes its start and end, not all 3,000
    characters (it took 38 lines of an 80-column terminal)."""
    result = _run(*args)
    assert result.exit_code != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.lower().startswith("error: ") and "…" in last
    assert cell_len(last) <= len("error: ") + 320, last


def test_a_contacts_pages(number: int) -> None:
    """``contact show``, its JSON, ``export`` and ``forget``: a hostile name and subject are
    shown clean; a name as long as the desk keeps stays on its line."""
    shown = _run("contact", "show", "ann@example.com")
    assert shown.exit_code == 0, shown.stderr
    assert shown.stdout.startswith("ann@example.com  Ann ") and f"#{number}" in shown.stdout
    assert "\\u001b" in _run("contact", "show", "ann@example.com", "--json").stdout
    assert "\\u001b" in _run("contact", "export", "ann@example.com").stdout
    forgotten = _run("contact", "forget", "ann@example.com", "--yes")
    assert forgotten.stdout == f"forgotten: 1 ticket(s) deleted (#{number})\n"
    long_name = "N" * 190 + HOSTILE
    made = _run("ticket", "new", "--subject", "s", "--from", "bo@example.com", "--name", long_name)
    assert made.exit_code == 0, made.stderr
    head = _run("contact", "show", "bo@example.com").stdout.splitlines()[0]
    assert head.startswith("bo@example.com  " + "N" * 190)
