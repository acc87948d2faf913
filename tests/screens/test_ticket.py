"""The ticket screen: thread, side panel, history, and every action from a key."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from textual import events
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Input, OptionList, Static

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.desk import agents, fields, presence, relations, thread
from helpdesk_tui.desk.actors import MAIL
from helpdesk_tui.desk.agents import add_agent
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.opening import DatabaseUnreachable
from helpdesk_tui.desk.queries import ticket_detail
from helpdesk_tui.desk.tickets import EmailMeta, NewAttachment
from helpdesk_tui.screens import ticket as ticket_screen
from helpdesk_tui.screens.confirm import ChoiceScreen
from helpdesk_tui.screens.pickers import PickScreen, PromptScreen, TicketPickScreen
from helpdesk_tui.screens.queue import QueueScreen
from helpdesk_tui.screens.ticket import ACTIONS, TicketScreen
from helpdesk_tui.storage.models import Activity
from helpdesk_tui.timefmt import clock_time
from helpdesk_tui.widgets.history_log import HistoryLog
from helpdesk_tui.widgets.side_panel import SidePanel
from helpdesk_tui.widgets.thread import MessageView, Thread
from tests.draft_places import load_draft
from tests.restyles import restyled
from tests.screens.conftest import FROZEN_NOW, HOSTILE_SUBJECTS, DeskData
from tests.screens.ticket_helpers import (
    drain,
    notifications,
    open_ticket,
    screen_lines,
    settle,
    until,
)

AppFactory = Callable[..., HelpdeskApp]


def _row(desk: DeskData, key: str):  # type: ignore[no-untyped-def]
    with desk.db.read() as s:
        return ticket_detail(s, desk.numbers[key]).row


async def test_an_agent_in_two_terminals_is_named_once(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    """Bob views the ticket in one terminal and replies in another: one marker, replying."""
    number = desk_data.numbers["printer"]  # bob's "term-bob" is viewing it
    with desk_data.db.write() as s:
        presence.heartbeat(
            s, desk_data.bob, "term-bob-2", number, Activity.REPLYING, now=FROZEN_NOW
        )
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert str(app.queue.table.cell(number, "on")) == "✎bob"
        await open_ticket(pilot, number)
        header = next(line for line in screen_lines(app) if "Bob Agent" in line)
        assert header.strip() == "✎ Bob Agent is replying"


async def test_long_thread_opens_at_the_latest_and_shows_what_i_sent(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    number = desk_data.numbers["printer"]
    # (the notes at the app's clock, as the reply sent below will be: a thread is in the
    # order of time, and at the wall's they came after it)
    with time_machine.travel(FROZEN_NOW, tick=False), desk_data.db.write() as s:
        for n in range(12):
            thread.add_note(s, desk_data.bob, number, body=f"Step {n}\nstill smoking")
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_ticket(pilot, number)
        view = screen.query_one(Thread)
        await until(pilot, lambda: view.max_scroll_y > 0)
        await settle(pilot)
        assert view.scroll_y == view.max_scroll_y
        with time_machine.travel(FROZEN_NOW, tick=False), desk_data.db.write() as s:
            thread.add_note(s, desk_data.bob, number, body="Out at last")
        screen.reload()
        await settle(pilot)
        assert view.scroll_y == view.max_scroll_y
        assert "Out at last" in "\n".join(screen_lines(app))
        await pilot.press("home")  # read from the start, then answer
        await settle(pilot)
        assert view.scroll_y == 0
        await pilot.press("r")
        await until(pilot, lambda: not isinstance(app.screen, TicketScreen))
        await pilot.press(*"Sent from the top", "ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, TicketScreen))
        await until(pilot, lambda: "Sent from the top" in "\n".join(screen_lines(app)))
        assert view.scroll_y == view.max_scroll_y


async def test_a_thread_read_at_its_end_stays_there_through_a_resize(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    """What the terminal shows: the latest message stays in sight when the terminal is
    resized (narrower lines wrap into more of them); it was left below the window, and only
    a key brought it back. A thread read from its start stays at its start. Each size in
    turn, the ticket opened again (at its end) in one app run."""
    number = desk_data.numbers["printer"]
    with desk_data.db.write() as s:
        for n in range(6):
            thread.add_note(s, desk_data.bob, number, body=f"Step {n}: still smoking, " * 3)
        thread.add_note(s, desk_data.bob, number, body="Out at last")
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        for resized in [(60, 15), (120, 30), (64, 30)]:
            screen = await open_ticket(pilot, number)
            view = screen.query_one(Thread)
            await until(pilot, lambda view=view: view.max_scroll_y > 0)  # type: ignore[misc]
            await settle(pilot)
            assert "Out at last" in "\n".join(screen_lines(app)), resized
            await pilot.resize_terminal(*resized)
            await settle(pilot)
            assert "Out at last" in "\n".join(screen_lines(app)), resized
            await pilot.press("home")
            await settle(pilot)
            await pilot.resize_terminal(80, 24)
            await settle(pilot)
            assert view.scroll_y == 0, resized
            await pilot.press("escape")
            await until(pilot, lambda: isinstance(app.screen, QueueScreen))


async def test_a_narrow_terminal_puts_the_side_panel_under_the_thread(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    """What is drawn below 60 columns: the side panel (32 cells) beside the thread left it a
    cell or a few (one letter a line at 40 columns); it goes under the thread, and back
    beside it when the terminal is wide again. Opening it styles each widget once as it is
    mounted (and the focused ones as they take the focus): the screen is made with its
    width's class (``TicketScreen._width_classes``), and its first showing is not restyled
    (``ShownOnce._on_screen_resume``); each restyled all of it again. Nor is the queue under
    it: the ticket screen's CSS, read at its first showing, restyled every widget of the app."""
    number = desk_data.numbers["laptop"]
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        with restyled() as nodes:
            screen = await open_ticket(pilot, number)
        assert "-wide" in screen.classes
        times = Counter(node for node in nodes if node.is_attached and node.screen is screen)
        assert max(times.values()) == 2, "styled as mounted and on focus; not resumed, resized"
        under = [
            n for n in nodes if isinstance(n, Widget) and n.is_attached and n.screen is not screen
        ]
        assert not under, "the queue under it is not restyled (every screen's CSS read at start)"
        await pilot.press("home")
        await settle(pilot)
        assert any(line.endswith("│ Requester") for line in screen_lines(app))
        await pilot.resize_terminal(44, 20)
        await settle(pilot)
        lines = screen_lines(app)
        assert " ▌ Black screen after the update." in lines
        assert " Requester" in lines and not any("│ Requester" in line for line in lines)
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert any(line.endswith("│ Requester") for line in screen_lines(app))


async def test_thread_kinds_side_panel_history_and_quoted_history_folded(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    """One app run: a ticket's thread shows each kind of entry, the side panel and the
    history (h); then another's quoted history is folded until asked (f)."""
    number = desk_data.numbers["printer"]
    quoted = desk_data.numbers["vpn"]
    body = "Still broken today.\n\nOn Mon, Ben Baker wrote:\n> My old words\n> quoted back."
    with desk_data.db.write() as s:
        thread.add_customer_message(s, MAIL, quoted, body=body)
    with desk_data.db.write() as s:
        thread.reply(s, desk_data.ada, number, body="We are on our way.")
        thread.add_note(s, desk_data.bob, number, body="Fire brigade called")
        thread.log_call(s, desk_data.bob, number, body="Ann phoned: it is out")
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_ticket(pilot, number)
        kinds = [sorted(v.classes)[0] for v in screen.query(MessageView)]
        assert {"-customer", "-reply", "-note", "-system"} <= set(kinds)
        text = "\n".join(screen_lines(app))
        for shown in (
            "Printer on fire",
            "Customer · Ann Archer",
            "Reply · ada",
            "Internal note · bob",
            "Phone call · bob",
            "ada: status new → open",
            "Bob Agent is viewing",
            "urgent",
            "Support",
            "hardware",
            "Their other tickets",
            f"#{desk_data.numbers['laptop']}",
        ):
            assert shown in text, shown
        await pilot.press("h")
        assert "History" in "\n".join(screen_lines(app))
        assert screen.query_one("#ticket-main").current == "history"  # type: ignore[attr-defined]
        await pilot.press("h")
        assert screen.query_one("#ticket-main").current == "thread"  # type: ignore[attr-defined]
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, QueueScreen))
        # Quoted history folded until asked.
        await open_ticket(pilot, quoted)
        text = "\n".join(screen_lines(app))
        assert "Still broken today." in text
        assert "quoted back." not in text and "quoted lines folded (f shows)" in text
        await pilot.press("f")
        await pilot.pause()
        assert "quoted back." in "\n".join(screen_lines(app))


async def test_a_key_right_after_h_goes_to_its_pane_a_picker_survives_a_narrow_terminal(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    """One app run, two facts. h and End arriving together (typed quickly, or read in one
    go from the terminal): End scrolls the history just shown, not the thread just hidden.
    The focus moved a moment after the switch, so the End went to the thread. Then, on
    another ticket: a real terminal shrunk below 8 columns with a picker open crashed the
    app (its choices were wrapped at width 0: Rich's ``chop_cells`` raised); the picker
    stays, usable again once the terminal is wide again. The status picker (``s``), then
    the agent's (``a``)."""
    number = desk_data.numbers["printer"]
    with desk_data.db.write() as s:
        for i in range(30):
            thread.add_note(s, desk_data.ada, number, body=f"Note {i:02}")
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_ticket(pilot, number)
        history = screen.query_one(HistoryLog)
        app.post_message(events.Key("h", "h"))
        app.post_message(events.Key("end", None))
        await settle(pilot)
        assert app.focused is history
        assert "created" in "\n".join(screen_lines(app))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, QueueScreen))
        # A picker survives a terminal a few columns wide.
        number = desk_data.numbers["laptop"]
        await open_ticket(pilot, number)
        for key in ["s", "a"]:
            await pilot.press(key)
            await until(pilot, lambda: isinstance(app.screen, PickScreen) and bool(_options(app)))
            for size in [(6, 5), (1, 1), (80, 24)]:
                await pilot.resize_terminal(*size)
                await settle(pilot)
                screen_lines(app)  # (drawn: the crash was in laying the choices out)
            assert isinstance(app.screen, PickScreen) and app.is_running, key
            await pilot.press("escape")
            await until(pilot, lambda: isinstance(app.screen, TicketScreen))


async def test_hostile_text_is_shown_literally(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    """Each hostile subject's ticket (one app run opens them in turn), its message, file name
    and category carrying markup, escape sequences and a bidi override: shown as typed."""
    hostile = (
        "[bold red]pwn[/] [link=file:///etc/passwd]x[/link] \x1b[2J\x1b]52;c;aGk=\x07 \u202eevil"
    )
    expected = {
        "markup": "[bold red]pwn[/]",
        "link": "[link=file:///etc/passwd]x[/link]",
        "clear": "Clear screen copied",
        "bidi": "Invoice exe.fdp",
    }
    assert sorted(expected) == sorted(HOSTILE_SUBJECTS)
    with desk_data.db.write() as s:
        for key in expected:
            thread.add_customer_message(
                s,
                MAIL,
                desk_data.numbers[key],
                body=f"line one {hostile}\nline two",
                email=EmailMeta(attachments=(NewAttachment(f"{hostile}.pdf", b"x"),)),
            )
            fields.set_category(s, desk_data.ada, desk_data.numbers[key], hostile)
    app = make_test_app()
    async with app.run_test(size=(200, 50)) as pilot:
        for key, subject in expected.items():
            number = desk_data.numbers[key]
            await open_ticket(pilot, number)
            text = "\n".join(screen_lines(app))
            assert not any(ch in text for ch in "\x1b\x07\u202e"), key
            assert "[bold red]pwn[/] [link=file:///etc/passwd]x[/link]" in text, key
            assert "line two" in text, key  # bodies keep their line breaks
            assert f"#{number} {subject}" in text, key
            await pilot.press("escape")
            await until(pilot, lambda: isinstance(app.screen, QueueScreen))


async def test_status_change_from_a_picker_and_an_action_from_the_command_palette(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    """The status picker (``s``) changes the status; then an action run from the command
    palette (Escalate) does what its key does. One app run."""
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_ticket(pilot, desk_data.numbers["vpn"])
        await pilot.press("s")
        assert isinstance(app.screen, PickScreen)
        await pilot.press(*"wait", "enter")
        await until(pilot, lambda: screen.view is not None and screen.view.row.status == "waiting")
        assert _row(desk_data, "vpn").status == "waiting"
        assert any("status: waiting" in n for n in notifications(app))
        await settle(pilot)
        await pilot.press("ctrl+p", *"Escalate")
        await settle(pilot)
        await pilot.press("enter")
        await until(pilot, lambda: _row(desk_data, "vpn").tier == 2)


async def test_a_change_from_a_stale_version_is_refused_naming_who(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_ticket(pilot, desk_data.numbers["vpn"])
        await pilot.press("p")  # ada starts from what she sees now…
        with desk_data.db.write() as s:  # …while bob changes the ticket
            fields.set_status(s, desk_data.bob, desk_data.numbers["vpn"], "in_progress")
        await pilot.press(*"urgent", "enter")
        await until(pilot, lambda: any("was changed by bob" in n for n in notifications(app)))
        refused = [n for n in notifications(app) if "was changed by bob" in n]
        assert len(refused) == 1 and "status new → in progress" in refused[0]
        assert _row(desk_data, "vpn").priority == "high"  # nothing was saved
        await until(
            pilot, lambda: screen.view is not None and screen.view.row.status == "in_progress"
        )


async def test_a_field_picker_starts_on_the_value_a_prompt_left_with_esc_keeps_its_text(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    """One app run, two facts. p then Enter keeps the priority and says so (it said "#2
    priority: high", as if it had changed it); ↑ moves from the value the ticket has: one
    priority up is p ↑ Enter. Then: t, some tags typed, Esc: t again has them (they were
    gone), until the ticket changes."""
    number = desk_data.numbers["vpn"]
    before = _row(desk_data, "vpn")
    assert before.priority == "high"
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_ticket(pilot, number)
        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, PickScreen))
        await pilot.press("enter")
        await until(pilot, lambda: bool(notifications(app)))
        assert notifications(app) == [f"Nothing changed: #{number} has high already"]
        assert _row(desk_data, "vpn").version == before.version
        await pilot.press("p", "up", "enter")
        await until(pilot, lambda: screen.view is not None and screen.view.row.priority == "urgent")
        assert _row(desk_data, "vpn").priority == "urgent"
        await settle(pilot)
        # A prompt left with Esc opens again with what was typed.
        await pilot.press("t", *"vpn", "space", *"remote", "escape")
        await until(pilot, lambda: app.screen is screen)
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await settle(pilot)
        assert app.screen.query_one(Input).value == "vpn remote"
        assert "kept from before Esc" in " ".join(screen_lines(app))
        await pilot.press("escape")
        with desk_data.db.write() as s:  # bob changes the ticket meanwhile
            fields.set_priority(s, desk_data.bob, number, "low")
        await until(pilot, lambda: screen.view is not None and screen.view.row.priority == "low")
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        assert app.screen.query_one(Input).value == ""  # what the ticket has now


def _options(app: HelpdeskApp) -> list[str]:
    options = app.screen.query_one(OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def test_pickers_word_statuses_and_agents_as_the_rest_of_the_ui(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    with desk_data.db.write() as s:
        add_agent(s, desk_data.ada, "root")  # no name, no team
    laptop, printer = desk_data.numbers["laptop"], desk_data.numbers["printer"]
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_ticket(pilot, laptop)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, PickScreen) and bool(_options(app)))
        options = _options(app)
        assert "root" in options
        assert "bob  Bob Agent · Support" in options
        await pilot.press("escape", "s")
        await until(pilot, lambda: isinstance(app.screen, PickScreen))
        title = str(app.screen.query_one("#picker-title", Static).render())
        assert title == f"Status of #{laptop} (now in progress)"
        await pilot.press("escape", "h")
        await settle(pilot)
        assert any("ada: status new → in progress" in line for line in screen_lines(app))
        await open_ticket(pilot, printer)
        await pilot.press("M", *f"#{laptop}")
        await until(pilot, lambda: isinstance(app.screen, TicketPickScreen) and bool(_options(app)))
        assert _options(app) == [f"#{laptop} in progress Laptop will not boot  ann@example.com"]


async def test_assign_to_me_agent_and_team(make_test_app: AppFactory, desk_data: DeskData) -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_ticket(pilot, desk_data.numbers["vpn"])
        await pilot.press("m")
        await until(pilot, lambda: _row(desk_data, "vpn").assignee == "ada")
        await settle(pilot)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, PickScreen))
        await pilot.press(*"bo", "enter")
        await until(pilot, lambda: _row(desk_data, "vpn").assignee == "bob")
        await settle(pilot)
        await pilot.press("T")
        await until(pilot, lambda: isinstance(app.screen, PickScreen))
        await pilot.press(*"bill", "enter")
        await until(pilot, lambda: _row(desk_data, "vpn").team == "Billing")
        await settle(pilot)
        assert screen.view is not None and screen.view.row.team == "Billing"
        # bob's now: m (one key) asks before it takes a colleague's ticket (it took it)
        number = desk_data.numbers["vpn"]
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        assert f"#{number} is bob's. Take it from them?" in "\n".join(screen_lines(app))
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)
        assert _row(desk_data, "vpn").assignee == "bob"
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        await pilot.press("y")
        await until(pilot, lambda: _row(desk_data, "vpn").assignee == "ada")


async def test_type_category_tags_escalate_and_merge_into_a_ticket_picked_by_number(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    """One app run: the printer ticket's type, category, tags and tier set by their keys;
    then the laptop ticket merged into it, picked by number."""
    source, target = desk_data.numbers["laptop"], desk_data.numbers["printer"]
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_ticket(pilot, desk_data.numbers["printer"])
        await pilot.press("y", *"incid", "enter")
        await until(pilot, lambda: _row(desk_data, "printer").type == "incident")
        await settle(pilot)
        await pilot.press("C")
        assert isinstance(app.screen, PromptScreen)
        await pilot.press(*"Facilities", "enter")
        await until(pilot, lambda: _row(desk_data, "printer").category == "Facilities")
        await settle(pilot)
        await pilot.press("t")
        await pilot.press("end", *" fire", "enter")
        await until(pilot, lambda: _tags(desk_data, "printer") == ["fire", "hardware"])
        await settle(pilot)
        await pilot.press("e")
        await until(pilot, lambda: _row(desk_data, "printer").tier == 2)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, QueueScreen))
        # Merge into a ticket picked by number.
        screen = await open_ticket(pilot, source)
        await pilot.press("M")
        assert isinstance(app.screen, TicketPickScreen)
        await pilot.press(*f"#{target}")
        await settle(pilot)
        await pilot.press("enter")
        await pilot.press("y")  # confirm
        await until(pilot, lambda: screen.number == target and screen.view is not None)
        with desk_data.db.read() as s:
            assert ticket_detail(s, source).merged_into == target


def _tags(desk: DeskData, key: str) -> list[str]:
    with desk.db.read() as s:
        return ticket_detail(s, desk.numbers[key]).tags


async def test_link_to_a_ticket_found_by_words_and_desk_refusals_are_notifications(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    """``l`` links to a ticket found by words; a change the desk refuses (escalating a
    ticket at tier 4) is a notification, not a crash. One app run."""
    number = desk_data.numbers["printer"]
    with desk_data.db.write() as s:
        fields.set_tier(s, desk_data.ada, number, 4)
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_ticket(pilot, number)
        await pilot.press("l", *"tunnel")
        await settle(pilot)
        await pilot.press("enter")
        await until(pilot, lambda: _links(desk_data, "printer") == [("related", 2)])
        await settle(pilot)
        await pilot.press("e")
        await until(pilot, lambda: any("already at tier 4" in n for n in notifications(app)))
        assert app.screen is screen and app.is_running, "refusal"


def _links(desk: DeskData, key: str) -> list[tuple[str, int]]:
    with desk.db.read() as s:
        return ticket_detail(s, desk.numbers[key]).links


async def test_take_next_claims_the_most_urgent(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    app = make_test_app(actor=desk_data.bob)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_ticket(pilot, desk_data.numbers["thanks"])
        await pilot.press("x")
        # The VPN ticket (high, unassigned) is cy's to answer: cy is replying to it.
        link = desk_data.numbers["link"]  # normal, unassigned, oldest of those
        await until(pilot, lambda: screen.number == link and screen.view is not None)
        assert _row(desk_data, "link").assignee == "bob"
        assert _row(desk_data, "vpn").assignee is None
        assert f"You took #{link}" in notifications(app)


async def test_save_an_attachment_and_refuse_to_overwrite_silently(
    make_test_app: AppFactory, desk_data: DeskData, tmp_path: Path
) -> None:
    number = desk_data.numbers["printer"]
    with desk_data.db.write() as s:
        files = (NewAttachment("../../photo.jpg", b"JPEGDATA"),)
        thread.add_customer_message(
            s, MAIL, number, body="photo", email=EmailMeta(attachments=files)
        )
    existing = tmp_path / "photo.jpg"
    existing.write_bytes(b"mine")
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_ticket(pilot, number)
        assert "Attachment: ../../photo.jpg (8 B)" in "\n".join(screen_lines(app))
        await pilot.press("d", "enter")
        assert isinstance(app.screen, PromptScreen)
        await _answer(pilot, str(existing))
        await until(pilot, lambda: "photo.jpg exists" in str(getattr(app.screen, "question", "")))
        assert existing.read_bytes() == b"mine"
        await pilot.press("o")
        await until(pilot, lambda: existing.read_bytes() == b"JPEGDATA")
        await pilot.press("d", "enter")
        await _answer(pilot, str(tmp_path / "copy.jpg"))
        await until(pilot, lambda: (tmp_path / "copy.jpg").exists())


async def _answer(pilot: Pilot[None], text: str) -> None:
    """Type a long answer into the open prompt at once, then press Enter."""
    pilot.app.screen.query_one(Input).value = text
    await pilot.press("enter")


async def test_next_and_previous_without_the_queue_and_every_action_in_the_palette(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    """``]`` and ``[`` go to the queue's next and previous tickets without it; then every
    action of the ticket is in the palette and has a key. One app run."""
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        queue_numbers = app.queue.table.numbers
        assert len(queue_numbers) >= 2
        screen = await open_ticket(pilot, queue_numbers[0])
        await pilot.press("right_square_bracket")
        await until(pilot, lambda: screen.number == queue_numbers[1] and screen.view is not None)
        await pilot.press("left_square_bracket")
        await until(pilot, lambda: screen.number == queue_numbers[0] and screen.view is not None)
        assert app.screen is screen, "next and previous"
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is app.queue)
        screen = await open_ticket(pilot, desk_data.numbers["printer"])
        commands = screen.palette_commands()
        # ... but "Article from ticket", offered only where it works: a resolved ticket.
        assert len(commands) == len(ACTIONS) - 1
        titles = {title for title, _, _ in commands}
        assert f"#{screen.number}: Reply" in titles and f"#{screen.number}: Merge" in titles
        assert f"#{screen.number}: Article from ticket" not in titles
        bound = {b.binding.id for b in screen.active_bindings.values()}
        assert {f"ticket.{a.name}" for a in ACTIONS} <= bound
        history = next(cb for title, _, cb in commands if title.endswith("History"))
        history()
        await pilot.pause()
        assert screen.query_one("#ticket-main").current == "history"  # type: ignore[attr-defined]
        assert isinstance(screen, TicketScreen)
        await pilot.press("escape")
        resolved = await open_ticket(pilot, desk_data.numbers["thanks"])
        titles = {title for title, _, _ in resolved.palette_commands()}
        assert f"#{resolved.number}: Article from ticket" in titles


async def test_a_ticket_deleted_while_open_is_said_once(
    make_test_app: AppFactory, desk_data: DeskData, monkeypatch: pytest.MonkeyPatch
) -> None:
    from helpdesk_tui.desk.relations import delete_ticket

    number = desk_data.numbers["wifi"]
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_ticket(pilot, number)
        monkeypatch.setattr(ticket_screen, "BEAT_SECONDS", 0.01)
        screen._rearm()  # (the beat set for 1.5 s at the opening comes now, then every 0.01 s)
        with desk_data.db.write() as s:
            delete_ticket(s, desk_data.ada, number)
        await until(pilot, lambda: f"no ticket #{number}" in notifications(app))
        await pilot.pause(0.2)  # many beats' time, were it still beating: no more notifications
        assert notifications(app).count(f"no ticket #{number}") == 1
        assert app.screen is screen


async def test_an_outage_is_said_on_the_presence_line_while_it_lasts(
    make_test_app: AppFactory, desk_data: DeskData, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL stopped while a ticket is open: the beat fails (``DatabaseUnreachable``),
    one notice says so, and the presence line, where who else is here was, says since when
    the desk does not answer until a beat is answered again (the notice goes by itself)."""
    number = desk_data.numbers["printer"]  # bob is viewing it
    away = threading.Event()
    beat = Desk.presence_beat

    def beating(desk: Desk, *args: Any, **kwargs: Any) -> Any:
        if away.is_set():
            raise DatabaseUnreachable("database error at the desk: connection refused")
        return beat(desk, *args, **kwargs)

    monkeypatch.setattr(Desk, "presence_beat", beating)
    now = [FROZEN_NOW]
    app = make_test_app(clock=lambda: now[0])
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_ticket(pilot, number)
        presence_line = screen.query_one("#ticket-presence", Static)
        assert "Bob Agent is viewing" in str(presence_line.render())
        monkeypatch.setattr(ticket_screen, "BEAT_SECONDS", 0.01)
        screen._rearm()  # (the beat set for 1.5 s at the opening comes now, then every 0.01 s)
        went = now[0] = FROZEN_NOW + timedelta(minutes=12)
        away.set()
        await until(pilot, lambda: "not answering" in str(presence_line.render()))
        now[0] = went + timedelta(minutes=5)
        await pilot.pause(0.2)  # many beats' time: the first failure's time stays
        at = clock_time(went)
        assert f"desk not answering since {at} — retrying" in screen_lines(app)[2]
        assert presence_line.has_class("-outage")
        told = [n for n in notifications(app) if "connection refused" in n]
        assert len(told) == 1, told
        away.clear()  # (bob's marker has expired meanwhile: 17 minutes have gone by)
        await until(pilot, lambda: "No one else is here" in str(presence_line.render()))
        assert not presence_line.has_class("-outage")


async def test_footer_side_panel_and_g_with_nothing_related_at_80x24(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    """Three facts of the ticket screen at 80x24, one app run: ``g`` on a ticket with
    nothing related says so (``_g_with_nothing_related_says_so``, first: the link the
    others need is written after it); the footer shows the triage keys
    (``_footer_shows_the_triage_keys``); the side panel's links and other tickets from the
    keyboard (``_side_panel_links_and_other_tickets_from_the_keyboard``)."""
    printer, vpn = desk_data.numbers["printer"], desk_data.numbers["vpn"]
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _g_with_nothing_related_says_so(pilot, app, vpn)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, QueueScreen))
        with desk_data.db.write() as s:
            relations.link(s, desk_data.ada, printer, vpn)
        screen = await open_ticket(pilot, printer)
        _footer_shows_the_triage_keys(app)
        await _side_panel_links_and_other_tickets_from_the_keyboard(pilot, screen, desk_data)


async def _g_with_nothing_related_says_so(pilot: Pilot[None], app: HelpdeskApp, vpn: int) -> None:
    screen = await open_ticket(pilot, vpn)  # Ben's only ticket
    await pilot.press("g")
    assert screen.query_one(Thread).has_focus, "g, nothing related: the thread keeps the focus"
    assert "Nothing linked or suggested for this ticket" in notifications(app)


def _footer_shows_the_triage_keys(app: HelpdeskApp) -> None:
    """Open, assign, reply, set status, next: each key readable in the footer at 80 columns."""
    footer = screen_lines(app)[-1]
    for key in ("esc Back", "r Reply", "n Note", "m Mine", "a Assign", "s Status"):
        assert key in footer, ("the footer", key, footer)
    assert "] Next" in footer and "? Keys" in footer, ("the footer", footer)


async def _side_panel_links_and_other_tickets_from_the_keyboard(
    pilot: Pilot[None], screen: TicketScreen, desk_data: DeskData
) -> None:
    """g (or Tab) focuses the side panel's list, down moves, Enter opens the ticket, Esc
    leaves the list before it leaves the ticket, and goes back to the ticket it was opened
    from before the queue (it went to the queue: no way back to the first ticket); at
    80x24, where the panel is narrowest."""
    printer, vpn, laptop = (desk_data.numbers[k] for k in ("printer", "vpn", "laptop"))
    app = pilot.app
    side = screen.query_one(SidePanel)
    ids = [side.related.get_option_at_index(i).id for i in range(side.related.option_count)]
    assert ids == [
        None,
        f"ticket:{vpn}:link:related",
        None,
        f"ticket:{laptop}:other",
    ], "the side panel's entries"  # headings: None
    await pilot.press("g")
    assert side.related.has_focus and side.related.highlighted == 1
    await pilot.press("escape")
    assert isinstance(app.screen, TicketScreen) and screen.query_one(Thread).has_focus
    await pilot.press("tab")
    assert side.related.has_focus
    await pilot.press("down", "enter")
    await until(pilot, lambda: screen.number == laptop and screen.view is not None)
    assert screen.view is not None and screen.view.row.subject == "Laptop will not boot"
    assert screen.query_one(Thread).has_focus
    await pilot.press("escape")
    await until(pilot, lambda: screen.number == printer and screen.view is not None)
    assert app.screen is screen and screen.query_one(Thread).has_focus
    await pilot.press("escape")
    assert isinstance(app.screen, QueueScreen)


async def test_an_agent_deactivated_while_the_app_runs_can_no_longer_write(
    make_test_app: AppFactory, desk_data: DeskData, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An admin deactivates bob while his terminal is open on a ticket (a team's audit at
    80x24 on PostgreSQL: his note still went in, where the CLI refused him): the note is
    refused, nothing is added, and the desk is covered (the note kept as a draft)."""
    from helpdesk_tui.screens.access_ended import AccessEndedScreen
    from helpdesk_tui.screens.composer import ComposerScreen

    number = desk_data.numbers["printer"]
    monkeypatch.setattr(ticket_screen, "BEAT_SECONDS", 3600.0)  # (no beat tells it first)
    app = make_test_app(actor=desk_data.bob)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_ticket(pilot, number)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, ComposerScreen))
        await settle(pilot)
        await pilot.press(*"after the deactivation")
        with desk_data.db.write() as s:
            agents.set_active(s, desk_data.ada, "bob", active=False)
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, AccessEndedScreen))
        with desk_data.db.read() as s:
            assert "after the deactivation" not in str(ticket_detail(s, number))
        assert app.refused == DEACTIVATED
        assert load_draft(desk_data.db, number, "note") == "after the deactivation"
        await pilot.press("ctrl+r")  # (the composer is under the cover: nothing is sent)
        await settle(pilot)
        assert isinstance(app.screen, AccessEndedScreen)
        with desk_data.db.read() as s:
            assert "after the deactivation" not in str(ticket_detail(s, number))


DEACTIVATED = "bob is deactivated on this helpdesk; an admin can run: helpdesk agent reactivate bob"


async def test_a_role_given_brings_its_keys_a_deactivated_agent_is_covered_once(
    make_test_app: AppFactory, desk_data: DeskData, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One app run, bob's terminal on a ticket, two facts. Bob made a supervisor while his
    terminal is open: the next beat tells him once, and the supervisor's keys (O Reopen)
    are his without a restart; made an agent again, gone. Then: deactivated while his
    terminal shows a ticket (a team's audit on PostgreSQL), bob's
    desk is covered by the next beat, once however many beats run, with no "Cannot reach"
    notice and no key that reaches the ticket (neither a change nor a read). Reactivated
    (the cover's check, by the app's clock), the ticket is back with its keys."""
    from helpdesk_tui.screens import access_ended
    from helpdesk_tui.screens.access_ended import AccessEndedScreen

    number = desk_data.numbers["printer"]
    now = [FROZEN_NOW]
    app = make_test_app(actor=desk_data.bob, clock=lambda: now[0])
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_ticket(pilot, number)
        assert not screen.check_action("reopen", ())
        monkeypatch.setattr(ticket_screen, "BEAT_SECONDS", 0.01)
        screen._rearm()  # (the beat set for 1.5 s at the opening comes now, then every 0.01 s)
        with desk_data.db.write() as s:
            agents.set_role(s, desk_data.ada, "bob", "supervisor")
        await until(pilot, lambda: app.actor.role == "supervisor")
        await pilot.pause(0.1)
        assert screen.check_action("reopen", ())
        assert notifications(app).count("bob is now supervisor on this helpdesk") == 1
        with desk_data.db.write() as s:
            agents.set_role(s, desk_data.ada, "bob", "agent")
        await until(pilot, lambda: app.actor.role == "agent")
        assert not screen.check_action("reopen", ())
        # Deactivated: covered once, offered nothing; reactivated, back.
        assert "n Note" in screen_lines(app)[-1]  # (beating every 0.01 s since the role)
        with desk_data.db.write() as s:
            agents.set_active(s, desk_data.ada, "bob", active=False)
        await until(pilot, lambda: isinstance(app.screen, AccessEndedScreen))
        await pilot.pause(0.2)  # many beats' time: covered once
        await drain(pilot)
        assert sum(isinstance(s, AccessEndedScreen) for s in app.screen_stack) == 1
        assert not [n for n in notifications(app) if "Cannot reach" in n]
        footer = screen_lines(app)[-1]
        for gone in ("r Reply", "n Note", "m Mine", "] Next", "esc Back"):
            assert gone not in footer, footer
        await pilot.press("n", "m", "h", "escape")
        await drain(pilot)
        assert isinstance(app.screen, AccessEndedScreen)
        with desk_data.db.read() as s:
            assert ticket_detail(s, number).row.assignee != "bob"
        with desk_data.db.write() as s:
            agents.set_active(s, desk_data.ada, "bob", active=True)
        now[0] += timedelta(seconds=access_ended.CHECK_SECONDS)
        cover = app.screen
        assert isinstance(cover, AccessEndedScreen)
        cover.tick()  # (the cover's look at the clock, as its once-a-second timer makes it)
        await until(pilot, lambda: app.screen is screen)
        await drain(pilot)
        assert app.refused is None
        assert "n Note" in screen_lines(app)[-1]
        assert notifications(app).count("bob may use this helpdesk again") == 1
