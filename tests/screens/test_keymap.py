"""A bad ``[ui.keymap]`` entry is one line at start-up, never a silently dead key."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.config import ConfigError, Settings
from helpdesk_tui.keymap import binding_keys, check_keymap, is_key
from helpdesk_tui.ui_settings import UiSettings
from tests.screens.conftest import DeskData


@pytest.mark.parametrize(
    "key", ["x", "X", "ä", "f12", "ctrl+s", "shift+tab", "question_mark", "slash", "pageup", "@"]
)
def test_keys_textual_can_report(key: str) -> None:
    assert is_key(key)


@pytest.mark.parametrize("key", ["", "ctrl+", "+", "ctrl+bananas", "ctrl+shift", "hyperdrive+x"])
def test_keys_that_can_never_come(key: str) -> None:
    assert not is_key(key)


def test_every_screens_and_widgets_binding_id_is_known() -> None:
    keys = binding_keys([HelpdeskApp])
    assert {"app.quit", "queue.search", "queue.open", "ticket.reply"} <= set(keys)
    assert keys["queue.search"] == "slash" and keys["queue.filter"] == "f"


def test_a_bad_keymap_is_refused_in_one_line(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    keymap = {"queue.serch": "x", "queue.search": "s,ctrl+bananas,", "queue.next_view": "n"}
    settings = Settings(database_url=desk_data.db.url, ui=UiSettings(keymap=keymap))
    with pytest.raises(ConfigError) as raised:
        make_test_app(settings=settings)
    assert str(raised.value) == (
        "bad value for 'ui.keymap.queue.serch': no key binding has this id (? lists them); "
        "bad value for 'ui.keymap.queue.search': not a key: 'ctrl+bananas', ''"
    )


@pytest.mark.parametrize(
    ("keymap", "problem"),
    [
        ({"queue.search": "f"}, "'ui.keymap.queue.search': f is queue.filter's key too"),
        ({"queue.filter": "/"}, "'ui.keymap.queue.filter': slash is queue.search's key too"),
        ({"queue.search": "x,f1"}, "'ui.keymap.queue.search': f1 is app.help's key too"),
        (
            {"app.help": "s"},
            "'ui.keymap.app.help': s is kb.filter_status, queue.marked_status, queue.sort, "
            "ticket.status's key too",
        ),
        (
            {"queue.search": "s", "queue.marked_status": "Z", "queue.sort": "g"},
            "'ui.keymap.queue.sort': g is queue.first's",
        ),
    ],
)
def test_a_key_two_bindings_of_one_screen_would_share_is_refused(
    keymap: dict[str, str], problem: str
) -> None:
    """Textual gives such a key to one of them and silently takes it from the other
    ("queue.search" = "f" left the queue without Filter)."""
    with pytest.raises(ConfigError) as raised:
        check_keymap(keymap, binding_keys([HelpdeskApp]))
    assert str(raised.value).startswith(f"bad value for {problem}")


@pytest.mark.parametrize(
    "keymap",
    [
        {"queue.search": "f", "queue.filter": "slash"},  # swapped
        # moved out of the way (s is the marked tickets' status too)
        {"queue.search": "s", "queue.sort": "o", "queue.marked_status": "Z"},
        {"queue.search": "r"},  # the ticket screen's Reply: another screen
        {"reports.filter.cancel": "escape,q"},  # the reports' escape is another screen's
        {"help.close": "question_mark"},  # shared with app.help before: left as it was
    ],
)
def test_keys_that_stay_apart_are_accepted(keymap: dict[str, str]) -> None:
    check_keymap(keymap, binding_keys([HelpdeskApp]))


async def test_remapping_kb_new_leaves_ctrl_n_in_the_search_box(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    """``kb.new`` is n (from the list); ctrl+n from the search box has its own id
    (``kb.new_from_search``): remapping one leaves the other where it was."""
    from textual.widgets import Input, OptionList

    from helpdesk_tui.screens.kb import KbScreen
    from helpdesk_tui.screens.kb_edit import KbEditScreen
    from tests.screens.test_kb_screen import open_kb
    from tests.screens.ticket_helpers import settle, until

    settings = Settings(database_url=desk_data.db.url, ui=UiSettings(keymap={"kb.new": "w"}))
    app = make_test_app(settings=settings)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_kb(pilot)
        assert isinstance(app.focused, Input)
        await pilot.press("ctrl+n")
        await until(pilot, lambda: isinstance(app.screen, KbEditScreen))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, KbScreen))
        screen.query_one("#kb-results", OptionList).focus()
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is screen
        await pilot.press("w")
        await until(pilot, lambda: isinstance(app.screen, KbEditScreen))
