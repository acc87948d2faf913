"""A bad ``[ui.keymap]`` entry is one line at start-up, never a silently dead key."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.config import ConfigError, Settings
from helpdesk_tui.keymap import binding_ids, is_key
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
    ids = binding_ids([HelpdeskApp])
    assert {"app.quit", "queue.search", "queue.open", "ticket.reply"} <= ids


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
