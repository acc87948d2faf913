"""Desk settings in a real terminal (tmux): a tab's key typed right behind D, as the screen
opens, shows that tab. The tabs' set-up (and the focus the screen gives its first table)
came after the key in a terminal, never under the pilot, and undid it: D3 showed the SLA
tab."""

from __future__ import annotations

from collections.abc import Callable

from tests.screens.test_hangup_terminal import (
    _screen,
    _start,
    _until,
    _until_gone,
    tmux,  # noqa: F401 (a fixture)
)


def test_a_tab_key_typed_with_d_shows_its_tab(tmux: Callable[..., str]) -> None:  # noqa: F811
    pid = _start(tmux)
    _until(lambda: "My open" in _screen(tmux), "the queue")

    def shows(head: str, screen: str | None = None) -> bool:
        lines = (_screen(tmux) if screen is None else screen).splitlines()
        return any(line.strip().startswith(head) for line in lines[4:5])  # (under the name)

    for keys, head in (("3", "Team"), ("5", "Satisfaction surveys are"), ("2", "Calendar")):
        tmux("send-keys", "-t", "hd", "D", keys)  # (one write: both keys in one read)
        _until(lambda: "5 Surveys" in _screen(tmux), "the desk settings")
        _until(lambda: shows(head), f"tab {keys}")  # noqa: B023
        # (and it stays: the set-up and the key did not take turns)
        for _ in range(20):
            screen = _screen(tmux)
            assert shows(head, screen), f"tab {keys} went away:\n{screen}"
        tmux("send-keys", "-t", "hd", "Escape")
        _until(lambda: "My open" in _screen(tmux), "the queue again")
    tmux("send-keys", "-t", "hd", "C-q")
    _until_gone(pid)
