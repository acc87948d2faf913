"""One line of mail state: last poll, what waits, what failed, the last error.

Hidden while mail is not configured.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from helpdesk_tui import timefmt
from helpdesk_tui.app_access import desk_app
from helpdesk_tui.safe_text import plain

if TYPE_CHECKING:
    from helpdesk_tui.mail_link import MailLink


def mail_summary(link: MailLink, now: datetime) -> Text:
    """``Mail · polled 2 min ago · 3 to send · 1 failed · 2 in quarantine · @ details``.

    The last error comes first: in a narrow terminal it is what must not be cut off.
    """
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append("Mail", "bold")
    status = link.status
    if link.problem and not link.running:
        text.append(" off here: ")
        text.append_text(plain(link.problem))
    if status is None:
        if link.read_error:
            text.append(" · cannot read the state: ")
            text.append_text(plain(link.read_error))
        elif not link.problem:
            text.append(" · starting")
        return text
    if status.last_error:
        text.append(" · ")
        text.append("error: ", "bold")
        text.append_text(plain(status.last_error))
    parts = [f"polled {timefmt.relative(status.last_poll_at, now)}" if status.last_poll_at else ""]
    if status.folders and not status.last_poll_at:
        parts[0] = "not polled yet"
    inbox = sum(folder.backlog for folder in status.folders)
    parts += [
        f"{inbox} waiting in the inbox" if inbox else "",
        f"{status.outbox_backlog} to send" if status.outbox_backlog else "",
        f"{status.undelivered_count} not delivered" if status.undelivered_count else "",
        f"{status.quarantined} in quarantine" if status.quarantined else "",
        f"{status.spam} spam" if status.spam else "",
    ]
    for part in filter(None, parts):
        text.append(f" · {part}")
    text.append(" · @ details", "dim")
    return text


def needs_attention(link: MailLink) -> bool:
    """An error, failed mail or quarantined mail: the line is drawn in the error colour."""
    status = link.status
    if status is None:
        return bool(link.problem or link.read_error)
    return bool(status.last_error or status.undelivered_count or status.quarantined)


class MailIndicator(Static):
    """Follows the app's mail link; invisible while mail is not configured."""

    DEFAULT_CSS = """
    MailIndicator {
        height: 1;
        padding: 0 1;
        color: $text-muted;
        display: none;
        /* (Textual wraps a Static's text whatever the Text says: one line, cut with "…".) */
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    MailIndicator.-on { display: block; }
    MailIndicator.-attention { color: $text-error; }
    """

    def on_mount(self) -> None:
        link = desk_app(self).mail_link
        link.changed.subscribe(self, self._show)
        self._show(link)

    def _show(self, link: MailLink) -> None:
        self.set_class(link.enabled, "-on")
        if not link.enabled:
            return
        self.set_class(needs_attention(link), "-attention")
        self.update(mail_summary(link, desk_app(self).clock()))
