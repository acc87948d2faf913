"""A ticket's conversation: customer messages, replies, internal notes and system lines.

Each kind looks different (a label in words and a coloured edge, so it reads without
colour too). Quoted history in a message is folded until the agent asks for it. All text
is outside text and goes through ``safe_text`` into ``rich.text.Text``.

A long message arrives in part (``Entry.more`` characters not read yet) and says so; the
screen reads on with ``desk.ticket_view.more_text`` and hands the longer entry to
:meth:`Thread.extend`, which redraws that one message only.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import datetime

from rich.console import Group
from rich.text import Text
from textual.geometry import Size
from textual.widgets import Static

from helpdesk_tui import timefmt
from helpdesk_tui.desk.kinds import MessageKind
from helpdesk_tui.desk.outbox import OutboxStatus
from helpdesk_tui.desk.ticket_view import Entry
from helpdesk_tui.safe_text import plain
from helpdesk_tui.widgets.recipients import Header
from helpdesk_tui.widgets.windowed import Windowed

Splitter = Callable[[str], tuple[str, str]]


def human_size(size: int) -> str:
    """``512 B``, ``2.0 KB``, ``1.5 MB``."""
    value, unit = float(size), "B"
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            break
        value /= 1024
    return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"


def _label(entry: Entry) -> str:
    if entry.kind == MessageKind.CUSTOMER:
        return "Phone call" if entry.channel == "phone" else "Customer"
    return {"reply": "Reply", "note": "Internal note"}.get(entry.kind, "System")


def _delivery(entry: Entry, now: datetime) -> Text | None:
    """The state of a reply's email: the agent must see when a customer never got it."""
    delivery = entry.delivery
    if delivery is None:
        return None
    if delivery.status == OutboxStatus.FAILED:
        return Text.assemble(
            (f"✗ Not delivered after {delivery.attempts} tries: ", "bold"),
            plain(delivery.last_error or "no reason given", "bold"),
            (" · R re-sends", "dim"),
        )
    if delivery.status == OutboxStatus.BOUNCED:
        reason = " ".join(filter(None, (delivery.dsn_status, delivery.dsn_diagnostic)))
        return Text.assemble(
            ("✗ Bounced: ", "bold"),
            plain(reason or "no reason given", "bold"),
            (" · R re-sends", "dim"),
        )
    if delivery.status == OutboxStatus.SENT and delivery.sent_at is not None:
        return Text(f"✓ Sent {timefmt.relative(delivery.sent_at, now)}", "dim")
    if delivery.status == OutboxStatus.RETRYING:
        return Text.assemble(
            (f"… Retrying, {delivery.attempts} tries so far: ", "dim"),
            plain(delivery.last_error or "?", "dim"),
        )
    return Text(
        "… Queued to send" if delivery.status == OutboxStatus.QUEUED else "… Sending", "dim"
    )


def _split_reply() -> Splitter | None:
    """The mail layer's quote folder, when it is installed."""
    try:
        from helpdesk_tui.mail.quotes import split_reply
    except ImportError:
        return None
    return split_reply


AUTHOR_CELLS = 60
"""The most a message's author takes of its first line (a requester's name may be thousands
of characters long: the message stays in sight below it)."""


def render_entry(
    entry: Entry, now: datetime, *, unfold: bool, split: Splitter | None
) -> Text | Group:
    if entry.kind == MessageKind.SYSTEM:
        return Text.assemble(
            plain(entry.body, "italic"), "  ", (timefmt.relative(entry.at, now), "dim")
        )
    author = plain(entry.author, "bold")
    author.truncate(AUTHOR_CELLS, overflow="ellipsis")
    header = Text.assemble(
        (_label(entry), "bold"),
        " · ",
        author,
        " · ",
        (timefmt.relative(entry.at, now), "dim"),
    )
    text = Text()
    visible, folded = (entry.body, "") if split is None else split(entry.body)
    text.append_text(plain(visible.rstrip("\n") or "(no text)", single_line=False))
    if folded.strip() and unfold:
        text.append("\n")
        text.append_text(plain(folded.rstrip("\n"), "dim", single_line=False))
    elif folded.strip():
        lines = len(folded.strip("\n").splitlines())
        text.append(f"\n… {lines} quoted line{'s' * (lines != 1)} folded (f shows)", "dim")
    if entry.more:
        text.append(f"\n… {entry.more:,} more characters of this message (o reads on)", "dim")
    for item in entry.attachments:
        text.append("\nAttachment: ", "bold")
        text.append_text(plain(item.filename))
        text.append(f" ({human_size(item.size)})", "dim")
    delivery = _delivery(entry, now)
    if delivery is not None:
        text.append("\n")
        text.append_text(delivery)
    return Group(Header(header, entry.to, entry.cc), text)


def entry_classes(entry: Entry) -> str:
    """CSS classes of an entry's view: its kind, and ``-failed`` for undelivered mail."""
    failed = entry.delivery is not None and entry.delivery.resendable
    return f"-{entry.kind}" + (" -failed" if failed else "")


class MessageView(Static):
    """One entry of the thread; its CSS class says which kind it is."""

    DEFAULT_CSS = """
    MessageView { padding: 0 1; margin: 0 0 1 0; border-left: outer $secondary; }
    MessageView.-reply { border-left: outer $primary; }
    MessageView.-note { border-left: outer $warning; background: $warning 10%; }
    MessageView.-system { border-left: none; margin: 0; color: $text-muted; }
    MessageView.-failed { border-left: thick $error; }
    """


class Thread(Windowed[Entry]):
    """The conversation, oldest first; scrolls with the keyboard when long. It opens at its
    latest entries and mounts earlier ones as the agent scrolls up (``Windowed``)."""

    DEFAULT_CSS = """
    Thread { height: 1fr; padding: 0 1; }
    Thread:focus { background-tint: $foreground 3%; }
    Thread > .-beyond { margin: 0 0 1 0; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.unfold = False
        self._now: datetime | None = None
        self._split = _split_reply()
        self._at_end = True
        """Whether the thread was last shown at its end (its latest entry in sight)."""

    def on_mount(self) -> None:
        self.mount_all(self.compose_edges())

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._at_end = new_value >= self.max_scroll_y

    def on_resize(self) -> None:
        """A thread read at its end stays there: narrower lines wrap into more of them, and
        the latest entry was left below the window (``scroll_y`` kept) until a key."""
        if self._at_end:
            self.call_after_refresh(self.scroll_end, animate=False)

    def watch_virtual_size(self, old: Size, new: Size) -> None:
        """The same when the thread grows by itself at its end: a header that wraps once the
        scrollbar takes its two columns (a reply's To on a line of its own) made the thread
        a line taller after it was scrolled to its end, which then stayed a line short. (Only
        a change of width: entries mounted above, by Home, grow it too and must not.)"""
        if self._at_end and new.width != old.width and new.height > old.height:
            self.call_after_refresh(self.scroll_end, animate=False)

    def make_view(self, index: int) -> MessageView:
        entry = self.items[index]
        assert self._now is not None
        return MessageView(
            render_entry(entry, self._now, unfold=self.unfold, split=self._split),
            classes=entry_classes(entry),
        )

    def shows(self, index: int) -> Hashable:
        """Besides the entry: its times as the clock words them now (when it was written,
        when its mail was sent), and whether quotes are unfolded."""
        entry = self.items[index]
        assert self._now is not None
        sent = entry.delivery.sent_at if entry.delivery is not None else None
        return (
            timefmt.relative(entry.at, self._now),
            timefmt.relative(sent, self._now) if sent is not None else None,
            self.unfold,
        )

    def beyond(self, count: int, before: bool) -> str:
        entries = f"{count:,} {'earlier' if before else 'later'} entr{'ies' if count != 1 else 'y'}"
        keys = "↑ or Home shows them" if before else "↓ or End shows them"
        return f"… {entries}: {keys}"

    def show(self, entries: list[Entry], now: datetime, *, earlier: int = 0) -> None:
        """``entries``, the newest of the thread; ``earlier`` older ones are not read yet."""
        at_end = self.scroll_y >= self.max_scroll_y
        self._now = now
        self.set_items(list(entries), self._end if at_end else None, unread=earlier)

    def toggle_quotes(self) -> None:
        self.unfold = not self.unfold
        at_end = self.scroll_y >= self.max_scroll_y
        self.refresh_views()
        if at_end:
            self.call_after_refresh(self.scroll_end, animate=False)

    def first_cut(self) -> Entry | None:
        """The first message on screen shown only in part, if any (of the mounted ones:
        reading on in one the agent cannot see would show nothing)."""
        return next((entry for entry in self.items[self.lo : self.hi] if entry.more), None)

    def extend(self, old: Entry, new: Entry) -> None:
        """Show ``new`` (the same message, more of it) in place of ``old``."""
        items = list(self.items)
        for index, entry in enumerate(items):
            if entry is old and self._now is not None:
                items[index] = new
                self.items = items
                view = self.view_of(index)
                if isinstance(view, MessageView):
                    view.update(render_entry(new, self._now, unfold=self.unfold, split=self._split))
                return
