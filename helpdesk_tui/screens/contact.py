"""A customer's card, read-only (the palette's "Customer: ADDRESS"): what ``helpdesk
contact show`` shows — who they are, their tickets, what else the desk keeps about them.

Read by keys, at once on any desk; ``c`` reads the whole desk for the other tickets that
name them in copy (``contact show --copies``), saying so while it does; leaving the card
ends that read (its worker cancelled, its statement interrupted: ``desk.read_stop``). Every name,
subject and address is outside text: shown through ``plain``, never as markup.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from helpdesk_tui.desk.contact_service import ContactCard, ReadStop
from helpdesk_tui.desk.errors import DeskError
from helpdesk_tui.desk.statuses import words
from helpdesk_tui.safe_text import plain
from helpdesk_tui.screens.base import DeskScreen
from helpdesk_tui.timefmt import day, stamp
from helpdesk_tui.widgets.desk_header import DeskHeader
from helpdesk_tui.widgets.key_footer import KeyFooter

WHOLE_DESK = "Reading the whole desk for the tickets that name them in copy…"


def card_text(card: ContactCard) -> Text:
    """The card as ``contact show`` words it."""
    text = Text()
    text.append("Name      ", "bold")
    if card.name is None:
        text.append("no contact: only rows naming the address", "italic")
    else:
        text.append_text(plain(card.name or "-"))
    text.append("\n")
    if card.phone or card.organization:
        text.append("Phone     ", "bold")
        text.append_text(plain(card.phone or "-"))
        text.append(" · organization ")
        text.append_text(plain(card.organization or "-"))
        text.append("\n")
    if card.created_at is not None:
        text.append("Since     ", "bold")
        text.append(f"{stamp(card.created_at)}\n")
    kept = [f"{card.acknowledgements} acknowledgement(s) counted"]
    if card.survey_opt_out:
        kept.append("opted out of surveys")
    if card.bounced_at is not None:
        kept.append(f"mail bounced for good {day(card.bounced_at)}")
    if card.held_mail:
        kept.append(f"{card.held_mail} held mail")
    text.append("Kept      ", "bold")
    text.append_text(plain("; ".join(kept)))
    text.append("\n\n")
    if not card.tickets:
        text.append("No tickets\n", "italic")
    for ticket in card.tickets:
        text.append(f"#{ticket.number:<6} ", "bold")
        text.append(f"{words(ticket.status):<12} {ticket.role:<9} ")
        text.append_text(plain(ticket.subject))
        text.append("\n")
    if not card.copies_read:
        text.append(
            "\nOther tickets whose messages name them not looked for: c reads the desk", "dim"
        )
    text.rstrip()
    return text


class ContactScreen(DeskScreen):
    """Opened from the palette ("Customer: ann@example.com"); Escape goes back."""

    CSS_PATH = "contact.tcss"
    HELP_TITLE = "Customer"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="contact.back"),
        Binding("c", "copies", "Copies (whole desk)", id="contact.copies"),
    ]

    class Loaded(Message):
        def __init__(self, card: ContactCard | None, error: str | None, copies: bool) -> None:
            super().__init__()
            self.card = card
            self.error = error
            self.copies = copies

    def __init__(self, address: str) -> None:
        super().__init__()
        self.address = address
        self.card: ContactCard | None = None
        self.reading = True
        self.copies_read = False
        self.stop = ReadStop()
        """Ends this card's read in flight when the agent leaves (``on_unmount``)."""

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield Static(Text.assemble(("Customer ", "bold"), plain(self.address)), id="contact-title")
        with VerticalScroll(id="contact-card", can_focus=True):
            yield Static(id="contact-text")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#contact-card").focus()
        self.load(copies=False)

    def on_unmount(self) -> None:
        """The agent left: the whole-desk read of ``c`` (25 s on a desk of a million
        tickets) ends now, not when it would have, its answer dropped."""
        self.workers.cancel_node(self)
        self.stop.stop()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "copies":  # (once, when the card shown lacks them)
            return not (self.reading or self.copies_read)
        return True

    @work(thread=True, exclusive=True, group="contact-load", exit_on_error=False)
    def load(self, copies: bool) -> None:
        try:
            card = self.desk.contact_show(self.address, copies=copies, stop=self.stop)
        except DeskError as error:  # (nothing kept, not an address: said on the card)
            if not self.stop.stopped:
                self.post_message(self.Loaded(None, str(error), copies))
            return
        self.post_message(self.Loaded(card, None, copies))

    def on_contact_screen_loaded(self, message: Loaded) -> None:
        self.card = message.card
        self.reading = False
        self.copies_read = message.copies
        shown = self.query_one("#contact-text", Static)
        if message.card is None:
            shown.update(plain(message.error))
        else:
            shown.update(card_text(message.card))
        self.refresh_bindings()

    def action_back(self) -> None:
        self.dismiss(None)

    def action_copies(self) -> None:
        self.reading = True
        self.refresh_bindings()
        self.query_one("#contact-text", Static).update(Text(WHOLE_DESK, "italic"))
        self.load(copies=True)
