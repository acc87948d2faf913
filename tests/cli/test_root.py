from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from helpdesk_tui import __version__
from helpdesk_tui.cli import SUBCOMMAND_HELP, SUBCOMMANDS
from helpdesk_tui.cli.lazy import LazyGroup
from helpdesk_tui.cli.ticket import VERB_HELP, VERBS, ticket
from helpdesk_tui.desk.actors import os_login
from tests.cli.conftest import Forked, Invoke, on_engines, one_error_line
from tests.cli.import_probe import ImportProbe


def test_help_lists_every_command_without_importing_them() -> None:
    code = (
        "import sys\n"
        "from helpdesk_tui.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('textual', 'sqlalchemy', 'alembic')"
        " or m.startswith('helpdesk_tui.cli.')]\n"
        "print('loaded:', sorted(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    expected = [
        "helpdesk_tui.cli.errors",
        "helpdesk_tui.cli.interrupts",  # (standard library only: a Ctrl-C kept, every command)
        "helpdesk_tui.cli.lazy",
        "helpdesk_tui.cli.root",
        "helpdesk_tui.cli.streams",
    ]
    assert f"loaded: {expected}" in result.stdout
    for name in SUBCOMMANDS:
        assert name in result.stdout


def test_the_command_lines_own_imports_run_no_collection() -> None:
    """Importing the command line (click and its own modules) runs no cyclic collection,
    leaves the collector on, and keeps what it made out of the collector's later walks."""
    code = (
        "import gc\n"
        "runs = []\n"
        "gc.collect()\n"
        "gc.callbacks.append(lambda phase, info: runs.append(phase))\n"
        "import helpdesk_tui.cli.root\n"
        "print(len(runs), gc.isenabled(), gc.get_freeze_count() > 0)\n"
    )
    # As installed: the modules' bytecode is cached (compiling a source runs collections
    # before the module's first line); the first run writes it.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for _ in range(2):
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
        )
    assert result.stdout.split() == ["0", "True", "True"]


def test_every_command_has_help_text() -> None:
    assert set(SUBCOMMAND_HELP) == set(SUBCOMMANDS)
    assert set(VERB_HELP) == set(VERBS)


def test_every_ticket_verb_loads_under_its_name() -> None:
    import click

    ctx = click.Context(ticket)
    for name in VERBS:
        command = ticket.get_command(ctx, name)
        assert command is not None and command.name == name


def test_completing_a_ticket_verb_imports_no_verb_and_no_database() -> None:
    code = (
        "import os, sys\n"
        "os.environ.update(_HELPDESK_COMPLETE='bash_complete', COMP_WORDS='helpdesk ticket ',"
        " COMP_CWORD='2')\n"
        "from helpdesk_tui.cli import main\n"
        "try:\n"
        "    main(prog_name='helpdesk')\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('textual', 'sqlalchemy', 'alembic')"
        " or m.startswith('helpdesk_tui.cli.ticket.')]\n"
        "print('loaded:', sorted(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "loaded: []" in result.stdout
    assert "plain,list" in result.stdout and "plain,delete" in result.stdout


DATA_LAYER = ("sqlalchemy", "sqlmodel", "alembic")
SETTINGS_MODELS = ("pydantic", "pydantic_core", "pydantic_settings")


def test_the_terminal_ui_draws_its_first_page_without_the_data_layer() -> None:
    """All that ``helpdesk`` loads before its first paint (when a page is kept: the desk
    is then opened in a thread) imports none of SQLAlchemy, SQLModel or Alembic, nor,
    once the settings were validated by an earlier command (``start_settings``),
    pydantic: the app is built as ``cli/tui.py`` builds it, from the kept start values."""
    subprocess.run(
        [sys.executable, "-c", "from helpdesk_tui.cli import main; main(['config', 'show'])"],
        capture_output=True,
        check=True,
    )
    code = (
        "import sys\n"
        "import helpdesk_tui.cli, helpdesk_tui.cli.tui, helpdesk_tui.app\n"
        "import helpdesk_tui.screens.queue, helpdesk_tui.widgets.queue_table\n"
        "from helpdesk_tui.app import kept_page, make_app\n"
        "from helpdesk_tui.cli.runtime import Runtime\n"
        "from helpdesk_tui.desk.actors import Actor\n"
        "runtime = Runtime(login='ada')\n"
        "kept = kept_page(runtime.start, 'ada')\n"
        "app = make_app(None, None, Actor(name='ada'), opening=lambda: None, kept=kept,\n"
        "               start=runtime.start, load_settings=lambda: runtime.settings)\n"
        f"heavy = [m for m in sys.modules if m.split('.')[0] in {DATA_LAYER + SETTINGS_MODELS!r}"
        " or m == 'helpdesk_tui.config']\n"
        "print('loaded:', sorted(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "loaded: []" in result.stdout, result.stdout + result.stderr


UNUSED_BY_A_VERB = (
    "textual",
    "alembic",
    "rapidfuzz",
    "imapclient",
    "aiosmtplib",
    "sqlalchemy.dialects.postgresql",
    "helpdesk_tui.mail.",
    "helpdesk_tui.screens",
    "pydantic_settings",
    "helpdesk_tui.config",
)
ORM = ("sqlmodel", "pydantic", "pydantic_core", "sqlalchemy.orm", "helpdesk_tui.storage.models")


LoadedBy = Callable[[list[str], tuple[str, ...]], list[str]]

# The PostgreSQL cases (``on_engines``): what a verb imports differs by engine in the
# dialect's modules (``sqlalchemy.dialects.postgresql`` and psycopg for SQLite's, which the
# tests swap) and where ``desk/`` or ``storage/`` builds another statement for PostgreSQL
# (the queue, search, the reports' rollups, the KB search, upserts, intake). A PostgreSQL
# case of each such path, and one of each group's door, proves that rule there; a case
# that differs from a kept one only by its output's form (``--json``) or by a verb on the
# same path runs on SQLite alone (each PostgreSQL case forked a verb on a desk there,
# some 0.5 s, 38 of them).


@pytest.fixture
def loaded_by(_import_probe: ImportProbe, _core_probe: ImportProbe, tmp_path: Path) -> LoadedBy:
    """``loaded_by(ARGS, UNUSED)``: the modules of ``UNUSED`` that running ``helpdesk ARGS``
    imported (a name and what is inside it; a name ending in "." only what is inside), in
    a process of its own that had imported only what a fresh interpreter's
    ``from helpdesk_tui.cli import main`` does (``ImportProbe``), and SQLAlchemy's Core,
    which every verb here imports first, where none of ``UNUSED`` is among what that
    imports (``_core_probe``; else ``_import_probe``, fresh)."""

    def run(args: list[str], unused: tuple[str, ...]) -> list[str]:
        probe = _import_probe if _core_probe.blind_to(unused) else _core_probe
        return probe.loaded_by(args, unused, tmp_path / "command-output")

    return run


@pytest.mark.parametrize(
    ("db_url", "args"),
    on_engines(
        [
            ["ticket", "list"],
            ["ticket", "list", "--json"],
            ["ticket", "search", "password"],
            ["ticket", "show", "1"],
            ["ticket", "show", "1", "--json"],
        ],
        also_on_postgres={0, 2, 3},  # (``--json`` only formats what the same read gave)
    ),
    indirect=["db_url"],
)
def test_reading_tickets_imports_no_orm_sqlmodel_or_pydantic(
    use_db: str, args: list[str], loaded_by: LoadedBy
) -> None:
    """``ticket list``, ``search`` and ``show`` read on Core tables (``storage/core_tables``):
    SQLModel, pydantic and the ORM are two fifths of a verb's start (see benchmarks). On
    PostgreSQL too, which loads the postgresql dialect and psycopg but not SQLite's."""
    unused: tuple[str, ...] = (*UNUSED_BY_A_VERB, *ORM, "helpdesk_tui.desk.facade")
    if use_db.startswith("postgresql"):
        postgres = "sqlalchemy.dialects.postgresql"
        unused = (*(u for u in unused if u != postgres), "sqlalchemy.dialects.sqlite", "sqlite3")
    assert loaded_by(args, unused) == []


def test_closing_asks_before_importing_the_orm(
    use_db: str, invoke: Invoke, loaded_by: LoadedBy
) -> None:
    """Closing asks first, naming the drafts that stay behind: the question is read on Core
    tables (``desk/draft_place``), so it comes as soon as a reading verb's output, not after
    SQLModel, pydantic and the ORM (≈ 0.5 s). Here, with no terminal to ask on, the verb
    stops at the question (the refusal), having imported none of them."""
    created = invoke("ticket", "new", "--subject", "Printer", "--body", "It jams.")
    assert created.exit_code == 0, created.stderr
    unused = (*ORM, "helpdesk_tui.desk.facade", "helpdesk_tui.desk.ticket_view")
    assert loaded_by(["ticket", "status", "1", "closed"], unused) == []


def test_merging_two_requesters_asks_before_importing_the_orm(
    use_db: str, invoke: Invoke, loaded_by: LoadedBy, tmp_path: Path
) -> None:
    """A merge of two requesters' tickets asks first, naming both: its plan is read on Core
    tables (``desk/merge_plan``), so the question comes before SQLModel, pydantic and the
    ORM load (≈ 0.5 s). With no terminal to ask on, the verb stops at the question."""
    for sender in ("ann@example.com", "ben@example.com"):
        created = invoke("ticket", "new", "--subject", "VPN", "--body", "Down.", "--from", sender)
        assert created.exit_code == 0, created.stderr
    unused = (*ORM, "helpdesk_tui.desk.facade", "helpdesk_tui.desk.relations")
    assert loaded_by(["ticket", "merge", "1", "2"], unused) == []
    said = (tmp_path / "command-output").read_text()
    assert "#1 is from ann@example.com but #2 is from ben@example.com" in said, said
    assert "nothing was merged" in said, said


@pytest.mark.parametrize(
    ("db_url", "args"),
    on_engines(
        [["ticket", "show", "1"], ["ticket", "show", "1", "--json"]],
        also_on_postgres={0},  # (``--json`` only formats what the same read gave)
    ),
    indirect=["db_url"],
)
def test_showing_a_ticket_imports_no_lister(
    use_db: str, invoke: Invoke, args: list[str], loaded_by: LoadedBy
) -> None:
    """``ticket show`` reads one ticket: neither the lister and its search (``queue``,
    ``search``) nor their values (``queue_values``), which ``list`` and ``search`` need."""
    created = invoke("ticket", "new", "--subject", "Printer", "--body", "It jams.")
    assert created.exit_code == 0, created.stderr
    unused = (
        "helpdesk_tui.desk.queue",
        "helpdesk_tui.desk.search",
        "helpdesk_tui.desk.queue_values",
    )
    assert loaded_by(args, unused) == []


@pytest.mark.parametrize(
    ("db_url", "args", "uses"),
    on_engines(
        [
            (["agent", "list"], ()),
            (["agent", "list", "--json"], ()),
            (["team", "list"], ()),
            (["canned", "list"], ()),
            (["macro", "list"], ()),
            # (a word no title has: the search looks for the closest one, with rapidfuzz)
            (["kb", "search", "printer"], ("rapidfuzz",)),
            (["kb", "show", "1"], ()),
            (["sla", "policy", "list"], ()),
            (["sla", "calendar", "list"], ()),
            (["sla", "tier"], ()),
            (["rules", "list"], ()),
            (["survey", "status"], ()),
            # (a desk whose report tables are caught up: a catch-up with work loads the writer)
            (["report"], ()),
            (["mail", "status"], ("helpdesk_tui.mail.",)),
            (["mail", "status", "--json"], ("helpdesk_tui.mail.",)),
            (["kb", "search", "vpn"], ()),  # (a title has it: no closest one looked for)
            (["db", "status"], ()),  # (restores read on Core: no facade)
        ],
        # agent list (the admin reads), kb search (its SQL differs by engine), sla
        # policy list, report (its rollups' SQL differs) and mail status: one of each door
        also_on_postgres={0, 5, 7, 12, 13},
    ),
    indirect=["db_url"],
)
def test_the_other_groups_reads_import_no_orm(
    use_db: str, args: list[str], uses: tuple[str, ...], loaded_by: LoadedBy
) -> None:
    """The other groups' listings read on Core tables too (``AdminReads``, ``CannedReads``,
    ``KbReads``, ``SlaReads``, ``RoutingReads``, ``ReportReads``, ``SurveyReads``,
    ``MailReads``: the bases of the facade's services), not the ORM; ``mail status`` reads
    through the mail layer's door without its parser, clients or poller.

    Each verb holds its own area of the desk, not the facade, and loads neither the
    terminal UI nor mail (but ``mail``), Alembic, the PostgreSQL dialect (on SQLite) or the
    fuzzy matcher (but a ``kb search`` that looks for the closest title), nor, with
    settings validated before (``helpdesk init`` here), the settings' validation. (Two
    tests of their own forked ``agent list``, ``canned list``, ``report``, ``mail status``
    and ``kb search`` again to check those modules alone: the names are among these.)"""
    unused: tuple[str, ...] = (*UNUSED_BY_A_VERB, *ORM, "helpdesk_tui.desk.facade")
    if use_db.startswith("postgresql"):
        postgres = "sqlalchemy.dialects.postgresql"
        unused = (*(u for u in unused if u != postgres), "sqlalchemy.dialects.sqlite", "sqlite3")
    unused = tuple(u for u in unused if u not in uses)
    if uses == ("helpdesk_tui.mail.",):
        mail = ("helpdesk_tui.mail.parse", "helpdesk_tui.mail.service", "helpdesk_tui.mail.poller")
        unused = (*unused, *mail)
    assert loaded_by(args, unused) == []


@pytest.mark.parametrize(
    "db_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_a_report_catching_up_imports_no_orm(
    use_db: str, invoke: Invoke, loaded_by: LoadedBy
) -> None:
    """A report after a ticket write first replays that ticket into the report tables
    (``report_catchup``, on Core tables): still no ORM, SQLModel or pydantic, nor a
    ticket's reads (``ticket_reads``), and the replayed ticket is counted."""
    created = invoke("ticket", "new", "--subject", "Printer", "--body", "It jams.")
    assert created.exit_code == 0, created.stderr
    unused: tuple[str, ...] = (*UNUSED_BY_A_VERB, *ORM, "helpdesk_tui.desk.facade")
    if use_db.startswith("postgresql"):
        postgres = "sqlalchemy.dialects.postgresql"
        unused = (*(u for u in unused if u != postgres), "sqlalchemy.dialects.sqlite", "sqlite3")
    unused = (*unused, "helpdesk_tui.desk.ticket_reads", "helpdesk_tui.desk.report_catchup")
    assert loaded_by(["report"], unused) == ["helpdesk_tui.desk.report_catchup"]
    report = invoke("report", "--format", "json")
    assert report.exit_code == 0, report.stderr
    summary = {row["figure"]: row["value"] for row in json.loads(report.stdout)["summary"]}
    assert (summary["created"], summary["backlog"]) == (1, 1)


@pytest.mark.parametrize(
    "db_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_a_caught_up_report_imports_no_sla_rules(
    use_db: str, invoke: Invoke, loaded_by: LoadedBy
) -> None:
    """A report on a desk whose report tables are caught up reads stored minutes: neither
    the SLA rules (``sla``, ``sla_reads``: a replay's), a ticket's reads, the writer, a
    ticket's figures from its history (``report_figures``, with the tier moves) nor, without
    filters, the Core tables (``storage/core_tables``: the rollups and the backlog are read
    by SQL text)."""
    for args in (["ticket", "new", "--subject", "Printer", "--body", "It jams."], ["report"]):
        done = invoke(*args)
        assert done.exit_code == 0, done.stderr
    unused = (
        "helpdesk_tui.desk.sla",
        "helpdesk_tui.desk.sla_reads",
        "helpdesk_tui.desk.ticket_reads",
        "helpdesk_tui.desk.report_catchup",
        "helpdesk_tui.desk.report_figures",
        "helpdesk_tui.desk.escalation",
        "helpdesk_tui.storage.core_tables",
    )
    assert loaded_by(["report"], unused) == []


UNUSED_BY_A_WRITE = (
    "helpdesk_tui.desk.queue_values",
    "helpdesk_tui.desk.queries",
    "helpdesk_tui.desk.inbound",
    "helpdesk_tui.desk.satisfaction",
)
"""Modules a ticket write does without: the lister, a ticket's view and mail use them, and
a resolution (a survey to send): none of these verbs resolves."""
OTHER_AREAS = (
    "helpdesk_tui.desk.routing",
    "helpdesk_tui.desk.routing_reads",
    "helpdesk_tui.desk.kb_service",
    "helpdesk_tui.desk.canned_service",
    "helpdesk_tui.desk.report_service",
    "helpdesk_tui.storage.kb_models",
    "helpdesk_tui.storage.canned_models",
)
"""The desk's other areas (knowledge base, canned responses, reports) and their tables, and,
with no rules file, the routing rules (``ticket new``): a ticket write holds
``TicketsService`` alone."""
CLOCKS = ("helpdesk_tui.desk.sla_clock", "helpdesk_tui.desk.sla")
"""The SLA recompute's rules, imported by the first mark's recompute (``sla_marks``)."""
MOVES_A_CLOCK = {"note": False, "assign": False, "tag": False, "status": True}
"""Of the writes, those whose SLA rules are checked: only an event that moves a clock
marks its ticket."""


@pytest.mark.parametrize(
    ("db_url", "args"),
    on_engines(
        [
            ["ticket", "note", "1", "--body", "Checked the logs."],
            ["ticket", "call", "1", "--body", "Rang back."],
            ["ticket", "status", "1", "waiting"],
            ["ticket", "assign", "1", "--me"],
            ["ticket", "tag", "1", "--add", "vip"],
            ["ticket", "priority", "1", "high"],
            ["ticket", "escalate", "1"],
            ["ticket", "requester", "1", "--email", "ann@example.com"],
            ["ticket", "reply", "1", "--body", "Try again.", "--to", "ann@example.com"],
            ["ticket", "new", "--subject", "Scanner", "--body", "It is slow."],
        ],
        # a plain write (note), one that moves an SLA clock (status), the assignment's
        # upsert (each dialect's own statement), a reply (the outbox), intake (new)
        also_on_postgres={0, 2, 3, 8, 9},
    ),
    indirect=["db_url"],
)
def test_a_ticket_write_imports_no_orm_sqlmodel_or_pydantic(
    use_db: str, invoke: Invoke, args: list[str], loaded_by: LoadedBy
) -> None:
    """The facade's ticket writes run on Core tables (``Database.write_rows``,
    ``desk/ticket_record``): the same rules as the terminal's, without the ORM, SQLModel
    or pydantic (two fifths of a verb's start), nor the values of the queue's lister
    (``queue_values``), of a ticket's reads (``queries``) or of incoming mail (``inbound``),
    nor, short of a resolution, the satisfaction survey (``satisfaction``): a write hands
    back a ``TicketRow`` (``ticket_row_value``) and takes ``NewAttachment``s
    (``email_meta``), each frozen dataclass ≈ 0.5 ms of the start. The change is made, not
    refused. (A new ticket with routing rules is routed on the ORM: none here.)

    A ticket write holds ``TicketsService`` alone (``OTHER_AREAS``), and a note, an
    assignment or a tag moves no SLA clock, so does without the recompute's rules
    (``CLOCKS``), which a status change imports (``MOVES_A_CLOCK``). (Those were two tests
    of their own, forking the same verbs again to check those modules alone.)"""
    created = invoke("ticket", "new", "--subject", "Printer", "--body", "It jams.")
    assert created.exit_code == 0, created.stderr
    unused: tuple[str, ...] = (
        *UNUSED_BY_A_VERB,
        *ORM,
        *UNUSED_BY_A_WRITE,
        *OTHER_AREAS,
        "helpdesk_tui.desk.facade",
    )
    if use_db.startswith("postgresql"):
        postgres = "sqlalchemy.dialects.postgresql"
        unused = (*(u for u in unused if u != postgres), "sqlalchemy.dialects.sqlite", "sqlite3")
    moves_a_clock = MOVES_A_CLOCK.get(args[1])
    if moves_a_clock is not None:
        unused = (*unused, *CLOCKS)
    loaded = loaded_by(args, unused)
    assert loaded == (sorted(CLOCKS) if moves_a_clock else []), args
    shown = invoke("ticket", "show", "2" if args[1] == "new" else "1", "--json")
    assert shown.exit_code == 0, shown.stderr
    assert f'"version": {1 if args[1] == "new" else 2}' in shown.stdout, shown.stdout


def test_version(invoke: Invoke) -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"helpdesk, version {__version__}"


def test_a_command_whose_module_is_missing_is_one_line(invoke: Invoke) -> None:
    group = LazyGroup(
        lazy_subcommands={"ghost": "helpdesk_tui.cli.no_such_module:ghost"},
        lazy_help={"ghost": "Not written yet."},
    )
    from click.testing import CliRunner

    result = CliRunner().invoke(group, ["ghost"])
    assert result.exit_code == 1
    assert one_error_line(result.stderr) == (
        "error: the 'ghost' command is not available here: "
        "No module named 'helpdesk_tui.cli.no_such_module'"
    )
    assert invoke("locate", "data").exit_code == 0


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts(invoke: Invoke, shell: str) -> None:
    result = invoke("completion", shell)
    assert result.exit_code == 0
    assert "_HELPDESK_COMPLETE" in result.stdout
    assert f"{shell}_complete" in result.stdout


def test_bash_completion_puts_a_value_with_a_space_on_the_line_as_one_word(
    tmp_path: Path, run_forked: Forked
) -> None:
    """A team "Service Desk" (as the demo desk has) completes to ``Service\\ Desk``, not
    to two words; a ``*`` in a value is not expanded. Run by bash, with a stand-in for
    ``helpdesk`` that answers as the completion would."""
    script = run_forked("completion", "bash").stdout
    answer = tmp_path / "helpdesk"
    answer.write_text("#!/bin/sh\nprintf 'plain,Service Desk\\nplain,a*\\n'\n")
    answer.chmod(0o755)
    (tmp_path / "abc").touch()  # what an unquoted a* would expand to
    shell = (
        f'cd {tmp_path}; eval "$SCRIPT"; COMP_WORDS=(helpdesk ticket list --team S); '
        f"COMP_CWORD=4; _helpdesk_completion {answer}; "
        'for word in "${COMPREPLY[@]}"; do eval "set -- $word"; echo "$#:$1"; done'
    )
    result = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", shell],
        env={**os.environ, "SCRIPT": script},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.splitlines() == ["1:Service Desk", "1:a*"]


def test_completion_completes_lazy_subcommands(run_forked: Forked) -> None:
    result = run_forked(env={"_HELPDESK_COMPLETE": "bash_complete", "COMP_WORDS": "helpdesk ti",
                             "COMP_CWORD": "1"})  # fmt: skip
    assert result.returncode == 0
    assert "plain,ticket" in result.stdout
    result = run_forked(
        env={"_HELPDESK_COMPLETE": "bash_complete", "COMP_WORDS": "helpdesk ticket sta",
             "COMP_CWORD": "2"}
    )  # fmt: skip
    assert "plain,status" in result.stdout
    result = run_forked(
        env={"_HELPDESK_COMPLETE": "bash_complete",
             "COMP_WORDS": "helpdesk ticket list --status w", "COMP_CWORD": "4"}
    )  # fmt: skip
    assert result.stdout.split() == ["plain,waiting"]
    result = run_forked(
        env={"_HELPDESK_COMPLETE": "bash_complete",
             "COMP_WORDS": "helpdesk ticket list --priority ", "COMP_CWORD": "4"}
    )  # fmt: skip
    assert result.stdout.split() == ["plain,low", "plain,normal", "plain,high", "plain,urgent"]


def test_locate(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("locate", "config")
    assert result.stdout.splitlines() == [
        f"user config: {tmp_path / 'config' / 'config.toml'}",
        f"site config: {tmp_path / 'site-config' / 'config.toml'}",
    ]
    assert invoke("locate", "data").stdout.strip() == str(tmp_path / "data")


def test_no_arguments_opens_the_app_on_a_fresh_desk(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from helpdesk_tui.app import HelpdeskApp

    started: list[HelpdeskApp] = []
    monkeypatch.setattr(HelpdeskApp, "run", lambda self: started.append(self))
    result = invoke()
    assert result.exit_code == 0, result.stderr
    [app] = started
    assert (app.actor.name, app.actor.role) == (os_login(), "admin")
    assert app.db.url == f"sqlite:///{tmp_path / 'data' / 'helpdesk.db'}"
    assert f"made {os_login()} the first admin" in result.stderr


def test_python_dash_m_runs_the_same_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "helpdesk_tui", "--version"], capture_output=True, text=True
    )
    assert result.stdout.strip() == f"helpdesk, version {__version__}"
