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
from helpdesk_tui.safe_text import clean, plain

if TYPE_CHECKING:
    from helpdesk_tui.mail_link import MailLink


def mail_summary(link: MailLink, now: datetime, width: int | None = None) -> Text:
    """``Mail · polled 2 min ago · 3 to send · 1 failed · 2 in quarantine · @ details``;
    ``… · alerts: terminal only · @ details`` while the desk sends no mail (no SMTP).

    The last error (or why mail is off here) comes first: in a narrow terminal it is what
    must not be cut off. Where the line is wider than ``width`` cells, the error is said in
    short (its first clause, cut to "…") and the counts after it go, last first, before it
    is cut to fewer than ``SHORT_PROBLEM`` cells; without an error the counts go likewise
    until it fits. "alerts: terminal only" and "@ details" always stay in sight, and the
    mail screen it opens has the whole text.
    """
    head = Text("Mail", "bold")
    problem: Text | None = None
    status = link.status
    if link.problem and not link.running:
        head.append(" off here: ")
        problem = plain(link.problem)
    parts: list[str] = []
    if status is None:
        if link.read_error:
            if problem is None:
                head.append(" · cannot read the state: ")
                problem = plain(link.read_error)
            else:
                parts.append(f"cannot read the state: {clean(link.read_error, single_line=True)}")
        elif not link.problem:
            parts.append("starting")
        return _fitted(head, problem, parts, None, width)
    if status.last_error and problem is None:
        head.append(" · ")
        head.append("error: ", "bold")
        problem = plain(status.last_error)
    elif status.last_error:
        parts.append(f"error: {clean(status.last_error, single_line=True)}")
    parts.append(
        f"polled {timefmt.relative(status.last_poll_at, now)}" if status.last_poll_at else ""
    )
    if status.folders and not status.last_poll_at:
        parts[-1] = "not polled yet"
    inbox = sum(folder.backlog for folder in status.folders)
    parts += [
        f"{inbox} waiting in the inbox" if inbox else "",
        f"{status.outbox_backlog} to send" if status.outbox_backlog else "",
        f"{status.undelivered_count} not delivered" if status.undelivered_count else "",
        f"{status.quarantined} in quarantine" if status.quarantined else "",
        f"{status.spam} spam" if status.spam else "",
    ]
    tail = Text()
    if not status.alerts_by_mail:  # (no SMTP: SLA alerts reach no one by mail)
        tail.append(f" · {TERMINAL_ONLY}")
    tail.append(" · @ details", "dim")
    return _fitted(head, problem, [part for part in parts if part], tail, width)


TERMINAL_ONLY = "alerts: terminal only"
"""Said while the desk sends no mail (``MailState.alerts_by_mail``): SLA alerts are the
terminal's alone (``helpdesk sla status`` says so too)."""


SHORT_PROBLEM = 24
"""The fewest cells the mail line's error keeps before the counts after it give way."""


def _fitted(
    head: Text, problem: Text | None, parts: list[str], tail: Text | None, width: int | None
) -> Text:
    """``head``, ``problem``, `` · part`` each and ``tail`` (dim) on one line, made to fit
    ``width`` cells as ``mail_summary`` says."""

    def line(problem: Text | None, parts: list[str]) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append_text(head)
        if problem is not None:
            text.append_text(problem)
        for part in parts:
            text.append(f" · {part}")
        if tail:
            text.append_text(tail)
        return text

    whole = line(problem, parts)
    if width is None or whole.cell_len <= width:
        return whole
    if problem is None:
        while parts and line(None, parts).cell_len > width:
            parts = parts[:-1]
        return line(None, parts)
    short = problem.copy()
    clause = short.plain.find("; ")
    if clause > 0:
        short.truncate(clause)
        short.append("…")
    while True:
        room = width - line(None, parts).cell_len
        if room >= min(SHORT_PROBLEM, short.cell_len) or not parts:
            break
        parts = parts[:-1]
    if short.cell_len > room:
        short.truncate(max(room, 2), overflow="ellipsis")
    return line(short, parts)


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
        width = self.content_region.width or self.app.size.width - 2  # (padding)
        self.update(mail_summary(link, desk_app(self).clock(), width))

    def on_resize(self) -> None:
        self._show(desk_app(self).mail_link)
