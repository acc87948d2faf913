"""The app's keys inside the composer in a real terminal (tmux): ? and @ typed into the
reply, F1 the composer's keys, F3 the knowledge base and back to the reply as it was."""

from __future__ import annotations

from collections.abc import Callable

from tests.screens.test_hangup_terminal import (
    _on_a_ticket,
    _screen,
    _until,
    _until_gone,
    tmux,  # noqa: F401 (a fixture)
)


def test_keys_in_the_composer_in_a_real_terminal(tmux: Callable[..., str]) -> None:  # noqa: F811
    pid = _on_a_ticket(tmux)

    def screen() -> str:
        return _screen(tmux)

    tmux("send-keys", "-t", "hd", "r")
    _until(lambda: "Reply to the customer on" in screen(), "the composer")
    tmux("send-keys", "-t", "hd", "-l", "Is it on? Write to me@example.com")
    _until(lambda: "Is it on? Write to me@example.com" in screen(), "? and @ typed")
    tmux("send-keys", "-t", "hd", "F1")
    _until(lambda: "Keys — Composer" in screen(), "the composer's keys")
    _until(lambda: "composer.send" in screen(), "the composer's keys listed")
    tmux("send-keys", "-t", "hd", "F1")
    _until(lambda: "Keys — Composer" not in screen(), "the key help closed")
    tmux("send-keys", "-t", "hd", "F3")
    _until(lambda: "Search articles" in screen(), "the knowledge base")
    tmux("send-keys", "-t", "hd", "F3")
    _until(lambda: "Reply to the customer on" in screen(), "back in the composer")
    assert "Is it on? Write to me@example.com" in screen()
    tmux("send-keys", "-t", "hd", "C-q")
    _until_gone(pid)
