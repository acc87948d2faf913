"""Text and ctrl+r sent to a real terminal (tmux) in one write: the reply queued holds the
whole text, every time (it once said "the reply is empty", the keys before ctrl+r not yet
applied when the send read the text)."""

from __future__ import annotations

from collections.abc import Callable

from tests.screens.test_hangup_terminal import (
    _gone,
    _on_a_ticket,
    _screen,
    _until,
    tmux,  # noqa: F401 (a fixture)
)

BURSTS = 4


def _outbox_bodies() -> list[str]:
    """The queued mails' bodies on this test's own desk (the one ``helpdesk`` made in the
    data dir), oldest first."""
    from sqlalchemy import select as sa_select

    from helpdesk_tui.config_files import default_database_url
    from helpdesk_tui.storage.database import Database
    from helpdesk_tui.storage.models import Outbox

    db = Database(default_database_url())
    try:
        with db.read() as s:
            return list(s.execute(sa_select(Outbox.body).order_by(Outbox.id)).scalars())
    finally:
        db.dispose()


def test_text_and_ctrl_r_in_one_write_send_the_whole_text(tmux: Callable[..., str]) -> None:  # noqa: F811
    pid = _on_a_ticket(tmux)
    for index in range(BURSTS):
        tmux("send-keys", "-t", "hd", "r")
        _until(lambda: "Reply to the customer on" in _screen(tmux), "the composer")
        tmux("send-keys", "-t", "hd", f"This is burst number {index} of the test", "C-r")
        _until(
            lambda: (
                "Reply to the customer on" not in _screen(tmux)
                or "Nothing to send" in _screen(tmux)
            ),
            "the reply sent or refused",
        )
        assert "Nothing to send" not in _screen(tmux)
    sent = [f"This is burst number {index} of the test" for index in range(BURSTS)]
    assert [body.splitlines()[0] for body in _outbox_bodies()] == sent
    tmux("send-keys", "-t", "hd", "C-q")
    _until(lambda: _gone(pid), "the process to end")
